//! One revision of an agency's Section 11 return for a cycle (history kept).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "as_s11_returns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership: String,
    pub cycle: String,
    pub agency: String,
    pub revision: i32,
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub regional_body: String,
    pub catalogue_version: i32,
    #[sea_orm(column_type = "Text")]
    pub ratings_json: String,
    pub submitted_by: String,
    pub submitted_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
