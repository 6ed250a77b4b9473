//! The aggregator: the partnership directory API, and (in later modules) the annual report
//! and its sufficiency statement, assembled from the four data services.

pub mod analysis;
pub mod directory_grpc;
pub mod migration;
pub mod report;

use std::future::Future;

use lscb_platform::config::Upstreams;
use lscb_platform::{Config, Db, ServiceContext};
use lscb_proto::report::v1::directory_service_server::DirectoryServiceServer;
use sea_orm_migration::MigratorTrait;
use tokio::net::TcpListener;

/// Runs the aggregator from its configuration until `shutdown` completes.
pub async fn run(config: Config, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
    let ctx = lscb_platform::bootstrap(&config).await?;
    migrate(&ctx.db).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("binding {}: {e}", config.listen))?;
    serve(listener, ctx, config.upstreams.clone(), shutdown).await
}

/// Brings the database schema up to date.
pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    migration::Migrator::up(db.conn(), None).await?;
    Ok(())
}

/// Serves the aggregator's gRPC API on `listener`; `upstreams` says where the data services are.
pub async fn serve(
    listener: TcpListener,
    ctx: ServiceContext,
    upstreams: Upstreams,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let limit = ctx.max_message_bytes;
    let directory = DirectoryServiceServer::new(directory_grpc::DirectoryApi::new(ctx.clone()))
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit);
    let builder = ctx.server_builder().add_service(directory);
    let builder = report::register(builder, &ctx, &upstreams);
    let builder = analysis::register(builder, &ctx, &upstreams);
    builder.serve(listener, shutdown).await
}
