//! The evidence Part 4 rests on, as plain data: indicator rows, audits, statutory agencies'
//! returns, overdue actions, Section 175, training, attendance and finance. Every fact names
//! its source record (service, record id, period) so a reader can follow a judgement back.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use crate::report::model::Unit;

/// Where a fact came from: the owning service, the record id there, and the period.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SourceRef {
    /// `indicators`, `audits`, `training` or `finance`.
    pub service: String,
    /// The record's id or code in that service (e.g. `CP-REREF`, `audit/17`, `agency/WMP`).
    pub record: String,
    /// The period code (e.g. `2015-16`).
    pub period: String,
}

impl SourceRef {
    pub fn new(service: &str, record: impl Into<String>, period: impl Into<String>) -> Self {
        Self {
            service: service.to_string(),
            record: record.into(),
            period: period.into(),
        }
    }

    /// `service/record@period`, for prose and evidence lists.
    pub fn label(&self) -> String {
        format!("{}/{}@{}", self.service, self.record, self.period)
    }
}

/// Red, amber or green against target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rag {
    Red,
    Amber,
    Green,
}

/// Direction of travel, already judged against the indicator's polarity (a fall in
/// re-referrals is `Improving`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Improving,
    Stable,
    Declining,
}

/// How a value compares with a benchmark (England, statistical neighbours), judged against
/// the indicator's polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Better,
    Similar,
    Worse,
}

/// One indicator for the report year.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IndicatorFact {
    pub code: String,
    pub title: String,
    /// Tags such as `context`, `outcomes`, `child_protection`, `early_help`,
    /// `voice_of_the_child`, `safe_systems`, `timeliness`, `plans`, `workforce`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Other names the indicator goes by in prose (e.g. "LADO referrals").
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub value: Option<Decimal>,
    /// The value of the previous period.
    #[serde(default)]
    pub previous: Option<Decimal>,
    /// The period of `previous` (e.g. `2014-15`).
    #[serde(default)]
    pub previous_period: Option<String>,
    #[serde(default)]
    pub rag: Option<Rag>,
    #[serde(default)]
    pub direction: Option<Direction>,
    #[serde(default)]
    pub vs_england: Option<Comparison>,
    #[serde(default)]
    pub vs_neighbours: Option<Comparison>,
    /// The England benchmark value, when known (for the reason's wording).
    #[serde(default)]
    pub england: Option<Decimal>,
    /// The statistical neighbours' benchmark value, when known.
    #[serde(default)]
    pub neighbours: Option<Decimal>,
    #[serde(default)]
    pub target: Option<Decimal>,
    /// Whether the value is a percentage (so "37%" in prose is a value, not a change).
    #[serde(default)]
    pub is_percentage: bool,
    /// The unit the value is measured in (`count`, `percent`, `rate` per 10,000, `days`,
    /// ...); when left out, `percent` if `is_percentage`, otherwise `count`.
    #[serde(default)]
    pub unit: Option<Unit>,
    pub source: SourceRef,
}

impl IndicatorFact {
    /// The unit of the value.
    pub fn unit(&self) -> Unit {
        self.unit.unwrap_or(if self.is_percentage {
            Unit::Percent
        } else {
            Unit::Count
        })
    }
}

/// A multi-agency, referral or thematic audit: cases graded and how many were graded
/// requiring improvement or inadequate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuditFact {
    pub id: String,
    pub title: String,
    pub cases: u32,
    pub requiring_improvement: u32,
    pub inadequate: u32,
    /// For a programme of repeated audits (e.g. monthly front door audits): how many audits
    /// it holds (0 or 1: a single audit), read as one subject.
    #[serde(default)]
    pub audits: u32,
    /// For a programme: the change, in percentage points, of the share graded requiring
    /// improvement or inadequate from its first audit to its last (negative: better).
    #[serde(default)]
    pub trend_points: Option<Decimal>,
    pub source: SourceRef,
}

/// A statutory agency's assurance returns for the year.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatutoryAgencyFact {
    pub agency: String,
    pub name: String,
    pub section11_return: bool,
    pub annual_report: bool,
    pub assurance_letter: bool,
    pub source: SourceRef,
}

/// Where an action came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionOrigin {
    Audit,
    Inspection,
    LearningReview,
    Section11,
    BusinessPlan,
}

impl ActionOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionOrigin::Audit => "audit",
            ActionOrigin::Inspection => "inspection",
            ActionOrigin::LearningReview => "learning_review",
            ActionOrigin::Section11 => "section11",
            ActionOrigin::BusinessPlan => "business_plan",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            ActionOrigin::Audit,
            ActionOrigin::Inspection,
            ActionOrigin::LearningReview,
            ActionOrigin::Section11,
            ActionOrigin::BusinessPlan,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// An action past its due date and not completed at the end of the year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueActionFact {
    pub id: String,
    pub description: String,
    pub origin: ActionOrigin,
    pub agency: String,
    /// Days past the due date at the end of the year; `None` when the source flags the
    /// action overdue without a due date (it then always counts).
    #[serde(default)]
    pub days_overdue: Option<u32>,
    pub source: SourceRef,
}

/// Section 175 (schools) self-assessment completion.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Section175Fact {
    pub schools_expected: u32,
    pub returned: u32,
    pub source: SourceRef,
}

/// A training programme's reach against its target (e.g. Right Service Right Time: 5,580 of
/// 15,017).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TrainingReachFact {
    pub programme: String,
    pub trained: u32,
    pub target: u32,
    pub source: SourceRef,
}

/// The year's training delivery: courses, places, utilisation now and last year.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TrainingDeliveryFact {
    pub courses: u32,
    pub places: u32,
    /// Percentage of places used (e.g. 90).
    pub utilisation: Decimal,
    #[serde(default)]
    pub previous_utilisation: Option<Decimal>,
    pub source: SourceRef,
}

/// Attendance matrix colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceRating {
    /// Named member attended 80% or more.
    Green,
    /// Named or nominated members attended 80% or more.
    Blue,
    /// Below 80%.
    Red,
}

/// One agency's board attendance rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceFact {
    pub agency: String,
    pub rating: AttendanceRating,
    pub source: SourceRef,
}

/// The budget year in pence.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FinanceFact {
    /// Contributions + carry forward + income.
    pub budget_pence: i64,
    pub contributions_pence: i64,
    pub carry_forward_pence: i64,
    pub income_pence: i64,
    pub expenditure_pence: i64,
    /// Contributions agreed but not received, by agency code, in pence.
    #[serde(default)]
    pub outstanding: Vec<(String, i64)>,
    pub source: SourceRef,
}

/// Everything Part 4 is derived from, for one partnership and report year.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Facts {
    /// The report year, e.g. `2015-16` (may be left out where the request names the year).
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub indicators: Vec<IndicatorFact>,
    #[serde(default)]
    pub audits: Vec<AuditFact>,
    #[serde(default)]
    pub statutory_agencies: Vec<StatutoryAgencyFact>,
    #[serde(default)]
    pub overdue_actions: Vec<OverdueActionFact>,
    #[serde(default)]
    pub section175: Option<Section175Fact>,
    #[serde(default)]
    pub training_reach: Vec<TrainingReachFact>,
    #[serde(default)]
    pub training_delivery: Option<TrainingDeliveryFact>,
    #[serde(default)]
    pub attendance: Vec<AttendanceFact>,
    #[serde(default)]
    pub finance: Option<FinanceFact>,
}

impl Facts {
    pub fn indicator(&self, code: &str) -> Option<&IndicatorFact> {
        self.indicators.iter().find(|i| i.code == code)
    }
}
