//! End-to-end tests of part 1 of the audits service through gRPC, with the reference
//! report's cases: the ten child protection case files, the FGM audit, the front-door
//! referral programme (88 cases), the CQC, HMIC and MASH-review inspections and the
//! Serious Case Reviews; plus rejections, batch atomicity, idempotency, overdue actions,
//! roles and partnership scoping. Every test runs on SQLite and, with LSCB_TEST_PG_URL,
//! on PostgreSQL.

use lscb_audits::qa::actions::{NewAction, insert_action};
use lscb_audits::{migrate, serve};
use lscb_platform::Role;
use lscb_platform::testing::{AuthChannel, TestServer, databases};
use lscb_proto::audits::v1 as pb;
use lscb_proto::audits::v1::{
    action_service_client::ActionServiceClient, audit_service_client::AuditServiceClient,
    inspection_service_client::InspectionServiceClient,
    learning_review_service_client::LearningReviewServiceClient,
};
use lscb_proto::common::v1 as cpb;
use prost::Message;
use tonic::Code;

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
fn bad_fields(s: &tonic::Status) -> Vec<String> {
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

fn period(code: &str) -> Option<cpb::Period> {
    Some(cpb::Period { code: code.into() })
}

fn dec(d: &Option<cpb::Decimal>) -> String {
    d.as_ref().map(|d| d.value.clone()).unwrap_or_default()
}

/// One server per database (SQLite always, PostgreSQL when configured).
async fn servers() -> Vec<(&'static str, TestServer)> {
    let mut out = Vec::new();
    for (name, db) in databases().await {
        migrate(&db).await.expect("migrate");
        out.push((name, TestServer::spawn(db, serve).await));
    }
    out
}

struct Clients {
    audits: AuditServiceClient<AuthChannel>,
    inspections: InspectionServiceClient<AuthChannel>,
    reviews: LearningReviewServiceClient<AuthChannel>,
    actions: ActionServiceClient<AuthChannel>,
}

fn clients(ch: AuthChannel) -> Clients {
    Clients {
        audits: AuditServiceClient::new(ch.clone()),
        inspections: InspectionServiceClient::new(ch.clone()),
        reviews: LearningReviewServiceClient::new(ch.clone()),
        actions: ActionServiceClient::new(ch),
    }
}

fn theme(code: &str, title: &str) -> pb::Theme {
    pb::Theme {
        code: code.into(),
        title: title.into(),
    }
}

fn question(code: &str, text: &str) -> pb::Question {
    pb::Question {
        code: code.into(),
        text: text.into(),
    }
}

fn action(desc: &str, agency: &str, due: &str) -> pb::ActionInput {
    pb::ActionInput {
        description: desc.into(),
        owner_agency: agency.into(),
        due_date: due.into(),
    }
}

fn rec(text: &str, actions: Vec<pb::ActionInput>) -> pb::Recommendation {
    pb::Recommendation {
        text: text.into(),
        actions,
        ..Default::default()
    }
}

fn case(reference: &str, agencies: &[&str], grade: pb::Grade) -> pb::CaseReview {
    pb::CaseReview {
        case_reference: reference.into(),
        agencies: agencies.iter().map(|a| a.to_string()).collect(),
        overall_grade: grade as i32,
        ..Default::default()
    }
}

fn answer(q: &str, yes: bool) -> pb::Answer {
    pb::Answer {
        question: q.into(),
        answer: if yes { pb::YesNo::Yes } else { pb::YesNo::No } as i32,
    }
}

fn count_of(d: &pb::GradeDistribution, g: pb::Grade) -> (u32, String) {
    let c = d
        .grades
        .iter()
        .find(|c| c.grade == g as i32)
        .expect("grade present");
    (c.count, dec(&c.share))
}

async fn create_audit(c: &mut Clients, audit: pb::Audit) -> pb::Audit {
    c.audits
        .create_audit(pb::CreateAuditRequest {
            audit: Some(audit),
            idempotency_key: String::new(),
        })
        .await
        .expect("create audit")
        .into_inner()
}

async fn submit(c: &mut Clients, audit_id: &str, reviews: Vec<pb::CaseReview>) -> Vec<String> {
    c.audits
        .submit_case_reviews(pb::SubmitCaseReviewsRequest {
            audit_id: audit_id.into(),
            case_reviews: reviews,
            idempotency_key: String::new(),
        })
        .await
        .expect("submit case reviews")
        .into_inner()
        .case_review_ids
}

fn cp_audit() -> pb::Audit {
    pb::Audit {
        r#type: pb::AuditType::MultiAgencyCaseFile as i32,
        title: "Child protection case file audit".into(),
        strategic_priority: "Voice of the Child".into(),
        period: period("2015-16"),
        status: pb::AuditStatus::InProgress as i32,
        themes: vec![
            theme(
                "visits",
                "Visits - child's voice and needs clearly articulated",
            ),
            theme("plan", "Child protection plan - SMART actions"),
            theme(
                "supervision",
                "Supervision - decision making clearly articulated",
            ),
            theme("partners", "Partner reports and timeliness"),
        ],
        questions: vec![question(
            "voice",
            "Is the child's voice clearly articulated?",
        )],
        ..Default::default()
    }
}

#[tokio::test]
async fn ten_child_protection_case_files_seven_require_improvement() {
    for (db, server) in servers().await {
        let mut c = clients(server.admin().await);
        let audit = create_audit(&mut c, cp_audit()).await;
        assert_eq!(audit.id, "1", "{db}");
        assert_eq!(audit.case_count, 0, "{db}");
        let mut reviews = Vec::new();
        for i in 0..10 {
            let grade = if i < 7 {
                pb::Grade::RequiresImprovement
            } else if i < 9 {
                pb::Grade::Good
            } else {
                pb::Grade::Inadequate
            };
            let mut r = case(&format!("CP-{i:03}"), &["BCC-PEOPLE", "WMP"], grade);
            r.theme_grades = vec![pb::ThemeGrade {
                theme: "plan".into(),
                grade: if i < 5 {
                    pb::Grade::RequiresImprovement
                } else {
                    pb::Grade::Good
                } as i32,
            }];
            r.answers = vec![answer("voice", i >= 6)];
            if i == 8 {
                r.agencies.push("BCH".into());
                r.good_practice = vec!["Conference chair met the child before conference".into()];
            }
            reviews.push(r);
        }
        let ids = submit(&mut c, &audit.id, reviews).await;
        assert_eq!(ids.len(), 10, "{db}");

        let s = c
            .audits
            .get_audit_summary(pb::GetAuditSummaryRequest {
                audit_id: audit.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(s.case_count, 10, "{db}");
        let overall = s.overall.unwrap();
        assert_eq!(overall.graded, 10);
        assert_eq!(
            count_of(&overall, pb::Grade::RequiresImprovement),
            (7, "70.0".into()),
            "{db}"
        );
        assert_eq!(count_of(&overall, pb::Grade::Good), (2, "20.0".into()));
        assert_eq!(
            count_of(&overall, pb::Grade::Inadequate),
            (1, "10.0".into())
        );
        assert_eq!(
            count_of(&overall, pb::Grade::Outstanding),
            (0, "0.0".into())
        );
        assert_eq!(
            overall.headline,
            "7 out of 10 cases were graded requires improvement"
        );
        // per theme: only "plan" was graded
        assert_eq!(s.themes.len(), 4);
        let plan = s.themes[1].grades.clone().unwrap();
        assert_eq!(s.themes[1].theme.as_ref().unwrap().code, "plan");
        assert_eq!(
            count_of(&plan, pb::Grade::RequiresImprovement),
            (5, "50.0".into())
        );
        assert_eq!(s.themes[0].grades.as_ref().unwrap().graded, 0);
        let voice = &s.questions[0];
        assert_eq!((voice.answered, voice.yes, voice.no), (10, 4, 6));
        assert_eq!(dec(&voice.yes_rate), "40.0");
        assert!(s.previous.is_none(), "{db}: no earlier audit of the type");
        let agencies: Vec<(String, u32)> = s
            .agencies
            .iter()
            .map(|a| (a.agency.clone(), a.cases))
            .collect();
        assert_eq!(
            agencies,
            [
                ("BCC-PEOPLE".to_string(), 10),
                ("BCH".to_string(), 1),
                ("WMP".to_string(), 10)
            ]
        );

        // reads: get, list, case reviews (paged), reader allowed
        let mut r = clients(server.reader().await);
        let got = r
            .audits
            .get_audit(pb::GetAuditRequest {
                id: audit.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.case_count, 10);
        let page = r
            .audits
            .list_case_reviews(pb::ListCaseReviewsRequest {
                audit_id: audit.id.clone(),
                page: Some(cpb::PageRequest {
                    page_size: 4,
                    page_token: "8".into(),
                }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.case_reviews.len(), 2);
        assert_eq!(page.case_reviews[0].case_reference, "CP-008");
        assert_eq!(page.case_reviews[0].good_practice.len(), 1);
        assert_eq!(page.page.unwrap().total_size, 10);

        // complete it with findings; no more cases afterwards
        let done = c
            .audits
            .update_audit(pb::UpdateAuditRequest {
                id: audit.id.clone(),
                status: pb::AuditStatus::Complete as i32,
                add_findings: vec![
                    "Views of children not always clear in conference minutes".into(),
                ],
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(done.status, pb::AuditStatus::Complete as i32);
        assert_eq!(done.findings.len(), 1);
        let err = c
            .audits
            .submit_case_reviews(pb::SubmitCaseReviewsRequest {
                audit_id: audit.id.clone(),
                case_reviews: vec![case("CP-100", &["WMP"], pb::Grade::Good)],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "{db}");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn fgm_audit_voice_not_evident_in_four_of_five_and_change_against_previous() {
    for (db, server) in servers().await {
        let mut c = clients(server.admin().await);
        let fgm = |p: &str, title: &str| pb::Audit {
            r#type: pb::AuditType::Thematic as i32,
            topic: "FGM".into(),
            title: title.into(),
            strategic_priority: "Voice of the Child".into(),
            period: period(p),
            questions: vec![
                question("voice", "Is the voice of the child evident?"),
                question("ethnicity", "Is the cultural background recorded?"),
            ],
            ..Default::default()
        };
        let earlier = create_audit(&mut c, fgm("2014-15", "FGM audit 2014")).await;
        let cases: Vec<_> = (0..4)
            .map(|i| {
                let mut r = case(&format!("FGM-A{i}"), &["BCC-PEOPLE"], pb::Grade::Good);
                r.answers = vec![answer("voice", i < 2)];
                r
            })
            .collect();
        submit(&mut c, &earlier.id, cases).await;
        // an audit of another topic is not "the previous one"
        let cse = pb::Audit {
            topic: "CSE".into(),
            ..fgm("2015-16-Q1", "CSE audit")
        };
        create_audit(&mut c, cse).await;

        let audit = create_audit(&mut c, fgm("2015-16-Q4", "FGM audit March 2016")).await;
        let cases: Vec<_> = (0..5)
            .map(|i| {
                let mut r = case(
                    &format!("FGM-{i}"),
                    &["BCC-PEOPLE", "BCH"],
                    if i == 0 {
                        pb::Grade::Good
                    } else {
                        pb::Grade::RequiresImprovement
                    },
                );
                r.answers = vec![answer("voice", i == 0), answer("ethnicity", i % 2 == 0)];
                r
            })
            .collect();
        submit(&mut c, &audit.id, cases).await;
        let s = c
            .audits
            .get_audit_summary(pb::GetAuditSummaryRequest {
                audit_id: audit.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        let voice = &s.questions[0];
        assert_eq!(voice.question.as_ref().unwrap().code, "voice");
        assert_eq!((voice.answered, voice.yes, voice.no), (5, 1, 4), "{db}");
        assert_eq!(dec(&voice.yes_rate), "20.0");
        assert_eq!(dec(&s.questions[1].yes_rate), "60.0");
        let prev = s.previous.expect("compared with the 2014 FGM audit");
        assert_eq!(prev.previous_audit_id, earlier.id, "{db}");
        assert_eq!(prev.previous_period.unwrap().code, "2014-15");
        let v = &prev.questions[0];
        assert_eq!(v.question, "voice");
        assert_eq!(
            (dec(&v.previous_rate), dec(&v.current_rate), dec(&v.change)),
            ("50.0".into(), "20.0".into(), "-30.0".into())
        );
        // ethnicity was not asked before: its previous rate is empty
        assert_eq!(dec(&prev.questions[1].previous_rate), "");
        let good = prev
            .overall
            .iter()
            .find(|g| g.grade == pb::Grade::Good as i32)
            .unwrap();
        assert_eq!(dec(&good.change), "-80.0");
        server.shutdown().await;
    }
}

/// Monthly front-door audits: 8 months of 11 referrals (88 cases); inadequate referrals
/// down and good ones up, with about 40% still requiring improvement.
#[tokio::test]
async fn front_door_programme_88_cases_about_forty_percent_require_improvement() {
    let ri = [5, 5, 4, 4, 4, 5, 4, 4];
    let inadequate = [3, 3, 2, 2, 2, 1, 1, 1];
    for (db, server) in servers().await {
        let mut c = clients(server.admin().await);
        let mut ids = Vec::new();
        for m in 0..8 {
            let month = format!("2015-{:02}", m + 4);
            let a = create_audit(
                &mut c,
                pb::Audit {
                    r#type: pb::AuditType::FrontDoorReferral as i32,
                    title: format!("Front door referral audit {month}"),
                    strategic_priority: "Early Help".into(),
                    period: period(&month),
                    programme: "front-door-monthly".into(),
                    questions: vec![question(
                        "agree",
                        "Do we agree with the front door decision?",
                    )],
                    ..Default::default()
                },
            )
            .await;
            let cases: Vec<_> = (0..11)
                .map(|i| {
                    let g = if i < inadequate[m] {
                        pb::Grade::Inadequate
                    } else if i < inadequate[m] + ri[m] {
                        pb::Grade::RequiresImprovement
                    } else {
                        pb::Grade::Good
                    };
                    let mut r = case(&format!("FD-{m}-{i}"), &["WMP"], g);
                    r.answers = vec![answer("agree", i != 0)];
                    r
                })
                .collect();
            submit(&mut c, &a.id, cases).await;
            ids.push(a.id);
        }
        let t = c
            .audits
            .get_programme_trend(pb::GetProgrammeTrendRequest {
                programme: "front-door-monthly".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(t.points.len(), 8, "{db}");
        assert_eq!(t.case_count, 88, "{db}");
        let overall = t.overall.unwrap();
        assert_eq!(
            count_of(&overall, pb::Grade::RequiresImprovement),
            (35, "39.8".into()),
            "{db}"
        );
        assert_eq!(count_of(&overall, pb::Grade::Inadequate).0, 15);
        assert_eq!(t.points[0].period.as_ref().unwrap().code, "2015-04");
        assert_eq!(t.points[7].audit_id, ids[7]);
        let first = t.points[0].overall.as_ref().unwrap();
        assert_eq!(count_of(first, pb::Grade::Inadequate), (3, "27.3".into()));
        let change = |g: pb::Grade| {
            dec(&t
                .first_to_last
                .iter()
                .find(|c| c.grade == g as i32)
                .unwrap()
                .change)
        };
        assert_eq!(change(pb::Grade::Inadequate), "-18.2", "{db}");
        assert_eq!(change(pb::Grade::Good), "27.2", "{db}");
        let agree = &t.questions[0];
        assert_eq!(
            (agree.yes, agree.no, dec(&agree.yes_rate)),
            (80, 8, "90.9".into())
        );

        // the last month compares with the month before
        let s = c
            .audits
            .get_audit_summary(pb::GetAuditSummaryRequest {
                audit_id: ids[7].clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(s.previous.unwrap().previous_audit_id, ids[6], "{db}");

        // list filters: by programme and within a quarter
        let q1 = c
            .audits
            .list_audits(pb::ListAuditsRequest {
                programme: "front-door-monthly".into(),
                within: period("2015-16-Q1"),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(q1.audits.len(), 3, "{db}");
        assert!(q1.audits.iter().all(|a| a.case_count == 11));

        // pages of the year: the slice of the period order, the total over every page
        let year_page = |token: &str| pb::ListAuditsRequest {
            within: period("2015-16"),
            page: Some(cpb::PageRequest {
                page_size: 3,
                page_token: token.into(),
            }),
            ..Default::default()
        };
        let p2 = c
            .audits
            .list_audits(year_page("3"))
            .await
            .unwrap()
            .into_inner();
        let got: Vec<&str> = p2.audits.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            got,
            [ids[3].as_str(), ids[4].as_str(), ids[5].as_str()],
            "{db}"
        );
        assert!(p2.audits.iter().all(|a| a.case_count == 11));
        let pr = p2.page.unwrap();
        assert_eq!((pr.next_page_token.as_str(), pr.total_size), ("6", 8));
        let p3 = c
            .audits
            .list_audits(year_page("6"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(p3.audits.len(), 2, "{db}");
        let pr = p3.page.unwrap();
        assert_eq!((pr.next_page_token.as_str(), pr.total_size), ("", 8));
        let past = c
            .audits
            .list_audits(year_page("18446744073709551615"))
            .await
            .unwrap()
            .into_inner();
        assert!(past.audits.is_empty(), "{db}");
        assert_eq!(past.page.unwrap().total_size, 8);

        let err = c
            .audits
            .get_programme_trend(pb::GetProgrammeTrendRequest {
                programme: "nothing".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn cqc_hmic_and_mash_review_inspections() {
    for (db, server) in servers().await {
        let mut c = clients(server.admin().await);
        let create = |i: pb::Inspection| pb::CreateInspectionRequest {
            inspection: Some(i),
            idempotency_key: String::new(),
        };
        let cqc = c
            .inspections
            .create_inspection(create(pb::Inspection {
                inspectorate: pb::Inspectorate::Cqc as i32,
                agency: "ROH".into(),
                title: "CQC inspection of the Royal Orthopaedic Hospital".into(),
                inspection_date: "2015-09-29".into(),
                scope: "Children's critical care, outpatients, diagnostics and imaging".into(),
                judgement: "Requires improvement".into(),
                key_findings: vec![
                    "Safeguarding training of staff below the trust target".into(),
                    "Concerns about the care of children in the High Dependency Unit".into(),
                ],
                recommendations: vec![rec(
                    "Raise safeguarding training compliance to the trust target",
                    vec![action("Training recovery plan", "ROH", "2016-03-31")],
                )],
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(cqc.recommendations.len(), 1, "{db}");
        assert_eq!(cqc.recommendations[0].action_ids.len(), 1);
        assert!(!cqc.recommendations[0].implemented);
        let hmic = c
            .inspections
            .create_inspection(create(pb::Inspection {
                inspectorate: pb::Inspectorate::Hmic as i32,
                agency: "WMP".into(),
                title: "National Child Protection re-inspection".into(),
                inspection_date: "2015-07-13".into(),
                judgement: "Inconsistencies remain in supervision of investigations".into(),
                recommendations: vec![
                    rec(
                        "Improve supervision and record keeping",
                        vec![action("Supervision audit", "WMP", "2016-01-31")],
                    ),
                    rec(
                        "Alternative accommodation for children in custody",
                        vec![
                            action("Protocol with local authorities", "WMP", "2016-06-30"),
                            action("Accommodation sufficiency", "BCC-PEOPLE", "2016-06-30"),
                        ],
                    ),
                ],
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        let mash = c
            .inspections
            .create_inspection(create(pb::Inspection {
                inspectorate: pb::Inspectorate::Other as i32,
                inspectorate_name: "Independent review commissioned by the Board".into(),
                agency: "BCC-PEOPLE".into(),
                title: "Independent review of the MASH".into(),
                inspection_date: "2015-10-20".into(),
                key_findings: vec!["Some variability in threshold judgements".into()],
                recommendations: (1..=13)
                    .map(|n| {
                        rec(
                            &format!("MASH recommendation {n}"),
                            vec![action(
                                "Local authority response",
                                "BCC-PEOPLE",
                                "2016-05-31",
                            )],
                        )
                    })
                    .collect(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(mash.recommendations.len(), 13);

        let assured = c
            .inspections
            .record_inspection_assurance(pb::RecordInspectionAssuranceRequest {
                id: cqc.id.clone(),
                assurance_date: "2016-02-10".into(),
                note: "Trust provided evidence to the Board".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(assured.assurance_date, "2016-02-10");

        let all = c
            .inspections
            .list_inspections(pb::ListInspectionsRequest {
                within: period("2015-16"),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let order: Vec<&str> = all.inspections.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(
            order,
            [hmic.id.as_str(), cqc.id.as_str(), mash.id.as_str()],
            "{db}"
        );
        assert_eq!(all.inspections[1].assurance_date, "2016-02-10");
        let second = c
            .inspections
            .list_inspections(pb::ListInspectionsRequest {
                within: period("2015-16"),
                page: Some(cpb::PageRequest {
                    page_size: 1,
                    page_token: "1".into(),
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(second.inspections.len(), 1, "{db}");
        assert_eq!(second.inspections[0].id, cqc.id, "{db}");
        assert_eq!(second.inspections[0].recommendations.len(), 1, "{db}");
        let pr = second.page.unwrap();
        assert_eq!((pr.next_page_token.as_str(), pr.total_size), ("2", 3));
        assert_eq!(all.inspections[0].recommendations.len(), 2);
        assert_eq!(all.inspections[0].recommendations[1].actions.len(), 2);
        assert_eq!(
            all.inspections[2].inspectorate_name,
            "Independent review commissioned by the Board"
        );

        let only_hmic = c
            .inspections
            .list_inspections(pb::ListInspectionsRequest {
                inspectorate: pb::Inspectorate::Hmic as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(only_hmic.inspections.len(), 1);
        assert_eq!(only_hmic.inspections[0].agency, "WMP");

        // actions listed by source
        let acts = c
            .actions
            .list_actions(pb::ListActionsRequest {
                source_kind: pb::SourceKind::Inspection as i32,
                source_id: hmic.id.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(acts.counts.unwrap().total, 3, "{db}");

        // an inspection of an agency that is not in the directory, named "other" without a name
        let err = c
            .inspections
            .create_inspection(create(pb::Inspection {
                inspectorate: pb::Inspectorate::Other as i32,
                agency: "NOPE".into(),
                title: "x".into(),
                inspection_date: "29.09.2015".into(),
                ..Default::default()
            }))
            .await
            .unwrap_err();
        assert_eq!(
            bad_fields(&err),
            [
                "inspection.inspectorate_name",
                "inspection.inspection_date",
                "inspection.agency"
            ]
        );
        server.shutdown().await;
    }
}

#[tokio::test]
async fn two_published_and_six_ongoing_serious_case_reviews() {
    for (db, server) in servers().await {
        let mut c = clients(server.admin().await);
        let mut published = Vec::new();
        for (n, reference) in ["SCR-2015-KB", "SCR-2015-FH"].iter().enumerate() {
            let r = c
                .reviews
                .create_learning_review(pb::CreateLearningReviewRequest {
                    review: Some(pb::LearningReview {
                        r#type: pb::LearningReviewType::SeriousCaseReview as i32,
                        reference: reference.to_string(),
                        title: format!("Published serious case review {}", n + 1),
                        commissioned_date: "2014-05-01".into(),
                        status: pb::LearningReviewStatus::Published as i32,
                        publication_date: "2015-11-20".into(),
                        key_learning: vec!["Professional curiosity".into()],
                        agencies: vec!["WMP".into(), "BCC-PEOPLE".into()],
                        recommendations: vec![
                            rec(
                                "Share information on adults in the household",
                                vec![
                                    action("Information sharing protocol", "WMP", "2016-01-31"),
                                    action(
                                        "Training for social workers",
                                        "BCC-PEOPLE",
                                        "2016-03-31",
                                    ),
                                ],
                            ),
                            rec(
                                "GP involvement in child protection conferences",
                                vec![action("GP report template", "BSC-CCG", "2016-06-30")],
                            ),
                        ],
                        ..Default::default()
                    }),
                    idempotency_key: format!("scr-{n}"),
                })
                .await
                .unwrap()
                .into_inner();
            published.push(r);
        }
        for n in 0..6 {
            c.reviews
                .create_learning_review(pb::CreateLearningReviewRequest {
                    review: Some(pb::LearningReview {
                        r#type: pb::LearningReviewType::SeriousCaseReview as i32,
                        reference: format!("SCR-2016-{n:02}"),
                        title: format!("Ongoing serious case review {n}"),
                        commissioned_date: format!("2015-{:02}-01", n + 4),
                        status: pb::LearningReviewStatus::InProgress as i32,
                        ..Default::default()
                    }),
                    idempotency_key: String::new(),
                })
                .await
                .unwrap();
        }
        let list = c
            .reviews
            .list_learning_reviews(pb::ListLearningReviewsRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(list.reviews.len(), 8, "{db}");
        let counts: Vec<(i32, u32)> = list
            .status_counts
            .iter()
            .map(|s| (s.status, s.count))
            .collect();
        assert!(
            counts.contains(&(pb::LearningReviewStatus::Published as i32, 2)),
            "{db}"
        );
        assert!(counts.contains(&(pb::LearningReviewStatus::InProgress as i32, 6)));
        let pubs = c
            .reviews
            .list_learning_reviews(pb::ListLearningReviewsRequest {
                status: pb::LearningReviewStatus::Published as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(pubs.reviews.len(), 2);
        assert_eq!(pubs.reviews[0].publication_date, "2015-11-20");
        assert_eq!(pubs.reviews[0].recommendations[0].actions.len(), 2);

        // complete the first review's first recommendation (both agencies' actions), and
        // WMP's action of the second review
        let first = &published[0].recommendations[0].action_ids;
        let wmp = server
            .channel(Some(server.token(Role::Submitter, Some("WMP"))))
            .await;
        let mut w = clients(wmp);
        w.actions
            .update_action(pb::UpdateActionRequest {
                id: first[0].clone(),
                status: pb::ActionStatus::Completed as i32,
                completion_evidence: "Protocol signed off by the Board".into(),
                completed_date: "2016-01-15".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        c.actions
            .update_action(pb::UpdateActionRequest {
                id: first[1].clone(),
                status: pb::ActionStatus::Completed as i32,
                completion_evidence: "Training delivered".into(),
                completed_date: "2016-03-01".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        w.actions
            .update_action(pb::UpdateActionRequest {
                id: published[1].recommendations[0].action_ids[0].clone(),
                status: pb::ActionStatus::Completed as i32,
                completion_evidence: "Done".into(),
                completed_date: "2016-01-20".into(),
                ..Default::default()
            })
            .await
            .unwrap();

        let s = c
            .reviews
            .get_implementation_summary(pb::GetImplementationSummaryRequest {
                source_kind: pb::SourceKind::LearningReview as i32,
                as_of: "2016-04-01".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((s.recommendations, s.implemented), (4, 1), "{db}");
        assert_eq!(s.sources.len(), 2);
        assert_eq!(s.sources[0].label, "SCR-2015-KB");
        assert_eq!(
            (s.sources[0].recommendations, s.sources[0].implemented),
            (2, 1)
        );
        assert_eq!(dec(&s.sources[0].implemented_share), "50.0");
        assert_eq!(s.sources[1].implemented, 0);
        // second review: BCC-PEOPLE's training action due 2016-03-31 is overdue on 1 April
        assert_eq!(s.sources[1].actions_overdue, 1, "{db}");
        let by: Vec<(String, u32, u32, u32)> = s
            .agencies
            .iter()
            .map(|a| {
                (
                    a.agency.clone(),
                    a.recommendations,
                    a.implemented,
                    a.actions_overdue,
                )
            })
            .collect();
        assert_eq!(
            by,
            [
                ("BCC-PEOPLE".to_string(), 2, 1, 1),
                ("BSC-CCG".to_string(), 2, 0, 0),
                ("WMP".to_string(), 2, 2, 0),
            ],
            "{db}"
        );

        // status changes: publishing needs a date
        let ongoing = &list.reviews[2];
        let err = c
            .reviews
            .update_learning_review(pb::UpdateLearningReviewRequest {
                id: ongoing.id.clone(),
                status: pb::LearningReviewStatus::Published as i32,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&err), ["publication_date"]);
        let updated = c
            .reviews
            .update_learning_review(pb::UpdateLearningReviewRequest {
                id: ongoing.id.clone(),
                status: pb::LearningReviewStatus::Published as i32,
                publication_date: "2016-06-01".into(),
                add_key_learning: vec!["Think family".into()],
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(updated.publication_date, "2016-06-01");
        assert_eq!(updated.key_learning, ["Think family"]);

        // replay of an idempotent create returns the first review; a changed body conflicts
        let again = c
            .reviews
            .create_learning_review(pb::CreateLearningReviewRequest {
                review: Some(pb::LearningReview {
                    r#type: pb::LearningReviewType::SeriousCaseReview as i32,
                    reference: "SCR-2015-KB".into(),
                    title: "changed".into(),
                    commissioned_date: "2014-05-01".into(),
                    ..Default::default()
                }),
                idempotency_key: "scr-0".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(again.code(), Code::AlreadyExists, "{db}");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn rejections_name_every_bad_field() {
    for (db, server) in servers().await {
        let mut c = clients(server.admin().await);
        let err = c
            .audits
            .create_audit(pb::CreateAuditRequest {
                audit: Some(pb::Audit {
                    r#type: pb::AuditType::Thematic as i32,
                    title: " ".into(),
                    period: period("2015"),
                    themes: vec![
                        theme("voice", "Voice"),
                        theme("voice", "Again"),
                        theme("a b", "x"),
                    ],
                    questions: vec![question("q", "")],
                    recommendations: vec![rec("R", vec![action("", "NOPE", "2016-02-30")])],
                    ..Default::default()
                }),
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            bad_fields(&err),
            [
                "audit.title",
                "audit.period",
                "audit.topic",
                "audit.themes[1].code",
                "audit.themes[2].code",
                "audit.questions[0].text",
                "audit.recommendations[0].actions[0].description",
                "audit.recommendations[0].actions[0].owner_agency",
                "audit.recommendations[0].actions[0].due_date",
            ],
            "{db}"
        );
        let err = c
            .audits
            .create_audit(pb::CreateAuditRequest::default())
            .await
            .unwrap_err();
        assert!(bad_fields(&err).contains(&"audit".to_string()));

        let audit = create_audit(&mut c, cp_audit()).await;
        let mut bad = vec![
            case("John Smith", &["WMP"], pb::Grade::Good),
            case("CP-2009-03-14", &["NOPE"], pb::Grade::Unspecified),
            case("CP-3", &[], pb::Grade::Good),
            case("CP-4", &["WMP"], pb::Grade::Good),
        ];
        bad[3].theme_grades = vec![
            pb::ThemeGrade {
                theme: "nope".into(),
                grade: pb::Grade::Good as i32,
            },
            pb::ThemeGrade {
                theme: "plan".into(),
                grade: 0,
            },
        ];
        bad[3].answers = vec![
            answer("voice", true),
            answer("voice", false),
            pb::Answer {
                question: "voice".into(),
                answer: 0,
            },
        ];
        let err = c
            .audits
            .submit_case_reviews(pb::SubmitCaseReviewsRequest {
                audit_id: audit.id.clone(),
                case_reviews: bad,
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            bad_fields(&err),
            [
                "case_reviews[0].case_reference",
                "case_reviews[1].case_reference",
                "case_reviews[1].agencies[0]",
                "case_reviews[1].overall_grade",
                "case_reviews[2].agencies",
                "case_reviews[3].theme_grades[0].theme",
                "case_reviews[3].theme_grades[1].grade",
                "case_reviews[3].answers[1].question",
                "case_reviews[3].answers[2].question",
                "case_reviews[3].answers[2].answer",
            ],
            "{db}"
        );
        // ids and dates of lists and actions
        let err = c
            .actions
            .list_actions(pb::ListActionsRequest {
                owner_agency: "OPOL".into(),
                as_of: "31/03/2016".into(),
                status: 42,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&err), ["owner_agency", "status", "as_of"]);
        let err = c
            .audits
            .get_audit(pb::GetAuditRequest { id: "x".into() })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&err), ["id"]);
        let err = c
            .audits
            .get_audit(pb::GetAuditRequest { id: "999".into() })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        let err = c
            .reviews
            .create_learning_review(pb::CreateLearningReviewRequest {
                review: Some(pb::LearningReview {
                    reference: String::new(),
                    status: pb::LearningReviewStatus::Commissioned as i32,
                    publication_date: "2016-01-01".into(),
                    agencies: vec!["OPOL".into()],
                    ..Default::default()
                }),
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            bad_fields(&err),
            [
                "review.type",
                "review.reference",
                "review.publication_date",
                "review.agencies[0]",
                "review.title",
                "review.commissioned_date"
            ]
        );
        let err = c
            .actions
            .add_recommendation(pb::AddRecommendationRequest {
                source_kind: pb::SourceKind::Section11 as i32,
                source_id: "1".into(),
                recommendation: Some(rec("x", vec![])),
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&err), ["source_kind"]);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn case_review_batches_are_all_or_nothing_and_idempotent() {
    for (db, server) in servers().await {
        let mut c = clients(server.admin().await);
        let audit = create_audit(&mut c, cp_audit()).await;
        let batch = vec![
            case("B-1", &["WMP"], pb::Grade::Good),
            case("B-2", &["WMP"], pb::Grade::Good),
            case("B-3", &["WMP"], pb::Grade::Unspecified),
        ];
        let err = c
            .audits
            .submit_case_reviews(pb::SubmitCaseReviewsRequest {
                audit_id: audit.id.clone(),
                case_reviews: batch,
                idempotency_key: "k1".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&err), ["case_reviews[2].overall_grade"], "{db}");
        let stored = c
            .audits
            .list_case_reviews(pb::ListCaseReviewsRequest {
                audit_id: audit.id.clone(),
                page: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(stored.case_reviews.is_empty(), "{db}: nothing kept");

        let good = pb::SubmitCaseReviewsRequest {
            audit_id: audit.id.clone(),
            case_reviews: vec![
                case("B-1", &["WMP"], pb::Grade::Good),
                case("B-2", &["WMP"], pb::Grade::Inadequate),
            ],
            idempotency_key: "k1".into(),
        };
        let first = c
            .audits
            .submit_case_reviews(good.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(first.case_count, 2);
        let replay = c
            .audits
            .submit_case_reviews(good.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(replay, first, "{db}: replay returns the first response");
        let mut changed = good.clone();
        changed.case_reviews.pop();
        let err = c.audits.submit_case_reviews(changed).await.unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists, "{db}");

        // a reference already reviewed, and a duplicate within one batch
        let err = c
            .audits
            .submit_case_reviews(pb::SubmitCaseReviewsRequest {
                audit_id: audit.id.clone(),
                case_reviews: vec![
                    case("B-3", &["WMP"], pb::Grade::Good),
                    case("B-2", &["WMP"], pb::Grade::Good),
                    case("B-3", &["WMP"], pb::Grade::Good),
                ],
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            bad_fields(&err),
            [
                "case_reviews[1].case_reference",
                "case_reviews[2].case_reference"
            ]
        );
        let got = c
            .audits
            .get_audit(pb::GetAuditRequest {
                id: audit.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.case_count, 2, "{db}");
        server.shutdown().await;
    }
}

async fn seed_actions(server: &TestServer, c: &mut Clients) -> (String, Vec<String>) {
    let audit = create_audit(c, cp_audit()).await;
    let r = c
        .actions
        .add_recommendation(pb::AddRecommendationRequest {
            source_kind: pb::SourceKind::Audit as i32,
            source_id: audit.id.clone(),
            recommendation: Some(rec(
                "Record the voice of the child in conference minutes",
                vec![
                    action("Minute template", "BCC-PEOPLE", "2016-01-31"),
                    action("Police report template", "WMP", "2016-03-31"),
                    action("Health report template", "BCH", "2016-02-01"),
                ],
            )),
            idempotency_key: "rec-1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    // a Section 11 action from part 2's API, in its own transaction
    let txn = server.ctx.db.begin_write().await.unwrap();
    insert_action(
        &*txn,
        "bscb",
        NewAction {
            source_kind: "section11".into(),
            source_id: "s11-WMP-2015-16".into(),
            recommendation: "Standard 4: safer recruitment".into(),
            description: "DBS re-checks".into(),
            owner_agency: "WMP".into(),
            due_date: chrono::NaiveDate::from_ymd_opt(2016, 2, 29).unwrap(),
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    (audit.id, r.action_ids)
}

#[tokio::test]
async fn overdue_actions_at_a_date_across_every_source() {
    for (db, server) in servers().await {
        let mut c = clients(server.admin().await);
        let (audit_id, ids) = seed_actions(&server, &mut c).await;
        assert_eq!(ids.len(), 3);
        // BCH completes its action
        c.actions
            .update_action(pb::UpdateActionRequest {
                id: ids[2].clone(),
                status: pb::ActionStatus::Completed as i32,
                completion_evidence: "Template in use".into(),
                completed_date: "2016-01-10".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        let overdue = |as_of: &str| pb::ListActionsRequest {
            overdue_only: true,
            as_of: as_of.into(),
            ..Default::default()
        };
        let l = c
            .actions
            .list_actions(overdue("2016-03-01"))
            .await
            .unwrap()
            .into_inner();
        let got: Vec<(&str, &str)> = l
            .actions
            .iter()
            .map(|a| (a.owner_agency.as_str(), a.due_date.as_str()))
            .collect();
        assert_eq!(
            got,
            [("BCC-PEOPLE", "2016-01-31"), ("WMP", "2016-02-29")],
            "{db}"
        );
        assert!(l.actions.iter().all(|a| a.overdue));
        assert_eq!(l.actions[1].source_kind, pb::SourceKind::Section11 as i32);
        assert_eq!(l.as_of, "2016-03-01");
        // due on the day is not overdue; the next day it is
        let l = c
            .actions
            .list_actions(overdue("2016-03-31"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(l.actions.len(), 2, "{db}");
        let l = c
            .actions
            .list_actions(overdue("2016-04-01"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(l.actions.len(), 3, "{db}");

        // every source kind, with counts
        let all = c
            .actions
            .list_actions(pb::ListActionsRequest {
                as_of: "2016-03-01".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let counts = all.counts.unwrap();
        assert_eq!((counts.total, counts.overdue), (4, 2), "{db}");
        let sources: Vec<(String, u32, u32, u32)> = counts
            .by_source
            .iter()
            .map(|g| (g.key.clone(), g.total, g.completed, g.overdue))
            .collect();
        assert_eq!(
            sources,
            [
                ("audit".to_string(), 3, 1, 1),
                ("section11".to_string(), 1, 0, 1)
            ]
        );
        let wmp: Vec<_> = counts.by_agency.iter().filter(|g| g.key == "WMP").collect();
        assert_eq!((wmp[0].total, wmp[0].overdue), (2, 1));
        let completed = counts
            .by_status
            .iter()
            .find(|s| s.status == pb::ActionStatus::Completed as i32)
            .unwrap();
        assert_eq!(completed.count, 1);

        // by agency and by source
        let by_agency = c
            .actions
            .list_actions(pb::ListActionsRequest {
                owner_agency: "WMP".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(by_agency.actions.len(), 2);
        let by_s11 = c
            .actions
            .list_actions(pb::ListActionsRequest {
                source_kind: pb::SourceKind::Section11 as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(by_s11.actions.len(), 1);
        assert_eq!(
            by_s11.actions[0].recommendation,
            "Standard 4: safer recruitment"
        );

        // the audit shows its recommendation, not implemented yet
        let a = c
            .audits
            .get_audit(pb::GetAuditRequest { id: audit_id })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(a.recommendations.len(), 1);
        assert_eq!(a.recommendations[0].actions.len(), 3);
        assert!(!a.recommendations[0].implemented);

        // implementation summary across every source includes Section 11
        let s = c
            .reviews
            .get_implementation_summary(pb::GetImplementationSummaryRequest {
                source_kind: 0,
                as_of: "2016-03-01".into(),
            })
            .await
            .unwrap()
            .into_inner();
        let kinds: Vec<i32> = s.sources.iter().map(|s| s.source_kind).collect();
        assert_eq!(
            kinds,
            [
                pb::SourceKind::Audit as i32,
                pb::SourceKind::Section11 as i32
            ],
            "{db}"
        );
        assert_eq!(s.recommendations, 2);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn submitter_updates_only_its_own_agencys_actions() {
    for (db, server) in servers().await {
        let mut admin = clients(server.admin().await);
        let (_, ids) = seed_actions(&server, &mut admin).await;
        let mut wmp = clients(server.submitter("WMP").await);
        // WMP owns ids[1]
        let err = wmp
            .actions
            .update_action(pb::UpdateActionRequest {
                id: ids[1].clone(),
                status: pb::ActionStatus::Completed as i32,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&err), ["completion_evidence"], "{db}");
        let done = wmp
            .actions
            .update_action(pb::UpdateActionRequest {
                id: ids[1].clone(),
                status: pb::ActionStatus::Completed as i32,
                completion_evidence: "New police report template issued".into(),
                completed_date: "2016-03-20".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(done.status, pb::ActionStatus::Completed as i32);
        assert_eq!(done.completed_date, "2016-03-20");
        assert!(!done.overdue);
        // someone else's action
        let err = wmp
            .actions
            .update_action(pb::UpdateActionRequest {
                id: ids[0].clone(),
                status: pb::ActionStatus::InProgress as i32,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{db}");
        // a submitter cannot move a due date, nor create anything
        let err = wmp
            .actions
            .update_action(pb::UpdateActionRequest {
                id: ids[1].clone(),
                due_date: "2017-01-01".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = wmp
            .audits
            .create_audit(pb::CreateAuditRequest {
                audit: Some(cp_audit()),
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
        // readers read but never write
        let mut reader = clients(server.reader().await);
        let err = reader
            .actions
            .update_action(pb::UpdateActionRequest {
                id: ids[0].clone(),
                status: pb::ActionStatus::InProgress as i32,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
        let l = reader
            .actions
            .list_actions(pb::ListActionsRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(l.actions.len(), 4);
        // the BCC-PEOPLE action is untouched
        let mine = l.actions.iter().find(|a| a.id == ids[0]).unwrap();
        assert_eq!(mine.status, pb::ActionStatus::Open as i32, "{db}");
        // no token at all
        let mut anon = clients(server.channel(None).await);
        let err = anon
            .actions
            .list_actions(pb::ListActionsRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn everything_is_scoped_to_the_callers_partnership() {
    for (db, server) in servers().await {
        let mut bscb = clients(server.admin().await);
        let (audit_id, ids) = seed_actions(&server, &mut bscb).await;
        let other = server
            .channel(Some(server.token_for("other", Role::Admin, None)))
            .await;
        let mut o = clients(other);
        let l = o
            .audits
            .list_audits(pb::ListAuditsRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert!(l.audits.is_empty(), "{db}");
        let err = o
            .audits
            .get_audit(pb::GetAuditRequest {
                id: audit_id.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{db}");
        let err = o
            .audits
            .get_audit_summary(pb::GetAuditSummaryRequest {
                audit_id: audit_id.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        let err = o
            .actions
            .update_action(pb::UpdateActionRequest {
                id: ids[0].clone(),
                status: pb::ActionStatus::Completed as i32,
                completion_evidence: "x".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        let acts = o
            .actions
            .list_actions(pb::ListActionsRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(acts.counts.unwrap().total, 0, "{db}");
        // bscb's agencies are not the other partnership's
        let err = o
            .inspections
            .create_inspection(pb::CreateInspectionRequest {
                inspection: Some(pb::Inspection {
                    inspectorate: pb::Inspectorate::Hmic as i32,
                    agency: "WMP".into(),
                    title: "x".into(),
                    inspection_date: "2015-07-01".into(),
                    ..Default::default()
                }),
                idempotency_key: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&err), ["inspection.agency"]);
        // the same idempotency key in another partnership is independent
        let r = o.learning_reviews_create("rec-1").await;
        assert_eq!(r.reference, "DHR-1");
        let s = o
            .reviews
            .get_implementation_summary(pb::GetImplementationSummaryRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(s.recommendations, 0, "{db}");
        server.shutdown().await;
    }
}

impl Clients {
    async fn learning_reviews_create(&mut self, key: &str) -> pb::LearningReview {
        self.reviews
            .create_learning_review(pb::CreateLearningReviewRequest {
                review: Some(pb::LearningReview {
                    r#type: pb::LearningReviewType::DomesticHomicideReview as i32,
                    reference: "DHR-1".into(),
                    title: "Domestic homicide review".into(),
                    commissioned_date: "2015-06-01".into(),
                    agencies: vec!["OPOL".into()],
                    ..Default::default()
                }),
                idempotency_key: key.into(),
            })
            .await
            .unwrap()
            .into_inner()
    }
}
