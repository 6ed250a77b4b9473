//! The shared `idempotency` table (`lscb_platform::idempotency`), which now answers replays
//! of submissions. `ind_submission` stays the record of each submission, with its rows: it
//! loses its `UNIQUE (partnership, idempotency_key)`, since a submission may now come without
//! a key. Its keys are not carried over: their request hashes covered the key and not the
//! RPC, so a key used before this migration is not recognised after it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::TransactionTrait;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE ind_submission_v2 (
        id TEXT PRIMARY KEY,
        partnership TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response TEXT NOT NULL,
        submitted_by TEXT NOT NULL,
        submitted_at TEXT NOT NULL
    )",
    "INSERT INTO ind_submission_v2 (id, partnership, idempotency_key, request_hash, response, submitted_by, submitted_at)
        SELECT id, partnership, idempotency_key, request_hash, response, submitted_by, submitted_at
        FROM ind_submission",
    "DROP TABLE ind_submission",
    "ALTER TABLE ind_submission_v2 RENAME TO ind_submission",
    "CREATE INDEX ind_submission_key ON ind_submission (partnership, idempotency_key)",
];

// The trait's signature elides SchemaManager's lifetime; naming it breaks the impl.
#[allow(elided_lifetimes_in_paths)]
#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One transaction, so every statement runs on one connection: on a pooled SQLite
        // file, a statement on another connection could see the schema from before the
        // DROP and refuse the RENAME ("already another table … ind_submission").
        let txn = manager.get_connection().begin().await?;
        for sql in UP {
            txn.execute_unprepared(sql).await?;
        }
        lscb_platform::idempotency::create_table(&txn).await?;
        txn.commit().await
    }

    /// Drops the shared table; `ind_submission` keeps its new shape.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        lscb_platform::idempotency::drop_table(db).await?;
        db.execute_unprepared("DROP INDEX ind_submission_key")
            .await?;
        Ok(())
    }
}
