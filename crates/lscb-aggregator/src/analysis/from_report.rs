//! Part 4 of an assembled report: the [`Facts`] read from `crate::report::model::Report`
//! (Parts 1–3), analysed with the rules and what the board authored, checked against the
//! report's narrative, and rendered for the report's Part 4 slot.
//!
//! The report assembly calls [`part4_for_report`] (one line: `report.part4 =
//! Some(analysis::part4_for_report(&db, &report).await?)`), or [`analyse`] when it already
//! holds the rules and the authored items.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use lscb_platform::{Db, Period};
use rust_decimal::Decimal;

use super::domain::{Authored, Part4, analyse_facts};
use super::facts::*;
use super::narrative;
use super::rules::Rules;
use super::store::Store;
use crate::report::model as m;

fn source(s: &m::Source) -> SourceRef {
    SourceRef {
        service: s.service.clone(),
        record: s.record.clone(),
        period: s.period.clone(),
    }
}

fn compare(f: &m::Figure, bench: Decimal) -> Option<Comparison> {
    let v = f.value?;
    let better = match f.polarity {
        m::Polarity::HigherIsBetter => v > bench,
        m::Polarity::LowerIsBetter => v < bench,
        m::Polarity::Neutral | m::Polarity::WithinBand => return None,
    };
    Some(if v == bench {
        Comparison::Similar
    } else if better {
        Comparison::Better
    } else {
        Comparison::Worse
    })
}

fn indicator(f: &m::Figure, extra_tag: Option<&str>, previous_year: &str) -> IndicatorFact {
    let mut tags = f.tags.clone();
    if let Some(t) = extra_tag
        && !tags.iter().any(|x| x == t)
    {
        tags.push(t.to_string());
    }
    let find = |needle: &str| {
        f.benchmarks
            .iter()
            .find(|b| b.name.to_lowercase().contains(needle))
    };
    let bench = |needle: &str| find(needle).and_then(|b| compare(f, b.value));
    IndicatorFact {
        code: f.code.clone(),
        title: f.name.clone(),
        tags,
        aliases: vec![],
        value: f.value,
        previous: f.previous,
        previous_period: f.previous.map(|_| previous_year.to_string()),
        rag: f.rag.map(|r| match r {
            m::Rag::Red => Rag::Red,
            m::Rag::Amber => Rag::Amber,
            m::Rag::Green => Rag::Green,
        }),
        direction: match f.travel {
            m::Travel::Improving => Some(Direction::Improving),
            m::Travel::Worsening => Some(Direction::Declining),
            m::Travel::NoChange => Some(Direction::Stable),
            m::Travel::NotApplicable => None,
        },
        vs_england: bench("england"),
        vs_neighbours: bench("neighbour"),
        england: find("england").map(|b| b.value),
        neighbours: find("neighbour").map(|b| b.value),
        target: f.target,
        is_percentage: f.unit == m::Unit::Percent,
        unit: Some(f.unit),
        source: source(&f.source),
    }
}

fn days_between(due: Option<&str>, at: NaiveDate) -> Option<u32> {
    let due = NaiveDate::parse_from_str(due?.get(..10)?, "%Y-%m-%d").ok()?;
    let d = (at - due).num_days();
    (d >= 0).then_some(d as u32)
}

/// Whether an action flagged overdue was due within or before the report year: one due
/// after the year's end is not overdue in that year's report (an action with no readable
/// due date keeps the service's flag).
fn overdue_in_year(a: &m::ActionItem, year_end: NaiveDate) -> bool {
    if !a.overdue || a.status.eq_ignore_ascii_case("complete") {
        return false;
    }
    match a
        .due
        .as_deref()
        .and_then(|d| d.get(..10))
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    {
        Some(due) => due <= year_end,
        None => true,
    }
}

/// The evidence facts an assembled report holds. Sections whose data service failed
/// contribute nothing (so their questions may lack evidence, which Part 4 then says).
pub fn facts_from_report(r: &m::Report) -> Facts {
    let year_end = r
        .year
        .parse::<Period>()
        .map(|p| p.last_day())
        .unwrap_or_default();
    let mut facts = Facts {
        year: r.year.clone(),
        ..Default::default()
    };
    let mut seen = BTreeSet::new();
    let mut add = |facts: &mut Facts, f: &m::Figure, tag: Option<&str>| {
        if seen.insert(f.code.clone()) {
            facts.indicators.push(indicator(f, tag, &r.previous_year));
        } else if let Some(t) = tag
            && let Some(i) = facts.indicators.iter_mut().find(|i| i.code == f.code)
            && !i.tags.iter().any(|x| x == t)
        {
            i.tags.push(t.to_string());
        }
    };
    if let Some(figs) = r.part1.key_facts.data() {
        for f in figs {
            add(&mut facts, f, Some("context"));
        }
    }
    for p in &r.part2.priorities {
        for b in [&p.how_much, &p.how_well] {
            if let Some(figs) = b.data() {
                for f in figs {
                    add(&mut facts, f, Some(&p.key));
                }
            }
        }
        if let Some(actions) = p.actions.data() {
            for a in actions.iter().filter(|a| overdue_in_year(a, year_end)) {
                facts.overdue_actions.push(OverdueActionFact {
                    id: a.reference.clone(),
                    description: a.title.clone(),
                    origin: ActionOrigin::Audit,
                    agency: a.owner.clone().unwrap_or_default(),
                    days_overdue: days_between(a.due.as_deref(), year_end),
                    source: SourceRef::new(
                        "audits",
                        format!("action/{}", a.reference),
                        r.year.clone(),
                    ),
                });
            }
        }
    }
    if let Some(figs) = r.part2.vulnerable_groups.data() {
        for f in figs {
            add(&mut facts, f, Some("vulnerable"));
        }
    }
    let programmes = r.part2.programmes.data().cloned().unwrap_or_default();
    for p in &programmes {
        facts.audits.push(programme_fact(p));
    }
    if let Some(audits) = r.part2.audits.data() {
        for a in audits {
            // An audit of a programme is read with its programme, as one subject.
            if programmes
                .iter()
                .any(|p| !p.title.is_empty() && a.title.starts_with(&p.title))
            {
                continue;
            }
            facts.audits.push(AuditFact {
                id: a.reference.clone(),
                title: a.title.clone(),
                cases: a.cases,
                // The model counts "requires improvement or inadequate" together.
                requiring_improvement: a.requiring_improvement,
                inadequate: 0,
                audits: 1,
                trend_points: None,
                source: source(&a.source),
            });
        }
    }
    if let Some(s11) = r.part2.section11.data() {
        for row in &s11.rows {
            facts.statutory_agencies.push(StatutoryAgencyFact {
                agency: row.agency.clone(),
                name: row.agency_name.clone(),
                section11_return: true,
                // The report does not carry annual reports; only a recorded "no" letter
                // counts against.
                annual_report: true,
                assurance_letter: row.assurance_letter.unwrap_or(true),
                source: SourceRef::new(
                    "audits",
                    format!("section11/{}", row.agency),
                    r.year.clone(),
                ),
            });
        }
        // The gaps by agency code (the completeness appendix holds the codes; the Section 11
        // block holds names for print).
        let mut codes: Vec<(String, String)> = r
            .part5
            .completeness
            .data()
            .map(|gaps| {
                gaps.iter()
                    .filter(|g| g.missing.iter().any(|m| m.starts_with("Section 11")))
                    .map(|g| (g.agency.clone(), g.agency_name.clone()))
                    .collect()
            })
            .unwrap_or_default();
        if codes.is_empty() {
            codes = s11.missing.iter().map(|n| (n.clone(), n.clone())).collect();
        }
        for (missing, name) in &codes {
            facts.statutory_agencies.push(StatutoryAgencyFact {
                agency: missing.clone(),
                name: name.clone(),
                section11_return: false,
                annual_report: true,
                assurance_letter: true,
                source: SourceRef::new("audits", format!("section11/{missing}"), r.year.clone()),
            });
        }
    }
    if let Some(s) = r.part2.section175.data() {
        facts.section175 = Some(Section175Fact {
            schools_expected: s.schools_expected,
            returned: s.returned,
            source: SourceRef::new("audits", "section175", r.year.clone()),
        });
    }
    if let Some(att) = r.part3.attendance.data() {
        let col = att
            .forums
            .iter()
            .position(|f| f.to_lowercase().contains("board"))
            .unwrap_or(0);
        for row in &att.rows {
            // A forum that did not meet says nothing about attendance.
            if let Some(Some(cell)) = row.cells.get(col)
                && cell.meetings > 0
            {
                facts.attendance.push(AttendanceFact {
                    agency: row.agency.clone(),
                    rating: match cell.rating {
                        m::AttendanceRating::Green => AttendanceRating::Green,
                        m::AttendanceRating::Blue => AttendanceRating::Blue,
                        m::AttendanceRating::Red => AttendanceRating::Red,
                    },
                    source: SourceRef::new(
                        "audits",
                        format!("attendance/{}", row.agency),
                        r.year.clone(),
                    ),
                });
            }
        }
    }
    if let Some(plan) = r.part3.business_plan.data() {
        for a in plan.iter().filter(|a| overdue_in_year(a, year_end)) {
            facts.overdue_actions.push(OverdueActionFact {
                id: a.reference.clone(),
                description: a.title.clone(),
                origin: ActionOrigin::BusinessPlan,
                agency: a.owner.clone().unwrap_or_default(),
                days_overdue: days_between(a.due.as_deref(), year_end),
                source: SourceRef::new(
                    "audits",
                    format!("business_plan/{}", a.reference),
                    r.year.clone(),
                ),
            });
        }
    }
    if let Some(reviews) = r.part3.learning_reviews.data() {
        for lr in reviews.iter().filter(|l| l.actions_overdue > 0) {
            facts.overdue_actions.push(OverdueActionFact {
                id: lr.reference.clone(),
                description: format!(
                    "{} of the actions from {} ({})",
                    lr.actions_overdue, lr.title, lr.reference
                ),
                origin: ActionOrigin::LearningReview,
                agency: String::new(),
                days_overdue: None,
                source: SourceRef::new(
                    "audits",
                    format!("learning_review/{}", lr.reference),
                    r.year.clone(),
                ),
            });
        }
    }
    if let Some(f) = r.part3.finance.data() {
        facts.finance = Some(FinanceFact {
            budget_pence: f.budget_total,
            contributions_pence: f.contributions_total,
            carry_forward_pence: f.carry_forward,
            income_pence: f.income_total,
            expenditure_pence: f.expenditure_total,
            outstanding: f
                .contributions
                .iter()
                .filter_map(|c| {
                    let received = c.received_pence?;
                    (received < c.pence).then(|| (c.key.clone(), c.pence - received))
                })
                .collect(),
            source: source(&f.source),
        });
    }
    if let Some(t) = r.part3.training.data() {
        if let Some(u) = t.utilisation_pct {
            facts.training_delivery = Some(TrainingDeliveryFact {
                courses: t.courses,
                places: t.places,
                utilisation: u,
                previous_utilisation: None,
                source: source(&t.source),
            });
        }
        for line in &t.reach {
            facts.training_reach.push(TrainingReachFact {
                programme: line.programme.clone(),
                trained: line.trained,
                target: line.target,
                source: SourceRef {
                    record: format!("{}/{}", t.source.record, line.programme),
                    ..source(&t.source)
                },
            });
        }
    }
    facts
}

/// A programme of repeated audits as one audit fact: its cases, those graded requires
/// improvement or inadequate, and the change of that share from its first audit to its last.
fn programme_fact(p: &m::AuditProgramme) -> AuditFact {
    let below = |g: &m::ProgrammeGrade| {
        let g = g.grade.to_lowercase();
        g.contains("requir") || g.contains("inadequate")
    };
    let requiring: u32 = p.grades.iter().filter(|g| below(g)).map(|g| g.count).sum();
    let changes: Vec<Decimal> = p
        .grades
        .iter()
        .filter(|g| below(g))
        .filter_map(|g| g.change)
        .collect();
    AuditFact {
        id: p.programme.clone(),
        title: p.title.clone(),
        cases: p.cases,
        requiring_improvement: requiring,
        inadequate: 0,
        audits: p.audits,
        trend_points: (!changes.is_empty()).then(|| changes.iter().copied().sum()),
        source: source(&p.source),
    }
}

/// Part 4 of an assembled report: the facts read from it, judged by `rules`, with what the
/// board authored (overrides, challenges, pledges) and the narrative checked against the
/// data.
pub fn analyse(report: &m::Report, rules: &Rules, authored: &Authored) -> Part4 {
    let facts = facts_from_report(report);
    let mut part = analyse_facts(&facts, rules, authored);
    let sections: Vec<narrative::Section> = report
        .narrative
        .iter()
        .map(|(key, s)| narrative::Section {
            title: key.clone(),
            markdown: s.markdown.clone(),
            placeholders: s.placeholders.clone(),
        })
        .collect();
    part.narrative_checks = narrative::check_narrative(
        &sections,
        &narrative::known_figures(&facts),
        rules.narrative_tolerance(),
    );
    part
}

/// Part 4 for the report's `part4` slot, with the shipped rules and what the board stored
/// for the report's partnership and year in `db` (the aggregator's database).
pub async fn part4_for_report(
    db: &Db,
    report: &m::Report,
) -> lscb_platform::Result<serde_json::Value> {
    let year = report
        .year
        .parse::<Period>()
        .map_err(|e| lscb_platform::Error::invalid("year", e.to_string()))?;
    let authored = Store::new(db.clone())
        .authored(&report.partnership.id, year)
        .await?;
    let part = analyse(report, &Rules::default_rules(), &authored);
    Ok(part4_value(&part))
}

/// Part 4 as the report's JSON slot: `blocks`, the Markdown blocks in reading order (the
/// report renders each, a leading `###`/`####` line as a heading), and the structured
/// results: `judgements` (per question: derived and final judgement, weight for and against)
/// and `narrative_checks` (section, sentence, typed, stored, measure, verdict, subject,
/// source). The whole of Part 4 is `serde_json::to_value(&part4)`.
pub fn part4_value(p: &Part4) -> serde_json::Value {
    let judgements: Vec<serde_json::Value> = p
        .answers
        .iter()
        .map(|a| {
            serde_json::json!({
                "question": a.question.as_str(),
                "title": a.title,
                "derived": a.derived.as_str(),
                "judgement": a.judgement.as_str(),
                "weight_for": a.weight_for,
                "weight_against": a.weight_against,
                "subjects": a.evidence.len(),
            })
        })
        .collect();
    let checks: Vec<serde_json::Value> = p
        .narrative_checks
        .iter()
        .map(|c| {
            serde_json::json!({
                "section": c.section,
                "sentence": c.text,
                "typed": c.typed,
                "stored": c.stored,
                "measure": c.measure,
                "verdict": c.verdict.as_str(),
                "subject": c.subject,
                "source": c.source,
            })
        })
        .collect();
    serde_json::json!({
        "year": p.year,
        "rules_version": p.rules_version,
        "overall": p.overall.as_str(),
        "judgements": judgements,
        "narrative_checks": checks,
        "blocks": super::render::markdown_blocks(p),
    })
}

#[cfg(test)]
#[path = "from_report_tests.rs"]
mod tests;
