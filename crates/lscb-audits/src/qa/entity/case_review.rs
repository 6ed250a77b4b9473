//! One case reviewed in an audit (lists as JSON text).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qa_case_reviews")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub audit_id: i64,
    pub partnership: String,
    pub case_reference: String,
    pub overall_grade: String,
    pub agencies: String,
    pub theme_grades: String,
    pub answers: String,
    pub good_practice: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
