//! Entity of table `rep_narrative`: every version of every narrative section.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rep_narrative")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub partnership: String,
    pub year: String,
    pub section: String,
    pub version: i64,
    pub markdown: String,
    /// JSON array of placeholder strings.
    pub placeholders: String,
    pub author: String,
    pub created_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
