//! The judgement itself, with no I/O: evidence items from facts by the rules, a judgement
//! per key question, the overall sufficiency statement as prose, overrides with their
//! rationale, challenges with next year's progress, and pledges evaluated from the data.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::facts::*;
use super::rules::{QuestionKey, Rules, Yardstick};
use crate::report::format;

/// The answer to a key question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    Sufficient,
    PartlySufficient,
    NotSufficient,
    NotEnoughEvidence,
}

impl Judgement {
    pub const ALL: [Judgement; 4] = [
        Judgement::Sufficient,
        Judgement::PartlySufficient,
        Judgement::NotSufficient,
        Judgement::NotEnoughEvidence,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Judgement::Sufficient => "sufficient",
            Judgement::PartlySufficient => "partly_sufficient",
            Judgement::NotSufficient => "not_sufficient",
            Judgement::NotEnoughEvidence => "not_enough_evidence",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|j| j.as_str() == s)
    }

    /// Words for prose: "partly sufficient".
    pub fn words(self) -> &'static str {
        match self {
            Judgement::Sufficient => "sufficient",
            Judgement::PartlySufficient => "partly sufficient",
            Judgement::NotSufficient => "not sufficient",
            Judgement::NotEnoughEvidence => "not enough evidence",
        }
    }
}

/// Whether an item counts for or against sufficiency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    For,
    Against,
}

/// One piece of evidence, the rule that read it and why it counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Stable across years: `rule:service/record` (challenges link to it).
    pub id: String,
    pub question: QuestionKey,
    pub rule: String,
    pub stance: Stance,
    pub reason: String,
    pub weight: u32,
    pub yardstick: Yardstick,
    pub source: SourceRef,
    /// What the evidence is about (an indicator, an audit programme, an agency, the budget):
    /// all readings of one subject under one question make one vote (see [`super::votes`]).
    #[serde(default)]
    pub subject: String,
    /// The other readings of the same subject, listed under this one (the strongest) and not
    /// counted again.
    #[serde(default)]
    pub also: Vec<Evidence>,
}

/// The board's override of a derived judgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub year: String,
    /// `None`: the overall statement.
    pub question: Option<QuestionKey>,
    pub judgement: Judgement,
    pub rationale: String,
    pub author: String,
    pub decided_on: NaiveDate,
}

/// The answer to one key question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub question: QuestionKey,
    pub title: String,
    /// What the rules derive from the evidence.
    pub derived: Judgement,
    /// The board's override, when there is one.
    pub override_: Option<Override>,
    /// The override's judgement when overridden, otherwise the derived one.
    pub judgement: Judgement,
    pub weight_for: u32,
    pub weight_against: u32,
    /// Prose: why the rules gave `derived` (and the override's rationale).
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

/// Progress on a challenge, recorded in a later year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeStatus {
    NotStarted,
    InProgress,
    Achieved,
    Dropped,
}

impl ChallengeStatus {
    pub const ALL: [ChallengeStatus; 4] = [
        ChallengeStatus::NotStarted,
        ChallengeStatus::InProgress,
        ChallengeStatus::Achieved,
        ChallengeStatus::Dropped,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeStatus::NotStarted => "not_started",
            ChallengeStatus::InProgress => "in_progress",
            ChallengeStatus::Achieved => "achieved",
            ChallengeStatus::Dropped => "dropped",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeProgress {
    /// The year the progress was reported in (the year after the challenge was set).
    pub year: String,
    pub status: ChallengeStatus,
    pub note: String,
    pub author: String,
    pub recorded_on: NaiveDate,
}

/// A numbered challenge set in a year's report, for the year after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub id: i64,
    /// The report year that set it.
    pub year: String,
    pub number: u32,
    pub text: String,
    /// Evidence ids (`rule:service/record`) that prompted it.
    pub evidence_ids: Vec<String>,
    pub author: String,
    /// Oldest first.
    pub progress: Vec<ChallengeProgress>,
}

/// What a pledge expects of an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    /// Higher than the previous period ("increased year on year").
    Increase,
    /// Lower than the previous period.
    Decrease,
    /// At least the target.
    AtLeast(Decimal),
    /// At most the target.
    AtMost(Decimal),
}

impl Expectation {
    pub fn describe(&self) -> String {
        match self {
            Expectation::Increase => "to increase on the previous year".into(),
            Expectation::Decrease => "to decrease on the previous year".into(),
            Expectation::AtLeast(t) => format!("to be at least {}", fmt_dec(*t)),
            Expectation::AtMost(t) => format!("to be at most {}", fmt_dec(*t)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeTarget {
    pub indicator: String,
    pub expectation: Expectation,
}

/// "By 2017 we will know that …": a pledge of next year's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pledge {
    pub id: i64,
    /// The year the pledge is for (evaluated in that year's report), e.g. `2016-17`.
    pub plan_year: String,
    /// The priority it belongs to (e.g. "We run safe systems").
    pub priority: String,
    pub number: u32,
    pub text: String,
    pub targets: Vec<PledgeTarget>,
    pub author: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PledgeOutcome {
    Met,
    NotMet,
    NotMeasurable,
}

impl PledgeOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            PledgeOutcome::Met => "met",
            PledgeOutcome::NotMet => "not_met",
            PledgeOutcome::NotMeasurable => "not_measurable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetOutcome {
    pub target: PledgeTarget,
    pub outcome: PledgeOutcome,
    pub why: String,
    pub source: Option<SourceRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeEvaluation {
    pub pledge: Pledge,
    pub outcome: PledgeOutcome,
    pub why: String,
    pub targets: Vec<TargetOutcome>,
}

/// A challenge reviewed a year on: its recorded progress, and whether the evidence that
/// prompted it still counts against this year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeReview {
    pub challenge: Challenge,
    pub latest: Option<ChallengeProgress>,
    /// (evidence id, still counting against this year?)
    pub evidence_now: Vec<(String, bool)>,
    pub summary: String,
}

/// What the board has authored and stored: overrides, challenges, pledges (any years;
/// [`analyse`] picks the ones for the report year).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Authored {
    pub overrides: Vec<Override>,
    pub challenges: Vec<Challenge>,
    pub pledges: Vec<Pledge>,
}

/// Part 4 of the annual report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part4 {
    pub year: String,
    pub rules_version: String,
    pub answers: Vec<Answer>,
    pub overall_derived: Judgement,
    pub overall_override: Option<Override>,
    pub overall: Judgement,
    /// The sufficiency statement as prose (Markdown paragraphs).
    pub statement: String,
    /// Every evidence item, numbered in this order in the report.
    pub evidence: Vec<Evidence>,
    /// Challenges set this year for the next.
    pub challenges: Vec<Challenge>,
    /// Last year's challenges with their progress.
    pub challenge_reviews: Vec<ChallengeReview>,
    /// This year's pledges (set last year), evaluated from this year's data.
    pub pledges_evaluated: Vec<PledgeEvaluation>,
    /// Next year's plan: pledges for the following year.
    pub next_pledges: Vec<Pledge>,
    /// Numbers typed in the authored narrative that contradict the data (filled by
    /// [`crate::analysis::analyse`] from an assembled report).
    #[serde(default)]
    pub narrative_checks: Vec<super::narrative::Contradiction>,
}

impl Part4 {
    pub fn answer(&self, q: QuestionKey) -> &Answer {
        // `analyse` always produces all five answers, in order.
        &self.answers[QuestionKey::ALL.iter().position(|k| *k == q).unwrap_or(0)]
    }
}

/// A decimal for prose, by the report's one rule (`crate::report::format::number`):
/// thousands separators, at most one decimal place, rounded half up (away from zero).
pub fn fmt_dec(d: Decimal) -> String {
    format::number(d)
}

/// Whole pounds from pence, rounded half up: "£788,429".
pub fn pounds(pence: i64) -> String {
    let whole = format::round(Decimal::new(pence, 2), 0);
    format::money(whole.to_i64().unwrap_or(0) * 100)
}

/// A share (0.625) as a whole percentage, rounded half up: "63%".
pub fn pct(share: Decimal) -> String {
    format::percent(format::round(share * Decimal::ONE_HUNDRED, 0))
}

/// An indicator's value in its unit: "83%", "381.5 per 10,000", "2,031", "12 days".
pub fn in_unit(d: Decimal, unit: super::facts::Unit) -> String {
    format::value(d, unit)
}

pub(super) struct Collector<'a> {
    pub(super) rules: &'a Rules,
    pub(super) items: Vec<Evidence>,
}

impl Collector<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push(
        &mut self,
        question: QuestionKey,
        rule: &str,
        stance: Stance,
        weight: u32,
        yardstick: Yardstick,
        source: &SourceRef,
        reason: String,
    ) {
        let subject = format!("{}/{}", source.service, source.record);
        self.push_about(
            question, rule, stance, weight, yardstick, source, reason, subject,
        );
    }

    /// As `push`, for evidence about a named subject (an agency: `agency/WMP`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push_about(
        &mut self,
        question: QuestionKey,
        rule: &str,
        stance: Stance,
        weight: u32,
        yardstick: Yardstick,
        source: &SourceRef,
        reason: String,
        subject: String,
    ) {
        self.items.push(Evidence {
            id: format!("{rule}:{}/{}", source.service, source.record),
            question,
            rule: rule.to_string(),
            stance,
            reason,
            weight: weight.max(1),
            yardstick,
            source: source.clone(),
            subject,
            also: vec![],
        });
    }
}

/// Reads every fact through every rule: the evidence items, in question then fact order.
pub fn collect_evidence(facts: &Facts, rules: &Rules) -> Vec<Evidence> {
    let mut c = Collector {
        rules,
        items: vec![],
    };
    let r = &rules.rules;
    for ind in &facts.indicators {
        let qs = c.rules.questions_for_tags(&ind.tags);
        let unit = ind.unit();
        let Some(value) = ind.value.map(|v| in_unit(v, unit)) else {
            // No value for the year: nothing to judge, and never evidence against.
            continue;
        };
        for q in qs {
            if let Some(rag) = ind.rag {
                let target = ind
                    .target
                    .map(|t| format!(" against a target of {}", in_unit(t, unit)))
                    .unwrap_or_default();
                match rag {
                    Rag::Red => c.push(
                        q,
                        "indicator_rag",
                        Stance::Against,
                        r.indicator_rag.weight,
                        r.indicator_rag.yardstick,
                        &ind.source,
                        format!("{} is off target (red): {value}{target}", ind.title),
                    ),
                    Rag::Amber if r.indicator_rag.amber_counts_against => c.push(
                        q,
                        "indicator_rag",
                        Stance::Against,
                        r.indicator_rag.weight,
                        r.indicator_rag.yardstick,
                        &ind.source,
                        format!("{} is short of target (amber): {value}{target}", ind.title),
                    ),
                    Rag::Amber => {}
                    Rag::Green => c.push(
                        q,
                        "indicator_rag",
                        Stance::For,
                        r.indicator_rag.weight,
                        r.indicator_rag.yardstick,
                        &ind.source,
                        format!("{} is on target (green): {value}{target}", ind.title),
                    ),
                }
            }
            if let Some(dir) = ind.direction {
                let prev = match (ind.previous, &ind.previous_period) {
                    (Some(p), Some(pp)) => format!(" ({} in {pp})", in_unit(p, unit)),
                    (Some(p), None) => format!(" ({} the period before)", in_unit(p, unit)),
                    _ => String::new(),
                };
                let rule = &r.indicator_direction;
                match dir {
                    Direction::Declining => c.push(
                        q,
                        "indicator_direction",
                        Stance::Against,
                        rule.weight,
                        rule.yardstick,
                        &ind.source,
                        format!("{} is getting worse: {value}{prev}", ind.title),
                    ),
                    Direction::Improving => c.push(
                        q,
                        "indicator_direction",
                        Stance::For,
                        rule.weight,
                        rule.yardstick,
                        &ind.source,
                        format!("{} is improving: {value}{prev}", ind.title),
                    ),
                    Direction::Stable => {}
                }
            }
            let rule = &r.indicator_benchmark;
            for (cmp, against, bench) in [
                (ind.vs_england, "England", ind.england),
                (ind.vs_neighbours, "statistical neighbours", ind.neighbours),
            ] {
                let bench = bench
                    .map(|b| format!(" against {}", in_unit(b, unit)))
                    .unwrap_or_default();
                let Some(cmp) = cmp else { continue };
                let rule_id = if against == "England" {
                    "indicator_benchmark_england"
                } else {
                    "indicator_benchmark_neighbours"
                };
                match cmp {
                    Comparison::Worse => c.push(
                        q,
                        rule_id,
                        Stance::Against,
                        rule.weight,
                        rule.yardstick,
                        &ind.source,
                        format!("{} is worse than {against}: {value}{bench}", ind.title),
                    ),
                    Comparison::Better => c.push(
                        q,
                        rule_id,
                        Stance::For,
                        rule.weight,
                        rule.yardstick,
                        &ind.source,
                        format!("{} is better than {against}: {value}{bench}", ind.title),
                    ),
                    Comparison::Similar => {}
                }
            }
        }
    }

    let rule = &r.audit_quality;
    for a in &facts.audits {
        if a.cases == 0 {
            continue;
        }
        let below = a.requiring_improvement + a.inadequate;
        let share = Decimal::from(below) / Decimal::from(a.cases);
        let programme = if a.audits > 1 {
            let trend = match a.trend_points {
                Some(t) if t.is_sign_negative() && !t.is_zero() => format!(
                    "; from the first audit to the last that share fell by {} percentage points",
                    fmt_dec(t.abs())
                ),
                Some(t) if !t.is_zero() => format!(
                    "; from the first audit to the last that share rose by {} percentage points",
                    fmt_dec(t)
                ),
                Some(_) => "; the share did not change from the first audit to the last".into(),
                None => String::new(),
            };
            (format!(" ({} audits)", a.audits), trend)
        } else {
            (String::new(), String::new())
        };
        let detail = format!(
            "{below} of {} cases ({}) graded requiring improvement or inadequate{}",
            a.cases,
            pct(share),
            programme.1
        );
        let title = format!("{}{}", a.title, programme.0);
        if share > rule.max_share_below_good {
            c.push(
                rule.question,
                "audit_quality",
                Stance::Against,
                rule.weight,
                rule.yardstick,
                &a.source,
                format!(
                    "{title}: {detail}, above the threshold of {}",
                    pct(rule.max_share_below_good)
                ),
            );
        } else {
            c.push(
                rule.question,
                "audit_quality",
                Stance::For,
                rule.weight,
                rule.yardstick,
                &a.source,
                format!(
                    "{title}: {detail}, within the threshold of {}",
                    pct(rule.max_share_below_good)
                ),
            );
        }
    }

    let rule = &r.statutory_returns;
    let mut complete = vec![];
    // One agency, one entry: the same agency listed twice (a return row and a gap) is read
    // once, with every return it lacks.
    let mut agencies: Vec<StatutoryAgencyFact> = vec![];
    for s in &facts.statutory_agencies {
        match agencies.iter_mut().find(|a| a.agency == s.agency) {
            Some(a) => {
                a.section11_return &= s.section11_return;
                a.annual_report &= s.annual_report;
                a.assurance_letter &= s.assurance_letter;
            }
            None => agencies.push(s.clone()),
        }
    }
    for s in &agencies {
        let mut missing = vec![];
        if rule.require_section11 && !s.section11_return {
            missing.push("a Section 11 return");
        }
        if rule.require_annual_report && !s.annual_report {
            missing.push("an annual report");
        }
        if rule.require_assurance_letter && !s.assurance_letter {
            missing.push("an assurance letter");
        }
        if missing.is_empty() {
            complete.push(s);
        } else {
            c.push_about(
                rule.question,
                "statutory_returns",
                Stance::Against,
                rule.weight,
                rule.yardstick,
                &s.source,
                format!(
                    "{} is a statutory partner without {}",
                    s.agency,
                    join_and(&missing)
                ),
                format!("agency/{}", s.agency),
            );
        }
    }
    // The partners with every return make one item: a long list of compliant partners is
    // one finding (the duty is met), not one per partner, so it cannot drown the gaps.
    if let Some(first) = complete.first() {
        let source = SourceRef::new(
            &first.source.service,
            "section11",
            first.source.period.clone(),
        );
        let n = complete.len();
        let of = agencies.len();
        c.push(
            rule.question,
            "statutory_returns",
            Stance::For,
            rule.weight,
            rule.yardstick,
            &source,
            format!(
                "{n} of {of} statutory partners provided every required assurance return ({})",
                complete
                    .iter()
                    .map(|s| s.agency.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }

    let rule = &r.overdue_actions;
    for a in &facts.overdue_actions {
        if a.days_overdue.is_some_and(|d| d < rule.min_days_overdue) {
            continue;
        }
        let q = match a.origin {
            ActionOrigin::Audit => rule.audit,
            ActionOrigin::Inspection => rule.inspection,
            ActionOrigin::Section11 => rule.section11,
            ActionOrigin::LearningReview => rule.learning_review,
            ActionOrigin::BusinessPlan => rule.business_plan,
        };
        c.push(
            q,
            "overdue_actions",
            Stance::Against,
            rule.weight,
            rule.yardstick,
            &a.source,
            format!(
                "{} action for {} is {}: {}",
                origin_words(a.origin),
                if a.agency.is_empty() {
                    "the board"
                } else {
                    a.agency.as_str()
                },
                match a.days_overdue {
                    Some(d) => format!("{d} days overdue"),
                    None => "overdue".to_string(),
                },
                a.description
            ),
        );
    }

    let rule = &r.section175;
    if let Some(s) = &facts.section175
        && s.schools_expected > 0
    {
        let share = Decimal::from(s.returned) / Decimal::from(s.schools_expected);
        let detail = format!(
            "{} of {} schools ({}) returned their Section 175 self-assessment",
            s.returned,
            s.schools_expected,
            pct(share)
        );
        if share < rule.min_completion {
            c.push(
                rule.question,
                "section175",
                Stance::Against,
                rule.weight,
                rule.yardstick,
                &s.source,
                format!("{detail}, below the expected {}", pct(rule.min_completion)),
            );
        } else {
            c.push(
                rule.question,
                "section175",
                Stance::For,
                rule.weight,
                rule.yardstick,
                &s.source,
                format!(
                    "{detail}, meeting the expected {}",
                    pct(rule.min_completion)
                ),
            );
        }
    }

    let rule = &r.training_reach;
    for t in &facts.training_reach {
        if t.target == 0 {
            continue;
        }
        let share = Decimal::from(t.trained) / Decimal::from(t.target);
        let detail = format!(
            "{}: {} of {} trained ({})",
            t.programme,
            fmt_dec(t.trained.into()),
            fmt_dec(t.target.into()),
            pct(share)
        );
        if share < rule.min_share_of_target {
            c.push(
                rule.question,
                "training_reach",
                Stance::Against,
                rule.weight,
                rule.yardstick,
                &t.source,
                format!(
                    "{detail}, below {} of target",
                    pct(rule.min_share_of_target)
                ),
            );
        } else {
            c.push(
                rule.question,
                "training_reach",
                Stance::For,
                rule.weight,
                rule.yardstick,
                &t.source,
                format!(
                    "{detail}, at least {} of target",
                    pct(rule.min_share_of_target)
                ),
            );
        }
    }

    let rule = &r.training_utilisation;
    if let Some(t) = &facts.training_delivery {
        let u = fmt_dec(t.utilisation.round_dp(1));
        let mut against = vec![];
        if t.utilisation < rule.min_utilisation {
            against.push(format!(
                "utilisation {u}% is below {}%",
                fmt_dec(rule.min_utilisation)
            ));
        }
        if let Some(p) = t.previous_utilisation
            && p - t.utilisation > rule.max_fall_points
        {
            against.push(format!(
                "utilisation fell from {}% to {u}%, more than {} points",
                fmt_dec(p.round_dp(1)),
                fmt_dec(rule.max_fall_points)
            ));
        }
        let head = format!(
            "{} courses, {} places",
            fmt_dec(t.courses.into()),
            fmt_dec(t.places.into())
        );
        if against.is_empty() {
            c.push(rule.question, "training_utilisation", Stance::For, rule.weight, rule.yardstick, &t.source,
                format!("{head}: utilisation {u}% (at least {}% and not falling by more than {} points)", fmt_dec(rule.min_utilisation), fmt_dec(rule.max_fall_points)));
        } else {
            c.push(
                rule.question,
                "training_utilisation",
                Stance::Against,
                rule.weight,
                rule.yardstick,
                &t.source,
                format!("{head}: {}", against.join("; ")),
            );
        }
    }

    let rule = &r.attendance;
    let mut attended = vec![];
    for a in &facts.attendance {
        match a.rating {
            AttendanceRating::Red => c.push_about(
                rule.question,
                "attendance",
                Stance::Against,
                rule.weight,
                rule.yardstick,
                &a.source,
                format!(
                    "{} attended fewer than 80% of board meetings (red)",
                    a.agency
                ),
                format!("agency/{}", a.agency),
            ),
            AttendanceRating::Green | AttendanceRating::Blue => attended.push(a),
        }
    }
    // As with Section 11: the members who attended make one item, the absences one each.
    if let Some(first) = attended.first() {
        let source = SourceRef::new(
            &first.source.service,
            "attendance",
            first.source.period.clone(),
        );
        let green = attended
            .iter()
            .filter(|a| a.rating == AttendanceRating::Green)
            .count();
        c.push(
            rule.question,
            "attendance",
            Stance::For,
            rule.weight,
            rule.yardstick,
            &source,
            format!(
                "{} of {} members attended 80% or more of board meetings ({green} by their named member, {} with nominated deputies)",
                attended.len(),
                facts.attendance.len(),
                attended.len() - green
            ),
        );
    }

    let rule = &r.finance;
    if let Some(f) = &facts.finance {
        if f.expenditure_pence > f.budget_pence {
            c.push(
                rule.question,
                "finance_deficit",
                Stance::Against,
                rule.weight,
                rule.yardstick,
                &f.source,
                format!(
                    "expenditure {} exceeds the budget {}: a deficit of {}",
                    pounds(f.expenditure_pence),
                    pounds(f.budget_pence),
                    pounds(f.expenditure_pence - f.budget_pence)
                ),
            );
        } else {
            c.push(
                rule.question,
                "finance_deficit",
                Stance::For,
                rule.weight,
                rule.yardstick,
                &f.source,
                format!(
                    "expenditure {} is within the budget {}",
                    pounds(f.expenditure_pence),
                    pounds(f.budget_pence)
                ),
            );
        }
        for (agency, pence) in &f.outstanding {
            if *pence > 0 {
                let src = SourceRef::new(
                    &f.source.service,
                    format!("{}/contribution/{agency}", f.source.record),
                    f.source.period.clone(),
                );
                c.push_about(
                    rule.question,
                    "finance_outstanding",
                    Stance::Against,
                    rule.weight,
                    rule.yardstick,
                    &src,
                    format!(
                        "{agency}'s agreed contribution has {} outstanding",
                        pounds(*pence)
                    ),
                    format!("agency/{agency}"),
                );
            }
        }
    }
    super::context::collect(facts, &mut c);
    let mut items = super::votes::one_vote_per_subject(c.items);
    items.sort_by_key(|e| QuestionKey::ALL.iter().position(|q| *q == e.question));
    items
}

fn origin_words(o: ActionOrigin) -> &'static str {
    match o {
        ActionOrigin::Audit => "an audit",
        ActionOrigin::Inspection => "an inspection",
        ActionOrigin::LearningReview => "a learning review",
        ActionOrigin::Section11 => "a Section 11",
        ActionOrigin::BusinessPlan => "a business plan",
    }
}

fn join_and(parts: &[&str]) -> String {
    match parts {
        [] => String::new(),
        [a] => a.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The judgement the rules give a question from its evidence (one item per subject), and
/// why, in plain English: the weight for and against, where the thresholds lie, and the
/// strongest evidence each way.
pub fn judge(evidence: &[&Evidence], rules: &Rules) -> (Judgement, u32, u32, String) {
    let wf: u32 = evidence
        .iter()
        .filter(|e| e.stance == Stance::For)
        .map(|e| e.weight)
        .sum();
    let wa: u32 = evidence
        .iter()
        .filter(|e| e.stance == Stance::Against)
        .map(|e| e.weight)
        .sum();
    let j = &rules.judgement;
    let n = evidence.len();
    let subjects = |n: usize| {
        if n == 1 {
            "one subject".to_string()
        } else {
            format!("{n} subjects")
        }
    };
    if n < j.min_evidence {
        let head = if n == 0 {
            "No evidence bears on this question this year".to_string()
        } else {
            format!(
                "Only {} of evidence {} on this question",
                subjects(n),
                if n == 1 { "bears" } else { "bear" }
            )
        };
        return (
            Judgement::NotEnoughEvidence,
            wf,
            wa,
            format!(
                "{head}: the rules need at least {} to judge it. Data that is missing is not counted against the board.{}",
                subjects(j.min_evidence),
                strongest(evidence)
            ),
        );
    }
    let share = Decimal::from(wa) / Decimal::from((wf + wa).max(1));
    let judgement = if share <= j.sufficient_max_against {
        Judgement::Sufficient
    } else if share > j.not_sufficient_above_against {
        Judgement::NotSufficient
    } else {
        Judgement::PartlySufficient
    };
    (
        judgement,
        wf,
        wa,
        format!(
            "The evidence covers {}, each counted once: weight {wf} for and {wa} against, so {} of the weight counts against, which the rules judge {} (sufficient when {} or less counts against, not sufficient when more than {} does).{}",
            subjects(n),
            pct(share),
            judgement.words(),
            pct(j.sufficient_max_against),
            pct(j.not_sufficient_above_against),
            strongest(evidence)
        ),
    )
}

/// "The strongest evidence for: …. The strongest evidence against: …."
fn strongest(evidence: &[&Evidence]) -> String {
    let pick = |s: Stance| {
        // The weightiest, then the one read most ways; the first of equals.
        evidence
            .iter()
            .filter(|e| e.stance == s)
            .rev()
            .max_by_key(|e| (e.weight, e.also.len()))
            .map(|e| e.reason.clone())
    };
    let mut out = String::new();
    if let Some(r) = pick(Stance::For) {
        out.push_str(&format!(
            " The strongest evidence for: {}.",
            sentence_case(&r)
        ));
    }
    if let Some(r) = pick(Stance::Against) {
        out.push_str(&format!(
            " The strongest evidence against: {}.",
            sentence_case(&r)
        ));
    }
    out
}

/// A reason as the end of a sentence: as written, without a closing full stop.
fn sentence_case(s: &str) -> String {
    s.trim_end_matches('.').to_string()
}

/// The overall judgement from the five answers.
pub fn overall(answers: &[Judgement], rules: &Rules) -> Judgement {
    let count = |j: Judgement| answers.iter().filter(|a| **a == j).count();
    if count(Judgement::NotEnoughEvidence) >= rules.overall.not_enough_evidence_min_questions {
        Judgement::NotEnoughEvidence
    } else if count(Judgement::NotSufficient) >= rules.overall.not_sufficient_min_questions {
        Judgement::NotSufficient
    } else if answers
        .iter()
        .all(|a| matches!(a, Judgement::Sufficient | Judgement::NotEnoughEvidence))
        && count(Judgement::Sufficient) > 0
        && count(Judgement::NotEnoughEvidence) <= 1
    {
        Judgement::Sufficient
    } else {
        Judgement::PartlySufficient
    }
}

/// Part 4 from the facts and the rules alone (no overrides, challenges or pledges).
pub fn evaluate(facts: &Facts, rules: &Rules) -> Part4 {
    analyse_facts(facts, rules, &Authored::default())
}

/// Part 4 from the facts, the rules and what the board authored: overrides for the year,
/// the challenges it set, last year's challenges with progress, this year's pledges
/// evaluated and next year's pledges.
pub fn analyse_facts(facts: &Facts, rules: &Rules, authored: &Authored) -> Part4 {
    let year = facts.year.clone();
    let evidence = collect_evidence(facts, rules);
    let latest_override = |q: Option<QuestionKey>| {
        authored
            .overrides
            .iter()
            .rfind(|o| o.year == year && o.question == q)
            .cloned()
    };
    let mut answers = vec![];
    for q in QuestionKey::ALL {
        let ev: Vec<&Evidence> = evidence.iter().filter(|e| e.question == q).collect();
        let (derived, wf, wa, mut summary) = judge(&ev, rules);
        let ov = latest_override(Some(q));
        if let Some(o) = &ov {
            summary.push_str(&format!(
                " The board overrode this to {} on {} ({}): {}",
                o.judgement.words(),
                o.decided_on,
                o.author,
                o.rationale
            ));
        }
        answers.push(Answer {
            question: q,
            title: rules.title(q).to_string(),
            derived,
            judgement: ov.as_ref().map(|o| o.judgement).unwrap_or(derived),
            override_: ov,
            weight_for: wf,
            weight_against: wa,
            summary,
            evidence: ev.into_iter().cloned().collect(),
        });
    }
    let effective: Vec<Judgement> = answers.iter().map(|a| a.judgement).collect();
    let overall_derived = overall(&effective, rules);
    let overall_override = latest_override(None);
    let overall_j = overall_override
        .as_ref()
        .map(|o| o.judgement)
        .unwrap_or(overall_derived);

    let challenges: Vec<Challenge> = authored
        .challenges
        .iter()
        .filter(|c| c.year == year)
        .cloned()
        .collect();
    let previous_year = previous_year(&year);
    let challenge_reviews = authored
        .challenges
        .iter()
        .filter(|c| Some(&c.year) == previous_year.as_ref())
        .map(|c| review_challenge(c, &year, &evidence))
        .collect();
    let pledges_evaluated = authored
        .pledges
        .iter()
        .filter(|p| p.plan_year == year)
        .map(|p| evaluate_pledge(p, facts))
        .collect();
    let next = next_year(&year);
    let next_pledges = authored
        .pledges
        .iter()
        .filter(|p| Some(&p.plan_year) == next.as_ref())
        .cloned()
        .collect();

    let mut part = Part4 {
        year,
        rules_version: rules.version.clone(),
        answers,
        overall_derived,
        overall_override,
        overall: overall_j,
        statement: String::new(),
        evidence,
        challenges,
        challenge_reviews,
        pledges_evaluated,
        next_pledges,
        narrative_checks: vec![],
    };
    part.statement = statement(&part);
    part
}

fn previous_year(year: &str) -> Option<String> {
    year.parse::<lscb_platform::Period>()
        .ok()
        .map(|p| p.financial_year().previous().to_string())
}

fn next_year(year: &str) -> Option<String> {
    year.parse::<lscb_platform::Period>()
        .ok()
        .map(|p| p.financial_year().next().to_string())
}

fn review_challenge(c: &Challenge, year: &str, evidence: &[Evidence]) -> ChallengeReview {
    let latest = c.progress.iter().rfind(|p| p.year == year).cloned();
    let evidence_now: Vec<(String, bool)> = c
        .evidence_ids
        .iter()
        .map(|id| {
            let still = evidence.iter().any(|e| {
                (&e.id == id && e.stance == Stance::Against)
                    || e.also
                        .iter()
                        .any(|x| &x.id == id && x.stance == Stance::Against)
            });
            (id.clone(), still)
        })
        .collect();
    let still = evidence_now.iter().filter(|(_, s)| *s).count();
    let progress = match &latest {
        Some(p) => format!(
            "Reported {} on {} ({}): {}{}",
            p.status.as_str().replace('_', " "),
            p.recorded_on,
            p.author,
            p.note,
            if p.note.ends_with(['.', '!', '?']) {
                ""
            } else {
                "."
            }
        ),
        None => "No progress has been recorded this year.".to_string(),
    };
    let data = if evidence_now.is_empty() {
        String::new()
    } else {
        format!(
            " Of the {} evidence item(s) that prompted it, {still} still count(s) against this year.",
            evidence_now.len()
        )
    };
    ChallengeReview {
        challenge: c.clone(),
        latest,
        evidence_now,
        summary: format!("Challenge {} ({}): {progress}{data}", c.number, c.year),
    }
}

/// Evaluates a pledge from the data of its plan year: met when every linked indicator meets
/// its expectation, not met when any measurable one does not, otherwise not measurable.
pub fn evaluate_pledge(p: &Pledge, facts: &Facts) -> PledgeEvaluation {
    let targets: Vec<TargetOutcome> = p
        .targets
        .iter()
        .map(|t| {
            let Some(ind) = facts.indicator(&t.indicator) else {
                return TargetOutcome {
                    target: t.clone(),
                    outcome: PledgeOutcome::NotMeasurable,
                    why: format!("no data for indicator {} in {}", t.indicator, facts.year),
                    source: None,
                };
            };
            let Some(v) = ind.value else {
                return TargetOutcome {
                    target: t.clone(),
                    outcome: PledgeOutcome::NotMeasurable,
                    why: format!(
                        "{} ({}) has no value for {}",
                        ind.title, ind.code, facts.year
                    ),
                    source: Some(ind.source.clone()),
                };
            };
            let (ok, why) = match &t.expectation {
                Expectation::Increase | Expectation::Decrease => {
                    let Some(prev) = ind.previous else {
                        return TargetOutcome {
                            target: t.clone(),
                            outcome: PledgeOutcome::NotMeasurable,
                            why: format!(
                                "{} ({}) has no previous value to compare with",
                                ind.title, ind.code
                            ),
                            source: Some(ind.source.clone()),
                        };
                    };
                    let pp = ind
                        .previous_period
                        .clone()
                        .unwrap_or_else(|| "the previous year".into());
                    let ok = if t.expectation == Expectation::Increase {
                        v > prev
                    } else {
                        v < prev
                    };
                    (
                        ok,
                        format!(
                            "{} ({}) was {} in {} against {} in {pp}",
                            ind.title,
                            ind.code,
                            fmt_dec(v),
                            facts.year,
                            fmt_dec(prev)
                        ),
                    )
                }
                Expectation::AtLeast(target) => (
                    v >= *target,
                    format!(
                        "{} ({}) was {} in {} against a target of at least {}",
                        ind.title,
                        ind.code,
                        fmt_dec(v),
                        facts.year,
                        fmt_dec(*target)
                    ),
                ),
                Expectation::AtMost(target) => (
                    v <= *target,
                    format!(
                        "{} ({}) was {} in {} against a target of at most {}",
                        ind.title,
                        ind.code,
                        fmt_dec(v),
                        facts.year,
                        fmt_dec(*target)
                    ),
                ),
            };
            TargetOutcome {
                target: t.clone(),
                outcome: if ok {
                    PledgeOutcome::Met
                } else {
                    PledgeOutcome::NotMet
                },
                why: format!("{why}: expected {}", t.expectation.describe()),
                source: Some(ind.source.clone()),
            }
        })
        .collect();
    let outcome = if targets.is_empty() {
        PledgeOutcome::NotMeasurable
    } else if targets.iter().any(|t| t.outcome == PledgeOutcome::NotMet) {
        PledgeOutcome::NotMet
    } else if targets.iter().all(|t| t.outcome == PledgeOutcome::Met) {
        PledgeOutcome::Met
    } else {
        PledgeOutcome::NotMeasurable
    };
    let why = if targets.is_empty() {
        "the pledge is linked to no indicator, so the data cannot show whether it was kept"
            .to_string()
    } else {
        targets
            .iter()
            .map(|t| format!("{} ({})", t.why, t.outcome.as_str().replace('_', " ")))
            .collect::<Vec<_>>()
            .join("; ")
    };
    PledgeEvaluation {
        pledge: p.clone(),
        outcome,
        why,
        targets,
    }
}

/// The sufficiency statement as Markdown prose.
pub fn statement(p: &Part4) -> String {
    let mut s = String::new();
    let n_for = p
        .evidence
        .iter()
        .filter(|e| e.stance == Stance::For)
        .count();
    let n_against = p.evidence.len() - n_for;
    if p.overall == Judgement::NotEnoughEvidence {
        s.push_str(&format!(
            "On the evidence held for {}, there is **not enough evidence** to judge whether the board's safeguarding arrangements are sufficient",
            crate::report::assemble::year_label(&p.year)
        ));
    } else {
        s.push_str(&format!(
            "On the evidence held for {}, the board's safeguarding arrangements are judged **{}**",
            crate::report::assemble::year_label(&p.year),
            p.overall.words()
        ));
    }
    if let Some(o) = &p.overall_override {
        s.push_str(&format!(
            " (the rules derived *{}*; the board overrode this on {}, {}: {})",
            p.overall_derived.words(),
            o.decided_on,
            o.author,
            o.rationale
        ));
    }
    s.push_str(&format!(
        ". The judgement rests on {} of evidence (an indicator, an audit programme, an agency's returns, the budget: each counted once), {n_for} for and {n_against} against.\n\n",
        match p.evidence.len() {
            1 => "one subject".to_string(),
            n => format!("{n} subjects"),
        },
    ));
    for a in &p.answers {
        s.push_str(&format!(
            "- *{}* {}",
            a.title,
            capitalise(a.judgement.words())
        ));
        if a.judgement != a.derived {
            s.push_str(&format!(" (derived: {})", a.derived.words()));
        }
        s.push_str(".\n");
    }
    if p.overall == Judgement::NotEnoughEvidence
        || p.answers
            .iter()
            .any(|a| a.judgement == Judgement::NotEnoughEvidence)
    {
        s.push_str("\nWhere the data held is too thin to judge a question, this statement says so; missing data is never counted against the board.\n");
    }
    s
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
#[path = "domain_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "boards_tests.rs"]
mod boards;
