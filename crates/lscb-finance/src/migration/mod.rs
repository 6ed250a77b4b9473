//! Schema migrations, run at start-up. Never edit a published migration: add a new one.

use sea_orm_migration::prelude::*;

mod m0001_budget;
mod m0002_idempotency;

/// The service's migrations, in order.
#[derive(Debug)]
pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_budget::Migration),
            Box::new(m0002_idempotency::Migration),
        ]
    }
}
