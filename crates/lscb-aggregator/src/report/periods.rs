//! Periods as people write them, for charts and their tables: "2015-16" → "2015/16",
//! "2015-16-Q1" → "Q1 2015/16", "2015-04" → "Apr 2015". Codes that are not periods are
//! returned unchanged.

use lscb_platform::period::Period;

use super::model::Unit;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn fy(start_year: i32) -> String {
    format!("{start_year}/{:02}", (start_year + 1).rem_euclid(100))
}

/// The period code as printed.
pub fn label(code: &str) -> String {
    match Period::parse(code) {
        Ok(Period::Year { start_year }) => fy(start_year),
        Ok(Period::Quarter {
            start_year,
            quarter,
        }) => format!("Q{quarter} {}", fy(start_year)),
        Ok(Period::Month { year, month }) => {
            format!("{} {year}", MONTHS[usize::from(month.clamp(1, 12)) - 1])
        }
        Err(_) => code.to_string(),
    }
}

/// What the periods of a series are called on an axis: "Quarter", "Month", "Year" or
/// "Period" when they are mixed or not periods.
pub fn axis_title(codes: &[String]) -> &'static str {
    let mut kinds = codes.iter().map(|c| match Period::parse(c) {
        Ok(Period::Year { .. }) => "Financial year",
        Ok(Period::Quarter { .. }) => "Quarter",
        Ok(Period::Month { .. }) => "Month",
        Err(_) => "Period",
    });
    let Some(first) = kinds.next() else {
        return "Period";
    };
    if kinds.all(|k| k == first) {
        first
    } else {
        "Period"
    }
}

/// The title of a value axis measured in `unit`.
pub fn unit_axis(unit: Unit) -> &'static str {
    match unit {
        Unit::Count => "Number",
        Unit::Percent => "Per cent (%)",
        Unit::Rate => "Rate per 10,000 children",
        Unit::Money => "Amount (£)",
        Unit::Days => "Days",
        Unit::Ratio => "Ratio",
        Unit::Other => "Value",
    }
}

/// The financial year a period falls in (its start year), for year-to-date detection.
pub fn financial_year(code: &str) -> Option<i32> {
    match Period::parse(code).ok()? {
        Period::Year { start_year } | Period::Quarter { start_year, .. } => Some(start_year),
        Period::Month { year, month } => Some(if month >= 4 { year } else { year - 1 }),
    }
}

/// The note printed under a chart of a measure that builds up through the year (year to
/// date), recognised from its data: within each financial year of the series (at least two
/// values) it never falls, and at the start of a year it falls back to less than half of
/// where the year before ended.
pub fn year_to_date_note(codes: &[String], values: &[f64]) -> Option<String> {
    let mut years: Vec<(i32, Vec<f64>)> = vec![];
    for (c, v) in codes.iter().zip(values) {
        let fy = financial_year(c)?;
        match years.last_mut() {
            Some((y, vs)) if *y == fy => vs.push(*v),
            _ => years.push((fy, vec![*v])),
        }
    }
    let rising = years
        .iter()
        .filter(|(_, vs)| vs.len() >= 2)
        .all(|(_, vs)| vs.windows(2).all(|w| w[1] >= w[0]))
        && years
            .iter()
            .any(|(_, vs)| vs.len() >= 2 && vs[vs.len() - 1] > vs[0]);
    let resets = years.windows(2).any(|w| {
        let (Some(end), Some(start)) = (w[0].1.last(), w[1].1.first()) else {
            return false;
        };
        *end > 0.0 && *start < end * 0.5
    });
    (rising && resets).then(|| {
        "This measure builds up through the year from zero on 1 April (year to date), so \
         each year starts low: compare a period with the same period of another year; the \
         year's figure is its last period."
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_people_write_them() {
        assert_eq!(label("2015-16"), "2015/16");
        assert_eq!(label("2015-16-Q1"), "Q1 2015/16");
        assert_eq!(label("2015-16-Q4"), "Q4 2015/16");
        assert_eq!(label("2015-04"), "Apr 2015");
        assert_eq!(label("2016-03"), "Mar 2016");
        assert_eq!(label("1999-00"), "1999/00");
        assert_eq!(label("Contributions"), "Contributions");
    }

    #[test]
    fn axis_titles_name_the_kind_of_period() {
        let q = vec!["2014-15-Q4".to_string(), "2015-16-Q1".to_string()];
        assert_eq!(axis_title(&q), "Quarter");
        assert_eq!(axis_title(&["2015-04".to_string()]), "Month");
        assert_eq!(axis_title(&["2015-16".to_string()]), "Financial year");
        assert_eq!(
            axis_title(&["2015-16".to_string(), "2015-04".to_string()]),
            "Period"
        );
        assert_eq!(axis_title(&[]), "Period");
    }

    #[test]
    fn months_before_april_belong_to_the_previous_financial_year() {
        assert_eq!(financial_year("2016-03"), Some(2015));
        assert_eq!(financial_year("2015-04"), Some(2015));
        assert_eq!(financial_year("2015-16-Q3"), Some(2015));
        assert_eq!(financial_year("x"), None);
    }

    #[test]
    fn a_measure_that_builds_up_through_the_year_gets_a_note() {
        let codes: Vec<String> = [
            "2014-15-Q4",
            "2015-16-Q1",
            "2015-16-Q2",
            "2015-16-Q3",
            "2015-16-Q4",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let ytd = [87.0, 22.0, 45.0, 66.0, 83.0];
        assert!(
            year_to_date_note(&codes, &ytd)
                .unwrap()
                .contains("year to date")
        );
        // A quarterly count that goes up and down is not cumulative.
        assert_eq!(
            year_to_date_note(&codes, &[300.0, 120.0, 340.0, 290.0, 310.0]),
            None
        );
        // Rising steadily with no fall at the new year is a trend, not year to date.
        assert_eq!(
            year_to_date_note(&codes, &[20.0, 22.0, 45.0, 66.0, 83.0]),
            None
        );
    }
}
