use std::str::FromStr;

use super::*;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn src(service: &str, record: &str) -> SourceRef {
    SourceRef::new(service, record, "2015-16")
}

fn rules() -> Rules {
    Rules::default_rules()
}

fn indicator(code: &str, tags: &[&str]) -> IndicatorFact {
    IndicatorFact {
        code: code.into(),
        title: format!("Indicator {code}"),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        value: Some(d("10")),
        source: src("indicators", code),
        ..Default::default()
    }
}

/// (evidence items of the facts, as (question, rule, stance) triples, and their reasons).
fn run(facts: &Facts) -> Vec<(QuestionKey, String, Stance, String)> {
    collect_evidence(facts, &rules())
        .into_iter()
        .map(|e| (e.question, e.rule, e.stance, e.reason))
        .collect()
}

#[test]
fn default_rules_parse_and_are_versioned() {
    let r = rules();
    assert_eq!(r.version, "2026.3");
    assert_eq!(r.judgement.min_evidence, 3);
    assert_eq!(r.rules.audit_quality.max_share_below_good, d("0.5"));
    assert_eq!(r.title(QuestionKey::Safer), "Are children safer?");
}

#[test]
fn bad_rules_are_refused_with_a_reason() {
    let broken = DEFAULT_RULES_TOML_FOR_TEST.replace(
        "sufficient_max_against = \"0.25\"",
        "sufficient_max_against = \"0.75\"",
    );
    let e = Rules::from_toml_str(&broken).unwrap_err().to_string();
    assert!(
        e.contains("sufficient_max_against < not_sufficient_above_against"),
        "{e}"
    );
    let e = Rules::from_toml_str("version = \"x\"")
        .unwrap_err()
        .to_string();
    assert!(e.contains("sufficiency rules"), "{e}");
}

const DEFAULT_RULES_TOML_FOR_TEST: &str = crate::analysis::rules::DEFAULT_RULES_TOML;

#[test]
fn indicator_rules_table() {
    struct Case {
        name: &'static str,
        edit: fn(&mut IndicatorFact),
        want: Vec<(&'static str, Stance, &'static str)>,
    }
    let cases = vec![
        Case {
            name: "red is against, with value and target",
            edit: |i| {
                i.rag = Some(Rag::Red);
                i.target = Some(d("15"));
            },
            want: vec![(
                "indicator_rag",
                Stance::Against,
                "off target (red): 10 against a target of 15",
            )],
        },
        Case {
            name: "green is for",
            edit: |i| i.rag = Some(Rag::Green),
            want: vec![("indicator_rag", Stance::For, "on target (green)")],
        },
        Case {
            name: "amber is neutral by default",
            edit: |i| i.rag = Some(Rag::Amber),
            want: vec![],
        },
        Case {
            name: "declining is against, with last year's figure",
            edit: |i| {
                i.direction = Some(Direction::Declining);
                i.previous = Some(d("8"));
                i.previous_period = Some("2014-15".into());
            },
            want: vec![(
                "indicator_direction",
                Stance::Against,
                "getting worse: 10 (8 in 2014-15)",
            )],
        },
        Case {
            name: "improving is for",
            edit: |i| i.direction = Some(Direction::Improving),
            want: vec![("indicator_direction", Stance::For, "is improving")],
        },
        Case {
            name: "stable is neutral",
            edit: |i| i.direction = Some(Direction::Stable),
            want: vec![],
        },
        Case {
            // One indicator, one vote: the two readings tie and England outranks the
            // neighbours; the neighbours' reading is listed under it.
            name: "worse than England and better than neighbours",
            edit: |i| {
                i.vs_england = Some(Comparison::Worse);
                i.vs_neighbours = Some(Comparison::Better);
            },
            want: vec![(
                "indicator_benchmark_england",
                Stance::Against,
                "worse than England",
            )],
        },
        Case {
            name: "no RAG, direction or benchmark: no evidence",
            edit: |_| {},
            want: vec![],
        },
    ];
    for c in cases {
        let mut i = indicator("CP-REREF", &["child_protection"]);
        (c.edit)(&mut i);
        let got = run(&Facts {
            year: "2015-16".into(),
            indicators: vec![i],
            ..Default::default()
        });
        assert_eq!(got.len(), c.want.len(), "{}: {got:?}", c.name);
        for (g, w) in got.iter().zip(&c.want) {
            assert_eq!(g.0, QuestionKey::Safer, "{}", c.name);
            assert_eq!(g.1, w.0, "{}", c.name);
            assert_eq!(g.2, w.1, "{}", c.name);
            assert!(
                g.3.contains(w.2),
                "{}: reason {:?} lacks {:?}",
                c.name,
                g.3,
                w.2
            );
        }
    }
}

#[test]
fn indicators_inform_the_questions_their_tags_map_to() {
    let mut i = indicator("EH-ASSESS", &["early_help", "outcomes", "unmapped"]);
    i.rag = Some(Rag::Red);
    let got = run(&Facts {
        indicators: vec![i],
        ..Default::default()
    });
    let qs: Vec<QuestionKey> = got.iter().map(|g| g.0).collect();
    assert_eq!(qs, [QuestionKey::ChildLife, QuestionKey::Progress]);
}

#[test]
fn audit_quality_table() {
    // (cases, requiring improvement, inadequate, stance, reason fragment)
    let cases: Vec<(u32, u32, u32, Option<Stance>, &str)> = vec![
        (10, 7, 0, Some(Stance::Against), "7 of 10 cases (70%)"),
        (10, 4, 2, Some(Stance::Against), "6 of 10 cases (60%)"),
        (
            10,
            5,
            0,
            Some(Stance::For),
            "5 of 10 cases (50%) graded requiring improvement or inadequate, within",
        ),
        (12, 1, 0, Some(Stance::For), "1 of 12 cases (8%)"),
        (0, 0, 0, None, ""),
    ];
    for (n, ri, inad, stance, frag) in cases {
        let facts = Facts {
            audits: vec![AuditFact {
                id: "a1".into(),
                title: "CP case file audit".into(),
                cases: n,
                requiring_improvement: ri,
                inadequate: inad,
                source: src("audits", "audit/1"),
                ..Default::default()
            }],
            ..Default::default()
        };
        let got = run(&facts);
        match stance {
            None => assert!(got.is_empty(), "{got:?}"),
            Some(s) => {
                assert_eq!(got.len(), 1);
                assert_eq!(got[0].0, QuestionKey::Assurance);
                assert_eq!(got[0].2, s, "{n}/{ri}/{inad}");
                assert!(got[0].3.contains(frag), "{}", got[0].3);
            }
        }
    }
}

#[test]
fn statutory_returns_table() {
    let cases = vec![
        (
            (true, true, true),
            Stance::For,
            "1 of 1 statutory partners provided every required assurance return (WMP)",
        ),
        (
            (false, true, true),
            Stance::Against,
            "without a Section 11 return",
        ),
        (
            (false, false, false),
            Stance::Against,
            "without a Section 11 return, an annual report and an assurance letter",
        ),
        (
            (true, true, false),
            Stance::Against,
            "without an assurance letter",
        ),
    ];
    for ((s11, ar, al), stance, frag) in cases {
        let facts = Facts {
            statutory_agencies: vec![StatutoryAgencyFact {
                agency: "WMP".into(),
                name: "West Midlands Police".into(),
                section11_return: s11,
                annual_report: ar,
                assurance_letter: al,
                source: src("audits", "section11/WMP"),
            }],
            ..Default::default()
        };
        let got = run(&facts);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].2, stance);
        assert!(got[0].3.contains(frag), "{}", got[0].3);
        if stance == Stance::Against {
            // Agencies are named by code only.
            assert!(
                got[0].3.starts_with("WMP is a statutory partner"),
                "{}",
                got[0].3
            );
        }
    }
}

#[test]
fn overdue_actions_table() {
    let cases = vec![
        (ActionOrigin::Audit, 45, Some(QuestionKey::Assurance)),
        (ActionOrigin::Inspection, 90, Some(QuestionKey::Assurance)),
        (ActionOrigin::LearningReview, 31, Some(QuestionKey::Impact)),
        (ActionOrigin::BusinessPlan, 200, Some(QuestionKey::Progress)),
        (ActionOrigin::Section11, 10, None), // within the month's grace
    ];
    for (origin, days, q) in cases {
        let facts = Facts {
            overdue_actions: vec![OverdueActionFact {
                id: "act-1".into(),
                description: "Refresh the CSE screening tool".into(),
                origin,
                agency: "BCC-PEOPLE".into(),
                days_overdue: Some(days),
                source: src("audits", "action/1"),
            }],
            ..Default::default()
        };
        let got = run(&facts);
        match q {
            None => assert!(got.is_empty(), "{origin:?}"),
            Some(q) => {
                assert_eq!(got.len(), 1);
                assert_eq!((got[0].0, got[0].2), (q, Stance::Against));
                assert!(
                    got[0].3.contains(&format!("{days} days overdue")),
                    "{}",
                    got[0].3
                );
            }
        }
    }
}

#[test]
fn section175_table() {
    for (expected, returned, stance, frag) in [
        (400, 380, Stance::For, "380 of 400 schools (95%)"),
        (
            400,
            300,
            Stance::Against,
            "300 of 400 schools (75%) returned their Section 175 self-assessment, below the expected 90%",
        ),
        (400, 360, Stance::For, "(90%)"),
    ] {
        let facts = Facts {
            section175: Some(Section175Fact {
                schools_expected: expected,
                returned,
                source: src("audits", "s175/2015-16"),
            }),
            ..Default::default()
        };
        let got = run(&facts);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].2, stance, "{returned}");
        assert!(got[0].3.contains(frag), "{}", got[0].3);
    }
}

#[test]
fn training_table() {
    // Right Service Right Time: 5,580 of 15,017 (37%) is below 75% of target.
    let facts = Facts {
        training_reach: vec![
            TrainingReachFact {
                programme: "Right Service Right Time".into(),
                trained: 5580,
                target: 15017,
                source: src("training", "target/RSRT"),
            },
            TrainingReachFact {
                programme: "CSE awareness".into(),
                trained: 800,
                target: 1000,
                source: src("training", "target/CSE"),
            },
        ],
        training_delivery: Some(TrainingDeliveryFact {
            courses: 203,
            places: 4489,
            utilisation: d("90"),
            previous_utilisation: Some(d("88")),
            source: src("training", "delivery/2015-16"),
        }),
        ..Default::default()
    };
    let got = run(&facts);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].2, Stance::Against);
    assert!(
        got[0].3.contains(
            "Right Service Right Time: 5,580 of 15,017 trained (37%), below 75% of target"
        ),
        "{}",
        got[0].3
    );
    assert_eq!(got[1].2, Stance::For);
    assert_eq!(got[2].2, Stance::For);
    assert!(
        got[2]
            .3
            .contains("203 courses, 4,489 places: utilisation 90%"),
        "{}",
        got[2].3
    );

    for (now, before, frag) in [
        ("70", "72", "utilisation 70% is below 80%"),
        ("85", "95", "utilisation fell from 95% to 85%"),
    ] {
        let facts = Facts {
            training_delivery: Some(TrainingDeliveryFact {
                courses: 1,
                places: 10,
                utilisation: d(now),
                previous_utilisation: Some(d(before)),
                source: src("training", "delivery"),
            }),
            ..Default::default()
        };
        let got = run(&facts);
        assert_eq!(got[0].2, Stance::Against);
        assert!(got[0].3.contains(frag), "{}", got[0].3);
    }
}

#[test]
fn attendance_and_finance_table() {
    let facts = Facts {
        attendance: vec![
            AttendanceFact {
                agency: "WMP".into(),
                rating: AttendanceRating::Green,
                source: src("audits", "attendance/WMP"),
            },
            AttendanceFact {
                agency: "NHSE".into(),
                rating: AttendanceRating::Blue,
                source: src("audits", "attendance/NHSE"),
            },
            AttendanceFact {
                agency: "WMAS".into(),
                rating: AttendanceRating::Red,
                source: src("audits", "attendance/WMAS"),
            },
        ],
        finance: Some(FinanceFact {
            budget_pence: 78_842_900,
            contributions_pence: 67_440_900,
            carry_forward_pence: 10_587_000,
            income_pence: 815_000,
            expenditure_pence: 80_000_000,
            outstanding: vec![("BCH".into(), 500_000), ("WMP".into(), 0)],
            source: src("finance", "budget/2015-16"),
        }),
        ..Default::default()
    };
    let got = run(&facts);
    let stances: Vec<(&str, Stance)> = got.iter().map(|g| (g.1.as_str(), g.2)).collect();
    assert_eq!(
        stances,
        [
            ("attendance", Stance::Against),
            ("attendance", Stance::For),
            ("finance_deficit", Stance::Against),
            ("finance_outstanding", Stance::Against),
        ]
    );
    assert!(got[0].3.contains("WMAS attended fewer than 80%"));
    assert!(
        got[2]
            .3
            .contains("expenditure £800,000 exceeds the budget £788,429: a deficit of £11,571"),
        "{}",
        got[2].3
    );
    assert!(
        got[3]
            .3
            .contains("BCH's agreed contribution has £5,000 outstanding"),
        "{}",
        got[3].3
    );
    assert_eq!(
        got[1].3,
        "2 of 3 members attended 80% or more of board meetings (1 by their named member, 1 with nominated deputies)"
    );
    assert!(got.iter().all(|g| g.0 == QuestionKey::Impact));
}

fn items(n_for: usize, n_against: usize, weight: u32) -> Vec<Evidence> {
    (0..n_for + n_against)
        .map(|i| Evidence {
            id: format!("r:s/{i}"),
            question: QuestionKey::Safer,
            rule: "r".into(),
            stance: if i < n_for {
                Stance::For
            } else {
                Stance::Against
            },
            reason: String::new(),
            weight,
            yardstick: Yardstick::Both,
            source: SourceRef::default(),
            subject: format!("s/{i}"),
            also: vec![],
        })
        .collect()
}

#[test]
fn judgement_thresholds_table() {
    // (for, against, judgement)
    let cases = [
        (0, 2, Judgement::NotEnoughEvidence),
        (2, 0, Judgement::NotEnoughEvidence),
        (3, 0, Judgement::Sufficient),
        (3, 1, Judgement::Sufficient), // 25% against: at the threshold
        (2, 1, Judgement::PartlySufficient), // 33%
        (3, 2, Judgement::PartlySufficient), // 40%
        (2, 2, Judgement::PartlySufficient), // 50%: against does not outweigh for
        (1, 2, Judgement::NotSufficient), // 67%
        (0, 3, Judgement::NotSufficient),
    ];
    for (f, a, want) in cases {
        let ev = items(f, a, 1);
        let refs: Vec<&Evidence> = ev.iter().collect();
        let (j, wf, wa, why) = judge(&refs, &rules());
        assert_eq!(j, want, "{f} for / {a} against: {why}");
        assert_eq!((wf, wa), (f as u32, a as u32));
        assert!(
            why.contains(want.words()) || want == Judgement::NotEnoughEvidence,
            "{why}"
        );
    }
}

#[test]
fn overall_table() {
    use Judgement::*;
    let cases = [
        (
            [Sufficient, Sufficient, Sufficient, Sufficient, Sufficient],
            Sufficient,
        ),
        (
            [
                Sufficient,
                Sufficient,
                Sufficient,
                Sufficient,
                NotEnoughEvidence,
            ],
            Sufficient,
        ),
        (
            [
                Sufficient,
                PartlySufficient,
                Sufficient,
                Sufficient,
                Sufficient,
            ],
            PartlySufficient,
        ),
        (
            [
                Sufficient,
                NotSufficient,
                Sufficient,
                Sufficient,
                Sufficient,
            ],
            PartlySufficient,
        ),
        (
            [
                NotSufficient,
                NotSufficient,
                Sufficient,
                Sufficient,
                Sufficient,
            ],
            NotSufficient,
        ),
        (
            [
                NotEnoughEvidence,
                NotEnoughEvidence,
                NotEnoughEvidence,
                Sufficient,
                Sufficient,
            ],
            NotEnoughEvidence,
        ),
        (
            [
                Sufficient,
                Sufficient,
                Sufficient,
                NotEnoughEvidence,
                NotEnoughEvidence,
            ],
            PartlySufficient,
        ),
    ];
    for (answers, want) in cases {
        assert_eq!(overall(&answers, &rules()), want, "{answers:?}");
    }
}

/// A fixture partnership's year, close to the reference report's 2015-16.
pub(crate) fn fixture_2015_16() -> Facts {
    let mut reref = indicator("CP-REREF", &["child_protection", "safe_systems"]);
    reref.title = "Re-referrals to children's social care".into();
    reref.value = Some(d("24"));
    reref.previous = Some(d("22"));
    reref.previous_period = Some("2014-15".into());
    reref.direction = Some(Direction::Declining);
    reref.vs_england = Some(Comparison::Worse);
    reref.rag = Some(Rag::Red);
    reref.target = Some(d("20"));
    let mut cpp2 = indicator("CP-SECOND", &["child_protection", "safe_systems"]);
    cpp2.title = "Child protection plans for a second or subsequent time".into();
    cpp2.value = Some(d("14"));
    cpp2.previous = Some(d("17"));
    cpp2.previous_period = Some("2014-15".into());
    cpp2.direction = Some(Direction::Improving);
    cpp2.rag = Some(Rag::Green);
    let mut review = indicator("CP-REVIEW", &["child_protection"]);
    review.title = "Child protection reviews in timescale".into();
    review.value = Some(d("88"));
    review.target = Some(d("95"));
    review.rag = Some(Rag::Red);
    let mut lado = indicator("LADO-REF", &["context"]);
    lado.title = "LADO referrals".into();
    lado.value = Some(d("1100"));
    lado.previous = Some(d("1076"));
    lado.previous_period = Some("2014-15".into());
    let mut eh = indicator("EH-ASSESS", &["early_help", "outcomes"]);
    eh.title = "Early help assessments".into();
    eh.value = Some(d("3200"));
    eh.previous = Some(d("2500"));
    eh.previous_period = Some("2014-15".into());
    eh.direction = Some(Direction::Improving);
    eh.vs_neighbours = Some(Comparison::Better);
    Facts {
        year: "2015-16".into(),
        indicators: vec![reref, cpp2, review, lado, eh],
        audits: vec![AuditFact {
            id: "1".into(),
            title: "Child protection case file audit".into(),
            cases: 10,
            requiring_improvement: 7,
            inadequate: 0,
            source: src("audits", "audit/1"),
            ..Default::default()
        }],
        statutory_agencies: vec![
            StatutoryAgencyFact {
                agency: "WMP".into(),
                name: "West Midlands Police".into(),
                section11_return: true,
                annual_report: true,
                assurance_letter: true,
                source: src("audits", "section11/WMP"),
            },
            StatutoryAgencyFact {
                agency: "BCH".into(),
                name: "Birmingham Children's Hospital".into(),
                section11_return: true,
                annual_report: true,
                assurance_letter: true,
                source: src("audits", "section11/BCH"),
            },
            StatutoryAgencyFact {
                agency: "NHSE".into(),
                name: "NHS England".into(),
                section11_return: false,
                annual_report: true,
                assurance_letter: false,
                source: src("audits", "section11/NHSE"),
            },
        ],
        overdue_actions: vec![],
        section175: Some(Section175Fact {
            schools_expected: 440,
            returned: 418,
            source: src("audits", "s175/2015-16"),
        }),
        training_reach: vec![TrainingReachFact {
            programme: "Right Service Right Time".into(),
            trained: 5580,
            target: 15017,
            source: src("training", "target/RSRT"),
        }],
        training_delivery: Some(TrainingDeliveryFact {
            courses: 203,
            places: 4489,
            utilisation: d("90"),
            previous_utilisation: None,
            source: src("training", "delivery/2015-16"),
        }),
        attendance: vec![
            AttendanceFact {
                agency: "WMP".into(),
                rating: AttendanceRating::Green,
                source: src("audits", "attendance/WMP"),
            },
            AttendanceFact {
                agency: "WMAS".into(),
                rating: AttendanceRating::Red,
                source: src("audits", "attendance/WMAS"),
            },
        ],
        finance: Some(FinanceFact {
            budget_pence: 78_842_900,
            contributions_pence: 67_440_900,
            carry_forward_pence: 10_587_000,
            income_pence: 815_000,
            expenditure_pence: 70_000_000,
            outstanding: vec![],
            source: src("finance", "budget/2015-16"),
        }),
    }
}

#[test]
fn end_to_end_on_the_fixture_partnership() {
    let empty = evaluate(
        &Facts {
            year: "2015-16".into(),
            ..Default::default()
        },
        &rules(),
    );
    assert_eq!(empty.overall, Judgement::NotEnoughEvidence);
    assert!(
        empty.statement.starts_with(
            "On the evidence held for 2015/16, there is **not enough evidence** to judge"
        ),
        "{}",
        empty.statement
    );
    assert!(
        empty.answers[0]
            .summary
            .starts_with("No evidence bears on this question")
    );
    let p = evaluate(&fixture_2015_16(), &rules());
    assert_eq!(p.rules_version, "2026.3");
    let got: Vec<(QuestionKey, Judgement)> = p
        .answers
        .iter()
        .map(|a| (a.question, a.judgement))
        .collect();
    assert_eq!(
        got,
        [
            // EH improving and better than neighbours: 2 for, 0 against; below 3 items.
            (QuestionKey::ChildLife, Judgement::NotEnoughEvidence),
            // One vote per indicator: re-referrals (red, declining, worse than England) and
            // reviews (red) against, second plans (green, improving) for: 67%.
            (QuestionKey::Safer, Judgement::NotSufficient),
            // re-referrals against; second plans and early help for: 33%.
            (QuestionKey::Progress, Judgement::PartlySufficient),
            // audit 70% (w2 against), NHSE (w2 against); WMP and BCH as one item (w2 for),
            // S175 95% (w1 for): 4 of 7 = 57%.
            (QuestionKey::Assurance, Judgement::NotSufficient),
            // RSRT 37% against; utilisation for; WMP for; WMAS against; budget for: 2 of 5 = 40%.
            (QuestionKey::Impact, Judgement::PartlySufficient),
        ]
    );
    // Two questions not sufficient: the whole is not sufficient.
    assert_eq!(p.overall, Judgement::NotSufficient);
    let assurance = p.answer(QuestionKey::Assurance);
    assert_eq!((assurance.weight_for, assurance.weight_against), (3, 4));
    assert!(assurance.evidence.iter().any(|e| e.id == "statutory_returns:audits/section11"
        && e.reason == "2 of 3 statutory partners provided every required assurance return (WMP, BCH)"));
    assert!(assurance.evidence.iter().any(|e| {
        e.id == "statutory_returns:audits/section11/NHSE"
            && e.stance == Stance::Against
            && e.yardstick == Yardstick::WorkingTogether
            && e.reason
                .contains("without a Section 11 return and an assurance letter")
    }));
    assert!(p.statement.starts_with("On the evidence held for 2015/16, the board's safeguarding arrangements are judged **not sufficient**"), "{}", p.statement);
    assert!(
        p.statement
            .contains("- *Are children safer?* Not sufficient."),
        "{}",
        p.statement
    );
    // The statement a board signs carries no record ids, source paths or docs references.
    assert!(
        !p.statement.contains('@') && !p.statement.contains("docs/"),
        "{}",
        p.statement
    );
    let impact = p.answer(QuestionKey::Impact);
    assert!(impact.summary.contains("The strongest evidence against: Right Service Right Time: 5,580 of 15,017 trained (37%), below 75% of target."), "{}", impact.summary);
    assert_eq!(
        p.evidence.len(),
        p.answers.iter().map(|a| a.evidence.len()).sum::<usize>()
    );
}

#[test]
fn an_override_is_shown_with_its_rationale_and_the_derived_judgement() {
    let authored = Authored {
        overrides: vec![
            Override {
                year: "2015-16".into(),
                question: Some(QuestionKey::Safer),
                judgement: Judgement::Sufficient,
                rationale: "superseded".into(),
                author: "chair".into(),
                decided_on: NaiveDate::from_ymd_opt(2016, 6, 1).unwrap(),
            },
            Override {
                year: "2015-16".into(),
                question: Some(QuestionKey::Safer),
                judgement: Judgement::PartlySufficient,
                rationale:
                    "Re-referrals rose while the MASH was rebuilt; the Q4 audit shows recovery"
                        .into(),
                author: "chair".into(),
                decided_on: NaiveDate::from_ymd_opt(2016, 7, 12).unwrap(),
            },
            Override {
                year: "2014-15".into(),
                question: Some(QuestionKey::Impact),
                judgement: Judgement::NotSufficient,
                rationale: "another year".into(),
                author: "chair".into(),
                decided_on: NaiveDate::from_ymd_opt(2015, 7, 1).unwrap(),
            },
        ],
        ..Default::default()
    };
    let p = analyse_facts(&fixture_2015_16(), &rules(), &authored);
    let safer = p.answer(QuestionKey::Safer);
    assert_eq!(safer.derived, Judgement::NotSufficient);
    assert_eq!(safer.judgement, Judgement::PartlySufficient);
    let o = safer.override_.as_ref().unwrap();
    assert_eq!(o.decided_on.to_string(), "2016-07-12");
    assert!(safer.summary.contains("The board overrode this to partly sufficient on 2016-07-12 (chair): Re-referrals rose while the MASH was rebuilt"), "{}", safer.summary);
    assert!(
        p.statement
            .contains("- *Are children safer?* Partly sufficient (derived: not sufficient)."),
        "{}",
        p.statement
    );
    // The other year's override does not apply.
    assert!(p.answer(QuestionKey::Impact).override_.is_none());
}

fn pledge(targets: Vec<PledgeTarget>) -> Pledge {
    Pledge {
        id: 1,
        plan_year: "2016-17".into(),
        priority: "We run safe systems".into(),
        number: 1,
        text: "The number of re-referrals and children made subject to a protection plan for the second time are both reducing year on year.".into(),
        targets,
        author: "chair".into(),
    }
}

fn year_2016_17(reref: &str, second: &str) -> Facts {
    let mut f = fixture_2015_16();
    f.year = "2016-17".into();
    for i in &mut f.indicators {
        i.source.period = "2016-17".into();
        i.previous_period = Some("2015-16".into());
        if i.code == "CP-REREF" {
            i.previous = Some(d("24"));
            i.value = Some(d(reref));
        }
        if i.code == "CP-SECOND" {
            i.previous = Some(d("14"));
            i.value = Some(d(second));
        }
    }
    f
}

#[test]
fn pledges_are_evaluated_met_not_met_or_not_measurable() {
    let both_down = pledge(vec![
        PledgeTarget {
            indicator: "CP-REREF".into(),
            expectation: Expectation::Decrease,
        },
        PledgeTarget {
            indicator: "CP-SECOND".into(),
            expectation: Expectation::Decrease,
        },
    ]);
    let met = evaluate_pledge(&both_down, &year_2016_17("21", "12"));
    assert_eq!(met.outcome, PledgeOutcome::Met, "{}", met.why);
    assert!(met.why.contains("Re-referrals to children's social care (CP-REREF) was 21 in 2016-17 against 24 in 2015-16: expected to decrease on the previous year (met)"), "{}", met.why);

    let not_met = evaluate_pledge(&both_down, &year_2016_17("21", "15"));
    assert_eq!(not_met.outcome, PledgeOutcome::NotMet);
    assert_eq!(not_met.targets[1].outcome, PledgeOutcome::NotMet);
    assert!(
        not_met.targets[1]
            .why
            .contains("was 15 in 2016-17 against 14 in 2015-16"),
        "{}",
        not_met.targets[1].why
    );

    let target = pledge(vec![PledgeTarget {
        indicator: "CP-REREF".into(),
        expectation: Expectation::AtMost(d("22")),
    }]);
    assert_eq!(
        evaluate_pledge(&target, &year_2016_17("22", "1")).outcome,
        PledgeOutcome::Met
    );
    assert_eq!(
        evaluate_pledge(&target, &year_2016_17("22.5", "1")).outcome,
        PledgeOutcome::NotMet
    );
    let at_least = pledge(vec![PledgeTarget {
        indicator: "EH-ASSESS".into(),
        expectation: Expectation::AtLeast(d("3000")),
    }]);
    assert_eq!(
        evaluate_pledge(&at_least, &year_2016_17("1", "1")).outcome,
        PledgeOutcome::Met
    );

    let missing = pledge(vec![PledgeTarget {
        indicator: "NOPE".into(),
        expectation: Expectation::Increase,
    }]);
    let e = evaluate_pledge(&missing, &year_2016_17("1", "1"));
    assert_eq!(e.outcome, PledgeOutcome::NotMeasurable);
    assert!(
        e.why.contains("no data for indicator NOPE in 2016-17"),
        "{}",
        e.why
    );
    let unlinked = evaluate_pledge(&pledge(vec![]), &year_2016_17("1", "1"));
    assert_eq!(unlinked.outcome, PledgeOutcome::NotMeasurable);
    assert!(unlinked.why.contains("linked to no indicator"));
}

#[test]
fn next_years_report_shows_challenge_progress_and_pledges() {
    let challenge = Challenge {
        id: 7,
        year: "2015-16".into(),
        number: 2,
        text: "Move from safe systems to safe, consistent multi-agency practice.".into(),
        evidence_ids: vec![
            "indicator_rag:indicators/CP-REREF".into(),
            "audit_quality:audits/audit/1".into(),
        ],
        author: "chair".into(),
        progress: vec![ChallengeProgress {
            year: "2016-17".into(),
            status: ChallengeStatus::InProgress,
            note: "Practice standards launched in September".into(),
            author: "chair".into(),
            recorded_on: NaiveDate::from_ymd_opt(2017, 5, 2).unwrap(),
        }],
    };
    let both_down = pledge(vec![
        PledgeTarget {
            indicator: "CP-REREF".into(),
            expectation: Expectation::Decrease,
        },
        PledgeTarget {
            indicator: "CP-SECOND".into(),
            expectation: Expectation::Decrease,
        },
    ]);
    let mut next_year = both_down.clone();
    next_year.plan_year = "2017-18".into();
    next_year.id = 2;
    let authored = Authored {
        overrides: vec![],
        challenges: vec![challenge],
        pledges: vec![both_down, next_year],
    };
    // 2016-17: re-referrals still red, the audit not repeated.
    let mut facts = year_2016_17("21", "12");
    facts.audits.clear();
    let p = analyse_facts(&facts, &rules(), &authored);
    assert!(p.challenges.is_empty());
    assert_eq!(p.challenge_reviews.len(), 1);
    let r = &p.challenge_reviews[0];
    assert_eq!(
        r.evidence_now,
        vec![
            ("indicator_rag:indicators/CP-REREF".to_string(), true),
            ("audit_quality:audits/audit/1".to_string(), false)
        ]
    );
    assert!(r.summary.starts_with("Challenge 2 (2015-16): Reported in progress on 2017-05-02 (chair): Practice standards launched"), "{}", r.summary);
    assert!(
        r.summary.ends_with(
            "Of the 2 evidence item(s) that prompted it, 1 still count(s) against this year."
        ),
        "{}",
        r.summary
    );
    assert_eq!(p.pledges_evaluated.len(), 1);
    assert_eq!(p.pledges_evaluated[0].outcome, PledgeOutcome::Met);
    assert_eq!(p.next_pledges.len(), 1);
    assert_eq!(p.next_pledges[0].plan_year, "2017-18");
}

#[test]
fn decimals_are_formatted_for_prose() {
    assert_eq!(fmt_dec(d("1100")), "1,100");
    assert_eq!(fmt_dec(d("788429.00")), "788,429");
    assert_eq!(fmt_dec(d("-15017.5")), "-15,017.5");
    assert_eq!(fmt_dec(d("12")), "12");
}
