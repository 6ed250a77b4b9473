//! The platform's input policy seen through one real service, on SQLite and (with
//! `LSCB_TEST_PG_URL`) PostgreSQL: wire garbage, NUL bytes, oversized keys and messages,
//! malformed dates and extreme amounts are the caller's mistakes — `INVALID_ARGUMENT` or
//! `RESOURCE_EXHAUSTED`, small trailers, nothing stored — never `INTERNAL`.

use bytes::{Buf, BufMut};
use lscb_platform::testing::{AuthChannel, TestServer, databases};
use lscb_platform::{Db, Role};
use lscb_proto::common::v1::Period;
use lscb_proto::finance::v1 as pb;
use lscb_proto::finance::v1::finance_service_client::FinanceServiceClient;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic_types::StatusExt;

type Client = FinanceServiceClient<AuthChannel>;

async fn spawn(db: Db) -> TestServer {
    lscb_finance::migrate(&db).await.unwrap();
    TestServer::spawn(db, lscb_finance::serve).await
}

fn year(code: &str) -> Option<Period> {
    Some(Period { code: code.into() })
}

/// Sends and receives raw message bytes, so a test can put anything on the wire.
#[derive(Debug, Clone, Default)]
struct RawCodec;
#[derive(Debug, Clone, Default)]
struct RawEncoder;
#[derive(Debug, Clone, Default)]
struct RawDecoder;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

async fn raw_call(ch: AuthChannel, path: &'static str, body: Vec<u8>) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(ch);
    grpc.ready().await.unwrap();
    grpc.unary(
        tonic::Request::new(body),
        http::uri::PathAndQuery::from_static(path),
        RawCodec,
    )
    .await
    .expect_err("garbage must be refused")
}

/// Bytes on the wire that the gRPC trailers of `status` take (message percent-encoded,
/// details base64).
fn trailer_bytes(status: &tonic::Status) -> usize {
    let message: usize = status
        .message()
        .bytes()
        .map(|b| {
            if (0x20..=0x7e).contains(&b) && b != b'%' {
                1
            } else {
                3
            }
        })
        .sum();
    message + status.details().len().div_ceil(3) * 4
}

async fn nothing_stored(c: &mut Client, name: &str) {
    let s = c
        .get_statement(pb::GetStatementRequest {
            year: year("2015-16"),
        })
        .await;
    match s {
        Ok(s) => {
            let s = s.into_inner();
            assert!(s.contributions.iter().all(|c| !c.recorded), "{name}: {s:?}");
            assert!(s.expenditure.is_empty(), "{name}: {s:?}");
        }
        Err(e) => assert_eq!(e.code(), Code::NotFound, "{name}: {e:?}"),
    }
}

#[tokio::test]
async fn wire_garbage_is_invalid_argument_not_internal() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        for (what, bytes) in [
            ("truncated varint", vec![0x0a, 0xff, 0xff, 0xff]),
            ("wrong wire type", vec![0x0b, 0x01, 0x02]),
            ("length past the end", vec![0x0a, 0x7f, 0x01]),
            ("invalid UTF-8 in a string", vec![0x1a, 0x02, 0xc3, 0x28]),
        ] {
            let status = raw_call(
                server.admin().await,
                "/lscb.finance.v1.FinanceService/PutContributions",
                bytes,
            )
            .await;
            assert_eq!(
                status.code(),
                Code::InvalidArgument,
                "{name} {what}: {status:?}"
            );
        }
        let mut c = Client::new(server.admin().await);
        nothing_stored(&mut c, name).await;
        server.shutdown().await;
    }
}

#[tokio::test]
async fn an_unauthenticated_caller_is_refused_before_its_bytes_are_judged() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let status = raw_call(
            server.channel(None).await,
            "/lscb.finance.v1.FinanceService/PutContributions",
            vec![0xff; 8],
        )
        .await;
        assert_eq!(status.code(), Code::Unauthenticated, "{name}: {status:?}");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn nul_bytes_and_huge_keys_are_refused_by_field_and_nothing_is_stored() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let mut c = Client::new(server.admin().await);
        c.create_budget_year(pb::CreateBudgetYearRequest {
            year: year("2015-16"),
        })
        .await
        .unwrap();
        let nul = c
            .put_expenditure(pb::PutExpenditureRequest {
                year: year("2015-16"),
                lines: vec![pb::ExpenditureInput {
                    category: "training".into(),
                    budget_pence: 100,
                    actual_pence: 100,
                    note: "a\0b".into(),
                }],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(nul.code(), Code::InvalidArgument, "{name}: {nul:?}");
        let br = nul.get_details_bad_request().expect("BadRequest");
        assert_eq!(br.field_violations[0].field, "lines[0].note", "{name}");

        let huge_key = "k".repeat(1 << 20);
        let e = c
            .put_contributions(pb::PutContributionsRequest {
                year: year("2015-16"),
                contributions: vec![pb::ContributionInput {
                    agency_code: "WMP".into(),
                    agreed_pence: 100,
                    ..Default::default()
                }],
                idempotency_key: huge_key,
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{name}: {}", e.message());
        assert!(
            trailer_bytes(&e) < 7 * 1024,
            "{name}: trailers of {}",
            trailer_bytes(&e)
        );

        let e = c
            .put_contributions(pb::PutContributionsRequest {
                year: year("2015-16"),
                contributions: vec![pb::ContributionInput {
                    agency_code: "WMP".into(),
                    agreed_pence: 100,
                    invoiced_on: "15-01-01".into(),
                    received_on: "2015-1-1".into(),
                    ..Default::default()
                }],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        let br = e.get_details_bad_request().expect("BadRequest");
        let fields: Vec<_> = br
            .field_violations
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(
            fields,
            [
                "contributions[0].invoiced_on",
                "contributions[0].received_on"
            ],
            "{name}"
        );
        nothing_stored(&mut c, name).await;
        server.shutdown().await;
    }
}

#[tokio::test]
async fn an_oversized_request_is_resource_exhausted() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let limit = server.ctx.max_message_bytes;
        let mut c = Client::new(server.admin().await).max_encoding_message_size(usize::MAX);
        let e = c
            .put_expenditure(pb::PutExpenditureRequest {
                year: year("2015-16"),
                lines: (0..(limit / 60_000 + 2))
                    .map(|i| pb::ExpenditureInput {
                        category: format!("c{i}"),
                        budget_pence: 1,
                        actual_pence: 1,
                        note: "n".repeat(60_000),
                    })
                    .collect(),
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::ResourceExhausted, "{name}: {e:?}");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn twenty_thousand_bad_rows_keep_trailers_under_7_kib() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let mut c = Client::new(server.admin().await);
        let e = c
            .put_expenditure(pb::PutExpenditureRequest {
                year: year("2015-16"),
                lines: (0..20_000)
                    .map(|i| pb::ExpenditureInput {
                        category: format!("category-{i}\u{1}"),
                        budget_pence: -1,
                        actual_pence: -1,
                        note: String::new(),
                    })
                    .collect(),
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{name}: {}", e.message());
        assert!(
            trailer_bytes(&e) < 7 * 1024,
            "{name}: trailers of {}",
            trailer_bytes(&e)
        );
        assert!(e.message().contains("20000"), "{name}: {}", e.message());
        server.shutdown().await;
    }
}

#[tokio::test]
async fn a_submitter_of_an_agency_outside_the_directory_is_refused() {
    for (name, db) in databases().await {
        let server = spawn(db).await;
        let token = server.token(Role::Submitter, Some("NOT-AN-AGENCY"));
        let mut c = Client::new(server.channel(Some(token)).await);
        let e = c
            .get_statement(pb::GetStatementRequest {
                year: year("2015-16"),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied, "{name}: {e:?}");
        server.shutdown().await;
    }
}
