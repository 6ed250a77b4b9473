//! The board's own record in the report model: business plan progress per priority
//! (figure 30), the governance register with its computed counts, and the child death
//! review figures (aggregate only).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What the audits service's BoardService holds for the year (each part absent when not
/// recorded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardRecord {
    pub plan: Option<PlanProgress>,
    pub register: Option<GovernanceRegister>,
    pub child_deaths: Option<ChildDeaths>,
}

/// Progress of a priority, an objective, or the whole plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLine {
    pub code: String,
    pub title: String,
    pub actions: u32,
    /// Completed.
    pub green: u32,
    /// Open or in progress, not yet due.
    pub amber: u32,
    /// Overdue.
    pub red: u32,
    pub not_accepted: u32,
    pub completed_pct: Option<Decimal>,
    /// "green" | "amber" | "red"; `None` without accepted actions.
    pub rating: Option<String>,
    pub objectives: Vec<PlanLine>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanProgress {
    /// "YYYY-MM-DD" the RAG is judged at.
    pub as_of: String,
    pub priorities: Vec<PlanLine>,
    pub overall: PlanLine,
    /// Actions in no objective of the plan.
    pub unplanned: u32,
}

/// One body of the register with the counts computed from its seats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyLine {
    pub code: String,
    pub name: String,
    /// "board" | "executive" | "sub_group" | "forum".
    pub kind: String,
    pub chaired_by: String,
    pub work: Vec<String>,
    pub seats: u32,
    pub agencies: u32,
    pub lay_members: u32,
    pub female: u32,
    pub male: u32,
    pub gender_not_recorded: u32,
    pub female_pct: Option<Decimal>,
    pub male_pct: Option<Decimal>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovernanceRegister {
    pub bodies: Vec<BodyLine>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountLine {
    pub label: String,
    pub count: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildDeaths {
    pub deaths_from: String,
    pub deaths_to: String,
    pub reviewed: u32,
    pub by_category: Vec<CountLine>,
    pub with_modifiable_factors: u32,
    pub modifiable_pct: Option<Decimal>,
    pub modifiable_factors: Vec<CountLine>,
    pub themes: Vec<String>,
    pub actions: Vec<String>,
}
