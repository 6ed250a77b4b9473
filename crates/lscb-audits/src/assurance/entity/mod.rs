//! sea-orm entities of part 2 (tables prefixed `as_`).

pub mod assurance_doc;
pub mod board_record;
pub mod body;
pub mod meeting;
pub mod s11_catalogue;
pub mod s11_gap_action;
pub mod s11_moderation;
pub mod s11_return;
pub mod s175_establishment;
pub mod s175_return;
pub mod s175_total;
pub mod survey;
