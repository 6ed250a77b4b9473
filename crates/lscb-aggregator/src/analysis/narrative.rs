//! Narrative checks: scans authored Markdown for numbers typed next to something the data
//! knows (an indicator's title, alias or code; a finance or training figure) and reports
//! those that contradict the stored figures, with the section, the sentence and the stored
//! figure. Figures embedded by placeholder (`{{indicator:CODE:2015-16}}`) are never read.
//!
//! How a typed number is read, within one sentence:
//! - it belongs to a known subject whose name its clause (the words between the punctuation
//!   around it) types whole, the nearest such: in "11,470 assessments were carried out, of
//!   which 3,781 were S47 enquiries" 3,781 is about Section 47 enquiries ("S47", "S.47" and
//!   "Section 47" are one word); a qualifier in brackets in a name ("(key facts)") need not
//!   be typed;
//! - when its clause types no name whole, it belongs to the nearest mention of a known
//!   subject (at most 12 words away, 30 for a claimed change, which often closes a long
//!   sentence);
//! - when several measures are read equally well (a key fact and the quarterly measure of
//!   the same name), the number agrees with the data if it agrees with one of them;
//! - a number describing method is not a claim about the year: one in a clause about a
//!   sample ("a random sample of up to 10 referrals"), one with a frequency ("10 referrals
//!   a month", "each month 10 referrals") and a bound ("looked at up to 12 referrals"; "went
//!   up to 13,310" stays a claim);
//! - a percentage next to a change word ("increase of 24.5%", "34% up on") is a claimed
//!   change on the previous period, checked against the change computed from the data
//!   (within the rules' tolerance, after rounding to the typed precision), direction too;
//! - a number marked as last year's ("1,076 last year", "up on 1,517", "compared with …")
//!   must equal the previous period's value; one tagged with another period ("864 in
//!   2013/14") is checked only when the data holds that period;
//! - any other number must equal one of the subject's known figures (value, previous,
//!   target), rounded to the typed precision;
//! - a number followed by some other noun ("from 45 agencies") is not a claim about the
//!   subject and is left alone;
//! - the unit typed picks the measure: a number followed by "per 10,000" (or after "a rate
//!   of") is compared only with a rate, a percentage only with a percentage (or, next to a
//!   change word, with the change of a count or rate), "£" only with money, "N days" only
//!   with a measure in days, and a bare number only with a count. A sentence that names a
//!   count's subject ("referrals") while typing a rate is compared with the rate of that
//!   subject when the data holds one, and otherwise is not checked (never flagged).
//!
//! Every figure read is recorded with its verdict (`consistent` or `contradicted`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::domain::fmt_dec;
use super::facts::{Facts, SourceRef};

/// A section of authored text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    pub markdown: String,
    /// The placeholders the section embedded, when its Markdown has them already resolved
    /// (e.g. `indicator:CAIT.CRIMES:2013-14`). A figure embedded for a period the data here
    /// does not hold makes its subject's unmarked numbers in the section unverifiable, so
    /// they are not reported.
    #[serde(default)]
    pub placeholders: Vec<String>,
}

/// Whether `f`'s figures were embedded in the section for a period this check cannot see.
fn embedded_elsewhere(f: &KnownFigure, placeholders: &[String]) -> bool {
    placeholders.iter().any(|p| {
        let parts: Vec<&str> = p
            .trim_matches(|c| c == '{' || c == '}')
            .split(':')
            .collect();
        let (Some(kind), Some(period)) = (parts.first(), parts.last()) else {
            return false;
        };
        if parts.len() < 3 {
            return false;
        }
        let other = |known: &str| normalise_period(period) != normalise_period(known);
        match *kind {
            "indicator" => {
                f.code.as_deref() == Some(parts[1])
                    && other(&f.period)
                    && f.previous_period.as_deref().is_none_or(other)
            }
            "finance" => f.kind == FigureKind::Money && other(&f.period),
            "training" => f.source.service == "training" && other(&f.period),
            _ => false,
        }
    })
}

/// The kind of figure, for reading typed numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FigureKind {
    Count,
    Percentage,
    /// Stored in pence, typed in pounds.
    Money,
    /// Per 10,000 children (or the indicator's own base).
    Rate,
    Days,
}

impl FigureKind {
    fn words(self) -> &'static str {
        match self {
            FigureKind::Count => "count",
            FigureKind::Percentage => "percentage",
            FigureKind::Money => "money",
            FigureKind::Rate => "rate per 10,000",
            FigureKind::Days => "days",
        }
    }
}

/// Whether a typed figure agrees with the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    #[default]
    Contradicted,
    Consistent,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Contradicted => "contradicted",
            Verdict::Consistent => "consistent",
        }
    }
}

/// Something the data knows and prose may mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownFigure {
    /// What prose calls it: titles and aliases (matched case-insensitively, word by word).
    pub names: Vec<String>,
    /// An indicator code, matched exactly as a word.
    pub code: Option<String>,
    pub kind: FigureKind,
    pub value: Decimal,
    pub period: String,
    pub previous: Option<Decimal>,
    pub previous_period: Option<String>,
    /// Other figures legitimately typed next to it (a target, a programme's goal).
    pub related: Vec<Decimal>,
    pub source: SourceRef,
}

/// A typed number read against the data, with its verdict (the name is historical: most
/// callers keep only the contradicted ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contradiction {
    /// The section key, with the heading inside it when there is one (`lado › LADO`).
    pub section: String,
    /// The sentence as written.
    pub text: String,
    /// The number as typed (e.g. `24.5%`).
    pub typed: String,
    /// What the data says (e.g. `2.2% (1,100 in 2015-16 against 1,076 in 2014-15)`).
    pub stored: String,
    /// The subject the number was read against.
    pub subject: String,
    pub source: SourceRef,
    /// The measure it was compared with: "Referrals to children's social care (count)",
    /// "… (change on 2014-15)".
    #[serde(default)]
    pub measure: String,
    #[serde(default)]
    pub verdict: Verdict,
    /// The heading the sentence sits under (the section key when it has none), for print.
    #[serde(default)]
    pub heading: String,
}

/// The figures a narrative may mention, from the facts.
pub fn known_figures(facts: &Facts) -> Vec<KnownFigure> {
    let mut out = vec![];
    for i in &facts.indicators {
        let Some(v) = i.value else { continue };
        let mut names = vec![i.title.clone()];
        names.extend(i.aliases.iter().cloned());
        out.push(KnownFigure {
            names,
            code: Some(i.code.clone()),
            kind: match i.unit() {
                super::facts::Unit::Percent => FigureKind::Percentage,
                super::facts::Unit::Rate => FigureKind::Rate,
                super::facts::Unit::Days => FigureKind::Days,
                super::facts::Unit::Money => FigureKind::Money,
                _ => FigureKind::Count,
            },
            value: v,
            period: i.source.period.clone(),
            previous: i.previous,
            previous_period: i.previous_period.clone(),
            related: i.target.into_iter().collect(),
            source: i.source.clone(),
        });
    }
    if let Some(f) = &facts.finance {
        let money = |names: &[&str], pence: i64, record: &str| KnownFigure {
            names: names.iter().map(|s| s.to_string()).collect(),
            code: None,
            kind: FigureKind::Money,
            value: Decimal::from(pence),
            period: f.source.period.clone(),
            previous: None,
            previous_period: None,
            related: vec![],
            source: SourceRef::new(
                &f.source.service,
                format!("{}/{record}", f.source.record),
                f.source.period.clone(),
            ),
        };
        out.push(money(&["budget"], f.budget_pence, "budget"));
        out.push(money(
            &["agency contributions", "contributions"],
            f.contributions_pence,
            "contributions",
        ));
        out.push(money(
            &["carry forward", "carried forward"],
            f.carry_forward_pence,
            "carry_forward",
        ));
        out.push(money(&["income"], f.income_pence, "income"));
        out.push(money(
            &["expenditure", "spent"],
            f.expenditure_pence,
            "expenditure",
        ));
    }
    if let Some(t) = &facts.training_delivery {
        let count =
            |names: &[&str], v: Decimal, kind: FigureKind, prev: Option<Decimal>| KnownFigure {
                names: names.iter().map(|s| s.to_string()).collect(),
                code: None,
                kind,
                value: v,
                period: t.source.period.clone(),
                previous: prev,
                previous_period: None,
                related: vec![],
                source: t.source.clone(),
            };
        out.push(count(
            &["training courses", "courses"],
            t.courses.into(),
            FigureKind::Count,
            None,
        ));
        out.push(count(
            &["places", "delegates"],
            t.places.into(),
            FigureKind::Count,
            None,
        ));
        out.push(count(
            &["utilisation"],
            t.utilisation,
            FigureKind::Percentage,
            t.previous_utilisation,
        ));
    }
    for r in &facts.training_reach {
        let share = if r.target > 0 {
            (Decimal::from(r.trained) * Decimal::ONE_HUNDRED / Decimal::from(r.target)).round_dp(1)
        } else {
            Decimal::ZERO
        };
        out.push(KnownFigure {
            names: vec![r.programme.clone()],
            code: None,
            kind: FigureKind::Count,
            value: r.trained.into(),
            period: r.source.period.clone(),
            previous: None,
            previous_period: None,
            related: vec![r.target.into(), share],
            source: r.source.clone(),
        });
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word {
        lower: String,
        raw: String,
    },
    Num {
        value: Decimal,
        raw: String,
        dp: u32,
        percent: bool,
        money: bool,
    },
    Period(String),
    Punct,
}

const STOP: &[&str] = &[
    "the", "of", "and", "for", "with", "to", "in", "on", "a", "an", "by", "at", "from", "number",
    "rate", "per", "who", "were", "was", "are", "is",
];
const UP: &[&str] = &[
    "increase",
    "increased",
    "increases",
    "rise",
    "rose",
    "risen",
    "up",
    "higher",
    "more",
    "growth",
    "grew",
];
const DOWN: &[&str] = &[
    "decrease",
    "decreased",
    "decreases",
    "fall",
    "fell",
    "fallen",
    "down",
    "lower",
    "fewer",
    "reduction",
    "reduced",
    "drop",
    "dropped",
    "less",
];
const CONNECT: &[&str] = &[
    "last",
    "in",
    "this",
    "the",
    "previous",
    "compared",
    "and",
    "or",
    "to",
    "from",
    "on",
    "at",
    "against",
    "times",
    "occasions",
    "during",
    "which",
    "were",
    "was",
    "a",
    "an",
    "per",
];

fn tokenise(s: &str) -> Vec<Tok> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || (c == '£' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let money = c == '£';
            if money {
                i += 1;
            }
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || ((chars[i] == ',' || chars[i] == '.')
                        && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())))
            {
                i += 1;
            }
            let raw: String = chars[start..i].iter().collect();
            // A period: 2015/16, 2015-16.
            if raw.len() == 4
                && !raw.contains([',', '.'])
                && (chars.get(i) == Some(&'/') || chars.get(i) == Some(&'-'))
                && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())
                && chars.get(i + 2).is_some_and(|d| d.is_ascii_digit())
                && !chars.get(i + 3).is_some_and(|d| d.is_ascii_digit())
            {
                let yy: String = chars[i + 1..i + 3].iter().collect();
                out.push(Tok::Period(format!("{raw}-{yy}")));
                i += 3;
                continue;
            }
            let mut percent = false;
            if chars.get(i) == Some(&'%') {
                percent = true;
                i += 1;
            }
            let plain = raw.replace(',', "");
            if !money
                && !percent
                && plain.len() == 4
                && !raw.contains('.')
                && let Ok(y) = plain.parse::<i32>()
                && (1990..=2100).contains(&y)
            {
                out.push(Tok::Period(plain));
                continue;
            }
            // "Section 47" names a kind of enquiry (as "S47" does), not a figure.
            if !money
                && !percent
                && !raw.contains([',', '.'])
                && plain.len() <= 3
                && matches!(out.last(), Some(Tok::Word { lower, .. }) if lower == "section")
            {
                out.pop();
                out.push(Tok::Word {
                    lower: format!("s{plain}"),
                    raw: format!("Section {plain}"),
                });
                continue;
            }
            let dp = plain
                .split_once('.')
                .map(|(_, f)| f.len() as u32)
                .unwrap_or(0);
            if let Ok(value) = plain.parse::<Decimal>() {
                out.push(Tok::Num {
                    value,
                    raw: format!(
                        "{}{raw}{}",
                        if money { "£" } else { "" },
                        if percent { "%" } else { "" }
                    ),
                    dp,
                    percent,
                    money,
                });
            }
        } else if c.is_alphanumeric() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || ((chars[i] == '-'
                        || chars[i] == '_'
                        || chars[i] == '\''
                        || chars[i] == '.')
                        && chars.get(i + 1).is_some_and(|d| d.is_alphanumeric())))
            {
                i += 1;
            }
            let raw: String = chars[start..i].iter().collect();
            // "per cent" after a number makes it a percentage.
            if raw.eq_ignore_ascii_case("cent")
                && matches!(out.last(), Some(Tok::Word { lower, .. }) if lower == "per")
                && let Some(Tok::Num {
                    percent, raw: r, ..
                }) = out.iter_mut().rev().nth(1)
            {
                *percent = true;
                r.push('%');
                out.pop();
                continue;
            }
            out.push(Tok::Word {
                lower: canonical_word(&raw.to_lowercase()),
                raw,
            });
        } else {
            if !c.is_whitespace() {
                out.push(Tok::Punct);
            }
            i += 1;
        }
    }
    out
}

/// One spelling for words written several ways: "S.47" is "s47".
fn canonical_word(lower: &str) -> String {
    if let Some(rest) = lower.strip_prefix("s.")
        && !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_digit())
    {
        return format!("s{rest}");
    }
    lower.to_string()
}

/// The words of a name that prose must type to mention it: read as prose is read (so
/// "Section 47 enquiries" is "s47 enquiries"), without stop words, numbers, periods, the
/// base of a rate ("Contacts per 10,000 children" is "contacts") or a qualifier in
/// brackets ("Care leavers NEET (key facts)" is "care leavers neet").
fn name_words(name: &str) -> Vec<String> {
    let lower = name.to_lowercase();
    let subject = lower.split(" per ").next().unwrap_or(&lower);
    let mut bare = String::new();
    let mut depth = 0usize;
    for c in subject.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => bare.push(c),
            _ => {}
        }
    }
    let words = |s: &str| -> Vec<String> {
        tokenise(s)
            .into_iter()
            .filter_map(|t| match t {
                Tok::Word { lower, .. } if !STOP.contains(&lower.as_str()) => Some(lower),
                _ => None,
            })
            .collect()
    };
    let out = words(&bare);
    if out.is_empty() { words(subject) } else { out }
}

fn stem(w: &str) -> &str {
    w.strip_suffix("ies")
        .or_else(|| w.strip_suffix('s'))
        .unwrap_or(w)
}

/// The token positions where `f` is mentioned in `toks`.
fn mentions(f: &KnownFigure, toks: &[Tok]) -> Vec<usize> {
    let mut out = vec![];
    if let Some(code) = &f.code {
        for (i, t) in toks.iter().enumerate() {
            if let Tok::Word { raw, .. } = t
                && raw == code
            {
                out.push(i);
            }
        }
    }
    for name in &f.names {
        // A rate's name reads as its subject: "Contacts per 10,000 children" is "contacts".
        let words = name_words(name);
        if words.is_empty() {
            continue;
        }
        // Every word must be typed; each of its occurrences is a mention.
        let mut positions = vec![];
        for w in &words {
            let hits: Vec<usize> = toks
                .iter()
                .enumerate()
                .filter(|(_, t)| matches!(t, Tok::Word { lower, .. } if stem(lower) == stem(w)))
                .map(|(p, _)| p)
                .collect();
            if hits.is_empty() {
                positions.clear();
                break;
            }
            positions.extend(hits);
        }
        out.extend(positions);
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn subject_word(f: &KnownFigure, w: &str) -> bool {
    f.names.iter().any(|n| {
        n.to_lowercase()
            .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '\'')
            .any(|x| !x.is_empty() && stem(x) == stem(w))
            || name_words(n).iter().any(|x| stem(x) == stem(w))
    })
}

/// The clause a token sits in: the tokens between the punctuation marks around it.
fn clause_of(toks: &[Tok], i: usize) -> std::ops::Range<usize> {
    let start = toks[..i]
        .iter()
        .rposition(|t| matches!(t, Tok::Punct))
        .map_or(0, |p| p + 1);
    let end = toks[i..]
        .iter()
        .position(|t| matches!(t, Tok::Punct))
        .map_or(toks.len(), |p| i + p);
    start..end
}

/// How many words of `f`'s best-typed name the clause holds, when it holds all of them (0
/// when no name of `f` is typed whole within the clause).
fn clause_words(f: &KnownFigure, toks: &[Tok], clause: &std::ops::Range<usize>) -> usize {
    let has = |w: &String| {
        toks[clause.clone()]
            .iter()
            .any(|t| matches!(t, Tok::Word { lower, .. } if stem(lower) == stem(w)))
    };
    let mut best = 0;
    for n in &f.names {
        let words = name_words(n);
        if !words.is_empty() && words.iter().all(has) {
            best = best.max(words.len());
        }
    }
    if let Some(code) = &f.code
        && toks[clause.clone()]
            .iter()
            .any(|t| matches!(t, Tok::Word { raw, .. } if raw == code))
    {
        best = best.max(1);
    }
    best
}

/// Whether the number at `i` describes how something was done rather than how much of it
/// there was: "a random sample of up to 10 referrals", "10 cases a month". Such numbers are
/// not claims about a year's figure.
fn describes_method(toks: &[Tok], i: usize) -> bool {
    let clause = clause_of(toks, i);
    let before = &toks[clause.start..i];
    // The words after the number, up to the next number of its clause.
    let after: Vec<&Tok> = toks[i + 1..clause.end]
        .iter()
        .take_while(|t| !matches!(t, Tok::Num { .. }))
        .take(8)
        .collect();
    let word = |t: &Tok, set: &[&str]| matches!(t, Tok::Word { lower, .. } if set.contains(&lower.as_str()));
    // "a random sample of 10 referrals", "10 referrals were sampled".
    const SAMPLING: &[&str] = &["sample", "samples", "sampled", "sampling", "random"];
    if before.iter().any(|t| word(t, SAMPLING)) || after.iter().any(|t| word(t, SAMPLING)) {
        return true;
    }
    // "10 referrals a month", "each month 10 referrals": a frequency, not the year's count.
    const EVERY: &[&str] = &["a", "an", "per", "each", "every"];
    const SPAN: &[&str] = &["month", "week", "day", "fortnight", "quarter", "term"];
    let frequency = |run: &[&Tok]| {
        run.windows(2)
            .any(|w| word(w[0], EVERY) && word(w[1], SPAN))
    };
    let before: Vec<&Tok> = before.iter().collect();
    if frequency(&after) || frequency(&before) {
        return true;
    }
    // "a sample of up to 10", "looked at up to 12": a bound, not a figure; "went up to
    // 13,310" stays a claim.
    const MOVES: &[&str] = &[
        "went",
        "gone",
        "go",
        "goes",
        "going",
        "rose",
        "risen",
        "rising",
        "moved",
        "climbed",
        "increased",
        "crept",
        "came",
        "come",
        "jumped",
        "was",
        "were",
        "is",
        "are",
        "been",
    ];
    i >= 2
        && word_at(toks, i - 1) == Some("to")
        && word_at(toks, i - 2) == Some("up")
        && !(i >= 3 && word_at(toks, i - 3).is_some_and(|w| MOVES.contains(&w)))
}

fn word_at(toks: &[Tok], i: usize) -> Option<&str> {
    match toks.get(i) {
        Some(Tok::Word { lower, .. }) => Some(lower.as_str()),
        _ => None,
    }
}

fn typed_matches(f: &KnownFigure, typed: Decimal, dp: u32, stored: Decimal) -> bool {
    let stored = if f.kind == FigureKind::Money {
        stored / Decimal::ONE_HUNDRED
    } else {
        stored
    };
    crate::report::format::round(stored, dp) == typed
}

fn show(f: &KnownFigure, d: Decimal) -> String {
    match f.kind {
        FigureKind::Money => crate::report::format::money(
            rust_decimal::prelude::ToPrimitive::to_i64(&d.round()).unwrap_or(0),
        ),
        FigureKind::Percentage => format!("{}%", fmt_dec(d)),
        FigureKind::Rate => format!("{} per 10,000", fmt_dec(d)),
        FigureKind::Days => format!("{} days", fmt_dec(d)),
        FigureKind::Count => fmt_dec(d),
    }
}

/// The base of a rate: 1,000, 10,000 or 100,000.
fn is_base(v: Decimal) -> bool {
    [1_000u32, 10_000, 100_000]
        .iter()
        .any(|b| Decimal::from(*b) == v)
}

/// The unit a typed number is in, from the words around it.
fn typed_kind(toks: &[Tok], i: usize, percent: bool, money: bool) -> FigureKind {
    if money {
        return FigureKind::Money;
    }
    if percent {
        return FigureKind::Percentage;
    }
    // "2,329 per 10,000", "381.5 referrals per 10,000 children", "a rate of 44".
    for d in 1..=6 {
        match toks.get(i + d) {
            Some(Tok::Word { lower, .. }) if lower == "per" => {
                if matches!(toks.get(i + d + 1), Some(Tok::Num { value, .. }) if is_base(*value)) {
                    return FigureKind::Rate;
                }
                break;
            }
            Some(Tok::Word { .. }) => {}
            _ => break,
        }
    }
    if i >= 2 && word_at(toks, i - 1) == Some("of") && word_at(toks, i - 2) == Some("rate") {
        return FigureKind::Rate;
    }
    // "Referrals per 10,000 children were 381.5": the base is typed before the figure.
    for d in 1..=6 {
        let Some(j) = i.checked_sub(d) else { break };
        match toks.get(j) {
            Some(Tok::Num { value, .. }) => {
                if is_base(*value) && j > 0 && word_at(toks, j - 1) == Some("per") {
                    return FigureKind::Rate;
                }
                break;
            }
            Some(Tok::Word { .. }) => {}
            _ => break,
        }
    }
    if matches!(word_at(toks, i + 1), Some("days") | Some("day")) {
        return FigureKind::Days;
    }
    FigureKind::Count
}

/// Splits plain text into sentences, keeping decimal points.
fn sentences(text: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == '\n' {
            if !cur.trim().is_empty() {
                out.push(cur.trim().to_string());
            }
            cur.clear();
            continue;
        }
        cur.push(*c);
        if matches!(c, '.' | '!' | '?') && chars.get(i + 1).is_none_or(|n| n.is_whitespace()) {
            out.push(cur.trim().to_string());
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// Removes `{{...}}` placeholders so embedded figures are never read as typed ones.
fn strip_placeholders(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        match rest[start..].find("}}") {
            Some(end) => {
                out.push_str(" (embedded) ");
                rest = &rest[start + end + 2..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Checks every section; `tolerance_points` is how far a typed percentage change may be
/// from the computed one (after rounding to the typed precision) before it is reported.
/// Returns every figure read, consistent or contradicted; [`contradictions`] keeps the
/// contradicted ones.
pub fn check_narrative(
    sections: &[Section],
    figures: &[KnownFigure],
    tolerance_points: Decimal,
) -> Vec<Contradiction> {
    let mut out = vec![];
    for sec in sections {
        let mut heading = String::new();
        for line in sec.markdown.lines() {
            let trimmed = line.trim_start();
            if let Some(h) = trimmed.strip_prefix('#') {
                heading = h.trim_start_matches('#').trim().to_string();
                continue;
            }
            let section = if heading.is_empty() {
                sec.title.clone()
            } else {
                format!("{} › {heading}", sec.title)
            };
            let shown = if heading.is_empty() {
                sec.title.clone()
            } else {
                heading.clone()
            };
            let plain = strip_placeholders(line);
            for sentence in sentences(&plain) {
                check_sentence(
                    &section,
                    &shown,
                    &sentence,
                    figures,
                    &sec.placeholders,
                    tolerance_points,
                    &mut out,
                );
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn check_sentence(
    section: &str,
    heading: &str,
    sentence: &str,
    figures: &[KnownFigure],
    placeholders: &[String],
    tol: Decimal,
    out: &mut Vec<Contradiction>,
) {
    let toks = tokenise(sentence);
    let mentioned: Vec<(&KnownFigure, Vec<usize>)> = figures
        .iter()
        .map(|f| (f, mentions(f, &toks)))
        .filter(|(_, m)| !m.is_empty())
        .collect();
    if mentioned.is_empty() {
        return;
    }
    let mut last_kind: Option<FigureKind> = None;
    for (i, t) in toks.iter().enumerate() {
        let Tok::Num {
            value,
            raw,
            dp,
            percent,
            money,
        } = t
        else {
            continue;
        };
        // The base of a rate ("per 10,000") is not a claim.
        if i > 0 && word_at(&toks, i - 1) == Some("per") {
            continue;
        }
        let near = |range: std::ops::RangeInclusive<isize>, set: &[&str]| {
            range.into_iter().any(|d| {
                let j = i as isize + d;
                j >= 0 && word_at(&toks, j as usize).is_some_and(|w| set.contains(&w))
            })
        };
        let up = near(-4..=3, UP);
        let down = near(-4..=3, DOWN);
        let mut typed = typed_kind(&toks, i, *percent, *money);
        // "381.5 per 10,000, down from 434.8", "rose to 83% from 75": a bare number joined
        // to a figure just typed in another unit is in that unit.
        if typed == FigureKind::Count
            && i > 0
            && matches!(
                word_at(&toks, i - 1),
                Some("from" | "to" | "against" | "with" | "than" | "on")
            )
            && let Some(k) = last_kind
            && k != FigureKind::Count
        {
            typed = k;
        }
        last_kind = Some(typed);
        let change_claim = *percent && (up || down);
        // The unit typed picks the measures it may be compared with.
        let fits = |f: &KnownFigure| match typed {
            FigureKind::Percentage => {
                f.kind == FigureKind::Percentage
                    || (change_claim && f.kind != FigureKind::Percentage)
            }
            k => f.kind == k,
        };
        // A number describing how something was done ("a sample of up to 10 referrals")
        // is not a claim about the subject's figure.
        if !change_claim && describes_method(&toks, i) {
            continue;
        }
        // The measure the number is about: of the subjects whose name its clause types
        // whole, the nearest ("of which 3,781 were S47 enquiries" is about Section 47
        // enquiries, however near "assessments" is); when the clause types none whole, the
        // nearest mentioned subject. At the same distance, the one named by more words
        // ("LADO referrals" over "referrals").
        let clause = clause_of(&toks, i);
        let ranked: Vec<(&KnownFigure, Reading)> = mentioned
            .iter()
            .filter(|(f, _)| fits(f))
            .map(|(f, m)| {
                let cw = clause_words(f, &toks, &clause);
                let dist = m.iter().map(|p| p.abs_diff(i)).min().unwrap_or(usize::MAX);
                (*f, (cw > 0, dist, cw, m.len()))
            })
            .collect();
        let rank = |(in_clause, dist, cw, words): Reading| {
            (
                std::cmp::Reverse(in_clause),
                dist,
                std::cmp::Reverse(cw),
                std::cmp::Reverse(words),
            )
        };
        let Some(best_key) = ranked.iter().map(|(_, k)| *k).min_by_key(|k| rank(*k)) else {
            continue;
        };
        // A claimed change may close a long sentence ("..., which represents an increase of
        // 24.5%"); a plain figure must sit next to its subject.
        let reach = if change_claim { 30 } else { 12 };
        if best_key.1 > reach {
            continue;
        }
        // Measures read as well as the best (a key fact and the quarterly measure of the
        // same name): the number agrees with the data if it agrees with one of them.
        let tied: Vec<&KnownFigure> = ranked
            .iter()
            .filter(|(_, k)| *k == best_key)
            .map(|(f, _)| *f)
            .collect();
        // Which period does it claim to be?
        let next = word_at(&toks, i + 1);
        let marked_previous = (next == Some("last") && word_at(&toks, i + 2) == Some("year"))
            || (next == Some("the")
                && matches!(word_at(&toks, i + 2), Some("year") | Some("previous")))
            || (next == Some("in")
                && word_at(&toks, i + 2) == Some("the")
                && word_at(&toks, i + 3) == Some("previous"))
            || near(-2..=-1, &["compared", "from", "against"])
            || (i >= 2
                && matches!(word_at(&toks, i - 2), Some("up") | Some("down"))
                && word_at(&toks, i - 1) == Some("on"));
        let tagged_period = (1..=3).find_map(|d| match toks.get(i + d) {
            Some(Tok::Period(p)) => Some(p.clone()),
            Some(Tok::Num { .. }) => None,
            _ => None,
        });
        // (what the data says, the measure, whether the number agrees), or None when the
        // number is not read as a claim about `f`.
        let judge = |f: &KnownFigure| -> Option<(String, String, bool)> {
            let name = f.names.first().cloned().unwrap_or_default();
            if change_claim && f.kind != FigureKind::Percentage {
                let prev = f.previous.filter(|p| !p.is_zero())?;
                let change = (f.value - prev) * Decimal::ONE_HUNDRED / prev;
                let pp = f
                    .previous_period
                    .as_deref()
                    .unwrap_or("the previous period")
                    .to_string();
                let describe = format!(
                    "{}{}% ({} in {} against {} in {pp})",
                    if change.is_sign_negative() { "-" } else { "+" },
                    fmt_dec(change.abs()),
                    show(f, f.value),
                    f.period,
                    show(f, prev),
                );
                let wrong_direction =
                    (up && !down && change.is_sign_negative() && !change.is_zero())
                        || (down && !up && change.is_sign_positive() && !change.is_zero());
                let rounded = crate::report::format::round(change.abs(), *dp);
                let ok = !wrong_direction && (rounded - *value).abs() <= tol;
                return Some((describe, format!("{name} (change on {pp})"), ok));
            }
            let measure = format!("{name} ({})", f.kind.words());
            // Is this a claim about the subject at all?
            let claim = match toks.get(i + 1) {
                None | Some(Tok::Punct) | Some(Tok::Period(_)) | Some(Tok::Num { .. }) => true,
                Some(Tok::Word { lower, .. }) => {
                    subject_word(f, lower)
                        || CONNECT.contains(&lower.as_str())
                        || (*percent && lower == "of")
                        || (f.kind == FigureKind::Days && matches!(lower.as_str(), "days" | "day"))
                }
            };
            if !claim {
                return None;
            }
            if marked_previous {
                let prev = f.previous?;
                let pp = f
                    .previous_period
                    .as_deref()
                    .unwrap_or("the previous period");
                return Some((
                    format!("{} in {pp}", show(f, prev)),
                    measure,
                    typed_matches(f, *value, *dp, prev),
                ));
            }
            if let Some(p) = &tagged_period {
                let p = normalise_period(p);
                if p == normalise_period(&f.period) {
                    return Some((
                        format!("{} in {}", show(f, f.value), f.period),
                        measure,
                        typed_matches(f, *value, *dp, f.value),
                    ));
                }
                if f.previous_period.as_deref().map(normalise_period) == Some(p.clone())
                    && let Some(prev) = f.previous
                {
                    return Some((
                        format!("{} in {p}", show(f, prev)),
                        measure,
                        typed_matches(f, *value, *dp, prev),
                    ));
                }
                return None;
            }
            let known = std::iter::once(f.value)
                .chain(f.previous)
                .chain(f.related.iter().copied());
            let ok = known.into_iter().any(|k| typed_matches(f, *value, *dp, k));
            (ok || !embedded_elsewhere(f, placeholders))
                .then(|| (format!("{} in {}", show(f, f.value), f.period), measure, ok))
        };
        let judged: Vec<(&KnownFigure, (String, String, bool))> = tied
            .iter()
            .filter_map(|f| judge(f).map(|j| (*f, j)))
            .collect();
        let Some((f, (stored, measure, ok))) = judged
            .iter()
            .find(|(_, (_, _, ok))| *ok)
            .or_else(|| judged.first())
            .cloned()
        else {
            continue;
        };
        out.push(Contradiction {
            section: section.to_string(),
            text: sentence.to_string(),
            typed: raw.clone(),
            stored,
            subject: f.names.first().cloned().unwrap_or_default(),
            source: f.source.clone(),
            measure,
            verdict: if ok {
                Verdict::Consistent
            } else {
                Verdict::Contradicted
            },
            heading: heading.to_string(),
        });
    }
}

/// How well a number's clause reads a subject: whether it types a name of it whole, the
/// distance to its nearest mention, how many words of the name the clause types, how many
/// mentions the sentence holds.
type Reading = (bool, usize, usize, usize);

/// The contradicted checks only.
pub fn contradictions(checks: &[Contradiction]) -> Vec<Contradiction> {
    checks
        .iter()
        .filter(|c| c.verdict == Verdict::Contradicted)
        .cloned()
        .collect()
}

fn normalise_period(p: &str) -> String {
    if p.len() == 4 {
        // A bare year "2016" names no financial year unambiguously; keep it as is.
        return p.to_string();
    }
    p.replace('/', "-")
}

#[cfg(test)]
#[path = "narrative_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "narrative_corpus_tests.rs"]
mod corpus;
