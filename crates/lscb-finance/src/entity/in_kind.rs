//! A contribution in kind to a budget year (unique per partnership, year, agency and description).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finance_in_kind")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub partnership: String,
    pub start_year: i32,
    pub agency_code: String,
    pub description: String,
    pub estimated_value_pence: Option<i64>,
    pub updated_at: String,
    pub updated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
