//! An expenditure category a partnership added, renamed or retired.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finance_category")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub partnership: String,
    pub code: String,
    pub name: String,
    pub retired: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
