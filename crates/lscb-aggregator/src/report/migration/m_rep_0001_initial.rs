//! Narrative versions, published reports and the glossary (seeded from the reference
//! report's). SQL in the subset SQLite and PostgreSQL share.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE rep_narrative (
        id TEXT PRIMARY KEY,
        partnership TEXT NOT NULL,
        year TEXT NOT NULL,
        section TEXT NOT NULL,
        version BIGINT NOT NULL,
        markdown TEXT NOT NULL,
        placeholders TEXT NOT NULL,
        author TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (partnership, year, section, version)
    )",
    "CREATE TABLE rep_published (
        id TEXT PRIMARY KEY,
        partnership TEXT NOT NULL,
        year TEXT NOT NULL,
        version BIGINT NOT NULL,
        content_hash TEXT NOT NULL,
        complete BOOLEAN NOT NULL,
        failed_sources TEXT NOT NULL,
        model_json TEXT NOT NULL,
        markdown TEXT NOT NULL,
        html TEXT NOT NULL,
        published_by TEXT NOT NULL,
        published_at TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        UNIQUE (partnership, year, version)
    )",
    "CREATE INDEX rep_published_key ON rep_published (partnership, idempotency_key)",
    "CREATE TABLE rep_glossary (
        id TEXT PRIMARY KEY,
        partnership TEXT NOT NULL,
        acronym TEXT NOT NULL,
        meaning TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (partnership, acronym)
    )",
];

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

// The trait's `&SchemaManager` hides its lifetime; spelling it out does not match.
#[allow(elided_lifetimes_in_paths)]
#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in UP {
            db.execute_unprepared(sql).await?;
        }
        for (acronym, meaning) in crate::report::glossary_seed::SEED {
            db.execute_unprepared(&format!(
                "INSERT INTO rep_glossary (id, partnership, acronym, meaning, updated_by, updated_at) \
                 VALUES ({}, '*', {}, {}, 'seed', '2016-03-31T00:00:00Z')",
                quote(&format!("*:{acronym}")),
                quote(acronym),
                quote(meaning)
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for t in ["rep_glossary", "rep_published", "rep_narrative"] {
            db.execute_unprepared(&format!("DROP TABLE {t}")).await?;
        }
        Ok(())
    }
}
