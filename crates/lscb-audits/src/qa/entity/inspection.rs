//! An external inspection of an agency.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qa_inspections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership: String,
    pub inspectorate: String,
    pub inspectorate_name: String,
    pub agency: String,
    pub title: String,
    pub judgement: String,
    pub inspection_date: Date,
    pub assurance_date: Option<Date>,
    pub scope: String,
    pub key_findings: String,
    pub assurance_note: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
