//! A write request's idempotency key, the hash of its request and its first response.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finance_idempotency")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub partnership: String,
    pub idem_key: String,
    pub request_hash: String,
    pub response: String,
    pub created_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
