//! The training schema. Plain SQL that both SQLite and PostgreSQL accept: ids are UUID
//! text, dates are `YYYY-MM-DD` text (they sort as dates), money is BIGINT pence.

#![allow(elided_lifetimes_in_paths)] // MigrationTrait's signature

use sea_orm_migration::prelude::*;

#[derive(Debug, DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE tr_courses (
        partnership TEXT NOT NULL,
        code TEXT NOT NULL,
        title TEXT NOT NULL,
        level TEXT NOT NULL,
        topics TEXT NOT NULL,
        multi_agency BOOLEAN NOT NULL,
        length_days TEXT NOT NULL,
        programme_code TEXT NOT NULL,
        PRIMARY KEY (partnership, code))",
    "CREATE TABLE tr_sessions (
        id TEXT PRIMARY KEY,
        partnership TEXT NOT NULL,
        course_code TEXT NOT NULL,
        session_date TEXT NOT NULL,
        venue TEXT NOT NULL,
        online BOOLEAN NOT NULL,
        capacity BIGINT NOT NULL,
        trainers TEXT NOT NULL,
        status TEXT NOT NULL)",
    "CREATE INDEX tr_sessions_by_date ON tr_sessions (partnership, session_date)",
    "CREATE TABLE tr_bookings (
        id TEXT PRIMARY KEY,
        partnership TEXT NOT NULL,
        session_id TEXT NOT NULL REFERENCES tr_sessions (id),
        seq BIGINT NOT NULL,
        delegate_ref TEXT NOT NULL,
        agency TEXT NOT NULL,
        role TEXT NOT NULL,
        status TEXT NOT NULL,
        cancelled_on TEXT,
        UNIQUE (session_id, delegate_ref),
        UNIQUE (session_id, seq))",
    "CREATE TABLE tr_evaluations (
        partnership TEXT NOT NULL,
        session_id TEXT NOT NULL REFERENCES tr_sessions (id),
        delegate_ref TEXT NOT NULL,
        confidence_before BIGINT NOT NULL,
        confidence_after BIGINT NOT NULL,
        satisfaction BIGINT NOT NULL,
        PRIMARY KEY (session_id, delegate_ref))",
    "CREATE TABLE tr_charge_policies (
        partnership TEXT PRIMARY KEY,
        policy TEXT NOT NULL)",
    "CREATE TABLE tr_programmes (
        partnership TEXT NOT NULL,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        target BIGINT NOT NULL,
        start_date TEXT NOT NULL,
        end_date TEXT NOT NULL,
        workforce TEXT NOT NULL,
        PRIMARY KEY (partnership, code))",
    "CREATE TABLE tr_programme_trained (
        id TEXT PRIMARY KEY,
        partnership TEXT NOT NULL,
        programme_code TEXT NOT NULL,
        agency TEXT NOT NULL,
        trained_by TEXT NOT NULL,
        trained BIGINT NOT NULL)",
    "CREATE TABLE tr_trainers (
        partnership TEXT NOT NULL,
        trainer_ref TEXT NOT NULL,
        programme_code TEXT NOT NULL,
        agency TEXT NOT NULL,
        accredited_on TEXT NOT NULL,
        PRIMARY KEY (partnership, trainer_ref, programme_code))",
    "CREATE TABLE tr_year_totals (
        partnership TEXT NOT NULL,
        start_year BIGINT NOT NULL,
        totals TEXT NOT NULL,
        PRIMARY KEY (partnership, start_year))",
    "CREATE TABLE tr_idempotency (
        partnership TEXT NOT NULL,
        rpc TEXT NOT NULL,
        idem_key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response TEXT NOT NULL,
        PRIMARY KEY (partnership, rpc, idem_key))",
];

const DOWN: &[&str] = &[
    "DROP TABLE tr_idempotency",
    "DROP TABLE tr_year_totals",
    "DROP TABLE tr_trainers",
    "DROP TABLE tr_programme_trained",
    "DROP TABLE tr_programmes",
    "DROP TABLE tr_charge_policies",
    "DROP TABLE tr_evaluations",
    "DROP TABLE tr_bookings",
    "DROP TABLE tr_sessions",
    "DROP TABLE tr_courses",
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in UP {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in DOWN {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
