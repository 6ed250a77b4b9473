use super::*;

fn std(code: &str) -> Standard {
    Standard {
        code: code.into(),
        title: format!("Standard {code}"),
        statutory: true,
        description: String::new(),
    }
}

fn rating(code: &str, r: Rating) -> StandardRating {
    StandardRating {
        standard_code: code.into(),
        rating: r,
        evidence: String::new(),
    }
}

fn view(agency: &str, ratings: &[(&str, Rating)]) -> ReturnView {
    ReturnView {
        agency: agency.into(),
        status: ReturnStatus::Submitted,
        regional_body: String::new(),
        ratings: ratings.iter().map(|(c, r)| rating(c, *r)).collect(),
        moderations: HashMap::new(),
    }
}

#[test]
fn figure_29_ratings() {
    // Named member at 4 of 5 board meetings: green.
    assert_eq!(attendance_rating(5, 4, 4), Some(AttendanceRating::Green));
    // Named 3 of 5 but with a deputy 4 of 5: blue.
    assert_eq!(attendance_rating(5, 3, 4), Some(AttendanceRating::Blue));
    // 3 of 5 in all: red.
    assert_eq!(attendance_rating(5, 3, 3), Some(AttendanceRating::Red));
    assert_eq!(attendance_rating(0, 0, 0), None);
    // 79% is below 80%.
    assert_eq!(attendance_rating(100, 79, 79), Some(AttendanceRating::Red));
}

#[test]
fn percent_rounds_to_one_decimal() {
    assert_eq!(percent(437, 449).unwrap().to_string(), "97.3");
    assert_eq!(percent(1, 3).unwrap().to_string(), "33.3");
    assert_eq!(percent(2, 3).unwrap().to_string(), "66.7");
    assert_eq!(percent(1, 0), None);
    assert_eq!(percent(5, 5).unwrap().to_string(), "100.0");
}

#[test]
fn a_submitted_return_rates_everything_and_plans_every_gap() {
    let cat = vec![std("S1"), std("S2"), std("S3")];
    let sub = Section11Submission {
        cycle: "2015-16".into(),
        agency: "WMP".into(),
        status: ReturnStatus::Submitted,
        regional_body: String::new(),
        ratings: vec![
            rating("S1", Rating::Green),
            rating("S2", Rating::Amber),
            rating("S1", Rating::Red),
            rating("X", Rating::Green),
        ],
        gap_actions: vec![],
    };
    let v = check_submission(&sub, &cat);
    let fields: Vec<_> = v.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "ratings[2].standard_code",
            "ratings[3].standard_code",
            "ratings",
            "ratings[1].rating",
            "ratings[2].rating"
        ]
    );
}

#[test]
fn regional_returns_carry_no_ratings() {
    let sub = Section11Submission {
        cycle: "2015-16".into(),
        agency: "NHSE".into(),
        status: ReturnStatus::Regional,
        regional_body: "West Midlands".into(),
        ratings: vec![rating("S1", Rating::Green)],
        gap_actions: vec![],
    };
    let v = check_submission(&sub, &[std("S1")]);
    assert_eq!(v.iter().next().unwrap().field, "ratings");
}

#[test]
fn summary_counts_moderated_ratings_and_trends() {
    let cat = vec![std("S1"), std("S2")];
    let mut a = view("A", &[("S1", Rating::Green), ("S2", Rating::Amber)]);
    a.moderations
        .insert("S1".into(), (Rating::Amber, "challenged".into()));
    let b = view("B", &[("S1", Rating::Green), ("S2", Rating::Green)]);
    let prev = vec![
        view("A", &[("S1", Rating::Green), ("S2", Rating::Red)]),
        view("B", &[("S1", Rating::Green), ("S2", Rating::Amber)]),
    ];
    let s = standard_summaries(&cat, &[a, b], &prev);
    assert_eq!(
        s[0].counts,
        RatingCounts {
            red: 0,
            amber: 1,
            green: 1
        }
    );
    assert_eq!(s[0].self_counts.green, 2);
    assert_eq!(s[0].agencies_declined, 1);
    assert_eq!(s[0].trend, Trend::Declined);
    assert_eq!(s[1].agencies_improved, 2);
    assert_eq!(s[1].trend, Trend::Improved);
    assert_eq!(s[1].previous_counts.red, 1);
}

#[test]
fn tally_counts_named_and_nominated() {
    let named = Attendance {
        agency: "WMP".into(),
        capacity: Capacity::Named,
    };
    let deputy = Attendance {
        agency: "WMP".into(),
        capacity: Capacity::Nominated,
    };
    let t = tally(
        "WMP",
        &[vec![named.clone()], vec![deputy], vec![], vec![named]],
    );
    assert_eq!(
        t,
        AttendanceTally {
            meetings: 4,
            named: 2,
            attended: 3
        }
    );
}
