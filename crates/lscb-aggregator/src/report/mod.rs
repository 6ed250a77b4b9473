//! The annual report: authored narrative, assembly from the four data services, rendering
//! (Markdown, HTML with charts, JSON) and publishing.

pub mod model;

use lscb_platform::config::Upstreams;
use lscb_platform::{ServerBuilder, ServiceContext};
use sea_orm_migration::MigrationTrait;

/// This module's migrations, in order (names prefixed `m_rep_`).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![]
}

/// Adds this module's gRPC services to the server.
pub fn register(
    builder: ServerBuilder,
    ctx: &ServiceContext,
    upstreams: &Upstreams,
) -> ServerBuilder {
    let _ = (ctx, upstreams);
    builder
}
