//! The rules checked against constructed boards with a known answer: a strong board is
//! sufficient, a weak one not sufficient, a mixed one partly sufficient, one with most data
//! missing has not enough evidence; and changing a threshold in the rules file moves the
//! outcome the way the rules' comments (and docs/sufficiency.md) say.

use rust_decimal::Decimal;

use super::*;

use crate::analysis::rules::DEFAULT_RULES_TOML;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Strong,
    Weak,
    Mixed,
}

fn src(service: &str, record: &str) -> SourceRef {
    SourceRef::new(service, record, "2015-16")
}

fn indicator(code: &str, tag: &str, good: bool) -> IndicatorFact {
    IndicatorFact {
        code: code.into(),
        title: format!("Measure {code}"),
        tags: vec![tag.into()],
        value: Some(Decimal::from(if good { 90 } else { 60 })),
        target: Some(Decimal::from(80)),
        england: Some(Decimal::from(75)),
        rag: Some(if good { Rag::Green } else { Rag::Red }),
        vs_england: Some(if good {
            Comparison::Better
        } else {
            Comparison::Worse
        }),
        direction: Some(if good {
            Direction::Improving
        } else {
            Direction::Declining
        }),
        unit: Some(Unit::Percent),
        source: src("indicators", &format!("indicator {code}")),
        ..Default::default()
    }
}

/// A board of the given kind: four measures for each key question (the mixed board's half
/// good, half bad), audits, Section 11 returns, training and the budget to match, and
/// context facts against England for "growing up here".
fn board(kind: Kind) -> Facts {
    let good = |i: usize| match kind {
        Kind::Strong => true,
        Kind::Weak => false,
        Kind::Mixed => i.is_multiple_of(2),
    };
    let mut indicators = vec![];
    for tag in [
        "outcomes",
        "child_protection",
        "early_help",
        "assurance",
        "workforce",
    ] {
        for i in 0..4 {
            indicators.push(indicator(&format!("{tag}.{i}"), tag, good(i)));
        }
    }
    for (i, (title, v)) in [
        ("Children in poverty", 20),
        ("Children in care per 10,000 children", 50),
    ]
    .into_iter()
    .enumerate()
    {
        let harder = !good(i);
        indicators.push(IndicatorFact {
            code: format!("CTX.{i}"),
            title: title.into(),
            tags: vec!["context".into()],
            value: Some(Decimal::from(if harder { v * 2 } else { v / 2 })),
            england: Some(Decimal::from(v)),
            unit: Some(Unit::Count),
            source: src("indicators", &format!("indicator CTX.{i}")),
            ..Default::default()
        });
    }
    let audits = (0..2)
        .map(|i| AuditFact {
            id: format!("A{i}"),
            title: format!("Audit {i}"),
            cases: 10,
            requiring_improvement: if good(i) { 2 } else { 8 },
            source: src("audits", &format!("audit/A{i}")),
            ..Default::default()
        })
        .collect();
    // The mixed board: one agency of four without its returns (the three with every return
    // make one item for, the gap one against, of the same weight).
    let returned = |i: usize| match kind {
        Kind::Strong => true,
        Kind::Weak => false,
        Kind::Mixed => i != 1,
    };
    let statutory_agencies = (0..4)
        .map(|i| StatutoryAgencyFact {
            agency: format!("AG{i}"),
            name: format!("Agency {i}"),
            section11_return: returned(i),
            annual_report: true,
            assurance_letter: returned(i),
            source: src("audits", &format!("section11/AG{i}")),
        })
        .collect();
    Facts {
        year: "2015-16".into(),
        indicators,
        audits,
        statutory_agencies,
        finance: Some(FinanceFact {
            budget_pence: 10_000_000,
            expenditure_pence: if kind == Kind::Weak {
                12_000_000
            } else {
                9_000_000
            },
            source: src("finance", "budget year"),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn judgements(p: &Part4) -> Vec<Judgement> {
    p.answers.iter().map(|a| a.judgement).collect()
}

#[test]
fn a_strong_board_is_sufficient() {
    let p = evaluate(&board(Kind::Strong), &Rules::default_rules());
    assert_eq!(judgements(&p), [Judgement::Sufficient; 5]);
    assert_eq!(p.overall, Judgement::Sufficient);
    assert!(
        p.statement.contains("judged **sufficient**"),
        "{}",
        p.statement
    );
}

#[test]
fn a_weak_board_is_not_sufficient() {
    let p = evaluate(&board(Kind::Weak), &Rules::default_rules());
    assert_eq!(judgements(&p), [Judgement::NotSufficient; 5]);
    assert_eq!(p.overall, Judgement::NotSufficient);
}

#[test]
fn a_mixed_board_is_partly_sufficient() {
    let p = evaluate(&board(Kind::Mixed), &Rules::default_rules());
    assert_eq!(
        p.overall,
        Judgement::PartlySufficient,
        "{:?}",
        judgements(&p)
    );
    assert!(
        judgements(&p)
            .iter()
            .all(|j| *j == Judgement::PartlySufficient),
        "{:?}",
        judgements(&p)
    );
}

#[test]
fn a_board_with_most_data_missing_has_not_enough_evidence() {
    let mut facts = board(Kind::Weak);
    // Every indicator but one has no value for the year; no audits, returns or budget.
    for i in facts.indicators.iter_mut().skip(1) {
        i.value = None;
    }
    facts.audits.clear();
    facts.statutory_agencies.clear();
    facts.finance = None;
    let p = evaluate(&facts, &Rules::default_rules());
    assert_eq!(judgements(&p), [Judgement::NotEnoughEvidence; 5]);
    assert_eq!(p.overall, Judgement::NotEnoughEvidence);
    // Missing data is never evidence against.
    assert!(p.evidence.len() <= 1, "{:?}", p.evidence);
    assert!(
        p.statement
            .contains("missing data is never counted against the board")
    );
}

#[test]
fn raising_the_sufficient_threshold_turns_a_mixed_board_sufficient() {
    // The rules file: "Weighted share of the evidence that counts against, at or below
    // which the answer is sufficient". The mixed board has half its weight against; at 0.5
    // every question is sufficient.
    let toml = DEFAULT_RULES_TOML
        .replace(
            "sufficient_max_against = \"0.25\"",
            "sufficient_max_against = \"0.5\"",
        )
        .replace(
            "not_sufficient_above_against = \"0.5\"",
            "not_sufficient_above_against = \"0.6\"",
        );
    assert_ne!(toml, DEFAULT_RULES_TOML);
    let rules = Rules::from_toml_str(&toml).unwrap();
    let p = evaluate(&board(Kind::Mixed), &rules);
    assert_eq!(judgements(&p), [Judgement::Sufficient; 5]);
    assert_eq!(p.overall, Judgement::Sufficient);
}

#[test]
fn raising_min_evidence_turns_a_strong_board_into_not_enough_evidence() {
    // "Fewer evidence items than this for a question: not enough evidence".
    let toml = DEFAULT_RULES_TOML.replace("min_evidence = 3", "min_evidence = 50");
    let rules = Rules::from_toml_str(&toml).unwrap();
    let p = evaluate(&board(Kind::Strong), &rules);
    assert_eq!(judgements(&p), [Judgement::NotEnoughEvidence; 5]);
    assert_eq!(p.overall, Judgement::NotEnoughEvidence);
}

#[test]
fn an_indicator_read_three_ways_is_one_vote_with_its_readings_listed() {
    let p = evaluate(&board(Kind::Weak), &Rules::default_rules());
    let safer = p.answer(QuestionKey::Safer);
    // Four indicators, each red, declining and worse than England: four votes, not twelve.
    assert_eq!(safer.evidence.len(), 4, "{:?}", safer.evidence);
    assert_eq!(safer.weight_against, 4);
    let first = &safer.evidence[0];
    assert_eq!(first.rule, "indicator_rag");
    assert_eq!(
        first.reason,
        "Measure child_protection.0 is off target (red): 60% against a target of 80%"
    );
    assert_eq!(first.also.len(), 2);
}

#[test]
fn growing_up_here_is_judged_from_the_context_against_england() {
    let p = evaluate(&board(Kind::Strong), &Rules::default_rules());
    let life = p.answer(QuestionKey::ChildLife);
    assert!(
        life.evidence.iter().any(|e| e.rule == "context"
            && e.reason == "Children in poverty is 10, well below England's 20"),
        "{:?}",
        life.evidence
    );
    let weak = evaluate(&board(Kind::Weak), &Rules::default_rules());
    assert!(
        weak.answer(QuestionKey::ChildLife)
            .evidence
            .iter()
            .any(|e| e.rule == "context"
                && e.stance == Stance::Against
                && e.reason
                    == "Children in care per 10,000 children is 100, well above England's 50")
    );
}
