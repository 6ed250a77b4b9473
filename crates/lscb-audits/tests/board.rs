//! The board's own record through gRPC (`BoardService`), on SQLite and (with
//! LSCB_TEST_PG_URL) PostgreSQL: the business plan rolled up per priority from its actions'
//! progress, the governance register's computed counts, and the child death review figures;
//! bad input refused naming the field with nothing stored, replays answered once, writes
//! admin-only.

use lscb_audits::qa::actions::{NewAction, insert_action};
use lscb_audits::{migrate, serve};
use lscb_platform::testing::{AuthChannel, TestServer, databases};
use lscb_proto::audits::v1 as pb;
use lscb_proto::audits::v1::{
    action_service_client::ActionServiceClient, board_service_client::BoardServiceClient,
    governance_service_client::GovernanceServiceClient,
};
use lscb_proto::common::v1 as cpb;
use prost::Message;
use tonic::Code;

type Board = BoardServiceClient<AuthChannel>;

fn period(code: &str) -> Option<cpb::Period> {
    Some(cpb::Period { code: code.into() })
}

fn dec(d: &Option<cpb::Decimal>) -> String {
    d.as_ref().map(|d| d.value.clone()).unwrap_or_default()
}

// google.rpc.Status / BadRequest, decoded by hand to read the violated fields.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<prost_types::Any>,
}

#[derive(Clone, PartialEq, Message)]
struct BadRequest {
    #[prost(message, repeated, tag = "1")]
    field_violations: Vec<FieldViolation>,
}

#[derive(Clone, PartialEq, Message)]
struct FieldViolation {
    #[prost(string, tag = "1")]
    field: String,
    #[prost(string, tag = "2")]
    description: String,
}

/// The fields an INVALID_ARGUMENT status names, in order.
fn fields(s: &tonic::Status) -> Vec<String> {
    assert_eq!(s.code(), Code::InvalidArgument, "{s:?}");
    let st = RpcStatus::decode(s.details()).expect("status details");
    st.details
        .iter()
        .filter(|a| a.type_url.ends_with("google.rpc.BadRequest"))
        .flat_map(|a| {
            BadRequest::decode(a.value.as_slice())
                .expect("bad request")
                .field_violations
        })
        .map(|f| f.field)
        .collect()
}

async fn servers() -> Vec<(&'static str, TestServer)> {
    let mut out = vec![];
    for (name, db) in databases().await {
        migrate(&db).await.expect("migrate");
        out.push((name, TestServer::spawn(db, serve).await));
    }
    out
}

async fn action(srv: &TestServer, description: &str, due: &str) -> String {
    let txn = srv.ctx.db.begin_write().await.unwrap();
    let id = insert_action(
        &*txn,
        "bscb",
        NewAction {
            source_kind: "audit".into(),
            source_id: "1".into(),
            recommendation: "r".into(),
            description: description.into(),
            owner_agency: "WMP".into(),
            due_date: due.parse().unwrap(),
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    id.to_string()
}

fn objective(code: &str, ids: &[&String]) -> pb::PlanObjective {
    pb::PlanObjective {
        code: code.into(),
        title: format!("Objective {code}"),
        action_ids: ids.iter().map(|s| s.to_string()).collect(),
    }
}

fn priority(code: &str, objectives: Vec<pb::PlanObjective>) -> pb::PlanPriority {
    pb::PlanPriority {
        code: code.into(),
        title: format!("Priority {code}"),
        objectives,
    }
}

async fn progress(b: &mut Board) -> Result<pb::BusinessPlanProgress, tonic::Status> {
    b.get_business_plan_progress(pb::GetBusinessPlanProgressRequest {
        year: period("2015-16"),
        as_of: String::new(),
    })
    .await
    .map(|r| r.into_inner())
}

#[tokio::test]
async fn the_business_plan_rolls_its_actions_up_per_priority() {
    for (name, srv) in servers().await {
        let mut b = BoardServiceClient::new(srv.admin().await);
        let a1 = action(&srv, "done", "2016-01-31").await;
        let a2 = action(&srv, "late", "2016-02-29").await;
        let a3 = action(&srv, "not yet due", "2016-06-30").await;
        let a4 = action(&srv, "due at the year end", "2016-03-31").await;
        let _unplanned = action(&srv, "in no objective", "2016-06-30").await;
        ActionServiceClient::new(srv.admin().await)
            .update_action(pb::UpdateActionRequest {
                id: a1.clone(),
                status: pb::ActionStatus::Completed as i32,
                completion_evidence: "minutes".into(),
                completed_date: "2016-01-20".into(),
                due_date: String::new(),
            })
            .await
            .expect("complete");
        assert_eq!(
            progress(&mut b).await.unwrap_err().code(),
            Code::NotFound,
            "{name}"
        );

        let req = pb::PutBusinessPlanRequest {
            year: period("2015-16"),
            priorities: vec![
                priority(
                    "VOC",
                    vec![objective("VOC-1", &[&a1, &a2]), objective("VOC-2", &[])],
                ),
                priority("EH", vec![objective("EH-1", &[&a3, &a4])]),
            ],
            idempotency_key: "plan-1".into(),
        };
        // A reader may not write the board's record.
        let e = BoardServiceClient::new(srv.reader().await)
            .put_business_plan(req.clone())
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied, "{name}");
        // Bad input names every field and stores nothing.
        let mut bad = req.clone();
        bad.idempotency_key = "plan-bad".into();
        bad.year = period("2015-Q1");
        bad.priorities[0].objectives[1].action_ids = vec![a2.clone(), "x".into(), "987654".into()];
        bad.priorities[1].code = "VOC".into();
        let e = b.put_business_plan(bad).await.unwrap_err();
        assert_eq!(
            fields(&e),
            [
                "year",
                "priorities[0].objectives[1].action_ids[0]",
                "priorities[0].objectives[1].action_ids[1]",
                "priorities[1].code",
            ],
            "{name}"
        );
        let mut unknown = req.clone();
        unknown.idempotency_key = "plan-unknown".into();
        unknown.priorities[0].objectives[1].action_ids = vec!["987654".into()];
        let e = b.put_business_plan(unknown).await.unwrap_err();
        assert_eq!(
            fields(&e),
            ["priorities[0].objectives[1].action_ids[0]"],
            "{name}"
        );
        assert_eq!(
            progress(&mut b).await.unwrap_err().code(),
            Code::NotFound,
            "{name}"
        );

        let first = b.put_business_plan(req.clone()).await.unwrap().into_inner();
        assert_eq!(
            first.priorities[1].objectives[0].action_ids,
            [a3.clone(), a4.clone()]
        );
        // A replay answers the same; the key with another request is refused.
        let again = b.put_business_plan(req.clone()).await.unwrap().into_inner();
        assert_eq!(again, first, "{name}");
        let mut other = req.clone();
        other.priorities.pop();
        let e = b.put_business_plan(other).await.unwrap_err();
        assert_eq!(e.code(), Code::AlreadyExists, "{name}");

        let p = progress(&mut b).await.unwrap();
        assert_eq!(p.as_of, "2016-03-31", "{name}");
        assert_eq!(p.unplanned_actions, 1, "{name}");
        let voc = p.priorities[0].progress.clone().unwrap();
        // One completed (green), one overdue (red): half overdue is red.
        assert_eq!(
            (voc.actions, voc.green, voc.amber, voc.red),
            (2, 1, 0, 1),
            "{name}"
        );
        assert_eq!(dec(&voc.completed_percent), "50", "{name}");
        assert_eq!(voc.rating, pb::PlanRag::Red as i32, "{name}");
        let empty = p.priorities[0].objectives[1].progress.clone().unwrap();
        assert_eq!(
            (empty.actions, empty.rating),
            (0, pb::PlanRag::Unspecified as i32)
        );
        let eh = p.priorities[1].progress.clone().unwrap();
        // Not yet due, and due on the last day of the year: both amber.
        assert_eq!((eh.green, eh.amber, eh.red), (0, 2, 0), "{name}");
        assert_eq!(eh.rating, pb::PlanRag::Amber as i32, "{name}");
        let all = p.overall.unwrap();
        assert_eq!(
            (all.actions, all.green, dec(&all.completed_percent).as_str()),
            (4, 1, "25")
        );
    }
}

fn seat(body: &str, agency: &str, gender: pb::Gender) -> pb::RegisterSeat {
    pb::RegisterSeat {
        body_code: body.into(),
        agency: agency.into(),
        role: "Member".into(),
        lay_member: agency == "LAY",
        gender: gender as i32,
        chair: false,
    }
}

#[tokio::test]
async fn the_governance_register_counts_its_seats() {
    for (name, srv) in servers().await {
        let mut g = GovernanceServiceClient::new(srv.admin().await);
        for (code, kind, position) in [
            ("BOARD", pb::GovernanceBodyKind::Board, 1),
            ("CDOP", pb::GovernanceBodyKind::SubGroup, 3),
        ] {
            g.put_governance_body(pb::PutGovernanceBodyRequest {
                body: Some(pb::GovernanceBody {
                    code: code.into(),
                    name: format!("The {code}"),
                    kind: kind as i32,
                    position,
                    members: vec![],
                }),
            })
            .await
            .expect("body");
        }
        let mut b = BoardServiceClient::new(srv.admin().await);
        let body = |code: &str, forum: bool| pb::RegisterBody {
            body_code: code.into(),
            name: if forum {
                "Practitioners Forum".into()
            } else {
                String::new()
            },
            forum,
            chaired_by: if code == "CDOP" {
                "Public Health".into()
            } else {
                String::new()
            },
            work: vec![format!("{code} work")],
        };
        let mut seats = vec![];
        // Board: 11 women, 9 men (2 of them lay members), 1 not recorded.
        for i in 0..21 {
            let gender = match i {
                0..=10 => pb::Gender::Female,
                11..=19 => pb::Gender::Male,
                _ => pb::Gender::NotRecorded,
            };
            let agency = match i {
                18 | 19 => "LAY",
                i if i % 2 == 0 => "WMP",
                _ => "BCC-PEOPLE",
            };
            seats.push(seat("BOARD", agency, gender));
        }
        let mut chair = seat("CDOP", "PH", pb::Gender::Female);
        chair.chair = true;
        chair.role = "Director of Public Health".into();
        seats.push(chair);
        for _ in 0..3 {
            seats.push(seat("PF", "WMP", pb::Gender::NotRecorded));
        }
        let req = pb::PutGovernanceRegisterRequest {
            year: period("2015-16"),
            // Given out of order: the answer lists bodies in their position order.
            bodies: vec![body("PF", true), body("CDOP", false), body("BOARD", false)],
            seats,
            idempotency_key: "reg-1".into(),
        };
        let mut bad = req.clone();
        bad.idempotency_key = "reg-bad".into();
        bad.bodies.push(body("NOPE", false));
        bad.bodies[0].name.clear();
        bad.seats[0].agency = "NOT-AN-AGENCY".into();
        bad.seats[1].gender = pb::Gender::Unspecified as i32;
        bad.seats[2].body_code = "ELSEWHERE".into();
        bad.seats[3].chair = true;
        bad.seats[4].chair = true;
        let e = b.put_governance_register(bad).await.unwrap_err();
        assert_eq!(
            fields(&e),
            [
                "bodies[0].name",
                "bodies[3].body_code",
                "seats[0].agency",
                "seats[1].gender",
                "seats[2].body_code",
                "seats[4].chair",
            ],
            "{name}"
        );
        let get = async |b: &mut Board| {
            b.get_governance_register(pb::GetGovernanceRegisterRequest {
                year: period("2015-16"),
            })
            .await
            .map(|r| r.into_inner())
        };
        assert_eq!(
            get(&mut b).await.unwrap_err().code(),
            Code::NotFound,
            "{name}"
        );
        let e = BoardServiceClient::new(srv.submitter("WMP").await)
            .put_governance_register(req.clone())
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied, "{name}");

        let first = b
            .put_governance_register(req.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            b.put_governance_register(req.clone())
                .await
                .unwrap()
                .into_inner(),
            first
        );
        let s = get(&mut b).await.unwrap();
        let codes: Vec<&str> = s.bodies.iter().map(|x| x.body_code.as_str()).collect();
        assert_eq!(codes, ["BOARD", "CDOP", "PF"], "{name}");
        let board = &s.bodies[0];
        assert_eq!(
            (board.name.as_str(), board.kind.as_str()),
            ("The BOARD", "board")
        );
        assert_eq!(
            // The two lay members' seats are no agency's.
            (board.seats, board.agencies, board.lay_members),
            (21, 2, 2),
            "{name}"
        );
        assert_eq!(
            (board.female, board.male, board.gender_not_recorded),
            (11, 9, 1)
        );
        assert_eq!(dec(&board.female_percent), "55", "{name}");
        assert_eq!(dec(&board.male_percent), "45", "{name}");
        let cdop = &s.bodies[1];
        assert_eq!(
            (
                cdop.chaired_by.as_str(),
                cdop.chair_agency.as_str(),
                cdop.chair_role.as_str()
            ),
            ("Public Health", "PH", "Director of Public Health"),
            "{name}"
        );
        assert_eq!(cdop.work, ["CDOP work"], "{name}");
        let pf = &s.bodies[2];
        assert_eq!(
            (pf.name.as_str(), pf.kind.as_str(), pf.seats),
            ("Practitioners Forum", "forum", 3)
        );
        assert_eq!(dec(&pf.female_percent), "", "no gender recorded: no share");
    }
}

#[tokio::test]
async fn child_death_reviews_are_aggregate_figures_summed_from_their_categories() {
    for (name, srv) in servers().await {
        let mut b = BoardServiceClient::new(srv.admin().await);
        let cat = |code: &str, count: u32| pb::CategoryCount {
            code: code.into(),
            label: code.replace('_', " "),
            count,
        };
        let req = pb::RecordChildDeathReviewsRequest {
            year: period("2015-16"),
            deaths_from: "2014-04-01".into(),
            deaths_to: "2015-03-31".into(),
            by_category: vec![
                cat("perinatal_neonatal", 60),
                cat("congenital", 40),
                cat("other", 65),
            ],
            with_modifiable_factors: 33,
            modifiable_factors: vec![cat("smoking", 12), cat("sleeping", 9)],
            themes: vec!["Infant mortality".into()],
            actions: vec!["Safer sleeping campaign".into()],
            idempotency_key: "cdop-1".into(),
        };
        let mut bad = req.clone();
        bad.idempotency_key = "cdop-bad".into();
        bad.deaths_to = "2014-03-31".into();
        bad.with_modifiable_factors = 200;
        bad.by_category[1].code = "perinatal_neonatal".into();
        bad.themes.push("  ".into());
        let e = b.record_child_death_reviews(bad).await.unwrap_err();
        assert_eq!(
            fields(&e),
            [
                "deaths_to",
                "by_category[1].code",
                "with_modifiable_factors",
                "themes[1]"
            ],
            "{name}"
        );
        let mut bad = req.clone();
        bad.idempotency_key = "cdop-bad-2".into();
        bad.modifiable_factors[1].count = 34;
        let e = b.record_child_death_reviews(bad).await.unwrap_err();
        assert_eq!(fields(&e), ["modifiable_factors[1].count"], "{name}");
        let get = async |b: &mut Board| {
            b.get_child_death_reviews(pb::GetChildDeathReviewsRequest {
                year: period("2015-16"),
            })
            .await
            .map(|r| r.into_inner())
        };
        assert_eq!(
            get(&mut b).await.unwrap_err().code(),
            Code::NotFound,
            "{name}"
        );

        let first = b
            .record_child_death_reviews(req.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(first.reviewed, 165, "{name}");
        assert_eq!(dec(&first.modifiable_percent), "20", "{name}");
        assert_eq!(
            b.record_child_death_reviews(req.clone())
                .await
                .unwrap()
                .into_inner(),
            first
        );
        let mut other = req.clone();
        other.with_modifiable_factors = 30;
        assert_eq!(
            b.record_child_death_reviews(other)
                .await
                .unwrap_err()
                .code(),
            Code::AlreadyExists,
            "{name}"
        );
        let got = get(&mut b).await.unwrap();
        assert_eq!(got, first, "{name}");
        // A reader reads it.
        let r = BoardServiceClient::new(srv.reader().await)
            .get_child_death_reviews(pb::GetChildDeathReviewsRequest {
                year: period("2015-16"),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.reviewed, 165, "{name}");
    }
}
