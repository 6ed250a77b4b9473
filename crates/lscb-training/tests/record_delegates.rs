//! `RecordDelegates`, the batch of bookings, cancellations and attendance, through gRPC on
//! SQLite and (with `LSCB_TEST_PG_URL`) PostgreSQL: the same stored values, charges and
//! summary as the one-by-one calls, every refusal with nothing stored, replays, capacity,
//! roles, and batches large enough to span several multi-row statements.

use lscb_platform::Role;
use lscb_platform::testing::AuthChannel;
use lscb_proto::common::v1 as cpb;
use lscb_proto::training::v1 as pb;
use lscb_proto::training::v1::training_service_client::TrainingServiceClient;
use pb::BookingStatus as B;
use tonic::Code;
use tonic_types::StatusExt;

mod common;
use common::{fields, period, servers, spawn};

type Client = TrainingServiceClient<AuthChannel>;

/// The charge policy, a course and sessions of the given (date, capacity).
async fn setup(c: &mut Client, sessions: &[(&str, u32)]) -> Vec<String> {
    c.set_charge_policy(pb::SetChargePolicyRequest {
        policy: Some(pb::ChargePolicy {
            did_not_attend_charge: Some(cpb::Money { pence: 5000 }),
            late_cancellation_charge: Some(cpb::Money { pence: 2500 }),
            cancellation_window_days: 5,
            exempt_agencies: vec!["WMP".into()],
            ..Default::default()
        }),
    })
    .await
    .expect("policy");
    c.upsert_course(pb::UpsertCourseRequest {
        course: Some(pb::Course {
            code: "L1".into(),
            title: "Course L1".into(),
            level: pb::CourseLevel::CourseLevel1 as i32,
            topics: vec![],
            multi_agency: true,
            length_days: Some(cpb::Decimal { value: "1".into() }),
            programme_code: String::new(),
        }),
    })
    .await
    .expect("course");
    let mut ids = vec![];
    for (date, capacity) in sessions {
        ids.push(
            c.create_session(pb::CreateSessionRequest {
                course_code: "L1".into(),
                date: (*date).into(),
                venue: "Council House".into(),
                online: false,
                capacity: *capacity,
                trainers: vec![],
            })
            .await
            .expect("session")
            .into_inner()
            .id,
        );
    }
    ids
}

fn row(session: &str, delegate: &str, agency: &str, status: B) -> pb::DelegateRecord {
    pb::DelegateRecord {
        session_id: session.into(),
        delegate_ref: delegate.into(),
        agency: agency.into(),
        role: "social worker".into(),
        status: status as i32,
        cancelled_on: String::new(),
    }
}

fn cancelled(session: &str, delegate: &str, agency: &str, on: &str) -> pb::DelegateRecord {
    pb::DelegateRecord {
        cancelled_on: on.into(),
        ..row(session, delegate, agency, B::Cancelled)
    }
}

async fn record(
    c: &mut Client,
    key: &str,
    delegates: Vec<pb::DelegateRecord>,
) -> Result<pb::RecordDelegatesResponse, tonic::Status> {
    c.record_delegates(pb::RecordDelegatesRequest {
        delegates,
        idempotency_key: key.into(),
    })
    .await
    .map(|r| r.into_inner())
}

async fn bookings(c: &mut Client, session: &str) -> Vec<pb::Booking> {
    c.list_bookings(pb::ListBookingsRequest {
        session_id: session.into(),
        agency: String::new(),
    })
    .await
    .expect("list bookings")
    .into_inner()
    .bookings
}

/// (delegate, agency, role, status, waiting position) of a session's bookings, in order.
async fn stored(c: &mut Client, session: &str) -> Vec<(String, String, String, i32, u32)> {
    bookings(c, session)
        .await
        .into_iter()
        .map(|b| {
            (
                b.delegate_ref,
                b.agency,
                b.role,
                b.status,
                b.waiting_position,
            )
        })
        .collect()
}

/// The same batch the one-by-one way, as `lscbctl` used to load it: BookPlace (and
/// CancelBooking) per delegate in order, then one RecordAttendance per session.
async fn one_by_one(c: &mut Client, rows: &[pb::DelegateRecord]) {
    let mut outcomes: Vec<(String, Vec<pb::AttendanceEntry>)> = vec![];
    for r in rows {
        let status = B::try_from(r.status).unwrap();
        if status != B::WalkIn {
            let existing = bookings(c, &r.session_id)
                .await
                .into_iter()
                .find(|b| b.delegate_ref == r.delegate_ref);
            let b = match existing {
                Some(b) => b,
                None => c
                    .book_place(pb::BookPlaceRequest {
                        session_id: r.session_id.clone(),
                        delegate_ref: r.delegate_ref.clone(),
                        agency: r.agency.clone(),
                        role: r.role.clone(),
                    })
                    .await
                    .expect("book")
                    .into_inner()
                    .booking
                    .unwrap(),
            };
            if status == B::Cancelled {
                c.cancel_booking(pb::CancelBookingRequest {
                    booking_id: b.id,
                    cancelled_on: r.cancelled_on.clone(),
                })
                .await
                .expect("cancel");
            }
        }
        if matches!(
            status,
            B::Attended | B::PartiallyAttended | B::DidNotAttend | B::WalkIn
        ) {
            let entry = pb::AttendanceEntry {
                delegate_ref: r.delegate_ref.clone(),
                agency: r.agency.clone(),
                role: r.role.clone(),
                status: r.status,
            };
            match outcomes.iter_mut().find(|(s, _)| *s == r.session_id) {
                Some((_, es)) => es.push(entry),
                None => outcomes.push((r.session_id.clone(), vec![entry])),
            }
        }
    }
    for (session_id, entries) in outcomes {
        c.record_attendance(pb::RecordAttendanceRequest {
            session_id,
            entries,
            idempotency_key: String::new(),
        })
        .await
        .expect("attendance");
    }
}

/// Two sessions: S1 delivered with cancellations (one late), attendance of every kind and a
/// walk-in; S2 still scheduled, filling up, with a stored booking cancelled late that
/// promotes the first waiting delegate.
fn batch(s1: &str, s2: &str) -> Vec<pb::DelegateRecord> {
    let mut walk_in = row(s1, "W1", "NHSE", B::WalkIn);
    walk_in.role = "GP".into();
    vec![
        cancelled(s1, "C1", "BCH", "2015-05-20"),
        cancelled(s1, "C2", "BCH", "2015-06-08"),
        row(s1, "A1", "WMP", B::Attended),
        row(s1, "A2", "BCH", B::Attended),
        row(s1, "P1", "BCC-PEOPLE", B::PartiallyAttended),
        row(s1, "N1", "BCH", B::DidNotAttend),
        walk_in,
        row(s2, "B1", "WMP", B::Booked),
        row(s2, "B2", "BCH", B::Booked),
        row(s2, "B3", "SCH-PRIMARY", B::Booked),
        // Stored before the batch (agency left out: the booking's).
        cancelled(s2, "E1", "", "2015-06-28"),
    ]
}

fn s(x: &str) -> String {
    x.to_string()
}

#[tokio::test]
async fn a_batch_stores_what_the_one_by_one_calls_store() {
    let dbs = lscb_platform::testing::databases().await;
    let more = lscb_platform::testing::databases().await;
    for ((name, db), (_, db2)) in dbs.into_iter().zip(more) {
        let (bulk_srv, single_srv) = (spawn(db).await, spawn(db2).await);
        let mut bulk = TrainingServiceClient::new(bulk_srv.admin().await);
        let mut single = TrainingServiceClient::new(single_srv.admin().await);
        let dates = [("2015-06-10", 4), ("2015-07-01", 2)];
        let (a, b) = (
            setup(&mut bulk, &dates).await,
            setup(&mut single, &dates).await,
        );
        for (c, s2) in [(&mut bulk, &a[1]), (&mut single, &b[1])] {
            c.book_place(pb::BookPlaceRequest {
                session_id: s2.clone(),
                delegate_ref: "E1".into(),
                agency: "BCH".into(),
                role: "social worker".into(),
            })
            .await
            .unwrap();
        }

        let r = record(&mut bulk, "batch-1", batch(&a[0], &a[1]))
            .await
            .expect("batch");
        one_by_one(&mut single, &batch(&b[0], &b[1])).await;

        assert_eq!(
            (r.recorded, r.sessions, r.sessions_delivered),
            (11, 2, 1),
            "{name}"
        );
        assert_eq!(
            (r.bookings_created, r.bookings_updated, r.promoted),
            (10, 1, 1),
            "{name}"
        );
        assert_eq!(
            (
                r.booked,
                r.waiting_list,
                r.attended,
                r.partially_attended,
                r.did_not_attend,
                r.cancelled,
                r.cancelled_late,
                r.walk_ins
            ),
            (2, 1, 2, 1, 1, 1, 2, 1),
            "{name}"
        );
        // Small batches list their bookings in request order.
        assert!(!r.bookings_omitted);
        let listed: Vec<(&str, i32, u32)> = r
            .bookings
            .iter()
            .map(|b| (b.delegate_ref.as_str(), b.status, b.waiting_position))
            .collect();
        assert_eq!(
            listed,
            [
                ("C1", B::Cancelled as i32, 0),
                ("C2", B::CancelledLate as i32, 0),
                ("A1", B::Attended as i32, 0),
                ("A2", B::Attended as i32, 0),
                ("P1", B::PartiallyAttended as i32, 0),
                ("N1", B::DidNotAttend as i32, 0),
                ("W1", B::WalkIn as i32, 0),
                ("B1", B::Booked as i32, 0),
                ("B2", B::Booked as i32, 0),
                ("B3", B::WaitingList as i32, 1),
                ("E1", B::CancelledLate as i32, 0),
            ],
            "{name}"
        );
        assert!(r.bookings.iter().all(|b| !b.id.is_empty()));

        // Exactly these rows are stored, in the order of arrival.
        let sw = || s("social worker");
        let s1 = stored(&mut bulk, &a[0]).await;
        assert_eq!(
            s1,
            [
                (s("C1"), s("BCH"), sw(), B::Cancelled as i32, 0),
                (s("C2"), s("BCH"), sw(), B::CancelledLate as i32, 0),
                (s("A1"), s("WMP"), sw(), B::Attended as i32, 0),
                (s("A2"), s("BCH"), sw(), B::Attended as i32, 0),
                (
                    s("P1"),
                    s("BCC-PEOPLE"),
                    sw(),
                    B::PartiallyAttended as i32,
                    0
                ),
                (s("N1"), s("BCH"), sw(), B::DidNotAttend as i32, 0),
                (s("W1"), s("NHSE"), s("GP"), B::WalkIn as i32, 0),
            ],
            "{name}"
        );
        let s2 = stored(&mut bulk, &a[1]).await;
        assert_eq!(
            s2,
            [
                (s("E1"), s("BCH"), sw(), B::CancelledLate as i32, 0),
                (s("B1"), s("WMP"), sw(), B::Booked as i32, 0),
                (s("B2"), s("BCH"), sw(), B::Booked as i32, 0),
                (s("B3"), s("SCH-PRIMARY"), sw(), B::WaitingList as i32, 1),
            ],
            "{name}"
        );
        // … and the one-by-one calls stored the same.
        assert_eq!(s1, stored(&mut single, &b[0]).await, "{name}");
        assert_eq!(s2, stored(&mut single, &b[1]).await, "{name}");
        let sessions = |c: &mut Client| {
            let mut c = c.clone();
            async move {
                c.list_sessions(pb::ListSessionsRequest::default())
                    .await
                    .unwrap()
                    .into_inner()
                    .sessions
                    .into_iter()
                    .map(|x| (x.status, x.places_taken, x.waiting, x.places_free))
                    .collect::<Vec<_>>()
            }
        };
        let got = sessions(&mut bulk).await;
        assert_eq!(
            got,
            [
                (pb::SessionStatus::Delivered as i32, 4, 0, 0),
                (pb::SessionStatus::Scheduled as i32, 2, 1, 0),
            ],
            "{name}"
        );
        assert_eq!(got, sessions(&mut single).await, "{name}");

        // Charges and the summary are the same figures.
        let charges = |c: &mut Client| {
            let mut c = c.clone();
            async move {
                c.get_charges(pb::GetChargesRequest {
                    period: period("2015-16"),
                })
                .await
                .unwrap()
                .into_inner()
            }
        };
        let ch = charges(&mut bulk).await;
        assert_eq!(ch, charges(&mut single).await, "{name}");
        // BCH: one did not attend (£50) and two late cancellations (£25 each).
        let bch = ch.agencies.iter().find(|x| x.agency == "BCH").unwrap();
        assert_eq!(
            (
                bch.did_not_attend,
                bch.cancelled_late,
                bch.amount.unwrap().pence
            ),
            (1, 2, 10_000),
            "{name}"
        );
        assert_eq!(ch.total.unwrap().pence, 10_000, "{name}");
        let summary = |c: &mut Client| {
            let mut c = c.clone();
            async move {
                c.get_training_summary(pb::GetTrainingSummaryRequest {
                    period: period("2015-16"),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
            }
        };
        let sum = summary(&mut bulk).await;
        let other = summary(&mut single).await;
        assert_eq!(sum.figures, other.figures, "{name}");
        assert_eq!(sum.by_agency, other.by_agency, "{name}");
        assert_eq!(sum.reconciliation, other.reconciliation, "{name}");
        let rec = sum.reconciliation.unwrap();
        assert_eq!(
            rec.explanation,
            "6 registered - 1 did not attend - 2 cancelled + 1 walk-ins = 4 attended: the figures add up",
            "{name}"
        );
        let f = sum.figures.unwrap();
        assert_eq!((f.places_offered, f.places_taken), (4, 4), "{name}");
        bulk_srv.shutdown().await;
        single_srv.shutdown().await;
    }
}

#[tokio::test]
async fn every_bad_row_is_named_and_nothing_is_stored() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        let ids = setup(
            &mut c,
            &[("2015-06-10", 10), ("2015-06-11", 10), ("2015-06-12", 10)],
        )
        .await;
        let (open, done, off) = (&ids[0], &ids[1], &ids[2]);
        for (d, st) in [("E1", B::Booked), ("E2", B::Booked)] {
            c.book_place(pb::BookPlaceRequest {
                session_id: open.clone(),
                delegate_ref: d.into(),
                agency: "BCH".into(),
                role: String::new(),
            })
            .await
            .unwrap();
            assert_eq!(st, B::Booked);
        }
        let e2 = bookings(&mut c, open).await[1].id.clone();
        c.cancel_booking(pb::CancelBookingRequest {
            booking_id: e2,
            cancelled_on: "2015-05-01".into(),
        })
        .await
        .unwrap();
        record(&mut c, "deliver", vec![row(done, "X", "WMP", B::WalkIn)])
            .await
            .unwrap();
        c.update_session(pb::UpdateSessionRequest {
            id: off.clone(),
            status: pb::SessionStatus::Cancelled as i32,
            ..Default::default()
        })
        .await
        .unwrap();
        let before_open = stored(&mut c, open).await;

        let mut long_role = row(open, "R1", "WMP", B::Booked);
        long_role.role = "x".repeat(101);
        let mut attended_with_date = row(open, "D2", "WMP", B::Attended);
        attended_with_date.cancelled_on = "2015-06-01".into();
        let mut late = row(open, "L1", "WMP", B::CancelledLate);
        late.cancelled_on = "2015-06-09".into();
        let delegates = vec![
            row("", "D0", "WMP", B::Booked),                // 0 session_id
            row(open, "has space", "WMP", B::Booked),       // 1 delegate_ref
            row(open, "D1", "WMP", B::Unspecified),         // 2 status
            late,                                           // 3 status
            cancelled(open, "D3", "WMP", ""),               // 4 cancelled_on
            attended_with_date,                             // 5 cancelled_on
            long_role,                                      // 6 role
            row("no-such-session", "D4", "WMP", B::Booked), // 7 session_id
            row(open, "OK1", "WMP", B::Booked),             // 8 fine
            row(open, "OK1", "WMP", B::Attended),           // 9 delegate_ref
            row(open, "D5", "NOT-AN-AGENCY", B::Booked),    // 10 agency
            row(open, "E1", "BCH", B::Booked),              // 11 delegate_ref
            row(open, "E1", "WMP", B::Attended),            // 12 delegate_ref (twice)
            row(open, "D6", "", B::Attended),               // 13 agency
            cancelled(open, "D7", "WMP", "2015-06-11"),     // 14 cancelled_on
            row(done, "D8", "WMP", B::Booked),              // 15 session_id
            row(off, "W2", "WMP", B::WalkIn),               // 16 session_id
            row(open, "E2", "", B::Attended),               // 17 delegate_ref
            cancelled(open, "E2", "", "2015-06-01"),        // 18 delegate_ref (twice)
            row(done, "X", "", B::Attended),                // 19 delegate_ref
            row(open, "OK2", "BCH", B::WalkIn),             // 20 fine
            row(open, "OK3", "BCH", B::DidNotAttend),       // 21 fine
        ];
        let err = record(&mut c, "bad", delegates).await.unwrap_err();
        assert_eq!(
            fields(&err),
            [
                "delegates[0].session_id",
                "delegates[1].delegate_ref",
                "delegates[2].status",
                "delegates[3].status",
                "delegates[4].cancelled_on",
                "delegates[5].cancelled_on",
                "delegates[6].role",
                "delegates[7].session_id",
                "delegates[9].delegate_ref",
                "delegates[10].agency",
                "delegates[11].delegate_ref",
                "delegates[12].delegate_ref",
                "delegates[13].agency",
                "delegates[14].cancelled_on",
                "delegates[15].session_id",
                "delegates[18].delegate_ref",
                "delegates[16].session_id",
                "delegates[17].delegate_ref",
                "delegates[19].delegate_ref",
            ],
            "{name}"
        );
        let details = err.get_details_bad_request().unwrap().field_violations;
        let why = |f: &str| {
            details
                .iter()
                .find(|v| v.field == f)
                .map(|v| v.description.clone())
                .unwrap()
        };
        assert!(
            why("delegates[3].status").contains("charge policy"),
            "{name}"
        );
        assert!(why("delegates[7].session_id").contains("not found"));
        assert!(why("delegates[11].delegate_ref").contains("already has a booking"));
        assert!(why("delegates[15].session_id").contains("delivered"));
        assert!(why("delegates[16].session_id").contains("cancelled"));
        assert!(why("delegates[17].delegate_ref").contains("holds no place"));
        assert!(why("delegates[19].delegate_ref").contains("walk_in"));
        // Nothing of the batch is stored: no booking, no delivery.
        assert_eq!(stored(&mut c, open).await, before_open, "{name}");
        assert_eq!(bookings(&mut c, done).await.len(), 1, "{name}");
        let s = c
            .get_session(pb::GetSessionRequest { id: open.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(s.status, pb::SessionStatus::Scheduled as i32, "{name}");

        // The batch itself: required, at most 10,000; a key of at most 128 bytes.
        let err = record(&mut c, "empty", vec![]).await.unwrap_err();
        assert_eq!(fields(&err), ["delegates"], "{name}");
        let err = record(
            &mut c,
            &"k".repeat(129),
            vec![row(open, "K", "WMP", B::Booked)],
        )
        .await
        .unwrap_err();
        assert_eq!(fields(&err), ["idempotency_key"], "{name}");
        let too_many: Vec<_> = (0..10_001)
            .map(|i| row(open, &format!("M{i}"), "WMP", B::Booked))
            .collect();
        let err = record(&mut c, "too-many", too_many).await.unwrap_err();
        assert_eq!(fields(&err), ["delegates"], "{name}");
        // Another partnership's session is not found.
        let other = srv.token_for("other", Role::Admin, None);
        let mut o = TrainingServiceClient::new(srv.channel(Some(other)).await);
        let err = record(&mut o, "other", vec![row(open, "O1", "OPOL", B::Booked)])
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["delegates[0].session_id"], "{name}");
        assert_eq!(stored(&mut c, open).await, before_open, "{name}");
        srv.shutdown().await;
    }
}

#[tokio::test]
async fn a_full_session_waits_bookings_and_refuses_attendance_beyond_capacity() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        let ids = setup(&mut c, &[("2015-06-10", 2), ("2015-06-11", 2)]).await;
        // Three attended delegates for two places: the third would be waiting.
        let err = record(
            &mut c,
            "over",
            vec![
                row(&ids[0], "A", "WMP", B::Attended),
                row(&ids[0], "B", "WMP", B::Attended),
                row(&ids[0], "C", "WMP", B::Attended),
            ],
        )
        .await
        .unwrap_err();
        assert_eq!(fields(&err), ["delegates[2].session_id"], "{name}");
        let why = &err.get_details_bad_request().unwrap().field_violations[0].description;
        assert!(why.contains("waiting list"), "{why}");
        assert!(bookings(&mut c, &ids[0]).await.is_empty(), "{name}");
        // A walk-in needs no place; a cancellation sent first frees its place.
        let r = record(
            &mut c,
            "fits",
            vec![
                cancelled(&ids[0], "X", "BCH", "2015-05-01"),
                row(&ids[0], "A", "WMP", B::Attended),
                row(&ids[0], "B", "WMP", B::DidNotAttend),
                row(&ids[0], "C", "WMP", B::WalkIn),
            ],
        )
        .await
        .unwrap();
        assert_eq!(
            (r.cancelled, r.attended, r.did_not_attend, r.walk_ins),
            (1, 1, 1, 1),
            "{name}"
        );
        // Bookings beyond the capacity go on the waiting list, in order; a cancellation
        // after them promotes the first.
        let r = record(
            &mut c,
            "book",
            vec![
                row(&ids[1], "P", "WMP", B::Booked),
                row(&ids[1], "Q", "WMP", B::Booked),
                row(&ids[1], "R", "WMP", B::Booked),
                row(&ids[1], "S", "WMP", B::Booked),
            ],
        )
        .await
        .unwrap();
        assert_eq!((r.booked, r.waiting_list), (2, 2), "{name}");
        let positions: Vec<u32> = r.bookings.iter().map(|b| b.waiting_position).collect();
        assert_eq!(positions, [0, 0, 1, 2], "{name}");
        let r = record(
            &mut c,
            "cancel",
            vec![cancelled(&ids[1], "P", "", "2015-06-09")],
        )
        .await
        .unwrap();
        assert_eq!(
            (r.cancelled_late, r.promoted, r.bookings_updated),
            (1, 1, 2),
            "{name}"
        );
        let got: Vec<(String, i32, u32)> = bookings(&mut c, &ids[1])
            .await
            .into_iter()
            .map(|b| (b.delegate_ref, b.status, b.waiting_position))
            .collect();
        assert_eq!(
            got,
            [
                (s("P"), B::CancelledLate as i32, 0),
                (s("Q"), B::Booked as i32, 0),
                (s("R"), B::Booked as i32, 0),
                (s("S"), B::WaitingList as i32, 1),
            ],
            "{name}"
        );
        srv.shutdown().await;
    }
}

#[tokio::test]
async fn a_replay_answers_the_same_and_a_reused_key_is_already_exists() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        let ids = setup(&mut c, &[("2015-06-10", 5)]).await;
        let rows = vec![
            row(&ids[0], "A", "WMP", B::Attended),
            row(&ids[0], "W", "BCH", B::WalkIn),
        ];
        let first = record(&mut c, "k1", rows.clone()).await.unwrap();
        let again = record(&mut c, "k1", rows.clone()).await.unwrap();
        assert_eq!(first, again, "{name}");
        assert_eq!(bookings(&mut c, &ids[0]).await.len(), 2, "{name}");
        // The same key with other content.
        let mut other = rows.clone();
        other[1].delegate_ref = "W2".into();
        let err = record(&mut c, "k1", other).await.unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists, "{name}");
        assert!(err.message().contains("k1"), "{}", err.message());
        assert_eq!(bookings(&mut c, &ids[0]).await.len(), 2, "{name}");
        // The same content under a new key is a new request: the rules refuse it.
        let err = record(&mut c, "k2", vec![row(&ids[0], "B", "WMP", B::Booked)])
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["delegates[0].session_id"], "{name}");
        // A refused batch keeps its key free.
        let ok = record(&mut c, "k2", vec![row(&ids[0], "A", "", B::DidNotAttend)])
            .await
            .unwrap();
        assert_eq!((ok.did_not_attend, ok.bookings_updated), (1, 1), "{name}");
        srv.shutdown().await;
    }
}

#[tokio::test]
async fn submitters_record_only_their_own_agency_and_readers_nothing() {
    for (name, srv) in servers().await {
        let mut admin = TrainingServiceClient::new(srv.admin().await);
        let ids = setup(&mut admin, &[("2015-06-10", 5)]).await;
        let mut sub = TrainingServiceClient::new(srv.submitter("WMP").await);
        let err = record(
            &mut sub,
            "mixed",
            vec![
                row(&ids[0], "P1", "WMP", B::Booked),
                row(&ids[0], "H1", "BCH", B::Booked),
            ],
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{name}");
        assert!(err.message().contains("delegates[1]"), "{}", err.message());
        assert!(bookings(&mut admin, &ids[0]).await.is_empty(), "{name}");
        // Attendance of another agency's booking, or its cancellation, is refused too.
        record(
            &mut admin,
            "bch",
            vec![row(&ids[0], "H1", "BCH", B::Booked)],
        )
        .await
        .unwrap();
        for r in [
            row(&ids[0], "H1", "", B::Attended),
            cancelled(&ids[0], "H1", "", "2015-05-01"),
        ] {
            let err = record(&mut sub, "theirs", vec![r]).await.unwrap_err();
            assert_eq!(err.code(), Code::PermissionDenied, "{name}");
        }
        let r = record(
            &mut sub,
            "own",
            vec![
                row(&ids[0], "P1", "WMP", B::Booked),
                row(&ids[0], "P2", "WMP", B::WalkIn),
            ],
        )
        .await
        .unwrap();
        assert_eq!((r.booked, r.walk_ins), (1, 1), "{name}");
        let mut reader = TrainingServiceClient::new(srv.reader().await);
        let err = record(
            &mut reader,
            "read",
            vec![row(&ids[0], "R1", "WMP", B::Booked)],
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{name}");
        srv.shutdown().await;
    }
}

/// 10,000 delegates over 100 sessions, booked in one batch and their attendance recorded in
/// another: both run past one multi-row statement (inserts and status updates are chunked).
#[tokio::test]
async fn the_largest_batch_spans_several_statements() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        let dates: Vec<(String, u32)> = (0..100)
            .map(|i| (format!("2015-{:02}-{:02}", 5 + i % 6, 1 + i / 6), 100))
            .collect();
        let dates: Vec<(&str, u32)> = dates.iter().map(|(d, n)| (d.as_str(), *n)).collect();
        let ids = setup(&mut c, &dates).await;
        let agencies = ["WMP", "BCH", "BCC-PEOPLE", "SCH-PRIMARY"];
        let rows = |status: B| -> Vec<pb::DelegateRecord> {
            ids.iter()
                .flat_map(|s| {
                    (0..100).map(move |k| {
                        let agency = if status == B::Booked {
                            agencies[k % 4]
                        } else {
                            ""
                        };
                        row(s, &format!("D{k}"), agency, status)
                    })
                })
                .collect()
        };
        let booked = record(&mut c, "book-10k", rows(B::Booked)).await.unwrap();
        assert_eq!(
            (booked.recorded, booked.bookings_created, booked.booked),
            (10_000, 10_000, 10_000),
            "{name}"
        );
        assert!(
            booked.bookings_omitted && booked.bookings.is_empty(),
            "{name}"
        );
        let attended = record(&mut c, "attend-10k", rows(B::Attended))
            .await
            .unwrap();
        assert_eq!(
            (
                attended.bookings_updated,
                attended.attended,
                attended.sessions_delivered
            ),
            (10_000, 10_000, 100),
            "{name}"
        );
        let sum = c
            .get_training_summary(pb::GetTrainingSummaryRequest {
                period: period("2015-16"),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let f = sum.figures.unwrap();
        assert_eq!(
            (f.courses_run, f.places_offered, f.places_taken),
            (100, 10_000, 10_000),
            "{name}"
        );
        let b = bookings(&mut c, &ids[99]).await;
        assert_eq!(b.len(), 100, "{name}");
        assert_eq!(
            (b[7].delegate_ref.as_str(), b[7].agency.as_str()),
            ("D7", "SCH-PRIMARY")
        );
        assert!(b.iter().all(|x| x.status == B::Attended as i32), "{name}");
        srv.shutdown().await;
    }
}
