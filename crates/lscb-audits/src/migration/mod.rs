//! Schema migrations, run at start-up: part 1's (`qa`), part 2's (`assurance`), then those of
//! the whole service.
//! Never edit a published migration: add a new one.

use sea_orm_migration::prelude::*;

mod m_aud_0001_idempotency;

/// The service's migrations, in order.
#[derive(Debug)]
pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = crate::qa::migrations();
        all.extend(crate::assurance::migrations());
        all.push(Box::new(m_aud_0001_idempotency::Migration));
        all
    }
}
