//! Idempotency keys of write calls: the request hash and the first response.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "as_idempotency")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership: String,
    pub rpc: String,
    pub key: String,
    pub request_hash: String,
    pub response: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
