//! The assembled annual report as a plain tree of data: what the renderers draw, what the
//! analysis module reads to write Part 4, and (serialised) the report's JSON format and the
//! frozen content of a published version. Every figure carries its source.
//!
//! Stability: fields are only ever added (with `#[serde(default)]`), never renamed.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub mod board;

/// Version of this model's JSON shape.
pub const SCHEMA_VERSION: u32 = 1;

/// The four data services the report is assembled from.
pub const SOURCES: [&str; 4] = ["indicators", "audits", "training", "finance"];

/// The whole report of one partnership for one financial year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub partnership: PartnershipInfo,
    /// Financial year code, e.g. "2015-16".
    pub year: String,
    /// As printed, e.g. "2015/16".
    pub year_label: String,
    /// The year before, e.g. "2014-15".
    pub previous_year: String,
    /// RFC 3339 time of assembly.
    pub generated_at: String,
    /// False when any data service failed or missed its deadline.
    pub complete: bool,
    /// One entry per data service, in [`SOURCES`] order.
    pub sources: Vec<SourceStatus>,
    /// Authored narrative by section key (foreword, introduction, priority.early_help, ...),
    /// with placeholders already replaced by figures.
    pub narrative: BTreeMap<String, NarrativeSection>,
    pub part1: Part1,
    pub part2: Part2,
    pub part3: Part3,
    /// Part 4 – analysis, sufficiency statement, challenges, pledges. Filled by the analysis
    /// module (`crate::analysis`) from the rest of this report; rendered when present.
    #[serde(default)]
    pub part4: Option<serde_json::Value>,
    pub part5: Part5,
}

impl Report {
    /// The sources that failed.
    pub fn failed_sources(&self) -> Vec<String> {
        self.sources
            .iter()
            .filter(|s| !s.ok)
            .map(|s| s.source.clone())
            .collect()
    }

    /// Every indicator figure anywhere in the report (key facts, priorities, vulnerable
    /// groups), for cross-checks.
    pub fn all_figures(&self) -> Vec<&Figure> {
        let mut out = Vec::new();
        if let Block::Available { data } = &self.part1.key_facts {
            out.extend(data.iter());
        }
        for p in &self.part2.priorities {
            for b in [&p.how_much, &p.how_well] {
                if let Block::Available { data } = b {
                    out.extend(data.iter());
                }
            }
        }
        if let Block::Available { data } = &self.part2.vulnerable_groups {
            out.extend(data.iter());
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnershipInfo {
    pub id: String,
    pub name: String,
    pub local_authority: String,
    pub region: String,
    #[serde(default)]
    pub statistical_neighbours: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStatus {
    /// indicators, audits, training or finance.
    pub source: String,
    pub ok: bool,
    /// Why it failed; `None` when ok.
    #[serde(default)]
    pub error: Option<String>,
}

/// Where a figure comes from: service, record and period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub service: String,
    /// e.g. "indicator CAIT.CRIMES", "budget year", "audit programme CP-2015".
    pub record: String,
    pub period: String,
}

/// A section's data, or why it is missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Block<T> {
    Available {
        data: T,
    },
    /// The data service failed: the section says so.
    Unavailable {
        source: String,
        reason: String,
    },
}

impl<T> Block<T> {
    pub fn data(&self) -> Option<&T> {
        match self {
            Block::Available { data } => Some(data),
            Block::Unavailable { .. } => None,
        }
    }

    pub fn unavailable(source: &str, reason: impl Into<String>) -> Self {
        Block::Unavailable {
            source: source.to_string(),
            reason: reason.into(),
        }
    }
}

/// Authored narrative of one section (the latest version), placeholders resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NarrativeSection {
    pub section: String,
    pub version: u32,
    /// Markdown with every placeholder replaced by its formatted figure.
    pub markdown: String,
    /// The placeholders used, e.g. "indicator:CAIT.CRIMES:2015-16".
    #[serde(default)]
    pub placeholders: Vec<String>,
    /// Placeholders whose figure could not be fetched (shown as "[data unavailable]").
    #[serde(default)]
    pub unresolved: Vec<String>,
}

/// How a figure is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    Percent,
    /// Per 10,000 children (or the indicator's own base).
    Rate,
    /// Integer pence.
    Money,
    Days,
    /// A ratio (e.g. cases per worker).
    Ratio,
    Other,
}

/// Which direction is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    HigherIsBetter,
    LowerIsBetter,
    /// Neither: a rise is neither good nor bad (e.g. population, demand).
    Neutral,
    /// Good when inside a target band (e.g. re-referrals 18-25%).
    WithinBand,
}

/// Which way the figure moved from the previous year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
    Same,
    /// No previous value.
    Unknown,
}

/// Direction of travel, given the polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Travel {
    Improving,
    Worsening,
    NoChange,
    /// Neutral polarity or no previous value.
    NotApplicable,
}

/// Red / amber / green against target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rag {
    Red,
    Amber,
    Green,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Benchmark {
    /// e.g. "England", "Statistical neighbours".
    pub name: String,
    pub value: Decimal,
    #[serde(default)]
    pub period: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub period: String,
    pub value: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyValue {
    pub agency: String,
    pub agency_name: String,
    pub value: Decimal,
}

/// One indicator for the report year: value, previous year, change, direction of travel,
/// RAG, benchmarks, the generated sentence, and its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub code: String,
    pub name: String,
    pub unit: Unit,
    pub polarity: Polarity,
    pub period: String,
    /// `None`: no value for the year (see the completeness appendix).
    pub value: Option<Decimal>,
    pub previous: Option<Decimal>,
    /// Percentage change from the previous year, rounded to whole percent.
    pub change_pct: Option<Decimal>,
    pub direction: Direction,
    pub travel: Travel,
    pub rag: Option<Rag>,
    pub target: Option<Decimal>,
    #[serde(default)]
    pub benchmarks: Vec<Benchmark>,
    /// The headline sentence, e.g. "There were 2,031 recorded crimes investigated, 34% more
    /// than the previous year (1,517)."
    pub sentence: String,
    pub source: Source,
    /// Periodic values (quarters or months) within the report year and the year before.
    #[serde(default)]
    pub trend: Vec<Point>,
    /// The year's value by agency, when submitted by several.
    #[serde(default)]
    pub by_agency: Vec<AgencyValue>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// No value for the year: the latest earlier period's value, printed with its period
    /// (context indicators, `report::context_series`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_earlier: Option<Point>,
    /// Values of periods after the report year (projections), in period order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projections: Vec<Point>,
}

// ---------------------------------------------------------------- Part 1

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part1 {
    /// Indicators tagged `context`.
    pub key_facts: Block<Vec<Figure>>,
}

// ---------------------------------------------------------------- Part 2

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part2 {
    /// Voice of the Child, Early Help, Safe Systems.
    pub priorities: Vec<Priority>,
    /// Every audit of the year with cases (also listed under their priority).
    pub audits: Block<Vec<AuditSummary>>,
    pub inspections: Block<Vec<Inspection>>,
    pub section11: Block<Section11>,
    pub section175: Block<Section175>,
    /// Indicators tagged `vulnerable`.
    pub vulnerable_groups: Block<Vec<Figure>>,
    /// Programmes of repeated audits with an audit in the year (e.g. the monthly front door
    /// referral audits), all their cases together.
    #[serde(default = "nothing_recorded")]
    pub programmes: Block<Vec<AuditProgramme>>,
}

/// An empty available block: what older reports (published before a section existed) read as.
fn no_board_record() -> Block<board::BoardRecord> {
    Block::Available {
        data: board::BoardRecord::default(),
    }
}

fn nothing_recorded<T>() -> Block<Vec<T>> {
    Block::Available { data: vec![] }
}

/// A programme of repeated audits, all its audits together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditProgramme {
    /// Programme code, e.g. "front-door-monthly".
    pub programme: String,
    /// e.g. "Front Door Reference Group referral audit".
    pub title: String,
    pub audits: u32,
    /// Period of the first and the last audit, e.g. "2015-04", "2016-03".
    pub first_period: String,
    pub last_period: String,
    pub cases: u32,
    /// Outstanding to inadequate.
    pub grades: Vec<ProgrammeGrade>,
    /// e.g. "... reviewed 88 cases in 12 audits ...; 35 (40%) were graded requires
    /// improvement. From the first audit to the last, ..."
    pub sentence: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgrammeGrade {
    /// "good", "requires improvement", ...
    pub grade: String,
    pub count: u32,
    /// Percent of the graded cases.
    pub share: Option<Decimal>,
    /// Change of the share from the first audit to the last, percentage points.
    pub change: Option<Decimal>,
}

/// One strategic priority and its three questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Priority {
    /// voice_of_the_child, early_help, safe_systems.
    pub key: String,
    pub title: String,
    /// How much did we do? Activity indicators of the priority.
    pub how_much: Block<Vec<Figure>>,
    /// How well did we do it? Quality indicators of the priority.
    pub how_well: Block<Vec<Figure>>,
    /// Audits of the year relevant to the priority.
    pub audits: Block<Vec<AuditSummary>>,
    /// Training figures relevant to the priority (e.g. reach of a programme).
    pub training: Block<Vec<ReachLine>>,
    /// What did we learn and change? Actions of the priority (learning and change).
    pub actions: Block<Vec<ActionItem>>,
}

/// A case file / thematic / front door audit's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSummary {
    pub reference: String,
    pub title: String,
    /// multi_agency, front_door, thematic, ...
    pub kind: String,
    pub cases: u32,
    /// Cases graded requires improvement or inadequate.
    pub requiring_improvement: u32,
    /// Counts by grade, e.g. ("good", 3).
    #[serde(default)]
    pub grades: Vec<(String, u32)>,
    /// e.g. "7 of 10 case files (70%) required improvement."
    pub sentence: String,
    #[serde(default)]
    pub priority: Option<String>,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspection {
    pub inspectorate: String,
    pub subject: String,
    pub date: String,
    pub judgement: String,
    #[serde(default)]
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section11 {
    /// Statutory agencies expected to return a self-assessment.
    pub expected: u32,
    pub returned: u32,
    #[serde(default)]
    pub rows: Vec<Section11Row>,
    /// Statutory agencies with no return.
    #[serde(default)]
    pub missing: Vec<String>,
    pub sentence: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section11Row {
    pub agency: String,
    pub agency_name: String,
    /// Overall rating or score as submitted (e.g. "good", "3 of 4").
    pub rating: String,
    #[serde(default)]
    pub assurance_letter: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section175 {
    pub schools_expected: u32,
    pub returned: u32,
    pub completion_pct: Option<Decimal>,
    pub sentence: String,
}

// ---------------------------------------------------------------- Part 3

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part3 {
    pub attendance: Block<Attendance>,
    /// Business plan progress, governance register and child death reviews.
    #[serde(default = "no_board_record")]
    pub board: Block<board::BoardRecord>,
    pub business_plan: Block<Vec<ActionItem>>,
    pub finance: Block<Finance>,
    pub training: Block<Training>,
    pub learning_reviews: Block<Vec<LearningReview>>,
    /// Practitioner surveys that ran in the year (e.g. the employee survey).
    #[serde(default = "nothing_recorded")]
    pub surveys: Block<Vec<Survey>>,
}

/// A practitioner survey of the year, each question compared with the series' previous
/// survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    pub code: String,
    pub series: String,
    pub title: String,
    pub conducted_on: String,
    pub respondents: u32,
    pub organisations: u32,
    pub questions: Vec<SurveyQuestion>,
    /// e.g. "1,175 practitioners from 17 organisations responded; 83% knew how to access
    /// guidance ..., against 50% in 2013."
    pub sentence: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyQuestion {
    pub code: String,
    pub text: String,
    /// Percent answering yes.
    pub yes_share: Option<Decimal>,
    #[serde(default)]
    pub previous_yes_share: Option<Decimal>,
    /// When the previous survey ran, as printed (its year, e.g. "2013").
    #[serde(default)]
    pub previous_label: Option<String>,
    /// Percentage points.
    #[serde(default)]
    pub change: Option<Decimal>,
}

/// The attendance matrix: green (named member attended 80% or more), blue (named or
/// nominated members 80% or more), red (below 80%).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendance {
    /// Column headings: Board, Exec, CDOP, ...
    pub forums: Vec<String>,
    pub rows: Vec<AttendanceRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceRow {
    pub agency: String,
    pub agency_name: String,
    /// One cell per forum; `None` where the agency is not a member.
    pub cells: Vec<Option<AttendanceCell>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceCell {
    pub rating: AttendanceRating,
    pub meetings: u32,
    pub attended_named: u32,
    pub attended_any: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceRating {
    Green,
    Blue,
    Red,
}

/// An action of the business plan, a learning review or an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItem {
    pub reference: String,
    pub title: String,
    /// open, in_progress, complete, ...
    pub status: String,
    #[serde(default)]
    pub due: Option<String>,
    pub overdue: bool,
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
}

/// The budget year. Money in integer pence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finance {
    pub contributions: Vec<MoneyLine>,
    pub contributions_total: i64,
    pub carry_forward: i64,
    pub income: Vec<MoneyLine>,
    pub income_total: i64,
    /// contributions + carry forward + income.
    pub budget_total: i64,
    pub expenditure: Vec<MoneyLine>,
    pub expenditure_total: i64,
    /// budget − expenditure (negative: deficit).
    pub balance: i64,
    #[serde(default)]
    pub in_kind: Vec<MoneyLine>,
    /// Planned changes for the next year (e.g. a reduction of £79,849).
    #[serde(default)]
    pub next_year: Vec<MoneyLine>,
    pub sentences: Vec<String>,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyLine {
    /// Agency code, category or description.
    pub key: String,
    pub label: String,
    pub pence: i64,
    /// For contributions: the amount received, when known.
    #[serde(default)]
    pub received_pence: Option<i64>,
}

/// Training delivery of the year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Training {
    pub courses: u32,
    /// Places offered (the reference report's "4,489 training places").
    pub places: u32,
    /// Places taken (delegates attending).
    pub attended: u32,
    /// attended / places, whole percent.
    pub utilisation_pct: Option<Decimal>,
    /// Share of delegates more confident after the course.
    #[serde(default)]
    pub evaluation: Option<String>,
    pub reach: Vec<ReachLine>,
    /// Courses and places by year, oldest first (the training trend chart).
    pub trend: Vec<TrainingYear>,
    pub sentences: Vec<String>,
    pub source: Source,
    /// Training days, delegates per course, cancellations, share trained, programmes.
    #[serde(default)]
    pub delivery: Option<super::training_detail::TrainingDelivery>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReachLine {
    pub programme: String,
    pub target: u32,
    pub trained: u32,
    pub pct: Option<Decimal>,
    pub sentence: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingYear {
    pub year: String,
    pub courses: u32,
    /// Places offered.
    pub places: u32,
}

/// A serious case review or learning review, with its recommendations and actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearningReview {
    pub reference: String,
    pub title: String,
    /// scr, llr, dhr, ...
    pub kind: String,
    pub status: String,
    #[serde(default)]
    pub published: Option<String>,
    pub recommendations: u32,
    pub actions_complete: u32,
    pub actions_open: u32,
    pub actions_overdue: u32,
}

// ---------------------------------------------------------------- Part 5

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part5 {
    /// Only the acronyms the report uses, alphabetically.
    pub glossary: Vec<GlossaryEntry>,
    /// What was expected and not received, by agency.
    pub completeness: Block<Vec<CompletenessGap>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlossaryEntry {
    pub acronym: String,
    pub meaning: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletenessGap {
    pub agency: String,
    pub agency_name: String,
    /// What was expected and not received (e.g. "indicator CAIT.CRIMES 2015-16-Q3",
    /// "Section 11 self-assessment", "contribution").
    pub missing: Vec<String>,
}
