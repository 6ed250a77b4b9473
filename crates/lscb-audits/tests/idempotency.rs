//! Idempotency under concurrency, on SQLite and (with `LSCB_TEST_PG_URL`) PostgreSQL: 100
//! identical `CreateAudit` requests with one key all get the first answer and store one
//! audit; the key with another payload is `ALREADY_EXISTS` with reason
//! `IDEMPOTENCY_KEY_REUSED`.

use lscb_audits::{migrate, serve};
use lscb_platform::idempotency;
use lscb_platform::testing::{TestServer, databases};
use lscb_proto::audits::v1 as pb;
use lscb_proto::audits::v1::audit_service_client::AuditServiceClient;
use lscb_proto::common::v1 as cpb;
use sea_orm::{ConnectionTrait, Statement};
use tonic::Code;

fn create(title: &str, key: &str) -> pb::CreateAuditRequest {
    pb::CreateAuditRequest {
        audit: Some(pb::Audit {
            r#type: pb::AuditType::MultiAgencyCaseFile as i32,
            title: title.into(),
            strategic_priority: "Voice of the Child".into(),
            period: Some(cpb::Period {
                code: "2015-16".into(),
            }),
            status: pb::AuditStatus::InProgress as i32,
            recommendations: vec![pb::Recommendation {
                text: "Record the child's voice".into(),
                actions: vec![pb::ActionInput {
                    description: "Audit again".into(),
                    owner_agency: "WMP".into(),
                    due_date: "2016-03-31".into(),
                }],
                ..Default::default()
            }],
            ..Default::default()
        }),
        idempotency_key: key.into(),
    }
}

async fn count(db: &lscb_platform::Db, sql: &str) -> i64 {
    let row = db
        .conn()
        .query_one_raw(Statement::from_string(db.backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

#[tokio::test]
async fn one_hundred_concurrent_replays_get_the_first_answer() {
    for (name, db) in databases().await {
        migrate(&db).await.expect("migrate");
        let srv = TestServer::spawn(db.clone(), serve).await;
        let c = AuditServiceClient::new(srv.admin().await);
        let mut tasks = vec![];
        for _ in 0..100 {
            let mut c = c.clone();
            tasks.push(tokio::spawn(async move {
                c.create_audit(create("Case file audit", "audit-1"))
                    .await
                    .map(|r| r.into_inner())
            }));
        }
        let mut answers = vec![];
        for t in tasks {
            answers.push(t.await.unwrap());
        }
        let failed: Vec<_> = answers
            .iter()
            .filter_map(|a| a.as_ref().err())
            .map(|s| format!("{:?}: {}", s.code(), s.message()))
            .collect();
        assert!(
            failed.is_empty(),
            "{name}: {} failed: {failed:?}",
            failed.len()
        );
        let first = answers[0].as_ref().unwrap().clone();
        assert_eq!(first.title, "Case file audit", "{name}");
        assert_eq!(first.recommendations.len(), 1, "{name}");
        assert!(
            answers.iter().all(|a| a.as_ref().unwrap() == &first),
            "{name}"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM qa_audits").await,
            1,
            "{name}"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM idempotency").await,
            1,
            "{name}"
        );

        // The key with another payload: refused, and told apart from other conflicts.
        let mut c = c.clone();
        let err = c
            .create_audit(create("Another audit", "audit-1"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists, "{name}");
        // ErrorInfo { reason: "IDEMPOTENCY_KEY_REUSED", domain: "lscb" }.
        assert_eq!(idempotency::KEY_REUSED, "IDEMPOTENCY_KEY_REUSED");
        assert!(idempotency::is_key_reused(&err), "{name}: {err:?}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM qa_audits").await,
            1,
            "{name}"
        );
        // Another key is another audit.
        let other = c
            .create_audit(create("Another audit", "audit-2"))
            .await
            .unwrap()
            .into_inner();
        assert_ne!(other.id, first.id, "{name}");
        srv.shutdown().await;
    }
}
