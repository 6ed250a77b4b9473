//! sea-orm entities of part 1 (tables prefixed `qa_`).

pub mod action;
