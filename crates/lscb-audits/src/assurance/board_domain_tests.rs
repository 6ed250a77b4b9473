use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn action(id: i64, status: &str, due: &str) -> ActionState {
    ActionState {
        id,
        status: status.into(),
        due_date: d(due),
    }
}

#[test]
fn rag_of_actions_and_the_roll_up() {
    let as_of = d("2016-03-31");
    let a = [
        action(1, "completed", "2016-01-01"),
        action(2, "in_progress", "2016-03-31"),
        action(3, "open", "2016-03-30"),
        action(4, "not_accepted", "2015-01-01"),
        action(5, "open", "2016-12-31"),
    ];
    assert_eq!(
        action_rag(&a[1], as_of),
        Some(Rag::Amber),
        "due today is not overdue"
    );
    assert_eq!(action_rag(&a[2], as_of), Some(Rag::Red));
    let p = progress(&a, as_of);
    assert_eq!(
        (p.actions, p.green, p.amber, p.red, p.not_accepted),
        (5, 1, 2, 1, 1)
    );
    // 1 of 4 accepted completed; 1 of 4 overdue is a quarter: red.
    assert_eq!(p.completed_percent, Some(Decimal::from(25)));
    assert_eq!(p.rating, Some(Rag::Red));
    let p = progress(&a[..2], as_of);
    assert_eq!(p.rating, Some(Rag::Amber));
    assert_eq!(p.completed_percent, Some(Decimal::from(50)));
    assert_eq!(progress(&a[..1], as_of).rating, Some(Rag::Green));
    let none = progress(&a[3..4], as_of);
    assert_eq!((none.rating, none.completed_percent), (None, None));
}

fn seat(body: &str, agency: &str, lay: bool, gender: Gender, chair: bool) -> Seat {
    Seat {
        body: body.into(),
        agency: agency.into(),
        role: format!("{agency} member"),
        lay,
        gender,
        chair,
    }
}

#[test]
fn membership_counts_come_from_the_seats() {
    let mut seats = vec![];
    // 11 women, 9 men, 2 not recorded on the board; 2 lay members; one chair.
    for i in 0..22 {
        let gender = match i {
            0..=10 => Gender::Female,
            11..=19 => Gender::Male,
            _ => Gender::NotRecorded,
        };
        let agency = if i < 2 {
            "LAY"
        } else if i % 2 == 0 {
            "WMP"
        } else {
            "BCC"
        };
        seats.push(seat("BOARD", agency, i < 2, gender, i == 5));
    }
    seats.push(seat("EXEC", "WMP", false, Gender::Male, false));
    let order = vec!["BCC".to_string(), "WMP".to_string()];
    let m = membership(&seats, "BOARD", &order);
    assert_eq!(m.seats, 22);
    // BCC and WMP: the lay members' seats are not an agency's.
    assert_eq!(m.agencies, 2);
    assert_eq!(m.lay_members, 2);
    assert_eq!((m.female, m.male, m.gender_not_recorded), (11, 9, 2));
    assert_eq!(m.female_percent, Some(Decimal::from(55)));
    assert_eq!(m.male_percent, Some(Decimal::from(45)));
    assert_eq!(m.chair, Some(("BCC".to_string(), "BCC member".to_string())));
    assert_eq!(
        m.by_agency,
        vec![
            ("BCC".to_string(), 10),
            ("WMP".to_string(), 10),
            ("LAY".to_string(), 2)
        ]
    );
    let empty = membership(&seats, "CDOP", &order);
    assert_eq!((empty.seats, empty.female_percent), (0, None));
}

#[test]
fn reviews_are_the_sum_of_the_categories() {
    let c = ChildDeathReviews {
        deaths_from: d("2014-04-01"),
        deaths_to: d("2015-03-31"),
        by_category: vec![
            Count {
                code: "a".into(),
                label: "A".into(),
                count: 100,
            },
            Count {
                code: "b".into(),
                label: "B".into(),
                count: 65,
            },
        ],
        with_modifiable_factors: 33,
        modifiable_factors: vec![],
        themes: vec![],
        actions: vec![],
    };
    assert_eq!(c.reviewed(), 165);
    assert_eq!(c.modifiable_percent(), Some(Decimal::from(20)));
}
