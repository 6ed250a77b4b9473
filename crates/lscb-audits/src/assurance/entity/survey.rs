//! A practitioner survey and its results per question.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "as_surveys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership: String,
    pub code: String,
    pub series: String,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    pub year: String,
    pub year_start: i32,
    pub conducted_on: Option<Date>,
    pub respondents: i32,
    pub organisations: i32,
    #[sea_orm(column_type = "Text")]
    pub organisation_names_json: String,
    #[sea_orm(column_type = "Text")]
    pub questions_json: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
