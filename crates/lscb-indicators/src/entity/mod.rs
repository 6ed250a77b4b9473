//! sea-orm entities, one per table (see `migration/`).

pub mod benchmark;
pub mod indicator_version;
pub mod observation;
pub mod revision;
pub mod rule;
pub mod submission;
pub mod year_lock_event;
