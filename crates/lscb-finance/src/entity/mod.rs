//! sea-orm entities of the finance tables (see the migration for the schema).

pub mod category;
pub mod contribution;
pub mod expenditure_line;
pub mod history;
pub mod in_kind;
pub mod income_line;
pub mod planned_change;
pub mod year;
