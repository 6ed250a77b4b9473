//! Cached `GetSeries` answers served as the bytes they were encoded to.
//!
//! A series answer carries the source observations of every point (33 KB for a year of a
//! partnership total over 31 agencies). Answering a cache hit through the generated service
//! means cloning that message (thousands of small strings) and encoding it again on every call;
//! the profile in BENCHMARKS.md shows that as most of a hit's cost. [`SeriesFastPath`] sits
//! between the auth interceptor and the generated service: for a `GetSeries` call whose answer
//! is cached it writes the stored encoding as the gRPC response itself. Everything else — other
//! methods, misses, compressed or malformed requests, callers without claims — goes to the
//! generated service unchanged, which answers (and caches) as before.
//!
//! It runs behind the interceptor, so the token has been verified and the caller's claims are in
//! the request's extensions; the cache key is the same as the handler's (partnership and the
//! request's canonical encoding), so a hit here is exactly the answer the handler would give.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use lscb_platform::{Claims, Directory};
use lscb_proto::indicators::v1 as pb;
use prost::Message;
use tonic::body::Body;
use tonic::server::NamedService;

use crate::cache::ReadCache;

/// The method this path serves.
pub const GET_SERIES_PATH: &str = "/lscb.indicators.v1.IndicatorService/GetSeries";

/// Largest `GetSeries` request read here (a request names an indicator and two periods).
const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Wraps the generated indicators service; see the module documentation.
#[derive(Debug, Clone)]
pub struct SeriesFastPath<S> {
    inner: S,
    cache: Arc<ReadCache>,
    directory: Arc<Directory>,
}

impl<S> SeriesFastPath<S> {
    pub fn new(inner: S, cache: Arc<ReadCache>, directory: Arc<Directory>) -> Self {
        Self {
            inner,
            cache,
            directory,
        }
    }
}

impl<S: NamedService> NamedService for SeriesFastPath<S> {
    const NAME: &'static str = S::NAME;
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S> tower::Service<http::Request<Body>> for SeriesFastPath<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let eligible = req.uri().path() == GET_SERIES_PATH
            && self.cache.enabled()
            && req.extensions().get::<Claims>().is_some()
            // A compressed request is left to the generated service.
            && req.headers().get("grpc-encoding").is_none_or(|v| v == "identity");
        // The service that was made ready answers this call; a clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if !eligible {
            return Box::pin(inner.call(req));
        }
        let cache = self.cache.clone();
        let directory = self.directory.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let bytes = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
                Ok(c) => c.to_bytes(),
                Err(e) => {
                    let status = if e
                        .downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some()
                    {
                        tonic::Status::resource_exhausted(format!(
                            "a GetSeries request is at most {MAX_REQUEST_BYTES} bytes"
                        ))
                    } else {
                        tonic::Status::cancelled(format!("reading the request: {e}"))
                    };
                    return Ok(status.into_http());
                }
            };
            if let Some(encoded) = cached_answer(&cache, &directory, &parts, &bytes) {
                return Ok(grpc_response(encoded));
            }
            let req = http::Request::from_parts(parts, Body::new(Full::new(bytes)));
            inner.call(req).await
        })
    }
}

/// The cached encoding of the answer to this request, when the request is one uncompressed
/// `GetSeriesRequest` of a caller whose partnership is served here and the answer is fresh.
fn cached_answer(
    cache: &ReadCache,
    directory: &Directory,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Option<Bytes> {
    let claims = parts.extensions.get::<Claims>()?;
    let partnership = directory.partnership(&claims.partnership)?;
    // One message frame: flag 0 (uncompressed), big-endian length, the message.
    if body.len() < 5 || body[0] != 0 {
        return None;
    }
    let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    if body.len() != 5 + len {
        return None;
    }
    let request = pb::GetSeriesRequest::decode(&body[5..]).ok()?;
    let ticket = cache.ticket(&partnership.id, &request);
    cache.get_encoded(&cache.series, &ticket)
}

/// A successful unary gRPC response whose message is `encoded`.
fn grpc_response(encoded: Bytes) -> http::Response<Body> {
    let mut prefix = BytesMut::with_capacity(5);
    prefix.put_u8(0);
    prefix.put_u32(encoded.len() as u32);
    let mut trailers = http::HeaderMap::new();
    trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
    let frames: Vec<Result<http_body::Frame<Bytes>, Infallible>> = vec![
        Ok(http_body::Frame::data(prefix.freeze())),
        Ok(http_body::Frame::data(encoded)),
        Ok(http_body::Frame::trailers(trailers)),
    ];
    let mut res = http::Response::new(Body::new(StreamBody::new(futures::stream::iter(frames))));
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/grpc"),
    );
    res
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use lscb_platform::Role;
    use tower::{Service, ServiceExt};

    use super::*;

    fn claims(partnership: &str) -> Claims {
        Claims {
            sub: "t".into(),
            partnership: partnership.into(),
            role: Role::Reader,
            agency: None,
            iat: 0,
            exp: i64::MAX,
        }
    }

    fn framed(m: &impl Message) -> Bytes {
        let m = m.encode_to_vec();
        let mut b = BytesMut::new();
        b.put_u8(0);
        b.put_u32(m.len() as u32);
        b.extend_from_slice(&m);
        b.freeze()
    }

    fn call(path: &str, body: Bytes, who: Option<&str>) -> http::Request<Body> {
        let mut r = http::Request::builder()
            .uri(format!("http://localhost{path}"))
            .header("content-type", "application/grpc")
            .body(Body::new(Full::new(body)))
            .unwrap();
        if let Some(p) = who {
            r.extensions_mut().insert(claims(p));
        }
        r
    }

    fn request() -> pb::GetSeriesRequest {
        pb::GetSeriesRequest {
            indicator_code: "CP.PLANS".into(),
            ..Default::default()
        }
    }

    fn answer() -> pb::GetSeriesResponse {
        pb::GetSeriesResponse {
            indicator: None,
            lines: vec![pb::SeriesLine {
                breakdown_value: String::new(),
                points: vec![pb::Figure {
                    value: "900".into(),
                    ..Default::default()
                }],
            }],
        }
    }

    /// Whatever reaches the generated service: its request bodies, and a marker answer.
    type Seen = Arc<std::sync::Mutex<Vec<Bytes>>>;

    // The generated service's stand-in has an unnameable closure type.
    #[allow(clippy::type_complexity)]
    fn setup() -> (
        SeriesFastPath<
            impl tower::Service<
                http::Request<Body>,
                Response = http::Response<Body>,
                Error = Infallible,
                Future = impl Send,
            > + Clone
            + Send
            + 'static,
        >,
        Arc<ReadCache>,
        Seen,
        Arc<AtomicUsize>,
    ) {
        let cache = Arc::new(ReadCache::new(Duration::from_secs(60)));
        let seen: Seen = Arc::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let inner = tower::service_fn({
            let seen = seen.clone();
            let calls = calls.clone();
            move |req: http::Request<Body>| {
                let seen = seen.clone();
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    let b = req.into_body().collect().await.unwrap().to_bytes();
                    seen.lock().unwrap().push(b);
                    Ok::<_, Infallible>(http::Response::new(Body::empty()))
                }
            }
        });
        let dir = Arc::new(lscb_platform::testing::test_directory());
        (
            SeriesFastPath::new(inner, cache.clone(), dir),
            cache,
            seen,
            calls,
        )
    }

    async fn send<S>(
        svc: &mut SeriesFastPath<S>,
        req: http::Request<Body>,
    ) -> (Bytes, Option<http::HeaderMap>)
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
    {
        let res = svc.ready().await.unwrap().call(req).await.unwrap();
        let collected = res.into_body().collect().await.unwrap();
        let trailers = collected.trailers().cloned();
        (collected.to_bytes(), trailers)
    }

    #[tokio::test]
    async fn a_hit_is_the_stored_encoding_and_everything_else_reaches_the_service() {
        let (mut svc, cache, seen, calls) = setup();
        let body = framed(&request());
        // A miss: the generated service gets the request's bytes unchanged.
        let (out, _) = send(&mut svc, call(GET_SERIES_PATH, body.clone(), Some("bscb"))).await;
        assert!(out.is_empty());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(seen.lock().unwrap()[0], body);

        // Once the handler has cached the answer, the path answers with its encoding.
        cache.put(&cache.series, cache.ticket("bscb", &request()), &answer());
        let (out, trailers) =
            send(&mut svc, call(GET_SERIES_PATH, body.clone(), Some("bscb"))).await;
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "served without the service"
        );
        assert_eq!(out, framed(&answer()));
        assert_eq!(pb::GetSeriesResponse::decode(&out[5..]).unwrap(), answer());
        assert_eq!(trailers.unwrap().get("grpc-status").unwrap(), "0");

        // Another partnership, no claims, another method, a write: the service answers.
        send(&mut svc, call(GET_SERIES_PATH, body.clone(), Some("other"))).await;
        send(&mut svc, call(GET_SERIES_PATH, body.clone(), None)).await;
        send(
            &mut svc,
            call(
                "/lscb.indicators.v1.IndicatorService/GetScorecard",
                body.clone(),
                Some("bscb"),
            ),
        )
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        cache.invalidate("bscb");
        send(&mut svc, call(GET_SERIES_PATH, body.clone(), Some("bscb"))).await;
        assert_eq!(calls.load(Ordering::SeqCst), 5);
        // Every forwarded request arrived whole.
        assert!(seen.lock().unwrap().iter().all(|b| *b == body));
    }

    #[tokio::test]
    async fn malformed_frames_are_left_to_the_service() {
        let (mut svc, cache, seen, calls) = setup();
        cache.put(&cache.series, cache.ticket("bscb", &request()), &answer());
        let good = framed(&request());
        let mut compressed = BytesMut::from(&good[..]);
        compressed[0] = 1;
        let truncated = good.slice(..good.len() - 1);
        let mut two = BytesMut::from(&good[..]);
        two.extend_from_slice(&good);
        for bad in [
            compressed.freeze(),
            truncated,
            two.freeze(),
            Bytes::from_static(b"\0\0"),
        ] {
            send(&mut svc, call(GET_SERIES_PATH, bad.clone(), Some("bscb"))).await;
            assert_eq!(seen.lock().unwrap().last().unwrap(), &bad);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn an_oversized_request_is_refused_without_reaching_the_service() {
        let (mut svc, _cache, _seen, calls) = setup();
        let huge = Bytes::from(vec![0u8; MAX_REQUEST_BYTES + 10]);
        let res = svc
            .ready()
            .await
            .unwrap()
            .call(call(GET_SERIES_PATH, huge, Some("bscb")))
            .await
            .unwrap();
        let status = tonic::Status::from_header_map(res.headers()).unwrap();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}
