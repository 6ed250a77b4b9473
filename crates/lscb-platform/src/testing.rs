//! Test support: fresh databases for store tests, on in-memory SQLite and, when
//! `LSCB_TEST_PG_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), on a fresh
//! PostgreSQL database per call, so tests never see each other's rows.

use sea_orm::ConnectionTrait;

use crate::db::Db;

/// A fresh in-memory SQLite database.
pub async fn sqlite_memory() -> Db {
    Db::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite")
}

/// A fresh, empty PostgreSQL schema when `LSCB_TEST_PG_URL` is set: one database
/// (`lscb_test`) holds a new schema per call, so tests never see each other's rows and
/// stay cheap.
pub async fn postgres_fresh() -> Option<Db> {
    let base = std::env::var("LSCB_TEST_PG_URL")
        .ok()
        .filter(|s| !s.is_empty())?;
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => base[..scheme_end + i].to_string(),
        None => base.clone(),
    };
    let test_url = format!("{root}/lscb_test");
    let db = match Db::connect(&test_url).await {
        Ok(db) => db,
        Err(_) => {
            let admin = Db::connect(&base)
                .await
                .expect("connect to LSCB_TEST_PG_URL");
            // Another test may create it at the same moment; either way it exists afterwards.
            let _ = admin
                .conn()
                .execute_unprepared("CREATE DATABASE lscb_test")
                .await;
            Db::connect(&test_url).await.expect("connect to lscb_test")
        }
    };
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    db.conn()
        .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
        .await
        .expect("create test schema");
    db.conn().clone().close().await.ok();
    Some(
        Db::connect_in_schema(&test_url, Some(&schema))
            .await
            .expect("connect to the fresh test schema"),
    )
}

/// Every database a store test should run on: SQLite always, PostgreSQL when configured.
/// Each is fresh and empty.
pub async fn databases() -> Vec<(&'static str, Db)> {
    let mut out = vec![("sqlite", sqlite_memory().await)];
    if let Some(pg) = postgres_fresh().await {
        out.push(("postgres", pg));
    }
    out
}

/// A fixed 32-byte secret for tests.
pub const TEST_SECRET: &[u8] = b"lscb-test-secret-lscb-test-secret";
