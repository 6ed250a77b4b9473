//! The actions table, shared by every source of recommendations (audits, inspections,
//! learning reviews and part 2's Section 11 self-assessments).

#![allow(elided_lifetimes_in_paths)] // MigrationTrait's signature

use sea_orm_migration::prelude::*;

#[derive(Debug, DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum QaActions {
    Table,
    Id,
    Partnership,
    SourceKind,
    SourceId,
    Recommendation,
    Description,
    OwnerAgency,
    DueDate,
    Status,
    CompletionEvidence,
    CompletedOn,
    UpdatedBy,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QaActions::Table)
                    .col(
                        ColumnDef::new(QaActions::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(QaActions::Partnership).string().not_null())
                    .col(ColumnDef::new(QaActions::SourceKind).string().not_null())
                    .col(ColumnDef::new(QaActions::SourceId).string().not_null())
                    .col(ColumnDef::new(QaActions::Recommendation).text().not_null())
                    .col(ColumnDef::new(QaActions::Description).text().not_null())
                    .col(ColumnDef::new(QaActions::OwnerAgency).string().not_null())
                    .col(ColumnDef::new(QaActions::DueDate).date().not_null())
                    .col(ColumnDef::new(QaActions::Status).string().not_null())
                    .col(
                        ColumnDef::new(QaActions::CompletionEvidence)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(QaActions::CompletedOn).date().null())
                    .col(ColumnDef::new(QaActions::UpdatedBy).string().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("qa_actions_source")
                    .table(QaActions::Table)
                    .col(QaActions::Partnership)
                    .col(QaActions::SourceKind)
                    .col(QaActions::SourceId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("qa_actions_agency")
                    .table(QaActions::Table)
                    .col(QaActions::Partnership)
                    .col(QaActions::OwnerAgency)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(QaActions::Table).to_owned())
            .await
    }
}
