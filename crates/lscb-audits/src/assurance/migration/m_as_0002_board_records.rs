//! The board's own record per financial year: the business plan, the governance register
//! and the child death review figures, one JSON document per partnership, kind and year
//! (`as_board_records`). Written out column by column so that later changes to the entity
//! never change this published migration.

#![allow(elided_lifetimes_in_paths)] // MigrationTrait's signature

use sea_orm_migration::prelude::*;

#[derive(Debug, DeriveMigrationName)]
pub(crate) struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("as_board_records"))
                    .col(
                        ColumnDef::new(Alias::new("id"))
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Alias::new("partnership"))
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Alias::new("kind")).string().not_null())
                    .col(ColumnDef::new(Alias::new("year")).string().not_null())
                    .col(ColumnDef::new(Alias::new("document")).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("as_board_records_key")
                    .table(Alias::new("as_board_records"))
                    .col(Alias::new("partnership"))
                    .col(Alias::new("kind"))
                    .col(Alias::new("year"))
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(Alias::new("as_board_records"))
                    .to_owned(),
            )
            .await
    }
}
