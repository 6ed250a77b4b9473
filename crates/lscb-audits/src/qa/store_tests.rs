//! Store tests on SQLite and (with LSCB_TEST_PG_URL) PostgreSQL: the list filters that run
//! in SQL give exactly what the earlier read-everything-then-filter code gave.

use lscb_platform::Db;

use super::*;
use crate::qa::domain;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn period(code: &str) -> Period {
    Period::parse(code).unwrap()
}

fn audit(t: AuditType, topic: &str, title: &str, code: &str) -> Audit {
    Audit {
        id: 0,
        audit_type: t,
        topic: topic.into(),
        title: title.into(),
        strategic_priority: String::new(),
        period: period(code),
        status: AuditStatus::InProgress,
        themes: vec![],
        questions: vec![],
        programme: String::new(),
        lead_agency: String::new(),
        findings: vec![],
        case_count: 0,
    }
}

fn review(reference: &str) -> CaseReview {
    CaseReview {
        id: 0,
        case_reference: reference.into(),
        agencies: vec!["WMP".into()],
        overall: "good".into(),
        theme_grades: vec![],
        answers: vec![],
        good_practice: vec![],
    }
}

/// Stores an audit with `cases` case reviews; returns its id.
async fn seed(db: &Db, partnership: &str, a: Audit, cases: usize) -> i64 {
    let txn = db.begin_write().await.unwrap();
    let id = insert_audit(&*txn, partnership, &a).await.unwrap();
    let reviews: Vec<CaseReview> = (0..cases).map(|i| review(&format!("C-{i}"))).collect();
    insert_case_reviews(&*txn, partnership, id, &reviews)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    id
}

/// `ListAudits` as it was before the filter moved into SQL: every audit of the partnership,
/// the case counts of every audit, then the `within` filter in memory.
async fn old_list_audits<C: ConnectionTrait>(
    c: &C,
    partnership: &str,
    f: &AuditFilter,
) -> Vec<Audit> {
    let mut q = audit::Entity::find().filter(audit::Column::Partnership.eq(partnership));
    if let Some(t) = f.audit_type {
        q = q.filter(audit::Column::AuditType.eq(t.as_str()));
    }
    if let Some(p) = &f.programme {
        q = q.filter(audit::Column::Programme.eq(p.as_str()));
    }
    if let Some(s) = f.status {
        q = q.filter(audit::Column::Status.eq(s.as_str()));
    }
    let rows = q
        .order_by_asc(audit::Column::PeriodStart)
        .order_by_asc(audit::Column::Id)
        .all(c)
        .await
        .unwrap();
    let counts: HashMap<i64, u32> = case_review::Entity::find()
        .select_only()
        .column(case_review::Column::AuditId)
        .column_as(
            Expr::from(Func::count(Expr::col(case_review::Column::Id))),
            "n",
        )
        .filter(case_review::Column::Partnership.eq(partnership))
        .group_by(case_review::Column::AuditId)
        .into_tuple::<(i64, i64)>()
        .all(c)
        .await
        .unwrap()
        .into_iter()
        .map(|(a, n)| (a, n as u32))
        .collect();
    let mut out = Vec::new();
    for m in rows {
        let n = counts.get(&m.id).copied().unwrap_or(0);
        let a = audit_from(m, n).unwrap();
        if f.within.as_ref().is_none_or(|w| w.contains(&a.period)) {
            out.push(a);
        }
    }
    out
}

fn titles_and_counts(list: &[Audit]) -> Vec<(String, u32)> {
    list.iter()
        .map(|a| (a.title.clone(), a.case_count))
        .collect()
}

#[test]
fn periods_inside_are_exactly_the_contained_periods() {
    let mut all = Vec::new();
    for y in 2010..2018 {
        all.push(Period::year(y));
        for q in 1..=4 {
            all.push(Period::Quarter {
                start_year: y,
                quarter: q,
            });
        }
    }
    for y in 2010..2019 {
        for m in 1..=12 {
            all.push(Period::Month { year: y, month: m });
        }
    }
    for w in &all {
        let inside = periods_inside(*w);
        for p in &all {
            assert_eq!(inside.contains(p), w.contains(p), "{w} / {p:?}");
        }
    }
    assert_eq!(periods_inside(Period::year(2015)).len(), 17);
}

#[tokio::test]
async fn audits_within_a_period_are_those_the_in_memory_filter_kept_on_both_databases() {
    use AuditType::{FrontDoorReferral as Fd, MultiAgencyCaseFile as Cf};
    for (name, db) in lscb_platform::testing::databases().await {
        crate::migrate(&db).await.unwrap();
        // (type, period code, case reviews), in an order that is not the period order
        let seeded = [
            (Cf, "2016-03", 2),    // last month of 2015-16: at the year's end
            (Cf, "2015-16", 10),   // the year itself
            (Cf, "2014-15", 3),    // the year before
            (Fd, "2015-04", 11),   // first month of 2015-16: at the year's start
            (Cf, "2015-03", 1),    // the month before the year starts
            (Cf, "2015-16-Q1", 0), // first quarter, starts with the year; no case reviews
            (Cf, "2014-15-Q4", 4), // the quarter ending the day before the year starts
            (Fd, "2016-04", 5),    // the month after the year ends
            (Cf, "2015-16-Q4", 6), // last quarter, ends with the year
            (Cf, "2016-17", 7),    // the year after
            (Fd, "2015-10", 8),    // a month inside the year
            (Cf, "2011-12", 9),    // the year 2011-12 (not December 2011)
            (Fd, "2011-M12", 1),   // December 2011, inside 2011-12-Q3
        ];
        for (t, code, cases) in seeded {
            seed(&db, "bscb", audit(t, "", code, code), cases).await;
        }
        // another partnership's audit and case reviews of the same year are never counted
        seed(&db, "other", audit(Cf, "", "other 2015-16", "2015-16"), 3).await;
        let c = db.conn();

        let year = AuditFilter {
            within: Some(period("2015-16")),
            ..Default::default()
        };
        let got = list_audits(c, "bscb", &year, None).await.unwrap();
        // by period start, then id (order of insertion)
        assert_eq!(
            titles_and_counts(&got),
            [
                ("2015-16".to_string(), 10),
                ("2015-04".to_string(), 11),
                ("2015-16-Q1".to_string(), 0),
                ("2015-10".to_string(), 8),
                ("2015-16-Q4".to_string(), 6),
                ("2016-03".to_string(), 2),
            ],
            "{name}"
        );
        assert_eq!(got, old_list_audits(c, "bscb", &year).await, "{name}");
        assert_eq!(count_audits(c, "bscb", &year).await.unwrap(), 6, "{name}");

        // every filter, alone and with a type, gives what the in-memory filter gave
        let withins = [
            None,
            Some("2015-16"),
            Some("2014-15"),
            Some("2016-17"),
            Some("2013-14"),
            Some("2015-16-Q1"),
            Some("2015-16-Q3"),
            Some("2015-16-Q4"),
            Some("2014-15-Q4"),
            Some("2015-04"),
            Some("2016-03"),
            Some("2015-05"),
            Some("2011-12"),
            Some("2011-12-Q3"),
        ];
        for w in withins {
            for audit_type in [None, Some(Cf), Some(Fd)] {
                let f = AuditFilter {
                    audit_type,
                    within: w.map(period),
                    ..Default::default()
                };
                let old = old_list_audits(c, "bscb", &f).await;
                let new = list_audits(c, "bscb", &f, None).await.unwrap();
                assert_eq!(new, old, "{name}: within {w:?}, type {audit_type:?}");
                assert_eq!(
                    count_audits(c, "bscb", &f).await.unwrap(),
                    old.len() as u64,
                    "{name}: within {w:?}, type {audit_type:?}"
                );
            }
        }
        let q1 = AuditFilter {
            within: Some(period("2015-16-Q1")),
            ..Default::default()
        };
        assert_eq!(
            titles_and_counts(&list_audits(c, "bscb", &q1, None).await.unwrap()),
            [("2015-04".to_string(), 11), ("2015-16-Q1".to_string(), 0)],
            "{name}: the year overlaps Q1 but does not lie within it"
        );
        let q3 = AuditFilter {
            within: Some(period("2011-12-Q3")),
            ..Default::default()
        };
        assert_eq!(
            titles_and_counts(&list_audits(c, "bscb", &q3, None).await.unwrap()),
            [("2011-M12".to_string(), 1)],
            "{name}: the year 2011-12 is not December 2011"
        );

        // a page is the same slice of the same order
        let all = old_list_audits(c, "bscb", &year).await;
        for (offset, limit) in [(0, 2), (2, 3), (5, 10), (6, 1), (0, 100)] {
            let page = list_audits(c, "bscb", &year, Some((offset, limit)))
                .await
                .unwrap();
            let want: Vec<Audit> = all
                .iter()
                .skip(offset as usize)
                .take(limit as usize)
                .cloned()
                .collect();
            assert_eq!(page, want, "{name}: page ({offset}, {limit})");
        }
    }
}

#[tokio::test]
async fn case_counts_cover_only_the_audits_asked_for_in_chunks_on_both_databases() {
    for (name, db) in lscb_platform::testing::databases().await {
        crate::migrate(&db).await.unwrap();
        let t = AuditType::MultiAgencyCaseFile;
        let a = seed(&db, "bscb", audit(t, "", "a", "2015-16"), 3).await;
        let b = seed(&db, "bscb", audit(t, "", "b", "2015-16"), 0).await;
        let d = seed(&db, "bscb", audit(t, "", "d", "2016-17"), 2).await;
        let o = seed(&db, "other", audit(t, "", "o", "2015-16"), 4).await;
        let c = db.conn();

        let counts = case_counts(c, "bscb", &[a, b]).await.unwrap();
        assert_eq!(counts, HashMap::from([(a, 3)]), "{name}");
        assert!(case_counts(c, "bscb", &[]).await.unwrap().is_empty());
        // another partnership's audit is not counted for this one
        assert!(case_counts(c, "bscb", &[o]).await.unwrap().is_empty());

        // more ids than one IN list takes, the seeded ones in different chunks
        let mut ids: Vec<i64> = (1_000_000..1_000_000 + 2 * IN_CHUNK as i64).collect();
        ids.insert(0, a);
        ids.push(d);
        let counts = case_counts(c, "bscb", &ids).await.unwrap();
        assert_eq!(counts, HashMap::from([(a, 3), (d, 2)]), "{name}");
        let reviews = case_reviews(c, "bscb", &ids).await.unwrap();
        assert_eq!(
            reviews
                .iter()
                .map(|(k, v)| (*k, v.len()))
                .collect::<Vec<_>>(),
            [(a, 3), (d, 2)],
            "{name}"
        );
    }
}

#[tokio::test]
async fn previous_audit_is_the_one_the_domain_rule_picks_on_both_databases() {
    use AuditType::{MultiAgencyCaseFile as Cf, Thematic as Th};
    for (name, db) in lscb_platform::testing::databases().await {
        crate::migrate(&db).await.unwrap();
        let seeded = [
            (Th, "FGM", "2015-16"),
            (Th, "fgm", "2014-15"),
            (Th, "CSE", "2014-15"),
            (Th, "FGM", "2015-16-Q1"), // starts with 2015-16: the later id comes after
            (Th, "Fgm", "2013-14"),
            (Th, "FGM", "2016-17"),
            (Cf, "FGM", "2015-03"),
            (Th, "ÉCOLE", "2014-15"),
            (Th, "école", "2013-14"), // non-ASCII case is not ignored
            (Th, "école", "2012-13"),
            (Cf, "", "2015-16"),
            (Cf, "", "2015-16"),
        ];
        for (i, (t, topic, code)) in seeded.into_iter().enumerate() {
            seed(&db, "bscb", audit(t, topic, &format!("{i}"), code), i % 3).await;
        }
        seed(&db, "other", audit(Th, "FGM", "other", "2014-15"), 1).await;
        let c = db.conn();
        let all = list_audits(c, "bscb", &AuditFilter::default(), None)
            .await
            .unwrap();
        assert_eq!(all.len(), seeded.len(), "{name}");
        let mut found = 0;
        for current in &all {
            let want = domain::previous_audit(current, &all).cloned();
            let got = previous_audit(c, "bscb", current).await.unwrap();
            assert_eq!(got, want, "{name}: previous of {}", current.title);
            found += usize::from(got.is_some());
        }
        assert_eq!(found, 6, "{name}");
    }
}

#[tokio::test]
async fn inspections_actions_and_labels_match_the_in_memory_filters_on_both_databases() {
    for (name, db) in lscb_platform::testing::databases().await {
        crate::migrate(&db).await.unwrap();
        let txn = db.begin_write().await.unwrap();
        let mut inspection_ids = Vec::new();
        for (i, date) in [
            "2016-04-01",
            "2015-04-01",
            "2015-03-31",
            "2016-03-31",
            "2015-09-29",
        ]
        .into_iter()
        .enumerate()
        {
            let insp = Inspection {
                id: 0,
                inspectorate: if i % 2 == 0 {
                    Inspectorate::Cqc
                } else {
                    Inspectorate::Ofsted
                },
                inspectorate_name: String::new(),
                agency: "WMP".into(),
                title: format!("inspection {date}"),
                inspection_date: day(date),
                scope: String::new(),
                judgement: String::new(),
                key_findings: vec![],
                assurance_date: None,
                assurance_note: String::new(),
            };
            inspection_ids.push(insert_inspection(&*txn, "bscb", &insp).await.unwrap());
        }
        let mut action_ids = Vec::new();
        for (status, due) in [
            (ActionStatus::Open, "2016-02-29"),
            (ActionStatus::InProgress, "2016-01-31"),
            (ActionStatus::Open, "2016-03-01"), // due on the day: not overdue
            (ActionStatus::Completed, "2015-12-31"),
            (ActionStatus::NotAccepted, "2015-12-31"),
            (ActionStatus::Open, "2016-06-30"),
        ] {
            let id = insert_action(
                &*txn,
                "bscb",
                NewAction {
                    source_kind: "inspection".into(),
                    source_id: inspection_ids[0].to_string(),
                    recommendation: "R".into(),
                    description: format!("{status:?} {due}"),
                    owner_agency: "WMP".into(),
                    due_date: day(due),
                },
            )
            .await
            .unwrap();
            let mut a = get_action(&*txn, "bscb", id).await.unwrap().unwrap();
            a.status = status;
            update_action(&*txn, "bscb", &a, "test").await.unwrap();
            action_ids.push(id);
        }
        let a = insert_audit(
            &*txn,
            "bscb",
            &audit(AuditType::Thematic, "FGM", "FGM audit", "2015-16"),
        )
        .await
        .unwrap();
        let other = insert_audit(
            &*txn,
            "other",
            &audit(AuditType::Thematic, "FGM", "not ours", "2015-16"),
        )
        .await
        .unwrap();
        let lr = insert_learning_review(
            &*txn,
            "bscb",
            &LearningReview {
                id: 0,
                review_type: ReviewType::SeriousCaseReview,
                reference: "SCR-2015-01".into(),
                title: "SCR".into(),
                commissioned_date: day("2014-05-01"),
                status: ReviewStatus::Commissioned,
                publication_date: None,
                key_learning: vec![],
                agencies: vec![],
            },
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        let c = db.conn();

        // inspections dated within the year, by date then id
        let everything = list_inspections(c, "bscb", &InspectionFilter::default(), None)
            .await
            .unwrap();
        for (w, inspectorate) in [
            (None, None),
            (Some("2015-16"), None),
            (Some("2015-16"), Some(Inspectorate::Cqc)),
            (Some("2014-15"), None),
            (Some("2016-17-Q1"), None),
            (Some("2015-09"), Some(Inspectorate::Ofsted)),
        ] {
            let within = w.map(period);
            let f = InspectionFilter {
                inspectorate,
                agency: Some("WMP".into()),
                within,
            };
            let want: Vec<Inspection> = everything
                .iter()
                .filter(|i| inspectorate.is_none_or(|x| x == i.inspectorate))
                .filter(|i| within.is_none_or(|w| w.contains_date(i.inspection_date)))
                .cloned()
                .collect();
            let got = list_inspections(c, "bscb", &f, None).await.unwrap();
            assert_eq!(got, want, "{name}: {w:?} {inspectorate:?}");
            assert_eq!(
                count_inspections(c, "bscb", &f).await.unwrap(),
                want.len() as u64
            );
        }
        let year = InspectionFilter {
            within: Some(period("2015-16")),
            ..Default::default()
        };
        let dates: Vec<String> = list_inspections(c, "bscb", &year, None)
            .await
            .unwrap()
            .iter()
            .map(|i| i.inspection_date.to_string())
            .collect();
        assert_eq!(dates, ["2015-04-01", "2015-09-29", "2016-03-31"], "{name}");
        let page = list_inspections(c, "bscb", &year, Some((1, 1)))
            .await
            .unwrap();
        assert_eq!(page[0].inspection_date, day("2015-09-29"), "{name}");

        // overdue actions
        let all_actions = list_actions(c, "bscb", &ActionFilter::default())
            .await
            .unwrap();
        for as_of in ["2016-03-01", "2016-03-02", "2015-01-01", "2017-01-01"] {
            let as_of = day(as_of);
            let f = ActionFilter {
                overdue_at: Some(as_of),
                ..Default::default()
            };
            let want: Vec<Action> = all_actions
                .iter()
                .filter(|a| a.overdue_at(as_of))
                .cloned()
                .collect();
            assert_eq!(
                list_actions(c, "bscb", &f).await.unwrap(),
                want,
                "{name}: {as_of}"
            );
        }
        let overdue = list_actions(
            c,
            "bscb",
            &ActionFilter {
                overdue_at: Some(day("2016-03-01")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            overdue.iter().map(|a| a.id).collect::<Vec<_>>(),
            [action_ids[1], action_ids[0]],
            "{name}"
        );

        // labels only for the sources asked for, and only the partnership's own
        let keys = vec![
            ("audit".to_string(), a.to_string()),
            ("audit".to_string(), other.to_string()),
            ("inspection".to_string(), inspection_ids[1].to_string()),
            ("learning_review".to_string(), lr.to_string()),
            ("section11".to_string(), "2016".to_string()),
            ("audit".to_string(), "not-a-number".to_string()),
        ];
        let labels = source_labels(c, "bscb", &keys).await.unwrap();
        assert_eq!(
            labels,
            BTreeMap::from([
                (keys[0].clone(), "FGM audit".to_string()),
                (keys[2].clone(), "inspection 2015-04-01".to_string()),
                (keys[3].clone(), "SCR-2015-01".to_string()),
            ]),
            "{name}"
        );
    }
}
