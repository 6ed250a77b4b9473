//! An index for reads of one indicator's figures over a range of years (GetSeries,
//! GetScorecard): without it the query walks every indicator's observations of those years
//! through `ind_observation_fy` and keeps a few (found by `just bench`: 8.3 ms → 2.4 ms per
//! query on 74,400 observations).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// The trait's signature elides SchemaManager's lifetime; naming it breaks the impl.
#[allow(elided_lifetimes_in_paths)]
#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ind_observation_code_fy ON ind_observation (partnership, indicator_code, fy_start)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ind_observation_code_fy")
            .await?;
        Ok(())
    }
}
