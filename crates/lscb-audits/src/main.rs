//! `lscb-audits`: the audits service as its own process (production deployments).

use lscb_platform::{Config, ServiceKind, shutdown_signal, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(ServiceKind::Audits)?;
    telemetry::init(config.log_format, &config.log);
    lscb_audits::run(config, shutdown_signal()).await
}
