//! Part 4 of the annual report: the key questions and their judgements from evidence, the
//! sufficiency statement, overrides, challenges, pledges and narrative checks.
//!
//! The core is pure: [`Facts`] (the evidence) and [`Rules`] (versioned TOML,
//! `rules/sufficiency.toml`) go into [`evaluate`] / [`analyse_facts`] and [`Part4`] comes out,
//! with every evidence item, its reason, source and yardstick. What the board authors
//! (overrides, challenges, pledges) is stored by [`store::Store`] and served by
//! `lscb.report.v1.AnalysisService` ([`grpc`]).
//!
//! For the assembled report: `report.part4 = Some(analysis::part4_for_report(&db,
//! &report).await?)` reads the facts from Parts 1–3 ([`facts_from_report`]), loads the
//! board's stored overrides, challenges and pledges, runs [`analyse`] (which also checks the
//! narrative) and returns Part 4 as Markdown blocks ([`part4_value`]).

pub mod context;
pub mod domain;
pub mod entity;
pub mod facts;
pub mod from_report;
pub mod grpc;
pub mod migration;
pub mod narrative;
pub mod render;
pub mod rules;
pub mod store;
pub mod votes;

pub use domain::{
    Answer, Authored, Challenge, ChallengeProgress, ChallengeReview, ChallengeStatus, Evidence,
    Expectation, Judgement, Override, Part4, Pledge, PledgeEvaluation, PledgeOutcome, PledgeTarget,
    Stance, analyse_facts, evaluate, evaluate_pledge,
};
pub use facts::*;
pub use from_report::{analyse, facts_from_report, part4_for_report, part4_value};
pub use narrative::{Contradiction, KnownFigure, Section, check_narrative, known_figures};
pub use rules::{QuestionKey, Rules, Yardstick};

use lscb_platform::{ServerBuilder, ServiceContext};
use sea_orm_migration::MigrationTrait;

/// This module's migrations, in order (names prefixed `m_an_`).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    migration::all()
}

/// Adds `lscb.report.v1.AnalysisService` to the server, with the shipped default rules;
/// `upstreams` (the data services) let `CheckNarrative` check the stored narrative of a year.
pub fn register(
    builder: ServerBuilder,
    ctx: &ServiceContext,
    upstreams: &lscb_platform::config::Upstreams,
) -> ServerBuilder {
    let limit = ctx.max_message_bytes;
    let svc = lscb_proto::report::v1::analysis_service_server::AnalysisServiceServer::new(
        grpc::AnalysisApi::new(ctx.clone(), Rules::default_rules())
            .with_reports(crate::report::grpc::ReportApi::new(ctx.clone(), upstreams)),
    )
    .max_decoding_message_size(limit)
    .max_encoding_message_size(limit);
    builder.add_service(svc)
}
