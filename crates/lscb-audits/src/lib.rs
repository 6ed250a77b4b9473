//! The audits service: quality assurance and assurance evidence — case file audits,
//! inspections, learning reviews and their actions, Section 11 and 175 self-assessments,
//! assurance letters, board attendance and practitioner surveys.

pub mod assurance;
pub mod migration;
pub mod qa;

use std::future::Future;

use lscb_platform::{Config, Db, ServiceContext};
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
    let builder = qa::register(ctx.server_builder(), &ctx);
    let builder = assurance::register(builder, &ctx);
    builder.serve(listener, shutdown).await
}
