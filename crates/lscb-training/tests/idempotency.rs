//! Idempotency under concurrency, on SQLite and (with `LSCB_TEST_PG_URL`) PostgreSQL: 100
//! identical `RecordYearTotals` requests with one key all get the first answer and store one
//! row; the key with another payload is `ALREADY_EXISTS` with reason
//! `IDEMPOTENCY_KEY_REUSED`.

use lscb_platform::idempotency;
use lscb_proto::training::v1 as pb;
use lscb_proto::training::v1::training_service_client::TrainingServiceClient;
use sea_orm::{ConnectionTrait, Statement};
use tonic::Code;
use tonic_types::StatusExt;

#[allow(dead_code)] // the helpers other test files use
mod common;
use common::{period, spawn};

fn totals(places_taken: u32, key: &str) -> pb::RecordYearTotalsRequest {
    pb::RecordYearTotalsRequest {
        totals: Some(pb::YearTotals {
            year: period("2014-15"),
            courses_run: 110,
            places_offered: 2500,
            places_taken,
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
    for (name, db) in lscb_platform::testing::databases().await {
        let srv = spawn(db.clone()).await;
        let c = TrainingServiceClient::new(srv.admin().await);
        let mut tasks = vec![];
        for _ in 0..100 {
            let mut c = c.clone();
            tasks.push(tokio::spawn(async move {
                c.record_year_totals(totals(2300, "totals-2014"))
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
        assert_eq!(first.places_taken, 2300, "{name}");
        assert!(
            answers.iter().all(|a| a.as_ref().unwrap() == &first),
            "{name}"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM tr_year_totals").await,
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
            .record_year_totals(totals(2301, "totals-2014"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists, "{name}");
        let info = err.get_details_error_info().expect("ErrorInfo");
        assert_eq!(info.reason, "IDEMPOTENCY_KEY_REUSED", "{name}");
        assert_eq!(info.domain, "lscb", "{name}");
        assert!(idempotency::is_key_reused(&err), "{name}");
        // Nothing of it was stored.
        let again = c
            .record_year_totals(totals(2300, "totals-2014"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(again, first, "{name}");
        srv.shutdown().await;
    }
}
