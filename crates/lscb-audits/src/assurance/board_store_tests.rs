//! Store tests on SQLite and (with LSCB_TEST_PG_URL) PostgreSQL.

use chrono::NaiveDate;

use super::*;
use crate::assurance::board_domain::{
    BUSINESS_PLAN, CHILD_DEATH_REVIEWS, Gender, Objective, Plan, Priority, Register, Seat,
};
use crate::qa::actions::{NewAction, insert_action};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn plan(title: &str, ids: Vec<i64>) -> Plan {
    Plan {
        priorities: vec![Priority {
            code: "VOC".into(),
            title: title.into(),
            objectives: vec![Objective {
                code: "VOC-1".into(),
                title: "Voices heard".into(),
                action_ids: ids,
            }],
        }],
    }
}

#[tokio::test]
async fn records_replace_by_partnership_kind_and_year_on_both_databases() {
    for (name, db) in lscb_platform::testing::databases().await {
        crate::migrate(&db).await.unwrap();
        let c = db.conn();
        put_record(c, "bscb", BUSINESS_PLAN, "2015-16", &plan("First", vec![1]))
            .await
            .unwrap();
        put_record(
            c,
            "bscb",
            BUSINESS_PLAN,
            "2015-16",
            &plan("Second", vec![2, 3]),
        )
        .await
        .unwrap();
        put_record(c, "bscb", BUSINESS_PLAN, "2014-15", &plan("Older", vec![]))
            .await
            .unwrap();
        put_record(
            c,
            "other",
            BUSINESS_PLAN,
            "2015-16",
            &plan("Theirs", vec![]),
        )
        .await
        .unwrap();
        let got: Plan = get_record(c, "bscb", BUSINESS_PLAN, "2015-16")
            .await
            .unwrap()
            .expect("stored");
        assert_eq!(got, plan("Second", vec![2, 3]), "{name}");
        let older: Plan = get_record(c, "bscb", BUSINESS_PLAN, "2014-15")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(older.priorities[0].title, "Older", "{name}");
        let none: Option<Plan> = get_record(c, "bscb", CHILD_DEATH_REVIEWS, "2015-16")
            .await
            .unwrap();
        assert_eq!(none, None, "{name}");
        let reg = Register {
            bodies: vec![],
            seats: vec![Seat {
                body: "BOARD".into(),
                agency: "LAY".into(),
                role: "Lay member".into(),
                lay: true,
                gender: Gender::Female,
                chair: false,
            }],
        };
        put_record(c, "bscb", "governance_register", "2015-16", &reg)
            .await
            .unwrap();
        let back: Register = get_record(c, "bscb", "governance_register", "2015-16")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, reg, "{name}");
    }
}

#[tokio::test]
async fn actions_are_read_by_id_within_the_partnership_on_both_databases() {
    for (name, db) in lscb_platform::testing::databases().await {
        crate::migrate(&db).await.unwrap();
        let c = db.conn();
        let new = |description: &str, due: &str| NewAction {
            source_kind: "audit".into(),
            source_id: "1".into(),
            recommendation: "r".into(),
            description: description.into(),
            owner_agency: "WMP".into(),
            due_date: day(due),
        };
        let a = insert_action(c, "bscb", new("a", "2016-03-31"))
            .await
            .unwrap();
        let b = insert_action(c, "bscb", new("b", "2016-06-30"))
            .await
            .unwrap();
        let theirs = insert_action(c, "other", new("c", "2016-06-30"))
            .await
            .unwrap();
        let mut got = actions(c, "bscb", &[a, b, theirs, 999_999]).await.unwrap();
        got.sort_by_key(|x| x.id);
        assert_eq!(got.len(), 2, "{name}");
        assert_eq!((got[0].id, got[0].status.as_str()), (a, "open"), "{name}");
        assert_eq!(got[1].due_date, day("2016-06-30"), "{name}");
        assert_eq!(count_actions(c, "bscb").await.unwrap(), 2, "{name}");
        assert_eq!(count_actions(c, "other").await.unwrap(), 1, "{name}");
    }
}
