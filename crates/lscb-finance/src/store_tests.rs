use super::*;
use crate::domain::{Change, Contribution, Income};

fn contribution(code: &str, agreed: i64) -> Contribution {
    Contribution {
        agency_code: code.into(),
        agreed_pence: agreed,
        invoiced_pence: 0,
        invoiced_on: None,
        received_pence: 0,
        received_on: None,
        note: String::new(),
    }
}

#[tokio::test]
async fn records_history_and_partnership_scoping_on_both_databases() {
    for (name, db) in lscb_platform::testing::databases().await {
        crate::migrate(&db).await.unwrap();
        let txn = db.begin_write().await.unwrap();
        open_year_for_write(&*txn, "bscb", 2015, "a").await.unwrap();
        let s = put(
            &*txn,
            "bscb",
            2015,
            "a",
            vec![
                Change::Upsert(contribution("WMP", 100)),
                Change::Upsert(contribution("NHSE", 0)),
            ],
        )
        .await
        .unwrap();
        assert_eq!((s.created, s.updated), (2, 0), "{name}");
        txn.commit().await.unwrap();

        let txn = db.begin_write().await.unwrap();
        let s = put(
            &*txn,
            "bscb",
            2015,
            "b",
            vec![
                Change::Upsert(contribution("WMP", 250)),
                Change::Upsert(contribution("NHSE", 0)),
            ],
        )
        .await
        .unwrap();
        assert_eq!((s.created, s.updated, s.unchanged), (0, 1, 1), "{name}");
        put(
            &*txn,
            "bscb",
            2015,
            "b",
            vec![Change::Upsert(Income {
                category: "grants".into(),
                description: "g".into(),
                amount_pence: 5,
            })],
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();

        let l = ledger(db.conn(), "bscb").await.unwrap();
        assert_eq!(l.totals(2015).contributions_pence, 250, "{name}");
        assert_eq!(l.totals(2015).total_budget_pence, 255, "{name}");
        // Another partnership sees nothing.
        assert!(ledger(db.conn(), "other").await.unwrap().years.is_empty());

        let (h, total) = history(db.conn(), "bscb", Some(2015), Some("contribution"), 0, 100)
            .await
            .unwrap();
        let agreed: Vec<_> = h
            .iter()
            .filter(|e| e.key == "WMP" && e.field == "agreed_pence")
            .map(|e| (e.actor.as_str(), e.old.as_str(), e.new.as_str()))
            .collect();
        assert_eq!(agreed, [("b", "100", "250"), ("a", "", "100")], "{name}");
        assert_eq!(total as usize, h.len());

        // Removing an income line records the old values.
        let txn = db.begin_write().await.unwrap();
        let s = put::<_, Income>(
            &*txn,
            "bscb",
            2015,
            "c",
            vec![Change::Remove("grants/g".into())],
        )
        .await
        .unwrap();
        assert_eq!(s.removed, 1);
        txn.commit().await.unwrap();
        let (h, _) = history(db.conn(), "bscb", Some(2015), Some("income"), 0, 1)
            .await
            .unwrap();
        assert_eq!(h[0].actor, "c");
        assert_eq!(h[0].new, "");
    }
}

#[tokio::test]
async fn close_reopen_and_idempotency_on_both_databases() {
    for (name, db) in lscb_platform::testing::databases().await {
        crate::migrate(&db).await.unwrap();
        let txn = db.begin_write().await.unwrap();
        open_year_for_write(&*txn, "bscb", 2015, "a").await.unwrap();
        put(
            &*txn,
            "bscb",
            2015,
            "a",
            vec![Change::Upsert(contribution("WMP", 100))],
        )
        .await
        .unwrap();
        let l = ledger(&*txn, "bscb").await.unwrap();
        close_year(&*txn, "bscb", 2015, &l.close_snapshot(2015), "a")
            .await
            .unwrap();
        txn.commit().await.unwrap();

        let txn = db.begin_write().await.unwrap();
        let e = open_year_for_write(&*txn, "bscb", 2015, "a")
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Precondition { .. }), "{name}: {e}");
        assert!(e.to_string().contains("closed"));
        drop(txn);

        let l = ledger(db.conn(), "bscb").await.unwrap();
        assert_eq!(l.years[&2015].status, YearStatus::Closed);
        assert_eq!(l.closing(2015), 100);

        let txn = db.begin_write().await.unwrap();
        reopen_year(&*txn, "bscb", 2015, "late invoice", "a")
            .await
            .unwrap();
        txn.commit().await.unwrap();
        let l = ledger(db.conn(), "bscb").await.unwrap();
        assert_eq!(l.years[&2015].status, YearStatus::Open);
        assert!(l.years[&2015].closed.is_none());

        let (h, _) = history(db.conn(), "bscb", Some(2015), Some("year"), 0, 1)
            .await
            .unwrap();
        assert_eq!(
            (
                h[0].field.as_str(),
                h[0].old.as_str(),
                h[0].new.as_str(),
                h[0].reason.as_str()
            ),
            ("status", "closed", "open", "late invoice"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn records_are_typed_rows_the_database_sums_and_constrains_on_both_databases() {
    use crate::domain::{Direction, InKind, PlannedChange};
    use crate::entity::contribution;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait};

    for (name, db) in lscb_platform::testing::databases().await {
        crate::migrate(&db).await.unwrap();
        let invoiced = chrono::NaiveDate::from_ymd_opt(2015, 5, 1).unwrap();
        let txn = db.begin_write().await.unwrap();
        open_year_for_write(&*txn, "bscb", 2015, "a").await.unwrap();
        put(
            &*txn,
            "bscb",
            2015,
            "a",
            vec![
                Change::Upsert(Contribution {
                    invoiced_pence: 60,
                    invoiced_on: Some(invoiced),
                    ..contribution("WMP", 67_440_900)
                }),
                Change::Upsert(contribution("NHSE", 0)),
            ],
        )
        .await
        .unwrap();
        put(
            &*txn,
            "bscb",
            2015,
            "a",
            vec![Change::Upsert(PlannedChange {
                description: "public sector funding".into(),
                direction: Direction::Reduction,
                amount_pence: 7_984_900,
                reason: "cuts".into(),
            })],
        )
        .await
        .unwrap();
        put(
            &*txn,
            "bscb",
            2015,
            "a",
            vec![Change::Upsert(InKind {
                agency_code: "BCC-PEOPLE".into(),
                description: "accommodation".into(),
                estimated_value_pence: None,
            })],
        )
        .await
        .unwrap();
        open_year_for_write(&*txn, "other", 2015, "o")
            .await
            .unwrap();
        put(
            &*txn,
            "other",
            2015,
            "o",
            vec![Change::Upsert(contribution("OPOL", 5))],
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();

        // The pence columns are integers the database can sum, per partnership.
        let total: Option<i64> = contribution::Entity::find()
            .select_only()
            .column_as(
                Expr::col(contribution::Column::AgreedPence)
                    .sum()
                    .cast_as(Alias::new("BIGINT")),
                "total",
            )
            .filter(contribution::Column::Partnership.eq("bscb"))
            .filter(contribution::Column::StartYear.eq(2015))
            .into_tuple()
            .one(db.conn())
            .await
            .unwrap()
            .flatten();
        assert_eq!(total, Some(67_440_900), "{name}");

        // Typed values come back as written (dates, optional amounts, directions).
        let l = ledger(db.conn(), "bscb").await.unwrap();
        let lines = l.lines(2015);
        assert_eq!(lines.contributions[0].invoiced_on, Some(invoiced), "{name}");
        assert_eq!(lines.contributions[0].invoiced_pence, 60, "{name}");
        assert_eq!(lines.contributions[1].agency_code, "NHSE", "{name}");
        assert_eq!(lines.in_kind[0].estimated_value_pence, None, "{name}");
        assert_eq!(lines.planned[0].direction, Direction::Reduction, "{name}");
        assert_eq!(lines.planned[0].amount_pence, 7_984_900, "{name}");

        // The database itself refuses a negative amount and a second row for one agency.
        let row = |code: &str, agreed: i64| contribution::ActiveModel {
            partnership: Set("bscb".into()),
            start_year: Set(2015),
            agency_code: Set(code.into()),
            agreed_pence: Set(agreed),
            invoiced_pence: Set(0),
            invoiced_on: Set(None),
            received_pence: Set(0),
            received_on: Set(None),
            note: Set(String::new()),
            updated_at: Set(String::new()),
            updated_by: Set(String::new()),
            ..Default::default()
        };
        assert!(row("BCH", -1).insert(db.conn()).await.is_err(), "{name}");
        let dup = row("WMP", 1).insert(db.conn()).await.unwrap_err();
        assert!(is_unique_violation(&dup), "{name}: {dup}");
        let l = ledger(db.conn(), "bscb").await.unwrap();
        assert_eq!(l.lines(2015).contributions.len(), 2, "{name}");
        assert_eq!(l.totals(2015).contributions_pence, 67_440_900, "{name}");
    }
}
