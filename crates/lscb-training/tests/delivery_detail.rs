//! `GetTrainingSummary`'s delivery detail through gRPC, on SQLite and (with
//! `LSCB_TEST_PG_URL`) PostgreSQL: training days from course lengths, delegates per
//! delivered session, cancelled sessions, the share of registered delegates trained and each
//! programme's courses and trainer pool.

use lscb_platform::testing::AuthChannel;
use lscb_proto::common::v1 as cpb;
use lscb_proto::training::v1 as pb;
use lscb_proto::training::v1::training_service_client::TrainingServiceClient;

mod common;
use common::{fields, period, servers};

type Client = TrainingServiceClient<AuthChannel>;

async fn course(c: &mut Client, code: &str, days: &str, programme: &str) {
    c.upsert_course(pb::UpsertCourseRequest {
        course: Some(pb::Course {
            code: code.into(),
            title: format!("Course {code}"),
            level: pb::CourseLevel::CourseLevel1 as i32,
            topics: vec!["child_protection".into()],
            multi_agency: true,
            length_days: Some(cpb::Decimal { value: days.into() }),
            programme_code: programme.into(),
        }),
    })
    .await
    .expect("course");
}

async fn session(c: &mut Client, course: &str, date: &str) -> String {
    c.create_session(pb::CreateSessionRequest {
        course_code: course.into(),
        date: date.into(),
        venue: "Council House".into(),
        online: false,
        capacity: 20,
        trainers: vec![],
    })
    .await
    .expect("session")
    .into_inner()
    .id
}

async fn book(c: &mut Client, session: &str, delegate: &str) -> String {
    c.book_place(pb::BookPlaceRequest {
        session_id: session.into(),
        delegate_ref: delegate.into(),
        agency: "WMP".into(),
        role: "officer".into(),
    })
    .await
    .expect("book")
    .into_inner()
    .booking
    .expect("booking")
    .id
}

fn entry(delegate: &str, status: pb::BookingStatus) -> pb::AttendanceEntry {
    pb::AttendanceEntry {
        delegate_ref: delegate.into(),
        agency: "WMP".into(),
        role: String::new(),
        status: status as i32,
    }
}

fn dec(d: &Option<cpb::Decimal>) -> &str {
    d.as_ref().map(|d| d.value.as_str()).unwrap_or("")
}

#[tokio::test]
async fn days_delegates_cancellations_share_trained_and_trainer_pool() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        c.upsert_programme(pb::UpsertProgrammeRequest {
            programme: Some(pb::Programme {
                code: "RSRT".into(),
                name: "Right Service, Right Time".into(),
                target: 100,
                start_date: "2015-04-01".into(),
                end_date: "2016-03-31".into(),
                workforce: vec![],
            }),
        })
        .await
        .expect("programme");
        course(&mut c, "RSRT-MA", "0.5", "RSRT").await;
        course(&mut c, "CP-L2", "1", "").await;

        // Three delivered sessions: two half-day RSRT ones, one full day.
        let mut delegate = 0;
        for (code, date) in [
            ("RSRT-MA", "2015-05-01"),
            ("RSRT-MA", "2015-06-01"),
            ("CP-L2", "2015-07-01"),
        ] {
            let s = session(&mut c, code, date).await;
            let mut entries = vec![];
            // 6 booked: 4 attend, 1 does not, 1 cancels; and 1 walk-in.
            for k in 0..6 {
                delegate += 1;
                let d = format!("D{delegate}");
                let id = book(&mut c, &s, &d).await;
                match k {
                    0..=3 => entries.push(entry(&d, pb::BookingStatus::Attended)),
                    4 => entries.push(entry(&d, pb::BookingStatus::DidNotAttend)),
                    _ => {
                        c.cancel_booking(pb::CancelBookingRequest {
                            booking_id: id,
                            cancelled_on: "2015-04-20".into(),
                        })
                        .await
                        .expect("cancel");
                    }
                }
            }
            delegate += 1;
            entries.push(entry(&format!("D{delegate}"), pb::BookingStatus::WalkIn));
            c.record_attendance(pb::RecordAttendanceRequest {
                session_id: s,
                entries,
                idempotency_key: String::new(),
            })
            .await
            .expect("attendance");
        }
        // One session the board cancelled, and one in the next year.
        let gone = session(&mut c, "CP-L2", "2015-09-01").await;
        c.update_session(pb::UpdateSessionRequest {
            id: gone,
            status: pb::SessionStatus::Cancelled as i32,
            ..Default::default()
        })
        .await
        .expect("cancel session");
        session(&mut c, "CP-L2", "2016-05-01").await;

        // Two trainers for the programme in the year, one after it.
        c.record_trainers(pb::RecordTrainersRequest {
            trainers: ["2015-04-10", "2015-05-10", "2016-04-10"]
                .iter()
                .enumerate()
                .map(|(i, on)| pb::Trainer {
                    trainer_ref: format!("T{i}"),
                    agency: "WMP".into(),
                    programme_code: "RSRT".into(),
                    accredited_on: (*on).into(),
                })
                .collect(),
            idempotency_key: String::new(),
        })
        .await
        .expect("trainers");

        let s = c
            .get_training_summary(pb::GetTrainingSummaryRequest {
                period: period("2015-16"),
                ..Default::default()
            })
            .await
            .expect("summary")
            .into_inner();
        let d = s.detail.expect("detail");
        assert_eq!(d.sessions_delivered, 3, "{name}");
        assert_eq!(d.sessions_cancelled, 1, "{name}");
        assert_eq!(dec(&d.training_days), "2", "{name}");
        assert_eq!(d.sessions_without_length, 0, "{name}");
        // 4 attended + 1 walk-in at each of three sessions.
        assert_eq!(d.delegates, 15, "{name}");
        assert_eq!(dec(&d.mean_delegates_per_session), "5", "{name}");
        assert_eq!(
            (
                d.registered,
                d.did_not_attend,
                d.cancelled,
                d.walk_ins,
                d.trained
            ),
            (18, 3, 3, 3, 15),
            "{name}"
        );
        // 15 of 18 registered: 83.3%.
        assert_eq!(dec(&d.trained_share_percent), "83.3", "{name}");
        assert_eq!(d.by_programme.len(), 1, "{name}");
        let p = &d.by_programme[0];
        assert_eq!(
            (
                p.programme_code.as_str(),
                p.name.as_str(),
                p.sessions_delivered,
                p.delegates,
                p.trainers
            ),
            ("RSRT", "Right Service, Right Time", 2, 10, 2),
            "{name}"
        );
        assert_eq!(dec(&p.training_days), "1", "{name}");

        // Without a period or dates the summary is refused, naming the field.
        let e = c
            .get_training_summary(pb::GetTrainingSummaryRequest::default())
            .await
            .expect_err("no period");
        assert_eq!(fields(&e), vec!["period".to_string()], "{name}");
    }
}
