//! A Section 11 gap action: the link to part 1's action register.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "as_s11_gap_actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership: String,
    pub cycle: String,
    pub agency: String,
    pub standard_code: String,
    pub action_id: i64,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub owner_agency: String,
    pub due_date: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
