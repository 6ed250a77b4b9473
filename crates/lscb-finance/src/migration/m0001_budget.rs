//! Budget years, their records (one table per kind: contributions, income lines,
//! expenditure lines, contributions in kind, planned changes; money as BIGINT pence),
//! expenditure categories, the change history and idempotency keys.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, date_null, integer, integer_null, pk_auto, string,
    string_null, text,
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

/// An amount in pence: BIGINT, never negative.
fn pence(name: &str) -> ColumnDef {
    big_integer(a(name))
        .check(Expr::col(a(name)).gte(0))
        .to_owned()
}

/// An optional amount in pence: BIGINT NULL, never negative.
fn pence_null(name: &str) -> ColumnDef {
    big_integer_null(a(name))
        .check(Expr::col(a(name)).gte(0))
        .to_owned()
}

/// A table of one kind of year record: id, partnership, start_year, `cols`, updated_at and
/// updated_by, unique on (partnership, start_year, `key`...).
async fn record_table(
    m: &SchemaManager<'_>,
    table: &str,
    key: &[&str],
    cols: Vec<ColumnDef>,
) -> Result<(), DbErr> {
    let mut t = Table::create();
    t.table(a(table))
        .col(pk_auto(a("id")))
        .col(string(a("partnership")))
        .col(integer(a("start_year")));
    for c in cols {
        t.col(c);
    }
    t.col(string(a("updated_at"))).col(text(a("updated_by")));
    m.create_table(t.to_owned()).await?;
    let mut ux = Index::create();
    ux.name(format!("ux_{table}"))
        .table(a(table))
        .col(a("partnership"))
        .col(a("start_year"))
        .unique();
    for k in key {
        ux.col(a(k));
    }
    m.create_index(ux.to_owned()).await
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

        // The records of a year: one table per kind, money in integer pence that the
        // database sums and keeps non-negative, identities as unique keys.
        record_table(
            m,
            "finance_contribution",
            &["agency_code"],
            vec![
                string(a("agency_code")),
                pence("agreed_pence"),
                pence("invoiced_pence"),
                date_null(a("invoiced_on")),
                pence("received_pence"),
                date_null(a("received_on")),
                text(a("note")),
            ],
        )
        .await?;
        record_table(
            m,
            "finance_income_line",
            &["category", "description"],
            vec![
                string(a("category")),
                string(a("description")),
                pence("amount_pence"),
            ],
        )
        .await?;
        record_table(
            m,
            "finance_expenditure_line",
            &["category"],
            vec![
                string(a("category")),
                pence("budget_pence"),
                pence("actual_pence"),
                text(a("note")),
            ],
        )
        .await?;
        record_table(
            m,
            "finance_in_kind",
            &["agency_code", "description"],
            vec![
                string(a("agency_code")),
                string(a("description")),
                pence_null("estimated_value_pence"),
            ],
        )
        .await?;
        record_table(
            m,
            "finance_planned_change",
            &["description"],
            vec![
                string(a("description")),
                string(a("direction"))
                    .check(Expr::col(a("direction")).is_in(["reduction", "increase"]))
                    .to_owned(),
                pence("amount_pence"),
                text(a("reason")),
            ],
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
