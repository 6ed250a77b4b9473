//! One record of a budget year (contribution, income line, ...) as a JSON document.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finance_item")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub partnership: String,
    pub start_year: i32,
    pub kind: String,
    pub item_key: String,
    pub data: String,
    pub updated_at: String,
    pub updated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
