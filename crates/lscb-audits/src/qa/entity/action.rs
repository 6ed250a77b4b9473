//! An action against a recommendation of an audit, inspection, learning review or
//! Section 11 self-assessment, owned by one agency.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qa_actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership: String,
    pub source_kind: String,
    pub source_id: String,
    pub recommendation: String,
    pub description: String,
    pub owner_agency: String,
    pub due_date: Date,
    pub status: String,
    pub completion_evidence: String,
    pub completed_on: Option<Date>,
    pub updated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
