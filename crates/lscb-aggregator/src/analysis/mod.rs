//! Part 4 of the annual report: the key questions and their judgements from evidence, the
//! sufficiency statement, overrides, challenges, pledges and narrative checks.

use lscb_platform::{ServerBuilder, ServiceContext};
use sea_orm_migration::MigrationTrait;

/// This module's migrations, in order (names prefixed `m_an_`).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![]
}

/// Adds this module's gRPC services to the server.
pub fn register(builder: ServerBuilder, ctx: &ServiceContext) -> ServerBuilder {
    let _ = ctx;
    builder
}
