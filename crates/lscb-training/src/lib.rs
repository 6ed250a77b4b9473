//! The training service: the multi-agency training offer — courses, sessions, bookings
//! and attendance, charges, evaluations, programme reach and accredited trainers.

pub mod delivery;
mod delivery_grpc;
pub mod domain;
pub mod grpc;
pub mod migration;
pub mod store;

use std::future::Future;

use lscb_platform::{Config, Db, ServiceContext};
use lscb_proto::training::v1::training_service_server::TrainingServiceServer;
use sea_orm_migration::MigratorTrait;
use tokio::net::TcpListener;

/// Runs the service from its configuration until `shutdown` completes.
pub async fn run(config: Config, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
    let ctx = lscb_platform::bootstrap(&config).await?;
    migrate(&ctx.db).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("binding {}: {e}", config.listen))?;
    serve(listener, ctx, shutdown).await
}

/// Brings the database schema up to date.
pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    migration::Migrator::up(db.conn(), None).await?;
    Ok(())
}

/// Serves the gRPC API on `listener` with an already migrated database.
pub async fn serve(
    listener: TcpListener,
    ctx: ServiceContext,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let limit = ctx.max_message_bytes;
    let training = TrainingServiceServer::new(grpc::TrainingApi::new(ctx.clone()))
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit);
    ctx.server_builder()
        .add_service(training)
        .serve(listener, shutdown)
        .await
}
