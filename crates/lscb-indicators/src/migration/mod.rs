//! Schema migrations, run at start-up. Never edit a published migration: add a new one.

use sea_orm_migration::prelude::*;

mod m_ind_0001_initial;
mod m_ind_0002_series_index;
mod m_ind_0003_idempotency;

/// The service's migrations, in order.
#[derive(Debug)]
pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m_ind_0001_initial::Migration),
            Box::new(m_ind_0002_series_index::Migration),
            Box::new(m_ind_0003_idempotency::Migration),
        ]
    }
}
