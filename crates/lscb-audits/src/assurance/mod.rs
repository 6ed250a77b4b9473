//! Part 2 of the audits service: Section 11 and Section 175 self-assessments, assurance
//! letters and agency annual reports, board attendance and practitioner surveys.

use lscb_platform::{ServerBuilder, ServiceContext};
use sea_orm_migration::MigrationTrait;

/// This part's migrations, in order (names prefixed `m_as_`).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![]
}

/// Adds this part's gRPC services to the server.
pub fn register(builder: ServerBuilder, ctx: &ServiceContext) -> ServerBuilder {
    let _ = ctx;
    builder
}
