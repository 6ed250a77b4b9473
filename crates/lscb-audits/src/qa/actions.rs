//! Actions against recommendations, from any source: audits, inspections, learning reviews
//! and (part 2) Section 11 self-assessments. Part 2 inserts its actions with
//! [`insert_action`] inside its own transaction; `ListActions` lists every source kind.

use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use super::entity::action;

/// The kinds of record an action can come from.
pub const SOURCE_KINDS: [&str; 4] = ["audit", "inspection", "learning_review", "section11"];

/// The statuses of an action.
pub const STATUSES: [&str; 4] = ["open", "in_progress", "completed", "not_accepted"];

/// A new action, status `open`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    /// "audit" | "inspection" | "learning_review" | "section11".
    pub source_kind: String,
    /// The id of the audit, inspection, learning review or self-assessment.
    pub source_id: String,
    /// The recommendation the action answers (its text or reference).
    pub recommendation: String,
    pub description: String,
    /// The owning agency's directory code (the caller checks it exists).
    pub owner_agency: String,
    pub due_date: chrono::NaiveDate,
}

/// Inserts one open action for `partnership` and returns its id. Use it inside the caller's
/// write transaction (`&*txn`). Refuses an unknown source kind or empty fields with
/// `DbErr::Custom`; callers validate first.
pub async fn insert_action<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    new: NewAction,
) -> Result<i64, DbErr> {
    if !SOURCE_KINDS.contains(&new.source_kind.as_str()) {
        return Err(DbErr::Custom(format!(
            "unknown action source kind '{}'",
            new.source_kind
        )));
    }
    if partnership.is_empty()
        || new.source_id.is_empty()
        || new.description.trim().is_empty()
        || new.owner_agency.is_empty()
    {
        return Err(DbErr::Custom(
            "an action needs a partnership, source id, description and owner agency".into(),
        ));
    }
    let model = action::ActiveModel {
        partnership: Set(partnership.to_string()),
        source_kind: Set(new.source_kind),
        source_id: Set(new.source_id),
        recommendation: Set(new.recommendation),
        description: Set(new.description),
        owner_agency: Set(new.owner_agency),
        due_date: Set(new.due_date),
        status: Set("open".to_string()),
        completion_evidence: Set(String::new()),
        completed_on: Set(None),
        updated_by: Set(String::new()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(model.id)
}

#[cfg(test)]
#[path = "actions_tests.rs"]
mod tests;
