//! The assurance tables: Section 11 catalogues, returns, moderations and gap-action links;
//! Section 175 establishments, returns and year totals; assurance documents; governance
//! bodies and meetings; surveys; idempotency keys.

#![allow(elided_lifetimes_in_paths)] // MigrationTrait's signature

use sea_orm::{EntityTrait, Schema};
use sea_orm_migration::prelude::*;

use crate::assurance::entity::*;

#[derive(Debug, DeriveMigrationName)]
pub(crate) struct Migration;

async fn table<E: EntityTrait>(manager: &SchemaManager<'_>, e: E) -> Result<(), DbErr> {
    let schema = Schema::new(manager.get_database_backend());
    manager
        .create_table(schema.create_table_from_entity(e))
        .await
}

async fn unique<E, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    e: E,
    cols: Vec<C>,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    C: sea_orm::ColumnTrait,
{
    let mut idx = Index::create();
    idx.name(name).table(e).unique();
    for c in cols {
        idx.col(c);
    }
    manager.create_index(idx.to_owned()).await
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        table(manager, s11_catalogue::Entity).await?;
        unique(manager, "as_s11_catalogues_key", s11_catalogue::Entity, {
            use s11_catalogue::Column::*;
            vec![Partnership, Cycle, Version]
        })
        .await?;
        table(manager, s11_return::Entity).await?;
        unique(manager, "as_s11_returns_key", s11_return::Entity, {
            use s11_return::Column::*;
            vec![Partnership, Cycle, Agency, Revision]
        })
        .await?;
        table(manager, s11_moderation::Entity).await?;
        unique(manager, "as_s11_moderations_key", s11_moderation::Entity, {
            use s11_moderation::Column::*;
            vec![Partnership, Cycle, Agency, StandardCode]
        })
        .await?;
        table(manager, s11_gap_action::Entity).await?;
        unique(manager, "as_s11_gap_actions_key", s11_gap_action::Entity, {
            use s11_gap_action::Column::*;
            vec![Partnership, ActionId]
        })
        .await?;
        table(manager, s175_establishment::Entity).await?;
        unique(
            manager,
            "as_s175_establishments_key",
            s175_establishment::Entity,
            {
                use s175_establishment::Column::*;
                vec![Partnership, Code]
            },
        )
        .await?;
        table(manager, s175_return::Entity).await?;
        unique(manager, "as_s175_returns_key", s175_return::Entity, {
            use s175_return::Column::*;
            vec![Partnership, Year, EstablishmentCode]
        })
        .await?;
        table(manager, s175_total::Entity).await?;
        unique(manager, "as_s175_totals_key", s175_total::Entity, {
            use s175_total::Column::*;
            vec![Partnership, Year, Kind]
        })
        .await?;
        table(manager, assurance_doc::Entity).await?;
        unique(
            manager,
            "as_assurance_documents_key",
            assurance_doc::Entity,
            {
                use assurance_doc::Column::*;
                vec![Partnership, Year, Agency]
            },
        )
        .await?;
        table(manager, body::Entity).await?;
        unique(manager, "as_governance_bodies_key", body::Entity, {
            use body::Column::*;
            vec![Partnership, Code]
        })
        .await?;
        table(manager, meeting::Entity).await?;
        unique(manager, "as_governance_meetings_key", meeting::Entity, {
            use meeting::Column::*;
            vec![Partnership, BodyCode, HeldOn]
        })
        .await?;
        table(manager, survey::Entity).await?;
        unique(manager, "as_surveys_key", survey::Entity, {
            use survey::Column::*;
            vec![Partnership, Code]
        })
        .await?;
        table(manager, idempotency::Entity).await?;
        unique(manager, "as_idempotency_key", idempotency::Entity, {
            use idempotency::Column::*;
            vec![Partnership, Rpc, Key]
        })
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "as_idempotency",
            "as_surveys",
            "as_governance_meetings",
            "as_governance_bodies",
            "as_assurance_documents",
            "as_s175_totals",
            "as_s175_returns",
            "as_s175_establishments",
            "as_s11_gap_actions",
            "as_s11_moderations",
            "as_s11_returns",
            "as_s11_catalogues",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
