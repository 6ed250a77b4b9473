use chrono::NaiveDate;

use super::*;
use crate::analysis::domain::{Expectation, PledgeTarget};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn stores() -> Vec<(&'static str, Store)> {
    let mut out = vec![];
    for (name, db) in lscb_platform::testing::databases().await {
        crate::migrate(&db).await.expect("migrate");
        out.push((name, Store::new(db)));
    }
    out
}

#[tokio::test]
async fn overrides_are_kept_in_order_and_scoped_by_partnership() {
    for (name, s) in stores().await {
        let o = |q: Option<QuestionKey>, j: Judgement, r: &str| Override {
            year: "2015-16".into(),
            question: q,
            judgement: j,
            rationale: r.into(),
            author: "chair".into(),
            decided_on: date(2016, 7, 12),
        };
        let a = s
            .add_override(
                "bscb",
                &o(Some(QuestionKey::Safer), Judgement::Sufficient, "first"),
            )
            .await
            .unwrap();
        let b = s
            .add_override(
                "bscb",
                &o(
                    Some(QuestionKey::Safer),
                    Judgement::PartlySufficient,
                    "second",
                ),
            )
            .await
            .unwrap();
        s.add_override("bscb", &o(None, Judgement::PartlySufficient, "overall"))
            .await
            .unwrap();
        s.add_override("other", &o(None, Judgement::NotSufficient, "not ours"))
            .await
            .unwrap();
        assert!(b.0 > a.0, "{name}");
        let list = s.overrides("bscb", "2015-16").await.unwrap();
        let got: Vec<(Option<QuestionKey>, &str)> = list
            .iter()
            .map(|(_, o)| (o.question, o.rationale.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (Some(QuestionKey::Safer), "first"),
                (Some(QuestionKey::Safer), "second"),
                (None, "overall")
            ],
            "{name}"
        );
        assert_eq!(list[1].1.decided_on, date(2016, 7, 12));
        assert_eq!(
            s.overrides("bscb", "2015-16").await.unwrap().len(),
            3,
            "{name}"
        );
        assert!(
            s.overrides("bscb", "2016-17").await.unwrap().is_empty(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn challenges_are_numbered_and_carry_progress() {
    for (name, s) in stores().await {
        let ev = vec!["audit_quality:audits/audit/1".to_string()];
        let c1 = s
            .add_challenge("bscb", "2015-16", 0, "Family Friendly City", &[], "chair")
            .await
            .unwrap();
        let c2 = s
            .add_challenge("bscb", "2015-16", 0, "Safe practice", &ev, "chair")
            .await
            .unwrap();
        assert_eq!((c1.number, c2.number), (1, 2), "{name}");
        assert_eq!(c2.evidence_ids, ev);
        let dup = s
            .add_challenge("bscb", "2015-16", 2, "again", &[], "chair")
            .await
            .unwrap_err();
        assert!(matches!(dup, Error::Conflict(_)), "{name}: {dup:?}");
        // The other partnership numbers its own from 1.
        assert_eq!(
            s.add_challenge("other", "2015-16", 0, "x", &[], "c")
                .await
                .unwrap()
                .number,
            1
        );

        let p = ChallengeProgress {
            year: "2016-17".into(),
            status: ChallengeStatus::InProgress,
            note: "standards launched".into(),
            author: "chair".into(),
            recorded_on: date(2017, 5, 2),
        };
        let after = s.add_progress("bscb", c2.id, &p).await.unwrap();
        assert_eq!(after.progress, vec![p.clone()], "{name}");
        let same_year = ChallengeProgress {
            year: "2015-16".into(),
            ..p.clone()
        };
        assert!(matches!(
            s.add_progress("bscb", c2.id, &same_year).await.unwrap_err(),
            Error::Precondition { .. }
        ));
        assert!(
            matches!(
                s.add_progress("other", c2.id, &p).await.unwrap_err(),
                Error::NotFound(_)
            ),
            "{name}"
        );

        let listed = s.challenges("bscb", "2015-16").await.unwrap();
        assert_eq!(listed.iter().map(|c| c.number).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(listed[1].progress.len(), 1);
        let authored = s
            .authored("bscb", "2016-17".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(
            authored.challenges.len(),
            2,
            "{name}: last year's challenges are shown a year on"
        );
    }
}

#[tokio::test]
async fn pledges_round_trip_with_their_targets() {
    for (name, s) in stores().await {
        let p = |priority: &str, number: u32, targets: Vec<PledgeTarget>| Pledge {
            id: 0,
            plan_year: "2016-17".into(),
            priority: priority.into(),
            number,
            text: "re-referrals reducing year on year".into(),
            targets,
            author: "chair".into(),
        };
        let targets = vec![
            PledgeTarget {
                indicator: "CP-REREF".into(),
                expectation: Expectation::Decrease,
            },
            PledgeTarget {
                indicator: "EH-ASSESS".into(),
                expectation: Expectation::AtLeast("3000.5".parse().unwrap()),
            },
        ];
        let a = s
            .add_pledge("bscb", &p("We run safe systems", 0, targets.clone()))
            .await
            .unwrap();
        let b = s
            .add_pledge("bscb", &p("The voice of the child", 0, vec![]))
            .await
            .unwrap();
        let c = s
            .add_pledge("bscb", &p("We run safe systems", 0, vec![]))
            .await
            .unwrap();
        assert_eq!((a.number, b.number, c.number), (1, 1, 2), "{name}");
        assert!(matches!(
            s.add_pledge("bscb", &p("We run safe systems", 2, vec![]))
                .await
                .unwrap_err(),
            Error::Conflict(_)
        ));
        let list = s.pledges("bscb", "2016-17").await.unwrap();
        let order: Vec<(String, u32)> = list
            .iter()
            .map(|p| (p.priority.clone(), p.number))
            .collect();
        assert_eq!(
            order,
            [
                ("We run safe systems".to_string(), 1),
                ("We run safe systems".to_string(), 2),
                ("The voice of the child".to_string(), 1)
            ],
            "{name}"
        );
        assert_eq!(list[0].targets, targets, "{name}");
        assert!(s.pledges("other", "2016-17").await.unwrap().is_empty());
        let authored = s
            .authored("bscb", "2015-16".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(
            authored.pledges.len(),
            3,
            "{name}: next year's pledges are part of this year's Part 4"
        );
    }
}
