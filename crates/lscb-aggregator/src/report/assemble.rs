//! Builds the report model from what the data services returned (or why they failed), the
//! authored narrative and the glossary. Pure: no I/O, so it is tested directly.

use std::collections::BTreeMap;

use lscb_platform::Period;

use super::model::*;
use super::upstream::{AuditsData, IndicatorsData};

/// The strategic priorities, in report order: (tag, heading).
pub const PRIORITIES: [(&str, &str); 3] = [
    ("voice_of_the_child", "Priority 1 – Voice of the Child"),
    ("early_help", "Priority 2 – Early Help"),
    ("safe_systems", "Priority 3 – Safe Systems"),
];

/// Indicator themes reported under "key vulnerable groups".
pub const VULNERABLE_THEMES: &[&str] = &[
    "cse",
    "missing_children",
    "domestic_abuse",
    "fgm",
    "radicalisation",
    "forced_marriage",
    "modern_slavery",
    "private_fostering",
    "allegations_lado",
    "children_in_care",
    "care_leavers",
    "vulnerable",
];

/// Everything assembly needs.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub partnership: PartnershipInfo,
    pub year: Period,
    pub generated_at: String,
    pub indicators: Result<IndicatorsData, String>,
    pub audits: Result<AuditsData, String>,
    pub training: Result<Training, String>,
    pub finance: Result<Option<Finance>, String>,
    pub narrative: Vec<NarrativeSection>,
    /// The glossary the partnership sees: (acronym, meaning).
    pub glossary: Vec<(String, String)>,
    /// Agency code → name.
    pub agency_names: BTreeMap<String, String>,
}

/// "2015-16" → "2015/16".
pub fn year_label(p: &impl std::fmt::Display) -> String {
    p.to_string().replacen('-', "/", 1)
}

fn block<T, U>(r: &Result<T, String>, source: &str, f: impl FnOnce(&T) -> U) -> Block<U> {
    match r {
        Ok(v) => Block::Available { data: f(v) },
        Err(e) => Block::unavailable(source, e.clone()),
    }
}

fn has(f: &Figure, tag: &str) -> bool {
    f.tags.iter().any(|t| t == tag)
}

/// How a source that answered with nothing for the year is described (its `error`).
pub const NO_DATA: &str = "holds no data";

/// Whether a source that answered holds data for the year itself: an indicator value, an
/// audit, return, attendance, review, inspection or survey of the year, training delivered
/// or a budget. Open actions carried from earlier years do not count.
pub fn holds_data(i: &Inputs, source: &str) -> bool {
    match source {
        "indicators" => i
            .indicators
            .as_ref()
            .is_ok_and(|d| d.figures.iter().any(|f| f.value.is_some())),
        "audits" => i.audits.as_ref().is_ok_and(|d| {
            !d.audits.is_empty()
                || !d.inspections.is_empty()
                || d.section11.as_ref().is_some_and(|s| s.returned > 0)
                || d.section175.as_ref().is_some_and(|s| s.returned > 0)
                || d.attendance.as_ref().is_some_and(|a| {
                    a.rows
                        .iter()
                        .flat_map(|r| r.cells.iter().flatten())
                        .any(|c| c.meetings > 0)
                })
                // Reviews are listed whatever the year; one published in it is its data.
                || d.reviews.iter().any(|r| {
                    r.published.as_deref().is_some_and(|p| {
                        let (from, to) = (i.year.first_day().to_string(), i.year.last_day().to_string());
                        p.get(..10).is_some_and(|p| p >= from.as_str() && p <= to.as_str())
                    })
                })
                || !d.surveys.is_empty()
                // The board's own record of the year (plan, register, child death reviews).
                || d.board.plan.is_some()
                || d.board.register.is_some()
                || d.board.child_deaths.is_some()
        }),
        // Training reach is cumulative over the programme's life, so only delivery counts.
        "training" => i
            .training
            .as_ref()
            .is_ok_and(|t| t.courses > 0 || t.places > 0),
        _ => i.finance.as_ref().is_ok_and(|f| f.is_some()),
    }
}

/// Whether no service that answered holds data for the year and every one answered: the
/// year has nothing to report (assembly refuses it).
pub fn no_data_at_all(r: &Report) -> bool {
    r.sources
        .iter()
        .all(|s| !s.ok && s.error.as_deref().is_some_and(|e| e.starts_with(NO_DATA)))
}

/// Builds the report (Part 4 is left empty for the analysis module; the glossary is
/// filled from the acronyms the rendered text uses, see [`fill_glossary`]).
pub fn build(i: Inputs) -> Report {
    let label = year_label(&i.year);
    let sources: Vec<SourceStatus> = SOURCES
        .iter()
        .map(|s| {
            let err = match *s {
                "indicators" => i.indicators.as_ref().err(),
                "audits" => i.audits.as_ref().err(),
                "training" => i.training.as_ref().err(),
                _ => i.finance.as_ref().err(),
            };
            SourceStatus {
                source: s.to_string(),
                ok: err.is_none(),
                error: err.cloned(),
            }
        })
        .collect();
    // A service that answered but holds nothing for the year is not complete either: its
    // sections would read as empty, and Part 4 must not take that absence for evidence.
    let sources: Vec<SourceStatus> = sources
        .into_iter()
        .map(|s| {
            if s.ok && !holds_data(&i, &s.source) {
                SourceStatus {
                    ok: false,
                    error: Some(format!("{NO_DATA} for {label}")),
                    ..s
                }
            } else {
                s
            }
        })
        .collect();
    let complete = sources.iter().all(|s| s.ok);

    let part1 = Part1 {
        key_facts: block(&i.indicators, "indicators", |d| {
            d.figures
                .iter()
                .filter(|f| has(f, "context"))
                .cloned()
                .collect()
        }),
    };

    let priorities = PRIORITIES
        .iter()
        .map(|(key, title)| {
            let key = key.to_string();
            Priority {
                title: title.to_string(),
                how_much: block(&i.indicators, "indicators", |d| {
                    d.figures
                        .iter()
                        .filter(|f| has(f, &key) && !has(f, "how_well"))
                        .cloned()
                        .collect()
                }),
                how_well: block(&i.indicators, "indicators", |d| {
                    d.figures
                        .iter()
                        .filter(|f| has(f, &key) && has(f, "how_well"))
                        .cloned()
                        .collect()
                }),
                audits: block(&i.audits, "audits", |d| {
                    d.audits
                        .iter()
                        .filter(|a| a.priority.as_deref() == Some(key.as_str()))
                        .cloned()
                        .collect()
                }),
                training: block(&i.training, "training", |t| {
                    // Reach of programmes is reported under the priority that owns the
                    // threshold guidance (safe systems), as the reference report does.
                    if key == "safe_systems" {
                        t.reach.clone()
                    } else {
                        vec![]
                    }
                }),
                actions: block(&i.audits, "audits", |d| {
                    d.actions
                        .iter()
                        .filter(|(_, kind, id)| {
                            kind == "audit"
                                && d.audit_priority.get(id).map(String::as_str)
                                    == Some(key.as_str())
                        })
                        .map(|(a, _, _)| ActionItem {
                            priority: Some(key.clone()),
                            ..a.clone()
                        })
                        .collect()
                }),
                key,
            }
        })
        .collect();

    let part2 = Part2 {
        priorities,
        audits: block(&i.audits, "audits", |d| d.audits.clone()),
        inspections: block(&i.audits, "audits", |d| d.inspections.clone()),
        section11: match &i.audits {
            Ok(d) => match &d.section11 {
                Some(s) => Block::Available { data: s.clone() },
                None => Block::Available {
                    data: Section11 {
                        expected: 0,
                        returned: 0,
                        rows: vec![],
                        missing: vec![],
                        sentence: format!("No Section 11 cycle is recorded for {label}."),
                    },
                },
            },
            Err(e) => Block::unavailable("audits", e.clone()),
        },
        section175: match &i.audits {
            Ok(d) => match &d.section175 {
                Some(s) => Block::Available { data: s.clone() },
                None => Block::Available {
                    data: Section175 {
                        schools_expected: 0,
                        returned: 0,
                        completion_pct: None,
                        sentence: format!("No Section 175 returns are recorded for {label}."),
                    },
                },
            },
            Err(e) => Block::unavailable("audits", e.clone()),
        },
        vulnerable_groups: block(&i.indicators, "indicators", |d| {
            d.figures
                .iter()
                .filter(|f| {
                    f.tags
                        .iter()
                        .any(|t| VULNERABLE_THEMES.contains(&t.as_str()))
                })
                .cloned()
                .collect()
        }),
        programmes: block(&i.audits, "audits", |d| d.programmes.clone()),
    };

    let part3 = Part3 {
        attendance: block(&i.audits, "audits", |d| {
            d.attendance.clone().unwrap_or(Attendance {
                forums: vec![],
                rows: vec![],
            })
        }),
        business_plan: block(&i.audits, "audits", |d| {
            d.actions.iter().map(|(a, _, _)| a.clone()).collect()
        }),
        board: block(&i.audits, "audits", |d| d.board.clone()),
        finance: match &i.finance {
            Ok(Some(f)) => Block::Available { data: f.clone() },
            Ok(None) => Block::Unavailable {
                source: "finance".into(),
                reason: format!("no budget is recorded for {label}"),
            },
            Err(e) => Block::unavailable("finance", e.clone()),
        },
        training: block(&i.training, "training", Clone::clone),
        learning_reviews: block(&i.audits, "audits", |d| d.reviews.clone()),
        surveys: block(&i.audits, "audits", |d| d.surveys.clone()),
    };

    // What was expected and not received, by agency.
    let completeness = match &i.indicators {
        Err(e) => Block::unavailable("indicators", e.clone()),
        Ok(d) => {
            let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (agency, what) in &d.missing {
                by.entry(agency.clone()).or_default().push(what.clone());
            }
            if let Ok(a) = &i.audits {
                for code in &a.s11_missing {
                    by.entry(code.clone())
                        .or_default()
                        .push(format!("Section 11 self-assessment for {label}"));
                }
                for code in &a.letters_missing {
                    by.entry(code.clone())
                        .or_default()
                        .push(format!("assurance letter for {label}"));
                }
            }
            if let Ok(Some(f)) = &i.finance {
                for code in super::upstream::finance_missing(f) {
                    by.entry(code)
                        .or_default()
                        .push(format!("budget contribution for {label}"));
                }
            }
            Block::Available {
                data: by
                    .into_iter()
                    .map(|(agency, missing)| CompletenessGap {
                        agency_name: if agency.is_empty() {
                            "Partnership-wide".to_string()
                        } else {
                            i.agency_names
                                .get(&agency)
                                .cloned()
                                .unwrap_or(agency.clone())
                        },
                        agency,
                        missing,
                    })
                    .collect(),
            }
        }
    };

    Report {
        schema_version: SCHEMA_VERSION,
        partnership: i.partnership,
        year: i.year.to_string(),
        year_label: label,
        previous_year: i.year.previous().to_string(),
        generated_at: i.generated_at,
        complete,
        sources,
        narrative: i
            .narrative
            .into_iter()
            .map(|n| (n.section.clone(), n))
            .collect(),
        part1,
        part2,
        part3,
        part4: None,
        part5: Part5 {
            glossary: vec![],
            completeness,
        },
    }
}

/// Whether `word` occurs in `text` as a whole word (not inside a longer word).
fn uses(text: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric();
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let start = from + i;
        let end = start + word.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            return true;
        }
        from = start + word.len().max(1);
    }
    false
}

/// Keeps only the glossary terms that `text` (the rendered report body) uses.
pub fn fill_glossary(report: &mut Report, text: &str, glossary: &[(String, String)]) {
    let mut used: Vec<GlossaryEntry> = glossary
        .iter()
        .filter(|(a, _)| uses(text, a))
        .map(|(a, m)| GlossaryEntry {
            acronym: a.clone(),
            meaning: m.clone(),
        })
        .collect();
    used.sort_by_key(|e| e.acronym.to_lowercase());
    report.part5.glossary = used;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_only() {
        assert!(uses("the CSE strategy", "CSE"));
        assert!(uses("CSE.", "CSE"));
        assert!(!uses("CSEX", "CSE"));
        assert!(!uses("MASE", "SE"));
        assert!(uses("A&E attendances", "A&E"));
        assert!(uses("Cross City (CC CCG)", "CC CCG"));
    }
}
