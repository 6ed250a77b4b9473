//! sea-orm entities of the report module's tables (`rep_*`).

pub mod glossary;
pub mod narrative;
pub mod published;
