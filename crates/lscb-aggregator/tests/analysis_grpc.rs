//! gRPC tests of `lscb.report.v1.AnalysisService`.

use lscb_platform::testing::{AuthChannel, TestServer};
use lscb_platform::{Db, Role};
use lscb_proto::common::v1::{Decimal, Period};
use lscb_proto::report::v1 as pb;
use lscb_proto::report::v1::analysis_service_client::AnalysisServiceClient;
use tonic::Code;
use tonic_types::StatusExt;

async fn spawn(db: Db) -> TestServer {
    lscb_aggregator::migrate(&db).await.expect("migrate");
    TestServer::spawn(db, |l, ctx, sd| {
        lscb_aggregator::serve(l, ctx, Default::default(), sd)
    })
    .await
}

fn year(code: &str) -> Option<Period> {
    Some(Period { code: code.into() })
}

fn client(ch: AuthChannel) -> AnalysisServiceClient<AuthChannel> {
    AnalysisServiceClient::new(ch)
}

fn bad_fields(s: &tonic::Status) -> Vec<String> {
    s.get_details_bad_request()
        .map(|b| b.field_violations.iter().map(|f| f.field.clone()).collect())
        .unwrap_or_default()
}

/// Facts of a small 2015-16 year (the JSON shape of `analysis::Facts`).
const FACTS_2015_16: &str = r#"{
  "year": "2015-16",
  "indicators": [
    {"code": "CP-REREF", "title": "Re-referrals", "tags": ["child_protection", "safe_systems"],
     "value": "24", "previous": "22", "previous_period": "2014-15", "rag": "red", "direction": "declining",
     "vs_england": "worse", "target": "20", "source": {"service": "indicators", "record": "CP-REREF", "period": "2015-16"}},
    {"code": "LADO-REF", "title": "LADO referrals", "tags": ["context"], "value": "1100", "previous": "1076",
     "previous_period": "2014-15", "source": {"service": "indicators", "record": "LADO-REF", "period": "2015-16"}}
  ],
  "audits": [{"id": "1", "title": "CP case files", "cases": 10, "requiring_improvement": 7, "inadequate": 0,
              "source": {"service": "audits", "record": "audit/1", "period": "2015-16"}}],
  "statutory_agencies": [
    {"agency": "WMP", "name": "West Midlands Police", "section11_return": true, "annual_report": true, "assurance_letter": true,
     "source": {"service": "audits", "record": "section11/WMP", "period": "2015-16"}},
    {"agency": "NHSE", "name": "NHS England", "section11_return": false, "annual_report": true, "assurance_letter": true,
     "source": {"service": "audits", "record": "section11/NHSE", "period": "2015-16"}}
  ]
}"#;

fn override_req(y: &str, q: &str, j: &str, rationale: &str, on: &str) -> pb::SetOverrideRequest {
    pb::SetOverrideRequest {
        idempotency_key: String::new(),
        year: year(y),
        question: q.into(),
        judgement: j.into(),
        rationale: rationale.into(),
        decided_on: on.into(),
    }
}

#[tokio::test]
async fn get_analysis_judges_the_facts_and_shows_an_override_with_its_rationale() {
    let server = spawn(lscb_platform::testing::sqlite_memory().await).await;
    let mut admin = client(server.admin().await);

    let a = admin
        .get_analysis(pb::GetAnalysisRequest {
            year: year("2015-16"),
            facts_json: FACTS_2015_16.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a.rules_version, "2026.3");
    let questions: Vec<(&str, &str)> = a
        .answers
        .iter()
        .map(|x| (x.question.as_str(), x.judgement.as_str()))
        .collect();
    assert_eq!(
        questions,
        [
            // One vote per indicator: the facts' single safety indicator, read three ways,
            // is one subject, too few to judge safety or progress.
            ("child_life", "not_enough_evidence"),
            ("safer", "not_enough_evidence"),
            ("progress", "not_enough_evidence"),
            ("assurance", "not_sufficient"),
            ("impact", "not_enough_evidence"),
        ]
    );
    let nhse = a
        .evidence
        .iter()
        .find(|e| e.id == "statutory_returns:audits/section11/NHSE")
        .unwrap();
    assert_eq!(
        (nhse.stance.as_str(), nhse.yardstick.as_str()),
        ("against", "working_together")
    );
    assert_eq!(nhse.source.as_ref().unwrap().record, "section11/NHSE");

    // An override without a rationale is refused, naming the field.
    let err = admin
        .set_override(override_req(
            "2015-16",
            "safer",
            "partly_sufficient",
            "  ",
            "",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&err), ["rationale"]);
    let err = admin
        .set_override(override_req(
            "2015-16-Q1",
            "happier",
            "fine",
            "",
            "12/07/2016",
        ))
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&err),
        ["year", "question", "judgement", "rationale", "decided_on"]
    );

    // Only an admin may override.
    let err = client(server.reader().await)
        .set_override(override_req(
            "2015-16",
            "safer",
            "partly_sufficient",
            "x",
            "",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    let rationale = "Re-referrals rose while the MASH was rebuilt; the Q4 audit shows recovery";
    let o = admin
        .set_override(override_req(
            "2015-16",
            "safer",
            "partly_sufficient",
            rationale,
            "2016-07-12",
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(o.id > 0);
    assert_eq!(o.author, "test");

    let a = client(server.reader().await)
        .get_analysis(pb::GetAnalysisRequest {
            year: year("2015-16"),
            facts_json: FACTS_2015_16.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let safer = &a.answers[1];
    assert_eq!(
        (safer.derived.as_str(), safer.judgement.as_str()),
        ("not_enough_evidence", "partly_sufficient")
    );
    let bo = safer.board_override.as_ref().unwrap();
    assert_eq!(bo.rationale, rationale);
    assert_eq!(bo.decided_on, "2016-07-12");
    assert!(
        a.statement
            .contains("- *Are children safer?* Partly sufficient (derived: not enough evidence)."),
        "{}",
        a.statement
    );

    let list = admin
        .list_overrides(pb::ListOverridesRequest {
            year: year("2015-16"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.overrides.len(), 1);

    // Another partnership sees none of it.
    let other = server
        .channel(Some(server.token_for("other", Role::Admin, None)))
        .await;
    let list = client(other)
        .list_overrides(pb::ListOverridesRequest {
            year: year("2015-16"),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(list.overrides.is_empty());

    // Facts that are not Facts are refused.
    let err = admin
        .get_analysis(pb::GetAnalysisRequest {
            year: year("2015-16"),
            facts_json: "{\"indicators\": 3}".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), ["facts_json"]);
    // No token: unauthenticated.
    let err = client(server.channel(None).await)
        .get_rules(pb::GetRulesRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    server.shutdown().await;
}

fn target(code: &str, expectation: &str, t: Option<&str>) -> pb::PledgeTarget {
    pb::PledgeTarget {
        indicator_code: code.into(),
        expectation: expectation.into(),
        target: t.map(|v| Decimal { value: v.into() }),
    }
}

async fn challenges_and_pledges(db: Db) {
    let server = spawn(db).await;
    let mut admin = client(server.admin().await);
    let c1 = admin
        .add_challenge(pb::AddChallengeRequest {
            idempotency_key: String::new(),
            year: year("2015-16"),
            number: 0,
            text: "Move from safe systems to safe, consistent multi-agency practice.".into(),
            evidence_ids: vec![
                "indicator_rag:indicators/CP-REREF".into(),
                "audit_quality:audits/audit/1".into(),
            ],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(c1.number, 1);
    // A retried request with an idempotency key returns the first challenge; the key with
    // other content is ALREADY_EXISTS.
    let keyed = |text: &str| pb::AddChallengeRequest {
        idempotency_key: "board-2016-07-12-c2".into(),
        year: year("2015-16"),
        number: 0,
        text: text.into(),
        evidence_ids: vec![],
    };
    let c2 = admin
        .add_challenge(keyed("Family Friendly City"))
        .await
        .unwrap()
        .into_inner();
    let replay = admin
        .add_challenge(keyed("Family Friendly City"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((c2.id, c2.number), (replay.id, 2));
    let err = admin
        .add_challenge(keyed("Something else"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    let err = admin
        .add_challenge(pb::AddChallengeRequest {
            idempotency_key: String::new(),
            year: year("2015-16"),
            number: 1,
            text: "again".into(),
            evidence_ids: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    let err = admin
        .add_challenge(pb::AddChallengeRequest {
            idempotency_key: String::new(),
            year: year("2015-16"),
            number: 0,
            text: String::new(),
            evidence_ids: vec!["nonsense".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), ["text", "evidence_ids[0]"]);

    let progress =
        |id: i64, y: &str, status: &str, note: &str, on: &str| pb::RecordChallengeProgressRequest {
            idempotency_key: String::new(),
            challenge_id: id,
            year: year(y),
            status: status.into(),
            note: note.into(),
            recorded_on: on.into(),
        };
    let err = admin
        .record_challenge_progress(progress(c1.id, "2015-16", "in_progress", "too early", ""))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let c = admin
        .record_challenge_progress(progress(
            c1.id,
            "2016-17",
            "in_progress",
            "Practice standards launched in September",
            "2017-05-02",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(c.progress.len(), 1);
    let err = admin
        .record_challenge_progress(progress(999_999, "2016-17", "achieved", "x", ""))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    let err = admin
        .add_pledge(pb::AddPledgeRequest {
            idempotency_key: String::new(),
            plan_year: year("2016-17"),
            priority: "We run safe systems".into(),
            number: 0,
            text: "Re-referrals reduce".into(),
            targets: vec![
                target("CP-REREF", "shrink", None),
                target("", "at_most", None),
            ],
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&err),
        [
            "targets[0].expectation",
            "targets[1].indicator_code",
            "targets[1].target"
        ]
    );
    let pledges = [
        (
            "The number of re-referrals and children made subject to a protection plan for the second time are both reducing year on year.",
            vec![
                target("CP-REREF", "decrease", None),
                target("CP-SECOND", "decrease", None),
            ],
        ),
        (
            "Early help assessments reach 3,000 a year.",
            vec![target("EH-ASSESS", "at_least", Some("3000"))],
        ),
    ];
    for (text, targets) in pledges {
        admin
            .add_pledge(pb::AddPledgeRequest {
                idempotency_key: String::new(),
                plan_year: year("2016-17"),
                priority: "We run safe systems".into(),
                number: 0,
                text: text.into(),
                targets,
            })
            .await
            .unwrap();
    }
    let listed = admin
        .list_pledges(pb::ListPledgesRequest {
            plan_year: year("2016-17"),
        })
        .await
        .unwrap()
        .into_inner()
        .pledges;
    assert_eq!(listed.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2]);

    // The 2015-16 report lists the challenge and next year's pledges.
    let a = admin
        .get_analysis(pb::GetAnalysisRequest {
            year: year("2015-16"),
            facts_json: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a.challenges.len(), 2);
    assert_eq!(a.next_pledges.len(), 2);
    assert!(
        a.answers
            .iter()
            .all(|x| x.judgement == "not_enough_evidence")
    );

    // A year on: re-referrals fell, second plans rose, early help met its target.
    let facts_2016_17 = r#"{"year": "2016-17", "indicators": [
        {"code": "CP-REREF", "title": "Re-referrals", "value": "21", "previous": "24", "previous_period": "2015-16",
         "source": {"service": "indicators", "record": "CP-REREF", "period": "2016-17"}},
        {"code": "CP-SECOND", "title": "Second child protection plans", "value": "15", "previous": "14", "previous_period": "2015-16",
         "source": {"service": "indicators", "record": "CP-SECOND", "period": "2016-17"}},
        {"code": "EH-ASSESS", "title": "Early help assessments", "value": "3200",
         "source": {"service": "indicators", "record": "EH-ASSESS", "period": "2016-17"}}]}"#;
    let a = client(server.reader().await)
        .get_analysis(pb::GetAnalysisRequest {
            year: year("2016-17"),
            facts_json: facts_2016_17.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let outcomes: Vec<&str> = a
        .pledges_evaluated
        .iter()
        .map(|p| p.outcome.as_str())
        .collect();
    assert_eq!(outcomes, ["not_met", "met"]);
    assert!(
        a.pledges_evaluated[0].why.contains(
            "Second child protection plans (CP-SECOND) was 15 in 2016-17 against 14 in 2015-16: expected to decrease on the previous year (not met)"
        ),
        "{}",
        a.pledges_evaluated[0].why
    );
    assert_eq!(a.challenge_reviews.len(), 2);
    let r = &a.challenge_reviews[0];
    assert!(
        r.summary.contains("Reported in progress on 2017-05-02"),
        "{}",
        r.summary
    );
    assert_eq!(r.evidence_now.len(), 2);
    assert_eq!(r.evidence_now.iter().filter(|e| e.still_against).count(), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn challenges_and_pledges_on_sqlite() {
    challenges_and_pledges(lscb_platform::testing::sqlite_memory().await).await;
}

#[tokio::test]
async fn challenges_and_pledges_on_postgres() {
    if let Some(db) = lscb_platform::testing::postgres_fresh().await {
        challenges_and_pledges(db).await;
    }
}

#[tokio::test]
async fn check_narrative_catches_the_lado_slip_and_get_rules_returns_the_toml() {
    let server = spawn(lscb_platform::testing::sqlite_memory().await).await;
    let mut reader = client(server.reader().await);
    let found = reader
        .check_narrative(pb::CheckNarrativeRequest {
            sections: vec![pb::NarrativeSection {
                title: "LADO".into(),
                markdown: "In 2015/16 the LADO received 1,100 referrals, compared with 1,076 last year and 864 in 2013/14, which represents an increase of 24.5%.\n\nThe LADO received {{indicator:LADO-REF:2015-16}} referrals, 1,100 in all.".into(),
            }],
            facts_json: FACTS_2015_16.into(),
            year: None,
        })
        .await
        .unwrap()
        .into_inner()
        .contradictions;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].typed, "24.5%");
    assert_eq!(
        found[0].stored,
        "+2.2% (1,100 in 2015-16 against 1,076 in 2014-15)"
    );
    assert_eq!(found[0].section, "LADO");

    let err = reader
        .check_narrative(pb::CheckNarrativeRequest {
            sections: vec![],
            facts_json: String::new(),
            year: None,
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), ["sections", "facts_json"]);

    let rules = reader
        .get_rules(pb::GetRulesRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rules.version, "2026.3");
    assert!(rules.toml.contains("max_share_below_good = \"0.5\""));
    server.shutdown().await;
}
