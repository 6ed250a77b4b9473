use std::str::FromStr;

use super::*;
use crate::analysis::facts::*;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn facts() -> Facts {
    let ind = |code: &str, title: &str, aliases: &[&str], v: &str, p: &str| IndicatorFact {
        code: code.into(),
        title: title.into(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        value: Some(d(v)),
        previous: Some(d(p)),
        previous_period: Some("2014-15".into()),
        source: SourceRef::new("indicators", code, "2015-16"),
        ..Default::default()
    };
    Facts {
        year: "2015-16".into(),
        indicators: vec![
            ind("LADO-REF", "LADO referrals", &[], "1100", "1076"),
            ind(
                "POL-CRIME",
                "Crimes investigated",
                &["crimes investigated by the CAIT"],
                "2031",
                "1517",
            ),
            ind("CSE-INC", "CSE incidents", &[], "787", "712"),
            ind("POL-PP", "Police protection", &[], "321", "428"),
        ],
        finance: Some(FinanceFact {
            budget_pence: 78_842_900,
            contributions_pence: 67_440_900,
            carry_forward_pence: 10_587_000,
            income_pence: 815_000,
            expenditure_pence: 70_000_000,
            outstanding: vec![],
            source: SourceRef::new("finance", "budget", "2015-16"),
        }),
        training_delivery: Some(TrainingDeliveryFact {
            courses: 203,
            places: 4489,
            utilisation: d("90"),
            previous_utilisation: None,
            source: SourceRef::new("training", "delivery", "2015-16"),
        }),
        training_reach: vec![TrainingReachFact {
            programme: "Right Service Right Time".into(),
            trained: 5580,
            target: 15017,
            source: SourceRef::new("training", "target/RSRT", "2015-16"),
        }],
        ..Default::default()
    }
}

fn check(md: &str) -> Vec<Contradiction> {
    contradictions(&check_narrative(
        &[Section {
            title: "Part 2".into(),
            markdown: md.into(),
            placeholders: vec![],
        }],
        &known_figures(&facts()),
        d("0.5"),
    ))
}

const LADO: &str = "During the year Birmingham strengthened resilience within the LADO service. In 2015/16 the LADO received 1,100 referrals, compared with 1,076 last year and 864 in 2013/14, which represents an increase of 24.5%. Just under a quarter of the referrals (270) proceeded to formal investigative meeting.";

#[test]
fn the_reference_reports_lado_slip_is_caught() {
    let found = check(&format!("## Allegations against staff\n\n{LADO}"));
    assert_eq!(found.len(), 1, "{found:#?}");
    let c = &found[0];
    assert_eq!(c.section, "Part 2 › Allegations against staff");
    assert_eq!(c.typed, "24.5%");
    assert_eq!(
        c.stored,
        "+2.2% (1,100 in 2015-16 against 1,076 in 2014-15)"
    );
    assert_eq!(c.subject, "LADO referrals");
    assert!(
        c.text
            .starts_with("In 2015/16 the LADO received 1,100 referrals"),
        "{}",
        c.text
    );
    assert_eq!(c.source.record, "LADO-REF");
}

#[test]
fn correct_figures_are_not_flagged() {
    let text = "\
In 2015/16 the LADO received 1,100 referrals, compared with 1,076 last year, an increase of 2.2%.
There were 2,031 crimes investigated, 34% up on 1,517.
787 CSE incidents were recorded, 11% up on 712.
Police protection was used 321 times (428 the year before), a fall of 25%.
The budget of £788,429 was made up of agency contributions of £674,409, carry forward of £105,870 and income of £8,150.
The board delivered 203 training courses for 4,489 delegates, with 90% utilisation.
Right Service Right Time: 5,580 of 15,017 trained (37%).
The LADO took referrals from 45 agencies.";
    let found = check(text);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn wrong_values_and_directions_are_flagged() {
    let cases = [
        (
            "The LADO received 1,200 referrals in 2015/16.",
            "1,200",
            "1,100 in 2015-16",
        ),
        (
            "The LADO received 1,100 referrals, compared with 1,000 last year.",
            "1,000",
            "1,076 in 2014-15",
        ),
        ("LADO referrals fell by 2.2% this year.", "2.2%", "+2.2%"),
        (
            "The budget was £790,000.",
            "£790,000",
            "£788,429 in 2015-16",
        ),
        (
            "The board delivered 230 training courses.",
            "230",
            "203 in 2015-16",
        ),
        ("POL-PP was 320 this year.", "320", "321 in 2015-16"),
    ];
    for (text, typed, stored) in cases {
        let found = check(text);
        assert_eq!(found.len(), 1, "{text}: {found:#?}");
        assert_eq!(found[0].typed, typed, "{text}");
        assert!(
            found[0].stored.starts_with(stored),
            "{text}: {}",
            found[0].stored
        );
    }
}

#[test]
fn placeholders_are_never_flagged() {
    let text = "In 2015/16 the LADO received {{indicator:LADO-REF:2015-16}} referrals, compared with {{indicator:LADO-REF:2014-15}} last year, an increase of {{change:LADO-REF:2015-16}}.";
    assert!(check(text).is_empty());
    // Even a placeholder naming a wrong-looking figure is not read.
    assert!(check("LADO referrals: {{indicator:LADO-REF:2013-14}} (2013/14).").is_empty());
}

#[test]
fn text_about_nothing_the_data_knows_is_left_alone() {
    assert!(
        check("The Practitioners Forum met 12 times and 85% of members rated it good.").is_empty()
    );
}

#[test]
fn codes_with_dots_are_mentions() {
    let mut f = facts();
    f.indicators[1].code = "CAIT.CRIMES".into();
    let found = contradictions(&check_narrative(
        &[Section {
            title: "Part 2".into(),
            markdown: "CAIT.CRIMES stood at 2,301 this year.".into(),
            placeholders: vec![],
        }],
        &known_figures(&f),
        d("0.5"),
    ));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].typed, "2,301");
}

#[test]
fn resolved_placeholders_for_other_periods_are_not_flagged() {
    // The report resolved {{indicator:LADO-REF:2013-14}} to 864 before the check reads it.
    let md = "The LADO received 864 referrals two years ago.";
    let run = |placeholders: Vec<String>| {
        contradictions(&check_narrative(
            &[Section {
                title: "Part 2".into(),
                markdown: md.into(),
                placeholders,
            }],
            &known_figures(&facts()),
            d("0.5"),
        ))
    };
    assert_eq!(
        run(vec![]).len(),
        1,
        "typed by hand, 864 matches nothing the data holds"
    );
    assert!(run(vec!["indicator:LADO-REF:2013-14".into()]).is_empty());
    // A placeholder of the report year does not excuse a wrong number.
    assert_eq!(run(vec!["indicator:LADO-REF:2015-16".into()]).len(), 1);
}

/// The measures of the 2015/16 reference data its narrative's misread sentences are about.
fn reference_figures() -> Vec<KnownFigure> {
    let ind = |code: &str, title: &str, unit: Unit, v: &str, p: Option<&str>| IndicatorFact {
        code: code.into(),
        title: title.into(),
        value: Some(d(v)),
        previous: p.map(d),
        previous_period: p.map(|_| "2014-15".into()),
        unit: Some(unit),
        source: SourceRef::new("indicators", code, "2015-16"),
        ..Default::default()
    };
    known_figures(&Facts {
        year: "2015-16".into(),
        indicators: vec![
            ind(
                "CTX.CARE_LEAVERS_SUITABLE_ACCOMMODATION",
                "Care leavers in suitable accommodation (key facts)",
                Unit::Percent,
                "95.8",
                None,
            ),
            ind(
                "CTX.CARE_LEAVERS_NEET",
                "Care leavers NEET at the end of March (key facts)",
                Unit::Percent,
                "49.4",
                None,
            ),
            ind(
                "CL.SUITABLE_ACCOMMODATION",
                "Care leavers in suitable accommodation",
                Unit::Percent,
                "98",
                Some("94.05"),
            ),
            ind(
                "MASH.REFERRALS",
                "Referrals to children's social care",
                Unit::Count,
                "13013",
                Some("14700"),
            ),
            ind(
                "CSC.ASSESSMENTS",
                "Assessments carried out",
                Unit::Count,
                "11470",
                None,
            ),
            ind(
                "CSC.S47_ENQUIRIES",
                "Section 47 enquiries",
                Unit::Count,
                "3781",
                None,
            ),
        ],
        ..Default::default()
    })
}

fn read_all(md: &str) -> Vec<Contradiction> {
    check_narrative(
        &[Section {
            title: "context.outcomes".into(),
            markdown: md.into(),
            placeholders: vec![],
        }],
        &reference_figures(),
        d("0.5"),
    )
}

#[test]
fn each_number_is_read_against_the_measure_its_clause_names() {
    let checks = read_all(
        "95.8% of care leavers were in suitable accommodation, and 49.4% of care leavers were NEET at the end of March 2016.",
    );
    let got: Vec<(&str, &str, Verdict)> = checks
        .iter()
        .map(|c| (c.typed.as_str(), c.source.record.as_str(), c.verdict))
        .collect();
    assert_eq!(
        got,
        [
            (
                "95.8%",
                "CTX.CARE_LEAVERS_SUITABLE_ACCOMMODATION",
                Verdict::Consistent
            ),
            ("49.4%", "CTX.CARE_LEAVERS_NEET", Verdict::Consistent),
        ]
    );
    // The quarterly measure of the same name is read as well: its own figure agrees too.
    let checks = read_all("98% of care leavers were in suitable accommodation.");
    assert_eq!(checks.len(), 1, "{checks:#?}");
    assert_eq!(checks[0].source.record, "CL.SUITABLE_ACCOMMODATION");
    assert_eq!(checks[0].verdict, Verdict::Consistent);
    // A figure neither measure holds is contradicted.
    let checks = read_all("90.1% of care leavers were in suitable accommodation.");
    assert_eq!(checks.len(), 1, "{checks:#?}");
    assert_eq!(checks[0].verdict, Verdict::Contradicted);

    let checks = read_all(
        "In 2015/16 there were 13,013 referrals, and 11,470 assessments were carried out, of which 3,781 were S47 enquiries.",
    );
    let got: Vec<(&str, &str, &str, Verdict)> = checks
        .iter()
        .map(|c| {
            (
                c.typed.as_str(),
                c.measure.as_str(),
                c.stored.as_str(),
                c.verdict,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "11,470",
                "Assessments carried out (count)",
                "11,470 in 2015-16",
                Verdict::Consistent
            ),
            (
                "3,781",
                "Section 47 enquiries (count)",
                "3,781 in 2015-16",
                Verdict::Consistent
            ),
        ]
    );
    let wrong = contradictions(&read_all(
        "11,470 assessments were carried out, of which 3,900 were Section 47 enquiries.",
    ));
    assert_eq!(wrong.len(), 1, "{wrong:#?}");
    assert_eq!(wrong[0].typed, "3,900");
    assert_eq!(wrong[0].subject, "Section 47 enquiries");
    assert_eq!(wrong[0].stored, "3,781 in 2015-16");
}

#[test]
fn numbers_describing_method_are_not_read_as_the_years_count() {
    for text in [
        "The Board audited referrals received by Children's Social Care, using a random sample of up to 10 referrals a month: the voice of the child.",
        "Each month 10 referrals to children's social care were sampled for audit.",
        "The Board reviewed 20 referrals to children's social care a month.",
        "The audit of referrals to children's social care looked at up to 12 referrals.",
    ] {
        let checks = read_all(text);
        assert!(checks.is_empty(), "{text}: {checks:#?}");
    }
    // A small number that is not about method is still read, and a movement "up to" a
    // figure is a claim.
    for (text, typed) in [
        ("There were 10 referrals to children's social care.", "10"),
        (
            "Referrals to children's social care went up to 13,310 in 2015/16.",
            "13,310",
        ),
    ] {
        let found = contradictions(&read_all(text));
        assert_eq!(found.len(), 1, "{text}: {found:#?}");
        assert_eq!(found[0].typed, typed);
        assert_eq!(found[0].stored, "13,013 in 2015-16");
    }
}
