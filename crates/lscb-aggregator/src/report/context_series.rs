//! Part 1's context indicators read over the years around the report year: when the year
//! has no value, the latest earlier one is shown with its year and the report says so
//! ("Population of Birmingham was 1,101,360 in 2014/15, the latest figure received"); values
//! of later years are projections ("Children aged 0-4: projected 87,753 in 2020/21, …").
//! `upstream.rs` reads the annual series with `GetSeries`; this module is pure.

use lscb_platform::Period;
use rust_decimal::Decimal;

use super::format;
use super::model::{Figure, Point, Unit};

/// Years read before and after the report year.
pub const YEARS_AROUND: i32 = 15;

/// The first and last year of the series read for a context figure of `year`.
pub fn window(year: &Period) -> (Period, Period) {
    let y = year.financial_year_start();
    (
        Period::year(y - YEARS_AROUND),
        Period::year(y + YEARS_AROUND),
    )
}

/// "2014-15" → "2014/15".
fn label(code: &str) -> String {
    code.replacen('-', "/", 1)
}

/// The title as the object of a sentence: "Pupils with …" → "pupils with …", but not
/// "Clinical Commissioning Groups" or "GPs".
fn lower_first(title: &str) -> String {
    let mut c = title.chars();
    match (c.next(), c.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
            let second_word_capital = title
                .split_whitespace()
                .nth(1)
                .and_then(|w| w.chars().next())
                .is_some_and(char::is_uppercase);
            if second_word_capital {
                title.to_string()
            } else {
                a.to_lowercase().collect::<String>() + &title[a.len_utf8()..]
            }
        }
        _ => title.to_string(),
    }
}

/// "x percentage points higher than in 2001/02 (30%)" or "12% more than in …".
fn compared(f: &Figure, v: Decimal, then: &Point) -> String {
    let prev = format::value(then.value, f.unit);
    let when = label(&then.period);
    let up = v > then.value;
    if v == then.value {
        return format!("the same as in {when} ({prev})");
    }
    if f.unit == Unit::Percent {
        let pts = format::round((v - then.value).abs(), 1).normalize();
        let word = if up { "higher" } else { "lower" };
        let unit = if pts == Decimal::ONE {
            "percentage point"
        } else {
            "percentage points"
        };
        return format!(
            "{} {unit} {word} than in {when} ({prev})",
            format::number(pts)
        );
    }
    let items = f.unit == Unit::Count && format::counts_items(&f.name);
    let word = match (up, items) {
        (true, true) => "more",
        (false, true) => "fewer",
        (true, false) => "higher",
        (false, false) => "lower",
    };
    let pct = (!then.value.is_zero()).then(|| {
        format::round(
            ((v - then.value) / then.value * Decimal::from(100)).abs(),
            1,
        )
        .normalize()
    });
    let diff = if f.unit == Unit::Count {
        format!("{} ", format::number((v - then.value).abs()))
    } else {
        String::new()
    };
    match pct {
        Some(p) if diff.is_empty() => format!("{}% {word} than in {when} ({prev})", p),
        Some(p) => format!("{diff}({}%) {word} than in {when} ({prev})", p),
        None => format!("{diff}{word} than in {when} ({prev})"),
    }
}

/// Fills `f.latest_earlier` and `f.projections` from the figure's annual `points` around
/// `year` (in period order, valued points only) and says so in its sentence.
pub fn apply(f: &mut Figure, points: &[Point], year: &Period, year_label: &str) {
    let y = year.financial_year_start();
    let start = |p: &Point| Period::parse(&p.period).map(|p| p.financial_year_start());
    let earlier: Vec<&Point> = points
        .iter()
        .filter(|p| start(p).is_ok_and(|s| s < y))
        .collect();
    let later: Vec<Point> = points
        .iter()
        .filter(|p| start(p).is_ok_and(|s| s > y))
        .cloned()
        .collect();
    if f.value.is_none()
        && let Some(latest) = earlier.last()
    {
        let v = format::value(latest.value, f.unit);
        let head = if f.unit == Unit::Count && format::counts_items(&f.name) {
            format!("There were {v} {}", lower_first(&f.name))
        } else {
            format!("{} was {v}", f.name)
        };
        let mut s = format!(
            "{head} in {}, the latest figure received (none was received for {year_label})",
            label(&latest.period)
        );
        if earlier.len() >= 2 {
            let then = earlier[earlier.len() - 2];
            s.push_str(&format!(", {}", compared(f, latest.value, then)));
        }
        s.push('.');
        f.sentence = s;
        f.latest_earlier = Some((*latest).clone());
    }
    let base = match (f.value, &f.latest_earlier) {
        (Some(v), _) => Some(Point {
            period: year.to_string(),
            value: v,
        }),
        (None, Some(p)) => Some(p.clone()),
        _ => None,
    };
    for p in &later {
        let v = format::value(p.value, f.unit);
        let mut s = format!(" {}: projected {v} in {}", f.name, label(&p.period));
        if let Some(b) = &base {
            s.push_str(&format!(", {}", compared(f, p.value, b)));
        }
        s.push('.');
        f.sentence.push_str(&s);
    }
    f.projections = later;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::*;

    fn figure(name: &str, unit: Unit, value: Option<i64>) -> Figure {
        Figure {
            code: "X".into(),
            name: name.into(),
            unit,
            polarity: Polarity::Neutral,
            period: "2015-16".into(),
            value: value.map(Decimal::from),
            previous: None,
            change_pct: None,
            direction: Direction::Unknown,
            travel: Travel::NotApplicable,
            rag: None,
            target: None,
            benchmarks: vec![],
            sentence: format!("No figure was received for {name} in 2015/16."),
            source: Source {
                service: "indicators".into(),
                record: "indicator X v1".into(),
                period: "2015-16".into(),
            },
            trend: vec![],
            by_agency: vec![],
            tags: vec!["context".into()],
            latest_earlier: None,
            projections: vec![],
        }
    }

    fn pt(period: &str, v: &str) -> Point {
        Point {
            period: period.into(),
            value: v.parse().unwrap(),
        }
    }

    #[test]
    fn a_year_without_a_value_shows_the_latest_earlier_one_with_its_year() {
        let year = Period::parse("2015-16").unwrap();
        let mut f = figure("Population of Birmingham", Unit::Count, None);
        apply(
            &mut f,
            &[pt("2014-15", "1101360"), pt("2030-31", "1251360")],
            &year,
            "2015/16",
        );
        assert_eq!(
            f.sentence,
            "Population of Birmingham was 1,101,360 in 2014/15, the latest figure received \
             (none was received for 2015/16). Population of Birmingham: projected 1,251,360 \
             in 2030/31, 150,000 (13.6%) higher than in 2014/15 (1,101,360)."
        );
        assert_eq!(f.latest_earlier, Some(pt("2014-15", "1101360")));
        assert_eq!(f.projections, vec![pt("2030-31", "1251360")]);
        assert_eq!(f.value, None, "the year itself still has no value");
    }

    #[test]
    fn two_earlier_values_are_compared_in_points_for_percentages() {
        let year = Period::parse("2015-16").unwrap();
        let mut f = figure("Residents not White British", Unit::Percent, None);
        apply(
            &mut f,
            &[pt("2001-02", "30"), pt("2011-12", "42.1")],
            &year,
            "2015/16",
        );
        assert_eq!(
            f.sentence,
            "Residents not White British was 42.1% in 2011/12, the latest figure received \
             (none was received for 2015/16), 12.1 percentage points higher than in 2001/02 (30%)."
        );
    }

    #[test]
    fn a_year_with_a_value_keeps_its_sentence_and_gains_projections() {
        let year = Period::parse("2015-16").unwrap();
        let mut f = figure("Children aged 0-4", Unit::Count, Some(86798));
        f.sentence = "There were 86,798 children aged 0-4.".into();
        apply(
            &mut f,
            &[
                pt("2014-15", "86000"),
                pt("2015-16", "86798"),
                pt("2020-21", "87753"),
            ],
            &year,
            "2015/16",
        );
        assert_eq!(
            f.sentence,
            "There were 86,798 children aged 0-4. Children aged 0-4: projected 87,753 in \
             2020/21, 955 (1.1%) more than in 2015/16 (86,798)."
        );
        assert_eq!(f.latest_earlier, None);
    }

    #[test]
    fn nothing_around_the_year_changes_nothing() {
        let year = Period::parse("2015-16").unwrap();
        let mut f = figure("GPs", Unit::Count, None);
        let before = f.clone();
        apply(&mut f, &[], &year, "2015/16");
        assert_eq!(f, before);
        assert_eq!(lower_first("GPs"), "GPs");
        assert_eq!(
            lower_first("Pupils with special educational needs"),
            "pupils with special educational needs"
        );
        assert_eq!(
            lower_first("Clinical Commissioning Groups"),
            "Clinical Commissioning Groups"
        );
    }
}
