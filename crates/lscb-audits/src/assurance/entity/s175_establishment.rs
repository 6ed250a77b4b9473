//! An education establishment expected to make Section 175 returns.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "as_s175_establishments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership: String,
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    pub kind: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
