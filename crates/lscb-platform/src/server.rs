//! One gRPC server builder for every service. Add services (each is wrapped in the auth
//! interceptor and marked SERVING in `grpc.health.v1`), then `serve`: health and server
//! reflection (v1 and v1alpha, with the health descriptors registered) stay open without a
//! token; a trace layer logs method, status and latency (never bodies); on shutdown every
//! service is marked NOT_SERVING, in-flight calls drain, and the server stops within the
//! configured hard timeout.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::server::NamedService;
use tonic::service::{Routes, RoutesBuilder, interceptor::InterceptedService};
use tonic::transport::Server;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower_http::trace::TraceLayer;

use crate::auth::Authenticator;

/// Builds one service process's gRPC server.
#[derive(Debug)]
pub struct ServerBuilder {
    auth: Arc<Authenticator>,
    routes: RoutesBuilder,
    names: Vec<&'static str>,
    max_message_bytes: usize,
    shutdown_timeout: Duration,
}

impl ServerBuilder {
    pub fn new(auth: Arc<Authenticator>) -> Self {
        Self {
            auth,
            routes: RoutesBuilder::default(),
            names: Vec::new(),
            max_message_bytes: 16 * 1024 * 1024,
            shutdown_timeout: Duration::from_secs(10),
        }
    }

    /// Largest message a service should accept or send; services pass this to their
    /// generated server's `max_decoding_message_size` / `max_encoding_message_size`.
    pub fn max_message_bytes(mut self, n: usize) -> Self {
        self.max_message_bytes = n;
        self
    }

    pub fn limit(&self) -> usize {
        self.max_message_bytes
    }

    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.shutdown_timeout = d;
        self
    }

    /// Adds a service behind the auth interceptor; it is advertised by reflection and
    /// reported SERVING once the server runs.
    pub fn add_service<S>(mut self, svc: S) -> Self
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.routes
            .add_service(InterceptedService::new(svc, self.auth.interceptor()));
        self
    }

    /// Serves on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let (reporter, health) = tonic_health::server::health_reporter();
        let mut v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(lscb_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health");
        let mut v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(lscb_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health");
        for name in &self.names {
            v1 = v1.with_service_name(*name);
            v1alpha = v1alpha.with_service_name(*name);
        }
        let v1 = v1.build_v1()?;
        let v1alpha = v1alpha.build_v1alpha()?;
        let mut routes = self.routes;
        routes
            .add_service(health)
            .add_service(v1)
            .add_service(v1alpha);
        let routes: Routes = routes.routes();

        set_all(&reporter, &self.names, ServingStatus::Serving).await;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, services = ?self.names, "serving");

        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let names = self.names.clone();
        let reporter2 = reporter.clone();
        let signal = async move {
            shutdown.await;
            tracing::info!(%addr, "shutting down: marking services NOT_SERVING and draining");
            set_all(&reporter2, &names, ServingStatus::NotServing).await;
            let _ = stopping_tx.send(());
        };
        let server = Server::builder()
            .layer(TraceLayer::new_for_grpc())
            .add_routes(routes)
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), signal);
        tokio::pin!(server);
        let hard = self.shutdown_timeout;
        let deadline = async move {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(hard).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            r = &mut server => r?,
            _ = deadline => tracing::warn!(%addr, "in-flight calls did not finish within {hard:?}; stopping anyway"),
        }
        tracing::info!(%addr, "stopped");
        Ok(())
    }
}

async fn set_all(reporter: &HealthReporter, names: &[&'static str], status: ServingStatus) {
    reporter.set_service_status("", status).await;
    for n in names {
        reporter.set_service_status(*n, status).await;
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
