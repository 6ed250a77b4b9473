//! Entity of table `rep_published`: frozen report versions.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rep_published")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub partnership: String,
    pub year: String,
    pub version: i64,
    pub content_hash: String,
    pub complete: bool,
    /// JSON array of source names.
    pub failed_sources: String,
    /// The report model as JSON (the data it was made from).
    pub model_json: String,
    pub markdown: String,
    pub html: String,
    pub published_by: String,
    pub published_at: String,
    /// Empty when none was given.
    pub idempotency_key: String,
    pub request_hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
