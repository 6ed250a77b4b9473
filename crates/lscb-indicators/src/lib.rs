//! The indicators service: the partnership's performance dataset — indicator definitions,
//! observations per period and agency, targets, benchmarks and the figures derived from them.

pub mod cache;
pub mod domain;
pub mod entity;
pub mod fast_path;
pub mod grpc;
pub mod migration;
pub mod store;

use std::future::Future;

use lscb_platform::{Config, Db, ServiceContext};
use lscb_proto::indicators::v1::indicator_service_server::IndicatorServiceServer;
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
    let api = grpc::IndicatorApi::new(ctx.clone());
    let cache = api.cache();
    let server = IndicatorServiceServer::new(api)
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit);
    // Cached GetSeries answers go out as their stored encoding (see fast_path.rs).
    let api = fast_path::SeriesFastPath::new(server, cache, ctx.directory.clone());
    ctx.server_builder()
        .add_service(api)
        .serve(listener, shutdown)
        .await
}
