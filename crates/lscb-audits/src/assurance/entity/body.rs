//! A governance body (board, executive group, sub-group) and its members.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "as_governance_bodies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership: String,
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    pub kind: String,
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub members_json: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
