//! An establishment's Section 175 return for a year.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "as_s175_returns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership: String,
    pub year: String,
    pub establishment_code: String,
    pub submitted: bool,
    pub reported_to_governors: bool,
    pub items_compliant: i32,
    pub items_total: i32,
    pub submitted_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
