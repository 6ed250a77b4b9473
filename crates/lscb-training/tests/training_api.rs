//! The training service end to end through gRPC, on SQLite and (with `LSCB_TEST_PG_URL`)
//! PostgreSQL.

use lscb_platform::testing::{AuthChannel, TestServer};
use lscb_platform::{Db, Role};
use lscb_proto::common::v1 as cpb;
use lscb_proto::training::v1 as pb;
use lscb_proto::training::v1::training_service_client::TrainingServiceClient;
use tonic::Code;

mod common;
use common::{fields, period, servers, spawn};

type Client = TrainingServiceClient<AuthChannel>;

async fn course(c: &mut Client, code: &str, programme: &str) {
    c.upsert_course(pb::UpsertCourseRequest {
        course: Some(pb::Course {
            code: code.into(),
            title: format!("Course {code}"),
            level: pb::CourseLevel::CourseLevel1 as i32,
            topics: vec!["right_service_right_time".into()],
            multi_agency: true,
            length_days: Some(cpb::Decimal { value: "1".into() }),
            programme_code: programme.into(),
        }),
    })
    .await
    .expect("course");
}

async fn session(c: &mut Client, course: &str, date: &str, capacity: u32) -> String {
    c.create_session(pb::CreateSessionRequest {
        course_code: course.into(),
        date: date.into(),
        venue: "Council House".into(),
        online: false,
        capacity,
        trainers: vec![],
    })
    .await
    .expect("session")
    .into_inner()
    .id
}

async fn book(c: &mut Client, session: &str, delegate: &str, agency: &str) -> pb::Booking {
    c.book_place(pb::BookPlaceRequest {
        session_id: session.into(),
        delegate_ref: delegate.into(),
        agency: agency.into(),
        role: "social worker".into(),
    })
    .await
    .expect("book")
    .into_inner()
    .booking
    .expect("booking")
}

fn entry(delegate: &str, agency: &str, status: pb::BookingStatus) -> pb::AttendanceEntry {
    pb::AttendanceEntry {
        delegate_ref: delegate.into(),
        agency: agency.into(),
        role: String::new(),
        status: status as i32,
    }
}

async fn attendance(
    c: &mut Client,
    session: &str,
    entries: Vec<pb::AttendanceEntry>,
) -> Result<pb::RecordAttendanceResponse, tonic::Status> {
    c.record_attendance(pb::RecordAttendanceRequest {
        session_id: session.into(),
        entries,
        idempotency_key: String::new(),
    })
    .await
    .map(|r| r.into_inner())
}

async fn summary(c: &mut Client, year: &str) -> pb::TrainingSummary {
    c.get_training_summary(pb::GetTrainingSummaryRequest {
        period: period(year),
        ..Default::default()
    })
    .await
    .expect("summary")
    .into_inner()
}

fn dec(d: &Option<cpb::Decimal>) -> &str {
    d.as_ref().map(|d| d.value.as_str()).unwrap_or("")
}

/// 203 deliveries, 4,989 places offered, 4,489 taken: 90% utilisation, with the previous
/// year and earlier ones from recorded totals for the six-year trend.
#[tokio::test]
async fn reference_year_203_courses_4489_places_90_percent() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        course(&mut c, "L1", "").await;
        let agencies = ["WMP", "BCC-PEOPLE", "BCH", "SCH-PRIMARY"];
        let mut delegate = 0;
        for i in 0..203u32 {
            // 116 sessions of 25 places and 87 of 24: 4,988 offered.
            let capacity = if i < 116 { 25 } else { 24 };
            // 23 sessions with 23 delegates and 180 with 22: 4,489 taken.
            let attended = if i < 23 { 23 } else { 22 };
            let month = 4 + (i % 9);
            let date = format!("2015-{month:02}-{:02}", 1 + i % 28);
            let s = session(&mut c, "L1", &date, capacity).await;
            let mut entries = vec![];
            for k in 0..attended {
                delegate += 1;
                let agency = agencies[(k % 4) as usize];
                let d = format!("D{delegate}");
                if k < 5 {
                    book(&mut c, &s, &d, agency).await;
                    entries.push(entry(&d, "", pb::BookingStatus::Attended));
                } else {
                    entries.push(entry(&d, agency, pb::BookingStatus::WalkIn));
                }
            }
            attendance(&mut c, &s, entries).await.expect("attendance");
        }
        // One session the board cancelled does not count towards places offered.
        let cancelled = session(&mut c, "L1", "2015-10-01", 30).await;
        c.update_session(pb::UpdateSessionRequest {
            id: cancelled,
            status: pb::SessionStatus::Cancelled as i32,
            ..Default::default()
        })
        .await
        .unwrap();
        // Earlier years from recorded totals.
        for (y, courses, offered, taken) in [
            ("2010-11", 60, 1400, 1300),
            ("2011-12", 70, 1600, 1450),
            ("2012-13", 80, 1900, 1750),
            ("2013-14", 95, 2200, 2050),
            ("2014-15", 110, 2500, 2300),
        ] {
            c.record_year_totals(pb::RecordYearTotalsRequest {
                totals: Some(pb::YearTotals {
                    year: period(y),
                    courses_run: courses,
                    places_offered: offered,
                    places_taken: taken,
                    ..Default::default()
                }),
                idempotency_key: format!("totals-{y}"),
            })
            .await
            .unwrap();
        }

        let s = summary(&mut c, "2015-16").await;
        let f = s.figures.as_ref().unwrap();
        assert_eq!(f.courses_run, 203, "{name}");
        assert_eq!(f.sessions_cancelled, 1, "{name}");
        assert_eq!(f.places_offered, 4988, "{name}");
        assert_eq!(f.places_taken, 4489, "{name}");
        assert_eq!(dec(&f.utilisation_percent), "90", "{name}");
        assert_eq!(f.source, pb::FiguresSource::Sessions as i32, "{name}");
        let ch = s.change.as_ref().unwrap();
        assert_eq!(ch.places_taken_change, 4489 - 2300, "{name}");
        assert_eq!(dec(&ch.courses_run_change_percent), "84.5", "{name}");
        let years: Vec<_> = s
            .series
            .iter()
            .map(|p| {
                (
                    p.year.as_ref().unwrap().code.clone(),
                    p.figures.as_ref().unwrap().places_taken,
                )
            })
            .collect();
        assert_eq!(
            years,
            [
                ("2010-11".to_string(), 1300),
                ("2011-12".into(), 1450),
                ("2012-13".into(), 1750),
                ("2013-14".into(), 2050),
                ("2014-15".into(), 2300),
                ("2015-16".into(), 4489),
            ],
            "{name}"
        );
        let wmp = s.by_agency.iter().find(|a| a.agency == "WMP").unwrap();
        assert_eq!(wmp.sector, "police");
        let total: u32 = s.by_agency.iter().map(|a| a.attended).sum();
        assert_eq!(total, 4489, "{name}");
        assert!(s.reconciliation.as_ref().unwrap().balanced, "{name}");
        srv.shutdown().await;
    }
}

/// Right Service, Right Time: 5,580 of 15,017 trained at the six-month assessment = 37%.
#[tokio::test]
async fn rsrt_reach_5580_of_15017_is_37_percent() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        c.upsert_programme(pb::UpsertProgrammeRequest {
            programme: Some(pb::Programme {
                code: "RSRT".into(),
                name: "Right Service, Right Time".into(),
                target: 15017,
                start_date: "2015-04-01".into(),
                end_date: "2016-03-31".into(),
                workforce: vec![
                    pb::AgencyWorkforce {
                        agency: "BCC-PEOPLE".into(),
                        workforce: 6000,
                    },
                    pb::AgencyWorkforce {
                        agency: "WMP".into(),
                        workforce: 1000,
                    },
                ],
            }),
        })
        .await
        .unwrap();
        course(&mut c, "RSRT-L1", "RSRT").await;
        course(&mut c, "CSE", "").await;
        // 30 WMP officers trained in a multi-agency session.
        let s = session(&mut c, "RSRT-L1", "2015-06-10", 30).await;
        let mut entries = vec![];
        for k in 0..30 {
            let d = format!("W{k}");
            book(&mut c, &s, &d, "WMP").await;
            entries.push(entry(&d, "", pb::BookingStatus::Attended));
        }
        attendance(&mut c, &s, entries).await.unwrap();
        // Delegates of a course outside the programme do not count.
        let other = session(&mut c, "CSE", "2015-06-11", 5).await;
        attendance(
            &mut c,
            &other,
            vec![entry("X1", "WMP", pb::BookingStatus::WalkIn)],
        )
        .await
        .unwrap();
        // Single-agency delivery reported by the agencies; one after the assessment date.
        c.record_programme_trained(pb::RecordProgrammeTrainedRequest {
            programme_code: "RSRT".into(),
            rows: vec![
                pb::ProgrammeTrained {
                    agency: "BCC-PEOPLE".into(),
                    date: "2015-08-31".into(),
                    trained: 3000,
                },
                pb::ProgrammeTrained {
                    agency: "BCH".into(),
                    date: "2015-09-30".into(),
                    trained: 2550,
                },
                pb::ProgrammeTrained {
                    agency: "BCH".into(),
                    date: "2016-01-15".into(),
                    trained: 900,
                },
            ],
            idempotency_key: "rsrt-1".into(),
        })
        .await
        .unwrap();
        let r = c
            .get_reach(pb::GetReachRequest {
                programme_code: "RSRT".into(),
                as_of: "2015-09-30".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.trained, 5580, "{name}");
        assert_eq!(r.target, 15017, "{name}");
        assert_eq!(dec(&r.percent), "37", "{name}");
        let bcc = r
            .by_agency
            .iter()
            .find(|a| a.agency == "BCC-PEOPLE")
            .unwrap();
        assert_eq!((bcc.trained, bcc.workforce), (3000, 6000), "{name}");
        assert_eq!(dec(&bcc.percent), "50", "{name}");
        let wmp = r.by_agency.iter().find(|a| a.agency == "WMP").unwrap();
        assert_eq!(wmp.trained, 30, "{name}");
        // At the year end the later delivery counts too; the summary carries the reach.
        let s = summary(&mut c, "2015-16").await;
        let reach = &s.reach[0];
        assert_eq!((reach.trained, dec(&reach.percent)), (6480, "43"), "{name}");
        // A submitter cannot report another agency's figures.
        let mut sub = TrainingServiceClient::new(srv.submitter("WMP").await);
        let err = sub
            .record_programme_trained(pb::RecordProgrammeTrainedRequest {
                programme_code: "RSRT".into(),
                rows: vec![pb::ProgrammeTrained {
                    agency: "BCH".into(),
                    date: "2015-09-01".into(),
                    trained: 5,
                }],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{name}");
        srv.shutdown().await;
    }
}

/// A full session puts bookings on the waiting list; a cancellation promotes the first.
#[tokio::test]
async fn waiting_list_and_cancellation_promotes_next() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        c.set_charge_policy(pb::SetChargePolicyRequest {
            policy: Some(pb::ChargePolicy {
                cancellation_window_days: 5,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
        course(&mut c, "L2", "").await;
        let s = session(&mut c, "L2", "2015-11-20", 2).await;
        let a = book(&mut c, &s, "A", "WMP").await;
        let b = book(&mut c, &s, "B", "BCH").await;
        let cc = book(&mut c, &s, "C", "WMP").await;
        let d = book(&mut c, &s, "D", "NHSE").await;
        assert_eq!(a.status, pb::BookingStatus::Booked as i32, "{name}");
        assert_eq!(b.status, pb::BookingStatus::Booked as i32);
        assert_eq!(cc.status, pb::BookingStatus::WaitingList as i32);
        assert_eq!((cc.waiting_position, d.waiting_position), (1, 2), "{name}");
        // Capacity below places taken is refused.
        let err = c
            .update_session(pb::UpdateSessionRequest {
                id: s.clone(),
                capacity: Some(1),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["capacity"], "{name}");
        // Cancelling well before the session: not late, C gets the place.
        let r = c
            .cancel_booking(pb::CancelBookingRequest {
                booking_id: a.id.clone(),
                cancelled_on: "2015-11-01".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            r.booking.unwrap().status,
            pb::BookingStatus::Cancelled as i32,
            "{name}"
        );
        let promoted = r.promoted.expect("promoted");
        assert_eq!(promoted.delegate_ref, "C", "{name}");
        assert_eq!(promoted.status, pb::BookingStatus::Booked as i32);
        // Inside the window: late, and D moves up.
        let r = c
            .cancel_booking(pb::CancelBookingRequest {
                booking_id: b.id.clone(),
                cancelled_on: "2015-11-18".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            r.booking.unwrap().status,
            pb::BookingStatus::CancelledLate as i32,
            "{name}"
        );
        assert_eq!(r.promoted.unwrap().delegate_ref, "D", "{name}");
        let sess = c
            .get_session(pb::GetSessionRequest { id: s.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (sess.places_taken, sess.waiting, sess.places_free),
            (2, 0, 0),
            "{name}"
        );
        // Cancelling twice is refused.
        let err = c
            .cancel_booking(pb::CancelBookingRequest {
                booking_id: a.id,
                cancelled_on: "2015-11-02".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["booking_id"], "{name}");
        srv.shutdown().await;
    }
}

async fn race_for_last_place(name: &str, srv: TestServer) {
    let mut c = TrainingServiceClient::new(srv.admin().await);
    course(&mut c, "L1", "").await;
    let s = session(&mut c, "L1", "2015-07-01", 3).await;
    book(&mut c, &s, "A", "WMP").await;
    book(&mut c, &s, "B", "WMP").await;
    let mut tasks = vec![];
    for i in 0..12 {
        let ch = srv.admin().await;
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = TrainingServiceClient::new(ch);
            book(&mut c, &s, &format!("R{i}"), "BCH").await
        }));
    }
    let mut booked = 0;
    let mut positions = vec![];
    for t in tasks {
        let b = t.await.unwrap();
        if b.status == pb::BookingStatus::Booked as i32 {
            booked += 1;
        } else {
            assert_eq!(b.status, pb::BookingStatus::WaitingList as i32);
            positions.push(b.waiting_position);
        }
    }
    assert_eq!(booked, 1, "{name}: exactly one wins the last place");
    positions.sort();
    assert_eq!(positions, (1..=11).collect::<Vec<u32>>(), "{name}");
    let sess = c
        .get_session(pb::GetSessionRequest { id: s })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((sess.places_taken, sess.waiting), (3, 11), "{name}");
    srv.shutdown().await;
}

/// Concurrent bookings for the last place: exactly one wins, on a SQLite file database and
/// on PostgreSQL (row lock on the session).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_bookings_for_the_last_place() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/training.db?mode=rwc", dir.path().display());
    race_for_last_place("sqlite file", spawn(Db::connect(&url).await.unwrap()).await).await;
    if let Some(pg) = lscb_platform::testing::postgres_fresh().await {
        race_for_last_place("postgres", spawn(pg).await).await;
    }
}

/// Charges per agency with an exempt statutory agency.
#[tokio::test]
async fn charges_with_an_exempt_statutory_agency() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        c.set_charge_policy(pb::SetChargePolicyRequest {
            policy: Some(pb::ChargePolicy {
                did_not_attend_charge: Some(cpb::Money { pence: 5000 }),
                late_cancellation_charge: Some(cpb::Money { pence: 2500 }),
                cancellation_window_days: 7,
                exempt_agencies: vec!["WMP".into()],
                exempt_sectors: vec![],
                exempt_statutory: false,
            }),
        })
        .await
        .unwrap();
        course(&mut c, "L1", "").await;
        let s = session(&mut c, "L1", "2015-09-10", 10).await;
        for (d, a) in [
            ("P1", "WMP"),
            ("P2", "WMP"),
            ("V1", "VCS"),
            ("V2", "VCS"),
            ("V3", "VCS"),
            ("S1", "SCH-PRIMARY"),
        ] {
            book(&mut c, &s, d, a).await;
        }
        let v3 = c
            .list_bookings(pb::ListBookingsRequest {
                session_id: s.clone(),
                agency: "VCS".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .bookings
            .into_iter()
            .find(|b| b.delegate_ref == "V3")
            .unwrap();
        c.cancel_booking(pb::CancelBookingRequest {
            booking_id: v3.id,
            cancelled_on: "2015-09-08".into(),
        })
        .await
        .unwrap();
        attendance(
            &mut c,
            &s,
            vec![
                entry("P1", "", pb::BookingStatus::DidNotAttend),
                entry("P2", "", pb::BookingStatus::DidNotAttend),
                entry("V1", "", pb::BookingStatus::DidNotAttend),
                entry("V2", "", pb::BookingStatus::Attended),
                entry("S1", "", pb::BookingStatus::PartiallyAttended),
            ],
        )
        .await
        .unwrap();
        let r = c
            .get_charges(pb::GetChargesRequest {
                period: period("2015-16"),
            })
            .await
            .unwrap()
            .into_inner();
        let rows: Vec<_> = r
            .agencies
            .iter()
            .map(|a| {
                (
                    a.agency.as_str(),
                    a.did_not_attend,
                    a.cancelled_late,
                    a.exempt,
                    a.amount.as_ref().unwrap().pence,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [("VCS", 1, 1, false, 7500), ("WMP", 2, 0, true, 0)],
            "{name}"
        );
        assert_eq!(r.total.unwrap().pence, 7500, "{name}");
        // Nothing charged in another year.
        let r = c
            .get_charges(pb::GetChargesRequest {
                period: period("2016-17"),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(r.agencies.is_empty(), "{name}");
        srv.shutdown().await;
    }
}

/// 318 registered − 20 did not attend − 29 cancelled + 35 walk-ins = 304 attended; plus
/// evaluations' knowledge uplift and satisfaction in the summary.
#[tokio::test]
async fn reconciliation_318_registered_304_attended() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        course(&mut c, "CONF", "").await;
        let s = session(&mut c, "CONF", "2015-10-15", 320).await;
        let mut ids = vec![];
        for i in 0..318 {
            let agency = if i % 2 == 0 { "BCC-PEOPLE" } else { "BCH" };
            ids.push(book(&mut c, &s, &format!("R{i}"), agency).await.id);
        }
        for id in &ids[289..] {
            c.cancel_booking(pb::CancelBookingRequest {
                booking_id: id.clone(),
                cancelled_on: "2015-09-01".into(),
            })
            .await
            .unwrap();
        }
        let mut entries = vec![];
        for i in 0..289 {
            let st = if i < 20 {
                pb::BookingStatus::DidNotAttend
            } else {
                pb::BookingStatus::Attended
            };
            entries.push(entry(&format!("R{i}"), "", st));
        }
        for i in 0..35 {
            entries.push(entry(
                &format!("W{i}"),
                "SCH-PRIMARY",
                pb::BookingStatus::WalkIn,
            ));
        }
        let r = attendance(&mut c, &s, entries).await.unwrap();
        assert_eq!((r.attended, r.did_not_attend, r.walk_ins), (269, 20, 35));
        c.record_evaluations(pb::RecordEvaluationsRequest {
            session_id: s.clone(),
            evaluations: vec![
                pb::Evaluation {
                    delegate_ref: "R20".into(),
                    confidence_before: 2,
                    confidence_after: 3,
                    satisfaction: 5,
                },
                pb::Evaluation {
                    delegate_ref: "W0".into(),
                    confidence_before: 4,
                    confidence_after: 4,
                    satisfaction: 4,
                },
            ],
            idempotency_key: "eval-1".into(),
        })
        .await
        .unwrap();
        let sum = summary(&mut c, "2015-16").await;
        let rec = sum.reconciliation.unwrap();
        assert_eq!(
            (
                rec.registered,
                rec.did_not_attend,
                rec.cancelled,
                rec.walk_ins,
                rec.expected_attended,
                rec.attended
            ),
            (318, 20, 29, 35, 304, 304),
            "{name}"
        );
        assert!(rec.balanced, "{name}: {}", rec.explanation);
        let f = sum.figures.unwrap();
        assert_eq!(f.places_taken, 304);
        // 20 / (318 - 29) = 6.9%
        assert_eq!(dec(&f.did_not_attend_rate_percent), "6.9", "{name}");
        let ev = sum.evaluation.unwrap();
        assert_eq!(ev.evaluations, 2);
        assert_eq!(dec(&ev.knowledge_uplift_percent), "25", "{name}");
        assert_eq!(dec(&ev.mean_satisfaction), "4.5", "{name}");
        let sectors: Vec<_> = sum
            .by_sector
            .iter()
            .map(|s| (s.sector.as_str(), s.attended))
            .collect();
        assert_eq!(
            sectors,
            [("education", 35), ("health", 134), ("local_authority", 135)],
            "{name}"
        );
        srv.shutdown().await;
    }
}

/// Bad input is INVALID_ARGUMENT naming every field, and nothing is stored.
#[tokio::test]
async fn rejection_names_every_bad_field_and_stores_nothing() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        course(&mut c, "L1", "").await;
        let err = c
            .create_session(pb::CreateSessionRequest {
                course_code: "NOPE".into(),
                date: "2015-13-01".into(),
                venue: String::new(),
                online: false,
                capacity: 0,
                trainers: vec!["has space".into()],
            })
            .await
            .unwrap_err();
        assert_eq!(
            fields(&err),
            ["date", "capacity", "venue", "trainers[0]", "course_code"],
            "{name}"
        );
        let s = session(&mut c, "L1", "2015-05-05", 10).await;
        book(&mut c, &s, "A", "WMP").await;
        // One bad entry: nothing of the batch is stored.
        let err = attendance(
            &mut c,
            &s,
            vec![
                entry("A", "", pb::BookingStatus::Attended),
                entry("NOBOOK", "", pb::BookingStatus::Attended),
                entry("W", "NOT-AN-AGENCY", pb::BookingStatus::WalkIn),
                entry("Z", "WMP", pb::BookingStatus::Booked),
            ],
        )
        .await
        .unwrap_err();
        assert_eq!(
            fields(&err),
            [
                "entries[1].delegate_ref",
                "entries[2].agency",
                "entries[3].status"
            ],
            "{name}"
        );
        let b = c
            .list_bookings(pb::ListBookingsRequest {
                session_id: s.clone(),
                agency: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .bookings;
        assert_eq!(b.len(), 1, "{name}");
        assert_eq!(b[0].status, pb::BookingStatus::Booked as i32, "{name}");
        // Evaluations before delivery and scores outside 1-5.
        attendance(
            &mut c,
            &s,
            vec![entry("A", "", pb::BookingStatus::Attended)],
        )
        .await
        .unwrap();
        let err = c
            .record_evaluations(pb::RecordEvaluationsRequest {
                session_id: s.clone(),
                evaluations: vec![pb::Evaluation {
                    delegate_ref: "A".into(),
                    confidence_before: 0,
                    confidence_after: 6,
                    satisfaction: 3,
                }],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            fields(&err),
            [
                "evaluations[0].confidence_before",
                "evaluations[0].confidence_after"
            ],
            "{name}"
        );
        // Attendance for a session the board cancelled.
        let s2 = session(&mut c, "L1", "2015-05-06", 10).await;
        c.update_session(pb::UpdateSessionRequest {
            id: s2.clone(),
            status: pb::SessionStatus::Cancelled as i32,
            ..Default::default()
        })
        .await
        .unwrap();
        let err = attendance(
            &mut c,
            &s2,
            vec![entry("W1", "WMP", pb::BookingStatus::WalkIn)],
        )
        .await
        .unwrap_err();
        assert_eq!(fields(&err), ["session_id"], "{name}");
        let sum = summary(&mut c, "2015-16").await;
        assert_eq!(sum.figures.unwrap().places_taken, 1, "{name}");
        assert_eq!(sum.evaluation.unwrap().evaluations, 0, "{name}");
        srv.shutdown().await;
    }
}

/// A submitter books and records only for its own agency; readers only read.
#[tokio::test]
async fn submitter_only_for_its_own_agency() {
    for (name, srv) in servers().await {
        let mut admin = TrainingServiceClient::new(srv.admin().await);
        course(&mut admin, "L1", "").await;
        let s = session(&mut admin, "L1", "2015-05-05", 10).await;
        let mut sub = TrainingServiceClient::new(srv.submitter("WMP").await);
        let own = book(&mut sub, &s, "P1", "WMP").await;
        assert_eq!(own.agency, "WMP");
        let err = sub
            .book_place(pb::BookPlaceRequest {
                session_id: s.clone(),
                delegate_ref: "H1".into(),
                agency: "BCH".into(),
                role: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{name}");
        let h = book(&mut admin, &s, "H2", "BCH").await;
        let err = sub
            .cancel_booking(pb::CancelBookingRequest {
                booking_id: h.id,
                cancelled_on: "2015-04-01".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{name}");
        let err = attendance(
            &mut sub,
            &s,
            vec![entry("H2", "", pb::BookingStatus::Attended)],
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{name}");
        let r = attendance(
            &mut sub,
            &s,
            vec![entry("P1", "", pb::BookingStatus::Attended)],
        )
        .await
        .unwrap();
        assert_eq!(r.attended, 1, "{name}");
        let mut reader = TrainingServiceClient::new(srv.reader().await);
        let err = reader
            .book_place(pb::BookPlaceRequest {
                session_id: s.clone(),
                delegate_ref: "Q".into(),
                agency: "WMP".into(),
                role: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{name}");
        let err = sub
            .create_session(pb::CreateSessionRequest {
                course_code: "L1".into(),
                date: "2015-06-01".into(),
                venue: "x".into(),
                online: false,
                capacity: 5,
                trainers: vec![],
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{name}");
        srv.shutdown().await;
    }
}

/// Nobody sees or touches another partnership's training.
#[tokio::test]
async fn partnerships_are_isolated() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        course(&mut c, "L1", "").await;
        let s = session(&mut c, "L1", "2015-05-05", 10).await;
        let other_token = srv.token_for("other", Role::Admin, None);
        let mut o = TrainingServiceClient::new(srv.channel(Some(other_token)).await);
        let err = o
            .get_session(pb::GetSessionRequest { id: s.clone() })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{name}");
        let err = o
            .book_place(pb::BookPlaceRequest {
                session_id: s.clone(),
                delegate_ref: "X".into(),
                agency: "OPOL".into(),
                role: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{name}");
        let courses = o
            .list_courses(pb::ListCoursesRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert!(courses.courses.is_empty(), "{name}");
        // The same course code is free in the other partnership.
        course(&mut o, "L1", "").await;
        let err = o
            .create_session(pb::CreateSessionRequest {
                course_code: "L1".into(),
                date: "2015-06-01".into(),
                venue: "x".into(),
                online: false,
                capacity: 5,
                trainers: vec![],
            })
            .await
            .map(|_| ());
        assert!(err.is_ok(), "{name}");
        let sum = summary(&mut c, "2015-16").await;
        assert_eq!(sum.figures.unwrap().sessions_cancelled, 0, "{name}");
        let unauth = TrainingServiceClient::new(srv.channel(None).await)
            .list_courses(pb::ListCoursesRequest::default())
            .await
            .unwrap_err();
        assert_eq!(unauth.code(), Code::Unauthenticated, "{name}");
        srv.shutdown().await;
    }
}

/// Replaying an idempotency key returns the first response; reusing it differently is
/// ALREADY_EXISTS.
#[tokio::test]
async fn attendance_replays_are_idempotent() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        course(&mut c, "L1", "").await;
        let s = session(&mut c, "L1", "2015-05-05", 10).await;
        let req = pb::RecordAttendanceRequest {
            session_id: s.clone(),
            entries: vec![entry("W1", "WMP", pb::BookingStatus::WalkIn)],
            idempotency_key: "k1".into(),
        };
        let first = c.record_attendance(req.clone()).await.unwrap().into_inner();
        let again = c.record_attendance(req.clone()).await.unwrap().into_inner();
        assert_eq!(first, again, "{name}");
        let mut other = req;
        other.entries[0].delegate_ref = "W2".into();
        let err = c.record_attendance(other).await.unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists, "{name}");
        let b = c
            .list_bookings(pb::ListBookingsRequest {
                session_id: s,
                agency: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .bookings;
        assert_eq!(b.len(), 1, "{name}");
        srv.shutdown().await;
    }
}

/// Raising the capacity promotes waiting delegates; a delivered session with bookings whose
/// attendance was never recorded does not reconcile, and the summary says so; date ranges
/// and recorded totals that contradict themselves.
#[tokio::test]
async fn capacity_promotion_ranges_and_unbalanced_figures() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        course(&mut c, "L1", "").await;
        let s = session(&mut c, "L1", "2015-05-20", 1).await;
        book(&mut c, &s, "A", "WMP").await;
        let b = book(&mut c, &s, "B", "BCH").await;
        assert_eq!(b.status, pb::BookingStatus::WaitingList as i32, "{name}");
        let upd = c
            .update_session(pb::UpdateSessionRequest {
                id: s.clone(),
                capacity: Some(3),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (upd.places_taken, upd.waiting, upd.places_free),
            (2, 0, 1),
            "{name}"
        );
        // Only A's attendance is recorded: B stays booked in a delivered session.
        attendance(
            &mut c,
            &s,
            vec![entry("A", "", pb::BookingStatus::Attended)],
        )
        .await
        .unwrap();
        // A session in the second quarter, outside the range asked for below.
        let later = session(&mut c, "L1", "2015-08-01", 5).await;
        attendance(
            &mut c,
            &later,
            vec![entry("W1", "WMP", pb::BookingStatus::WalkIn)],
        )
        .await
        .unwrap();
        let r = c
            .get_training_summary(pb::GetTrainingSummaryRequest {
                from: "2015-04-01".into(),
                to: "2015-06-30".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let f = r.figures.unwrap();
        assert_eq!(
            (f.courses_run, f.places_offered, f.places_taken),
            (1, 3, 1),
            "{name}"
        );
        assert!(r.change.is_none(), "{name}");
        let rec = r.reconciliation.unwrap();
        assert!(!rec.balanced, "{name}");
        assert_eq!(
            (rec.registered, rec.expected_attended, rec.attended),
            (2, 2, 1)
        );
        assert!(
            rec.explanation.contains("do not add up"),
            "{}",
            rec.explanation
        );
        // The whole year: both sessions.
        let y = summary(&mut c, "2015-16").await.figures.unwrap();
        assert_eq!((y.courses_run, y.places_taken), (2, 2), "{name}");
        // to before from is refused.
        let err = c
            .get_training_summary(pb::GetTrainingSummaryRequest {
                from: "2015-06-30".into(),
                to: "2015-04-01".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["to"], "{name}");
        // Recorded totals that contradict themselves are reported, not repeated.
        c.record_year_totals(pb::RecordYearTotalsRequest {
            totals: Some(pb::YearTotals {
                year: period("2012-13"),
                courses_run: 10,
                places_offered: 200,
                places_taken: 150,
                registered: 170,
                did_not_attend: 10,
                cancelled: 5,
                walk_ins: 0,
                ..Default::default()
            }),
            idempotency_key: String::new(),
        })
        .await
        .unwrap();
        let old = summary(&mut c, "2012-13").await;
        let rec = old.reconciliation.unwrap();
        assert_eq!(
            (rec.expected_attended, rec.attended, rec.balanced),
            (155, 150, false)
        );
        assert_eq!(
            old.figures.unwrap().source,
            pb::FiguresSource::RecordedTotals as i32,
            "{name}"
        );
        let err = c
            .record_year_totals(pb::RecordYearTotalsRequest {
                totals: Some(pb::YearTotals {
                    year: period("2012-13-Q1"),
                    places_offered: 10,
                    places_taken: 20,
                    ..Default::default()
                }),
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            fields(&err),
            ["totals.year", "totals.places_taken"],
            "{name}"
        );
        srv.shutdown().await;
    }
}
