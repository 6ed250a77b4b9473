use serde_json::json;

use super::*;
use crate::analysis::domain::Judgement;
use crate::analysis::rules::QuestionKey;

fn figure(
    code: &str,
    name: &str,
    value: &str,
    previous: &str,
    travel: &str,
    rag: Option<&str>,
    tags: &[&str],
) -> serde_json::Value {
    json!({
        "code": code, "name": name, "unit": "count", "polarity": "lower_is_better",
        "period": "2015-16", "value": value, "previous": previous, "change_pct": null,
        "direction": "up", "travel": travel, "rag": rag, "target": null,
        "benchmarks": [{"name": "England", "value": "20", "period": "2015-16"}],
        "sentence": "", "source": {"service": "indicators", "record": format!("indicator {code}"), "period": "2015-16"},
        "tags": tags,
    })
}

fn avail(data: serde_json::Value) -> serde_json::Value {
    json!({"status": "available", "data": data})
}

/// An assembled 2015-16 report of the fixture partnership.
pub(crate) fn report() -> m::Report {
    let v = json!({
        "schema_version": 1,
        "partnership": {"id": "bscb", "name": "Birmingham Safeguarding Children Board", "local_authority": "Birmingham City Council", "region": "West Midlands"},
        "year": "2015-16", "year_label": "2015/16", "previous_year": "2014-15",
        "generated_at": "2016-06-30T10:00:00Z", "complete": false,
        "sources": [
            {"source": "indicators", "ok": true}, {"source": "audits", "ok": true},
            {"source": "training", "ok": true}, {"source": "finance", "ok": false, "error": "deadline exceeded"}
        ],
        "narrative": {
            "priority.safe_systems": {"section": "priority.safe_systems", "version": 2,
                "markdown": "In 2015/16 the LADO received 1,100 referrals, compared with 1,076 last year and 864 in 2013/14, which represents an increase of 24.5%."}
        },
        "part1": {"key_facts": avail(json!([figure("LADO-REF", "LADO referrals", "1100", "1076", "not_applicable", None, &[])]))},
        "part2": {
            "priorities": [{
                "key": "safe_systems", "title": "We run safe systems",
                "how_much": avail(json!([figure("CP-REREF", "Re-referrals", "24", "22", "worsening", Some("red"), &["child_protection"])])),
                "how_well": avail(json!([figure("CP-SECOND", "Second child protection plans", "14", "17", "improving", Some("green"), &[])])),
                "audits": avail(json!([])), "training": avail(json!([])),
                "actions": avail(json!([{"reference": "MASH-3", "title": "MASH screening tool", "status": "open", "due": "2015-12-31", "overdue": true, "owner": "BCC-PEOPLE"}]))
            }],
            "audits": avail(json!([{"reference": "CP-2015", "title": "Child protection case files", "kind": "multi_agency", "cases": 10, "requiring_improvement": 7, "sentence": "", "source": {"service": "audits", "record": "audit CP-2015", "period": "2015-16"}}])),
            "inspections": avail(json!([])),
            "section11": avail(json!({"expected": 3, "returned": 2, "rows": [
                {"agency": "WMP", "agency_name": "West Midlands Police", "rating": "good", "assurance_letter": true},
                {"agency": "BCH", "agency_name": "Birmingham Children's Hospital", "rating": "good", "assurance_letter": false}
            ], "missing": ["NHSE"], "sentence": ""})),
            "section175": avail(json!({"schools_expected": 440, "returned": 418, "completion_pct": "95", "sentence": ""})),
            "vulnerable_groups": avail(json!([]))
        },
        "part3": {
            "attendance": avail(json!({"forums": ["Board", "Exec"], "rows": [
                {"agency": "WMP", "agency_name": "West Midlands Police", "cells": [{"rating": "green", "meetings": 6, "attended_named": 6, "attended_any": 6}, null]},
                {"agency": "WMAS", "agency_name": "West Midlands Ambulance Service", "cells": [{"rating": "red", "meetings": 6, "attended_named": 2, "attended_any": 3}, null]}
            ]})),
            "business_plan": avail(json!([])),
            "finance": {"status": "unavailable", "source": "finance", "reason": "deadline exceeded"},
            "training": avail(json!({"courses": 203, "places": 4489, "attended": 4040, "utilisation_pct": "90",
                "reach": [{"programme": "Right Service Right Time", "target": 15017, "trained": 5580, "pct": "37", "sentence": ""}],
                "trend": [], "sentences": [], "source": {"service": "training", "record": "training year", "period": "2015-16"}})),
            "learning_reviews": avail(json!([{"reference": "SCR-7", "title": "Child N", "kind": "scr", "status": "open", "recommendations": 8, "actions_complete": 3, "actions_open": 5, "actions_overdue": 2}]))
        },
        "part4": null,
        "part5": {"glossary": [], "completeness": avail(json!([]))}
    });
    serde_json::from_value(v).expect("fixture report")
}

#[test]
fn facts_are_read_from_every_part_of_the_report() {
    let f = facts_from_report(&report());
    assert_eq!(f.year, "2015-16");
    let codes: Vec<(&str, Vec<String>)> = f
        .indicators
        .iter()
        .map(|i| (i.code.as_str(), i.tags.clone()))
        .collect();
    assert_eq!(
        codes,
        [
            ("LADO-REF", vec!["context".to_string()]),
            (
                "CP-REREF",
                vec!["child_protection".to_string(), "safe_systems".to_string()]
            ),
            ("CP-SECOND", vec!["safe_systems".to_string()]),
        ]
    );
    let reref = f.indicator("CP-REREF").unwrap();
    assert_eq!(reref.direction, Some(Direction::Declining));
    assert_eq!(reref.rag, Some(Rag::Red));
    // Lower is better: 24 against England's 20 is worse; 14 is better.
    assert_eq!(reref.vs_england, Some(Comparison::Worse));
    assert_eq!(
        f.indicator("CP-SECOND").unwrap().vs_england,
        Some(Comparison::Better)
    );
    assert_eq!(reref.previous_period.as_deref(), Some("2014-15"));
    assert_eq!(f.audits[0].requiring_improvement, 7);
    let s11: Vec<(&str, bool, bool)> = f
        .statutory_agencies
        .iter()
        .map(|s| (s.agency.as_str(), s.section11_return, s.assurance_letter))
        .collect();
    assert_eq!(
        s11,
        [
            ("WMP", true, true),
            ("BCH", true, false),
            ("NHSE", false, true)
        ]
    );
    assert_eq!(f.section175.as_ref().unwrap().returned, 418);
    assert_eq!(f.attendance.len(), 2);
    assert_eq!(f.overdue_actions.len(), 2);
    assert_eq!(f.overdue_actions[0].days_overdue, Some(91)); // 31 Dec to 31 Mar
    assert_eq!(f.overdue_actions[1].origin, ActionOrigin::LearningReview);
    assert!(f.finance.is_none(), "the finance service failed");
    assert_eq!(f.training_reach[0].trained, 5580);
}

#[test]
fn the_assembled_reports_part4_answers_every_question_and_catches_the_lado_slip() {
    let p = analyse(&report(), &Rules::default_rules(), &Authored::default());
    assert_eq!(p.answers.len(), 5);
    // Re-referrals and second plans are the report's only safety measures: two subjects,
    // each one vote, are too few to judge (missing data is not counted against).
    assert_eq!(
        p.answer(QuestionKey::Safer).derived,
        Judgement::NotEnoughEvidence
    );
    let assurance = p.answer(QuestionKey::Assurance);
    assert_eq!(assurance.derived, Judgement::NotSufficient);
    let wrong = crate::analysis::narrative::contradictions(&p.narrative_checks);
    assert_eq!(wrong.len(), 1, "{wrong:#?}");
    assert_eq!(wrong[0].typed, "24.5%");
    assert_eq!(wrong[0].section, "priority.safe_systems");
    assert!(
        wrong[0].measure.ends_with("(change on 2014-15)"),
        "{:?}",
        wrong[0]
    );

    let v = part4_value(&p);
    // The structured results sit beside the blocks in the report's JSON.
    let checks = v["narrative_checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c["verdict"] == "contradicted" && c["typed"] == "24.5%")
    );
    assert!(
        checks.iter().any(|c| c["verdict"] == "consistent"),
        "{checks:?}"
    );
    assert_eq!(v["judgements"][1]["question"], "safer");
    let blocks: Vec<&str> = v["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();
    assert_eq!(blocks[0], "### Answers to the key questions");
    assert!(
        blocks[2].starts_with("#### Are children safer?\n\n**Not enough evidence**"),
        "{}",
        blocks[2]
    );
    assert!(
        blocks[2].contains("| Against | Re-referrals is off target (red): 24"),
        "{}",
        blocks[2]
    );
    let all = blocks.join("\n\n");
    assert!(all.contains("### Summary, conclusions and sufficiency statement"));
    assert!(all.contains("### Narrative checks"));
    assert!(
        all.contains("| 24.5% | +2.2% (1,100 in 2015-16 against 1,076 in 2014-15) |"),
        "{all}"
    );
    // Ids and docs references live in the appendix, not the body.
    assert!(!all.contains("docs/"), "{all}");
    assert!(all.contains("### Appendix to Part 4: the evidence records"));
}

#[tokio::test]
async fn part4_for_report_uses_the_stored_override_and_pledges() {
    for (name, db) in lscb_platform::testing::databases().await {
        crate::migrate(&db).await.unwrap();
        let store = Store::new(db.clone());
        store
            .add_override(
                "bscb",
                &crate::analysis::Override {
                    year: "2015-16".into(),
                    question: Some(QuestionKey::Safer),
                    judgement: Judgement::PartlySufficient,
                    rationale: "The MASH rebuild explains the rise".into(),
                    author: "chair".into(),
                    decided_on: NaiveDate::from_ymd_opt(2016, 7, 12).unwrap(),
                },
            )
            .await
            .unwrap();
        store
            .add_pledge(
                "bscb",
                &crate::analysis::Pledge {
                    id: 0,
                    plan_year: "2016-17".into(),
                    priority: "We run safe systems".into(),
                    number: 0,
                    text: "Re-referrals reduce year on year.".into(),
                    targets: vec![crate::analysis::PledgeTarget {
                        indicator: "CP-REREF".into(),
                        expectation: crate::analysis::Expectation::Decrease,
                    }],
                    author: "chair".into(),
                },
            )
            .await
            .unwrap();
        let v = part4_for_report(&db, &report()).await.unwrap();
        let all: String = v["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n\n");
        assert!(all.contains("**Partly sufficient** — the board's judgement of partly sufficient, made on 2016-07-12 (chair); the rules derived *not enough evidence*. Rationale: The MASH rebuild explains the rise"), "{name}: {all}");
        assert!(all.contains("By 2017 we will know that:\n\n1. Re-referrals reduce year on year. _(measured by: CP-REREF to decrease on the previous year)_"), "{name}: {all}");
    }
}
