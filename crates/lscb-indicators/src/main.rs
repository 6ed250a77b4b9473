//! `lscb-indicators`: the indicators service as its own process (production deployments).

use lscb_platform::{Config, ServiceKind, shutdown_signal, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(ServiceKind::Indicators)?;
    telemetry::init(config.log_format, &config.log);
    lscb_indicators::run(config, shutdown_signal()).await
}
