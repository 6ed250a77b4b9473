use super::*;

fn review(overall: Grade, voice: Option<bool>) -> CaseReview {
    CaseReview {
        id: 0,
        case_reference: "C1".into(),
        agencies: vec!["WMP".into(), "WMP".into(), "BCH".into()],
        overall: overall.as_str().into(),
        theme_grades: vec![("plan".into(), overall.as_str().into())],
        answers: voice.map(|v| vec![("voice".into(), v)]).unwrap_or_default(),
        good_practice: vec![],
    }
}

#[test]
fn case_references_must_be_opaque() {
    assert_eq!(case_reference_problem("CP-2015-017"), None);
    assert_eq!(case_reference_problem("FD/0415/12"), None);
    assert!(case_reference_problem("").is_some());
    assert!(case_reference_problem("John Smith").is_some());
    assert!(case_reference_problem("C-2009-03-14").is_some());
    assert!(case_reference_problem("14/03/2009").is_some());
    assert!(case_reference_problem("14.3.09").is_some());
    assert!(case_reference_problem("20090314").is_some());
    assert!(case_reference_problem(&"x".repeat(65)).is_some());
}

#[test]
fn seven_of_ten_requires_improvement() {
    let mut reviews: Vec<_> = (0..7)
        .map(|_| review(Grade::RequiresImprovement, Some(false)))
        .collect();
    reviews.extend((0..3).map(|_| review(Grade::Good, Some(true))));
    let themes = [Theme {
        code: "plan".into(),
        title: "SMART plan".into(),
    }];
    let questions = [Question {
        code: "voice".into(),
        text: "Voice of the child".into(),
    }];
    let s = summarize(&themes, &questions, &reviews);
    assert_eq!(s.case_count, 10);
    assert_eq!(s.overall.count(Grade::RequiresImprovement), 7);
    assert_eq!(
        s.overall
            .share(Grade::RequiresImprovement)
            .unwrap()
            .to_string(),
        "70.0"
    );
    assert_eq!(
        s.overall.headline(),
        "7 out of 10 cases were graded requires improvement"
    );
    assert_eq!(s.themes[0].1.count(Grade::Good), 3);
    assert_eq!(s.questions[0].1.yes, 3);
    assert_eq!(s.questions[0].1.yes_rate().unwrap().to_string(), "30.0");
    // an agency named twice in one case counts once
    assert_eq!(s.agencies["WMP"], 10);
}

#[test]
fn shares_round_to_one_place_and_empty_totals_have_none() {
    assert_eq!(share(3, 11).unwrap().to_string(), "27.3");
    assert_eq!(share(1, 8).unwrap().to_string(), "12.5");
    assert_eq!(share(0, 0), None);
    assert_eq!(Distribution::default().headline(), "");
}

#[test]
fn share_changes_are_percentage_points() {
    let mut a = Distribution::default();
    let mut b = Distribution::default();
    for _ in 0..5 {
        a.add(Grade::Inadequate);
    }
    for _ in 0..5 {
        a.add(Grade::Good);
    }
    for _ in 0..2 {
        b.add(Grade::Inadequate);
    }
    for _ in 0..8 {
        b.add(Grade::Good);
    }
    let ch = share_changes(&a, &b);
    assert_eq!(
        ch[Grade::Inadequate.index()].change.unwrap().to_string(),
        "-30.0"
    );
    assert_eq!(ch[Grade::Good.index()].change.unwrap().to_string(), "30.0");
}

#[test]
fn overdue_and_implementation() {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let act = |agency: &str, status, due| Action {
        id: 1,
        source_kind: "learning_review".into(),
        source_id: "1".into(),
        recommendation: "R".into(),
        description: "x".into(),
        owner_agency: agency.into(),
        due_date: d(due),
        status,
        completion_evidence: String::new(),
        completed_on: None,
    };
    let recs = vec![
        Recommendation {
            text: "R1".into(),
            actions: vec![
                act("WMP", ActionStatus::Completed, "2016-01-01"),
                act("BCH", ActionStatus::Open, "2016-01-01"),
            ],
        },
        Recommendation {
            text: "R2".into(),
            actions: vec![act("WMP", ActionStatus::Completed, "2016-06-01")],
        },
        Recommendation {
            text: "R3".into(),
            actions: vec![],
        },
    ];
    let as_of = d("2016-03-31");
    let all = implementation(&recs, as_of);
    assert_eq!(
        (
            all.recommendations,
            all.implemented,
            all.actions,
            all.actions_overdue
        ),
        (3, 1, 3, 1)
    );
    let ag = by_agency(&recs, as_of);
    assert_eq!((ag["WMP"].recommendations, ag["WMP"].implemented), (2, 2));
    assert_eq!((ag["BCH"].implemented, ag["BCH"].actions_overdue), (0, 1));
    // not overdue on its due date
    assert!(!act("BCH", ActionStatus::Open, "2016-03-31").overdue_at(as_of));
}
