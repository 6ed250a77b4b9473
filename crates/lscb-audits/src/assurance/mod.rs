//! Part 2 of the audits service: Section 11 and Section 175 self-assessments, assurance
//! letters and agency annual reports, board attendance and practitioner surveys.

pub mod board_domain;
mod board_grpc;
pub mod board_store;
pub mod domain;
pub mod entity;
mod grpc;
mod migration;
pub mod store;

use lscb_platform::{ServerBuilder, ServiceContext};
use lscb_proto::audits::v1::{
    board_service_server::BoardServiceServer, governance_service_server::GovernanceServiceServer,
    section11_service_server::Section11ServiceServer,
    section175_service_server::Section175ServiceServer, survey_service_server::SurveyServiceServer,
};
use sea_orm_migration::MigrationTrait;

/// This part's migrations, in order (names prefixed `m_as_`).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(migration::m_as_0001_schema::Migration),
        Box::new(migration::m_as_0002_board_records::Migration),
    ]
}

/// Adds this part's gRPC services to the server.
pub fn register(builder: ServerBuilder, ctx: &ServiceContext) -> ServerBuilder {
    let api = grpc::AssuranceApi::new(ctx.clone());
    let limit = ctx.max_message_bytes;
    builder
        .add_service(
            Section11ServiceServer::new(api.clone())
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
        )
        .add_service(
            Section175ServiceServer::new(api.clone())
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
        )
        .add_service(
            GovernanceServiceServer::new(api.clone())
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
        )
        .add_service(
            BoardServiceServer::new(board_grpc::BoardApi::new(ctx.clone()))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
        )
        .add_service(
            SurveyServiceServer::new(api)
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
        )
}
