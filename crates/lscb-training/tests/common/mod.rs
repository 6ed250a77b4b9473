//! What the training service's gRPC test files share: a server per database and the checks
//! of refusals.

use lscb_platform::Db;
use lscb_platform::testing::TestServer;
use lscb_proto::common::v1 as cpb;
use tonic::Code;
use tonic_types::StatusExt;

pub(crate) async fn spawn(db: Db) -> TestServer {
    lscb_training::migrate(&db).await.expect("migrate");
    TestServer::spawn(db, lscb_training::serve).await
}

/// SQLite in memory, and PostgreSQL when configured.
pub(crate) async fn servers() -> Vec<(&'static str, TestServer)> {
    let mut out = vec![];
    for (name, db) in lscb_platform::testing::databases().await {
        out.push((name, spawn(db).await));
    }
    out
}

pub(crate) fn period(code: &str) -> Option<cpb::Period> {
    Some(cpb::Period { code: code.into() })
}

/// The fields an `INVALID_ARGUMENT` names.
pub(crate) fn fields(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
        .get_details_bad_request()
        .expect("bad request details")
        .field_violations
        .iter()
        .map(|f| f.field.clone())
        .collect()
}
