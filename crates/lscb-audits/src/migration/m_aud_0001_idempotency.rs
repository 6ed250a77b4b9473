//! The shared `idempotency` table (`lscb_platform::idempotency`) for both parts.
//! `qa_idempotency` and `as_idempotency` stay as they were: their request hashes were
//! computed another way (over the key too; part 2's without the RPC), so their rows cannot
//! be carried over; a key used before this migration is not recognised after it.

#![allow(elided_lifetimes_in_paths)] // MigrationTrait's signature

use sea_orm_migration::prelude::*;

#[derive(Debug, DeriveMigrationName)]
pub(crate) struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        lscb_platform::idempotency::create_table(manager.get_connection()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        lscb_platform::idempotency::drop_table(manager.get_connection()).await
    }
}
