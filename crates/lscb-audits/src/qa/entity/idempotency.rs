//! A write request's idempotency key, request hash and first response.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qa_idempotency")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub partnership: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub idem_key: String,
    pub rpc: String,
    pub request_hash: String,
    /// The prost-encoded response, hex.
    pub response: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
