//! End-to-end tests of part 2 of the audits service through gRPC: Section 11 returns and
//! summary, Section 175 completion, assurance documents, the figure-29 attendance matrix
//! and the employee survey, on SQLite and (with LSCB_TEST_PG_URL) PostgreSQL.

use lscb_audits::{migrate, serve};
use lscb_platform::testing::{AuthChannel, TestServer, databases, sqlite_memory};
use lscb_platform::{Db, Role};
use lscb_proto::audits::v1 as pb;
use lscb_proto::audits::v1::{
    governance_service_client::GovernanceServiceClient,
    section11_service_client::Section11ServiceClient,
    section175_service_client::Section175ServiceClient, survey_service_client::SurveyServiceClient,
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

async fn start(db: Db) -> TestServer {
    migrate(&db).await.expect("migrate");
    TestServer::spawn(db, serve).await
}

const STATUTORY: [&str; 21] = [
    "BCC-PEOPLE",
    "BCC-PLACE",
    "BCC-ECONOMY",
    "WMP",
    "NPS",
    "CRC",
    "YOS",
    "PH",
    "BSC-CCG",
    "CC-CCG",
    "SWB-CCG",
    "NHSE",
    "BCH",
    "BCHC",
    "BSMHFT",
    "BWH",
    "HEFT",
    "ROH",
    "SWBH",
    "UHB",
    "WMAS",
];

fn standards() -> Vec<pb::Section11Standard> {
    [
        ("S1", "Senior management commitment to safeguarding", true),
        ("S2", "Accountability framework", true),
        ("S3", "Safer recruitment", true),
        ("S4", "Training", true),
        ("S5", "Inter-agency working", true),
        ("S6", "Information sharing", true),
        (
            "S7",
            "Listening to children, young people and families",
            true,
        ),
        ("EH", "Early help", false),
        ("CSE", "Child sexual exploitation", false),
    ]
    .into_iter()
    .map(|(c, t, s)| pb::Section11Standard {
        code: c.into(),
        title: t.into(),
        statutory: s,
        description: String::new(),
    })
    .collect()
}

fn ratings(overrides: &[(&str, pb::Section11Rating)]) -> Vec<pb::Section11StandardRating> {
    standards()
        .into_iter()
        .map(|s| pb::Section11StandardRating {
            rating: overrides
                .iter()
                .find(|(c, _)| *c == s.code)
                .map_or(pb::Section11Rating::Green, |(_, r)| *r) as i32,
            standard_code: s.code,
            evidence: "policy and audit evidence".into(),
        })
        .collect()
}

fn gap(code: &str, due: &str) -> pb::Section11GapAction {
    pb::Section11GapAction {
        standard_code: code.into(),
        description: format!("Close the gap on {code}"),
        due_date: due.into(),
        ..Default::default()
    }
}

fn submitted(
    key: &str,
    cycle: &str,
    agency: &str,
    overrides: &[(&str, pb::Section11Rating)],
    gaps: Vec<pb::Section11GapAction>,
) -> pb::SubmitSection11ReturnRequest {
    pb::SubmitSection11ReturnRequest {
        idempotency_key: key.into(),
        cycle: period(cycle),
        agency: agency.into(),
        status: pb::Section11ReturnStatus::Submitted as i32,
        ratings: ratings(overrides),
        gap_actions: gaps,
        ..Default::default()
    }
}

async fn put_catalogues(admin: &mut Section11ServiceClient<AuthChannel>) {
    for cycle in ["2014-15", "2015-16"] {
        let c = admin
            .put_section11_catalogue(pb::PutSection11CatalogueRequest {
                cycle: period(cycle),
                standards: standards(),
            })
            .await
            .expect("catalogue")
            .into_inner();
        assert_eq!(c.version, 1);
        assert_eq!(c.standards.len(), 9);
    }
}

/// The report's Section 11 cycle: every statutory agency returned except NHS England and
/// the ambulance service, covered by the West Midlands generic return.
async fn section11_cycle(server: &TestServer) {
    use pb::Section11Rating::{Amber, Green, Red};
    let mut admin = Section11ServiceClient::new(server.admin().await);
    put_catalogues(&mut admin).await;
    // Previous cycle: WMP red on early help, BCH amber on CSE.
    admin
        .submit_section11_return(submitted(
            "prev-wmp",
            "2014-15",
            "WMP",
            &[("EH", Red)],
            vec![gap("EH", "2015-09-30")],
        ))
        .await
        .expect("previous WMP");
    admin
        .submit_section11_return(submitted(
            "prev-bch",
            "2014-15",
            "BCH",
            &[("CSE", Amber)],
            vec![gap("CSE", "2015-09-30")],
        ))
        .await
        .expect("previous BCH");
    for agency in STATUTORY {
        let req = match agency {
            "NHSE" | "WMAS" => pb::SubmitSection11ReturnRequest {
                idempotency_key: format!("s11-{agency}"),
                cycle: period("2015-16"),
                agency: agency.into(),
                status: pb::Section11ReturnStatus::Regional as i32,
                regional_body: "West Midlands generic Section 11 audit".into(),
                ..Default::default()
            },
            "WMP" => submitted(
                "s11-WMP",
                "2015-16",
                agency,
                &[("EH", Amber)],
                vec![gap("EH", "2016-12-31")],
            ),
            _ => submitted(&format!("s11-{agency}"), "2015-16", agency, &[], vec![]),
        };
        // Each agency files its own return with a submitter token.
        let mut own = Section11ServiceClient::new(server.submitter(agency).await);
        let r = own
            .submit_section11_return(req)
            .await
            .unwrap_or_else(|e| panic!("{agency}: {e:?}"))
            .into_inner();
        assert_eq!(r.revision, 1);
        assert_eq!(r.agency, agency);
    }
    // Peer review: WMP's CSE self-rating of green is moderated to amber, with a gap action.
    let moderation = pb::ModerateSection11ReturnRequest {
        cycle: period("2015-16"),
        agency: "WMP".into(),
        moderations: vec![pb::Section11Moderation {
            standard_code: "CSE".into(),
            moderated_rating: Amber as i32,
            note: "frontline awareness of CSE not evidenced".into(),
            ..Default::default()
        }],
        gap_actions: vec![gap("CSE", "2016-12-31")],
    };
    let moderated = admin
        .moderate_section11_return(moderation.clone())
        .await
        .expect("moderate")
        .into_inner();
    // Repeating the moderation does not duplicate its gap action.
    let repeated = admin
        .moderate_section11_return(moderation)
        .await
        .expect("moderate again")
        .into_inner();
    assert_eq!(repeated.gap_actions.len(), 2);
    assert_eq!(moderated.moderations.len(), 1);
    assert_eq!(moderated.moderations[0].self_rating, Green as i32);
    assert_eq!(moderated.gap_actions.len(), 2);
    assert!(moderated.gap_actions.iter().all(|g| g.status == "open"));

    let mut reader = Section11ServiceClient::new(server.reader().await);
    let s = reader
        .get_section11_summary(pb::GetSection11SummaryRequest {
            cycle: period("2015-16"),
        })
        .await
        .expect("summary")
        .into_inner();
    assert_eq!(s.statutory_agencies, 21);
    assert_eq!(s.submitted, 19);
    assert_eq!(s.regional, 2);
    assert_eq!(s.not_submitted, 0);
    assert!(s.not_returned.is_empty());
    assert_eq!(s.covered_regionally, ["NHSE", "WMAS"]);
    assert_eq!(dec(&s.completion), "100");
    assert_eq!(s.previous_cycle.as_ref().unwrap().code, "2014-15");
    let eh = s
        .standards
        .iter()
        .find(|x| x.standard_code == "EH")
        .unwrap();
    let counts = eh.counts.unwrap();
    assert_eq!((counts.red, counts.amber, counts.green), (0, 1, 18));
    assert_eq!(eh.agencies_improved, 1, "WMP went from red to amber");
    assert_eq!(eh.trend, pb::Section11Trend::Improved as i32);
    let prev = eh.previous_counts.unwrap();
    assert_eq!((prev.red, prev.amber, prev.green), (1, 0, 1));
    let cse = s
        .standards
        .iter()
        .find(|x| x.standard_code == "CSE")
        .unwrap();
    assert_eq!(cse.self_counts.unwrap().green, 19);
    assert_eq!(cse.counts.unwrap().amber, 1);
    assert_eq!(cse.agencies_improved, 1, "BCH amber to green");
    assert_eq!(
        cse.agencies_declined, 1,
        "WMP green to amber after moderation"
    );
    assert_eq!(dec(&cse.green_share), "94.7");
    assert_eq!(s.moderation_changes.len(), 1);
    assert_eq!(s.moderation_changes[0].agency, "WMP");
    assert_eq!(s.moderation_changes[0].moderated_rating, Amber as i32);
    let open: Vec<_> = s
        .open_gap_actions
        .iter()
        .map(|g| (g.agency.as_str(), g.standard_code.as_str()))
        .collect();
    assert_eq!(open, [("WMP", "EH"), ("WMP", "CSE")]);

    // The gap actions live in part 1's action register.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let actions = lscb_audits::qa::entity::action::Entity::find()
        .filter(lscb_audits::qa::entity::action::Column::SourceKind.eq("section11"))
        .filter(lscb_audits::qa::entity::action::Column::SourceId.eq("2015-16/WMP"))
        .all(server.ctx.db.conn())
        .await
        .unwrap();
    assert_eq!(actions.len(), 2);
    assert!(
        actions
            .iter()
            .all(|a| a.owner_agency == "WMP" && a.partnership == "bscb")
    );

    let list = reader
        .list_section11_returns(pb::ListSection11ReturnsRequest {
            cycle: period("2015-16"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.returns.len(), 21);
}

async fn section175(server: &TestServer) {
    let mut admin = Section175ServiceClient::new(server.admin().await);
    // 449 establishments: 300 primary, 80 secondary, 29 special, 20 early years,
    // 12 children's centres, 8 further education colleges.
    let kinds = [
        (pb::EstablishmentType::Primary, 300, 295),
        (pb::EstablishmentType::Secondary, 80, 77),
        (pb::EstablishmentType::Special, 29, 29),
        (pb::EstablishmentType::EarlyYears, 20, 18),
        (pb::EstablishmentType::ChildrensCentre, 12, 11),
        (pb::EstablishmentType::FurtherEducation, 8, 7),
    ];
    let mut establishments = Vec::new();
    let mut returns = Vec::new();
    for (kind, n, done) in kinds {
        for i in 0..n {
            let code = format!("{}-{i:03}", kind.as_str_name());
            establishments.push(pb::Section175Establishment {
                code: code.clone(),
                name: format!("Establishment {code}"),
                r#type: kind as i32,
            });
            let ok = i < done;
            returns.push(pb::Section175Return {
                establishment_code: code,
                submitted: ok,
                reported_to_governors: ok && i % 4 != 0,
                items_compliant: if ok { 18 } else { 0 },
                items_total: if ok { 20 } else { 0 },
                submitted_on: if ok {
                    "2016-01-15".into()
                } else {
                    String::new()
                },
            });
        }
    }
    let put = admin
        .put_section175_establishments(pb::PutSection175EstablishmentsRequest { establishments })
        .await
        .expect("establishments")
        .into_inner();
    assert_eq!((put.inserted, put.updated), (449, 0));
    let stored = admin
        .submit_section175_returns(pb::SubmitSection175ReturnsRequest {
            idempotency_key: "s175-2015".into(),
            year: period("2015-16"),
            returns,
        })
        .await
        .expect("returns")
        .into_inner();
    assert_eq!(stored.stored, 449);
    // Earlier years as totals: 63% in 2012/13.
    admin
        .put_section175_year_totals(pb::PutSection175YearTotalsRequest {
            year: period("2012-13"),
            totals: vec![pb::Section175TypeTotal {
                r#type: pb::EstablishmentType::Primary as i32,
                expected: 400,
                completed: 252,
            }],
        })
        .await
        .expect("totals");
    let c = Section175ServiceClient::new(server.reader().await)
        .get_section175_completion(pb::GetSection175CompletionRequest {
            year: period("2015-16"),
            earlier_years: 0,
        })
        .await
        .expect("completion")
        .into_inner();
    let overall = c.overall.unwrap();
    assert_eq!((overall.expected, overall.completed), (449, 437));
    assert_eq!(dec(&overall.rate), "97.3");
    assert_eq!(dec(&overall.items_compliant_share), "90");
    let primary = &c.by_type[1];
    assert_eq!(primary.r#type, pb::EstablishmentType::Primary as i32);
    assert_eq!(dec(&primary.rate), "98.3");
    assert_eq!(
        c.by_type[0].r#type,
        pb::EstablishmentType::EarlyYears as i32
    );
    assert_eq!(c.earlier.len(), 1);
    assert_eq!(dec(&c.earlier[0].rate), "63");
    assert_eq!(c.earlier[0].source, "totals");
    assert_eq!(dec(&c.change_on_earliest), "34.3");
    assert_eq!(c.not_submitted.len(), 12);
}

async fn attendance(server: &TestServer) {
    let mut admin = GovernanceServiceClient::new(server.admin().await);
    let member = |a: &str| pb::GovernanceMember {
        agency: a.into(),
        named_member: format!("Named member of {a}"),
    };
    admin
        .put_governance_body(pb::PutGovernanceBodyRequest {
            body: Some(pb::GovernanceBody {
                code: "BOARD".into(),
                name: "Strategic Board".into(),
                kind: pb::GovernanceBodyKind::Board as i32,
                position: 1,
                members: vec![member("WMP"), member("BCH"), member("NHSE")],
            }),
        })
        .await
        .expect("board");
    admin
        .put_governance_body(pb::PutGovernanceBodyRequest {
            body: Some(pb::GovernanceBody {
                code: "EXEC".into(),
                name: "Executive Group".into(),
                kind: pb::GovernanceBodyKind::Executive as i32,
                position: 2,
                members: vec![member("WMP")],
            }),
        })
        .await
        .expect("exec");
    use pb::AttendanceCapacity::{Named, Nominated};
    let at = |a: &str, c: pb::AttendanceCapacity| pb::MeetingAttendance {
        agency: a.into(),
        capacity: c as i32,
    };
    // Five board meetings in 2015-16: WMP's named member at 4 (green); BCH named at 2 and
    // a deputy at 2 more (blue); NHSE at 3 (red).
    let board = [
        (
            "2015-05-12",
            vec![at("WMP", Named), at("BCH", Named), at("NHSE", Named)],
        ),
        (
            "2015-07-14",
            vec![
                at("WMP", Named),
                at("BCH", Nominated),
                at("NHSE", Nominated),
            ],
        ),
        ("2015-09-15", vec![at("WMP", Nominated), at("BCH", Named)]),
        (
            "2015-12-08",
            vec![at("WMP", Named), at("BCH", Nominated), at("NHSE", Named)],
        ),
        ("2016-03-15", vec![at("WMP", Named)]),
        // Outside the year: ignored.
        ("2016-05-10", vec![]),
    ];
    for (day, attendance) in board {
        admin
            .record_governance_meeting(pb::RecordGovernanceMeetingRequest {
                body_code: "BOARD".into(),
                held_on: day.into(),
                attendance,
            })
            .await
            .expect("meeting");
    }
    admin
        .record_governance_meeting(pb::RecordGovernanceMeetingRequest {
            body_code: "EXEC".into(),
            held_on: "2015-06-01".into(),
            attendance: vec![at("WMP", Nominated)],
        })
        .await
        .expect("exec meeting");
    let m = GovernanceServiceClient::new(server.reader().await)
        .get_attendance_matrix(pb::GetAttendanceMatrixRequest {
            period: period("2015-16"),
        })
        .await
        .expect("matrix")
        .into_inner();
    let bodies: Vec<_> = m.bodies.iter().map(|b| b.code.as_str()).collect();
    assert_eq!(bodies, ["BOARD", "EXEC"]);
    let cell = |agency: &str, body: &str| {
        m.rows
            .iter()
            .find(|r| r.agency == agency)
            .and_then(|r| r.cells.iter().find(|c| c.body_code == body))
            .cloned()
            .unwrap_or_else(|| panic!("no cell {agency}/{body}"))
    };
    let wmp = cell("WMP", "BOARD");
    assert_eq!((wmp.meetings, wmp.named_attended, wmp.attended), (5, 4, 5));
    assert_eq!(dec(&wmp.named_share), "80");
    assert_eq!(wmp.rating, pb::AttendanceRating::Green as i32);
    let bch = cell("BCH", "BOARD");
    assert_eq!((bch.named_attended, bch.attended), (2, 4));
    assert_eq!(bch.rating, pb::AttendanceRating::Blue as i32);
    let nhse = cell("NHSE", "BOARD");
    assert_eq!(nhse.attended, 3);
    assert_eq!(dec(&nhse.share), "60");
    assert_eq!(nhse.rating, pb::AttendanceRating::Red as i32);
    let exec = cell("WMP", "EXEC");
    assert_eq!(exec.rating, pb::AttendanceRating::Blue as i32);
    assert_eq!((m.green, m.blue, m.red), (1, 2, 1));
    // Rows follow the directory order (NHSE comes before BCH there).
    let rows: Vec<_> = m.rows.iter().map(|r| r.agency.as_str()).collect();
    assert_eq!(rows, ["WMP", "NHSE", "BCH"]);
}

async fn documents(server: &TestServer) {
    let wmp = GovernanceServiceClient::new(server.submitter("WMP").await)
        .record_assurance_documents(pb::RecordAssuranceDocumentsRequest {
            year: period("2015-16"),
            agency: "WMP".into(),
            annual_report_received_on: "2016-05-03".into(),
            assurance_letter_received_on: "2016-05-10".into(),
        })
        .await
        .expect("WMP documents")
        .into_inner();
    assert!(wmp.annual_report_received && wmp.assurance_letter_received);
    let mut admin = GovernanceServiceClient::new(server.admin().await);
    admin
        .record_assurance_documents(pb::RecordAssuranceDocumentsRequest {
            year: period("2015-16"),
            agency: "BCH".into(),
            annual_report_received_on: "2016-06-01".into(),
            assurance_letter_received_on: String::new(),
        })
        .await
        .expect("BCH documents");
    let s = admin
        .get_assurance_documents(pb::GetAssuranceDocumentsRequest {
            year: period("2015-16"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s.statutory_agencies, 21);
    assert_eq!(s.annual_reports_received, 2);
    assert_eq!(s.assurance_letters_received, 1);
    let bch = s.agencies.iter().find(|a| a.agency == "BCH").unwrap();
    assert_eq!(bch.annual_report_received_on, "2016-06-01");
    assert!(!bch.assurance_letter_received);
}

fn employee_survey(
    code: &str,
    year: &str,
    respondents: u32,
    orgs: u32,
    share: &str,
) -> pb::RecordSurveyRequest {
    pb::RecordSurveyRequest {
        idempotency_key: format!("survey-{code}"),
        survey: Some(pb::PractitionerSurvey {
            code: code.into(),
            series: "employee".into(),
            title: "Employee survey: Right Service, Right Time".into(),
            year: period(year),
            conducted_on: String::new(),
            respondents,
            organisations: orgs,
            organisation_names: vec![],
            questions: vec![pb::SurveyQuestion {
                code: "ACCESS_GUIDANCE".into(),
                text: "Do you know how to access guidance on making a good fCAF and referral?"
                    .into(),
                yes_share: Some(cpb::Decimal {
                    value: share.into(),
                }),
            }],
        }),
    }
}

async fn survey(server: &TestServer) {
    let mut admin = SurveyServiceClient::new(server.admin().await);
    admin
        .record_survey(employee_survey("employee-2013", "2013-14", 900, 12, "50"))
        .await
        .expect("2013 survey");
    let mut req = employee_survey("employee-2015", "2015-16", 1175, 17, "83");
    req.survey.as_mut().unwrap().conducted_on = "2015-09-30".into();
    let first = admin
        .record_survey(req.clone())
        .await
        .expect("2015 survey")
        .into_inner();
    // A replay returns the first response; the same key with other content is refused.
    let again = admin.record_survey(req.clone()).await.unwrap().into_inner();
    assert_eq!(first, again);
    let mut other = req.clone();
    other.survey.as_mut().unwrap().respondents = 1;
    let e = admin.record_survey(other).await.unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists);

    let r = SurveyServiceClient::new(server.reader().await)
        .get_survey_results(pb::GetSurveyResultsRequest {
            code: "employee-2015".into(),
        })
        .await
        .expect("results")
        .into_inner();
    let s = r.survey.unwrap();
    assert_eq!((s.respondents, s.organisations), (1175, 17));
    let q = &r.questions[0];
    assert_eq!(dec(&q.yes_share), "83");
    assert_eq!(q.previous_survey_code, "employee-2013");
    assert_eq!(dec(&q.previous_yes_share), "50");
    assert_eq!(dec(&q.change), "33");
    assert_eq!(q.previous_year.as_ref().unwrap().code, "2013-14");
}

#[tokio::test]
async fn the_reports_assurance_figures_on_every_database() {
    for (name, db) in databases().await {
        eprintln!("database: {name}");
        let server = start(db).await;
        section11_cycle(&server).await;
        section175(&server).await;
        attendance(&server).await;
        documents(&server).await;
        survey(&server).await;
        server.shutdown().await;
    }
}

#[tokio::test]
async fn a_submitter_cannot_file_another_agencys_return() {
    let server = start(sqlite_memory().await).await;
    put_catalogues(&mut Section11ServiceClient::new(server.admin().await)).await;
    let mut wmp = Section11ServiceClient::new(server.submitter("WMP").await);
    let e = wmp
        .submit_section11_return(submitted("k1", "2015-16", "BCH", &[], vec![]))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = Section11ServiceClient::new(server.reader().await)
        .submit_section11_return(submitted("k2", "2015-16", "WMP", &[], vec![]))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = GovernanceServiceClient::new(server.submitter("WMP").await)
        .record_assurance_documents(pb::RecordAssuranceDocumentsRequest {
            year: period("2015-16"),
            agency: "BCH".into(),
            annual_report_received_on: "2016-05-01".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    // Nothing was stored.
    let e = wmp
        .get_section11_return(pb::GetSection11ReturnRequest {
            cycle: period("2015-16"),
            agency: "BCH".into(),
            revision: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    // Submitters cannot administer.
    let e = wmp
        .put_section11_catalogue(pb::PutSection11CatalogueRequest {
            cycle: period("2016-17"),
            standards: standards(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    server.shutdown().await;
}

#[tokio::test]
async fn bad_section11_input_is_refused_naming_every_field() {
    use pb::Section11Rating::{Amber, Red};
    let server = start(sqlite_memory().await).await;
    let mut admin = Section11ServiceClient::new(server.admin().await);
    // No catalogue yet.
    let e = admin
        .submit_section11_return(submitted("k0", "2015-16", "WMP", &[], vec![]))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    put_catalogues(&mut admin).await;
    let e = admin
        .submit_section11_return(pb::SubmitSection11ReturnRequest {
            idempotency_key: String::new(),
            cycle: period("2015-16-Q1"),
            agency: "NOPE".into(),
            status: 0,
            ratings: vec![pb::Section11StandardRating {
                standard_code: "S1".into(),
                rating: 0,
                evidence: String::new(),
            }],
            gap_actions: vec![pb::Section11GapAction {
                standard_code: "S1".into(),
                description: String::new(),
                owner_agency: "ZZZ".into(),
                due_date: "31/12/2016".into(),
                ..Default::default()
            }],
            regional_body: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&e),
        [
            "cycle",
            "agency",
            "status",
            "ratings[0].rating",
            "gap_actions[0].description",
            "gap_actions[0].owner_agency",
            "gap_actions[0].due_date"
        ]
    );
    // Against the catalogue: a missing standard and ratings below green without actions.
    let mut req = submitted(
        "k1",
        "2015-16",
        "WMP",
        &[("S2", Amber), ("EH", Red)],
        vec![gap("S2", "2016-12-31")],
    );
    req.ratings.retain(|r| r.standard_code != "S7");
    let e = admin.submit_section11_return(req).await.unwrap_err();
    assert_eq!(bad_fields(&e), ["ratings", "ratings[6].rating"]);
    // A non-statutory agency makes no Section 11 return; a regional one names its body.
    let mut req = submitted("k2", "2015-16", "VCS", &[], vec![]);
    req.status = pb::Section11ReturnStatus::Regional as i32;
    req.ratings.clear();
    let e = admin.submit_section11_return(req).await.unwrap_err();
    assert_eq!(bad_fields(&e), ["agency", "regional_body"]);
    // Nothing of that was stored.
    let list = admin
        .list_section11_returns(pb::ListSection11ReturnsRequest {
            cycle: period("2015-16"),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(list.returns.is_empty());
    // Idempotency: a replay returns the first revision, a changed request is refused, and a
    // new key makes revision 2 (history kept).
    let first = admin
        .submit_section11_return(submitted("k3", "2015-16", "WMP", &[], vec![]))
        .await
        .unwrap()
        .into_inner();
    let again = admin
        .submit_section11_return(submitted("k3", "2015-16", "WMP", &[], vec![]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again);
    let e = admin
        .submit_section11_return(submitted("k3", "2015-16", "BCH", &[], vec![]))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists);
    let second = admin
        .submit_section11_return(submitted(
            "k4",
            "2015-16",
            "WMP",
            &[("S1", Amber)],
            vec![gap("S1", "2016-06-30")],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.revision, 2);
    let old = admin
        .get_section11_return(pb::GetSection11ReturnRequest {
            cycle: period("2015-16"),
            agency: "WMP".into(),
            revision: 1,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(old.ratings[0].rating, pb::Section11Rating::Green as i32);
    // Moderation below green needs a gap action unless one exists.
    let e = admin
        .moderate_section11_return(pb::ModerateSection11ReturnRequest {
            cycle: period("2015-16"),
            agency: "WMP".into(),
            moderations: vec![
                pb::Section11Moderation {
                    standard_code: "S3".into(),
                    moderated_rating: Red as i32,
                    ..Default::default()
                },
                pb::Section11Moderation {
                    standard_code: "S1".into(),
                    moderated_rating: Red as i32,
                    ..Default::default()
                },
                pb::Section11Moderation {
                    standard_code: "NOPE".into(),
                    moderated_rating: Red as i32,
                    ..Default::default()
                },
            ],
            gap_actions: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&e),
        [
            "moderations[0].moderated_rating",
            "moderations[2].standard_code"
        ]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn bad_section175_governance_and_survey_input_is_refused() {
    let server = start(sqlite_memory().await).await;
    let mut s175 = Section175ServiceClient::new(server.admin().await);
    let e = s175
        .put_section175_establishments(pb::PutSection175EstablishmentsRequest {
            establishments: vec![
                pb::Section175Establishment {
                    code: "A1".into(),
                    name: "A school".into(),
                    r#type: pb::EstablishmentType::Primary as i32,
                },
                pb::Section175Establishment {
                    code: "A1".into(),
                    name: String::new(),
                    r#type: 0,
                },
            ],
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&e),
        [
            "establishments[1].code",
            "establishments[1].name",
            "establishments[1].type"
        ]
    );
    s175.put_section175_establishments(pb::PutSection175EstablishmentsRequest {
        establishments: vec![pb::Section175Establishment {
            code: "A1".into(),
            name: "A school".into(),
            r#type: pb::EstablishmentType::Primary as i32,
        }],
    })
    .await
    .unwrap();
    let e = s175
        .submit_section175_returns(pb::SubmitSection175ReturnsRequest {
            idempotency_key: "x".into(),
            year: period("2015-16"),
            returns: vec![
                pb::Section175Return {
                    establishment_code: "A1".into(),
                    submitted: true,
                    items_compliant: 21,
                    items_total: 20,
                    submitted_on: "2016-13-01".into(),
                    ..Default::default()
                },
                pb::Section175Return {
                    establishment_code: "B2".into(),
                    submitted: false,
                    reported_to_governors: true,
                    ..Default::default()
                },
            ],
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&e),
        [
            "returns[0].submitted_on",
            "returns[1].establishment_code",
            "returns[1].reported_to_governors"
        ]
    );
    let e = s175
        .get_section175_completion(pb::GetSection175CompletionRequest {
            year: period("2015-16"),
            earlier_years: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "nothing was stored");

    let mut gov = GovernanceServiceClient::new(server.admin().await);
    let e = gov
        .put_governance_body(pb::PutGovernanceBodyRequest {
            body: Some(pb::GovernanceBody {
                code: "bad code".into(),
                name: String::new(),
                kind: 0,
                position: 0,
                members: vec![pb::GovernanceMember {
                    agency: "OPOL".into(),
                    named_member: String::new(),
                }],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&e),
        [
            "body.code",
            "body.name",
            "body.kind",
            "body.members[0].agency"
        ]
    );
    let e = gov
        .record_governance_meeting(pb::RecordGovernanceMeetingRequest {
            body_code: "BOARD".into(),
            held_on: "yesterday".into(),
            attendance: vec![pb::MeetingAttendance {
                agency: "WMP".into(),
                capacity: 0,
            }],
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&e),
        ["body_code", "held_on", "attendance[0].capacity"]
    );

    let mut survey = SurveyServiceClient::new(server.admin().await);
    let mut req = employee_survey("employee-2015", "2015-16", 0, 17, "183");
    {
        let s = req.survey.as_mut().unwrap();
        s.conducted_on = "2014-09-30".into();
        s.organisation_names = vec!["WMP".into()];
    }
    let e = survey.record_survey(req).await.unwrap_err();
    assert_eq!(
        bad_fields(&e),
        [
            "survey.conducted_on",
            "survey.respondents",
            "survey.organisation_names",
            "survey.questions[0].yes_share"
        ]
    );
    let list = survey
        .list_surveys(pb::ListSurveysRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(list.surveys.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn partnerships_see_only_their_own_assurance_data() {
    let server = start(sqlite_memory().await).await;
    let mut bscb = Section11ServiceClient::new(server.admin().await);
    put_catalogues(&mut bscb).await;
    bscb.submit_section11_return(submitted("k", "2015-16", "WMP", &[], vec![]))
        .await
        .unwrap();
    SurveyServiceClient::new(server.admin().await)
        .record_survey(employee_survey("employee-2015", "2015-16", 1175, 17, "83"))
        .await
        .unwrap();

    let other = server
        .channel(Some(server.token_for("other", Role::Admin, None)))
        .await;
    let mut s11 = Section11ServiceClient::new(other.clone());
    let s = s11
        .get_section11_summary(pb::GetSection11SummaryRequest {
            cycle: period("2015-16"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s.statutory_agencies, 1);
    assert_eq!(s.not_returned, ["OPOL"]);
    assert!(s.standards.is_empty(), "bscb's catalogue is not visible");
    let e = s11
        .get_section11_return(pb::GetSection11ReturnRequest {
            cycle: period("2015-16"),
            agency: "WMP".into(),
            revision: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&e), ["agency"]);
    let e = s11
        .get_section11_catalogue(pb::GetSection11CatalogueRequest {
            cycle: period("2015-16"),
            version: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let mut surveys = SurveyServiceClient::new(other);
    let e = surveys
        .get_survey_results(pb::GetSurveyResultsRequest {
            code: "employee-2015".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(
        surveys
            .list_surveys(pb::ListSurveysRequest::default())
            .await
            .unwrap()
            .into_inner()
            .surveys
            .is_empty()
    );
    // No token, no data.
    let e = Section11ServiceClient::new(server.channel(None).await)
        .get_section11_summary(pb::GetSection11SummaryRequest {
            cycle: period("2015-16"),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    server.shutdown().await;
}
