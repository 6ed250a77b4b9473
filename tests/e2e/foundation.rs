//! The foundation: health, reflection and the directory API with its authentication.

use lscb_e2e::TestApp;
use lscb_platform::{Role, ServiceKind};
use lscb_proto::report::v1::ListAgenciesRequest;
use lscb_proto::report::v1::directory_service_client::DirectoryServiceClient;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

#[tokio::test]
async fn every_service_answers_health_serving() {
    let app = TestApp::spawn().await;
    for kind in ServiceKind::ALL {
        let mut h = HealthClient::new(app.channel(kind).await);
        let r = h
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.status(), ServingStatus::Serving, "{}", kind.name());
    }
    let mut h = HealthClient::new(app.channel(ServiceKind::Aggregator).await);
    let r = h
        .check(HealthCheckRequest {
            service: "lscb.report.v1.DirectoryService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status(), ServingStatus::Serving);
    app.shutdown().await;
}

async fn reflected_services(app: &TestApp, kind: ServiceKind) -> Vec<String> {
    use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
    let mut c = ServerReflectionClient::new(app.channel(kind).await);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = c
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    let resp = stream.message().await.unwrap().unwrap();
    match resp.message_response.unwrap() {
        MessageResponse::ListServicesResponse(l) => l.service.into_iter().map(|s| s.name).collect(),
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

#[tokio::test]
async fn reflection_lists_services_without_a_token() {
    let app = TestApp::spawn().await;
    let names = reflected_services(&app, ServiceKind::Aggregator).await;
    assert!(
        names.contains(&"lscb.report.v1.DirectoryService".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_string()),
        "{names:?}"
    );
    for kind in ServiceKind::ALL {
        let names = reflected_services(&app, kind).await;
        assert!(
            names.contains(&"grpc.health.v1.Health".to_string()),
            "{}: {names:?}",
            kind.name()
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn list_agencies_with_a_reader_token() {
    let app = TestApp::spawn().await;
    let mut c = DirectoryServiceClient::new(
        app.authed(ServiceKind::Aggregator, Some(app.reader()))
            .await,
    );
    let all = c
        .list_agencies(ListAgenciesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.agencies.len(), 31);
    assert_eq!(all.page.unwrap().total_size, 31);
    assert!(
        all.agencies
            .iter()
            .any(|a| a.code == "WMP" && a.sector == "police" && a.statutory)
    );
    let police = c
        .list_agencies(ListAgenciesRequest {
            sector: "police".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        police
            .agencies
            .iter()
            .map(|a| a.code.as_str())
            .collect::<Vec<_>>(),
        ["WMP"]
    );
    let non_statutory = c
        .list_agencies(ListAgenciesRequest {
            statutory: Some(false),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(non_statutory.agencies.iter().all(|a| !a.statutory));
    assert!(non_statutory.agencies.iter().any(|a| a.code == "LAY"));
    let bad = c
        .list_agencies(ListAgenciesRequest {
            sector: "navy".into(),
            valid_at: "2015-13-01".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(
        bad.message().contains("sector") && bad.message().contains("valid_at"),
        "{}",
        bad.message()
    );
    app.shutdown().await;
}

#[tokio::test]
async fn each_kind_of_bad_token_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let other = lscb_platform::Authenticator::new(b"a-different-secret-a-different-se").unwrap();
    let forged = other
        .issue(
            "x",
            "bscb",
            Role::Admin,
            None,
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "missing"),
        (Some("garbage".into()), "malformed"),
        (Some(forged), "signature"),
    ];
    for (token, expect) in cases {
        let mut c = DirectoryServiceClient::new(app.authed(ServiceKind::Aggregator, token).await);
        let e = c
            .list_agencies(ListAgenciesRequest::default())
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated);
        assert!(e.message().contains(expect), "{expect}: {}", e.message());
    }
    let now = chrono_now();
    let expired = jsonwebtoken_expired(now);
    let mut c =
        DirectoryServiceClient::new(app.authed(ServiceKind::Aggregator, Some(expired)).await);
    let e = c
        .list_agencies(ListAgenciesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    assert!(e.message().contains("expired"), "{}", e.message());
    app.shutdown().await;
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A token whose `exp` lies in the past, signed with the test secret.
fn jsonwebtoken_expired(now: i64) -> String {
    let claims = lscb_platform::Claims {
        sub: "t".into(),
        partnership: "bscb".into(),
        role: Role::Reader,
        agency: None,
        iat: now - 100,
        exp: now - 50,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(lscb_platform::testing::TEST_SECRET),
    )
    .unwrap()
}

#[tokio::test]
async fn a_token_for_an_unknown_partnership_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.token_for("nowhere", Role::Reader, None);
    let mut c = DirectoryServiceClient::new(app.authed(ServiceKind::Aggregator, Some(t)).await);
    let e = c
        .list_agencies(ListAgenciesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let t = app.token_for("other", Role::Reader, None);
    let mut c = DirectoryServiceClient::new(app.authed(ServiceKind::Aggregator, Some(t)).await);
    let r = c
        .list_agencies(ListAgenciesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        r.agencies
            .iter()
            .map(|a| a.code.as_str())
            .collect::<Vec<_>>(),
        ["OPOL"]
    );
    app.shutdown().await;
}
