//! Placeholders that embed figures in authored narrative, so that no number is typed by hand:
//!
//! - `{{indicator:CODE:PERIOD}}` — an indicator's value, e.g. `{{indicator:CAIT.CRIMES:2015-16}}`
//!   (any period: a year, "2015-16-Q4" or "2016-03"); `CODE/VALUE` names one value of its
//!   breakdown, e.g. `{{indicator:LADO.REFERRALS/education:2015-16}}`;
//! - `{{finance:FIELD:YEAR}}` — total_budget, contributions, carry_forward, income,
//!   expenditure, balance, in_kind, planned_change;
//! - `{{training:FIELD:YEAR}}` — courses, places (offered), places_taken, utilisation,
//!   did_not_attend, reach.PROGRAMME, reach_pct.PROGRAMME;
//! - `{{audit:AUDIT_ID.FIELD:YEAR}}` — cases, requiring_improvement, requiring_improvement_pct.
//!
//! Parsing is pure; checking that the reference exists is done against the data services.

use lscb_platform::Period;

pub const FINANCE_FIELDS: &[&str] = &[
    "total_budget",
    "contributions",
    "carry_forward",
    "income",
    "expenditure",
    "balance",
    "in_kind",
    "planned_change",
];

pub const TRAINING_FIELDS: &[&str] = &[
    "courses",
    "places",
    "places_taken",
    "utilisation",
    "did_not_attend",
];

pub const AUDIT_FIELDS: &[&str] = &[
    "cases",
    "requiring_improvement",
    "requiring_improvement_pct",
];

/// What a placeholder refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Indicator {
        code: String,
    },
    Finance {
        field: String,
    },
    Training {
        field: String,
        programme: Option<String>,
    },
    Audit {
        audit_id: String,
        field: String,
    },
}

/// A parsed placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// The text between the braces, e.g. "indicator:CAIT.CRIMES:2015-16".
    pub raw: String,
    pub target: Target,
    pub period: Period,
}

/// A placeholder that cannot be used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPlaceholder {
    pub raw: String,
    pub reason: String,
}

/// Every `{{...}}` in `text`: its byte range and its inner text.
pub fn find(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("{{") {
        let start = from + i;
        match text[start + 2..].find("}}") {
            Some(j) => {
                let end = start + 2 + j + 2;
                out.push((
                    start..end,
                    text[start + 2..start + 2 + j].trim().to_string(),
                ));
                from = end;
            }
            None => {
                out.push((start..text.len(), text[start + 2..].trim().to_string()));
                break;
            }
        }
    }
    out
}

/// Parses one placeholder's inner text.
pub fn parse(raw: &str) -> Result<Placeholder, BadPlaceholder> {
    let bad = |reason: String| BadPlaceholder {
        raw: raw.to_string(),
        reason,
    };
    let parts: Vec<&str> = raw.split(':').map(str::trim).collect();
    if parts.len() != 3 {
        return Err(bad(
            "write {{kind:key:period}}, e.g. {{indicator:CAIT.CRIMES:2015-16}}".into(),
        ));
    }
    let period: Period = parts[2]
        .parse()
        .map_err(|e: lscb_platform::period::PeriodError| bad(e.to_string()))?;
    let key = parts[1];
    let target = match parts[0] {
        "indicator" => {
            let (code, breakdown) = key.split_once('/').unwrap_or((key, "x"));
            let ok = !code.is_empty()
                && code.chars().all(|c| {
                    c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
                })
                && !breakdown.is_empty()
                && breakdown.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-')
                });
            if !ok {
                return Err(bad(format!("'{key}' is not an indicator code")));
            }
            Target::Indicator {
                code: key.to_string(),
            }
        }
        "finance" => {
            if !FINANCE_FIELDS.contains(&key) {
                return Err(bad(format!(
                    "unknown finance figure '{key}': expected one of {}",
                    FINANCE_FIELDS.join(", ")
                )));
            }
            Target::Finance {
                field: key.to_string(),
            }
        }
        "training" => match key.split_once('.') {
            Some((f @ ("reach" | "reach_pct"), prog)) if !prog.is_empty() => Target::Training {
                field: f.to_string(),
                programme: Some(prog.to_string()),
            },
            None if TRAINING_FIELDS.contains(&key) => Target::Training {
                field: key.to_string(),
                programme: None,
            },
            _ => {
                return Err(bad(format!(
                    "unknown training figure '{key}': expected one of {}, reach.PROGRAMME or reach_pct.PROGRAMME",
                    TRAINING_FIELDS.join(", ")
                )));
            }
        },
        "audit" => match key.rsplit_once('.') {
            Some((id, f)) if !id.is_empty() && AUDIT_FIELDS.contains(&f) => Target::Audit {
                audit_id: id.to_string(),
                field: f.to_string(),
            },
            _ => {
                return Err(bad(format!(
                    "unknown audit figure '{key}': write AUDIT_ID.FIELD with FIELD one of {}",
                    AUDIT_FIELDS.join(", ")
                )));
            }
        },
        other => {
            return Err(bad(format!(
                "unknown kind '{other}': expected indicator, finance, training or audit"
            )));
        }
    };
    Ok(Placeholder {
        raw: raw.to_string(),
        target,
        period,
    })
}

/// Parses every placeholder of `text` (first use order, no duplicates).
pub fn parse_all(text: &str) -> (Vec<Placeholder>, Vec<BadPlaceholder>) {
    let mut ok: Vec<Placeholder> = Vec::new();
    let mut bad = Vec::new();
    for (_, raw) in find(text) {
        match parse(&raw) {
            Ok(p) => {
                if !ok.iter().any(|q| q.raw == p.raw) {
                    ok.push(p)
                }
            }
            Err(b) => bad.push(b),
        }
    }
    (ok, bad)
}

/// Replaces every placeholder of `text` with `resolve(raw)`.
pub fn substitute(text: &str, mut resolve: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (range, raw) in find(text) {
        out.push_str(&text[last..range.start]);
        out.push_str(&resolve(&raw));
        last = range.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind() {
        let p = parse("indicator:CAIT.CRIMES:2015-16").unwrap();
        assert_eq!(
            p.target,
            Target::Indicator {
                code: "CAIT.CRIMES".into()
            }
        );
        assert_eq!(p.period.to_string(), "2015-16");
        assert_eq!(
            parse("indicator:LADO.REFERRALS/education:2014-15")
                .unwrap()
                .target,
            Target::Indicator {
                code: "LADO.REFERRALS/education".into()
            }
        );
        assert!(matches!(
            parse("finance:total_budget:2015-16").unwrap().target,
            Target::Finance { .. }
        ));
        assert_eq!(
            parse("training:reach_pct.RSRT:2015-16").unwrap().target,
            Target::Training {
                field: "reach_pct".into(),
                programme: Some("RSRT".into())
            }
        );
        assert_eq!(
            parse("audit:12.requiring_improvement:2015-16")
                .unwrap()
                .target,
            Target::Audit {
                audit_id: "12".into(),
                field: "requiring_improvement".into()
            }
        );
    }

    #[test]
    fn rejects_bad_ones_with_a_reason() {
        assert!(
            parse("finance:budget:2015-16")
                .unwrap_err()
                .reason
                .contains("total_budget")
        );
        assert!(parse("indicator:CAIT.CRIMES").is_err());
        assert!(parse("indicator:LADO.REFERRALS/Education:2015-16").is_err());
        assert!(parse("indicator:LADO.REFERRALS/:2015-16").is_err());
        assert!(parse("indicator:CAIT.CRIMES:2015").is_err());
        assert!(
            parse("weather:sun:2015-16")
                .unwrap_err()
                .reason
                .contains("unknown kind")
        );
    }

    #[test]
    fn finds_and_substitutes() {
        let t = "There were {{indicator:A:2015-16}} crimes and {{ finance:income:2015-16 }} income; {{broken";
        let (ok, bad) = parse_all(t);
        assert_eq!(ok.len(), 2);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].raw, "broken");
        let s = substitute("a {{x:y:z}} b {{p}}", |r| format!("<{r}>"));
        assert_eq!(s, "a <x:y:z> b <p>");
    }
}
