use rust_decimal::Decimal;

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn course(code: &str, days: &str, programme: &str) -> Course {
    Course {
        code: code.into(),
        title: format!("{code} course"),
        level: "level_1".into(),
        topics: vec![],
        multi_agency: true,
        length_days: dec(days),
        programme_code: programme.into(),
    }
}

fn session(id: &str, course: &str, status: SessionStatus) -> Session {
    Session {
        id: id.into(),
        course_code: course.into(),
        date: d("2015-06-01"),
        venue: "v".into(),
        online: false,
        capacity: 20,
        trainers: vec![],
        status,
    }
}

fn bookings(session: &str, list: &[(usize, BookingStatus)]) -> Vec<Booking> {
    let mut out = vec![];
    for (count, status) in list {
        for _ in 0..*count {
            let n = out.len();
            out.push(Booking {
                id: format!("{session}-{n}"),
                session_id: session.into(),
                seq: n as i64,
                delegate_ref: format!("D{n}"),
                agency: "A".into(),
                role: String::new(),
                status: *status,
                cancelled_on: None,
            });
        }
    }
    out
}

fn trainer(r: &str, programme: &str, on: &str) -> Trainer {
    Trainer {
        trainer_ref: r.into(),
        agency: "A".into(),
        programme_code: programme.into(),
        accredited_on: d(on),
    }
}

fn programme() -> Programme {
    Programme {
        code: "P".into(),
        name: "Programme P".into(),
        target: 100,
        start: d("2015-04-01"),
        end: d("2016-03-31"),
        workforce: vec![],
    }
}

#[test]
fn days_delegates_cancellations_and_the_trained_share() {
    let courses = vec![course("HALF", "0.5", "P"), course("FULL", "1", "")];
    let sessions = vec![
        session("s1", "HALF", SessionStatus::Delivered),
        session("s2", "FULL", SessionStatus::Delivered),
        session("s3", "FULL", SessionStatus::Cancelled),
        session("s4", "HALF", SessionStatus::Scheduled),
        session("s5", "GONE", SessionStatus::Delivered),
    ];
    let mut b = bookings(
        "s1",
        &[
            (10, BookingStatus::Attended),
            (2, BookingStatus::DidNotAttend),
            (1, BookingStatus::Cancelled),
            (1, BookingStatus::CancelledLate),
            (3, BookingStatus::WalkIn),
            (4, BookingStatus::WaitingList),
        ],
    );
    b.extend(bookings(
        "s2",
        &[
            (5, BookingStatus::Attended),
            (1, BookingStatus::PartiallyAttended),
        ],
    ));
    // Bookings of sessions that were not delivered count nowhere.
    b.extend(bookings("s3", &[(7, BookingStatus::Cancelled)]));
    b.extend(bookings("s4", &[(6, BookingStatus::Booked)]));
    let trainers = vec![
        trainer("T1", "P", "2015-05-01"),
        trainer("T1", "P", "2015-05-01"),
        trainer("T2", "P", "2016-03-31"),
        trainer("T3", "P", "2016-04-01"),
    ];
    let x = delivery_detail(
        &sessions,
        &b,
        &courses,
        &[programme()],
        &trainers,
        d("2016-03-31"),
    );
    assert_eq!(x.sessions_delivered, 3);
    assert_eq!(x.sessions_cancelled, 1);
    assert_eq!(x.training_days, dec("1.5"));
    assert_eq!(x.sessions_without_length, 1);
    // 10 + 3 walk-ins at s1, 5 + 1 at s2.
    assert_eq!(x.delegates, 19);
    assert_eq!(x.mean_delegates_per_session, Some(dec("6.3")));
    // s1: 10 + 2 + 2 cancelled; s2: 6.
    assert_eq!(x.registered, 20);
    assert_eq!(x.did_not_attend, 2);
    assert_eq!(x.cancelled, 2);
    assert_eq!(x.walk_ins, 3);
    assert_eq!(x.trained, 19);
    assert_eq!(x.trained_share_percent, Some(dec("95")));
    assert_eq!(
        x.by_programme,
        vec![ProgrammeDelivery {
            programme_code: "P".into(),
            name: "Programme P".into(),
            sessions_delivered: 1,
            delegates: 13,
            training_days: dec("0.5"),
            trainers: 2,
        }]
    );
}

#[test]
fn nothing_delivered_gives_no_averages() {
    let x = delivery_detail(
        &[session("s1", "C", SessionStatus::Cancelled)],
        &[],
        &[course("C", "1", "")],
        &[],
        &[],
        d("2016-03-31"),
    );
    assert_eq!(x.sessions_delivered, 0);
    assert_eq!(x.sessions_cancelled, 1);
    assert_eq!(x.training_days, Decimal::ZERO);
    assert_eq!(x.mean_delegates_per_session, None);
    assert_eq!(x.trained_share_percent, None);
    assert!(x.by_programme.is_empty());
}
