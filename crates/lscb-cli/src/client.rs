//! What every client command of `lscbctl` shares: the bearer token (`--token` or
//! `LSCB_TOKEN`) and the service endpoints, defaulting to the ports `lscbctl up` uses.

use clap::Args;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// Token and endpoints for client commands.
#[derive(Debug, Clone, Args)]
#[allow(dead_code)]
pub(crate) struct ClientArgs {
    /// Bearer token (see `lscbctl token issue`).
    #[arg(long, env = "LSCB_TOKEN", hide_env_values = true)]
    pub(crate) token: String,
    /// Aggregator endpoint.
    #[arg(
        long,
        env = "LSCB_AGGREGATOR_URL",
        default_value = "http://127.0.0.1:50050"
    )]
    pub(crate) aggregator_url: String,
    /// Indicators endpoint.
    #[arg(
        long,
        env = "LSCB_INDICATORS_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub(crate) indicators_url: String,
    /// Audits endpoint.
    #[arg(
        long,
        env = "LSCB_AUDITS_URL",
        default_value = "http://127.0.0.1:50052"
    )]
    pub(crate) audits_url: String,
    /// Training endpoint.
    #[arg(
        long,
        env = "LSCB_TRAINING_URL",
        default_value = "http://127.0.0.1:50053"
    )]
    pub(crate) training_url: String,
    /// Finance endpoint.
    #[arg(
        long,
        env = "LSCB_FINANCE_URL",
        default_value = "http://127.0.0.1:50054"
    )]
    pub(crate) finance_url: String,
}

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Debug, Clone)]
pub(crate) struct Bearer(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        req.metadata_mut().insert("authorization", self.0.clone());
        Ok(req)
    }
}

/// An authenticated channel.
pub(crate) type AuthChannel = InterceptedService<Channel, Bearer>;

#[allow(dead_code)]
impl ClientArgs {
    /// Connects to `url` with this token.
    pub(crate) async fn channel(&self, url: &str) -> anyhow::Result<AuthChannel> {
        let channel = Endpoint::from_shared(url.to_string())?
            .connect()
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach {url}: {e} (is `lscbctl up` running?)"))?;
        let value = format!("Bearer {}", self.token).parse().map_err(|_| {
            anyhow::anyhow!("the token contains characters not allowed in a header")
        })?;
        Ok(InterceptedService::new(channel, Bearer(value)))
    }
}
