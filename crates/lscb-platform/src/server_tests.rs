//! The server's edges: shutdown with streams open, and connections that never handshake.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic_health::pb::health_check_response::ServingStatus as Wire;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

use super::ServerBuilder;
use crate::auth::Authenticator;

type Stop = tokio::sync::oneshot::Sender<()>;
type Task = tokio::task::JoinHandle<anyhow::Result<()>>;

async fn start(builder: ServerBuilder) -> (std::net::SocketAddr, Stop, Task) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(builder.serve(listener, async move {
        let _ = rx.await;
    }));
    (addr, tx, task)
}

fn builder() -> ServerBuilder {
    let auth = Authenticator::new(crate::testing::TEST_SECRET).unwrap();
    ServerBuilder::new(Arc::new(auth)).shutdown_timeout(Duration::from_secs(30))
}

async fn health(addr: std::net::SocketAddr) -> HealthClient<tonic::transport::Channel> {
    let ch = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    HealthClient::new(ch)
}

#[tokio::test]
async fn shutdown_tells_watchers_not_serving_ends_their_streams_and_does_not_wait_for_them() {
    let (addr, stop, task) = start(builder()).await;
    let mut client = health(addr).await;
    let mut watch = client
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let first: HealthCheckResponse = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status, Wire::Serving as i32);

    let t0 = Instant::now();
    stop.send(()).unwrap();
    let next = watch
        .message()
        .await
        .unwrap()
        .expect("NOT_SERVING before the end");
    assert_eq!(next.status, Wire::NotServing as i32);
    match watch.message().await {
        Err(status) => assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}"),
        Ok(None) => {}
        Ok(Some(m)) => panic!("unexpected message after NOT_SERVING: {m:?}"),
    }
    tokio::time::timeout(Duration::from_secs(25), task)
        .await
        .expect("the server stopped before its 30 s hard timeout")
        .unwrap()
        .unwrap();
    // Not the hard timeout: the drain ended the stream (generous bound, not a speed test).
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
}

/// Whether the server closes `conn` (EOF or reset) within `within`.
async fn closed_within(mut conn: tokio::net::TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 256];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, conn.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // the server's own SETTINGS / GOAWAY
        }
    }
}

#[tokio::test]
async fn connections_that_never_finish_the_handshake_are_closed() {
    let (addr, stop, task) = start(builder().handshake_timeout(Duration::from_millis(300))).await;
    let silent: Vec<_> =
        futures::future::join_all((0..50).map(|_| tokio::net::TcpStream::connect(addr)))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
    let mut half = tokio::net::TcpStream::connect(addr).await.unwrap();
    half.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();

    let results = futures::future::join_all(
        silent
            .into_iter()
            .chain([half])
            .map(|c| closed_within(c, Duration::from_secs(10))),
    )
    .await;
    assert!(
        results.iter().all(|c| *c),
        "{} left open",
        results.iter().filter(|c| !**c).count()
    );

    // A real client is unaffected.
    let mut client = health(addr).await;
    let r = client
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status, Wire::Serving as i32);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[test]
fn a_callers_mistake_is_not_logged_as_a_server_error() {
    use tonic::Code;
    use tracing::Level;
    for code in [
        Code::InvalidArgument,
        Code::NotFound,
        Code::AlreadyExists,
        Code::PermissionDenied,
        Code::Unauthenticated,
        Code::FailedPrecondition,
        Code::OutOfRange,
        Code::Unimplemented,
    ] {
        assert_eq!(super::failure_level(code), Level::INFO, "{code:?}");
    }
    for code in [
        Code::Unavailable,
        Code::DeadlineExceeded,
        Code::ResourceExhausted,
    ] {
        assert_eq!(super::failure_level(code), Level::WARN, "{code:?}");
    }
    for code in [Code::Internal, Code::Unknown, Code::DataLoss] {
        assert_eq!(super::failure_level(code), Level::ERROR, "{code:?}");
    }
}
