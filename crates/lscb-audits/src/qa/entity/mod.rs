//! sea-orm entities of part 1 (tables prefixed `qa_`).

pub mod action;
pub mod audit;
pub mod case_review;
pub mod inspection;
pub mod learning_review;
pub mod recommendation;
