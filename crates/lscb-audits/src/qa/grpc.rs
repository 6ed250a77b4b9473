//! The only module of part 1 that knows proto types: `lscb.audits.v1` AuditService,
//! InspectionService, LearningReviewService and ActionService. Converts requests to domain
//! values (naming every bad field), checks roles and agencies against the caller's
//! partnership, and calls the store inside one transaction per write.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use lscb_platform::idempotency::{self, Idempotency};
use lscb_platform::{Claims, Error, Partnership, ServiceContext, Violations, caller, proto_conv};
use lscb_proto::audits::v1 as pb;
use lscb_proto::common::v1 as cpb;
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;
use tonic::{Request, Response, Status};

use super::domain::{
    self, Action, ActionInput, ActionStatus, Audit, AuditStatus, AuditType, CaseReview,
    Distribution, Grade, Inspection, Inspectorate, LearningReview, NewRecommendation, Question,
    Recommendation, ReviewStatus, ReviewType, SourceKind, Summary, Tally, Theme,
};
use super::store;

/// The four services of part 1 over one context.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    ctx: ServiceContext,
}

impl Api {
    pub(crate) fn new(ctx: ServiceContext) -> Self {
        Self { ctx }
    }

    fn scope(&self, claims: &Claims) -> Result<&Partnership, Status> {
        Ok(self.ctx.partnership(claims)?)
    }
}

type Res<T> = Result<Response<T>, Status>;

fn db(e: sea_orm::DbErr) -> Status {
    Status::from(Error::from(e))
}

/// A unique-constraint race (two requests storing the same key at once) is a conflict for
/// the caller to retry, not an internal error.
fn conflict_or_db(e: sea_orm::DbErr, what: &str) -> Status {
    if lscb_platform::db::is_unique_violation(&e) {
        Status::from(Error::Conflict(what.to_string()))
    } else {
        db(e)
    }
}

// ------------------------------------------------------------------------------------------
// Enum conversions
// ------------------------------------------------------------------------------------------

fn grade_in(i: i32) -> Option<Grade> {
    match pb::Grade::try_from(i).ok()? {
        pb::Grade::Unspecified => None,
        pb::Grade::Outstanding => Some(Grade::Outstanding),
        pb::Grade::Good => Some(Grade::Good),
        pb::Grade::RequiresImprovement => Some(Grade::RequiresImprovement),
        pb::Grade::Inadequate => Some(Grade::Inadequate),
    }
}

fn grade_out(g: Grade) -> i32 {
    (match g {
        Grade::Outstanding => pb::Grade::Outstanding,
        Grade::Good => pb::Grade::Good,
        Grade::RequiresImprovement => pb::Grade::RequiresImprovement,
        Grade::Inadequate => pb::Grade::Inadequate,
    }) as i32
}

fn audit_type_in(i: i32) -> Option<AuditType> {
    match pb::AuditType::try_from(i).ok()? {
        pb::AuditType::Unspecified => None,
        pb::AuditType::MultiAgencyCaseFile => Some(AuditType::MultiAgencyCaseFile),
        pb::AuditType::SingleAgency => Some(AuditType::SingleAgency),
        pb::AuditType::Thematic => Some(AuditType::Thematic),
        pb::AuditType::FrontDoorReferral => Some(AuditType::FrontDoorReferral),
        pb::AuditType::ReReferral => Some(AuditType::ReReferral),
    }
}

fn audit_type_out(t: AuditType) -> i32 {
    (match t {
        AuditType::MultiAgencyCaseFile => pb::AuditType::MultiAgencyCaseFile,
        AuditType::SingleAgency => pb::AuditType::SingleAgency,
        AuditType::Thematic => pb::AuditType::Thematic,
        AuditType::FrontDoorReferral => pb::AuditType::FrontDoorReferral,
        AuditType::ReReferral => pb::AuditType::ReReferral,
    }) as i32
}

fn audit_status_in(i: i32) -> Option<AuditStatus> {
    match pb::AuditStatus::try_from(i).ok()? {
        pb::AuditStatus::Unspecified => None,
        pb::AuditStatus::Planned => Some(AuditStatus::Planned),
        pb::AuditStatus::InProgress => Some(AuditStatus::InProgress),
        pb::AuditStatus::Complete => Some(AuditStatus::Complete),
    }
}

fn audit_status_out(s: AuditStatus) -> i32 {
    (match s {
        AuditStatus::Planned => pb::AuditStatus::Planned,
        AuditStatus::InProgress => pb::AuditStatus::InProgress,
        AuditStatus::Complete => pb::AuditStatus::Complete,
    }) as i32
}

fn inspectorate_in(i: i32) -> Option<Inspectorate> {
    match pb::Inspectorate::try_from(i).ok()? {
        pb::Inspectorate::Unspecified => None,
        pb::Inspectorate::Cqc => Some(Inspectorate::Cqc),
        pb::Inspectorate::Hmic => Some(Inspectorate::Hmic),
        pb::Inspectorate::Ofsted => Some(Inspectorate::Ofsted),
        pb::Inspectorate::Other => Some(Inspectorate::Other),
    }
}

fn inspectorate_out(i: Inspectorate) -> i32 {
    (match i {
        Inspectorate::Cqc => pb::Inspectorate::Cqc,
        Inspectorate::Hmic => pb::Inspectorate::Hmic,
        Inspectorate::Ofsted => pb::Inspectorate::Ofsted,
        Inspectorate::Other => pb::Inspectorate::Other,
    }) as i32
}

fn review_type_in(i: i32) -> Option<ReviewType> {
    use pb::LearningReviewType as T;
    match T::try_from(i).ok()? {
        T::Unspecified => None,
        T::SeriousCaseReview => Some(ReviewType::SeriousCaseReview),
        T::LearningLessonsReview => Some(ReviewType::LearningLessonsReview),
        T::DomesticHomicideReview => Some(ReviewType::DomesticHomicideReview),
        T::ChildSafeguardingPracticeReview => Some(ReviewType::ChildSafeguardingPracticeReview),
        T::Other => Some(ReviewType::Other),
    }
}

fn review_type_out(t: ReviewType) -> i32 {
    use pb::LearningReviewType as T;
    (match t {
        ReviewType::SeriousCaseReview => T::SeriousCaseReview,
        ReviewType::LearningLessonsReview => T::LearningLessonsReview,
        ReviewType::DomesticHomicideReview => T::DomesticHomicideReview,
        ReviewType::ChildSafeguardingPracticeReview => T::ChildSafeguardingPracticeReview,
        ReviewType::Other => T::Other,
    }) as i32
}

fn review_status_in(i: i32) -> Option<ReviewStatus> {
    use pb::LearningReviewStatus as S;
    match S::try_from(i).ok()? {
        S::Unspecified => None,
        S::Commissioned => Some(ReviewStatus::Commissioned),
        S::InProgress => Some(ReviewStatus::InProgress),
        S::Completed => Some(ReviewStatus::Completed),
        S::Published => Some(ReviewStatus::Published),
    }
}

fn review_status_out(s: ReviewStatus) -> i32 {
    use pb::LearningReviewStatus as S;
    (match s {
        ReviewStatus::Commissioned => S::Commissioned,
        ReviewStatus::InProgress => S::InProgress,
        ReviewStatus::Completed => S::Completed,
        ReviewStatus::Published => S::Published,
    }) as i32
}

fn action_status_in(i: i32) -> Option<ActionStatus> {
    match pb::ActionStatus::try_from(i).ok()? {
        pb::ActionStatus::Unspecified => None,
        pb::ActionStatus::Open => Some(ActionStatus::Open),
        pb::ActionStatus::InProgress => Some(ActionStatus::InProgress),
        pb::ActionStatus::Completed => Some(ActionStatus::Completed),
        pb::ActionStatus::NotAccepted => Some(ActionStatus::NotAccepted),
    }
}

fn action_status_out(s: ActionStatus) -> i32 {
    (match s {
        ActionStatus::Open => pb::ActionStatus::Open,
        ActionStatus::InProgress => pb::ActionStatus::InProgress,
        ActionStatus::Completed => pb::ActionStatus::Completed,
        ActionStatus::NotAccepted => pb::ActionStatus::NotAccepted,
    }) as i32
}

fn source_in(i: i32) -> Option<SourceKind> {
    match pb::SourceKind::try_from(i).ok()? {
        pb::SourceKind::Unspecified => None,
        pb::SourceKind::Audit => Some(SourceKind::Audit),
        pb::SourceKind::Inspection => Some(SourceKind::Inspection),
        pb::SourceKind::LearningReview => Some(SourceKind::LearningReview),
        pb::SourceKind::Section11 => Some(SourceKind::Section11),
    }
}

fn source_out(s: &str) -> i32 {
    (match SourceKind::parse(s) {
        Some(SourceKind::Audit) => pb::SourceKind::Audit,
        Some(SourceKind::Inspection) => pb::SourceKind::Inspection,
        Some(SourceKind::LearningReview) => pb::SourceKind::LearningReview,
        Some(SourceKind::Section11) => pb::SourceKind::Section11,
        None => pb::SourceKind::Unspecified,
    }) as i32
}

/// An enum field that must be set to a known value.
fn required_enum<T>(v: &mut Violations, field: &str, raw: i32, parsed: Option<T>) -> Option<T> {
    if parsed.is_none() {
        v.add(
            field,
            if raw == 0 {
                "is required".to_string()
            } else {
                format!("unknown value {raw}")
            },
        );
    }
    parsed
}

/// An enum filter or optional field: 0 = none; an unknown value is an error.
fn optional_enum<T>(v: &mut Violations, field: &str, raw: i32, parsed: Option<T>) -> Option<T> {
    if raw != 0 && parsed.is_none() {
        v.add(field, format!("unknown value {raw}"));
    }
    parsed
}

// ------------------------------------------------------------------------------------------
// Field helpers
// ------------------------------------------------------------------------------------------

fn id_in(v: &mut Violations, field: &str, s: &str) -> i64 {
    match s.parse::<i64>() {
        Ok(i) if i > 0 => i,
        _ if s.is_empty() => {
            v.add(field, "is required");
            0
        }
        _ => {
            v.add(field, format!("'{s}' is not an id this service issued"));
            0
        }
    }
}

fn date_in(v: &mut Violations, field: &str, s: &str) -> Option<NaiveDate> {
    if s.is_empty() {
        v.add(field, "is required (YYYY-MM-DD)");
        return None;
    }
    opt_date_in(v, field, s)
}

fn opt_date_in(v: &mut Violations, field: &str, s: &str) -> Option<NaiveDate> {
    if s.is_empty() {
        return None;
    }
    match lscb_platform::fields::parse_date(s) {
        Ok(d) => Some(d),
        Err(e) => {
            v.add(field, e);
            None
        }
    }
}

fn text_in(v: &mut Violations, field: &str, s: &str) -> String {
    let t = s.trim();
    if t.is_empty() {
        v.add(field, "is required");
    }
    t.to_string()
}

fn texts_in(v: &mut Violations, field: &str, list: &[String]) -> Vec<String> {
    list.iter()
        .enumerate()
        .map(|(i, s)| text_in(v, &format!("{field}[{i}]"), s))
        .collect()
}

fn agency_in(v: &mut Violations, field: &str, p: &Partnership, code: &str) -> String {
    if code.is_empty() {
        v.add(field, "is required");
    } else if p.agency(code).is_none() {
        v.add(
            field,
            format!("'{code}' is not an agency of partnership {}", p.id),
        );
    }
    code.to_string()
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn as_of_in(v: &mut Violations, s: &str) -> NaiveDate {
    opt_date_in(v, "as_of", s).unwrap_or_else(today)
}

fn dec(d: Option<Decimal>) -> Option<cpb::Decimal> {
    d.map(|d| cpb::Decimal {
        value: d.to_string(),
    })
}

fn date_out(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn recommendations_in(
    v: &mut Violations,
    field: &str,
    p: &Partnership,
    recs: &[pb::Recommendation],
) -> Vec<NewRecommendation> {
    let mut seen = BTreeSet::new();
    recs.iter()
        .enumerate()
        .map(|(i, r)| {
            let f = format!("{field}[{i}]");
            recommendation_in(v, &f, p, r, &mut seen)
        })
        .collect()
}

fn recommendation_in(
    v: &mut Violations,
    f: &str,
    p: &Partnership,
    r: &pb::Recommendation,
    seen: &mut BTreeSet<String>,
) -> NewRecommendation {
    let text = text_in(v, &format!("{f}.text"), &r.text);
    if !text.is_empty() && !seen.insert(text.clone()) {
        v.add(format!("{f}.text"), "repeats an earlier recommendation");
    }
    let actions = r
        .actions
        .iter()
        .enumerate()
        .map(|(j, a)| {
            let af = format!("{f}.actions[{j}]");
            ActionInput {
                description: text_in(v, &format!("{af}.description"), &a.description),
                owner_agency: agency_in(v, &format!("{af}.owner_agency"), p, &a.owner_agency),
                due_date: date_in(v, &format!("{af}.due_date"), &a.due_date).unwrap_or_default(),
            }
        })
        .collect();
    NewRecommendation { text, actions }
}

// ------------------------------------------------------------------------------------------
// Output conversions
// ------------------------------------------------------------------------------------------

fn action_out(a: &Action, as_of: NaiveDate) -> pb::Action {
    pb::Action {
        id: a.id.to_string(),
        source_kind: source_out(&a.source_kind),
        source_id: a.source_id.clone(),
        recommendation: a.recommendation.clone(),
        description: a.description.clone(),
        owner_agency: a.owner_agency.clone(),
        due_date: a.due_date.to_string(),
        status: action_status_out(a.status),
        completion_evidence: a.completion_evidence.clone(),
        completed_date: date_out(a.completed_on),
        overdue: a.overdue_at(as_of),
    }
}

fn recommendation_out(r: &Recommendation) -> pb::Recommendation {
    pb::Recommendation {
        text: r.text.clone(),
        actions: r
            .actions
            .iter()
            .map(|a| pb::ActionInput {
                description: a.description.clone(),
                owner_agency: a.owner_agency.clone(),
                due_date: a.due_date.to_string(),
            })
            .collect(),
        action_ids: r.actions.iter().map(|a| a.id.to_string()).collect(),
        implemented: r.implemented(),
    }
}

fn audit_out(a: &Audit, recs: &[Recommendation]) -> pb::Audit {
    pb::Audit {
        id: a.id.to_string(),
        r#type: audit_type_out(a.audit_type),
        topic: a.topic.clone(),
        title: a.title.clone(),
        strategic_priority: a.strategic_priority.clone(),
        period: Some(proto_conv::period_to_pb(a.period)),
        status: audit_status_out(a.status),
        themes: a
            .themes
            .iter()
            .map(|t| pb::Theme {
                code: t.code.clone(),
                title: t.title.clone(),
            })
            .collect(),
        questions: a
            .questions
            .iter()
            .map(|q| pb::Question {
                code: q.code.clone(),
                text: q.text.clone(),
            })
            .collect(),
        programme: a.programme.clone(),
        lead_agency: a.lead_agency.clone(),
        findings: a.findings.clone(),
        recommendations: recs.iter().map(recommendation_out).collect(),
        case_count: a.case_count,
    }
}

fn review_out(r: &CaseReview) -> pb::CaseReview {
    pb::CaseReview {
        id: r.id.to_string(),
        case_reference: r.case_reference.clone(),
        agencies: r.agencies.clone(),
        overall_grade: Grade::parse(&r.overall).map(grade_out).unwrap_or(0),
        theme_grades: r
            .theme_grades
            .iter()
            .map(|(t, g)| pb::ThemeGrade {
                theme: t.clone(),
                grade: Grade::parse(g).map(grade_out).unwrap_or(0),
            })
            .collect(),
        answers: r
            .answers
            .iter()
            .map(|(q, yes)| pb::Answer {
                question: q.clone(),
                answer: if *yes {
                    pb::YesNo::Yes as i32
                } else {
                    pb::YesNo::No as i32
                },
            })
            .collect(),
        good_practice: r.good_practice.clone(),
    }
}

fn distribution_out(d: &Distribution) -> pb::GradeDistribution {
    pb::GradeDistribution {
        graded: d.graded(),
        grades: Grade::ALL
            .iter()
            .map(|g| pb::GradeCount {
                grade: grade_out(*g),
                count: d.count(*g),
                share: dec(d.share(*g)),
            })
            .collect(),
        headline: d.headline(),
    }
}

fn question_out(q: &Question, t: &Tally) -> pb::QuestionSummary {
    pb::QuestionSummary {
        question: Some(pb::Question {
            code: q.code.clone(),
            text: q.text.clone(),
        }),
        answered: t.answered(),
        yes: t.yes,
        no: t.no,
        yes_rate: dec(t.yes_rate()),
    }
}

fn share_changes_out(prev: &Distribution, cur: &Distribution) -> Vec<pb::GradeShareChange> {
    domain::share_changes(prev, cur)
        .into_iter()
        .map(|c| pb::GradeShareChange {
            grade: grade_out(c.grade),
            previous_share: dec(c.previous),
            current_share: dec(c.current),
            change: dec(c.change),
        })
        .collect()
}

fn inspection_out(i: &Inspection, recs: &[Recommendation]) -> pb::Inspection {
    pb::Inspection {
        id: i.id.to_string(),
        inspectorate: inspectorate_out(i.inspectorate),
        inspectorate_name: i.inspectorate_name.clone(),
        agency: i.agency.clone(),
        title: i.title.clone(),
        inspection_date: i.inspection_date.to_string(),
        scope: i.scope.clone(),
        judgement: i.judgement.clone(),
        key_findings: i.key_findings.clone(),
        recommendations: recs.iter().map(recommendation_out).collect(),
        assurance_date: date_out(i.assurance_date),
        assurance_note: i.assurance_note.clone(),
    }
}

fn learning_review_out(r: &LearningReview, recs: &[Recommendation]) -> pb::LearningReview {
    pb::LearningReview {
        id: r.id.to_string(),
        r#type: review_type_out(r.review_type),
        reference: r.reference.clone(),
        title: r.title.clone(),
        commissioned_date: r.commissioned_date.to_string(),
        status: review_status_out(r.status),
        publication_date: date_out(r.publication_date),
        key_learning: r.key_learning.clone(),
        recommendations: recs.iter().map(recommendation_out).collect(),
        agencies: r.agencies.clone(),
    }
}

/// Recommendations of one source.
async fn recs_of<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    kind: SourceKind,
    id: i64,
) -> Result<Vec<Recommendation>, Status> {
    let key = (kind.as_str().to_string(), id.to_string());
    let mut all = store::recommendations(
        c,
        partnership,
        Some(kind.as_str()),
        Some(std::slice::from_ref(&key.1)),
    )
    .await
    .map_err(db)?;
    Ok(all.remove(&key).unwrap_or_default())
}

/// Recommendations of many sources of one kind.
async fn recs_of_many<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    kind: SourceKind,
    ids: &[i64],
) -> Result<BTreeMap<String, Vec<Recommendation>>, Status> {
    let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    Ok(
        store::recommendations(c, partnership, Some(kind.as_str()), Some(&ids))
            .await
            .map_err(db)?
            .into_iter()
            .map(|((_, id), r)| (id, r))
            .collect(),
    )
}

async fn add_recs<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    kind: SourceKind,
    id: i64,
    recs: &[NewRecommendation],
) -> Result<(), Status> {
    for r in recs {
        store::add_recommendation(c, partnership, kind.as_str(), &id.to_string(), r)
            .await
            .map_err(db)?;
    }
    Ok(())
}

fn page<T: Clone>(all: &[T], offset: u64, limit: u64) -> (Vec<T>, cpb::PageResponse) {
    let items: Vec<T> = all
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .cloned()
        .collect();
    let resp = proto_conv::page_response(offset, items.len(), all.len() as u64);
    (items, resp)
}

// ------------------------------------------------------------------------------------------
// AuditService
// ------------------------------------------------------------------------------------------

fn audit_in(
    v: &mut Violations,
    p: &Partnership,
    a: Option<&pb::Audit>,
) -> (Audit, Vec<NewRecommendation>) {
    let default = pb::Audit::default();
    if a.is_none() {
        v.add("audit", "is required");
    }
    let a = a.unwrap_or(&default);
    let audit_type = required_enum(v, "audit.type", a.r#type, audit_type_in(a.r#type));
    let title = text_in(v, "audit.title", &a.title);
    let period = proto_conv::period(v, "audit.period", a.period.as_ref());
    let status = optional_enum(v, "audit.status", a.status, audit_status_in(a.status))
        .unwrap_or(AuditStatus::Planned);
    let topic = a.topic.trim().to_string();
    if audit_type == Some(AuditType::Thematic) && topic.is_empty() {
        v.add(
            "audit.topic",
            "is required for a thematic audit (e.g. FGM, CSE, neglect)",
        );
    }
    let lead_agency = if a.lead_agency.is_empty() {
        if audit_type == Some(AuditType::SingleAgency) {
            v.add("audit.lead_agency", "is required for a single-agency audit");
        }
        String::new()
    } else {
        agency_in(v, "audit.lead_agency", p, &a.lead_agency)
    };
    let mut codes = BTreeSet::new();
    let themes = a
        .themes
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let f = format!("audit.themes[{i}]");
            if !domain::is_code(&t.code) {
                v.add(
                    format!("{f}.code"),
                    "must be 1-40 letters, digits, '-' or '_'",
                );
            } else if !codes.insert(t.code.clone()) {
                v.add(format!("{f}.code"), format!("'{}' is repeated", t.code));
            }
            Theme {
                code: t.code.clone(),
                title: text_in(v, &format!("{f}.title"), &t.title),
            }
        })
        .collect();
    let mut qcodes = BTreeSet::new();
    let questions = a
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let f = format!("audit.questions[{i}]");
            if !domain::is_code(&q.code) {
                v.add(
                    format!("{f}.code"),
                    "must be 1-40 letters, digits, '-' or '_'",
                );
            } else if !qcodes.insert(q.code.clone()) {
                v.add(format!("{f}.code"), format!("'{}' is repeated", q.code));
            }
            Question {
                code: q.code.clone(),
                text: text_in(v, &format!("{f}.text"), &q.text),
            }
        })
        .collect();
    let findings = texts_in(v, "audit.findings", &a.findings);
    let recs = recommendations_in(v, "audit.recommendations", p, &a.recommendations);
    let audit = Audit {
        id: 0,
        audit_type: audit_type.unwrap_or(AuditType::MultiAgencyCaseFile),
        topic,
        title,
        strategic_priority: a.strategic_priority.trim().to_string(),
        period: period.unwrap_or_else(|| lscb_platform::Period::year(2000)),
        status,
        themes,
        questions,
        programme: a.programme.trim().to_string(),
        lead_agency,
        findings,
        case_count: 0,
    };
    (audit, recs)
}

/// Validates a batch of case reviews against their audit.
fn case_reviews_in(
    v: &mut Violations,
    p: &Partnership,
    audit: &Audit,
    existing: &BTreeSet<String>,
    reviews: &[pb::CaseReview],
) -> Vec<CaseReview> {
    if reviews.is_empty() {
        v.add("case_reviews", "at least one case review is required");
    }
    let (from, to) = (audit.period.first_day(), audit.period.last_day());
    let mut refs = BTreeSet::new();
    reviews
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let f = format!("case_reviews[{i}]");
            if let Some(problem) = domain::case_reference_problem(&r.case_reference) {
                v.add(format!("{f}.case_reference"), problem);
            } else if existing.contains(&r.case_reference) {
                v.add(
                    format!("{f}.case_reference"),
                    format!(
                        "'{}' is already reviewed in audit {}",
                        r.case_reference, audit.id
                    ),
                );
            } else if !refs.insert(r.case_reference.clone()) {
                v.add(
                    format!("{f}.case_reference"),
                    format!("'{}' appears twice in this batch", r.case_reference),
                );
            }
            if r.agencies.is_empty() {
                v.add(format!("{f}.agencies"), "at least one agency is required");
            }
            for (j, code) in r.agencies.iter().enumerate() {
                let af = format!("{f}.agencies[{j}]");
                match p.agency(code) {
                    None => v.add(
                        af,
                        format!("'{code}' is not an agency of partnership {}", p.id),
                    ),
                    Some(a) if !a.valid_during(from, to) => v.add(
                        af,
                        format!("'{code}' did not exist during {}", audit.period),
                    ),
                    Some(_) => {}
                }
            }
            let overall = required_enum(
                v,
                &format!("{f}.overall_grade"),
                r.overall_grade,
                grade_in(r.overall_grade),
            );
            let mut seen = BTreeSet::new();
            let theme_grades = r
                .theme_grades
                .iter()
                .enumerate()
                .filter_map(|(j, tg)| {
                    let tf = format!("{f}.theme_grades[{j}]");
                    if !audit.themes.iter().any(|t| t.code == tg.theme) {
                        v.add(
                            format!("{tf}.theme"),
                            format!("'{}' is not a theme of audit {}", tg.theme, audit.id),
                        );
                    } else if !seen.insert(tg.theme.clone()) {
                        v.add(
                            format!("{tf}.theme"),
                            format!("'{}' is graded twice", tg.theme),
                        );
                    }
                    let g = required_enum(v, &format!("{tf}.grade"), tg.grade, grade_in(tg.grade))?;
                    Some((tg.theme.clone(), g.as_str().to_string()))
                })
                .collect();
            let mut seen = BTreeSet::new();
            let answers = r
                .answers
                .iter()
                .enumerate()
                .filter_map(|(j, an)| {
                    let qf = format!("{f}.answers[{j}]");
                    if !audit.questions.iter().any(|q| q.code == an.question) {
                        v.add(
                            format!("{qf}.question"),
                            format!("'{}' is not a question of audit {}", an.question, audit.id),
                        );
                    } else if !seen.insert(an.question.clone()) {
                        v.add(
                            format!("{qf}.question"),
                            format!("'{}' is answered twice", an.question),
                        );
                    }
                    let yes = match pb::YesNo::try_from(an.answer) {
                        Ok(pb::YesNo::Yes) => true,
                        Ok(pb::YesNo::No) => false,
                        _ => {
                            v.add(format!("{qf}.answer"), "must be YES_NO_YES or YES_NO_NO");
                            return None;
                        }
                    };
                    Some((an.question.clone(), yes))
                })
                .collect();
            CaseReview {
                id: 0,
                case_reference: r.case_reference.clone(),
                agencies: r.agencies.clone(),
                overall: overall.map(|g| g.as_str().to_string()).unwrap_or_default(),
                theme_grades,
                answers,
                good_practice: texts_in(v, &format!("{f}.good_practice"), &r.good_practice),
            }
        })
        .collect()
}

fn summary_questions(s: &Summary) -> Vec<pb::QuestionSummary> {
    s.questions
        .iter()
        .map(|(q, t)| question_out(q, t))
        .collect()
}

#[tonic::async_trait]
impl pb::audit_service_server::AuditService for Api {
    async fn create_audit(&self, request: Request<pb::CreateAuditRequest>) -> Res<pb::Audit> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "CreateAudit", &mut req, |r| &mut r.idempotency_key)?;
        let mut v = Violations::new();
        let (audit, recs) = audit_in(&mut v, p, req.audit.as_ref());
        v.into_result()?;
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        let id = store::insert_audit(&*txn, &p.id, &audit)
            .await
            .map_err(db)?;
        add_recs(&*txn, &p.id, SourceKind::Audit, id, &recs).await?;
        let stored = store::get_audit(&*txn, &p.id, id)
            .await
            .map_err(db)?
            .ok_or_else(|| Status::internal("audit vanished"))?;
        let out = audit_out(
            &stored,
            &recs_of(&*txn, &p.id, SourceKind::Audit, id).await?,
        );
        idempotency::complete(idem.as_ref(), &*txn, &out).await?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(out))
    }

    async fn get_audit(&self, request: Request<pb::GetAuditRequest>) -> Res<pb::Audit> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let mut v = Violations::new();
        let id = id_in(&mut v, "id", &request.get_ref().id);
        v.into_result()?;
        let c = self.ctx.db.conn();
        let a = store::get_audit(c, &p.id, id)
            .await
            .map_err(db)?
            .ok_or_else(|| Status::from(Error::not_found(format!("audit {id}"))))?;
        Ok(Response::new(audit_out(
            &a,
            &recs_of(c, &p.id, SourceKind::Audit, id).await?,
        )))
    }

    async fn list_audits(
        &self,
        request: Request<pb::ListAuditsRequest>,
    ) -> Res<pb::ListAuditsResponse> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let filter = store::AuditFilter {
            audit_type: optional_enum(&mut v, "type", req.r#type, audit_type_in(req.r#type)),
            programme: (!req.programme.is_empty()).then(|| req.programme.clone()),
            status: optional_enum(&mut v, "status", req.status, audit_status_in(req.status)),
            within: req
                .within
                .as_ref()
                .and_then(|w| proto_conv::period(&mut v, "within", Some(w))),
        };
        let (offset, limit) = proto_conv::page(&mut v, "page", req.page.as_ref());
        v.into_result()?;
        let c = self.ctx.db.conn();
        let total = store::count_audits(c, &p.id, &filter).await.map_err(db)?;
        let items = if offset < total {
            store::list_audits(c, &p.id, &filter, Some((offset, limit)))
                .await
                .map_err(db)?
        } else {
            vec![]
        };
        let page = proto_conv::page_response(offset, items.len(), total);
        let ids: Vec<i64> = items.iter().map(|a| a.id).collect();
        let recs = recs_of_many(c, &p.id, SourceKind::Audit, &ids).await?;
        Ok(Response::new(pb::ListAuditsResponse {
            audits: items
                .iter()
                .map(|a| {
                    audit_out(
                        a,
                        recs.get(&a.id.to_string())
                            .map(Vec::as_slice)
                            .unwrap_or(&[]),
                    )
                })
                .collect(),
            page: Some(page),
        }))
    }

    async fn update_audit(&self, request: Request<pb::UpdateAuditRequest>) -> Res<pb::Audit> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = id_in(&mut v, "id", &req.id);
        let status = optional_enum(&mut v, "status", req.status, audit_status_in(req.status));
        let findings = texts_in(&mut v, "add_findings", &req.add_findings);
        v.into_result()?;
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        if !store::update_audit(&*txn, &p.id, id, status, &findings)
            .await
            .map_err(db)?
        {
            return Err(Error::not_found(format!("audit {id}")).into());
        }
        let a = store::get_audit(&*txn, &p.id, id)
            .await
            .map_err(db)?
            .ok_or_else(|| Status::internal("audit vanished"))?;
        let out = audit_out(&a, &recs_of(&*txn, &p.id, SourceKind::Audit, id).await?);
        txn.commit().await.map_err(db)?;
        Ok(Response::new(out))
    }

    async fn submit_case_reviews(
        &self,
        request: Request<pb::SubmitCaseReviewsRequest>,
    ) -> Res<pb::SubmitCaseReviewsResponse> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "SubmitCaseReviews", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        let id = id_in(&mut v, "audit_id", &req.audit_id);
        v.into_result()?;
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        let audit = store::get_audit(&*txn, &p.id, id)
            .await
            .map_err(db)?
            .ok_or_else(|| Status::from(Error::not_found(format!("audit {id}"))))?;
        if audit.status == AuditStatus::Complete {
            return Err(Error::precondition(
                "AUDIT_COMPLETE",
                format!("audit/{id}"),
                format!("audit {id} is complete; no more case reviews can be added"),
            )
            .into());
        }
        let existing: BTreeSet<String> = store::case_references(&*txn, id)
            .await
            .map_err(db)?
            .into_iter()
            .collect();
        let mut v = Violations::new();
        let reviews = case_reviews_in(&mut v, p, &audit, &existing, &req.case_reviews);
        v.into_result()?;
        let ids = store::insert_case_reviews(&*txn, &p.id, id, &reviews)
            .await
            .map_err(|e| {
                conflict_or_db(
                    e,
                    "a case reference of this batch was just submitted by another request",
                )
            })?;
        let out = pb::SubmitCaseReviewsResponse {
            audit_id: id.to_string(),
            case_review_ids: ids.iter().map(|i| i.to_string()).collect(),
            case_count: audit.case_count + ids.len() as u32,
        };
        idempotency::complete(idem.as_ref(), &*txn, &out).await?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(out))
    }

    async fn list_case_reviews(
        &self,
        request: Request<pb::ListCaseReviewsRequest>,
    ) -> Res<pb::ListCaseReviewsResponse> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = id_in(&mut v, "audit_id", &req.audit_id);
        let (offset, limit) = proto_conv::page(&mut v, "page", req.page.as_ref());
        v.into_result()?;
        let c = self.ctx.db.conn();
        if store::get_audit(c, &p.id, id).await.map_err(db)?.is_none() {
            return Err(Error::not_found(format!("audit {id}")).into());
        }
        let all = store::case_reviews(c, &p.id, &[id])
            .await
            .map_err(db)?
            .remove(&id)
            .unwrap_or_default();
        let (items, page) = page(&all, offset, limit);
        Ok(Response::new(pb::ListCaseReviewsResponse {
            case_reviews: items.iter().map(review_out).collect(),
            page: Some(page),
        }))
    }

    async fn get_audit_summary(
        &self,
        request: Request<pb::GetAuditSummaryRequest>,
    ) -> Res<pb::AuditSummary> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let mut v = Violations::new();
        let id = id_in(&mut v, "audit_id", &request.get_ref().audit_id);
        v.into_result()?;
        let c = self.ctx.db.conn();
        let audit = store::get_audit(c, &p.id, id)
            .await
            .map_err(db)?
            .ok_or_else(|| Status::from(Error::not_found(format!("audit {id}"))))?;
        let previous = store::previous_audit(c, &p.id, &audit).await.map_err(db)?;
        let mut ids = vec![id];
        ids.extend(previous.as_ref().map(|a| a.id));
        let mut reviews = store::case_reviews(c, &p.id, &ids).await.map_err(db)?;
        let s = domain::summarize(
            &audit.themes,
            &audit.questions,
            &reviews.remove(&id).unwrap_or_default(),
        );
        let comparison = previous.map(|prev| {
            let ps = domain::summarize(
                &prev.themes,
                &prev.questions,
                &reviews.remove(&prev.id).unwrap_or_default(),
            );
            pb::AuditComparison {
                previous_audit_id: prev.id.to_string(),
                previous_title: prev.title.clone(),
                previous_period: Some(proto_conv::period_to_pb(prev.period)),
                overall: share_changes_out(&ps.overall, &s.overall),
                questions: domain::rate_changes(&ps, &s)
                    .into_iter()
                    .map(|r| pb::QuestionRateChange {
                        question: r.question,
                        previous_rate: dec(r.previous),
                        current_rate: dec(r.current),
                        change: dec(r.change),
                    })
                    .collect(),
            }
        });
        let recs = recs_of(c, &p.id, SourceKind::Audit, id).await?;
        Ok(Response::new(pb::AuditSummary {
            audit: Some(audit_out(&audit, &recs)),
            case_count: s.case_count,
            overall: Some(distribution_out(&s.overall)),
            themes: s
                .themes
                .iter()
                .map(|(t, d)| pb::ThemeSummary {
                    theme: Some(pb::Theme {
                        code: t.code.clone(),
                        title: t.title.clone(),
                    }),
                    grades: Some(distribution_out(d)),
                })
                .collect(),
            questions: summary_questions(&s),
            previous: comparison,
            agencies: s
                .agencies
                .iter()
                .map(|(a, n)| pb::AgencyCaseCount {
                    agency: a.clone(),
                    cases: *n,
                })
                .collect(),
        }))
    }

    async fn get_programme_trend(
        &self,
        request: Request<pb::GetProgrammeTrendRequest>,
    ) -> Res<pb::ProgrammeTrend> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let programme = request.into_inner().programme;
        if programme.trim().is_empty() {
            return Err(Error::invalid("programme", "is required").into());
        }
        let c = self.ctx.db.conn();
        let audits = store::list_audits(
            c,
            &p.id,
            &store::AuditFilter {
                programme: Some(programme.clone()),
                ..Default::default()
            },
            None,
        )
        .await
        .map_err(db)?;
        if audits.is_empty() {
            return Err(Error::not_found(format!("programme '{programme}'")).into());
        }
        let ids: Vec<i64> = audits.iter().map(|a| a.id).collect();
        let mut reviews = store::case_reviews(c, &p.id, &ids).await.map_err(db)?;
        let mut all_reviews = Vec::new();
        let mut points = Vec::new();
        let mut first_last: Vec<Distribution> = Vec::new();
        for a in &audits {
            let rs = reviews.remove(&a.id).unwrap_or_default();
            let s = domain::summarize(&a.themes, &a.questions, &rs);
            first_last.push(s.overall);
            points.push(pb::TrendPoint {
                audit_id: a.id.to_string(),
                title: a.title.clone(),
                period: Some(proto_conv::period_to_pb(a.period)),
                case_count: s.case_count,
                overall: Some(distribution_out(&s.overall)),
                questions: summary_questions(&s),
            });
            all_reviews.extend(rs);
        }
        let (themes, questions) = domain::union_themes_questions(&audits);
        let total = domain::summarize(&themes, &questions, &all_reviews);
        let first_to_last = match (first_last.first(), first_last.last()) {
            (Some(f), Some(l)) if first_last.len() > 1 => share_changes_out(f, l),
            _ => vec![],
        };
        Ok(Response::new(pb::ProgrammeTrend {
            programme,
            points,
            case_count: total.case_count,
            overall: Some(distribution_out(&total.overall)),
            questions: summary_questions(&total),
            first_to_last,
        }))
    }
}

// ------------------------------------------------------------------------------------------
// InspectionService
// ------------------------------------------------------------------------------------------

fn inspection_in(
    v: &mut Violations,
    p: &Partnership,
    i: Option<&pb::Inspection>,
) -> (Inspection, Vec<NewRecommendation>) {
    let default = pb::Inspection::default();
    if i.is_none() {
        v.add("inspection", "is required");
    }
    let i = i.unwrap_or(&default);
    let inspectorate = required_enum(
        v,
        "inspection.inspectorate",
        i.inspectorate,
        inspectorate_in(i.inspectorate),
    );
    if inspectorate == Some(Inspectorate::Other) && i.inspectorate_name.trim().is_empty() {
        v.add(
            "inspection.inspectorate_name",
            "is required when the inspectorate is OTHER",
        );
    }
    let inspection_date = date_in(v, "inspection.inspection_date", &i.inspection_date);
    let agency = agency_in(v, "inspection.agency", p, &i.agency);
    if let (Some(a), Some(d)) = (p.agency(&agency), inspection_date)
        && !a.valid_at(d)
    {
        v.add(
            "inspection.agency",
            format!("'{agency}' did not exist on {d}"),
        );
    }
    let out = Inspection {
        id: 0,
        inspectorate: inspectorate.unwrap_or(Inspectorate::Other),
        inspectorate_name: i.inspectorate_name.trim().to_string(),
        agency,
        title: text_in(v, "inspection.title", &i.title),
        inspection_date: inspection_date.unwrap_or_default(),
        scope: i.scope.trim().to_string(),
        judgement: i.judgement.trim().to_string(),
        key_findings: texts_in(v, "inspection.key_findings", &i.key_findings),
        assurance_date: opt_date_in(v, "inspection.assurance_date", &i.assurance_date),
        assurance_note: i.assurance_note.trim().to_string(),
    };
    let recs = recommendations_in(v, "inspection.recommendations", p, &i.recommendations);
    (out, recs)
}

#[tonic::async_trait]
impl pb::inspection_service_server::InspectionService for Api {
    async fn create_inspection(
        &self,
        request: Request<pb::CreateInspectionRequest>,
    ) -> Res<pb::Inspection> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "CreateInspection", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        let (insp, recs) = inspection_in(&mut v, p, req.inspection.as_ref());
        v.into_result()?;
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        let id = store::insert_inspection(&*txn, &p.id, &insp)
            .await
            .map_err(db)?;
        add_recs(&*txn, &p.id, SourceKind::Inspection, id, &recs).await?;
        let stored = Inspection { id, ..insp };
        let out = inspection_out(
            &stored,
            &recs_of(&*txn, &p.id, SourceKind::Inspection, id).await?,
        );
        idempotency::complete(idem.as_ref(), &*txn, &out).await?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(out))
    }

    async fn get_inspection(
        &self,
        request: Request<pb::GetInspectionRequest>,
    ) -> Res<pb::Inspection> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let mut v = Violations::new();
        let id = id_in(&mut v, "id", &request.get_ref().id);
        v.into_result()?;
        let c = self.ctx.db.conn();
        let i = store::get_inspection(c, &p.id, id)
            .await
            .map_err(db)?
            .ok_or_else(|| Status::from(Error::not_found(format!("inspection {id}"))))?;
        Ok(Response::new(inspection_out(
            &i,
            &recs_of(c, &p.id, SourceKind::Inspection, id).await?,
        )))
    }

    async fn list_inspections(
        &self,
        request: Request<pb::ListInspectionsRequest>,
    ) -> Res<pb::ListInspectionsResponse> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let inspectorate = optional_enum(
            &mut v,
            "inspectorate",
            req.inspectorate,
            inspectorate_in(req.inspectorate),
        );
        let agency = (!req.agency.is_empty()).then(|| agency_in(&mut v, "agency", p, &req.agency));
        let within = req
            .within
            .as_ref()
            .and_then(|w| proto_conv::period(&mut v, "within", Some(w)));
        let (offset, limit) = proto_conv::page(&mut v, "page", req.page.as_ref());
        v.into_result()?;
        let filter = store::InspectionFilter {
            inspectorate,
            agency,
            within,
        };
        let c = self.ctx.db.conn();
        let total = store::count_inspections(c, &p.id, &filter)
            .await
            .map_err(db)?;
        let items = if offset < total {
            store::list_inspections(c, &p.id, &filter, Some((offset, limit)))
                .await
                .map_err(db)?
        } else {
            vec![]
        };
        let page = proto_conv::page_response(offset, items.len(), total);
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        let recs = recs_of_many(c, &p.id, SourceKind::Inspection, &ids).await?;
        Ok(Response::new(pb::ListInspectionsResponse {
            inspections: items
                .iter()
                .map(|i| {
                    inspection_out(
                        i,
                        recs.get(&i.id.to_string())
                            .map(Vec::as_slice)
                            .unwrap_or(&[]),
                    )
                })
                .collect(),
            page: Some(page),
        }))
    }

    async fn record_inspection_assurance(
        &self,
        request: Request<pb::RecordInspectionAssuranceRequest>,
    ) -> Res<pb::Inspection> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = id_in(&mut v, "id", &req.id);
        let date = date_in(&mut v, "assurance_date", &req.assurance_date);
        v.into_result()?;
        let date = date.unwrap_or_default();
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        if !store::set_inspection_assurance(&*txn, &p.id, id, date, req.note.trim())
            .await
            .map_err(db)?
        {
            return Err(Error::not_found(format!("inspection {id}")).into());
        }
        let i = store::get_inspection(&*txn, &p.id, id)
            .await
            .map_err(db)?
            .ok_or_else(|| Status::internal("inspection vanished"))?;
        let out = inspection_out(
            &i,
            &recs_of(&*txn, &p.id, SourceKind::Inspection, id).await?,
        );
        txn.commit().await.map_err(db)?;
        Ok(Response::new(out))
    }
}

// ------------------------------------------------------------------------------------------
// LearningReviewService
// ------------------------------------------------------------------------------------------

fn learning_review_in(
    v: &mut Violations,
    p: &Partnership,
    r: Option<&pb::LearningReview>,
) -> (LearningReview, Vec<NewRecommendation>) {
    let default = pb::LearningReview::default();
    if r.is_none() {
        v.add("review", "is required");
    }
    let r = r.unwrap_or(&default);
    let review_type = required_enum(v, "review.type", r.r#type, review_type_in(r.r#type));
    let reference = r.reference.trim().to_string();
    if reference.is_empty() {
        v.add("review.reference", "is required");
    } else if reference.len() > 64 {
        v.add("review.reference", "must be at most 64 characters");
    }
    let status = optional_enum(v, "review.status", r.status, review_status_in(r.status))
        .unwrap_or(ReviewStatus::Commissioned);
    let publication_date = opt_date_in(v, "review.publication_date", &r.publication_date);
    check_publication(
        v,
        "review.publication_date",
        status,
        publication_date,
        &r.publication_date,
    );
    let agencies = r
        .agencies
        .iter()
        .enumerate()
        .map(|(i, a)| agency_in(v, &format!("review.agencies[{i}]"), p, a))
        .collect();
    let out = LearningReview {
        id: 0,
        review_type: review_type.unwrap_or(ReviewType::Other),
        reference,
        title: text_in(v, "review.title", &r.title),
        commissioned_date: date_in(v, "review.commissioned_date", &r.commissioned_date)
            .unwrap_or_default(),
        status,
        publication_date,
        key_learning: texts_in(v, "review.key_learning", &r.key_learning),
        agencies,
    };
    let recs = recommendations_in(v, "review.recommendations", p, &r.recommendations);
    (out, recs)
}

fn check_publication(
    v: &mut Violations,
    field: &str,
    status: ReviewStatus,
    date: Option<NaiveDate>,
    raw: &str,
) {
    if status == ReviewStatus::Published && date.is_none() && raw.is_empty() {
        v.add(field, "is required when the review is published");
    }
    if status != ReviewStatus::Published && !raw.is_empty() {
        v.add(field, "must be empty unless the review is published");
    }
}

#[tonic::async_trait]
impl pb::learning_review_service_server::LearningReviewService for Api {
    async fn create_learning_review(
        &self,
        request: Request<pb::CreateLearningReviewRequest>,
    ) -> Res<pb::LearningReview> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "CreateLearningReview", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        let (review, recs) = learning_review_in(&mut v, p, req.review.as_ref());
        v.into_result()?;
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        if store::learning_review_by_reference(&*txn, &p.id, &review.reference)
            .await
            .map_err(db)?
        {
            return Err(Error::invalid(
                "review.reference",
                format!("'{}' is already used by another review", review.reference),
            )
            .into());
        }
        let id = store::insert_learning_review(&*txn, &p.id, &review)
            .await
            .map_err(|e| {
                conflict_or_db(e, "this review reference was just used by another request")
            })?;
        add_recs(&*txn, &p.id, SourceKind::LearningReview, id, &recs).await?;
        let stored = LearningReview { id, ..review };
        let out = learning_review_out(
            &stored,
            &recs_of(&*txn, &p.id, SourceKind::LearningReview, id).await?,
        );
        idempotency::complete(idem.as_ref(), &*txn, &out).await?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(out))
    }

    async fn get_learning_review(
        &self,
        request: Request<pb::GetLearningReviewRequest>,
    ) -> Res<pb::LearningReview> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let mut v = Violations::new();
        let id = id_in(&mut v, "id", &request.get_ref().id);
        v.into_result()?;
        let c = self.ctx.db.conn();
        let r = store::get_learning_review(c, &p.id, id)
            .await
            .map_err(db)?
            .ok_or_else(|| Status::from(Error::not_found(format!("learning review {id}"))))?;
        Ok(Response::new(learning_review_out(
            &r,
            &recs_of(c, &p.id, SourceKind::LearningReview, id).await?,
        )))
    }

    async fn list_learning_reviews(
        &self,
        request: Request<pb::ListLearningReviewsRequest>,
    ) -> Res<pb::ListLearningReviewsResponse> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let t = optional_enum(&mut v, "type", req.r#type, review_type_in(req.r#type));
        let s = optional_enum(&mut v, "status", req.status, review_status_in(req.status));
        let (offset, limit) = proto_conv::page(&mut v, "page", req.page.as_ref());
        v.into_result()?;
        let c = self.ctx.db.conn();
        let all = store::list_learning_reviews(c, &p.id, t, s)
            .await
            .map_err(db)?;
        let status_counts = ReviewStatus::ALL
            .iter()
            .map(|st| pb::LearningReviewStatusCount {
                status: review_status_out(*st),
                count: all.iter().filter(|r| r.status == *st).count() as u32,
            })
            .collect();
        let (items, page) = page(&all, offset, limit);
        let ids: Vec<i64> = items.iter().map(|r| r.id).collect();
        let recs = recs_of_many(c, &p.id, SourceKind::LearningReview, &ids).await?;
        Ok(Response::new(pb::ListLearningReviewsResponse {
            reviews: items
                .iter()
                .map(|r| {
                    learning_review_out(
                        r,
                        recs.get(&r.id.to_string())
                            .map(Vec::as_slice)
                            .unwrap_or(&[]),
                    )
                })
                .collect(),
            page: Some(page),
            status_counts,
        }))
    }

    async fn update_learning_review(
        &self,
        request: Request<pb::UpdateLearningReviewRequest>,
    ) -> Res<pb::LearningReview> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = id_in(&mut v, "id", &req.id);
        let status = optional_enum(&mut v, "status", req.status, review_status_in(req.status));
        let date = opt_date_in(&mut v, "publication_date", &req.publication_date);
        let learning = texts_in(&mut v, "add_key_learning", &req.add_key_learning);
        v.into_result()?;
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        let mut r = store::get_learning_review(&*txn, &p.id, id)
            .await
            .map_err(db)?
            .ok_or_else(|| Status::from(Error::not_found(format!("learning review {id}"))))?;
        if let Some(s) = status {
            r.status = s;
        }
        if date.is_some() {
            r.publication_date = date;
        }
        if r.status != ReviewStatus::Published && status.is_some() && date.is_none() {
            r.publication_date = None;
        }
        let mut v = Violations::new();
        if r.status == ReviewStatus::Published && r.publication_date.is_none() {
            v.add(
                "publication_date",
                "is required when the review is published",
            );
        }
        if r.status != ReviewStatus::Published && date.is_some() {
            v.add(
                "publication_date",
                "must be empty unless the review is published",
            );
        }
        v.into_result()?;
        r.key_learning.extend(learning);
        store::update_learning_review(&*txn, &p.id, &r)
            .await
            .map_err(db)?;
        let out = learning_review_out(
            &r,
            &recs_of(&*txn, &p.id, SourceKind::LearningReview, id).await?,
        );
        txn.commit().await.map_err(db)?;
        Ok(Response::new(out))
    }

    async fn get_implementation_summary(
        &self,
        request: Request<pb::GetImplementationSummaryRequest>,
    ) -> Res<pb::ImplementationSummary> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let kind = optional_enum(
            &mut v,
            "source_kind",
            req.source_kind,
            source_in(req.source_kind),
        );
        let as_of = as_of_in(&mut v, &req.as_of);
        v.into_result()?;
        let c = self.ctx.db.conn();
        let by_source = store::recommendations(c, &p.id, kind.map(|k| k.as_str()), None)
            .await
            .map_err(db)?;
        let sources: Vec<(String, String)> = by_source.keys().cloned().collect();
        let labels = store::source_labels(c, &p.id, &sources).await.map_err(db)?;
        let mut keys: Vec<&(String, String)> = by_source.keys().collect();
        keys.sort_by_key(|(k, id)| (k.clone(), id.parse::<i64>().unwrap_or(i64::MAX), id.clone()));
        let mut all_recs: Vec<Recommendation> = Vec::new();
        let mut sources = Vec::new();
        for key in keys {
            let recs = &by_source[key];
            let e = domain::implementation(recs, as_of);
            sources.push(pb::SourceImplementation {
                source_kind: source_out(&key.0),
                source_id: key.1.clone(),
                label: labels.get(key).cloned().unwrap_or_else(|| key.1.clone()),
                recommendations: e.recommendations,
                implemented: e.implemented,
                actions: e.actions,
                actions_completed: e.actions_completed,
                actions_overdue: e.actions_overdue,
                implemented_share: dec(domain::share(e.implemented, e.recommendations)),
            });
            all_recs.extend(recs.iter().cloned());
        }
        let total = domain::implementation(&all_recs, as_of);
        let agencies = domain::by_agency(&all_recs, as_of)
            .into_iter()
            .map(|(agency, e)| pb::AgencyImplementation {
                agency,
                recommendations: e.recommendations,
                implemented: e.implemented,
                actions: e.actions,
                actions_completed: e.actions_completed,
                actions_overdue: e.actions_overdue,
            })
            .collect();
        Ok(Response::new(pb::ImplementationSummary {
            sources,
            agencies,
            recommendations: total.recommendations,
            implemented: total.implemented,
            as_of: as_of.to_string(),
        }))
    }
}

// ------------------------------------------------------------------------------------------
// ActionService
// ------------------------------------------------------------------------------------------

#[tonic::async_trait]
impl pb::action_service_server::ActionService for Api {
    async fn add_recommendation(
        &self,
        request: Request<pb::AddRecommendationRequest>,
    ) -> Res<pb::Recommendation> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.scope(&claims)?;
        let mut req = request.into_inner();
        let idem = Idempotency::of(&p.id, "AddRecommendation", &mut req, |r| {
            &mut r.idempotency_key
        })?;
        let mut v = Violations::new();
        let kind = required_enum(
            &mut v,
            "source_kind",
            req.source_kind,
            source_in(req.source_kind),
        );
        if kind == Some(SourceKind::Section11) {
            v.add(
                "source_kind",
                "Section 11 actions are recorded with the Section 11 return",
            );
        }
        let id = id_in(&mut v, "source_id", &req.source_id);
        let rec = match &req.recommendation {
            Some(r) => Some(recommendation_in(
                &mut v,
                "recommendation",
                p,
                r,
                &mut BTreeSet::new(),
            )),
            None => {
                v.add("recommendation", "is required");
                None
            }
        };
        v.into_result()?;
        let (Some(kind), Some(rec)) = (kind, rec) else {
            return Err(Error::invalid("recommendation", "is required").into());
        };
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(Response::new(r));
        }
        let exists = match kind {
            SourceKind::Audit => store::get_audit(&*txn, &p.id, id)
                .await
                .map_err(db)?
                .is_some(),
            SourceKind::Inspection => store::get_inspection(&*txn, &p.id, id)
                .await
                .map_err(db)?
                .is_some(),
            SourceKind::LearningReview => store::get_learning_review(&*txn, &p.id, id)
                .await
                .map_err(db)?
                .is_some(),
            SourceKind::Section11 => false,
        };
        if !exists {
            return Err(Error::not_found(format!("{} {id}", kind.as_str())).into());
        }
        store::add_recommendation(&*txn, &p.id, kind.as_str(), &id.to_string(), &rec)
            .await
            .map_err(db)?;
        let out = recs_of(&*txn, &p.id, kind, id)
            .await?
            .into_iter()
            .find(|r| r.text == rec.text)
            .map(|r| recommendation_out(&r))
            .ok_or_else(|| Status::internal("recommendation vanished"))?;
        idempotency::complete(idem.as_ref(), &*txn, &out).await?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(out))
    }

    async fn update_action(&self, request: Request<pb::UpdateActionRequest>) -> Res<pb::Action> {
        let claims = caller(&request)?;
        claims.require_writer()?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = id_in(&mut v, "id", &req.id);
        let status = optional_enum(&mut v, "status", req.status, action_status_in(req.status));
        let completed = opt_date_in(&mut v, "completed_date", &req.completed_date);
        let due = opt_date_in(&mut v, "due_date", &req.due_date);
        v.into_result()?;
        if due.is_some() {
            claims.require_admin().map_err(|_| {
                Status::from(Error::permission_denied(
                    "only an admin can change an action's due date",
                ))
            })?;
        }
        let txn = self.ctx.db.begin_write().await.map_err(db)?;
        let mut a = store::get_action(&*txn, &p.id, id)
            .await
            .map_err(db)?
            .ok_or_else(|| Status::from(Error::not_found(format!("action {id}"))))?;
        claims.require_agency_write(&a.owner_agency)?;
        if let Some(s) = status {
            a.status = s;
        }
        if !req.completion_evidence.trim().is_empty() {
            a.completion_evidence = req.completion_evidence.trim().to_string();
        }
        if let Some(d) = due {
            a.due_date = d;
        }
        let mut v = Violations::new();
        if a.status == ActionStatus::Completed {
            if a.completion_evidence.is_empty() {
                v.add("completion_evidence", "is required to complete an action");
            }
            a.completed_on = completed.or(a.completed_on).or_else(|| Some(today()));
        } else {
            if completed.is_some() {
                v.add("completed_date", "is only accepted when completing");
            }
            a.completed_on = None;
        }
        v.into_result()?;
        store::update_action(&*txn, &p.id, &a, &claims.actor())
            .await
            .map_err(db)?;
        txn.commit().await.map_err(db)?;
        Ok(Response::new(action_out(&a, today())))
    }

    async fn list_actions(
        &self,
        request: Request<pb::ListActionsRequest>,
    ) -> Res<pb::ListActionsResponse> {
        let claims = caller(&request)?;
        let p = self.scope(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let owner_agency = (!req.owner_agency.is_empty())
            .then(|| agency_in(&mut v, "owner_agency", p, &req.owner_agency));
        let kind = optional_enum(
            &mut v,
            "source_kind",
            req.source_kind,
            source_in(req.source_kind),
        );
        let status = optional_enum(&mut v, "status", req.status, action_status_in(req.status));
        let as_of = as_of_in(&mut v, &req.as_of);
        let (offset, limit) = proto_conv::page(&mut v, "page", req.page.as_ref());
        v.into_result()?;
        let filter = store::ActionFilter {
            owner_agency,
            source_kind: kind.map(|k| k.as_str().to_string()),
            source_id: (!req.source_id.is_empty()).then(|| req.source_id.clone()),
            status,
            overdue_at: req.overdue_only.then_some(as_of),
        };
        let all = store::list_actions(self.ctx.db.conn(), &p.id, &filter)
            .await
            .map_err(db)?;
        let group = |key: &dyn Fn(&Action) -> String| -> Vec<pb::GroupCount> {
            let mut m: BTreeMap<String, pb::GroupCount> = BTreeMap::new();
            for a in &all {
                let k = key(a);
                let e = m.entry(k.clone()).or_insert_with(|| pb::GroupCount {
                    key: k,
                    ..Default::default()
                });
                e.total += 1;
                if a.status == ActionStatus::Completed {
                    e.completed += 1;
                }
                if a.overdue_at(as_of) {
                    e.overdue += 1;
                }
            }
            m.into_values().collect()
        };
        let counts = pb::ActionCounts {
            total: all.len() as u32,
            overdue: all.iter().filter(|a| a.overdue_at(as_of)).count() as u32,
            by_status: ActionStatus::ALL
                .iter()
                .map(|s| pb::StatusCount {
                    status: action_status_out(*s),
                    count: all.iter().filter(|a| a.status == *s).count() as u32,
                })
                .collect(),
            by_agency: group(&|a| a.owner_agency.clone()),
            by_source: group(&|a| a.source_kind.clone()),
        };
        let (items, page) = page(&all, offset, limit);
        Ok(Response::new(pb::ListActionsResponse {
            actions: items.iter().map(|a| action_out(a, as_of)).collect(),
            page: Some(page),
            counts: Some(counts),
            as_of: as_of.to_string(),
        }))
    }
}
