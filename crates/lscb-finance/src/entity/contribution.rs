//! One agency's contribution to a budget year (unique per partnership, year and agency).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finance_contribution")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub partnership: String,
    pub start_year: i32,
    pub agency_code: String,
    pub agreed_pence: i64,
    pub invoiced_pence: i64,
    pub invoiced_on: Option<Date>,
    pub received_pence: i64,
    pub received_on: Option<Date>,
    pub note: String,
    pub updated_at: String,
    pub updated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
