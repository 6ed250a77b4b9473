//! Audits and their case reviews, inspections, learning reviews, recommendations and
//! idempotency records. Lists (themes, findings, agencies, ...) are JSON text columns.

#![allow(elided_lifetimes_in_paths)] // MigrationTrait's signature

use sea_orm_migration::prelude::*;

#[derive(Debug, DeriveMigrationName)]
pub(crate) struct Migration;

fn id(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(
        ColumnDef::new(Alias::new("id"))
            .big_integer()
            .not_null()
            .auto_increment()
            .primary_key(),
    )
}

fn s(t: &mut TableCreateStatement, name: &str) {
    t.col(ColumnDef::new(Alias::new(name)).string().not_null());
}

fn text(t: &mut TableCreateStatement, name: &str) {
    t.col(ColumnDef::new(Alias::new(name)).text().not_null());
}

fn date(t: &mut TableCreateStatement, name: &str, null: bool) {
    let mut c = ColumnDef::new(Alias::new(name));
    c.date();
    if null {
        c.null();
    } else {
        c.not_null();
    }
    t.col(c);
}

fn unique(name: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table)).unique();
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table(Alias::new("qa_audits"));
        id(&mut t);
        for c in [
            "partnership",
            "audit_type",
            "topic",
            "title",
            "strategic_priority",
            "period",
            "status",
            "programme",
            "lead_agency",
        ] {
            s(&mut t, c);
        }
        date(&mut t, "period_start", false);
        for c in ["themes", "questions", "findings"] {
            text(&mut t, c);
        }
        manager.create_table(t.to_owned()).await?;

        let mut t = Table::create();
        t.table(Alias::new("qa_case_reviews"));
        id(&mut t);
        t.col(
            ColumnDef::new(Alias::new("audit_id"))
                .big_integer()
                .not_null(),
        );
        for c in ["partnership", "case_reference", "overall_grade"] {
            s(&mut t, c);
        }
        for c in ["agencies", "theme_grades", "answers", "good_practice"] {
            text(&mut t, c);
        }
        t.foreign_key(
            ForeignKey::create()
                .from(Alias::new("qa_case_reviews"), Alias::new("audit_id"))
                .to(Alias::new("qa_audits"), Alias::new("id")),
        );
        manager.create_table(t.to_owned()).await?;
        manager
            .create_index(unique(
                "qa_case_reviews_ref",
                "qa_case_reviews",
                &["audit_id", "case_reference"],
            ))
            .await?;

        let mut t = Table::create();
        t.table(Alias::new("qa_inspections"));
        id(&mut t);
        for c in [
            "partnership",
            "inspectorate",
            "inspectorate_name",
            "agency",
            "title",
            "judgement",
        ] {
            s(&mut t, c);
        }
        date(&mut t, "inspection_date", false);
        date(&mut t, "assurance_date", true);
        for c in ["scope", "key_findings", "assurance_note"] {
            text(&mut t, c);
        }
        manager.create_table(t.to_owned()).await?;

        let mut t = Table::create();
        t.table(Alias::new("qa_learning_reviews"));
        id(&mut t);
        for c in ["partnership", "review_type", "reference", "title", "status"] {
            s(&mut t, c);
        }
        date(&mut t, "commissioned_date", false);
        date(&mut t, "publication_date", true);
        for c in ["key_learning", "agencies"] {
            text(&mut t, c);
        }
        manager.create_table(t.to_owned()).await?;
        manager
            .create_index(unique(
                "qa_learning_reviews_ref",
                "qa_learning_reviews",
                &["partnership", "reference"],
            ))
            .await?;

        let mut t = Table::create();
        t.table(Alias::new("qa_recommendations"));
        id(&mut t);
        for c in ["partnership", "source_kind", "source_id"] {
            s(&mut t, c);
        }
        text(&mut t, "text");
        manager.create_table(t.to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("qa_recommendations_source")
                    .table(Alias::new("qa_recommendations"))
                    .col(Alias::new("partnership"))
                    .col(Alias::new("source_kind"))
                    .col(Alias::new("source_id"))
                    .to_owned(),
            )
            .await?;

        let mut t = Table::create();
        t.table(Alias::new("qa_idempotency"));
        for c in ["partnership", "idem_key", "rpc", "request_hash"] {
            s(&mut t, c);
        }
        text(&mut t, "response");
        t.primary_key(
            Index::create()
                .col(Alias::new("partnership"))
                .col(Alias::new("idem_key")),
        );
        manager.create_table(t.to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "qa_idempotency",
            "qa_recommendations",
            "qa_learning_reviews",
            "qa_inspections",
            "qa_case_reviews",
            "qa_audits",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
