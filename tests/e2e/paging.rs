//! Every list the aggregator reads is read to its end: a partnership with more actions than
//! one page of the audits service (at most 1,000) gets every one of them in its report.

use lscb_cli::seed_clients::{Clients, Target};
use lscb_e2e::TestApp;
use lscb_proto::audits::v1 as au;
use lscb_proto::common::v1::{PageRequest, Period};
use lscb_proto::report::v1 as rep;

/// More than one page.
const ACTIONS: usize = 1_234;

#[tokio::test]
async fn more_actions_than_one_page_all_reach_the_report() {
    let app = TestApp::spawn().await;
    let c = Clients::connect(&Target {
        token: app.admin(),
        aggregator_url: format!("http://{}", app.aggregator),
        indicators_url: format!("http://{}", app.indicators),
        audits_url: format!("http://{}", app.audits),
        training_url: format!("http://{}", app.training),
        finance_url: format!("http://{}", app.finance),
    })
    .await
    .unwrap();
    let audit = c
        .audits
        .clone()
        .create_audit(au::CreateAuditRequest {
            audit: Some(au::Audit {
                r#type: au::AuditType::MultiAgencyCaseFile as i32,
                title: "Child protection case files".into(),
                strategic_priority: "Voice of the Child".into(),
                period: Some(Period {
                    code: "2015-16".into(),
                }),
                status: au::AuditStatus::InProgress as i32,
                ..Default::default()
            }),
            idempotency_key: "paging-audit".into(),
        })
        .await
        .unwrap()
        .into_inner();
    // One graded case, so that the year holds data to report.
    c.audits
        .clone()
        .submit_case_reviews(au::SubmitCaseReviewsRequest {
            audit_id: audit.id.clone(),
            case_reviews: vec![au::CaseReview {
                case_reference: "CP-001".into(),
                agencies: vec!["WMP".into()],
                overall_grade: au::Grade::Good as i32,
                ..Default::default()
            }],
            idempotency_key: "paging-case".into(),
        })
        .await
        .unwrap();
    c.actions
        .clone()
        .add_recommendation(au::AddRecommendationRequest {
            source_kind: au::SourceKind::Audit as i32,
            source_id: audit.id.clone(),
            recommendation: Some(au::Recommendation {
                text: "Record the voice of the child in every plan".into(),
                actions: (0..ACTIONS)
                    .map(|i| au::ActionInput {
                        description: format!("Action {i:04}"),
                        owner_agency: "WMP".into(),
                        due_date: "2016-03-31".into(),
                    })
                    .collect(),
                ..Default::default()
            }),
            idempotency_key: "paging-actions".into(),
        })
        .await
        .unwrap();

    // The service answers at most 1,000 at a time and says there is more.
    let first = c
        .actions
        .clone()
        .list_actions(au::ListActionsRequest {
            page: Some(PageRequest {
                page_size: 1000,
                page_token: String::new(),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.actions.len(), 1000);
    assert!(!first.page.unwrap().next_page_token.is_empty());

    // The report has every action, each once.
    let json = c
        .report
        .clone()
        .assemble_report(rep::AssembleReportRequest {
            year: "2015-16".into(),
            format: rep::ReportFormat::Json as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .content;
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let voice = report["part2"]["priorities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "voice_of_the_child")
        .unwrap();
    let actions = voice["actions"]["data"].as_array().unwrap();
    let mut titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), ACTIONS);
    assert_eq!(titles.first(), Some(&"Action 0000"));
    assert_eq!(titles.last(), Some(&"Action 1233"));
    app.shutdown().await;
}
