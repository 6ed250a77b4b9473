//! One changed field: who, when, old and new value, and the reason when one was given.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finance_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub partnership: String,
    pub start_year: Option<i32>,
    pub at: String,
    pub actor: String,
    pub entity: String,
    pub item_key: String,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
    pub reason: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
