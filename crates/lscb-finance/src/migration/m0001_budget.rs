//! Budget years, their records (one JSON document per record, keyed by kind and key),
//! expenditure categories, the change history and idempotency keys.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer_null, boolean, integer, integer_null, pk_auto, string, string_null, text,
};

#[derive(Debug)]
pub(crate) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_budget"
    }
}

fn a(s: &str) -> Alias {
    Alias::new(s)
}

// async_trait's lifetimes reject `SchemaManager<'_>` in this impl (late-bound mismatch).
#[allow(elided_lifetimes_in_paths)]
#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a("finance_year"))
                .col(pk_auto(a("id")))
                .col(string(a("partnership")))
                .col(integer(a("start_year")))
                .col(string(a("status")))
                .col(big_integer_null(a("cf_override_pence")))
                .col(text(a("cf_override_reason")))
                .col(string(a("closed_at")))
                .col(string(a("closed_by")))
                .col(big_integer_null(a("closed_cf_pence")))
                .col(string_null(a("closed_cf_source")))
                .col(text(a("closed_cf_reason")))
                .col(big_integer_null(a("closed_outturn_pence")))
                .col(big_integer_null(a("closed_closing_pence")))
                .col(string(a("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_finance_year")
                .table(a("finance_year"))
                .col(a("partnership"))
                .col(a("start_year"))
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(a("finance_item"))
                .col(pk_auto(a("id")))
                .col(string(a("partnership")))
                .col(integer(a("start_year")))
                .col(string(a("kind")))
                .col(text(a("item_key")))
                .col(text(a("data")))
                .col(string(a("updated_at")))
                .col(string(a("updated_by")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_finance_item")
                .table(a("finance_item"))
                .col(a("partnership"))
                .col(a("start_year"))
                .col(a("kind"))
                .col(a("item_key"))
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(a("finance_category"))
                .col(pk_auto(a("id")))
                .col(string(a("partnership")))
                .col(string(a("code")))
                .col(text(a("name")))
                .col(boolean(a("retired")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_finance_category")
                .table(a("finance_category"))
                .col(a("partnership"))
                .col(a("code"))
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(a("finance_history"))
                .col(pk_auto(a("id")))
                .col(string(a("partnership")))
                .col(integer_null(a("start_year")))
                .col(string(a("at")))
                .col(text(a("actor")))
                .col(string(a("entity")))
                .col(text(a("item_key")))
                .col(string(a("field")))
                .col(text(a("old_value")))
                .col(text(a("new_value")))
                .col(text(a("reason")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_finance_history")
                .table(a("finance_history"))
                .col(a("partnership"))
                .col(a("start_year"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(a("finance_idempotency"))
                .col(pk_auto(a("id")))
                .col(string(a("partnership")))
                .col(string(a("idem_key")))
                .col(string(a("request_hash")))
                .col(text(a("response")))
                .col(string(a("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_finance_idempotency")
                .table(a("finance_idempotency"))
                .col(a("partnership"))
                .col(a("idem_key"))
                .unique()
                .to_owned(),
        )
        .await
    }
}
