//! Unit tests of the domain rules, with the reference report's figures as cases.

use super::*;
use lscb_platform::testing::test_directory;

fn n(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn p(s: &str) -> Period {
    s.parse().unwrap()
}

pub(crate) fn def(
    code: &str,
    unit: Unit,
    polarity: Polarity,
    freq: Frequency,
    agg: Aggregation,
) -> Definition {
    Definition {
        code: code.into(),
        title: code.into(),
        description: String::new(),
        unit,
        polarity,
        priorities: vec!["safe_systems".into()],
        question: "how_much".into(),
        themes: vec![],
        frequency: freq,
        aggregation: agg,
        rate: None,
        targets: vec![],
        expected_agencies: vec![],
        breakdown: None,
        tolerance: Decimal::ZERO,
        deadline_days: 0,
        framework_area: String::new(),
    }
}

fn obs(code: &str, period: &str, agency: &str, breakdown: &str, value: Decimal) -> ObsValue {
    ObsValue {
        observation_id: format!("{code}/{period}/{agency}/{breakdown}"),
        revision: 1,
        key: ObsKey {
            indicator: code.into(),
            period: p(period),
            agency: agency.into(),
            breakdown: breakdown.into(),
        },
        value,
        numerator: None,
        denominator: None,
        status: Status::Final,
        first_received_at: "2016-04-10T00:00:00.000000Z".into(),
    }
}

fn parts(mut o: ObsValue, n: Decimal, d: Decimal) -> ObsValue {
    o.numerator = Some(n);
    o.denominator = Some(d);
    o
}

fn defs(list: &[&Definition]) -> HashMap<String, Definition> {
    list.iter()
        .map(|d| (d.code.clone(), (*d).clone()))
        .collect()
}

/// Twelve monthly counts of a year adding up to `total`.
fn months(code: &str, start_year: i32, total: i64) -> Vec<ObsValue> {
    let each = total / 12;
    Period::year(start_year)
        .periods_within(Granularity::Month)
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let v = if i == 11 { total - each * 11 } else { each };
            obs(code, &m.to_string(), "", "", Decimal::from(v))
        })
        .collect()
}

#[test]
fn crimes_investigated_1517_to_2031_is_up_514_or_33_9_percent() {
    let d = def(
        "CAIT.CRIMES",
        Unit::Count,
        Polarity::Context,
        Frequency::Monthly,
        Aggregation::Sum,
    );
    let mut rows = months("CAIT.CRIMES", 2014, 1517);
    rows.extend(months("CAIT.CRIMES", 2015, 2031));
    let data = Dataset::new(rows);
    let all = defs(&[&d]);
    let a = assess(&data, &d, &all, &[], p("2015-16"), Slice::TOTAL);
    let f = a.figure.unwrap();
    assert_eq!(f.value, n("2031"));
    assert_eq!((f.periods_received, f.periods_expected), (12, 12));
    assert_eq!(f.sources.len(), 12);
    let c = a.on_previous.unwrap();
    assert_eq!(c.from, n("1517"));
    assert_eq!(c.absolute, n("514"));
    assert_eq!(c.percent, Some(n("33.9")));
    assert_eq!(c.trend, Trend::Up);
    assert_eq!(c.direction, Direction::NotJudged);
    assert_eq!(a.rag, None);
}

#[test]
fn police_protection_428_to_321_is_down_25_percent_and_improving_when_lower_is_better() {
    let d = def(
        "WMP.POLICE_PROTECTION",
        Unit::Count,
        Polarity::LowerIsBetter,
        Frequency::Annual,
        Aggregation::Sum,
    );
    let data = Dataset::new(vec![
        obs(&d.code, "2014-15", "", "", n("428")),
        obs(&d.code, "2015-16", "", "", n("321")),
    ]);
    let a = assess(&data, &d, &defs(&[&d]), &[], p("2015-16"), Slice::TOTAL);
    let c = a.on_previous.unwrap();
    assert_eq!(c.absolute, n("-107"));
    assert_eq!(c.percent, Some(n("-25.0")));
    assert_eq!(c.direction, Direction::Improving);
}

#[test]
fn lado_referrals_1076_to_1100_is_2_2_percent_not_the_reports_24_5() {
    let d = def(
        "LADO.REFERRALS",
        Unit::Count,
        Polarity::Context,
        Frequency::Annual,
        Aggregation::Sum,
    );
    let c = change(&d, None, n("1076"), n("1100"));
    assert_eq!(c.percent, Some(n("2.2")));
    let cse = change(&d, None, n("712"), n("787"));
    assert_eq!(cse.percent, Some(n("10.5")));
}

#[test]
fn children_looked_after_66_per_10000_against_england_60_and_neighbours_78_9() {
    let count = def(
        "CLA.COUNT",
        Unit::Count,
        Polarity::Context,
        Frequency::Quarterly,
        Aggregation::Last,
    );
    let pop = def(
        "POP.CHILDREN",
        Unit::Count,
        Polarity::Context,
        Frequency::Annual,
        Aggregation::Last,
    );
    let mut rate = def(
        "CLA.RATE",
        Unit::RatePer10000,
        Polarity::LowerIsBetter,
        Frequency::Quarterly,
        Aggregation::Last,
    );
    rate.rate = Some(RateDef {
        numerator_indicator: Some("CLA.COUNT".into()),
        denominator_indicator: Some("POP.CHILDREN".into()),
        multiplier: n("10000"),
    });
    let all = defs(&[&count, &pop, &rate]);
    let data = Dataset::new(vec![
        obs("POP.CHILDREN", "2015-16", "", "", n("281000")),
        obs("CLA.COUNT", "2015-16-Q3", "", "", n("1911")),
        obs("CLA.COUNT", "2015-16-Q4", "", "", n("1855")),
    ]);
    let bm = |c, v| Benchmark {
        indicator: "CLA.RATE".into(),
        period: p("2015-16"),
        comparator: c,
        value: v,
        source: "DfE".into(),
        set_by: "t".into(),
        set_at: "t".into(),
    };
    let benchmarks = vec![
        bm(Comparator::England, n("60")),
        bm(Comparator::StatisticalNeighbours, n("78.9")),
    ];
    // The quarter: 1855 / 281000 x 10000 = 66.01..., shown as 66.
    let q4 = assess(
        &data,
        &rate,
        &all,
        &benchmarks,
        p("2015-16-Q4"),
        Slice::TOTAL,
    );
    let f = q4.figure.clone().unwrap();
    assert_eq!(f.value, n("66"));
    assert_eq!(
        (f.numerator, f.denominator),
        (Some(n("1855")), Some(n("281000")))
    );
    // Q3 was 68 (31 December 2015).
    let c = q4.on_previous.unwrap();
    assert_eq!(c.from, n("68"));
    assert_eq!(c.direction, Direction::Improving);
    // The year figure is the last quarter's.
    let y = assess(&data, &rate, &all, &benchmarks, p("2015-16"), Slice::TOTAL);
    assert_eq!(y.figure.unwrap().value, n("66"));
    let eng = &y.benchmarks[0];
    assert_eq!(eng.benchmark.comparator, Comparator::England);
    assert_eq!(eng.difference, n("6"));
    assert_eq!(
        (eng.relation, eng.comparison),
        (Trend::Up, Comparison::Worse)
    );
    let sn = &y.benchmarks[1];
    assert_eq!(sn.difference, n("-12.9"));
    assert_eq!(
        (sn.relation, sn.comparison),
        (Trend::Down, Comparison::Better)
    );
    assert!(y.flags.iter().any(|f| f.code == "WORSE_THAN_ENGLAND"));
    // With no judgement, only higher / lower.
    let mut ctx = rate.clone();
    ctx.polarity = Polarity::Context;
    let y = assess(&data, &ctx, &all, &benchmarks, p("2015-16"), Slice::TOTAL);
    assert_eq!(y.benchmarks[0].comparison, Comparison::NotJudged);
    assert_eq!(y.benchmarks[0].relation, Trend::Up);
}

#[test]
fn health_assessments_83_against_87_and_england_90_is_declining_and_worse() {
    let mut d = def(
        "CIC.HEALTH_ASSESSMENTS",
        Unit::Percent,
        Polarity::HigherIsBetter,
        Frequency::Quarterly,
        Aggregation::Last,
    );
    d.targets = vec![Target {
        value: Some(n("90")),
        band: None,
        amber_tolerance: n("5"),
        applies_from: None,
    }];
    // They build up over the year: the Q4 figure is the year's.
    let data = Dataset::new(vec![
        parts(
            obs(&d.code, "2014-15-Q4", "", "", n("87")),
            n("870"),
            n("1000"),
        ),
        parts(
            obs(&d.code, "2015-16-Q1", "", "", n("21")),
            n("210"),
            n("1000"),
        ),
        parts(
            obs(&d.code, "2015-16-Q2", "", "", n("40")),
            n("400"),
            n("1000"),
        ),
        parts(
            obs(&d.code, "2015-16-Q3", "", "", n("62")),
            n("620"),
            n("1000"),
        ),
        parts(
            obs(&d.code, "2015-16-Q4", "", "", n("83")),
            n("830"),
            n("1000"),
        ),
    ]);
    let england = Benchmark {
        indicator: d.code.clone(),
        period: p("2014-15"),
        comparator: Comparator::England,
        value: n("90"),
        source: "national average at 31 March 2015".into(),
        set_by: "t".into(),
        set_at: "t".into(),
    };
    let all = defs(&[&d]);
    let y = assess(
        &data,
        &d,
        &all,
        std::slice::from_ref(&england),
        p("2015-16"),
        Slice::TOTAL,
    );
    assert_eq!(y.figure.as_ref().unwrap().value, n("83"));
    let c = y.on_previous.unwrap();
    assert_eq!(c.from, n("87"));
    assert_eq!(c.absolute, n("-4"));
    assert_eq!(c.direction, Direction::Declining);
    // The latest England figure before the year ends is 2014-15's.
    assert_eq!(y.benchmarks.len(), 1);
    assert_eq!(y.benchmarks[0].benchmark.period, p("2014-15"));
    assert_eq!(y.benchmarks[0].comparison, Comparison::Worse);
    // 83 is more than the amber tolerance of 5 below the target of 90.
    assert_eq!(y.rag, Some(Rag::Red));
    assert!(y.flags.iter().any(|f| f.code == "OFF_TARGET"));
    // Same quarter a year earlier.
    let q4 = assess(&data, &d, &all, &[], p("2015-16-Q4"), Slice::TOTAL);
    assert_eq!(q4.on_year_earlier.unwrap().from, n("87"));
}

#[test]
fn unallocated_family_assessments_194_in_q1_to_0_in_q4() {
    let d = def(
        "CSC.UNALLOCATED_FA",
        Unit::Count,
        Polarity::LowerIsBetter,
        Frequency::Quarterly,
        Aggregation::Last,
    );
    let data = Dataset::new(vec![
        obs(&d.code, "2015-16-Q1", "", "", n("194")),
        obs(&d.code, "2015-16-Q2", "", "", n("120")),
        obs(&d.code, "2015-16-Q3", "", "", n("35")),
        obs(&d.code, "2015-16-Q4", "", "", n("0")),
    ]);
    let all = defs(&[&d]);
    let y = data.figure(&d, &all, p("2015-16"), Slice::TOTAL).unwrap();
    assert_eq!(y.value, n("0"));
    assert_eq!(y.sources[0].key.period, p("2015-16-Q4"));
    let q1 = data
        .figure(&d, &all, p("2015-16-Q1"), Slice::TOTAL)
        .unwrap()
        .value;
    let c = change(&d, None, q1, y.value);
    assert_eq!(c.absolute, n("-194"));
    assert_eq!(c.percent, Some(n("-100.0")));
    assert_eq!(c.direction, Direction::Improving);
    // From zero there is no percentage.
    assert_eq!(change(&d, None, n("0"), n("5")).percent, None);
}

#[test]
fn re_referrals_within_the_18_to_25_band() {
    let mut d = def(
        "CSC.REREFERRALS",
        Unit::Percent,
        Polarity::WithinBand,
        Frequency::Quarterly,
        Aggregation::Recompute,
    );
    let t = Target {
        value: None,
        band: Some((n("18"), n("25"))),
        amber_tolerance: n("2"),
        applies_from: None,
    };
    d.targets = vec![t.clone()];
    assert_eq!(rag(&d, Some(&t), n("22")), Some(Rag::Green));
    assert_eq!(rag(&d, Some(&t), n("25")), Some(Rag::Green));
    assert_eq!(rag(&d, Some(&t), n("26.5")), Some(Rag::Amber));
    assert_eq!(rag(&d, Some(&t), n("16")), Some(Rag::Amber));
    assert_eq!(rag(&d, Some(&t), n("30")), Some(Rag::Red));
    // Moving towards the band is improving even when the number rises.
    assert_eq!(
        change(&d, Some(&t), n("14"), n("17")).direction,
        Direction::Improving
    );
    assert_eq!(
        change(&d, Some(&t), n("20"), n("28")).direction,
        Direction::Declining
    );
    assert_eq!(
        change(&d, Some(&t), n("20"), n("24")).direction,
        Direction::NoChange
    );
    // Quarters recomputed from their parts: (40 + 60) / (200 + 300) = 20%.
    let data = Dataset::new(vec![
        parts(
            obs(&d.code, "2015-16-Q1", "", "", n("20")),
            n("40"),
            n("200"),
        ),
        parts(
            obs(&d.code, "2015-16-Q2", "", "", n("20")),
            n("60"),
            n("300"),
        ),
    ]);
    let y = data
        .figure(&d, &defs(&[&d]), p("2015-16"), Slice::TOTAL)
        .unwrap();
    assert_eq!(y.value, n("20"));
    assert_eq!(
        (y.numerator, y.denominator),
        (Some(n("100")), Some(n("500")))
    );
    assert_eq!((y.periods_received, y.periods_expected), (2, 4));
}

#[test]
fn targets_apply_from_their_year() {
    let mut d = def(
        "TF.FAMILIES",
        Unit::Count,
        Polarity::HigherIsBetter,
        Frequency::Annual,
        Aggregation::Sum,
    );
    let t = |v, from: Option<&str>| Target {
        value: Some(v),
        band: None,
        amber_tolerance: Decimal::ZERO,
        applies_from: from.map(p),
    };
    d.targets = vec![t(n("1000"), None), t(n("2000"), Some("2015-16"))];
    assert_eq!(d.target_for(p("2014-15")).unwrap().value, Some(n("1000")));
    assert_eq!(d.target_for(p("2015-16")).unwrap().value, Some(n("2000")));
    assert_eq!(
        d.target_for(p("2016-17-Q1")).unwrap().value,
        Some(n("2000"))
    );
}

#[test]
fn agencies_are_combined_from_parts_or_summed() {
    let d = def(
        "HA",
        Unit::Percent,
        Polarity::HigherIsBetter,
        Frequency::Annual,
        Aggregation::Last,
    );
    let data = Dataset::new(vec![
        parts(obs("HA", "2015-16", "BCH", "", n("80")), n("80"), n("100")),
        parts(
            obs("HA", "2015-16", "NHSE", "", n("90")),
            n("270"),
            n("300"),
        ),
    ]);
    let all = defs(&[&d]);
    // (80 + 270) / (100 + 300) = 87.5%, not the mean 85.
    assert_eq!(
        data.figure(&d, &all, p("2015-16"), Slice::TOTAL)
            .unwrap()
            .value,
        n("87.5")
    );
    let one = Slice {
        agency: Some("NHSE"),
        breakdown: "",
    };
    assert_eq!(
        data.figure(&d, &all, p("2015-16"), one).unwrap().value,
        n("90")
    );
    let c = def(
        "C",
        Unit::Count,
        Polarity::Context,
        Frequency::Annual,
        Aggregation::Sum,
    );
    let data = Dataset::new(vec![
        obs("C", "2015-16", "WMP", "", n("5")),
        obs("C", "2015-16", "BCH", "", n("7")),
    ]);
    assert_eq!(
        data.figure(&c, &defs(&[&c]), p("2015-16"), Slice::TOTAL)
            .unwrap()
            .value,
        n("12")
    );
}

fn row(code: &str, period: &str, agency: &str) -> ObsInput {
    ObsInput {
        indicator: code.into(),
        period: p(period),
        agency: agency.into(),
        breakdown: String::new(),
        value: None,
        numerator: None,
        denominator: None,
        status: Status::Provisional,
        comment: String::new(),
    }
}

fn rejected(r: &ObsInput, d: Option<&Definition>) -> Vec<(String, String)> {
    let dir = test_directory();
    let bscb = dir.partnership("bscb").unwrap();
    let mut v = Violations::new();
    let out = validate_row(r, d, bscb, "rows[0]", &mut v);
    if v.is_empty() {
        assert!(out.is_some());
    } else {
        assert!(out.is_none());
    }
    v.iter()
        .map(|x| (x.field.clone(), x.description.clone()))
        .collect()
}

#[test]
fn each_bad_row_is_named() {
    let count = def(
        "C",
        Unit::Count,
        Polarity::Context,
        Frequency::Quarterly,
        Aggregation::Sum,
    );
    let pct = def(
        "P",
        Unit::Percent,
        Polarity::HigherIsBetter,
        Frequency::Quarterly,
        Aggregation::Last,
    );
    let mut r = row("C", "2015-16-Q1", "WMP");
    r.value = Some(n("5"));
    assert!(rejected(&r, Some(&count)).is_empty());
    // Unknown indicator.
    assert_eq!(rejected(&r, None)[0].0, "rows[0].indicator_code");
    // Period not of the indicator's frequency.
    let mut x = r.clone();
    x.period = p("2015-04");
    let e = rejected(&x, Some(&count));
    assert_eq!(e[0].0, "rows[0].period");
    assert!(e[0].1.contains("quarterly"), "{e:?}");
    // Agency not in the directory.
    let mut x = r.clone();
    x.agency = "NOPE".into();
    assert_eq!(rejected(&x, Some(&count))[0].0, "rows[0].agency_code");
    // Negative count; fractional count.
    let mut x = r.clone();
    x.value = Some(n("-1"));
    assert!(rejected(&x, Some(&count))[0].1.contains("negative"));
    x.value = Some(n("1.5"));
    assert!(rejected(&x, Some(&count))[0].1.contains("whole"));
    // Percent outside 0-100.
    let mut x = row("P", "2015-16-Q1", "BCH");
    x.value = Some(n("101"));
    assert_eq!(rejected(&x, Some(&pct))[0].0, "rows[0].value");
    // Numerator above denominator.
    let mut x = row("P", "2015-16-Q1", "BCH");
    x.numerator = Some(n("11"));
    x.denominator = Some(n("10"));
    assert_eq!(rejected(&x, Some(&pct))[0].0, "rows[0].numerator");
    // A submitted rate that disagrees with its parts.
    x.numerator = Some(n("83"));
    x.denominator = Some(n("100"));
    x.value = Some(n("80"));
    assert_eq!(rejected(&x, Some(&pct))[0].0, "rows[0].value");
    x.value = Some(n("83.0"));
    assert!(rejected(&x, Some(&pct)).is_empty());
    // Parts for a plain count.
    let mut x = r.clone();
    x.numerator = Some(n("1"));
    x.denominator = Some(n("2"));
    assert_eq!(rejected(&x, Some(&count))[0].0, "rows[0].numerator");
    // No value at all.
    let x = row("C", "2015-16-Q1", "WMP");
    assert_eq!(rejected(&x, Some(&count))[0].0, "rows[0].value");
    // Breakdown value on an indicator without a breakdown.
    let mut x = r.clone();
    x.breakdown = "neglect".into();
    assert_eq!(rejected(&x, Some(&count))[0].0, "rows[0].breakdown_value");
}

#[test]
fn duplicate_rows_in_a_batch_are_named() {
    let mut v = Violations::new();
    let r = row("C", "2015-16-Q1", "WMP");
    check_duplicates(&[r.clone(), row("C", "2015-16-Q2", "WMP"), r], &mut v);
    assert_eq!(
        v.iter().map(|x| x.field.as_str()).collect::<Vec<_>>(),
        ["rows[2]"]
    );
}

#[test]
fn definitions_are_checked() {
    let mut d = def(
        "bad code",
        Unit::Percent,
        Polarity::Context,
        Frequency::Quarterly,
        Aggregation::Sum,
    );
    d.targets = vec![Target {
        value: Some(n("1")),
        band: None,
        amber_tolerance: Decimal::ZERO,
        applies_from: None,
    }];
    d.themes = vec!["Missing Children".into()];
    let mut v = Violations::new();
    validate_definition(&d, &mut v);
    let fields: Vec<_> = v.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "indicator.code",
            "indicator.themes[0]",
            "indicator.aggregation",
            "indicator.targets[0]"
        ]
    );
}

#[test]
fn breakdown_parts_are_checked_against_the_total_unless_overlapping() {
    let mut d = def(
        "CP.PLANS",
        Unit::Count,
        Polarity::Context,
        Frequency::Quarterly,
        Aggregation::Last,
    );
    d.breakdown = Some(BreakdownDef {
        dimension: "category_of_abuse".into(),
        label: "Category".into(),
        values: vec![
            "neglect".into(),
            "emotional".into(),
            "physical".into(),
            "sexual".into(),
        ],
        overlapping: false,
    });
    let rows = vec![
        obs("CP.PLANS", "2015-16-Q4", "", "", n("900")),
        obs("CP.PLANS", "2015-16-Q4", "", "neglect", n("400")),
        obs("CP.PLANS", "2015-16-Q4", "", "emotional", n("380")),
        obs("CP.PLANS", "2015-16-Q4", "", "physical", n("70")),
    ];
    let cells = vec![("CP.PLANS".to_string(), p("2015-16-Q4"), String::new())];
    // Not all parts in yet: nothing to check.
    let data = Dataset::new(rows.clone());
    assert_eq!(breakdown_warnings(&data, &defs(&[&d]), &cells), (vec![], 0));
    let mut all = rows.clone();
    all.push(obs("CP.PLANS", "2015-16-Q4", "", "sexual", n("40")));
    let data = Dataset::new(all.clone());
    let (w, checked) = breakdown_warnings(&data, &defs(&[&d]), &cells);
    assert_eq!(checked, 1);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].values, vec![n("890"), n("900")]);
    assert_eq!(w[0].rows.len(), 5);
    d.breakdown.as_mut().unwrap().overlapping = true;
    assert_eq!(breakdown_warnings(&data, &defs(&[&d]), &cells).0, vec![]);
}

#[test]
fn declared_rules_and_outliers_are_warnings() {
    let s47 = def(
        "CSC.S47",
        Unit::Count,
        Polarity::Context,
        Frequency::Annual,
        Aggregation::Sum,
    );
    let ass = def(
        "CSC.ASSESSMENTS",
        Unit::Count,
        Polarity::Context,
        Frequency::Annual,
        Aggregation::Sum,
    );
    let all = defs(&[&s47, &ass]);
    let rule = Rule {
        code: "S47_LE_ASSESSMENTS".into(),
        description: String::new(),
        left: "CSC.S47".into(),
        op: RuleOp::LessOrEqual,
        right: "CSC.ASSESSMENTS".into(),
        factor: Decimal::ONE,
        active: true,
    };
    let ok = Dataset::new(vec![
        obs("CSC.S47", "2015-16", "", "", n("3781")),
        obs("CSC.ASSESSMENTS", "2015-16", "", "", n("11470")),
    ]);
    assert_eq!(
        rule_warnings(&ok, &all, std::slice::from_ref(&rule), p("2015-16")),
        (vec![], 1)
    );
    let bad = Dataset::new(vec![
        obs("CSC.S47", "2015-16", "", "", n("12000")),
        obs("CSC.ASSESSMENTS", "2015-16", "", "", n("11470")),
    ]);
    let (w, _) = rule_warnings(&bad, &all, std::slice::from_ref(&rule), p("2015-16"));
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].check, "rule:S47_LE_ASSESSMENTS");
    assert_eq!(w[0].rows.len(), 2);
    let inactive = Rule {
        active: false,
        ..rule
    };
    assert_eq!(rule_warnings(&bad, &all, &[inactive], p("2015-16")).1, 0);

    let m = def(
        "MISSING",
        Unit::Count,
        Polarity::Context,
        Frequency::Monthly,
        Aggregation::Sum,
    );
    let all = defs(&[&m]);
    let mut rows: Vec<ObsValue> = Period::year(2014)
        .periods_within(Granularity::Month)
        .into_iter()
        .enumerate()
        .map(|(i, mo)| {
            obs(
                "MISSING",
                &mo.to_string(),
                "",
                "",
                Decimal::from(130 + (i as i64 % 3) * 5),
            )
        })
        .collect();
    rows.push(obs("MISSING", "2015-04", "", "", n("135")));
    rows.push(obs("MISSING", "2015-05", "", "", n("900")));
    let data = Dataset::new(rows);
    let (w, checked) = outlier_warnings(&data, &all, None, p("2015-16"), n("3"));
    assert_eq!(checked, 2);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].rows[0].period, p("2015-05"));
}

#[test]
fn submitted_values_agree_at_their_own_precision() {
    assert!(agrees(n("66"), n("66.0142")));
    assert!(!agrees(n("66.1"), n("66.0142")));
    assert!(agrees(n("33.3"), n("33.3333")));
}

#[test]
fn the_lock_in_force_is_the_last_event_when_it_is_a_lock() {
    let e = |locked| LockEvent {
        locked,
        by: "a".into(),
        at: "t".into(),
        reason: "r".into(),
    };
    assert!(lock_in_force(&[]).is_none());
    assert!(lock_in_force(&[e(true)]).is_some());
    assert!(lock_in_force(&[e(true), e(false)]).is_none());
}

#[test]
fn figures_too_large_or_too_precise_are_refused() {
    let count = def(
        "C",
        Unit::Count,
        Polarity::Context,
        Frequency::Quarterly,
        Aggregation::Sum,
    );
    let mut r = row("C", "2015-16-Q1", "WMP");
    r.value = Some(n("79228162514264337593543950335"));
    let e = rejected(&r, Some(&count));
    assert_eq!(e[0].0, "rows[0].value");
    assert!(e[0].1.contains("too large"), "{e:?}");
    let pct = def(
        "P",
        Unit::Percent,
        Polarity::HigherIsBetter,
        Frequency::Quarterly,
        Aggregation::Last,
    );
    let mut r = row("P", "2015-16-Q1", "WMP");
    r.value = Some(n("12.1234567"));
    assert!(rejected(&r, Some(&pct))[0].1.contains("decimal places"));
    r.value = Some(n("12.123456"));
    assert!(rejected(&r, Some(&pct)).is_empty());
}
