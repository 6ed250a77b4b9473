//! The only module of part 1 that knows sea-orm: reads and writes of audits, case reviews,
//! inspections, learning reviews, recommendations and actions. Every
//! function is scoped by partnership and takes any connection, so writes run inside the
//! caller's transaction (`&*txn`) and reads on `db.conn()`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use lscb_platform::{Granularity, Period};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::actions::{NewAction, insert_action};
use super::domain::{
    Action, ActionStatus, Audit, AuditStatus, AuditType, CaseReview, Inspection, Inspectorate,
    LearningReview, NewRecommendation, Recommendation, ReviewStatus, ReviewType,
};
use super::entity::{action, audit, case_review, inspection, learning_review, recommendation};

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn from_json<T: DeserializeOwned>(s: &str, what: &str) -> Result<T, DbErr> {
    serde_json::from_str(s).map_err(|e| DbErr::Custom(format!("corrupt {what} column: {e}")))
}

fn corrupt(what: &str, v: &str) -> DbErr {
    DbErr::Custom(format!("corrupt stored {what} '{v}'"))
}

/// Ids per `IN (…)` list, well under both backends' bind-parameter limits.
const IN_CHUNK: usize = 500;

/// A page of a list: (offset, limit); `None` = the whole list.
pub(crate) type Page = Option<(u64, u64)>;

fn paged<E: EntityTrait>(q: Select<E>, page: Page) -> Select<E> {
    match page {
        Some((offset, limit)) => q.offset(offset).limit(limit),
        None => q,
    }
}

// ------------------------------------------------------------------------------------------
// Audits and case reviews
// ------------------------------------------------------------------------------------------

fn audit_from(m: audit::Model, case_count: u32) -> Result<Audit, DbErr> {
    Ok(Audit {
        id: m.id,
        audit_type: AuditType::parse(&m.audit_type)
            .ok_or_else(|| corrupt("audit type", &m.audit_type))?,
        topic: m.topic,
        title: m.title,
        strategic_priority: m.strategic_priority,
        period: Period::parse(&m.period).map_err(|_| corrupt("period", &m.period))?,
        status: AuditStatus::parse(&m.status).ok_or_else(|| corrupt("audit status", &m.status))?,
        themes: from_json(&m.themes, "themes")?,
        questions: from_json(&m.questions, "questions")?,
        programme: m.programme,
        lead_agency: m.lead_agency,
        findings: from_json(&m.findings, "findings")?,
        case_count,
    })
}

pub(crate) async fn insert_audit<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    a: &Audit,
) -> Result<i64, DbErr> {
    let m = audit::ActiveModel {
        partnership: Set(partnership.into()),
        audit_type: Set(a.audit_type.as_str().into()),
        topic: Set(a.topic.clone()),
        title: Set(a.title.clone()),
        strategic_priority: Set(a.strategic_priority.clone()),
        period: Set(a.period.to_string()),
        status: Set(a.status.as_str().into()),
        programme: Set(a.programme.clone()),
        lead_agency: Set(a.lead_agency.clone()),
        period_start: Set(a.period.first_day()),
        themes: Set(to_json(&a.themes)),
        questions: Set(to_json(&a.questions)),
        findings: Set(to_json(&a.findings)),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(m.id)
}

/// The number of case reviews of each of the given audits (absent: none), by one grouped
/// query per chunk of ids.
async fn case_counts<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    audit_ids: &[i64],
) -> Result<HashMap<i64, u32>, DbErr> {
    let mut out = HashMap::with_capacity(audit_ids.len());
    for chunk in audit_ids.chunks(IN_CHUNK) {
        let rows: Vec<(i64, i64)> = case_review::Entity::find()
            .select_only()
            .column(case_review::Column::AuditId)
            .column_as(
                Expr::from(Func::count(Expr::col(case_review::Column::Id))),
                "n",
            )
            .filter(case_review::Column::Partnership.eq(partnership))
            .filter(case_review::Column::AuditId.is_in(chunk.iter().copied()))
            .group_by(case_review::Column::AuditId)
            .into_tuple()
            .all(c)
            .await?;
        out.extend(rows.into_iter().map(|(a, n)| (a, n as u32)));
    }
    Ok(out)
}

pub(crate) async fn get_audit<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    id: i64,
) -> Result<Option<Audit>, DbErr> {
    let Some(m) = audit::Entity::find_by_id(id)
        .filter(audit::Column::Partnership.eq(partnership))
        .one(c)
        .await?
    else {
        return Ok(None);
    };
    let n = case_review::Entity::find()
        .filter(case_review::Column::AuditId.eq(id))
        .count(c)
        .await?;
    audit_from(m, n as u32).map(Some)
}

/// Filters of [`list_audits`]; `None` = any.
#[derive(Debug, Default)]
pub(crate) struct AuditFilter {
    pub audit_type: Option<AuditType>,
    pub programme: Option<String>,
    pub status: Option<AuditStatus>,
    /// Audits whose period lies wholly inside this one ([`Period::contains`]).
    pub within: Option<Period>,
}

/// Every period lying wholly inside `w`: itself, its quarters and its months.
fn periods_inside(w: Period) -> Vec<Period> {
    [Granularity::Year, Granularity::Quarter, Granularity::Month]
        .into_iter()
        .flat_map(|g| w.periods_within(g))
        .collect()
}

fn audit_query(partnership: &str, f: &AuditFilter) -> Select<audit::Entity> {
    let mut q = audit::Entity::find().filter(audit::Column::Partnership.eq(partnership));
    if let Some(t) = f.audit_type {
        q = q.filter(audit::Column::AuditType.eq(t.as_str()));
    }
    if let Some(p) = &f.programme {
        q = q.filter(audit::Column::Programme.eq(p.as_str()));
    }
    if let Some(s) = f.status {
        q = q.filter(audit::Column::Status.eq(s.as_str()));
    }
    if let Some(w) = f.within {
        // `w.contains(period)` in SQL: the audit's period is one of the (at most 17)
        // periods inside `w`, by its code (every period has exactly one code).
        q = q.filter(audit::Column::Period.is_in(periods_inside(w).iter().map(|p| p.to_string())));
    }
    q
}

/// How many audits match `f`.
pub(crate) async fn count_audits<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    f: &AuditFilter,
) -> Result<u64, DbErr> {
    audit_query(partnership, f).count(c).await
}

/// The audits matching `f` (or a page of them), ordered by period start, then id, each
/// with its number of case reviews.
pub(crate) async fn list_audits<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    f: &AuditFilter,
    page: Page,
) -> Result<Vec<Audit>, DbErr> {
    let q = audit_query(partnership, f)
        .order_by_asc(audit::Column::PeriodStart)
        .order_by_asc(audit::Column::Id);
    let rows = paged(q, page).all(c).await?;
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let counts = case_counts(c, partnership, &ids).await?;
    rows.into_iter()
        .map(|m| {
            let n = counts.get(&m.id).copied().unwrap_or(0);
            audit_from(m, n)
        })
        .collect()
}

/// The audit `current` is compared with: the latest earlier one (by period start, then
/// id) of the same type and topic, as [`super::domain::previous_audit`] chooses it. Only
/// the ids and topics of the earlier audits of the type are read; the topic is compared
/// here, ignoring ASCII case exactly as the domain rule does.
pub(crate) async fn previous_audit<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    current: &Audit,
) -> Result<Option<Audit>, DbErr> {
    use audit::Column as K;
    let start = current.period.first_day();
    let earlier: Vec<(i64, String)> = audit::Entity::find()
        .select_only()
        .column(K::Id)
        .column(K::Topic)
        .filter(K::Partnership.eq(partnership))
        .filter(K::AuditType.eq(current.audit_type.as_str()))
        .filter(
            Condition::any().add(K::PeriodStart.lt(start)).add(
                Condition::all()
                    .add(K::PeriodStart.eq(start))
                    .add(K::Id.lt(current.id)),
            ),
        )
        .order_by_desc(K::PeriodStart)
        .order_by_desc(K::Id)
        .into_tuple()
        .all(c)
        .await?;
    match earlier
        .into_iter()
        .find(|(_, topic)| topic.eq_ignore_ascii_case(&current.topic))
    {
        Some((id, _)) => get_audit(c, partnership, id).await,
        None => Ok(None),
    }
}

/// Labels of recommendation sources for [`recommendations`]' keys: an audit's or an
/// inspection's title, a learning review's reference. Only the sources asked for are read;
/// keys of other kinds, unknown ids and other partnerships' records get no label.
pub(crate) async fn source_labels<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    sources: &[(String, String)],
) -> Result<BTreeMap<(String, String), String>, DbErr> {
    let ids_of = |kind: &str| -> Vec<i64> {
        sources
            .iter()
            .filter(|(k, _)| k == kind)
            .filter_map(|(_, id)| id.parse::<i64>().ok())
            .collect()
    };
    let mut out = BTreeMap::new();
    let mut put = |kind: &str, rows: Vec<(i64, String)>| {
        for (id, label) in rows {
            out.insert((kind.to_string(), id.to_string()), label);
        }
    };
    for chunk in ids_of("audit").chunks(IN_CHUNK) {
        let rows = audit::Entity::find()
            .select_only()
            .column(audit::Column::Id)
            .column(audit::Column::Title)
            .filter(audit::Column::Partnership.eq(partnership))
            .filter(audit::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(c)
            .await?;
        put("audit", rows);
    }
    for chunk in ids_of("inspection").chunks(IN_CHUNK) {
        let rows = inspection::Entity::find()
            .select_only()
            .column(inspection::Column::Id)
            .column(inspection::Column::Title)
            .filter(inspection::Column::Partnership.eq(partnership))
            .filter(inspection::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(c)
            .await?;
        put("inspection", rows);
    }
    for chunk in ids_of("learning_review").chunks(IN_CHUNK) {
        let rows = learning_review::Entity::find()
            .select_only()
            .column(learning_review::Column::Id)
            .column(learning_review::Column::Reference)
            .filter(learning_review::Column::Partnership.eq(partnership))
            .filter(learning_review::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(c)
            .await?;
        put("learning_review", rows);
    }
    Ok(out)
}

pub(crate) async fn update_audit<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    id: i64,
    status: Option<AuditStatus>,
    add_findings: &[String],
) -> Result<bool, DbErr> {
    let Some(m) = audit::Entity::find_by_id(id)
        .filter(audit::Column::Partnership.eq(partnership))
        .one(c)
        .await?
    else {
        return Ok(false);
    };
    let mut findings: Vec<String> = from_json(&m.findings, "findings")?;
    findings.extend(add_findings.iter().cloned());
    let mut am = m.into_active_model();
    if let Some(s) = status {
        am.status = Set(s.as_str().into());
    }
    am.findings = Set(to_json(&findings));
    am.update(c).await?;
    Ok(true)
}

/// Case references already reviewed in the audit.
pub(crate) async fn case_references<C: ConnectionTrait>(
    c: &C,
    audit_id: i64,
) -> Result<Vec<String>, DbErr> {
    case_review::Entity::find()
        .select_only()
        .column(case_review::Column::CaseReference)
        .filter(case_review::Column::AuditId.eq(audit_id))
        .into_tuple()
        .all(c)
        .await
}

pub(crate) async fn insert_case_reviews<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    audit_id: i64,
    reviews: &[CaseReview],
) -> Result<Vec<i64>, DbErr> {
    let mut ids = Vec::with_capacity(reviews.len());
    for r in reviews {
        let m = case_review::ActiveModel {
            audit_id: Set(audit_id),
            partnership: Set(partnership.into()),
            case_reference: Set(r.case_reference.clone()),
            overall_grade: Set(r.overall.clone()),
            agencies: Set(to_json(&r.agencies)),
            theme_grades: Set(to_json(&r.theme_grades)),
            answers: Set(to_json(&r.answers)),
            good_practice: Set(to_json(&r.good_practice)),
            ..Default::default()
        }
        .insert(c)
        .await?;
        ids.push(m.id);
    }
    Ok(ids)
}

fn review_from(m: case_review::Model) -> Result<(i64, CaseReview), DbErr> {
    Ok((
        m.audit_id,
        CaseReview {
            id: m.id,
            case_reference: m.case_reference,
            agencies: from_json(&m.agencies, "agencies")?,
            overall: m.overall_grade,
            theme_grades: from_json(&m.theme_grades, "theme grades")?,
            answers: from_json(&m.answers, "answers")?,
            good_practice: from_json(&m.good_practice, "good practice")?,
        },
    ))
}

/// The case reviews of the given audits, by audit id, in id order.
pub(crate) async fn case_reviews<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    audit_ids: &[i64],
) -> Result<BTreeMap<i64, Vec<CaseReview>>, DbErr> {
    let mut out: BTreeMap<i64, Vec<CaseReview>> = BTreeMap::new();
    for chunk in audit_ids.chunks(IN_CHUNK) {
        let rows = case_review::Entity::find()
            .filter(case_review::Column::Partnership.eq(partnership))
            .filter(case_review::Column::AuditId.is_in(chunk.iter().copied()))
            .order_by_asc(case_review::Column::Id)
            .all(c)
            .await?;
        for m in rows {
            let (a, r) = review_from(m)?;
            out.entry(a).or_default().push(r);
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------
// Inspections
// ------------------------------------------------------------------------------------------

fn inspection_from(m: inspection::Model) -> Result<Inspection, DbErr> {
    Ok(Inspection {
        id: m.id,
        inspectorate: Inspectorate::parse(&m.inspectorate)
            .ok_or_else(|| corrupt("inspectorate", &m.inspectorate))?,
        inspectorate_name: m.inspectorate_name,
        agency: m.agency,
        title: m.title,
        inspection_date: m.inspection_date,
        scope: m.scope,
        judgement: m.judgement,
        key_findings: from_json(&m.key_findings, "key findings")?,
        assurance_date: m.assurance_date,
        assurance_note: m.assurance_note,
    })
}

pub(crate) async fn insert_inspection<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    i: &Inspection,
) -> Result<i64, DbErr> {
    let m = inspection::ActiveModel {
        partnership: Set(partnership.into()),
        inspectorate: Set(i.inspectorate.as_str().into()),
        inspectorate_name: Set(i.inspectorate_name.clone()),
        agency: Set(i.agency.clone()),
        title: Set(i.title.clone()),
        judgement: Set(i.judgement.clone()),
        inspection_date: Set(i.inspection_date),
        assurance_date: Set(i.assurance_date),
        scope: Set(i.scope.clone()),
        key_findings: Set(to_json(&i.key_findings)),
        assurance_note: Set(i.assurance_note.clone()),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(m.id)
}

pub(crate) async fn get_inspection<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    id: i64,
) -> Result<Option<Inspection>, DbErr> {
    inspection::Entity::find_by_id(id)
        .filter(inspection::Column::Partnership.eq(partnership))
        .one(c)
        .await?
        .map(inspection_from)
        .transpose()
}

/// Filters of [`list_inspections`]; `None` = any.
#[derive(Debug, Default)]
pub(crate) struct InspectionFilter {
    pub inspectorate: Option<Inspectorate>,
    pub agency: Option<String>,
    /// Inspections dated inside this period ([`Period::contains_date`]).
    pub within: Option<Period>,
}

fn inspection_query(partnership: &str, f: &InspectionFilter) -> Select<inspection::Entity> {
    let mut q = inspection::Entity::find().filter(inspection::Column::Partnership.eq(partnership));
    if let Some(i) = f.inspectorate {
        q = q.filter(inspection::Column::Inspectorate.eq(i.as_str()));
    }
    if let Some(a) = &f.agency {
        q = q.filter(inspection::Column::Agency.eq(a.as_str()));
    }
    if let Some(w) = f.within {
        q = q.filter(inspection::Column::InspectionDate.between(w.first_day(), w.last_day()));
    }
    q
}

/// How many inspections match `f`.
pub(crate) async fn count_inspections<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    f: &InspectionFilter,
) -> Result<u64, DbErr> {
    inspection_query(partnership, f).count(c).await
}

/// The inspections matching `f` (or a page of them) by date, then id.
pub(crate) async fn list_inspections<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    f: &InspectionFilter,
    page: Page,
) -> Result<Vec<Inspection>, DbErr> {
    let q = inspection_query(partnership, f)
        .order_by_asc(inspection::Column::InspectionDate)
        .order_by_asc(inspection::Column::Id);
    paged(q, page)
        .all(c)
        .await?
        .into_iter()
        .map(inspection_from)
        .collect()
}

pub(crate) async fn set_inspection_assurance<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    id: i64,
    date: NaiveDate,
    note: &str,
) -> Result<bool, DbErr> {
    let Some(m) = inspection::Entity::find_by_id(id)
        .filter(inspection::Column::Partnership.eq(partnership))
        .one(c)
        .await?
    else {
        return Ok(false);
    };
    let mut am = m.into_active_model();
    am.assurance_date = Set(Some(date));
    am.assurance_note = Set(note.into());
    am.update(c).await?;
    Ok(true)
}

// ------------------------------------------------------------------------------------------
// Learning reviews
// ------------------------------------------------------------------------------------------

fn review_model_from(m: learning_review::Model) -> Result<LearningReview, DbErr> {
    Ok(LearningReview {
        id: m.id,
        review_type: ReviewType::parse(&m.review_type)
            .ok_or_else(|| corrupt("review type", &m.review_type))?,
        reference: m.reference,
        title: m.title,
        commissioned_date: m.commissioned_date,
        status: ReviewStatus::parse(&m.status)
            .ok_or_else(|| corrupt("review status", &m.status))?,
        publication_date: m.publication_date,
        key_learning: from_json(&m.key_learning, "key learning")?,
        agencies: from_json(&m.agencies, "agencies")?,
    })
}

pub(crate) async fn learning_review_by_reference<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    reference: &str,
) -> Result<bool, DbErr> {
    Ok(learning_review::Entity::find()
        .filter(learning_review::Column::Partnership.eq(partnership))
        .filter(learning_review::Column::Reference.eq(reference))
        .one(c)
        .await?
        .is_some())
}

pub(crate) async fn insert_learning_review<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    r: &LearningReview,
) -> Result<i64, DbErr> {
    let m = learning_review::ActiveModel {
        partnership: Set(partnership.into()),
        review_type: Set(r.review_type.as_str().into()),
        reference: Set(r.reference.clone()),
        title: Set(r.title.clone()),
        status: Set(r.status.as_str().into()),
        commissioned_date: Set(r.commissioned_date),
        publication_date: Set(r.publication_date),
        key_learning: Set(to_json(&r.key_learning)),
        agencies: Set(to_json(&r.agencies)),
        ..Default::default()
    }
    .insert(c)
    .await?;
    Ok(m.id)
}

pub(crate) async fn get_learning_review<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    id: i64,
) -> Result<Option<LearningReview>, DbErr> {
    learning_review::Entity::find_by_id(id)
        .filter(learning_review::Column::Partnership.eq(partnership))
        .one(c)
        .await?
        .map(review_model_from)
        .transpose()
}

pub(crate) async fn list_learning_reviews<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    review_type: Option<ReviewType>,
    status: Option<ReviewStatus>,
) -> Result<Vec<LearningReview>, DbErr> {
    let mut q = learning_review::Entity::find()
        .filter(learning_review::Column::Partnership.eq(partnership));
    if let Some(t) = review_type {
        q = q.filter(learning_review::Column::ReviewType.eq(t.as_str()));
    }
    if let Some(s) = status {
        q = q.filter(learning_review::Column::Status.eq(s.as_str()));
    }
    q.order_by_asc(learning_review::Column::CommissionedDate)
        .order_by_asc(learning_review::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(review_model_from)
        .collect()
}

pub(crate) async fn update_learning_review<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    r: &LearningReview,
) -> Result<(), DbErr> {
    let Some(m) = learning_review::Entity::find_by_id(r.id)
        .filter(learning_review::Column::Partnership.eq(partnership))
        .one(c)
        .await?
    else {
        return Err(DbErr::RecordNotUpdated);
    };
    let mut am = m.into_active_model();
    am.status = Set(r.status.as_str().into());
    am.publication_date = Set(r.publication_date);
    am.key_learning = Set(to_json(&r.key_learning));
    am.update(c).await?;
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Recommendations and actions
// ------------------------------------------------------------------------------------------

fn action_from(m: action::Model) -> Result<Action, DbErr> {
    Ok(Action {
        id: m.id,
        status: ActionStatus::parse(&m.status)
            .ok_or_else(|| corrupt("action status", &m.status))?,
        source_kind: m.source_kind,
        source_id: m.source_id,
        recommendation: m.recommendation,
        description: m.description,
        owner_agency: m.owner_agency,
        due_date: m.due_date,
        completion_evidence: m.completion_evidence,
        completed_on: m.completed_on,
    })
}

/// Adds a recommendation (or finds the one with the same text) and its actions; returns
/// the new actions' ids.
pub(crate) async fn add_recommendation<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    source_kind: &str,
    source_id: &str,
    r: &NewRecommendation,
) -> Result<Vec<i64>, DbErr> {
    let exists = recommendation::Entity::find()
        .filter(recommendation::Column::Partnership.eq(partnership))
        .filter(recommendation::Column::SourceKind.eq(source_kind))
        .filter(recommendation::Column::SourceId.eq(source_id))
        .filter(recommendation::Column::Text.eq(r.text.as_str()))
        .one(c)
        .await?
        .is_some();
    if !exists {
        recommendation::ActiveModel {
            partnership: Set(partnership.into()),
            source_kind: Set(source_kind.into()),
            source_id: Set(source_id.into()),
            text: Set(r.text.clone()),
            ..Default::default()
        }
        .insert(c)
        .await?;
    }
    let mut ids = Vec::new();
    for a in &r.actions {
        ids.push(
            insert_action(
                c,
                partnership,
                NewAction {
                    source_kind: source_kind.into(),
                    source_id: source_id.into(),
                    recommendation: r.text.clone(),
                    description: a.description.clone(),
                    owner_agency: a.owner_agency.clone(),
                    due_date: a.due_date,
                },
            )
            .await?,
        );
    }
    Ok(ids)
}

/// Every recommendation of the partnership (optionally of one source kind, optionally of
/// some source ids), keyed by (source kind, source id), each with its actions. A
/// recommendation is the union of recorded recommendations and the distinct recommendation
/// texts of actions (Section 11 actions have no recommendation record).
pub(crate) async fn recommendations<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    source_kind: Option<&str>,
    source_ids: Option<&[String]>,
) -> Result<BTreeMap<(String, String), Vec<Recommendation>>, DbErr> {
    let mut rq =
        recommendation::Entity::find().filter(recommendation::Column::Partnership.eq(partnership));
    let mut aq = action::Entity::find().filter(action::Column::Partnership.eq(partnership));
    if let Some(k) = source_kind {
        rq = rq.filter(recommendation::Column::SourceKind.eq(k));
        aq = aq.filter(action::Column::SourceKind.eq(k));
    }
    if let Some(ids) = source_ids {
        rq = rq.filter(recommendation::Column::SourceId.is_in(ids.iter().cloned()));
        aq = aq.filter(action::Column::SourceId.is_in(ids.iter().cloned()));
    }
    let recs = rq.order_by_asc(recommendation::Column::Id).all(c).await?;
    let acts = aq.order_by_asc(action::Column::Id).all(c).await?;
    let mut out: BTreeMap<(String, String), Vec<Recommendation>> = BTreeMap::new();
    for r in recs {
        out.entry((r.source_kind, r.source_id))
            .or_default()
            .push(Recommendation {
                text: r.text,
                actions: vec![],
            });
    }
    for a in acts {
        let a = action_from(a)?;
        let list = out
            .entry((a.source_kind.clone(), a.source_id.clone()))
            .or_default();
        match list.iter_mut().find(|r| r.text == a.recommendation) {
            Some(r) => r.actions.push(a),
            None => list.push(Recommendation {
                text: a.recommendation.clone(),
                actions: vec![a],
            }),
        }
    }
    Ok(out)
}

pub(crate) async fn get_action<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    id: i64,
) -> Result<Option<Action>, DbErr> {
    action::Entity::find_by_id(id)
        .filter(action::Column::Partnership.eq(partnership))
        .one(c)
        .await?
        .map(action_from)
        .transpose()
}

pub(crate) async fn update_action<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    a: &Action,
    actor: &str,
) -> Result<(), DbErr> {
    let Some(m) = action::Entity::find_by_id(a.id)
        .filter(action::Column::Partnership.eq(partnership))
        .one(c)
        .await?
    else {
        return Err(DbErr::RecordNotUpdated);
    };
    let mut am = m.into_active_model();
    am.status = Set(a.status.as_str().into());
    am.completion_evidence = Set(a.completion_evidence.clone());
    am.completed_on = Set(a.completed_on);
    am.due_date = Set(a.due_date);
    am.updated_by = Set(actor.into());
    am.update(c).await?;
    Ok(())
}

/// Filters of [`list_actions`]; `None` = any.
#[derive(Debug, Default)]
pub(crate) struct ActionFilter {
    pub owner_agency: Option<String>,
    pub source_kind: Option<String>,
    pub source_id: Option<String>,
    pub status: Option<ActionStatus>,
    /// Only actions overdue at this date ([`Action::overdue_at`]).
    pub overdue_at: Option<NaiveDate>,
}

/// Actions ordered by due date, then id.
pub(crate) async fn list_actions<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    f: &ActionFilter,
) -> Result<Vec<Action>, DbErr> {
    let mut q = action::Entity::find().filter(action::Column::Partnership.eq(partnership));
    if let Some(a) = &f.owner_agency {
        q = q.filter(action::Column::OwnerAgency.eq(a.as_str()));
    }
    if let Some(k) = &f.source_kind {
        q = q.filter(action::Column::SourceKind.eq(k.as_str()));
    }
    if let Some(s) = &f.source_id {
        q = q.filter(action::Column::SourceId.eq(s.as_str()));
    }
    if let Some(s) = f.status {
        q = q.filter(action::Column::Status.eq(s.as_str()));
    }
    if let Some(d) = f.overdue_at {
        q = q
            .filter(action::Column::Status.is_in([
                ActionStatus::Open.as_str(),
                ActionStatus::InProgress.as_str(),
            ]))
            .filter(action::Column::DueDate.lt(d));
    }
    q.order_by_asc(action::Column::DueDate)
        .order_by_asc(action::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(action_from)
        .collect()
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
