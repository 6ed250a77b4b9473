//! The first schema: versioned indicator definitions, observations and their revisions,
//! submissions (idempotency), benchmarks, validation rules and year lock events.
//! Written in the SQL subset SQLite and PostgreSQL share (TEXT, BIGINT, BOOLEAN).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE ind_indicator_version (
        id TEXT PRIMARY KEY,
        partnership TEXT NOT NULL,
        code TEXT NOT NULL,
        version BIGINT NOT NULL,
        is_current BOOLEAN NOT NULL,
        definition TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (partnership, code, version)
    )",
    "CREATE INDEX ind_indicator_version_current ON ind_indicator_version (partnership, is_current)",
    "CREATE TABLE ind_submission (
        id TEXT PRIMARY KEY,
        partnership TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response TEXT NOT NULL,
        submitted_by TEXT NOT NULL,
        submitted_at TEXT NOT NULL,
        UNIQUE (partnership, idempotency_key)
    )",
    "CREATE TABLE ind_observation (
        id TEXT PRIMARY KEY,
        partnership TEXT NOT NULL,
        indicator_code TEXT NOT NULL,
        period TEXT NOT NULL,
        fy_start BIGINT NOT NULL,
        agency_code TEXT NOT NULL,
        breakdown_value TEXT NOT NULL,
        current_revision BIGINT NOT NULL,
        first_received_at TEXT NOT NULL,
        UNIQUE (partnership, indicator_code, period, agency_code, breakdown_value)
    )",
    "CREATE INDEX ind_observation_fy ON ind_observation (partnership, fy_start)",
    "CREATE TABLE ind_revision (
        id TEXT PRIMARY KEY,
        observation_id TEXT NOT NULL REFERENCES ind_observation (id),
        revision BIGINT NOT NULL,
        value TEXT NOT NULL,
        numerator TEXT,
        denominator TEXT,
        status TEXT NOT NULL,
        comment TEXT NOT NULL,
        definition_version BIGINT NOT NULL,
        submitted_by TEXT NOT NULL,
        submitted_at TEXT NOT NULL,
        submission_id TEXT NOT NULL,
        UNIQUE (observation_id, revision)
    )",
    "CREATE INDEX ind_revision_submission ON ind_revision (submission_id)",
    "CREATE TABLE ind_benchmark (
        id TEXT PRIMARY KEY,
        partnership TEXT NOT NULL,
        indicator_code TEXT NOT NULL,
        period TEXT NOT NULL,
        comparator TEXT NOT NULL,
        value TEXT NOT NULL,
        source TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at TEXT NOT NULL,
        UNIQUE (partnership, indicator_code, period, comparator)
    )",
    "CREATE TABLE ind_rule (
        id TEXT PRIMARY KEY,
        partnership TEXT NOT NULL,
        code TEXT NOT NULL,
        definition TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (partnership, code)
    )",
    "CREATE TABLE ind_year_lock_event (
        id TEXT PRIMARY KEY,
        partnership TEXT NOT NULL,
        fy_start BIGINT NOT NULL,
        seq BIGINT NOT NULL,
        action TEXT NOT NULL,
        actor TEXT NOT NULL,
        at TEXT NOT NULL,
        reason TEXT NOT NULL,
        UNIQUE (partnership, fy_start, seq)
    )",
];

const DOWN: &[&str] = &[
    "DROP TABLE ind_year_lock_event",
    "DROP TABLE ind_rule",
    "DROP TABLE ind_benchmark",
    "DROP TABLE ind_revision",
    "DROP TABLE ind_observation",
    "DROP TABLE ind_submission",
    "DROP TABLE ind_indicator_version",
];

// The trait's signature elides SchemaManager's lifetime; naming it breaks the impl.
#[allow(elided_lifetimes_in_paths)]
#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for sql in UP {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for sql in DOWN {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
