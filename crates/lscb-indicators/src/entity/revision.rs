//! Entity of table `ind_revision`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ind_revision")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub observation_id: String,
    pub revision: i64,
    pub value: String,
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    pub status: String,
    pub comment: String,
    pub definition_version: i64,
    pub submitted_by: String,
    pub submitted_at: String,
    pub submission_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
