//! The shared `idempotency` table (`lscb_platform::idempotency`). `finance_idempotency` stays
//! as it was: its keys were scoped to the partnership alone (not to the RPC) and its request
//! hashes covered the key too, so its rows cannot be carried over; a key used before this
//! migration is not recognised after it.

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
