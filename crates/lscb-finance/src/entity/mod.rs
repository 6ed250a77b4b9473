//! sea-orm entities of the finance tables (see the migration for the schema).

pub mod category;
pub mod history;
pub mod idempotency;
pub mod item;
pub mod year;
