//! Part 1 of the audits service: case file audits and their case reviews, findings,
//! recommendations and actions, inspections and learning reviews.

pub mod actions;
pub mod domain;
pub mod entity;
mod grpc;
mod migration;
mod store;

use lscb_platform::{ServerBuilder, ServiceContext};
use lscb_proto::audits::v1::action_service_server::ActionServiceServer;
use lscb_proto::audits::v1::audit_service_server::AuditServiceServer;
use lscb_proto::audits::v1::inspection_service_server::InspectionServiceServer;
use lscb_proto::audits::v1::learning_review_service_server::LearningReviewServiceServer;
use sea_orm_migration::MigrationTrait;

/// This part's migrations, in order (names prefixed `m_qa_`).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(migration::m_qa_0001_actions::Migration),
        Box::new(migration::m_qa_0002_programme::Migration),
    ]
}

/// Adds this part's gRPC services to the server.
pub fn register(builder: ServerBuilder, ctx: &ServiceContext) -> ServerBuilder {
    let api = grpc::Api::new(ctx.clone());
    let limit = ctx.max_message_bytes;
    builder
        .add_service(
            AuditServiceServer::new(api.clone())
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
        )
        .add_service(
            InspectionServiceServer::new(api.clone())
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
        )
        .add_service(
            LearningReviewServiceServer::new(api.clone())
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
        )
        .add_service(
            ActionServiceServer::new(api)
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
        )
}
