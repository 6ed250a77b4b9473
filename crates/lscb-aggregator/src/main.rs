//! `lscb-aggregator`: the aggregator as its own process (production deployments).

use lscb_platform::{Config, ServiceKind, shutdown_signal, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(ServiceKind::Aggregator)?;
    telemetry::init(config.log_format, &config.log);
    lscb_aggregator::run(config, shutdown_signal()).await
}
