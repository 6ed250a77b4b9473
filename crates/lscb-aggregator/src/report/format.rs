//! Formatting of figures as a report prints them (thousands separators, £, percentages,
//! rounding half away from zero) and the sentences generated from data, with direction
//! words that follow the indicator's polarity. Pure functions, no I/O.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::model::{Direction, Polarity, Travel, Unit};

/// Inserts thousands separators in a string of digits (optionally with a leading '-').
fn group(int_part: &str) -> String {
    let (sign, digits) = match int_part.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", int_part),
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// Rounds half away from zero to `dp` decimal places.
pub fn round(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// A number as printed: "2,031", "66.5" (at most one decimal place, trailing zeros dropped).
pub fn number(d: Decimal) -> String {
    let r = round(d, 1).normalize();
    let s = r.to_string();
    match s.split_once('.') {
        Some((i, f)) => format!("{}.{f}", group(i)),
        None => group(&s),
    }
}

/// An integer count: "4,489".
/// "1 course", "1,204 courses".
pub fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", count(n.into()))
    }
}

pub fn count(n: i64) -> String {
    group(&n.to_string())
}

/// Money from integer pence: "£788,429", "£1,234.50", "-£79,849".
pub fn money(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let abs = pence.unsigned_abs();
    let pounds = group(&(abs / 100).to_string());
    let p = abs % 100;
    if p == 0 {
        format!("{sign}£{pounds}")
    } else {
        format!("{sign}£{pounds}.{p:02}")
    }
}

/// A percentage value: "83%", "97.5%".
pub fn percent(d: Decimal) -> String {
    format!("{}%", number(d))
}

/// A value in its unit: "2,031", "83%", "66.5 per 10,000", "12 days".
pub fn value(d: Decimal, unit: Unit) -> String {
    match unit {
        Unit::Percent => percent(d),
        Unit::Rate => format!("{} per 10,000", number(d)),
        Unit::Days => format!("{} days", number(d)),
        Unit::Money => money(round(d, 0).to_i64().unwrap_or(if d.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })),
        Unit::Count | Unit::Ratio | Unit::Other => number(d),
    }
}

/// Percentage change from `previous` to `current`, rounded to whole percent; `None` when
/// the previous value is zero.
pub fn change_pct(current: Decimal, previous: Decimal) -> Option<Decimal> {
    if previous.is_zero() {
        return None;
    }
    Some(round(
        (current - previous) / previous.abs() * Decimal::ONE_HUNDRED,
        0,
    ))
}

/// `part` of `whole` as a whole percentage; `None` when `whole` is zero.
pub fn share_pct(part: i64, whole: i64) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    Some(round(
        Decimal::from(part) / Decimal::from(whole) * Decimal::ONE_HUNDRED,
        0,
    ))
}

/// Which way the number moved.
pub fn direction(current: Decimal, previous: Option<Decimal>) -> Direction {
    match previous {
        None => Direction::Unknown,
        Some(p) if current > p => Direction::Up,
        Some(p) if current < p => Direction::Down,
        Some(_) => Direction::Same,
    }
}

/// Direction of travel given the polarity.
pub fn travel(direction: Direction, polarity: Polarity) -> Travel {
    match (direction, polarity) {
        (Direction::Unknown, _) => Travel::NotApplicable,
        (Direction::Same, Polarity::Neutral | Polarity::WithinBand) => Travel::NotApplicable,
        (Direction::Same, _) => Travel::NoChange,
        (_, Polarity::Neutral | Polarity::WithinBand) => Travel::NotApplicable,
        (Direction::Up, Polarity::HigherIsBetter) | (Direction::Down, Polarity::LowerIsBetter) => {
            Travel::Improving
        }
        _ => Travel::Worsening,
    }
}

/// The words for a direction of travel: "improving", "worsening", "no change", "not judged".
pub fn travel_word(t: Travel) -> &'static str {
    match t {
        Travel::Improving => "improving",
        Travel::Worsening => "worsening",
        Travel::NoChange => "no change",
        Travel::NotApplicable => "not judged",
    }
}

/// An arrow and word, so that colour is never the only carrier: "▲ up", "▼ down", "► same".
pub fn direction_symbol(d: Direction) -> &'static str {
    match d {
        Direction::Up => "▲ up",
        Direction::Down => "▼ down",
        Direction::Same => "► same",
        Direction::Unknown => "–",
    }
}

/// Lower-cases the first letter of a title so it reads inside a sentence, unless the title
/// starts with an acronym ("CAIT crimes") or a proper name ("Clinical Commissioning Groups",
/// "Index of Multiple Deprivation rank", "Birmingham CAIT crimes"): the first words are a
/// name when the next word (after "of"/"and") is capitalised too.
fn noun_phrase(title: &str) -> String {
    let words: Vec<&str> = title.split_whitespace().collect();
    let capital = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let next = match words.get(1) {
        Some(&"of" | &"and" | &"for") => words.get(2).copied(),
        other => other.copied(),
    };
    let proper = next.is_some_and(capital);
    let mut chars = title.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() && !proper => {
            let mut s = a.to_lowercase().collect::<String>();
            s.push_str(&title[a.len_utf8()..]);
            s
        }
        _ => title.to_string(),
    }
}

/// Words that make a title a measure of something rather than a number of things: "Index
/// of Multiple Deprivation rank", "Population of Birmingham", "Caseload ratio".
const MEASURE_WORDS: &[&str] = &[
    "rank",
    "ranking",
    "position",
    "index",
    "score",
    "ratio",
    "rate",
    "average",
    "mean",
    "median",
    "percentile",
    "population",
    "proportion",
    "share",
    "level",
    "size",
    "length",
    "duration",
    "age",
];

/// Plurals that do not end in "s".
const IRREGULAR_PLURALS: &[&str] = &[
    "children",
    "people",
    "men",
    "women",
    "staff",
    "police",
    "personnel",
    "data",
];

/// Whether a count's title names things that can be counted ("recorded crimes",
/// "Children's centres", "GPs", "Number of referrals"): it has a plural noun and no word of
/// measure. "Index of Multiple Deprivation rank" or "Population of Birmingham" do not.
pub fn counts_items(title: &str) -> bool {
    let words: Vec<String> = title
        .split(|c: char| c.is_whitespace() || c == '-' || c == '/' || c == ',')
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    if words.first().is_some_and(|w| w == "number")
        || (words.first().is_some_and(|w| w == "the")
            && words.get(1).is_some_and(|w| w == "number"))
    {
        return true;
    }
    if words.iter().any(|w| MEASURE_WORDS.contains(&w.as_str())) {
        return false;
    }
    words.iter().any(|w| {
        let w = w
            .strip_suffix("'s")
            .or_else(|| w.strip_suffix("’s"))
            .unwrap_or(w);
        IRREGULAR_PLURALS.contains(&w)
            || (w.len() > 2
                && w.ends_with('s')
                && !w.ends_with("ss")
                && !w.ends_with("us")
                && !w.ends_with("is")
                && w.chars().all(char::is_alphabetic))
    })
}

/// What to say about a figure: its title, unit, polarity, the year's value and the
/// previous year's.
#[derive(Debug, Clone)]
pub struct SentenceInput<'a> {
    pub title: &'a str,
    pub unit: Unit,
    pub polarity: Polarity,
    pub value: Option<Decimal>,
    pub previous: Option<Decimal>,
    /// e.g. "2015/16".
    pub year_label: &'a str,
}

/// The headline sentence of a figure, e.g. "There were 2,031 recorded crimes investigated,
/// 34% more than the previous year (1,517)." Counts say more/fewer, percentages compare in
/// percentage points, rates and other measures say higher/lower; when the indicator has a
/// polarity the sentence ends with ", an improvement" or ", a deterioration".
pub fn sentence(i: &SentenceInput<'_>) -> String {
    let Some(v) = i.value else {
        return format!(
            "No figure was received for {} in {}.",
            noun_phrase(i.title),
            i.year_label
        );
    };
    // A count of things reads "There were N things"; a count whose title is a measure
    // (a rank, an index, a population) reads "<Title> was N" and compares higher/lower.
    let items = i.unit == Unit::Count && counts_items(i.title);
    let head = if items {
        let title = i.title.trim();
        let things = [
            "Number of ",
            "number of ",
            "The number of ",
            "the number of ",
        ]
        .iter()
        .find_map(|p| title.strip_prefix(p))
        .unwrap_or(title);
        format!("There were {} {}", number(v), noun_phrase(things))
    } else {
        format!("{} was {}", i.title, value(v, i.unit))
    };
    let Some(p) = i.previous else {
        return format!("{head}; there is no figure for the previous year to compare with.");
    };
    let prev = value(p, i.unit);
    let dir = direction(v, Some(p));
    let change = match (dir, i.unit) {
        (Direction::Same, _) | (Direction::Unknown, _) => {
            format!("the same as the previous year ({prev})")
        }
        (_, Unit::Percent) => {
            let pts = round((v - p).abs(), 1).normalize();
            let unit = if pts == Decimal::ONE {
                "percentage point"
            } else {
                "percentage points"
            };
            let word = if dir == Direction::Up {
                "higher"
            } else {
                "lower"
            };
            format!(
                "{} {unit} {word} than the previous year ({prev})",
                number(pts)
            )
        }
        (_, unit) => {
            let word = match (dir, unit) {
                (Direction::Up, Unit::Count) if items => "more",
                (Direction::Down, Unit::Count) if items => "fewer",
                (Direction::Up, _) => "higher",
                _ => "lower",
            };
            match change_pct(v, p) {
                Some(pct) if pct.is_zero() => {
                    format!("less than 1% {word} than the previous year ({prev})")
                }
                Some(pct) => format!(
                    "{} {word} than the previous year ({prev})",
                    percent(pct.abs())
                ),
                None => format!("{word} than the previous year ({prev})"),
            }
        }
    };
    let judgement = match travel(dir, i.polarity) {
        Travel::Improving => ", an improvement",
        Travel::Worsening => ", a deterioration",
        _ => "",
    };
    format!("{head}, {change}{judgement}.")
}

/// "7 of 10 case files (70%) required improvement."
pub fn audit_sentence(title: &str, requiring: u32, cases: u32) -> String {
    match share_pct(requiring.into(), cases.into()) {
        Some(p) => format!(
            "{title}: {} of {} case files ({}) required improvement.",
            count(requiring.into()),
            count(cases.into()),
            percent(p)
        ),
        None => format!("{title}: no case files were graded."),
    }
}

/// "knew how to access guidance ..." from "I know how to access guidance ...": a first-person
/// statement put in the past tense of the respondents; any other question is quoted.
fn survey_clause(text: &str) -> String {
    let t = text.trim().trim_end_matches(['.', '?', '!']);
    const VERBS: &[(&str, &str)] = &[
        ("I know ", "knew "),
        ("I am ", "were "),
        ("I have ", "had "),
        ("I feel ", "felt "),
        ("I understand ", "understood "),
        ("I can ", "could "),
        ("I would ", "would "),
        ("I use ", "used "),
    ];
    VERBS
        .iter()
        .find_map(|(from, to)| t.strip_prefix(from).map(|rest| format!("{to}{rest}")))
        .unwrap_or_else(|| format!("answered yes to “{t}”"))
}

/// One question's result: (question text, yes share, previous yes share and when).
#[derive(Debug, Clone)]
pub struct SurveyAnswer<'a> {
    pub text: &'a str,
    pub yes_share: Option<Decimal>,
    pub previous: Option<(Decimal, &'a str)>,
}

/// "1,175 practitioners from 17 organisations responded; 83% knew how to access guidance on
/// how to make a good fCAF and referral, against 50% in 2013."
pub fn survey_sentence(
    respondents: u32,
    organisations: u32,
    answers: &[SurveyAnswer<'_>],
) -> String {
    let who = format!(
        "{} {}",
        count(respondents.into()),
        if respondents == 1 {
            "practitioner"
        } else {
            "practitioners"
        }
    );
    let from = match organisations {
        0 => String::new(),
        1 => " from 1 organisation".to_string(),
        n => format!(" from {} organisations", count(n.into())),
    };
    let clauses: Vec<String> = answers
        .iter()
        .filter_map(|a| {
            let yes = a.yes_share?;
            let mut c = format!("{} {}", percent(round(yes, 0)), survey_clause(a.text));
            if let Some((p, when)) = a.previous {
                c.push_str(&format!(", against {} in {when}", percent(round(p, 0))));
            }
            Some(c)
        })
        .collect();
    if clauses.is_empty() {
        format!("{who}{from} responded.")
    } else {
        format!("{who}{from} responded; {}.", clauses.join("; "))
    }
}

/// A grade's share change in words: "good up 3.5 percentage points".
fn grade_change(grade: &str, change: Decimal) -> Option<String> {
    let pts = round(change.abs(), 1).normalize();
    if pts.is_zero() {
        return None;
    }
    let unit = if pts == Decimal::ONE {
        "percentage point"
    } else {
        "percentage points"
    };
    let word = if change.is_sign_negative() {
        "down"
    } else {
        "up"
    };
    Some(format!("{grade} {word} {} {unit}", number(pts)))
}

/// One grade of an audit programme: (grade, cases, change of share first to last).
#[derive(Debug, Clone)]
pub struct ProgrammeGradeInput<'a> {
    pub grade: &'a str,
    pub count: u32,
    pub change: Option<Decimal>,
}

/// "Front Door Reference Group referral audit: 88 cases reviewed in 12 audits from 2015-04
/// to 2016-03; 35 (40%) were graded requires improvement and 9 (10%) inadequate. From the
/// first audit to the last: inadequate down 5 percentage points, good up 2 percentage points."
pub fn programme_sentence(
    title: &str,
    audits: u32,
    (first, last): (&str, &str),
    cases: u32,
    grades: &[ProgrammeGradeInput<'_>],
) -> String {
    let of = |g: &str| grades.iter().find(|x| x.grade == g).map_or(0, |x| x.count);
    let graded: u32 = grades.iter().map(|g| g.count).sum();
    let share = |n: u32| {
        share_pct(n.into(), graded.into())
            .map(percent)
            .unwrap_or_else(|| "–".into())
    };
    let span = if first == last || last.is_empty() {
        format!("in {first}")
    } else {
        format!("from {first} to {last}")
    };
    let mut s = format!(
        "{title}: {} {} reviewed in {} {} {span}",
        count(cases.into()),
        if cases == 1 { "case" } else { "cases" },
        count(audits.into()),
        if audits == 1 { "audit" } else { "audits" },
    );
    if graded > 0 {
        let ri = of("requires improvement");
        let inad = of("inadequate");
        s.push_str(&format!(
            "; {} ({}) were graded requires improvement and {} ({}) inadequate",
            count(ri.into()),
            share(ri),
            count(inad.into()),
            share(inad)
        ));
    }
    s.push('.');
    // Worst grade first: what got less bad, then what got better.
    let changes: Vec<String> = grades
        .iter()
        .rev()
        .filter_map(|g| g.change.and_then(|c| grade_change(g.grade, c)))
        .collect();
    if audits > 1 && !changes.is_empty() {
        s.push_str(&format!(
            " From the first audit to the last: {}.",
            changes.join(", ")
        ));
    }
    s
}

/// "Right Service Right Time: 5,580 of 15,017 trained (37%)."
pub fn reach_sentence(programme: &str, trained: u32, target: u32) -> String {
    match share_pct(trained.into(), target.into()) {
        Some(p) => format!(
            "{programme}: {} of {} trained ({}).",
            count(trained.into()),
            count(target.into()),
            percent(p)
        ),
        None => format!(
            "{programme}: {} trained (no target set).",
            count(trained.into())
        ),
    }
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
