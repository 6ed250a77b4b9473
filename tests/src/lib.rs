//! `TestApp`: the whole lscb stack on `127.0.0.1:0` ports with in-memory SQLite databases,
//! typed channels and tokens, for end-to-end tests. Set `TEST_LOG=1` to see the services' logs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Once};
use std::time::Duration;

use lscb_platform::config::Upstreams;
use lscb_platform::{Authenticator, Db, Directory, Role, ServiceContext, ServiceKind};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// The reference board's partnership id in the test directory.
pub const PARTNERSHIP: &str = "bscb";

/// A running stack.
#[derive(Debug)]
pub struct TestApp {
    pub aggregator: SocketAddr,
    pub indicators: SocketAddr,
    pub audits: SocketAddr,
    pub training: SocketAddr,
    pub finance: SocketAddr,
    pub auth: Arc<Authenticator>,
    pub directory: Arc<Directory>,
    stop: tokio::sync::watch::Sender<bool>,
    stoppers: Vec<(ServiceKind, tokio::sync::watch::Sender<bool>)>,
    tasks: JoinSet<anyhow::Result<()>>,
}

static TRACING: Once = Once::new();

fn init_tracing() {
    TRACING.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            lscb_platform::telemetry::init(lscb_platform::telemetry::LogFormat::Text, "info");
        }
    });
}

/// Path of the test directory (the shipped one plus a second partnership).
pub fn directory_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/directory.toml")
}

/// Adds a bearer token to every call.
#[derive(Debug, Clone)]
pub struct Bearer(pub Option<String>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(t) = &self.0 {
            req.metadata_mut()
                .insert("authorization", format!("Bearer {t}").parse().unwrap());
        }
        Ok(req)
    }
}

pub type AuthChannel = InterceptedService<Channel, Bearer>;

impl TestApp {
    /// Starts the five services on ephemeral ports with fresh in-memory databases.
    pub async fn spawn() -> TestApp {
        init_tracing();
        let directory = Arc::new(Directory::load(&directory_path()).expect("test directory"));
        let auth = Arc::new(Authenticator::new(lscb_platform::testing::TEST_SECRET).unwrap());
        let (stop, _) = tokio::sync::watch::channel(false);
        let mut listeners = Vec::new();
        for kind in ServiceKind::ALL {
            listeners.push((kind, TcpListener::bind("127.0.0.1:0").await.unwrap()));
        }
        let addr_of = |k: ServiceKind| {
            listeners
                .iter()
                .find(|(x, _)| *x == k)
                .unwrap()
                .1
                .local_addr()
                .unwrap()
        };
        let (aggregator, indicators, audits, training, finance) = (
            addr_of(ServiceKind::Aggregator),
            addr_of(ServiceKind::Indicators),
            addr_of(ServiceKind::Audits),
            addr_of(ServiceKind::Training),
            addr_of(ServiceKind::Finance),
        );
        let upstreams = Upstreams {
            indicators_url: format!("http://{indicators}"),
            audits_url: format!("http://{audits}"),
            training_url: format!("http://{training}"),
            finance_url: format!("http://{finance}"),
            upstream_timeout_ms: 5_000,
        };
        let mut tasks = JoinSet::new();
        let mut stoppers = Vec::new();
        for (kind, listener) in listeners {
            let db = Db::connect("sqlite::memory:").await.unwrap();
            let ctx = ServiceContext::new(db.clone(), directory.clone(), auth.clone());
            let (own_stop, mut own_rx) = tokio::sync::watch::channel(false);
            let mut all_rx = stop.subscribe();
            stoppers.push((kind, own_stop));
            let shutdown = async move {
                tokio::select! {
                    _ = all_rx.wait_for(|s| *s) => {},
                    _ = own_rx.wait_for(|s| *s) => {},
                }
            };
            let upstreams = upstreams.clone();
            match kind {
                ServiceKind::Aggregator => {
                    lscb_aggregator::migrate(&db).await.unwrap();
                    tasks.spawn(lscb_aggregator::serve(listener, ctx, upstreams, shutdown));
                }
                ServiceKind::Indicators => {
                    lscb_indicators::migrate(&db).await.unwrap();
                    tasks.spawn(lscb_indicators::serve(listener, ctx, shutdown));
                }
                ServiceKind::Audits => {
                    lscb_audits::migrate(&db).await.unwrap();
                    tasks.spawn(lscb_audits::serve(listener, ctx, shutdown));
                }
                ServiceKind::Training => {
                    lscb_training::migrate(&db).await.unwrap();
                    tasks.spawn(lscb_training::serve(listener, ctx, shutdown));
                }
                ServiceKind::Finance => {
                    lscb_finance::migrate(&db).await.unwrap();
                    tasks.spawn(lscb_finance::serve(listener, ctx, shutdown));
                }
            }
        }
        let app = TestApp {
            aggregator,
            indicators,
            audits,
            training,
            finance,
            auth,
            directory,
            stop,
            stoppers,
            tasks,
        };
        for k in ServiceKind::ALL {
            app.wait_ready(app.addr(k)).await;
        }
        app
    }

    async fn wait_ready(&self, addr: SocketAddr) {
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("service at {addr} did not start");
    }

    pub fn addr(&self, kind: ServiceKind) -> SocketAddr {
        match kind {
            ServiceKind::Aggregator => self.aggregator,
            ServiceKind::Indicators => self.indicators,
            ServiceKind::Audits => self.audits,
            ServiceKind::Training => self.training,
            ServiceKind::Finance => self.finance,
        }
    }

    /// A token for the reference partnership.
    pub fn token(&self, role: Role, agency: Option<&str>) -> String {
        self.token_for(PARTNERSHIP, role, agency)
    }

    pub fn token_for(&self, partnership: &str, role: Role, agency: Option<&str>) -> String {
        self.auth
            .issue("test", partnership, role, agency, Duration::from_secs(3600))
            .unwrap()
    }

    pub fn admin(&self) -> String {
        self.token(Role::Admin, None)
    }

    pub fn reader(&self) -> String {
        self.token(Role::Reader, None)
    }

    /// A plain channel to a service.
    pub async fn channel(&self, kind: ServiceKind) -> Channel {
        Endpoint::from_shared(format!("http://{}", self.addr(kind)))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// A channel that sends `token` (or nothing) with every call.
    pub async fn authed(&self, kind: ServiceKind, token: Option<String>) -> AuthChannel {
        InterceptedService::new(self.channel(kind).await, Bearer(token))
    }

    /// Stops one service (e.g. to test the report's partial failure).
    pub fn stop_service(&self, kind: ServiceKind) {
        for (k, s) in &self.stoppers {
            if *k == kind {
                let _ = s.send(true);
            }
        }
    }

    /// Stops everything and waits for every server to exit.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        while let Some(r) = self.tasks.join_next().await {
            r.unwrap().unwrap();
        }
    }
}
