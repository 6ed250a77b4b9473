//! The report never hangs on a data service that accepts connections but never answers:
//! every upstream call carries a deadline derived from the caller's, the report comes back
//! incomplete with every silent service listed, and a narrative placeholder that cannot be
//! checked is UNAVAILABLE rather than a hang.

use std::time::Duration;

use lscb_platform::config::Upstreams;
use lscb_platform::testing::{self, TestServer};
use lscb_proto::report::v1 as pb;
use lscb_proto::report::v1::report_service_client::ReportServiceClient;
use tokio::net::TcpListener;

/// A listener that accepts connections and never says anything.
async fn black_hole() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    format!("http://{addr}")
}

async fn server() -> TestServer {
    let db = testing::sqlite_memory().await;
    lscb_aggregator::migrate(&db).await.unwrap();
    let upstreams = Upstreams {
        indicators_url: black_hole().await,
        audits_url: black_hole().await,
        training_url: black_hole().await,
        finance_url: black_hole().await,
        upstream_timeout_ms: 30_000,
    };
    TestServer::spawn(db, move |l, ctx, sd| {
        lscb_aggregator::serve(l, ctx, upstreams, sd)
    })
    .await
}

#[tokio::test]
async fn silent_services_miss_the_callers_deadline_and_the_report_says_so() {
    let s = server().await;
    let mut c = ReportServiceClient::new(s.reader().await);
    let mut req = tonic::Request::new(pb::AssembleReportRequest {
        year: "2015-16".into(),
        format: pb::ReportFormat::Markdown as i32,
        ..Default::default()
    });
    // The caller allows 2 s; the aggregator's own cap (30 s) must not be what applies.
    req.set_timeout(Duration::from_secs(2));
    let r = c.assemble_report(req).await.unwrap().into_inner();
    assert!(!r.complete);
    assert_eq!(
        r.failed_sources,
        ["indicators", "audits", "training", "finance"]
    );
    for src in &r.sources {
        assert!(
            src.error.starts_with("deadline exceeded"),
            "{}: {}",
            src.source,
            src.error
        );
    }
    assert!(r.content.contains("This report is incomplete"));
    assert!(r.content.contains(
        "Data unavailable: the budget and expenditure could not be included because the finance service did not provide it"
    ));
}

#[tokio::test]
async fn a_placeholder_that_cannot_be_checked_is_unavailable_and_nothing_is_stored() {
    let s = server().await;
    let mut c = ReportServiceClient::new(s.admin().await);
    let mut req = tonic::Request::new(pb::PutNarrativeRequest {
        year: "2015-16".into(),
        section: "foreword".into(),
        markdown: "Budget: {{finance:total_budget:2015-16}}.".into(),
        expected_version: None,
    });
    req.set_timeout(Duration::from_secs(2));
    let err = c.put_narrative(req).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unavailable, "{err:?}");
    assert!(err.message().contains("{{finance:total_budget:2015-16}}"));
    let err = c
        .get_narrative(pb::GetNarrativeRequest {
            year: "2015-16".into(),
            section: "foreword".into(),
            version: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    // Text without placeholders needs no data service.
    let v = c
        .put_narrative(pb::PutNarrativeRequest {
            year: "2015-16".into(),
            section: "foreword".into(),
            markdown: "A year of progress.".into(),
            expected_version: Some(0),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.version, 1);
}

#[tokio::test]
async fn bad_requests_name_every_field() {
    use tonic_types::StatusExt;
    let s = server().await;
    let mut c = ReportServiceClient::new(s.admin().await);
    let err = c
        .put_narrative(pb::PutNarrativeRequest {
            year: "2015".into(),
            section: "weather".into(),
            markdown: "{{finance:budget:2015-16}}".into(),
            expected_version: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    let fields: Vec<String> = err
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect();
    assert_eq!(fields, ["year", "section", "markdown"]);
    let err = c
        .assemble_report(pb::AssembleReportRequest {
            year: "2015-16-Q1".into(),
            format: 0,
            ..Default::default()
        })
        .await
        .unwrap_err();
    let fields: Vec<String> = err
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect();
    assert_eq!(fields, ["year", "format"]);
    let err = c
        .get_published(pb::GetPublishedRequest {
            year: "2015-16".into(),
            version: 3,
            format: pb::ReportFormat::Html as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    // Without a token nothing is served.
    let mut anon = ReportServiceClient::new(s.channel(None).await);
    let err = anon
        .list_published(pb::ListPublishedRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
}
