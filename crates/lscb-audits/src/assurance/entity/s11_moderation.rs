//! The peer-review moderated rating of one standard of an agency's return.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "as_s11_moderations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership: String,
    pub cycle: String,
    pub agency: String,
    pub standard_code: String,
    pub moderated_rating: String,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub moderated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
