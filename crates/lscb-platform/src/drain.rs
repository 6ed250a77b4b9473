//! Shutdown that does not wait on open streams, and overload answered rather than queued.
//!
//! [`DrainLayer`] wraps every request and response body. Once the server is draining, a
//! request body that is still waiting for the client (a stalled client stream) fails with
//! `UNAVAILABLE` — the handler sees it as the stream's error and returns it, so nothing of
//! the half-sent stream is stored — and a response stream that is waiting for its next
//! message (a `grpc.health.v1.Health/Watch`, which has already been sent NOT_SERVING) ends
//! with `UNAVAILABLE` trailers. Bodies with data ready are never cut, so a unary call in
//! flight finishes normally and a watcher always receives NOT_SERVING before its stream ends.
//!
//! [`OverloadLayer`] bounds the calls in flight in one process: a call over the limit is
//! answered at once with `RESOURCE_EXHAUSTED` (health checks are exempt), instead of queueing
//! without bound.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Frame;
use tokio::sync::watch;
use tonic::Status;
use tonic::body::Body;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Tells every wrapped body that the server is draining.
#[derive(Debug, Clone)]
pub struct Drain(watch::Receiver<bool>);

/// The sending half: `start()` begins the drain.
#[derive(Debug)]
pub struct DrainTrigger(watch::Sender<bool>);

impl DrainTrigger {
    pub fn start(&self) {
        let _ = self.0.send(true);
    }
}

/// A new drain signal and its trigger.
pub fn drain_channel() -> (DrainTrigger, Drain) {
    let (tx, rx) = watch::channel(false);
    (DrainTrigger(tx), Drain(rx))
}

impl Drain {
    fn waiter(&self) -> BoxFuture<()> {
        let mut rx = self.0.clone();
        Box::pin(async move {
            if rx.wait_for(|d| *d).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}

/// Which side of the call a [`DrainBody`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

/// A body that gives up waiting once the server drains (see the module doc).
struct DrainBody<B> {
    inner: Pin<Box<B>>,
    side: Side,
    drained: BoxFuture<()>,
    done: bool,
}

impl<B> http_body::Body for DrainBody<B>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<tonic::codegen::StdError>,
{
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match this.inner.as_mut().poll_frame(cx) {
            Poll::Ready(Some(Err(e))) => {
                return Poll::Ready(Some(Err(Status::from_error(e.into()))));
            }
            Poll::Ready(Some(Ok(frame))) => return Poll::Ready(Some(Ok(frame))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        if this.drained.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.done = true;
        match this.side {
            Side::Request => Poll::Ready(Some(Err(Status::unavailable(
                "the server is shutting down: this call's stream was still open, so it was cancelled; nothing from it was stored — send it again",
            )))),
            Side::Response => {
                let mut trailers = http::HeaderMap::new();
                let _ =
                    Status::unavailable("the server is shutting down").add_header(&mut trailers);
                Poll::Ready(Some(Ok(Frame::trailers(trailers))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }
}

/// Wraps request and response bodies in the drain (see the module doc).
#[derive(Debug, Clone)]
pub struct DrainLayer(pub Drain);

impl<S> tower::Layer<S> for DrainLayer {
    type Service = DrainService<S>;
    fn layer(&self, inner: S) -> DrainService<S> {
        DrainService {
            inner,
            drain: self.0.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct DrainService<S> {
    inner: S,
    drain: Drain,
}

impl<S, ResBody> tower::Service<http::Request<Body>> for DrainService<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: http_body::Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<tonic::codegen::StdError>,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<http::Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let drain = self.drain.clone();
        let req = req.map(|b| {
            Body::new(DrainBody {
                inner: Box::pin(b),
                side: Side::Request,
                drained: drain.waiter(),
                done: false,
            })
        });
        let fut = self.inner.call(req);
        Box::pin(async move {
            let resp = fut.await?;
            Ok(resp.map(|b| {
                Body::new(DrainBody {
                    inner: Box::pin(b),
                    side: Side::Response,
                    drained: drain.waiter(),
                    done: false,
                })
            }))
        })
    }
}

/// Bounds the calls in flight in one process (see the module doc).
#[derive(Debug, Clone)]
pub struct OverloadLayer {
    in_flight: Arc<AtomicUsize>,
    max: usize,
}

impl OverloadLayer {
    pub fn new(max: usize) -> Self {
        Self {
            in_flight: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }
}

impl<S> tower::Layer<S> for OverloadLayer {
    type Service = OverloadService<S>;
    fn layer(&self, inner: S) -> OverloadService<S> {
        OverloadService {
            inner,
            in_flight: self.in_flight.clone(),
            max: self.max,
        }
    }
}

#[derive(Debug, Clone)]
pub struct OverloadService<S> {
    inner: S,
    in_flight: Arc<AtomicUsize>,
    max: usize,
}

/// Counts one call in flight until dropped.
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<S, ResBody> tower::Service<http::Request<Body>> for OverloadService<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: http_body::Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<tonic::codegen::StdError>,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<http::Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let exempt = req.uri().path().starts_with("/grpc.");
        let guard = InFlight(self.in_flight.clone());
        let now = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        if now > self.max && !exempt {
            drop(guard);
            let max = self.max;
            return Box::pin(async move {
                let status = Status::resource_exhausted(format!(
                    "the server is overloaded ({max} calls in flight): retry with backoff"
                ));
                Ok(status.into_http())
            });
        }
        let fut = self.inner.call(req);
        Box::pin(async move {
            let resp = fut.await;
            drop(guard);
            Ok(resp?.map(Body::new))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use tower::{Layer, Service, ServiceExt};

    #[tokio::test]
    async fn calls_over_the_limit_are_resource_exhausted_and_health_is_exempt() {
        let (release_tx, release_rx) = watch::channel(false);
        let slow = tower::service_fn(move |_req: http::Request<Body>| {
            let mut rx = release_rx.clone();
            async move {
                let _ = rx.wait_for(|r| *r).await;
                Ok::<_, Infallible>(http::Response::new(Body::empty()))
            }
        });
        let svc = OverloadLayer::new(2).layer(slow);
        let req = |path: &str| {
            http::Request::builder()
                .uri(path)
                .body(Body::empty())
                .unwrap()
        };
        let a = tokio::spawn(svc.clone().oneshot(req("/lscb.x.v1.S/A")));
        let b = tokio::spawn(svc.clone().oneshot(req("/lscb.x.v1.S/B")));
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let over = svc.clone().oneshot(req("/lscb.x.v1.S/C")).await.unwrap();
        let status = Status::from_header_map(over.headers()).expect("a status");
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        let health = tokio::spawn(svc.clone().oneshot(req("/grpc.health.v1.Health/Check")));
        release_tx.send(true).unwrap();
        for h in [a, b, health] {
            let resp = h.await.unwrap().unwrap();
            assert!(Status::from_header_map(resp.headers()).is_none());
        }
        // Once the calls are done there is room again.
        let mut svc = svc;
        let resp = svc
            .ready()
            .await
            .unwrap()
            .call(req("/lscb.x.v1.S/D"))
            .await
            .unwrap();
        assert!(Status::from_header_map(resp.headers()).is_none());
    }
}
