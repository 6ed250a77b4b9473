//! The annual report: authored narrative, assembly from the four data services, rendering
//! (Markdown, HTML with charts, JSON) and publishing.

pub mod assemble;
pub mod breakdown;
pub mod charts;
pub mod context_series;
pub mod doc;
pub mod entity;
pub mod format;
pub mod glossary_seed;
pub mod grpc;
pub mod layout;
pub(crate) mod migration;
pub mod model;
pub mod notes;
pub mod pdf;
pub mod periods;
pub mod placeholder;
pub mod readability;
pub mod render;
pub mod store;
pub mod training_detail;
pub mod upstream;
pub mod young;

use lscb_platform::config::Upstreams;
use lscb_platform::{ServerBuilder, ServiceContext};
use lscb_proto::report::v1::report_service_server::ReportServiceServer;
use sea_orm_migration::MigrationTrait;

/// This module's migrations, in order (names prefixed `m_rep_`).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(migration::m_rep_0001_initial::Migration)]
}

/// Adds `lscb.report.v1.ReportService` to the server.
pub fn register(
    builder: ServerBuilder,
    ctx: &ServiceContext,
    upstreams: &Upstreams,
) -> ServerBuilder {
    let limit = ctx.max_message_bytes;
    let svc = ReportServiceServer::new(grpc::ReportApi::new(ctx.clone(), upstreams))
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit);
    builder.add_service(svc)
}
