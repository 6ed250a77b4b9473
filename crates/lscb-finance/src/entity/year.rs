//! A budget year of a partnership: status, carry-forward override and the close snapshot.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finance_year")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub partnership: String,
    pub start_year: i32,
    pub status: String,
    pub cf_override_pence: Option<i64>,
    pub cf_override_reason: String,
    pub closed_at: String,
    pub closed_by: String,
    pub closed_cf_pence: Option<i64>,
    pub closed_cf_source: Option<String>,
    pub closed_cf_reason: String,
    pub closed_outturn_pence: Option<i64>,
    pub closed_closing_pence: Option<i64>,
    pub created_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
