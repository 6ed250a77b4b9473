//! Types and rules of the quality assurance programme, no I/O: grades and statuses, the
//! opaque case reference rule, and the derived figures (grade shares, yes rates, the change
//! against a previous audit, a programme's trend, recommendation implementation).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

string_enum!(
    /// The four-point scale, best first.
    Grade {
        Outstanding = "outstanding",
        Good = "good",
        RequiresImprovement = "requires_improvement",
        Inadequate = "inadequate",
    }
);

string_enum!(AuditType {
    MultiAgencyCaseFile = "multi_agency_case_file",
    SingleAgency = "single_agency",
    Thematic = "thematic",
    FrontDoorReferral = "front_door_referral",
    ReReferral = "re_referral",
});

string_enum!(AuditStatus {
    Planned = "planned",
    InProgress = "in_progress",
    Complete = "complete",
});

string_enum!(Inspectorate {
    Cqc = "cqc",
    Hmic = "hmic",
    Ofsted = "ofsted",
    Other = "other",
});

string_enum!(ReviewType {
    SeriousCaseReview = "serious_case_review",
    LearningLessonsReview = "learning_lessons_review",
    DomesticHomicideReview = "domestic_homicide_review",
    ChildSafeguardingPracticeReview = "child_safeguarding_practice_review",
    Other = "other",
});

string_enum!(ReviewStatus {
    Commissioned = "commissioned",
    InProgress = "in_progress",
    Completed = "completed",
    Published = "published",
});

string_enum!(ActionStatus {
    Open = "open",
    InProgress = "in_progress",
    Completed = "completed",
    NotAccepted = "not_accepted",
});

string_enum!(SourceKind {
    Audit = "audit",
    Inspection = "inspection",
    LearningReview = "learning_review",
    Section11 = "section11",
});

impl Grade {
    pub fn index(self) -> usize {
        match self {
            Grade::Outstanding => 0,
            Grade::Good => 1,
            Grade::RequiresImprovement => 2,
            Grade::Inadequate => 3,
        }
    }

    /// Words for a headline: "graded requires improvement".
    pub fn words(self) -> &'static str {
        match self {
            Grade::Outstanding => "outstanding",
            Grade::Good => "good",
            Grade::RequiresImprovement => "requires improvement",
            Grade::Inadequate => "inadequate",
        }
    }
}

/// A graded theme of an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    pub code: String,
    pub title: String,
}

/// A yes/no question of an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub code: String,
    pub text: String,
}

/// An audit as stored (id 0 before it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    pub id: i64,
    pub audit_type: AuditType,
    pub topic: String,
    pub title: String,
    pub strategic_priority: String,
    pub period: lscb_platform::Period,
    pub status: AuditStatus,
    pub themes: Vec<Theme>,
    pub questions: Vec<Question>,
    pub programme: String,
    pub lead_agency: String,
    pub findings: Vec<String>,
    pub case_count: u32,
}

/// One reviewed case (id 0 before it is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseReview {
    pub id: i64,
    pub case_reference: String,
    pub agencies: Vec<String>,
    pub overall: GradeCode,
    pub theme_grades: Vec<(String, GradeCode)>,
    pub answers: Vec<(String, bool)>,
    pub good_practice: Vec<String>,
}

/// A grade as stored in JSON (its `as_str`).
pub type GradeCode = String;

/// A new action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionInput {
    pub description: String,
    pub owner_agency: String,
    pub due_date: NaiveDate,
}

/// A new recommendation with its actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecommendation {
    pub text: String,
    pub actions: Vec<ActionInput>,
}

/// An action as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub id: i64,
    pub source_kind: String,
    pub source_id: String,
    pub recommendation: String,
    pub description: String,
    pub owner_agency: String,
    pub due_date: NaiveDate,
    pub status: ActionStatus,
    pub completion_evidence: String,
    pub completed_on: Option<NaiveDate>,
}

impl Action {
    /// Still to do and due before `as_of`.
    pub fn overdue_at(&self, as_of: NaiveDate) -> bool {
        matches!(self.status, ActionStatus::Open | ActionStatus::InProgress)
            && self.due_date < as_of
    }
}

/// A recommendation as stored, with its actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    pub text: String,
    pub actions: Vec<Action>,
}

impl Recommendation {
    /// At least one action and every action completed.
    pub fn implemented(&self) -> bool {
        !self.actions.is_empty()
            && self
                .actions
                .iter()
                .all(|a| a.status == ActionStatus::Completed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub id: i64,
    pub inspectorate: Inspectorate,
    pub inspectorate_name: String,
    pub agency: String,
    pub title: String,
    pub inspection_date: NaiveDate,
    pub scope: String,
    pub judgement: String,
    pub key_findings: Vec<String>,
    pub assurance_date: Option<NaiveDate>,
    pub assurance_note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearningReview {
    pub id: i64,
    pub review_type: ReviewType,
    pub reference: String,
    pub title: String,
    pub commissioned_date: NaiveDate,
    pub status: ReviewStatus,
    pub publication_date: Option<NaiveDate>,
    pub key_learning: Vec<String>,
    pub agencies: Vec<String>,
}

/// Why a case reference is refused, if it is: references are opaque (no names, no dates).
pub fn case_reference_problem(r: &str) -> Option<&'static str> {
    if r.is_empty() {
        return Some("is required");
    }
    if r.len() > 64 {
        return Some("must be at most 64 characters");
    }
    if !r
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'))
    {
        return Some(
            "must be an opaque reference: letters, digits, '-', '_', '/', '.' only (no names)",
        );
    }
    if looks_like_date(r) {
        return Some("must not contain a date (no dates of birth)");
    }
    None
}

/// Whether `s` contains something shaped like a date: 2015-04-01, 01/04/2015, 1.4.15.
fn looks_like_date(s: &str) -> bool {
    let runs: Vec<(usize, char)> = {
        // split into digit runs with the separator that follows each
        let mut out = Vec::new();
        let mut n = 0usize;
        for c in s.chars() {
            if c.is_ascii_digit() {
                n += 1;
            } else {
                out.push((n, c));
                n = 0;
            }
        }
        out.push((n, ' '));
        out
    };
    // three consecutive digit runs joined by the same separator, of date-like lengths
    runs.windows(3).any(|w| {
        let (a, s1) = w[0];
        let (b, s2) = w[1];
        let (c, _) = w[2];
        s1 == s2
            && matches!(s1, '-' | '/' | '.')
            && (1..=4).contains(&a)
            && (1..=2).contains(&b)
            && (2..=4).contains(&c)
            && (a == 4 || c >= 2)
    }) || s.chars().filter(|c| c.is_ascii_digit()).count() == 8
        && s.len() == 8
        && (s.starts_with("19") || s.starts_with("20"))
}

/// Whether `s` is a valid theme or question code.
pub fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `count` of `total` as a percentage with one decimal place; `None` when `total` is 0.
pub fn share(count: u32, total: u32) -> Option<Decimal> {
    if total == 0 {
        return None;
    }
    let mut d = (Decimal::from(count) * Decimal::from(100) / Decimal::from(total))
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    d.rescale(1);
    Some(d)
}

/// Cases by grade.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Distribution {
    pub counts: [u32; 4],
}

impl Distribution {
    pub fn add(&mut self, g: Grade) {
        self.counts[g.index()] += 1;
    }

    pub fn graded(&self) -> u32 {
        self.counts.iter().sum()
    }

    pub fn count(&self, g: Grade) -> u32 {
        self.counts[g.index()]
    }

    pub fn share(&self, g: Grade) -> Option<Decimal> {
        share(self.count(g), self.graded())
    }

    /// "7 out of 10 cases were graded requires improvement" for the largest grade (the
    /// worse one on a tie); empty when nothing is graded.
    pub fn headline(&self) -> String {
        let total = self.graded();
        if total == 0 {
            return String::new();
        }
        let mut best = Grade::Outstanding;
        for g in Grade::ALL {
            if self.count(*g) >= self.count(best) {
                best = *g;
            }
        }
        let n = self.count(best);
        format!(
            "{n} out of {total} {} {} graded {}",
            if total == 1 { "case" } else { "cases" },
            if n == 1 { "was" } else { "were" },
            best.words()
        )
    }
}

/// Yes/no answers to one question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub yes: u32,
    pub no: u32,
}

impl Tally {
    pub fn answered(&self) -> u32 {
        self.yes + self.no
    }

    pub fn yes_rate(&self) -> Option<Decimal> {
        share(self.yes, self.answered())
    }
}

/// An audit's (or a programme's) figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub case_count: u32,
    pub overall: Distribution,
    /// Per theme code, in the audit's theme order.
    pub themes: Vec<(Theme, Distribution)>,
    /// Per question, in the audit's question order.
    pub questions: Vec<(Question, Tally)>,
    /// Cases involving each agency.
    pub agencies: BTreeMap<String, u32>,
}

/// Adds up `reviews` against the given themes and questions (answers to anything else are
/// ignored).
pub fn summarize(themes: &[Theme], questions: &[Question], reviews: &[CaseReview]) -> Summary {
    let mut overall = Distribution::default();
    let mut by_theme: Vec<(Theme, Distribution)> = themes
        .iter()
        .map(|t| (t.clone(), Distribution::default()))
        .collect();
    let mut by_question: Vec<(Question, Tally)> = questions
        .iter()
        .map(|q| (q.clone(), Tally::default()))
        .collect();
    let mut agencies = BTreeMap::new();
    for r in reviews {
        if let Some(g) = Grade::parse(&r.overall) {
            overall.add(g);
        }
        for (code, grade) in &r.theme_grades {
            if let (Some(slot), Some(g)) = (
                by_theme.iter_mut().find(|(t, _)| &t.code == code),
                Grade::parse(grade),
            ) {
                slot.1.add(g);
            }
        }
        for (code, yes) in &r.answers {
            if let Some(slot) = by_question.iter_mut().find(|(q, _)| &q.code == code) {
                if *yes {
                    slot.1.yes += 1;
                } else {
                    slot.1.no += 1;
                }
            }
        }
        let involved: BTreeSet<&String> = r.agencies.iter().collect();
        for a in involved {
            *agencies.entry(a.clone()).or_insert(0) += 1;
        }
    }
    Summary {
        case_count: reviews.len() as u32,
        overall,
        themes: by_theme,
        questions: by_question,
        agencies,
    }
}

/// Change of one grade's share between two distributions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareChange {
    pub grade: Grade,
    pub previous: Option<Decimal>,
    pub current: Option<Decimal>,
    pub change: Option<Decimal>,
}

/// Per grade: previous share, current share and the change in percentage points.
pub fn share_changes(previous: &Distribution, current: &Distribution) -> Vec<ShareChange> {
    Grade::ALL
        .iter()
        .map(|g| {
            let p = previous.share(*g);
            let c = current.share(*g);
            ShareChange {
                grade: *g,
                previous: p,
                current: c,
                change: p.zip(c).map(|(p, c)| c - p),
            }
        })
        .collect()
}

/// Change of one question's yes rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateChange {
    pub question: String,
    pub previous: Option<Decimal>,
    pub current: Option<Decimal>,
    pub change: Option<Decimal>,
}

/// Yes-rate changes for question codes present in both summaries.
pub fn rate_changes(previous: &Summary, current: &Summary) -> Vec<RateChange> {
    current
        .questions
        .iter()
        .filter_map(|(q, t)| {
            let (_, pt) = previous
                .questions
                .iter()
                .find(|(pq, _)| pq.code == q.code)?;
            let p = pt.yes_rate();
            let c = t.yes_rate();
            Some(RateChange {
                question: q.code.clone(),
                previous: p,
                current: c,
                change: p.zip(c).map(|(p, c)| c - p),
            })
        })
        .collect()
}

/// The union of themes and of questions across audits, by code, first title wins.
pub fn union_themes_questions(audits: &[Audit]) -> (Vec<Theme>, Vec<Question>) {
    let mut themes: Vec<Theme> = Vec::new();
    let mut questions: Vec<Question> = Vec::new();
    for a in audits {
        for t in &a.themes {
            if !themes.iter().any(|x| x.code == t.code) {
                themes.push(t.clone());
            }
        }
        for q in &a.questions {
            if !questions.iter().any(|x| x.code == q.code) {
                questions.push(q.clone());
            }
        }
    }
    (themes, questions)
}

/// The audit an audit is compared with: the latest earlier one (by period start, then id)
/// of the same type and topic.
pub fn previous_audit<'a>(current: &Audit, candidates: &'a [Audit]) -> Option<&'a Audit> {
    let key = |a: &Audit| (a.period.first_day(), a.id);
    candidates
        .iter()
        .filter(|a| {
            a.id != current.id
                && a.audit_type == current.audit_type
                && a.topic.eq_ignore_ascii_case(&current.topic)
                && key(a) < key(current)
        })
        .max_by_key(|a| key(a))
}

/// Implementation figures of one group of recommendations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Implementation {
    pub recommendations: u32,
    pub implemented: u32,
    pub actions: u32,
    pub actions_completed: u32,
    pub actions_overdue: u32,
}

/// Per agency: recommendations with an action it owns, those whose actions it owns are all
/// completed, and its action counts.
pub fn by_agency(
    recommendations: &[Recommendation],
    as_of: NaiveDate,
) -> BTreeMap<String, Implementation> {
    let mut out: BTreeMap<String, Implementation> = BTreeMap::new();
    for r in recommendations {
        let agencies: BTreeSet<&String> = r.actions.iter().map(|a| &a.owner_agency).collect();
        for agency in agencies {
            let mine: Vec<&Action> = r
                .actions
                .iter()
                .filter(|a| &a.owner_agency == agency)
                .collect();
            let e = out.entry(agency.clone()).or_default();
            e.recommendations += 1;
            if mine.iter().all(|a| a.status == ActionStatus::Completed) {
                e.implemented += 1;
            }
            for a in mine {
                e.actions += 1;
                if a.status == ActionStatus::Completed {
                    e.actions_completed += 1;
                }
                if a.overdue_at(as_of) {
                    e.actions_overdue += 1;
                }
            }
        }
    }
    out
}

/// Figures of one source's recommendations.
pub fn implementation(recommendations: &[Recommendation], as_of: NaiveDate) -> Implementation {
    let mut e = Implementation::default();
    for r in recommendations {
        e.recommendations += 1;
        if r.implemented() {
            e.implemented += 1;
        }
        for a in &r.actions {
            e.actions += 1;
            if a.status == ActionStatus::Completed {
                e.actions_completed += 1;
            }
            if a.overdue_at(as_of) {
                e.actions_overdue += 1;
            }
        }
    }
    e
}

#[cfg(test)]
#[path = "domain_tests.rs"]
mod tests;
