use super::*;

fn d(v: &str) -> Option<common::Decimal> {
    Some(common::Decimal { value: v.into() })
}

fn reference() -> tr::DeliveryDetail {
    tr::DeliveryDetail {
        sessions_delivered: 203,
        sessions_cancelled: 0,
        training_days: d("140"),
        sessions_without_length: 0,
        delegates: 4040,
        mean_delegates_per_session: d("19.9"),
        registered: 4390,
        did_not_attend: 250,
        cancelled: 150,
        walk_ins: 50,
        trained: 4040,
        trained_share_percent: d("92"),
        by_programme: vec![tr::ProgrammeDelivery {
            programme_code: "RSRT".into(),
            name: "Right Service, Right Time".into(),
            sessions_delivered: 55,
            delegates: 1100,
            training_days: d("27.5"),
            trainers: 86,
        }],
    }
}

#[test]
fn the_reference_year_in_sentences() {
    let m = delivery(Some(&reference())).expect("detail");
    assert_eq!(m.trained_pct, Some(Decimal::from(92)));
    assert_eq!(
        sentences(&m),
        vec![
            "The 203 courses delivered amounted to 140 training days, with an average of 19.9 delegates per delivered course; no session was cancelled.".to_string(),
            "4,040 of the 4,390 registered delegates were trained (92%): 4,390 booked − 250 did not attend − 150 cancelled + 50 walk-ins.".into(),
            "55 courses were delivered for Right Service, Right Time, to 1,100 delegates over 27.5 training days.".into(),
            "86 professionals were trained through \"Train the Trainer\" to deliver Right Service, Right Time.".into(),
        ]
    );
}

#[test]
fn cancelled_sessions_and_nothing_stored() {
    let mut x = reference();
    x.sessions_cancelled = 3;
    x.by_programme.clear();
    let s = sentences(&delivery(Some(&x)).unwrap());
    assert!(s[0].ends_with("; 3 sessions were cancelled."), "{}", s[0]);
    assert_eq!(s.len(), 2);
    let empty = tr::DeliveryDetail::default();
    assert_eq!(delivery(Some(&empty)), None);
    assert_eq!(delivery(None), None);
}
