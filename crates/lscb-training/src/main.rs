//! `lscb-training`: the training service as its own process (production deployments).

use lscb_platform::{Config, ServiceKind, shutdown_signal, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(ServiceKind::Training)?;
    telemetry::init(config.log_format, &config.log);
    lscb_training::run(config, shutdown_signal()).await
}
