//! The narrative check against a corpus of sentences with a known answer: true and false
//! claims about counts, rates, percentages, changes, money and days, including sentences
//! that name a count's subject while typing its rate. Precision and recall are computed
//! here and reported in docs/sufficiency.md.

use rust_decimal::Decimal;

use super::*;
use crate::analysis::facts::{FinanceFact, IndicatorFact, Unit};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn ind(code: &str, title: &str, unit: Unit, v: &str, p: &str) -> IndicatorFact {
    IndicatorFact {
        code: code.into(),
        title: title.into(),
        value: Some(d(v)),
        previous: Some(d(p)),
        previous_period: Some("2014-15".into()),
        unit: Some(unit),
        source: SourceRef::new("indicators", format!("indicator {code}"), "2015-16"),
        ..Default::default()
    }
}

fn corpus_facts() -> Facts {
    Facts {
        year: "2015-16".into(),
        indicators: vec![
            ind("C", "Contacts", Unit::Count, "9645", "8200"),
            ind(
                "CR",
                "Contacts per 10,000 children",
                Unit::Rate,
                "2329",
                "1980",
            ),
            ind("R", "Referrals", Unit::Count, "6142", "7000"),
            ind(
                "RR",
                "Referrals per 10,000 children",
                Unit::Rate,
                "381.5",
                "434.8",
            ),
            ind("RE", "Re-referrals", Unit::Percent, "24", "22"),
            ind("L", "LADO referrals", Unit::Count, "1100", "1076"),
            ind("LAC", "Children in care", Unit::Count, "1900", "1850"),
            ind(
                "LACR",
                "Children in care per 10,000 children",
                Unit::Rate,
                "68.2",
                "66.4",
            ),
            ind(
                "ICPC",
                "Initial child protection conferences within 15 days",
                Unit::Percent,
                "83",
                "75",
            ),
            ind(
                "AD",
                "Days to complete an assessment",
                Unit::Days,
                "38",
                "45",
            ),
        ],
        finance: Some(FinanceFact {
            budget_pence: 78_842_900,
            contributions_pence: 70_000_000,
            carry_forward_pence: 8_842_900,
            income_pence: 0,
            expenditure_pence: 80_000_000,
            outstanding: vec![],
            source: SourceRef::new("finance", "budget year", "2015-16"),
        }),
        ..Default::default()
    }
}

/// A measure of the 2015/16 reference data, with the previous year's value when it has one.
fn reference(code: &str, title: &str, unit: Unit, v: &str, p: Option<&str>) -> IndicatorFact {
    IndicatorFact {
        code: code.into(),
        title: title.into(),
        value: Some(d(v)),
        previous: p.map(d),
        previous_period: p.map(|_| "2014-15".into()),
        unit: Some(unit),
        source: SourceRef::new("indicators", format!("indicator {code}"), "2015-16"),
        ..Default::default()
    }
}

/// The measures of the 2015/16 reference data its narrative types figures of, under their
/// own titles: two measures of care leavers in suitable accommodation (the key fact and the
/// quarterly measure), Section 47 enquiries next to assessments, referrals to children's
/// social care.
fn reference_facts() -> Facts {
    Facts {
        year: "2015-16".into(),
        indicators: vec![
            reference(
                "CTX.CARE_LEAVERS_SUITABLE_ACCOMMODATION",
                "Care leavers in suitable accommodation (key facts)",
                Unit::Percent,
                "95.8",
                None,
            ),
            reference(
                "CTX.CARE_LEAVERS_NEET",
                "Care leavers NEET at the end of March (key facts)",
                Unit::Percent,
                "49.4",
                None,
            ),
            reference(
                "CL.SUITABLE_ACCOMMODATION",
                "Care leavers in suitable accommodation",
                Unit::Percent,
                "98",
                Some("94.05"),
            ),
            reference(
                "CL.EET",
                "Care leavers in education, employment or training",
                Unit::Percent,
                "54",
                Some("57.02"),
            ),
            reference(
                "MASH.REFERRALS",
                "Referrals to children's social care",
                Unit::Count,
                "13013",
                Some("14700"),
            ),
            reference(
                "CSC.ASSESSMENTS",
                "Assessments carried out",
                Unit::Count,
                "11470",
                None,
            ),
            reference(
                "CSC.S47_ENQUIRIES",
                "Section 47 enquiries",
                Unit::Count,
                "3781",
                None,
            ),
            reference(
                "LADO.REFERRALS",
                "Referrals to the LADO",
                Unit::Count,
                "1100",
                Some("1076"),
            ),
        ],
        ..Default::default()
    }
}

/// Sentences of the 2015/16 reference narrative, as the report reads them (figures
/// resolved), with variants; read against [`reference_facts`]. (sentence, is it false?)
const REFERENCE_CORPUS: &[(&str, bool)] = &[
    // Two measures of one subject: the number agrees with the one the clause names.
    (
        "95.8% of care leavers were in suitable accommodation, and 49.4% of care leavers were NEET at the end of March 2016.",
        false,
    ),
    (
        "90.1% of care leavers were in suitable accommodation, and 49.4% of care leavers were NEET at the end of March 2016.",
        true,
    ),
    (
        "95.8% of care leavers were in suitable accommodation, and 45.9% of care leavers were NEET at the end of March 2016.",
        true,
    ),
    (
        "49.4% of care leavers were in suitable accommodation, and 95.8% of care leavers were NEET at the end of March 2016.",
        true,
    ),
    (
        "98% of care leavers were in suitable accommodation at the end of Quarter 4.",
        false,
    ),
    (
        "95.8% of care leavers were in suitable accommodation.",
        false,
    ),
    (
        "Care leavers in suitable accommodation stand at 98% (94% in Quarter 4 of 2014/15), and care leavers in education, employment or training at 54% (57%).",
        false,
    ),
    (
        "Care leavers in suitable accommodation stand at 98% (97% in Quarter 4 of 2014/15), and care leavers in education, employment or training at 54% (57%).",
        true,
    ),
    (
        "Care leavers in suitable accommodation stand at 98% (94% in Quarter 4 of 2014/15), and care leavers in education, employment or training at 45% (57%).",
        true,
    ),
    (
        "Care leavers in suitable accommodation stand at 89% (94% in Quarter 4 of 2014/15).",
        true,
    ),
    // A number is about the words of its own clause ("of which 3,781 were S47 enquiries").
    (
        "In 2015/16 there were 13,013 referrals, and 11,470 assessments were carried out, of which 3,781 were S47 enquiries.",
        false,
    ),
    (
        "In 2015/16 there were 13,013 referrals, and 11,470 assessments were carried out, of which 3,900 were S47 enquiries.",
        true,
    ),
    (
        "In 2015/16 there were 13,013 referrals, and 11,740 assessments were carried out, of which 3,781 were S47 enquiries.",
        true,
    ),
    (
        "11,470 assessments were carried out, of which 3,781 were Section 47 enquiries.",
        false,
    ),
    (
        "11,470 assessments were carried out, of which 3,871 were Section 47 enquiries.",
        true,
    ),
    (
        "There were 3,781 Section 47 enquiries and 11,470 assessments.",
        false,
    ),
    ("There were 3,781 S.47 enquiries.", false),
    ("There were 11,470 S47 enquiries.", true),
    // Numbers describing the method are not the year's count.
    (
        "The Board audited referrals received by Children's Social Care, using a random sample of up to 10 referrals a month: the voice of the child, the quality of referrals and of referral judgements, whether a re-referral could have been avoided, consent, and the details of the referring agency, the family and partner agencies.",
        false,
    ),
    (
        "Each month 10 referrals to children's social care were sampled for audit.",
        false,
    ),
    (
        "The audit of referrals to children's social care looked at up to 12 referrals.",
        false,
    ),
    (
        "The Board reviewed 20 referrals to children's social care a month.",
        false,
    ),
    ("There were 10 referrals to children's social care.", true),
    (
        "Referrals to children's social care went up to 13,310 in 2015/16.",
        true,
    ),
    (
        "There were 13,013 referrals to children's social care, and 10 of them were sampled each month.",
        false,
    ),
    // The claimed change of the LADO section is wrong (the data: +2.2%).
    (
        "In 2015/16 the LADO received 1,100 referrals, compared with 1,076 last year and 864 in 2013/14, which represents an increase of 24.5%.",
        true,
    ),
    (
        "In 2015/16 the LADO received 1,100 referrals, compared with 1,076 last year, which represents an increase of 2.2%.",
        false,
    ),
];

/// (sentence, is the claim false?)
const CORPUS: &[(&str, bool)] = &[
    // Counts.
    ("The MASH received 9,645 contacts in 2015/16.", false),
    ("The MASH received 9,465 contacts in 2015/16.", true),
    ("Contacts rose to 9,645 from 8,200 last year.", false),
    ("Contacts rose to 9,645 from 8,100 last year.", true),
    (
        "There were 6,142 referrals to children's social care.",
        false,
    ),
    ("There were 6,412 referrals.", true),
    (
        "The LADO received 1,100 referrals, compared with 1,076 last year.",
        false,
    ),
    (
        "The LADO received 1,010 referrals, compared with 1,076 last year.",
        true,
    ),
    (
        "The LADO received 1,100 referrals, compared with 1,067 last year.",
        true,
    ),
    ("1,900 children were in care at the end of March.", false),
    ("1,950 children were in care at the end of March.", true),
    ("Children in care numbered 1,850 the year before.", false),
    ("Children in care numbered 1,580 the year before.", true),
    ("Contacts were 8,200 last year.", false),
    ("Contacts were 8,800 last year.", true),
    ("Referrals were 7,000 in 2014/15.", false),
    ("Referrals were 7,700 in 2014/15.", true),
    ("In 2015/16 the LADO received 1,100 referrals.", false),
    // Rates, including a count's subject given with its rate.
    ("Contacts were 2,329 per 10,000 children.", false),
    ("Contacts were 2,900 per 10,000 children.", true),
    ("Referrals were 381.5 per 10,000 children.", false),
    ("Referrals were 418.5 per 10,000 children.", true),
    ("Referrals were 381.5 per 10,000.", false),
    ("Referrals were 6,142 per 10,000 children.", true),
    (
        "There were 68.2 children in care per 10,000 children.",
        false,
    ),
    (
        "There were 62.8 children in care per 10,000 children.",
        true,
    ),
    (
        "The rate of referrals was 381.5 per 10,000 children, down from 434.8.",
        false,
    ),
    (
        "The rate of referrals was 381.5 per 10,000 children, down from 443.8.",
        true,
    ),
    (
        "Children in care were 68.2 per 10,000 children against 66.4 the year before.",
        false,
    ),
    (
        "Children in care were 68.2 per 10,000 children against 64.6 the year before.",
        true,
    ),
    (
        "Contacts, at 2,329 per 10,000 children, remained high.",
        false,
    ),
    (
        "Contacts, at 9,645 per 10,000 children, remained high.",
        true,
    ),
    (
        "There were 9,645 contacts, or 2,329 per 10,000 children.",
        false,
    ),
    (
        "There were 9,645 contacts, or 2,239 per 10,000 children.",
        true,
    ),
    (
        "There were 9,546 contacts, or 2,329 per 10,000 children.",
        true,
    ),
    ("Referrals per 10,000 children were 381.5.", false),
    ("Referrals per 10,000 children were 418.5.", true),
    // Percentages.
    ("Re-referrals were 24% of referrals.", false),
    ("Re-referrals were 42% of referrals.", true),
    ("Re-referrals were 22% the year before.", false),
    ("Re-referrals were 32% the year before.", true),
    (
        "83% of initial child protection conferences were held within 15 days.",
        false,
    ),
    (
        "88% of initial child protection conferences were held within 15 days.",
        true,
    ),
    (
        "Initial child protection conferences within 15 days rose to 83% from 75%.",
        false,
    ),
    (
        "Initial child protection conferences within 15 days rose to 83% from 57%.",
        true,
    ),
    // Changes.
    (
        "The LADO received 1,100 referrals, an increase of 2.2% on last year.",
        false,
    ),
    (
        "The LADO received 1,100 referrals, an increase of 24.5% on last year.",
        true,
    ),
    ("Contacts increased by 17.6%.", false),
    ("Contacts increased by 27.6%.", true),
    ("Contacts fell by 17.6%.", true),
    ("Referrals fell by 12.3%.", false),
    ("Referrals rose by 12.3%.", true),
    ("Children in care increased by 2.7%.", false),
    ("Children in care increased by 7.2%.", true),
    ("The number of contacts was up 18% on last year.", false),
    ("The number of contacts was up 81% on last year.", true),
    ("Children in care per 10,000 children rose by 2.7%.", false),
    ("Children in care per 10,000 children rose by 3.7%.", true),
    // Money.
    ("The budget was £788,429.", false),
    ("The budget was £778,429.", true),
    ("Expenditure was £800,000 in the year.", false),
    ("Expenditure was £880,000 in the year.", true),
    (
        "The budget was £788,429, against expenditure of £800,000.",
        false,
    ),
    // Days.
    ("An assessment took 38 days to complete on average.", false),
    ("An assessment took 83 days to complete on average.", true),
    // Numbers that are not claims about a known figure.
    ("Contacts came from 45 agencies.", false),
    ("The MASH has 12 social workers handling contacts.", false),
];

/// Every sentence with the facts it is read against.
fn corpus() -> Vec<(&'static str, bool, Vec<KnownFigure>)> {
    let general = known_figures(&corpus_facts());
    let reference = known_figures(&reference_facts());
    CORPUS
        .iter()
        .map(|(s, f)| (*s, *f, general.clone()))
        .chain(
            REFERENCE_CORPUS
                .iter()
                .map(|(s, f)| (*s, *f, reference.clone())),
        )
        .collect()
}

/// (true positives, false positives, false negatives, sentences wrongly judged)
fn score() -> (usize, usize, usize, Vec<String>) {
    let (mut tp, mut fp, mut fneg) = (0, 0, 0);
    let mut wrong = vec![];
    for (sentence, is_false, figures) in corpus() {
        let checks = check_narrative(
            &[Section {
                title: "corpus".into(),
                markdown: sentence.to_string(),
                placeholders: vec![],
            }],
            &figures,
            d("0.5"),
        );
        let flagged = !contradictions(&checks).is_empty();
        match (flagged, is_false) {
            (true, true) => tp += 1,
            (true, false) => {
                fp += 1;
                wrong.push(format!("flagged a true claim: {sentence} {checks:?}"));
            }
            (false, true) => {
                fneg += 1;
                wrong.push(format!("missed a false claim: {sentence} {checks:?}"));
            }
            (false, false) => {}
        }
    }
    (tp, fp, fneg, wrong)
}

#[test]
fn the_corpus_is_large_and_balanced() {
    let all = corpus();
    assert!(all.len() >= 60, "{}", all.len());
    let false_claims = all.iter().filter(|(_, f, _)| *f).count();
    assert!(false_claims >= 25 && all.len() - false_claims >= 25);
}

#[test]
fn every_false_claim_is_caught_and_no_true_claim_is_flagged() {
    let (tp, fp, fneg, wrong) = score();
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    println!(
        "narrative corpus: {} sentences, {tp} false claims caught, {fp} true claims flagged, {fneg} false claims missed; precision {precision:.3}, recall {recall:.3}",
        corpus().len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!((precision, recall), (1.0, 1.0));
}

#[test]
fn a_checked_figure_records_the_measure_and_the_verdict() {
    let checks = check_narrative(
        &[Section {
            title: "priority.safe_systems".into(),
            markdown: "Referrals were 381.5 per 10,000 children, and there were 6,412 referrals."
                .into(),
            placeholders: vec![],
        }],
        &known_figures(&corpus_facts()),
        d("0.5"),
    );
    assert_eq!(checks.len(), 2, "{checks:?}");
    assert_eq!(checks[0].typed, "381.5");
    assert_eq!(
        checks[0].measure,
        "Referrals per 10,000 children (rate per 10,000)"
    );
    assert_eq!(checks[0].verdict, Verdict::Consistent);
    assert_eq!(checks[1].typed, "6,412");
    assert_eq!(checks[1].measure, "Referrals (count)");
    assert_eq!(checks[1].stored, "6,142 in 2015-16");
    assert_eq!(checks[1].verdict, Verdict::Contradicted);
}
