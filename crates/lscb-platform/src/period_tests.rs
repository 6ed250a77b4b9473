use super::*;

fn p(s: &str) -> Period {
    s.parse().unwrap()
}

#[test]
fn parses_the_three_forms_and_prints_them_back() {
    for code in [
        "2015-16",
        "2015-16-Q1",
        "2015-16-Q4",
        "2015-04",
        "2016-03",
        "1999-00",
    ] {
        assert_eq!(p(code).to_string(), code);
    }
    assert_eq!(p("2015-16"), Period::Year { start_year: 2015 });
    assert_eq!(
        p("2015-16-Q3"),
        Period::Quarter {
            start_year: 2015,
            quarter: 3
        }
    );
    assert_eq!(
        p("2015-04"),
        Period::Month {
            year: 2015,
            month: 4
        }
    );
}

#[test]
fn rejects_everything_else_and_names_the_forms() {
    for bad in [
        "",
        "2015",
        "2015-17",
        "2015-16-Q5",
        "2015-13",
        "2015-00",
        "15-16",
        "2015/16",
        "2015-16-Q",
        "abcd-ef",
        "2015-1",
    ] {
        let err = bad.parse::<Period>().unwrap_err();
        assert!(err.to_string().contains("2015-16-Q1"), "{bad}: {err}");
        assert_eq!(err.code, bad);
    }
}

#[test]
fn quarters_start_in_april() {
    assert_eq!(p("2015-16-Q1").first_day().to_string(), "2015-04-01");
    assert_eq!(p("2015-16-Q1").last_day().to_string(), "2015-06-30");
    assert_eq!(p("2015-16-Q4").first_day().to_string(), "2016-01-01");
    assert_eq!(p("2015-16-Q4").last_day().to_string(), "2016-03-31");
    assert_eq!(p("2015-16").last_day().to_string(), "2016-03-31");
    assert_eq!(p("2016-02").last_day().to_string(), "2016-02-29");
}

#[test]
fn the_year_of_a_quarter_or_month() {
    assert_eq!(p("2016-03").financial_year(), p("2015-16"));
    assert_eq!(p("2016-04").financial_year(), p("2016-17"));
    assert_eq!(p("2015-16-Q4").financial_year(), p("2015-16"));
    assert_eq!(p("2016-01").quarter(), Some(p("2015-16-Q4")));
    assert_eq!(p("2015-06").quarter(), Some(p("2015-16-Q1")));
    assert_eq!(p("2015-07").quarter(), Some(p("2015-16-Q2")));
    assert_eq!(p("2015-16").quarter(), None);
}

#[test]
fn previous_and_same_period_last_year() {
    assert_eq!(p("2015-16").previous(), p("2014-15"));
    assert_eq!(p("2015-16-Q1").previous(), p("2014-15-Q4"));
    assert_eq!(p("2015-16-Q3").previous(), p("2015-16-Q2"));
    assert_eq!(p("2015-01").previous(), p("2014-12"));
    assert_eq!(p("2015-16-Q2").same_period_last_year(), p("2014-15-Q2"));
    assert_eq!(p("2016-01").same_period_last_year(), p("2015-01"));
    assert_eq!(p("2014-15-Q4").next(), p("2015-16-Q1"));
}

#[test]
fn periods_inside_a_year() {
    let y = p("2015-16");
    let q: Vec<String> = y
        .periods_within(Granularity::Quarter)
        .iter()
        .map(|x| x.to_string())
        .collect();
    assert_eq!(q, ["2015-16-Q1", "2015-16-Q2", "2015-16-Q3", "2015-16-Q4"]);
    let m = y.periods_within(Granularity::Month);
    assert_eq!(m.len(), 12);
    assert_eq!(m[0], p("2015-04"));
    assert_eq!(m[11], p("2016-03"));
    assert_eq!(
        p("2015-16-Q4").periods_within(Granularity::Month),
        vec![p("2016-01"), p("2016-02"), p("2016-03")]
    );
    assert!(p("2015-04").periods_within(Granularity::Year).is_empty());
    assert!(y.contains(&p("2016-03")));
    assert!(!y.contains(&p("2016-04")));
}

#[test]
fn labels() {
    assert_eq!(p("2015-16").label(), "2015/16");
    assert_eq!(p("2015-16-Q2").label(), "Q2 2015/16");
    assert_eq!(p("2015-04").label(), "April 2015");
}

#[test]
fn a_code_that_reads_as_year_or_month_is_the_month_where_a_month_is_expected() {
    let p = Period::parse("2006-07").unwrap();
    assert_eq!(p, Period::year(2006));
    assert_eq!(
        p.read_as(Granularity::Month),
        Period::Month {
            year: 2006,
            month: 7
        }
    );
    assert_eq!(p.read_as(Granularity::Year), Period::year(2006));
    assert_eq!(p.read_as(Granularity::Quarter), Period::year(2006));
    let dec = Period::parse("2011-12")
        .unwrap()
        .read_as(Granularity::Month);
    assert_eq!(
        dec,
        Period::Month {
            year: 2011,
            month: 12
        }
    );
    // Its own code never reads as a year, and parses back to the month.
    assert_eq!(dec.to_string(), "2011-M12");
    assert_eq!(Period::parse("2011-M12").unwrap(), dec);
    assert_eq!(
        Period::parse("2006-m07").unwrap(),
        p.read_as(Granularity::Month)
    );
    assert_eq!(dec.label(), "December 2011");
    // Other months may be written either way and print as YYYY-MM.
    assert_eq!(Period::parse("2015-M04").unwrap().to_string(), "2015-04");
    for bad in ["2015-M13", "2015-M00", "2015-X04", "2015-M4x"] {
        assert!(Period::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(
        Period::parse("2000-01")
            .unwrap()
            .read_as(Granularity::Month),
        Period::Month {
            year: 2000,
            month: 1
        }
    );
    // 2015-16 cannot be a month: it stays the year.
    assert_eq!(
        Period::parse("2015-16")
            .unwrap()
            .read_as(Granularity::Month),
        Period::year(2015)
    );
    // Months that were never ambiguous are unchanged.
    let m = Period::parse("2015-04").unwrap();
    assert_eq!(m.read_as(Granularity::Month), m);
}
