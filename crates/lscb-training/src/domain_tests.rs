use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn session(id: &str, status: SessionStatus, capacity: u32) -> Session {
    Session {
        id: id.into(),
        course_code: "C".into(),
        date: d("2015-06-01"),
        venue: "v".into(),
        online: false,
        capacity,
        trainers: vec![],
        status,
    }
}

fn booking(session: &str, n: usize, agency: &str, status: BookingStatus) -> Booking {
    Booking {
        id: format!("{session}-{n}"),
        session_id: session.into(),
        seq: n as i64,
        delegate_ref: format!("D{n}"),
        agency: agency.into(),
        role: String::new(),
        status,
        cancelled_on: None,
    }
}

#[test]
fn reconciliation_of_the_reference_session() {
    let s = session("s", SessionStatus::Delivered, 400);
    let mut b = vec![];
    let mut n = 0;
    for (count, st) in [
        (269, BookingStatus::Attended),
        (20, BookingStatus::DidNotAttend),
        (29, BookingStatus::Cancelled),
        (35, BookingStatus::WalkIn),
    ] {
        for _ in 0..count {
            n += 1;
            b.push(booking("s", n, "WMP", st));
        }
    }
    let del = Delivery::from_sessions(&[s], &b);
    assert_eq!(del.totals.registered, 318);
    let r = reconcile(&del.totals);
    assert_eq!(r.expected_attended, 304);
    assert_eq!(r.attended, 304);
    assert!(r.balanced, "{}", r.explanation);
    assert!(
        r.explanation
            .starts_with("318 registered - 20 did not attend - 29 cancelled + 35 walk-ins = 304")
    );
}

#[test]
fn unrecorded_attendance_does_not_add_up() {
    let s = session("s", SessionStatus::Delivered, 10);
    let b = vec![
        booking("s", 1, "WMP", BookingStatus::Attended),
        booking("s", 2, "WMP", BookingStatus::Booked),
    ];
    let r = reconcile(&Delivery::from_sessions(&[s], &b).totals);
    assert!(!r.balanced);
    assert_eq!(r.expected_attended, 2);
    assert_eq!(r.attended, 1);
    assert!(r.explanation.contains("do not add up"));
}

#[test]
fn utilisation_and_dna_rate() {
    let del = Delivery::recorded(&YearTotals {
        courses_run: 203,
        places_offered: 4988,
        places_taken: 4489,
        registered: 300,
        did_not_attend: 20,
        cancelled: 100,
        ..Default::default()
    });
    assert_eq!(del.utilisation().unwrap().to_string(), "90");
    assert_eq!(del.dna_rate().unwrap().to_string(), "10");
}

#[test]
fn late_cancellation_window() {
    assert!(is_late_cancellation(d("2015-06-01"), d("2015-06-05"), 5));
    assert!(!is_late_cancellation(d("2015-05-27"), d("2015-06-01"), 5));
    assert!(!is_late_cancellation(d("2015-06-01"), d("2015-06-05"), 0));
}

#[test]
fn charges_exempt_statutory_agencies() {
    let policy = ChargePolicy {
        did_not_attend_pence: 5000,
        late_cancellation_pence: 2500,
        cancellation_window_days: 5,
        exempt_agencies: vec!["WMP".into()],
        exempt_sectors: vec![],
        exempt_statutory: false,
    };
    let s = session("s", SessionStatus::Delivered, 10);
    let b = vec![
        booking("s", 1, "WMP", BookingStatus::DidNotAttend),
        booking("s", 2, "VOL", BookingStatus::DidNotAttend),
        booking("s", 3, "VOL", BookingStatus::CancelledLate),
        booking("s", 4, "VOL", BookingStatus::Cancelled),
    ];
    let c = charges(&policy, &[s], &b, &|a| (a.to_lowercase(), a == "WMP"));
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].agency, "VOL");
    assert_eq!(c[0].amount_pence, 7500);
    assert!(c[1].exempt);
    assert_eq!(c[1].amount_pence, 0);
}

#[test]
fn uplift_is_the_mean_relative_gain() {
    let e = |b, a, s| Evaluation {
        session_id: "s".into(),
        delegate_ref: "d".into(),
        confidence_before: b,
        confidence_after: a,
        satisfaction: s,
    };
    let f = evaluation_figures(&[e(2, 3, 5), e(4, 4, 3)]);
    // (0.5 + 0) / 2 = 25%
    assert_eq!(f.uplift_percent.unwrap().to_string(), "25");
    assert_eq!(f.mean_satisfaction.unwrap().to_string(), "4");
    assert_eq!(f.satisfied_percent.unwrap().to_string(), "50");
}

#[test]
fn reach_rounds_to_whole_percent() {
    assert_eq!(percent(5580, 15017, 0).unwrap().to_string(), "37");
    assert_eq!(percent(1, 0, 0), None);
}

#[test]
fn a_full_session_puts_bookings_on_the_waiting_list_and_a_cancellation_promotes() {
    let mut s = SessionBookings::new(session("s", SessionStatus::Scheduled, 2), vec![]);
    let a = s.book("a".into(), "A", "WMP", " teacher ").unwrap();
    s.book("b".into(), "B", "WMP", "").unwrap();
    let c = s.book("c".into(), "C", "BCH", "").unwrap();
    assert_eq!(s.bookings[c].status, BookingStatus::WaitingList);
    assert_eq!(s.bookings[a].role, "teacher");
    assert_eq!(s.occupancy(), (2, 1));
    let again = s.book("x".into(), "A", "WMP", "").unwrap_err();
    assert_eq!(again.fault, Fault::AlreadyBooked);
    // Inside a 5-day window: late, and C gets the place.
    let promoted = s.cancel(a, d("2015-05-30"), 5).unwrap();
    assert_eq!(promoted, vec![c]);
    assert_eq!(s.bookings[a].status, BookingStatus::CancelledLate);
    assert_eq!(s.bookings[a].cancelled_on, Some(d("2015-05-30")));
    assert_eq!(s.bookings[c].status, BookingStatus::Booked);
    // Cancelled twice, and after the session.
    let why = s.cancel(a, d("2015-06-02"), 5).unwrap_err();
    let faults: Vec<Fault> = why.iter().map(|r| r.fault).collect();
    assert_eq!(faults, [Fault::Booking, Fault::Date]);
    // Every booking is new: nothing stored changed.
    assert_eq!(s.new_bookings().len(), 3);
    assert_eq!(s.changed_bookings().count(), 0);
    assert_eq!(
        s.new_bookings().iter().map(|b| b.seq).collect::<Vec<_>>(),
        [1, 2, 3]
    );
}

#[test]
fn leaving_the_waiting_list_is_never_late() {
    let stored = vec![
        booking("s", 1, "WMP", BookingStatus::Booked),
        booking("s", 2, "WMP", BookingStatus::WaitingList),
    ];
    let mut s = SessionBookings::new(session("s", SessionStatus::Scheduled, 1), stored);
    assert!(s.cancel(1, d("2015-05-31"), 5).unwrap().is_empty());
    assert_eq!(s.bookings[1].status, BookingStatus::Cancelled);
    // A stored booking changed; a new one follows the last sequence number.
    assert_eq!(s.changed_bookings().map(|b| b.seq).collect::<Vec<_>>(), [2]);
    let n = s.book("n".into(), "N", "BCH", "").unwrap();
    assert_eq!(
        (s.bookings[n].seq, s.bookings[n].status),
        (3, BookingStatus::WaitingList)
    );
}

#[test]
fn attendance_needs_a_held_place_or_a_walk_in() {
    let stored = vec![
        booking("s", 1, "WMP", BookingStatus::Booked),
        booking("s", 2, "BCH", BookingStatus::WaitingList),
        booking("s", 3, "BCH", BookingStatus::Cancelled),
    ];
    let mut s = SessionBookings::new(session("s", SessionStatus::Scheduled, 1), stored);
    let id = || "w".to_string();
    let fault = |r: Result<usize, Refusal>| r.unwrap_err().fault;
    let mut t = s.clone();
    assert_eq!(
        fault(t.record_outcome(id, "D1", "BCH", "", BookingStatus::Attended)),
        Fault::Agency
    );
    assert_eq!(
        fault(t.record_outcome(id, "D2", "", "", BookingStatus::Attended)),
        Fault::Full
    );
    assert_eq!(
        fault(t.record_outcome(id, "D3", "", "", BookingStatus::Attended)),
        Fault::Booking
    );
    assert_eq!(
        fault(t.record_outcome(id, "D9", "", "", BookingStatus::DidNotAttend)),
        Fault::NoBooking
    );
    assert_eq!(
        fault(t.record_outcome(id, "D1", "", "", BookingStatus::WalkIn)),
        Fault::Status
    );
    assert_eq!(
        fault(t.record_outcome(id, "D1", "", "", BookingStatus::Booked)),
        Fault::Status
    );
    assert_eq!(
        s.record_outcome(id, "D1", "WMP", "", BookingStatus::DidNotAttend),
        Ok(0)
    );
    let w = s
        .record_outcome(id, "W", "NHSE", "", BookingStatus::WalkIn)
        .unwrap();
    // A walk-in recorded again is left as it is.
    assert_eq!(
        s.record_outcome(|| unreachable!(), "W", "", "", BookingStatus::WalkIn),
        Ok(w)
    );
    s.deliver();
    assert!(s.status_changed());
    assert_eq!(s.new_bookings().len(), 1);
    assert_eq!(s.changed_bookings().count(), 1);
    // A delivered session takes no bookings; a cancelled one no attendance.
    assert_eq!(
        s.book("x".into(), "X", "WMP", "").unwrap_err().fault,
        Fault::Session
    );
    let mut c = SessionBookings::new(session("c", SessionStatus::Cancelled, 5), vec![]);
    assert_eq!(
        fault(c.record_outcome(id, "W", "WMP", "", BookingStatus::WalkIn)),
        Fault::Session
    );
    // Capacity below the places held.
    assert_eq!(s.set_capacity(0).unwrap_err().fault, Fault::Full);
}
