//! The board's own record, no I/O: the business plan and the RAG roll-up of its actions,
//! the governance register and the counts computed from its seats, and the child death
//! review figures (aggregate only) with their total computed from the categories.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Kinds of board record (the `kind` column).
pub const BUSINESS_PLAN: &str = "business_plan";
pub const GOVERNANCE_REGISTER: &str = "governance_register";
pub const CHILD_DEATH_REVIEWS: &str = "child_death_reviews";

/// `part / whole` as a whole percent, half away from zero; `None` when `whole` is 0.
pub fn whole_percent(part: u32, whole: u32) -> Option<Decimal> {
    (whole > 0).then(|| {
        (Decimal::from(part) * Decimal::from(100) / Decimal::from(whole))
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            .normalize()
    })
}

// ----------------------------------------------------------------------- business plan

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objective {
    pub code: String,
    pub title: String,
    pub action_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Priority {
    pub code: String,
    pub title: String,
    pub objectives: Vec<Objective>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub priorities: Vec<Priority>,
}

impl Plan {
    pub fn action_ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.priorities
            .iter()
            .flat_map(|p| &p.objectives)
            .flat_map(|o| o.action_ids.iter().copied())
    }
}

/// What the roll-up needs of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionState {
    pub id: i64,
    /// "open" | "in_progress" | "completed" | "not_accepted".
    pub status: String,
    pub due_date: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rag {
    Green,
    Amber,
    Red,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub actions: u32,
    pub green: u32,
    pub amber: u32,
    pub red: u32,
    pub not_accepted: u32,
    pub completed_percent: Option<Decimal>,
    pub rating: Option<Rag>,
}

/// An action's RAG at `as_of`: green completed, amber not yet due, red overdue; `None`
/// for an action not accepted.
pub fn action_rag(a: &ActionState, as_of: NaiveDate) -> Option<Rag> {
    match a.status.as_str() {
        "completed" => Some(Rag::Green),
        "not_accepted" => None,
        _ if a.due_date < as_of => Some(Rag::Red),
        _ => Some(Rag::Amber),
    }
}

/// The roll-up of `actions` at `as_of`: green when every accepted action is completed, red
/// when a quarter or more are overdue, amber otherwise.
pub fn progress<'a>(
    actions: impl IntoIterator<Item = &'a ActionState>,
    as_of: NaiveDate,
) -> Progress {
    let mut p = Progress::default();
    for a in actions {
        p.actions += 1;
        match action_rag(a, as_of) {
            Some(Rag::Green) => p.green += 1,
            Some(Rag::Amber) => p.amber += 1,
            Some(Rag::Red) => p.red += 1,
            None => p.not_accepted += 1,
        }
    }
    let accepted = p.actions - p.not_accepted;
    p.completed_percent = whole_percent(p.green, accepted);
    p.rating = (accepted > 0).then(|| {
        if p.green == accepted {
            Rag::Green
        } else if p.red * 4 >= accepted {
            Rag::Red
        } else {
            Rag::Amber
        }
    });
    p
}

// ----------------------------------------------------------------- governance register

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterBody {
    pub code: String,
    /// A forum's name; empty for a governance body (its stored name is used).
    pub name: String,
    pub forum: bool,
    pub chaired_by: String,
    pub work: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    NotRecorded,
    Female,
    Male,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    pub body: String,
    pub agency: String,
    pub role: String,
    pub lay: bool,
    pub gender: Gender,
    pub chair: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register {
    pub bodies: Vec<RegisterBody>,
    pub seats: Vec<Seat>,
}

/// The counts of one body's seats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    pub seats: u32,
    pub agencies: u32,
    pub lay_members: u32,
    pub female: u32,
    pub male: u32,
    pub gender_not_recorded: u32,
    pub female_percent: Option<Decimal>,
    pub male_percent: Option<Decimal>,
    /// The first seat marked chair: (agency, role).
    pub chair: Option<(String, String)>,
    /// Seats by agency, in the order of `agency_order` (unknown agencies last, by code).
    pub by_agency: Vec<(String, u32)>,
}

/// Counts the seats of `body`; `agency_order` is the directory's order of agency codes.
pub fn membership(seats: &[Seat], body: &str, agency_order: &[String]) -> Membership {
    let mine: Vec<&Seat> = seats.iter().filter(|s| s.body == body).collect();
    let mut m = Membership {
        seats: mine.len() as u32,
        ..Default::default()
    };
    let mut by: std::collections::BTreeMap<&str, u32> = Default::default();
    for s in &mine {
        *by.entry(s.agency.as_str()).or_default() += 1;
        if s.lay {
            m.lay_members += 1;
        }
        match s.gender {
            Gender::Female => m.female += 1,
            Gender::Male => m.male += 1,
            Gender::NotRecorded => m.gender_not_recorded += 1,
        }
        if s.chair && m.chair.is_none() {
            m.chair = Some((s.agency.clone(), s.role.clone()));
        }
    }
    // Lay members sit as themselves, not for an agency.
    m.agencies = mine
        .iter()
        .filter(|s| !s.lay)
        .map(|s| s.agency.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u32;
    m.female_percent = whole_percent(m.female, m.female + m.male);
    m.male_percent = whole_percent(m.male, m.female + m.male);
    let pos = |a: &str| {
        agency_order
            .iter()
            .position(|x| x == a)
            .unwrap_or(usize::MAX)
    };
    let mut list: Vec<(String, u32)> = by.into_iter().map(|(a, n)| (a.to_string(), n)).collect();
    list.sort_by(|a, b| pos(&a.0).cmp(&pos(&b.0)).then(a.0.cmp(&b.0)));
    m.by_agency = list;
    m
}

// ---------------------------------------------------------------- child death reviews

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub code: String,
    pub label: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildDeathReviews {
    pub deaths_from: NaiveDate,
    pub deaths_to: NaiveDate,
    pub by_category: Vec<Count>,
    pub with_modifiable_factors: u32,
    pub modifiable_factors: Vec<Count>,
    pub themes: Vec<String>,
    pub actions: Vec<String>,
}

impl ChildDeathReviews {
    /// Reviews completed: the sum of the categories.
    pub fn reviewed(&self) -> u32 {
        self.by_category.iter().map(|c| c.count).sum()
    }

    pub fn modifiable_percent(&self) -> Option<Decimal> {
        whole_percent(self.with_modifiable_factors, self.reviewed())
    }
}

#[cfg(test)]
#[path = "board_domain_tests.rs"]
mod tests;
