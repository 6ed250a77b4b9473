//! The analysis tables. Never edit a published migration: add a new one.

use sea_orm_migration::prelude::*;

/// The analysis module's migrations, in order.
pub fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(MAnalysisTables),
        Box::new(MAnalysisIdempotency),
        Box::new(MSharedIdempotency),
    ]
}

#[derive(Debug)]
struct MAnalysisTables;

impl MigrationName for MAnalysisTables {
    fn name(&self) -> &str {
        "m_an_0001_overrides_challenges_pledges"
    }
}

fn id(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(
        ColumnDef::new(Alias::new("id"))
            .big_integer()
            .not_null()
            .auto_increment()
            .primary_key(),
    )
}

fn text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .text()
        .not_null()
        .to_owned()
}

#[allow(elided_lifetimes_in_paths)]
#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for MAnalysisTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table(Alias::new("an_override"));
        id(&mut t)
            .col(text("partnership"))
            .col(text("year"))
            .col(text("question"))
            .col(text("judgement"))
            .col(text("rationale"))
            .col(text("author"))
            .col(text("decided_on"))
            .col(text("created_at"));
        m.create_table(t).await?;
        m.create_index(
            Index::create()
                .name("an_override_year")
                .table(Alias::new("an_override"))
                .col(Alias::new("partnership"))
                .col(Alias::new("year"))
                .to_owned(),
        )
        .await?;

        let mut t = Table::create();
        t.table(Alias::new("an_challenge"));
        id(&mut t)
            .col(text("partnership"))
            .col(text("year"))
            .col(ColumnDef::new(Alias::new("number")).integer().not_null())
            .col(text("text"))
            .col(text("evidence_ids"))
            .col(text("author"))
            .col(text("created_at"));
        m.create_table(t).await?;
        m.create_index(
            Index::create()
                .name("an_challenge_number")
                .table(Alias::new("an_challenge"))
                .col(Alias::new("partnership"))
                .col(Alias::new("year"))
                .col(Alias::new("number"))
                .unique()
                .to_owned(),
        )
        .await?;

        let mut t = Table::create();
        t.table(Alias::new("an_challenge_progress"));
        id(&mut t)
            .col(
                ColumnDef::new(Alias::new("challenge_id"))
                    .big_integer()
                    .not_null(),
            )
            .col(text("year"))
            .col(text("status"))
            .col(text("note"))
            .col(text("author"))
            .col(text("recorded_on"))
            .col(text("created_at"))
            .foreign_key(
                ForeignKey::create()
                    .name("an_challenge_progress_challenge")
                    .from(
                        Alias::new("an_challenge_progress"),
                        Alias::new("challenge_id"),
                    )
                    .to(Alias::new("an_challenge"), Alias::new("id")),
            );
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table(Alias::new("an_pledge"));
        id(&mut t)
            .col(text("partnership"))
            .col(text("plan_year"))
            .col(text("priority"))
            .col(ColumnDef::new(Alias::new("number")).integer().not_null())
            .col(text("text"))
            .col(text("targets"))
            .col(text("author"))
            .col(text("created_at"));
        m.create_table(t).await?;
        m.create_index(
            Index::create()
                .name("an_pledge_number")
                .table(Alias::new("an_pledge"))
                .col(Alias::new("partnership"))
                .col(Alias::new("plan_year"))
                .col(Alias::new("priority"))
                .col(Alias::new("number"))
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "an_challenge_progress",
            "an_challenge",
            "an_pledge",
            "an_override",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(Debug)]
struct MAnalysisIdempotency;

impl MigrationName for MAnalysisIdempotency {
    fn name(&self) -> &str {
        "m_an_0002_idempotency"
    }
}

#[allow(elided_lifetimes_in_paths)]
#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for MAnalysisIdempotency {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table(Alias::new("an_idempotency"));
        id(&mut t)
            .col(text("partnership"))
            .col(text("rpc"))
            .col(text("idempotency_key"))
            .col(text("request_hash"))
            .col(
                ColumnDef::new(Alias::new("record_id"))
                    .big_integer()
                    .not_null(),
            )
            .col(text("created_at"));
        m.create_table(t).await?;
        m.create_index(
            Index::create()
                .name("an_idempotency_key")
                .table(Alias::new("an_idempotency"))
                .col(Alias::new("partnership"))
                .col(Alias::new("rpc"))
                .col(Alias::new("idempotency_key"))
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("an_idempotency")).to_owned())
            .await
    }
}

/// The aggregator's `idempotency` table (`lscb_platform::idempotency`), shared by the analysis
/// and report modules. `an_idempotency` stays as it was: it held the id of the record a key
/// created, not the answer, and its hashes left out the RPC, so its rows cannot be carried
/// over; a key used before this migration is not recognised after it.
#[derive(Debug)]
struct MSharedIdempotency;

impl MigrationName for MSharedIdempotency {
    fn name(&self) -> &str {
        "m_an_0003_shared_idempotency"
    }
}

#[allow(elided_lifetimes_in_paths)]
#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for MSharedIdempotency {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        lscb_platform::idempotency::create_table(m.get_connection()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        lscb_platform::idempotency::drop_table(m.get_connection()).await
    }
}
