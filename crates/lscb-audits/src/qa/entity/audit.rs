//! An audit (lists as JSON text).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qa_audits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership: String,
    pub audit_type: String,
    pub topic: String,
    pub title: String,
    pub strategic_priority: String,
    pub period: String,
    pub status: String,
    pub programme: String,
    pub lead_agency: String,
    pub period_start: Date,
    pub themes: String,
    pub questions: String,
    pub findings: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
