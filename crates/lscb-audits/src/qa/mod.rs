//! Part 1 of the audits service: case file audits and their case reviews, findings,
//! recommendations and actions, inspections and learning reviews.

pub mod actions;
pub mod entity;
mod migration;

use lscb_platform::{ServerBuilder, ServiceContext};
use sea_orm_migration::MigrationTrait;

/// This part's migrations, in order (names prefixed `m_qa_`).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(migration::m_qa_0001_actions::Migration)]
}

/// Adds this part's gRPC services to the server.
pub fn register(builder: ServerBuilder, ctx: &ServiceContext) -> ServerBuilder {
    let _ = ctx;
    builder
}
