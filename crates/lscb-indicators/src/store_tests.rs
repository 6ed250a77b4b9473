//! Store tests on SQLite and (with `LSCB_TEST_PG_URL`) PostgreSQL.

use super::*;
use crate::domain::{Aggregation, Frequency, Polarity, Unit};
use lscb_platform::testing::databases;

fn n(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn def(code: &str) -> Definition {
    Definition {
        code: code.into(),
        title: "Crimes against children investigated".into(),
        description: String::new(),
        unit: Unit::Count,
        polarity: Polarity::Context,
        priorities: vec!["safe_systems".into()],
        question: "how_much".into(),
        themes: vec![],
        frequency: Frequency::Annual,
        aggregation: Aggregation::Sum,
        rate: None,
        targets: vec![],
        expected_agencies: vec!["WMP".into()],
        breakdown: None,
        tolerance: Decimal::ZERO,
        deadline_days: 0,
        framework_area: String::new(),
    }
}

fn rev(code: &str, period: &str, agency: &str, value: &str) -> NewRevision {
    NewRevision {
        key: ObsKey {
            indicator: code.into(),
            period: period.parse().unwrap(),
            agency: agency.into(),
            breakdown: String::new(),
        },
        value: n(value),
        numerator: None,
        denominator: None,
        status: Status::Provisional,
        comment: "first figures".into(),
        definition_version: 1,
    }
}

#[tokio::test]
async fn definitions_keep_every_version_on_both_backends() {
    for (name, db) in databases().await {
        crate::migrate(&db).await.unwrap();
        let s = Store::new(db.clone());
        let txn = s.begin().await.unwrap();
        let (v1, changed) = s
            .upsert_definition(&txn, "bscb", &def("CAIT.CRIMES"), "a")
            .await
            .unwrap();
        assert!(changed, "{name}");
        assert_eq!(v1.version, 1);
        // The same definition again changes nothing.
        let (same, changed) = s
            .upsert_definition(&txn, "bscb", &def("CAIT.CRIMES"), "a")
            .await
            .unwrap();
        assert!(!changed);
        assert_eq!(same.version, 1);
        let mut d2 = def("CAIT.CRIMES");
        d2.title = "Crimes investigated by CAIT".into();
        let (v2, changed) = s.upsert_definition(&txn, "bscb", &d2, "b").await.unwrap();
        assert!(changed);
        assert_eq!(v2.version, 2);
        txn.commit().await.unwrap();
        let (cur, versions) = s
            .indicator("bscb", "CAIT.CRIMES", 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(versions, vec![1, 2], "{name}");
        assert_eq!(cur.definition.title, "Crimes investigated by CAIT");
        let (old, _) = s
            .indicator("bscb", "CAIT.CRIMES", 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(old.definition.title, "Crimes against children investigated");
        assert!(!old.current);
        // Another partnership sees nothing.
        assert!(
            s.indicator("other", "CAIT.CRIMES", 0)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            s.current_definitions(db.conn(), "bscb")
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn a_new_value_is_a_new_revision_never_an_overwrite_on_both_backends() {
    for (name, db) in databases().await {
        crate::migrate(&db).await.unwrap();
        let s = Store::new(db.clone());
        let txn = s.begin().await.unwrap();
        s.lock_partnership(&txn, "bscb").await.unwrap();
        let first = s
            .insert_revisions(
                &txn,
                "bscb",
                "sub1",
                "a",
                "2016-04-01T00:00:00.000000Z",
                2,
                |i| {
                    [
                        rev("CAIT.CRIMES", "2014-15", "WMP", "1517"),
                        rev("CAIT.CRIMES", "2015-16", "WMP", "2030"),
                    ][i]
                        .clone()
                },
                10,
            )
            .await
            .unwrap();
        assert_eq!(first.count, 2);
        let first = first.stored;
        txn.commit().await.unwrap();
        assert_eq!(first.iter().map(|r| r.revision).collect::<Vec<_>>(), [1, 1]);
        let txn = s.begin().await.unwrap();
        let second = s
            .insert_revisions(
                &txn,
                "bscb",
                "sub2",
                "b",
                "2016-05-01T00:00:00.000000Z",
                1,
                |_| rev("CAIT.CRIMES", "2015-16", "WMP", "2031"),
                10,
            )
            .await
            .unwrap()
            .stored;
        txn.commit().await.unwrap();
        assert_eq!(second[0].revision, 2, "{name}");
        assert_eq!(second[0].observation_id, first[1].observation_id);
        assert_eq!(second[0].first_received_at, "2016-04-01T00:00:00.000000Z");
        let cur = s
            .current_observations(db.conn(), "bscb", None, Some((2015, 2015)))
            .await
            .unwrap();
        assert_eq!(cur.len(), 1);
        assert_eq!(cur[0].value, n("2031"));
        let all = s
            .revisions(
                "bscb",
                &RevisionFilter {
                    indicator: "CAIT.CRIMES".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let seen: Vec<_> = all
            .iter()
            .map(|r| {
                (
                    r.key.period.to_string(),
                    r.revision,
                    r.value.to_string(),
                    r.current,
                    r.submitted_by.clone(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("2014-15".into(), 1, "1517".into(), true, "a".into()),
                ("2015-16".into(), 1, "2030".into(), false, "a".into()),
                ("2015-16".into(), 2, "2031".into(), true, "b".into()),
            ],
            "{name}"
        );
        assert!(
            s.current_observations(db.conn(), "other", None, None)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn submissions_benchmarks_rules_and_locks_on_both_backends() {
    for (name, db) in databases().await {
        crate::migrate(&db).await.unwrap();
        let s = Store::new(db.clone());
        let txn = s.begin().await.unwrap();
        s.insert_submission(&txn, "id1", "bscb", "key-1", "hash", "resp", "a", "t")
            .await
            .unwrap();
        let b = |v: &str| Benchmark {
            indicator: "CLA.RATE".into(),
            period: "2015-16".parse().unwrap(),
            comparator: Comparator::England,
            value: n(v),
            source: "DfE".into(),
            set_by: "a".into(),
            set_at: "t".into(),
        };
        s.set_benchmarks(&txn, "bscb", &[b("59")]).await.unwrap();
        s.set_benchmarks(&txn, "bscb", &[b("60")]).await.unwrap();
        s.add_lock_event(
            &txn,
            "bscb",
            2015,
            0,
            &LockEvent {
                locked: true,
                by: "chair".into(),
                at: "t1".into(),
                reason: "approved".into(),
            },
        )
        .await
        .unwrap();
        s.add_lock_event(
            &txn,
            "bscb",
            2015,
            1,
            &LockEvent {
                locked: false,
                by: "chair".into(),
                at: "t2".into(),
                reason: "late police data".into(),
            },
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        let txn = s.begin().await.unwrap();
        let sub = s
            .find_submission(&txn, "bscb", "key-1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (sub.request_hash.as_str(), sub.response.as_str()),
            ("hash", "resp")
        );
        assert!(
            s.find_submission(&txn, "other", "key-1")
                .await
                .unwrap()
                .is_none(),
            "{name}"
        );
        drop(txn);
        let bs = s.benchmarks(db.conn(), "bscb").await.unwrap();
        assert_eq!(bs.len(), 1, "{name}");
        assert_eq!(bs[0].value, n("60"));
        let h = s.lock_history(db.conn(), "bscb").await.unwrap();
        assert_eq!(h[&2015].len(), 2);
        assert!(crate::domain::lock_in_force(&h[&2015]).is_none());
        assert_eq!(h[&2015][1].reason, "late police data");
    }
}

/// A load larger than one statement's chunk is written chunk by chunk: new observations and
/// revisions of existing ones mixed across chunks, counted, and not echoed above the limit.
#[tokio::test]
async fn a_large_load_is_written_in_chunks_with_revisions_across_them() {
    let months: Vec<String> = (2012..2022)
        .flat_map(|y| (1..=12).map(move |m| format!("{y}-{m:02}")))
        .collect();
    let agencies = ["WMP", "BCC", "BCH", "BSMHFT", "SWBH"];
    let cells: Vec<(String, &str)> = months
        .iter()
        .flat_map(|m| agencies.iter().map(move |a| (m.clone(), *a)))
        .collect();
    assert_eq!(cells.len(), 600);
    for (name, db) in databases().await {
        crate::migrate(&db).await.unwrap();
        let s = Store::new(db.clone());
        // First 400 cells, echoed.
        let txn = s.begin().await.unwrap();
        let first = s
            .insert_revisions(
                &txn,
                "bscb",
                "sub1",
                "a",
                "2016-04-01T00:00:00.000000Z",
                400,
                |i| rev("T.M", &cells[i].0, cells[i].1, "1"),
                1_000,
            )
            .await
            .unwrap();
        txn.commit().await.unwrap();
        assert_eq!((first.count, first.stored.len()), (400, 400), "{name}");
        // All 600 (200 new, 400 revised) plus 600 of another indicator: 1,200 rows in three
        // chunks, not echoed above a limit of 1,000.
        let txn = s.begin().await.unwrap();
        let second = s
            .insert_revisions(
                &txn,
                "bscb",
                "sub2",
                "b",
                "2016-05-01T00:00:00.000000Z",
                1_200,
                |i| {
                    let (m, a) = &cells[i % 600];
                    rev(
                        if i < 600 { "T.M" } else { "T.N" },
                        m,
                        a,
                        if i < 600 { "2" } else { "3" },
                    )
                },
                1_000,
            )
            .await
            .unwrap();
        txn.commit().await.unwrap();
        assert_eq!((second.count, second.stored.len()), (1_200, 0), "{name}");
        let cur = s
            .current_observations(db.conn(), "bscb", None, None)
            .await
            .unwrap();
        assert_eq!(cur.len(), 1_200, "{name}");
        let of = |code: &str, revision: u32| {
            cur.iter()
                .filter(|r| r.key.indicator == code && r.revision == revision)
                .count()
        };
        assert_eq!(of("T.M", 2), 400, "{name}");
        assert_eq!(of("T.M", 1), 200, "{name}");
        assert_eq!(of("T.N", 1), 600, "{name}");
        assert!(
            cur.iter()
                .filter(|r| r.key.indicator == "T.M")
                .all(|r| r.value == n("2")),
            "{name}"
        );
        // The first revisions are kept.
        let all = s
            .revisions(
                "bscb",
                &RevisionFilter {
                    indicator: "T.M".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(all.len(), 1_000, "{name}");
    }
}
