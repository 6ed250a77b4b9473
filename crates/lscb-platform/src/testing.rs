//! Test support: fresh databases for store tests, on in-memory SQLite and, when
//! `LSCB_TEST_PG_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), on a fresh
//! PostgreSQL database per call, so tests never see each other's rows.

use sea_orm::ConnectionTrait;

use crate::db::Db;

/// A fresh in-memory SQLite database.
pub async fn sqlite_memory() -> Db {
    Db::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite")
}

/// A fresh, empty PostgreSQL schema when `LSCB_TEST_PG_URL` is set: one database
/// (`lscb_test`) holds a new schema per call, so tests never see each other's rows and
/// stay cheap.
pub async fn postgres_fresh() -> Option<Db> {
    let base = std::env::var("LSCB_TEST_PG_URL")
        .ok()
        .filter(|s| !s.is_empty())?;
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => base[..scheme_end + i].to_string(),
        None => base.clone(),
    };
    let test_url = format!("{root}/lscb_test");
    let db = match Db::connect(&test_url).await {
        Ok(db) => db,
        Err(_) => {
            let admin = Db::connect(&base)
                .await
                .expect("connect to LSCB_TEST_PG_URL");
            // Another test may create it at the same moment; either way it exists afterwards.
            let _ = admin
                .conn()
                .execute_unprepared("CREATE DATABASE lscb_test")
                .await;
            Db::connect(&test_url).await.expect("connect to lscb_test")
        }
    };
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    db.conn()
        .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
        .await
        .expect("create test schema");
    db.conn().clone().close().await.ok();
    Some(
        Db::connect_in_schema(&test_url, Some(&schema))
            .await
            .expect("connect to the fresh test schema"),
    )
}

/// Every database a store test should run on: SQLite always, PostgreSQL when configured.
/// Each is fresh and empty.
pub async fn databases() -> Vec<(&'static str, Db)> {
    let mut out = vec![("sqlite", sqlite_memory().await)];
    if let Some(pg) = postgres_fresh().await {
        out.push(("postgres", pg));
    }
    out
}

/// A fixed 32-byte secret for tests.
pub const TEST_SECRET: &[u8] = b"lscb-test-secret-lscb-test-secret";

/// The directory tests use: the shipped `deploy/directory.toml` (the reference board `bscb`
/// with its 31 agencies) plus a second partnership `other` with one agency `OPOL`, so tests
/// can prove nobody sees another partnership's data.
pub fn test_directory() -> crate::directory::Directory {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/directory.toml");
    let mut d = crate::directory::Directory::load(&path).expect("deploy/directory.toml");
    d.partnerships.push(crate::directory::Partnership {
        id: "other".into(),
        name: "Other Safeguarding Children Partnership".into(),
        local_authority: "Other Council".into(),
        region: "Elsewhere".into(),
        statistical_neighbours: vec![],
        agencies: vec![crate::directory::Agency {
            code: "OPOL".into(),
            name: "Other Police".into(),
            sector: crate::directory::Sector::Police,
            statutory: true,
            valid_from: None,
            valid_to: None,
        }],
    });
    d
}

/// A service context over `db` with the test directory and [`TEST_SECRET`].
pub fn test_context(db: Db) -> crate::context::ServiceContext {
    let auth = crate::auth::Authenticator::new(TEST_SECRET).expect("test secret");
    crate::context::ServiceContext::new(
        db,
        std::sync::Arc::new(test_directory()),
        std::sync::Arc::new(auth),
    )
}

/// One service running on `127.0.0.1:0` for gRPC tests of a single service.
#[derive(Debug)]
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    pub ctx: crate::context::ServiceContext,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Adds `authorization: Bearer <token>` (when set) to every call.
#[derive(Debug, Clone)]
pub struct Bearer(pub Option<String>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(t) = &self.0 {
            req.metadata_mut().insert(
                "authorization",
                format!("Bearer {t}").parse().expect("token is ascii"),
            );
        }
        Ok(req)
    }
}

/// A channel that sends a bearer token with every call.
pub type AuthChannel =
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, Bearer>;

type ShutdownFuture = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

impl TestServer {
    /// Starts a service: `serve` is the service crate's `serve(listener, ctx, shutdown)`
    /// (run its migrations on `db` first).
    pub async fn spawn<F, Fut>(db: Db, serve: F) -> TestServer
    where
        F: FnOnce(tokio::net::TcpListener, crate::context::ServiceContext, ShutdownFuture) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let ctx = test_context(db);
        let (stop, mut rx) = tokio::sync::watch::channel(false);
        let shutdown: ShutdownFuture = Box::pin(async move {
            let _ = rx.wait_for(|s| *s).await;
        });
        let task = tokio::spawn(serve(listener, ctx.clone(), shutdown));
        TestServer {
            addr,
            ctx,
            stop,
            task,
        }
    }

    /// A token for partnership `bscb`.
    pub fn token(&self, role: crate::auth::Role, agency: Option<&str>) -> String {
        self.token_for("bscb", role, agency)
    }

    pub fn token_for(
        &self,
        partnership: &str,
        role: crate::auth::Role,
        agency: Option<&str>,
    ) -> String {
        self.ctx
            .auth
            .issue(
                "test",
                partnership,
                role,
                agency,
                std::time::Duration::from_secs(3600),
            )
            .expect("token")
    }

    /// A channel carrying `token` (or none).
    pub async fn channel(&self, token: Option<String>) -> AuthChannel {
        let ch = tonic::transport::Endpoint::from_shared(format!("http://{}", self.addr))
            .expect("endpoint")
            .connect()
            .await
            .expect("connect to test server");
        tonic::service::interceptor::InterceptedService::new(ch, Bearer(token))
    }

    /// Channels for the usual callers: admin, reader, and a submitter of `agency`.
    pub async fn admin(&self) -> AuthChannel {
        self.channel(Some(self.token(crate::auth::Role::Admin, None)))
            .await
    }

    pub async fn reader(&self) -> AuthChannel {
        self.channel(Some(self.token(crate::auth::Role::Reader, None)))
            .await
    }

    pub async fn submitter(&self, agency: &str) -> AuthChannel {
        self.channel(Some(self.token(crate::auth::Role::Submitter, Some(agency))))
            .await
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        self.task
            .await
            .expect("server task")
            .expect("server result");
    }
}
