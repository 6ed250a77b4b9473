//! Every request message is checked before its handler sees it, generically, from the
//! protobuf descriptors of `lscb_proto::FILE_DESCRIPTOR_SET`: a tower service wraps each
//! gRPC service (inside the auth interceptor, so an unauthenticated call is still refused as
//! such) and the request body, holding each gRPC message frame back until it is whole, then
//!
//! - refuses a frame longer than the server's limit with `RESOURCE_EXHAUSTED` as soon as
//!   its header arrives;
//! - refuses bytes that are not the method's request message with `INVALID_ARGUMENT`
//!   (tonic would answer `INTERNAL`), and a body that ends inside a frame likewise;
//! - applies the text policy of `fields.rs` to every string (length by kind of field, no
//!   control characters), answering `INVALID_ARGUMENT` with a `BadRequest` naming each
//!   field at fault, before anything is stored. These are the values a database cannot
//!   store alike (PostgreSQL refuses NUL and index rows over ~2.7 KB; SQLite takes both).
//!
//! Dates and amounts of money are left to the handlers, which check them with
//! `fields::parse_date` and `fields::check_pence` alongside their other fields, so a caller
//! learns every field at fault at once.
//!
//! Frames pass on unchanged; a compressed frame (no server here accepts compression) is left
//! to tonic. As a backstop, a trailers-only answer of tonic's own "failed to decode" becomes
//! `INVALID_ARGUMENT` and its "message length too large" becomes `RESOURCE_EXHAUSTED`.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use http_body::Frame;
use prost_reflect::{DescriptorPool, DynamicMessage, MapKey, MessageDescriptor, Value};
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::{Code, Status};

use crate::error::Violations;
use crate::fields;

/// Input message descriptor of every lscb method, by request path (`/pkg.Service/Method`).
fn methods() -> &'static HashMap<String, MessageDescriptor> {
    static METHODS: OnceLock<HashMap<String, MessageDescriptor>> = OnceLock::new();
    METHODS.get_or_init(|| {
        let pool = DescriptorPool::decode(lscb_proto::FILE_DESCRIPTOR_SET)
            .expect("the compiled descriptor set decodes");
        pool.services()
            .flat_map(|s| {
                s.methods()
                    .map(|m| (format!("/{}/{}", s.full_name(), m.name()), m.input()))
                    .collect::<Vec<_>>()
            })
            .collect()
    })
}

/// The request message descriptor of the method at `path`, when it is an lscb method.
pub fn input_of(path: &str) -> Option<MessageDescriptor> {
    methods().get(path).cloned()
}

/// Checks one encoded request message of type `desc` against the input policy.
pub fn check_message(desc: &MessageDescriptor, bytes: &[u8]) -> Result<(), Status> {
    let msg = DynamicMessage::decode(desc.clone(), bytes).map_err(|e| {
        Status::invalid_argument(format!(
            "the request body is not a valid {} message: {e}",
            desc.full_name()
        ))
    })?;
    let mut v = Violations::new();
    walk(&msg, "", &mut v);
    v.into_result().map_err(Status::from)
}

fn walk(msg: &DynamicMessage, path: &str, v: &mut Violations) {
    for (fd, value) in msg.fields() {
        let name = fd.name();
        let p = if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        check_value(name, value, &p, v);
    }
}

fn check_value(name: &str, value: &Value, path: &str, v: &mut Violations) {
    match value {
        Value::String(s) => {
            if let Err(e) = fields::check_text(name, s) {
                v.add(path, e);
            }
        }
        Value::Message(m) => walk(m, path, v),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                check_value(name, item, &format!("{path}[{i}]"), v);
            }
        }
        Value::Map(map) => {
            for (k, item) in map {
                let key = match k {
                    MapKey::String(s) => {
                        if let Err(e) = fields::check_text(name, s) {
                            v.add(format!("{path} (a key)"), e);
                            continue;
                        }
                        s.clone()
                    }
                    other => format!("{other:?}"),
                };
                check_value(name, item, &format!("{path}[{key}]"), v);
            }
        }
        _ => {}
    }
}

/// A request body that holds each gRPC frame back until it is whole and checked.
struct PolicyBody {
    inner: Body,
    desc: MessageDescriptor,
    limit: usize,
    buf: BytesMut,
    out: VecDeque<Bytes>,
    trailers: Option<http::HeaderMap>,
    passthrough: bool,
    ended: bool,
    failed: bool,
}

impl PolicyBody {
    fn new(inner: Body, desc: MessageDescriptor, limit: usize) -> Self {
        Self {
            inner,
            desc,
            limit,
            buf: BytesMut::new(),
            out: VecDeque::new(),
            trailers: None,
            passthrough: false,
            ended: false,
            failed: false,
        }
    }

    /// Moves every whole, checked frame from `buf` to `out`.
    fn split(&mut self) -> Result<(), Status> {
        while self.buf.len() >= 5 {
            if self.buf[0] != 0 {
                self.passthrough = true;
                self.out.push_back(self.buf.split().freeze());
                return Ok(());
            }
            let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]);
            let len = len as usize;
            if len > self.limit {
                return Err(too_large(len, self.limit));
            }
            if self.buf.len() < 5 + len {
                break;
            }
            let frame = self.buf.split_to(5 + len).freeze();
            check_message(&self.desc, &frame[5..])?;
            self.out.push_back(frame);
        }
        Ok(())
    }
}

fn too_large(len: usize, limit: usize) -> Status {
    Status::resource_exhausted(format!(
        "the request message is {len} bytes; this server accepts messages of at most {limit} bytes"
    ))
}

impl http_body::Body for PolicyBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = &mut *self;
        loop {
            if this.failed {
                return Poll::Ready(None);
            }
            if let Some(b) = this.out.pop_front() {
                return Poll::Ready(Some(Ok(Frame::data(b))));
            }
            if this.ended {
                if !this.buf.is_empty() {
                    this.failed = true;
                    return Poll::Ready(Some(Err(Status::invalid_argument(
                        "the request body ended in the middle of a gRPC message frame",
                    ))));
                }
                return Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))));
            }
            match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                None => this.ended = true,
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(mut data) => {
                        if this.passthrough {
                            return Poll::Ready(Some(Ok(Frame::data(
                                data.copy_to_bytes(data.remaining()),
                            ))));
                        }
                        this.buf.extend_from_slice(&data);
                        if let Err(status) = this.split() {
                            this.failed = true;
                            this.buf.clear();
                            return Poll::Ready(Some(Err(status)));
                        }
                    }
                    Err(frame) => {
                        if let Ok(t) = frame.into_trailers() {
                            this.trailers = Some(t);
                        }
                    }
                },
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        false
    }
}

/// Wraps a gRPC service so every request of an lscb method is checked (see the module doc).
#[derive(Debug, Clone)]
pub struct InputPolicy<S> {
    inner: S,
    limit: usize,
}

impl<S> InputPolicy<S> {
    pub fn new(inner: S, limit: usize) -> Self {
        Self { inner, limit }
    }
}

impl<S: NamedService> NamedService for InputPolicy<S> {
    const NAME: &'static str = S::NAME;
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S> tower::Service<http::Request<Body>> for InputPolicy<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let req = match input_of(req.uri().path()) {
            Some(desc) => {
                let limit = self.limit;
                req.map(|b| Body::new(PolicyBody::new(b, desc, limit)))
            }
            None => req,
        };
        let fut = self.inner.call(req);
        Box::pin(async move {
            let mut resp = fut.await?;
            rewrite_codec_errors(resp.headers_mut());
            Ok(resp)
        })
    }
}

/// Turns tonic's own decode and length errors in a trailers-only answer into the codes the
/// conventions use for the caller's mistakes.
fn rewrite_codec_errors(headers: &mut http::HeaderMap) {
    let Some(status) = Status::from_header_map(headers) else {
        return;
    };
    let replacement = match status.code() {
        Code::Internal if status.message().starts_with("failed to decode") => {
            Status::invalid_argument(format!(
                "the request body is not a valid message: {}",
                status.message()
            ))
        }
        Code::OutOfRange if status.message().contains("message length too large") => {
            Status::resource_exhausted(status.message().to_string())
        }
        _ => return,
    };
    headers.remove("grpc-status-details-bin");
    let _ = replacement.add_header(headers);
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn desc(path: &str) -> MessageDescriptor {
        input_of(path).unwrap_or_else(|| panic!("no method {path}"))
    }

    #[test]
    fn every_method_of_every_service_is_known() {
        assert!(methods().len() > 50, "{} methods", methods().len());
        assert!(input_of("/grpc.health.v1.Health/Check").is_none());
    }

    #[test]
    fn garbage_is_invalid_argument() {
        let d = desc("/lscb.finance.v1.FinanceService/GetStatement");
        let e = check_message(&d, &[0xff, 0xff, 0xff, 0xff, 0x0f]).unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    }

    #[test]
    fn nul_bytes_control_characters_and_long_keys_are_refused_by_field() {
        // A generic message: a Money amount inside any request is bounded, strings anywhere
        // are checked, and the field path names the nested field.
        let d = desc("/lscb.finance.v1.FinanceService/GetStatement");
        let mut msg = DynamicMessage::new(d.clone());
        let year = d
            .get_field_by_name("year")
            .expect("GetStatement has a year");
        let mut p = DynamicMessage::new(year.kind().as_message().unwrap().clone());
        p.set_field_by_name("code", Value::String("2015\0-16".into()));
        msg.set_field(&year, Value::Message(p));
        let e = check_message(&d, &msg.encode_to_vec()).unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(e.message().contains("year.code"), "{}", e.message());
        assert!(e.message().contains("U+0000"), "{}", e.message());

        let mut v = Violations::new();
        check_value(
            "idempotency_key",
            &Value::String("k".repeat(1 << 20)),
            "idempotency_key",
            &mut v,
        );
        check_value(
            "description",
            &Value::List(vec![
                Value::String("ok".into()),
                Value::String("bell\u{7}".into()),
            ]),
            "notes",
            &mut v,
        );
        let fields: Vec<_> = v.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["idempotency_key", "notes[1]"]);
    }
}
