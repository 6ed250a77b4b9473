//! sea-orm entities of the analysis tables (`an_*`).

/// A board override of a judgement; never updated, the latest per question wins.
pub mod judgement_override {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "an_override")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub partnership: String,
        pub year: String,
        pub question: String,
        pub judgement: String,
        pub rationale: String,
        pub author: String,
        pub decided_on: String,
        pub created_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A numbered challenge set in a year's report.
pub mod challenge {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "an_challenge")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub partnership: String,
        pub year: String,
        pub number: i32,
        pub text: String,
        /// JSON array of evidence ids.
        pub evidence_ids: String,
        pub author: String,
        pub created_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Progress on a challenge reported in a later year; appended, never updated.
pub mod challenge_progress {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "an_challenge_progress")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub challenge_id: i64,
        pub year: String,
        pub status: String,
        pub note: String,
        pub author: String,
        pub recorded_on: String,
        pub created_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A pledge of a plan year.
pub mod pledge {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "an_pledge")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub partnership: String,
        pub plan_year: String,
        pub priority: String,
        pub number: i32,
        pub text: String,
        /// JSON array of `PledgeTarget`.
        pub targets: String,
        pub author: String,
        pub created_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
