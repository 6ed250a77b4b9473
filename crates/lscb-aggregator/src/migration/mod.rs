//! Schema migrations, run at start-up: the report module's then the analysis module's.
//! Never edit a published migration: add a new one.

use sea_orm_migration::prelude::*;

/// The service's migrations, in order.
#[derive(Debug)]
pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = crate::report::migrations();
        all.extend(crate::analysis::migrations());
        all
    }
}
