//! The budget's types and rules, without I/O: validation of amounts and texts, categories,
//! the carry-forward chain, the statement of a year and the field-by-field history diff.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use lscb_platform::{Partnership, Period, Violations};
use rust_decimal::Decimal;
use serde::Serialize;

/// The largest amount a caller may send: £1bn. Far above any board's budget, and small
/// enough that no sum of a year's lines can overflow an `i64`.
pub const MAX_AMOUNT_PENCE: i64 = 100_000_000_000;
/// The most rows one Put* call may carry.
pub const MAX_ROWS: usize = 5_000;
/// The longest description, note or reason, in characters.
pub const MAX_TEXT: usize = 1_000;

/// Checks a caller's amount: 0 or more and at most [`MAX_AMOUNT_PENCE`].
pub fn check_amount(v: &mut Violations, field: &str, pence: i64) -> i64 {
    if pence < 0 {
        v.add(field, format!("must not be negative (got {pence} pence)"));
    } else if pence > MAX_AMOUNT_PENCE {
        v.add(
            field,
            format!(
                "{pence} pence is larger than the largest amount accepted ({MAX_AMOUNT_PENCE} pence, £1bn): it would overflow the budget's sums"
            ),
        );
    }
    pence
}

/// Trims a text; records a violation when required and empty, or too long.
pub fn check_text(v: &mut Violations, field: &str, s: &str, required: bool) -> String {
    let t = s.trim();
    if required && t.is_empty() {
        v.add(field, "is required");
    } else if t.chars().count() > MAX_TEXT {
        v.add(field, format!("must be at most {MAX_TEXT} characters"));
    }
    t.to_string()
}

/// Parses an optional ISO date (empty is none).
pub fn check_date(v: &mut Violations, field: &str, s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    v.check(field, lscb_platform::fields::parse_date(t))
}

/// Checks that `code` is an agency of the partnership that existed during `year` (when
/// the year is known).
pub fn check_agency(
    v: &mut Violations,
    field: &str,
    p: &Partnership,
    year: Option<Period>,
    code: &str,
) {
    let code = code.trim();
    if code.is_empty() {
        v.add(field, "is required (an agency code such as \"WMP\")");
        return;
    }
    match p.agency(code) {
        None => v.add(
            field,
            format!("unknown agency '{code}' in partnership '{}'", p.id),
        ),
        Some(a) => {
            if let Some(year) = year
                && !a.valid_during(year.first_day(), year.last_day())
            {
                v.add(
                    field,
                    format!("agency '{code}' did not exist during {year}"),
                );
            }
        }
    }
}

/// Checks that a period is a financial year.
pub fn check_year(v: &mut Violations, field: &str, p: Option<Period>) -> Option<Period> {
    match p {
        Some(p @ Period::Year { .. }) => Some(p),
        Some(other) => {
            v.add(
                field,
                format!(
                    "'{other}' is not a financial year: budgets are kept per year, e.g. \"2015-16\""
                ),
            );
            None
        }
        None => None,
    }
}

// ---------------------------------------------------------------------------------------
// Records

/// The kinds of record a budget year holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Contribution,
    Income,
    Expenditure,
    InKind,
    PlannedChange,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Contribution => "contribution",
            Kind::Income => "income",
            Kind::Expenditure => "expenditure",
            Kind::InKind => "in_kind",
            Kind::PlannedChange => "planned_change",
        }
    }
}

/// A record stored per year, identified within its kind by `key()`. Its serde field names
/// and values name the fields of its history entries (see [`diff`]); storage is typed
/// columns, one table per kind (see the store).
pub trait Record: Serialize + Clone + PartialEq + std::fmt::Debug {
    const KIND: Kind;
    fn key(&self) -> String;
}

/// One agency's contribution to a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contribution {
    pub agency_code: String,
    pub agreed_pence: i64,
    pub invoiced_pence: i64,
    pub invoiced_on: Option<NaiveDate>,
    pub received_pence: i64,
    pub received_on: Option<NaiveDate>,
    pub note: String,
}

impl Record for Contribution {
    const KIND: Kind = Kind::Contribution;
    fn key(&self) -> String {
        self.agency_code.clone()
    }
}

impl Contribution {
    /// Agreed but not yet received, never below zero.
    pub fn outstanding_pence(&self) -> i64 {
        (self.agreed_pence - self.received_pence).max(0)
    }
}

/// An income line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Income {
    pub category: String,
    pub description: String,
    pub amount_pence: i64,
}

impl Record for Income {
    const KIND: Kind = Kind::Income;
    fn key(&self) -> String {
        income_key(&self.category, &self.description)
    }
}

pub fn income_key(category: &str, description: &str) -> String {
    format!("{category}/{description}")
}

/// Budgeted and actual expenditure of one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expenditure {
    pub category: String,
    pub budget_pence: i64,
    pub actual_pence: i64,
    pub note: String,
}

impl Record for Expenditure {
    const KIND: Kind = Kind::Expenditure;
    fn key(&self) -> String {
        self.category.clone()
    }
}

/// A contribution in kind: shown beside the budget, never added into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InKind {
    pub agency_code: String,
    pub description: String,
    pub estimated_value_pence: Option<i64>,
}

impl Record for InKind {
    const KIND: Kind = Kind::InKind;
    fn key(&self) -> String {
        in_kind_key(&self.agency_code, &self.description)
    }
}

pub fn in_kind_key(agency: &str, description: &str) -> String {
    format!("{agency}/{description}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Reduction,
    Increase,
}

/// A change planned for the year after the one it is recorded in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedChange {
    pub description: String,
    pub direction: Direction,
    pub amount_pence: i64,
    pub reason: String,
}

impl Record for PlannedChange {
    const KIND: Kind = Kind::PlannedChange;
    fn key(&self) -> String {
        self.description.clone()
    }
}

/// What a Put* call asks for one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<R> {
    Upsert(R),
    Remove(String),
}

impl<R: Record> Change<R> {
    pub fn key(&self) -> String {
        match self {
            Change::Upsert(r) => r.key(),
            Change::Remove(k) => k.clone(),
        }
    }
}

/// Records a violation under `field` for every key that appears more than once.
pub fn check_unique_keys<R: Record>(
    v: &mut Violations,
    changes: &[(String, Change<R>)],
    what: &str,
) {
    let mut seen = BTreeSet::new();
    for (field, c) in changes {
        let k = c.key();
        if !seen.insert(k.clone()) {
            v.add(
                field.clone(),
                format!("{what} '{k}' appears more than once in this request"),
            );
        }
    }
}

/// What a Put* call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PutSummary {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub removed: u32,
}

// ---------------------------------------------------------------------------------------
// Categories

/// An income or expenditure category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub retired: bool,
}

fn cat(code: &str, name: &str) -> Category {
    Category {
        code: code.into(),
        name: name.into(),
        retired: false,
    }
}

/// The fixed income categories.
pub fn income_categories() -> Vec<Category> {
    vec![
        cat("training_fees", "Training fees from non-partners"),
        cat("non_attendance_charges", "Non-attendance charges"),
        cat("grants", "Grants"),
        cat("other", "Other income"),
    ]
}

/// The expenditure categories every partnership starts with.
pub fn default_expenditure_categories() -> Vec<Category> {
    vec![
        cat("business_support_unit", "Business support unit staff"),
        cat("independent_chair", "Independent chair"),
        cat("training", "Training"),
        cat("learning_reviews", "Learning reviews"),
        cat("quality_assurance", "Quality assurance"),
        cat("communications", "Communications"),
        cat("other", "Other"),
    ]
}

/// The defaults overlaid with a partnership's stored categories (same code replaces the
/// default; new codes follow in the order given).
pub fn merge_expenditure_categories(stored: &[Category]) -> Vec<Category> {
    let mut out = default_expenditure_categories();
    for s in stored {
        match out.iter_mut().find(|c| c.code == s.code) {
            Some(c) => *c = s.clone(),
            None => out.push(s.clone()),
        }
    }
    out
}

/// Checks a category code: lower-case letters, digits and '_', 1 to 64 characters.
pub fn check_category_code(v: &mut Violations, field: &str, code: &str) -> String {
    let c = code.trim();
    if c.is_empty() {
        v.add(field, "is required");
    } else if c.len() > 64
        || !c
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        v.add(
            field,
            format!("'{c}' is not a category code: use lower-case letters, digits and '_'"),
        );
    }
    c.to_string()
}

/// Checks that `code` is one of `cats`; with `active`, also that it is not retired.
pub fn check_category(
    v: &mut Violations,
    field: &str,
    cats: &[Category],
    code: &str,
    active: bool,
) {
    let code = code.trim();
    match cats.iter().find(|c| c.code == code) {
        None => v.add(
            field,
            format!(
                "unknown category '{code}': expected one of {}",
                cats.iter()
                    .filter(|c| !c.retired)
                    .map(|c| c.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Some(c) if active && c.retired => {
            v.add(field, format!("category '{code}' is retired"));
        }
        Some(_) => {}
    }
}

// ---------------------------------------------------------------------------------------
// Years and the carry-forward chain

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearStatus {
    Open,
    Closed,
}

impl YearStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            YearStatus::Open => "open",
            YearStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> YearStatus {
        if s == "closed" {
            YearStatus::Closed
        } else {
            YearStatus::Open
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CarryForwardSource {
    None,
    PreviousYearClosed,
    PreviousYearProvisional,
    Override,
}

impl CarryForwardSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CarryForwardSource::None => "none",
            CarryForwardSource::PreviousYearClosed => "previous_year_closed",
            CarryForwardSource::PreviousYearProvisional => "previous_year_provisional",
            CarryForwardSource::Override => "override",
        }
    }

    pub fn parse(s: &str) -> CarryForwardSource {
        match s {
            "previous_year_closed" => CarryForwardSource::PreviousYearClosed,
            "previous_year_provisional" => CarryForwardSource::PreviousYearProvisional,
            "override" => CarryForwardSource::Override,
            _ => CarryForwardSource::None,
        }
    }
}

/// The figures fixed when a year is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedSnapshot {
    pub carry_forward_pence: i64,
    pub carry_forward_source: CarryForwardSource,
    pub carry_forward_reason: String,
    pub outturn_pence: i64,
    pub closing_pence: i64,
}

/// One budget year's own state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearRecord {
    pub start_year: i32,
    pub status: YearStatus,
    /// Admin override of the carry forward, with its reason.
    pub cf_override: Option<(i64, String)>,
    /// Present while the year is closed.
    pub closed: Option<ClosedSnapshot>,
    pub closed_at: String,
    pub closed_by: String,
}

impl YearRecord {
    pub fn new_open(start_year: i32) -> YearRecord {
        YearRecord {
            start_year,
            status: YearStatus::Open,
            cf_override: None,
            closed: None,
            closed_at: String::new(),
            closed_by: String::new(),
        }
    }

    pub fn period(&self) -> Period {
        Period::year(self.start_year)
    }
}

/// The records of one year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearLines {
    pub contributions: Vec<Contribution>,
    pub income: Vec<Income>,
    pub expenditure: Vec<Expenditure>,
    pub in_kind: Vec<InKind>,
    pub planned: Vec<PlannedChange>,
}

/// A year's carry forward and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarryForward {
    pub amount_pence: i64,
    pub source: CarryForwardSource,
    pub override_reason: String,
    /// The previous year's closing balance, when that year exists.
    pub computed_pence: Option<i64>,
}

/// A year's headline figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub contributions_pence: i64,
    pub income_pence: i64,
    pub carry_forward: CarryForward,
    pub total_budget_pence: i64,
    pub outturn_pence: i64,
    pub closing_pence: i64,
}

/// Every year of one partnership with its records: everything the figures depend on.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub years: BTreeMap<i32, YearRecord>,
    pub lines: BTreeMap<i32, YearLines>,
}

fn sum(it: impl Iterator<Item = i64>) -> i64 {
    // Each amount is at most MAX_AMOUNT_PENCE and a year holds a bounded number of lines,
    // so the i128 sum always fits; saturate rather than wrap all the same.
    let s: i128 = it.map(i128::from).sum();
    i64::try_from(s).unwrap_or(if s < 0 { i64::MIN } else { i64::MAX })
}

impl Ledger {
    pub fn lines(&self, start_year: i32) -> YearLines {
        self.lines.get(&start_year).cloned().unwrap_or_default()
    }

    /// The carry forward (opening balance) of `start_year`: fixed when the year is closed;
    /// else the override; else the previous year's closing balance; else zero.
    pub fn carry_forward(&self, start_year: i32) -> CarryForward {
        let computed = self
            .years
            .contains_key(&(start_year - 1))
            .then(|| self.closing(start_year - 1));
        if let Some(y) = self.years.get(&start_year)
            && let Some(s) = &y.closed
        {
            return CarryForward {
                amount_pence: s.carry_forward_pence,
                source: s.carry_forward_source,
                override_reason: s.carry_forward_reason.clone(),
                computed_pence: computed,
            };
        }
        if let Some(y) = self.years.get(&start_year)
            && let Some((amount, reason)) = &y.cf_override
        {
            return CarryForward {
                amount_pence: *amount,
                source: CarryForwardSource::Override,
                override_reason: reason.clone(),
                computed_pence: computed,
            };
        }
        match self.years.get(&(start_year - 1)) {
            Some(prev) => CarryForward {
                amount_pence: computed.unwrap_or(0),
                source: if prev.closed.is_some() {
                    CarryForwardSource::PreviousYearClosed
                } else {
                    CarryForwardSource::PreviousYearProvisional
                },
                override_reason: String::new(),
                computed_pence: computed,
            },
            None => CarryForward {
                amount_pence: 0,
                source: CarryForwardSource::None,
                override_reason: String::new(),
                computed_pence: None,
            },
        }
    }

    /// The closing balance of `start_year` (fixed when closed).
    pub fn closing(&self, start_year: i32) -> i64 {
        // Walk back to the first year whose opening balance does not depend on an earlier
        // one, then forward, so long chains do not recurse.
        let mut first = start_year;
        loop {
            let y = self.years.get(&first);
            let independent = match y {
                None => true,
                Some(y) => y.closed.is_some() || y.cf_override.is_some(),
            };
            if independent || !self.years.contains_key(&(first - 1)) {
                break;
            }
            first -= 1;
        }
        let mut opening = None;
        let mut closing = 0;
        for y in first..=start_year {
            let t = self.totals_with_opening(y, opening);
            closing = t.closing_pence;
            opening = Some(closing);
        }
        closing
    }

    /// The headline figures of `start_year`.
    pub fn totals(&self, start_year: i32) -> Totals {
        self.totals_with_opening(start_year, None)
    }

    fn totals_with_opening(&self, start_year: i32, prev_closing: Option<i64>) -> Totals {
        let rec = self.years.get(&start_year);
        if let Some(r) = rec
            && let Some(s) = &r.closed
        {
            let lines = self.lines(start_year);
            let contributions = sum(lines.contributions.iter().map(|c| c.agreed_pence));
            let income = sum(lines.income.iter().map(|i| i.amount_pence));
            return Totals {
                contributions_pence: contributions,
                income_pence: income,
                carry_forward: match prev_closing {
                    Some(prev) => CarryForward {
                        amount_pence: s.carry_forward_pence,
                        source: s.carry_forward_source,
                        override_reason: s.carry_forward_reason.clone(),
                        computed_pence: Some(prev),
                    },
                    None => self.carry_forward(start_year),
                },
                total_budget_pence: sum([contributions, s.carry_forward_pence, income].into_iter()),
                outturn_pence: s.outturn_pence,
                closing_pence: s.closing_pence,
            };
        }
        let carry_forward = match (prev_closing, rec.and_then(|r| r.cf_override.as_ref())) {
            (Some(prev), None) => CarryForward {
                amount_pence: prev,
                source: match self.years.get(&(start_year - 1)) {
                    Some(p) if p.closed.is_some() => CarryForwardSource::PreviousYearClosed,
                    _ => CarryForwardSource::PreviousYearProvisional,
                },
                override_reason: String::new(),
                computed_pence: Some(prev),
            },
            _ => self.carry_forward(start_year),
        };
        let lines = self.lines(start_year);
        let contributions = sum(lines.contributions.iter().map(|c| c.agreed_pence));
        let income = sum(lines.income.iter().map(|i| i.amount_pence));
        let total = sum([contributions, carry_forward.amount_pence, income].into_iter());
        let outturn = sum(lines.expenditure.iter().map(|e| e.actual_pence));
        Totals {
            contributions_pence: contributions,
            income_pence: income,
            carry_forward,
            total_budget_pence: total,
            outturn_pence: outturn,
            closing_pence: sum([total, -outturn].into_iter()),
        }
    }

    /// The snapshot `CloseYear` fixes.
    pub fn close_snapshot(&self, start_year: i32) -> ClosedSnapshot {
        let t = self.totals(start_year);
        ClosedSnapshot {
            carry_forward_pence: t.carry_forward.amount_pence,
            carry_forward_source: match t.carry_forward.source {
                // Closing requires the previous year closed, so provisional cannot occur;
                // should it, the figure is what was fixed.
                CarryForwardSource::PreviousYearProvisional => {
                    CarryForwardSource::PreviousYearClosed
                }
                s => s,
            },
            carry_forward_reason: t.carry_forward.override_reason,
            outturn_pence: t.outturn_pence,
            closing_pence: t.closing_pence,
        }
    }

    /// Why `start_year` cannot be closed, if it cannot.
    pub fn close_blocker(&self, start_year: i32) -> Option<String> {
        let y = self.years.get(&start_year)?;
        let year = Period::year(start_year);
        if y.status == YearStatus::Closed {
            return Some(format!("budget year {year} is already closed"));
        }
        if y.cf_override.is_none()
            && let Some(prev) = self.years.get(&(start_year - 1))
            && prev.status == YearStatus::Open
        {
            return Some(format!(
                "the previous budget year {} is still open, so {year}'s carry forward is not final: close {} first, or override {year}'s carry forward with a reason",
                prev.period(),
                prev.period()
            ));
        }
        None
    }

    /// Why `start_year` cannot be reopened, if it cannot.
    pub fn reopen_blocker(&self, start_year: i32) -> Option<String> {
        let y = self.years.get(&start_year)?;
        let year = Period::year(start_year);
        if y.status == YearStatus::Open {
            return Some(format!("budget year {year} is not closed"));
        }
        if let Some(next) = self.years.get(&(start_year + 1))
            && next.status == YearStatus::Closed
        {
            return Some(format!(
                "the next budget year {} is closed and its carry forward comes from {year}: reopen {} first",
                next.period(),
                next.period()
            ));
        }
        None
    }
}

// ---------------------------------------------------------------------------------------
// Statement

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContributionRow {
    pub agency_code: String,
    pub agency_name: String,
    pub sector: String,
    pub statutory: bool,
    pub recorded: bool,
    pub contribution: Contribution,
    pub share_of_contributions: Option<Decimal>,
    pub share_of_total_budget: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpenditureRow {
    pub category: String,
    pub category_name: String,
    pub line: Expenditure,
    pub variance_pence: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub previous_year: Period,
    pub previous_total_budget_pence: i64,
    pub total_budget_change_pence: i64,
    pub total_budget_change_percent: Option<Decimal>,
    pub previous_contributions_pence: i64,
    pub contributions_change_pence: i64,
    pub previous_income_pence: i64,
    pub income_change_pence: i64,
    pub previous_outturn_pence: i64,
    pub outturn_change_pence: i64,
}

/// Everything the report's finance section shows for one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub year: YearRecord,
    pub totals: Totals,
    pub contributions: Vec<ContributionRow>,
    pub contributions_invoiced_pence: i64,
    pub contributions_received_pence: i64,
    pub contributions_outstanding_pence: i64,
    pub income: Vec<Income>,
    /// (code, name, total) for every income category.
    pub income_by_category: Vec<(String, String, i64)>,
    pub expenditure: Vec<ExpenditureRow>,
    pub expenditure_budget_pence: i64,
    pub expenditure_actual_pence: i64,
    pub expenditure_variance_pence: i64,
    pub in_kind: Vec<(InKind, String)>,
    pub in_kind_estimated_total_pence: i64,
    pub next_year: Period,
    pub planned: Vec<PlannedChange>,
    pub planned_net_change_pence: i64,
    pub previous: Option<Comparison>,
}

/// `part` as a percentage of `whole`, 2 decimal places; `None` when `whole` is 0.
pub fn percent(part: i64, whole: i64) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    let p = Decimal::from(part) * Decimal::from(100) / Decimal::from(whole);
    Some(p.round_dp(2))
}

/// Builds the statement of `start_year`, which must be in the ledger.
pub fn statement(
    ledger: &Ledger,
    partnership: &Partnership,
    expenditure_categories: &[Category],
    start_year: i32,
) -> Option<Statement> {
    let year = ledger.years.get(&start_year)?.clone();
    let period = Period::year(start_year);
    let totals = ledger.totals(start_year);
    let lines = ledger.lines(start_year);

    // Contributions: recorded ones, then statutory agencies of the year with none.
    let mut rows: Vec<ContributionRow> = Vec::new();
    for c in &lines.contributions {
        let a = partnership.agency(&c.agency_code);
        rows.push(ContributionRow {
            agency_code: c.agency_code.clone(),
            agency_name: a.map(|a| a.name.clone()).unwrap_or_default(),
            sector: a.map(|a| a.sector.as_str().to_string()).unwrap_or_default(),
            statutory: a.is_some_and(|a| a.statutory),
            recorded: true,
            contribution: c.clone(),
            share_of_contributions: percent(c.agreed_pence, totals.contributions_pence),
            share_of_total_budget: percent(c.agreed_pence, totals.total_budget_pence),
        });
    }
    rows.sort_by(|a, b| {
        b.contribution
            .agreed_pence
            .cmp(&a.contribution.agreed_pence)
            .then_with(|| a.agency_code.cmp(&b.agency_code))
    });
    for a in partnership.statutory_agencies_during(period.first_day(), period.last_day()) {
        if lines.contributions.iter().any(|c| c.agency_code == a.code) {
            continue;
        }
        rows.push(ContributionRow {
            agency_code: a.code.clone(),
            agency_name: a.name.clone(),
            sector: a.sector.as_str().to_string(),
            statutory: true,
            recorded: false,
            contribution: Contribution {
                agency_code: a.code.clone(),
                agreed_pence: 0,
                invoiced_pence: 0,
                invoiced_on: None,
                received_pence: 0,
                received_on: None,
                note: String::new(),
            },
            share_of_contributions: None,
            share_of_total_budget: None,
        });
    }

    let income_by_category = income_categories()
        .into_iter()
        .map(|c| {
            let total = sum(lines
                .income
                .iter()
                .filter(|i| i.category == c.code)
                .map(|i| i.amount_pence));
            (c.code, c.name, total)
        })
        .collect();
    let mut income = lines.income.clone();
    let order = |code: &str, cats: &[Category]| {
        cats.iter()
            .position(|c| c.code == code)
            .unwrap_or(usize::MAX)
    };
    let icats = income_categories();
    income.sort_by(|a, b| {
        order(&a.category, &icats)
            .cmp(&order(&b.category, &icats))
            .then_with(|| a.description.cmp(&b.description))
    });

    let mut expenditure: Vec<ExpenditureRow> = lines
        .expenditure
        .iter()
        .map(|e| ExpenditureRow {
            category: e.category.clone(),
            category_name: expenditure_categories
                .iter()
                .find(|c| c.code == e.category)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| e.category.clone()),
            line: e.clone(),
            variance_pence: e.budget_pence - e.actual_pence,
        })
        .collect();
    expenditure.sort_by_key(|r| order(&r.category, expenditure_categories));

    let mut in_kind: Vec<(InKind, String)> = lines
        .in_kind
        .iter()
        .map(|k| {
            let name = partnership
                .agency(&k.agency_code)
                .map(|a| a.name.clone())
                .unwrap_or_default();
            (k.clone(), name)
        })
        .collect();
    in_kind.sort_by_key(|a| a.0.key());

    let mut planned = lines.planned.clone();
    planned.sort_by(|a, b| a.description.cmp(&b.description));
    let planned_net = sum(planned.iter().map(|p| match p.direction {
        Direction::Increase => p.amount_pence,
        Direction::Reduction => -p.amount_pence,
    }));

    let previous = ledger.years.contains_key(&(start_year - 1)).then(|| {
        let p = ledger.totals(start_year - 1);
        Comparison {
            previous_year: Period::year(start_year - 1),
            previous_total_budget_pence: p.total_budget_pence,
            total_budget_change_pence: totals.total_budget_pence - p.total_budget_pence,
            total_budget_change_percent: percent(
                totals.total_budget_pence - p.total_budget_pence,
                p.total_budget_pence,
            ),
            previous_contributions_pence: p.contributions_pence,
            contributions_change_pence: totals.contributions_pence - p.contributions_pence,
            previous_income_pence: p.income_pence,
            income_change_pence: totals.income_pence - p.income_pence,
            previous_outturn_pence: p.outturn_pence,
            outturn_change_pence: totals.outturn_pence - p.outturn_pence,
        }
    });

    Some(Statement {
        contributions_invoiced_pence: sum(lines.contributions.iter().map(|c| c.invoiced_pence)),
        contributions_received_pence: sum(lines.contributions.iter().map(|c| c.received_pence)),
        contributions_outstanding_pence: sum(lines
            .contributions
            .iter()
            .map(Contribution::outstanding_pence)),
        expenditure_budget_pence: sum(lines.expenditure.iter().map(|e| e.budget_pence)),
        expenditure_actual_pence: sum(lines.expenditure.iter().map(|e| e.actual_pence)),
        expenditure_variance_pence: sum(expenditure.iter().map(|e| e.variance_pence)),
        in_kind_estimated_total_pence: sum(lines
            .in_kind
            .iter()
            .filter_map(|k| k.estimated_value_pence)),
        year,
        totals,
        contributions: rows,
        income,
        income_by_category,
        expenditure,
        in_kind,
        next_year: period.next(),
        planned,
        planned_net_change_pence: planned_net,
        previous,
    })
}

// ---------------------------------------------------------------------------------------
// History

/// One entry of the change history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub start_year: Option<i32>,
    /// RFC 3339.
    pub at: String,
    pub actor: String,
    pub entity: String,
    pub key: String,
    pub field: String,
    pub old: String,
    pub new: String,
    pub reason: String,
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

fn text(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The fields that differ between two versions of a record (either may be absent).
pub fn diff<R: Record>(old: Option<&R>, new: Option<&R>) -> Vec<FieldChange> {
    let to_map = |r: Option<&R>| match r.map(serde_json::to_value) {
        Some(Ok(serde_json::Value::Object(m))) => m,
        _ => serde_json::Map::new(),
    };
    let (o, n) = (to_map(old), to_map(new));
    let mut fields: Vec<&String> = o.keys().chain(n.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter_map(|f| {
            let (a, b) = (text(o.get(f)), text(n.get(f)));
            (a != b).then(|| FieldChange {
                field: f.clone(),
                old: a,
                new: b,
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "domain_tests.rs"]
mod tests;
