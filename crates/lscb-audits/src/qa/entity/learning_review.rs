//! A learning review (SCR, LLR, DHR, CSPR).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qa_learning_reviews")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership: String,
    pub review_type: String,
    pub reference: String,
    pub title: String,
    pub status: String,
    pub commissioned_date: Date,
    pub publication_date: Option<Date>,
    pub key_learning: String,
    pub agencies: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
