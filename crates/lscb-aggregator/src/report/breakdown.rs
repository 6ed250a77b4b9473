//! The year's figures of an indicator's breakdown as one sentence, e.g. "By referral source:
//! education 596, 80% more than the previous year (331); police 110, 27% fewer (150).", so
//! that a figure such as the LADO's referrals from education is printed from the data with
//! its change, never typed. Pure; `upstream.rs` appends it to the figure's sentence.

use rust_decimal::Decimal;

use super::format;
use super::model::Unit;

/// One value of a breakdown: its code ("childrens_social_care"), the year's figure and the
/// previous year's.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub value: String,
    pub current: Option<Decimal>,
    pub previous: Option<Decimal>,
}

/// "childrens_social_care" → "childrens social care"; "under_12" → "under 12";
/// "12_to_17" → "12 to 17".
fn words(code: &str) -> String {
    code.replace('_', " ")
}

fn change(unit: Unit, items: bool, v: Decimal, p: Decimal, first: bool) -> String {
    let prev = format::value(p, unit);
    let than = if first { " than the previous year" } else { "" };
    if v == p {
        return format!(
            "the same{} ({prev})",
            if first { " as the previous year" } else { "" }
        );
    }
    let up = v > p;
    if unit == Unit::Percent {
        let pts = format::round((v - p).abs(), 1).normalize();
        let word = if up { "higher" } else { "lower" };
        return format!("{} points {word}{than} ({prev})", format::number(pts));
    }
    let word = match (up, items) {
        (true, true) => "more",
        (false, true) => "fewer",
        (true, false) => "higher",
        (false, false) => "lower",
    };
    match format::change_pct(v, p) {
        Some(pct) if pct.is_zero() => format!("less than 1% {word}{than} ({prev})"),
        Some(pct) => format!("{} {word}{than} ({prev})", format::percent(pct.abs())),
        None => format!("{word}{than} ({prev})"),
    }
}

/// The sentence for the breakdown of one indicator (empty when no part has a value).
pub fn sentence(title: &str, dimension: &str, unit: Unit, parts: &[Part]) -> String {
    let items = unit == Unit::Count && format::counts_items(title);
    let mut said: Vec<String> = Vec::new();
    for p in parts {
        let Some(v) = p.current else { continue };
        let mut s = format!("{}: {}", words(&p.value), format::value(v, unit));
        if let Some(prev) = p.previous {
            s.push_str(&format!(
                ", {}",
                change(unit, items, v, prev, said.is_empty())
            ));
        }
        said.push(s);
    }
    if said.is_empty() {
        return String::new();
    }
    let by = if dimension.is_empty() {
        "By breakdown".to_string()
    } else {
        format!("By {}", words(dimension))
    };
    format!("{by}: {}.", said.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(v: &str, c: Option<i64>, p: Option<i64>) -> Part {
        Part {
            value: v.into(),
            current: c.map(Decimal::from),
            previous: p.map(Decimal::from),
        }
    }

    #[test]
    fn each_value_with_its_change_on_the_previous_year() {
        let s = sentence(
            "Referrals to the LADO",
            "referral_source",
            Unit::Count,
            &[
                part("education", Some(596), Some(331)),
                part("police", Some(110), Some(150)),
                part("health", Some(75), None),
                part("other", None, Some(3)),
            ],
        );
        assert_eq!(
            s,
            "By referral source: education: 596, 80% more than the previous year (331); \
             police: 110, 27% fewer (150); health: 75."
        );
    }

    #[test]
    fn nothing_to_say_is_an_empty_sentence() {
        assert_eq!(
            sentence("X", "age_band", Unit::Count, &[part("a", None, None)]),
            ""
        );
        assert_eq!(
            sentence(
                "Missing children incidents",
                "age_band",
                Unit::Count,
                &[part("under_12", Some(68), None)]
            ),
            "By age band: under 12: 68."
        );
    }
}
