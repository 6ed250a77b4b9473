//! Indicator rules without I/O: definitions and their validation, observation rows and their
//! validation, and the derived figures (period and annual figures, change, direction of
//! travel, RAG, benchmark comparison, breakdown sums, rule checks and outliers).

use std::collections::{BTreeMap, HashMap};

use lscb_platform::{Granularity, Partnership, Period, Violations};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    Percent,
    RatePer10000,
    Days,
    Ratio,
}

impl Unit {
    /// The multiplier that turns numerator / denominator into a value of this unit.
    pub fn default_multiplier(self) -> Decimal {
        match self {
            Unit::Percent => Decimal::from(100),
            Unit::RatePer10000 => Decimal::from(10000),
            _ => Decimal::ONE,
        }
    }

    /// Whether a value may be made of a numerator and a denominator.
    pub fn has_parts(self) -> bool {
        matches!(self, Unit::Percent | Unit::RatePer10000 | Unit::Ratio)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    HigherIsBetter,
    LowerIsBetter,
    WithinBand,
    Context,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Monthly,
    Quarterly,
    Annual,
}

impl Frequency {
    pub fn granularity(self) -> Granularity {
        match self {
            Frequency::Monthly => Granularity::Month,
            Frequency::Quarterly => Granularity::Quarter,
            Frequency::Annual => Granularity::Year,
        }
    }

    pub fn of(g: Granularity) -> Frequency {
        match g {
            Granularity::Month => Frequency::Monthly,
            Granularity::Quarter => Frequency::Quarterly,
            Granularity::Year => Frequency::Annual,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Annual => "annual",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Sum,
    Last,
    Mean,
    Recompute,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateDef {
    pub numerator_indicator: Option<String>,
    pub denominator_indicator: Option<String>,
    pub multiplier: Decimal,
}

impl RateDef {
    /// Whether the value comes from other indicators' figures.
    pub fn is_derived(&self) -> bool {
        self.numerator_indicator.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub value: Option<Decimal>,
    pub band: Option<(Decimal, Decimal)>,
    pub amber_tolerance: Decimal,
    pub applies_from: Option<Period>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakdownDef {
    pub dimension: String,
    pub label: String,
    pub values: Vec<String>,
    pub overlapping: bool,
}

/// An indicator definition (one version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    pub code: String,
    pub title: String,
    pub description: String,
    pub unit: Unit,
    pub polarity: Polarity,
    pub priorities: Vec<String>,
    pub question: String,
    pub themes: Vec<String>,
    pub frequency: Frequency,
    pub aggregation: Aggregation,
    pub rate: Option<RateDef>,
    pub targets: Vec<Target>,
    pub expected_agencies: Vec<String>,
    pub breakdown: Option<BreakdownDef>,
    pub tolerance: Decimal,
    pub deadline_days: u32,
    pub framework_area: String,
}

/// Days after a period's end by which data are due when the definition says 0.
pub const DEFAULT_DEADLINE_DAYS: u32 = 30;

impl Definition {
    pub fn is_derived(&self) -> bool {
        self.rate.as_ref().is_some_and(RateDef::is_derived)
    }

    pub fn multiplier(&self) -> Decimal {
        self.rate
            .as_ref()
            .map(|r| r.multiplier)
            .unwrap_or_else(|| self.unit.default_multiplier())
    }

    pub fn deadline_days(&self) -> u32 {
        if self.deadline_days == 0 {
            DEFAULT_DEADLINE_DAYS
        } else {
            self.deadline_days
        }
    }

    /// The target that applies to the financial year of `period`.
    pub fn target_for(&self, period: Period) -> Option<&Target> {
        let fy = period.financial_year_start();
        self.targets
            .iter()
            .filter(|t| {
                t.applies_from
                    .is_none_or(|p| p.financial_year_start() <= fy)
            })
            .max_by_key(|t| t.applies_from.map(|p| p.financial_year_start()))
    }
}

/// A stored definition version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorVersion {
    pub definition: Definition,
    pub version: u32,
    pub current: bool,
    pub created_by: String,
    pub created_at: String,
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| {
            c.is_ascii_uppercase() || c.is_ascii_digit() || c == '.' || c == '_' || c == '-'
        })
}

fn is_tag(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks a definition on its own (references to other indicators and agencies are checked
/// by [`check_definition_references`]). Fields are named as in the API (`indicator.*`).
pub fn validate_definition(d: &Definition, v: &mut Violations) {
    let f = |s: &str| format!("indicator.{s}");
    if !is_code(&d.code) {
        v.add(
            f("code"),
            format!(
                "'{}' is not an indicator code: use 1-64 upper-case letters, digits, '.', '_' or '-' (e.g. CAIT.CRIMES)",
                d.code
            ),
        );
    }
    if d.title.trim().is_empty() {
        v.add(f("title"), "is required");
    }
    if d.title.len() > 300 {
        v.add(f("title"), "must be at most 300 characters");
    }
    if d.description.len() > 4000 {
        v.add(f("description"), "must be at most 4000 characters");
    }
    for (i, t) in d.priorities.iter().enumerate() {
        if !is_tag(t) {
            v.add(
                f(&format!("priorities[{i}]")),
                format!("'{t}' is not a tag: use lower-case snake_case, e.g. early_help"),
            );
        }
    }
    for (i, t) in d.themes.iter().enumerate() {
        if !is_tag(t) {
            v.add(
                f(&format!("themes[{i}]")),
                format!("'{t}' is not a tag: use lower-case snake_case, e.g. missing_children"),
            );
        }
    }
    if !d.question.is_empty() && !is_tag(&d.question) {
        v.add(
            f("question"),
            format!("'{}' is not a tag: e.g. how_much, how_well", d.question),
        );
    }
    if !d.framework_area.is_empty() && !is_tag(&d.framework_area) {
        v.add(
            f("framework_area"),
            format!("'{}' is not a tag: e.g. cp_activity", d.framework_area),
        );
    }
    let mut numbers = vec![("tolerance".to_string(), d.tolerance)];
    if let Some(r) = &d.rate {
        numbers.push(("rate.multiplier".into(), r.multiplier));
    }
    for (i, t) in d.targets.iter().enumerate() {
        numbers.extend(t.value.map(|x| (format!("targets[{i}].value"), x)));
        numbers.extend(t.band.map(|b| (format!("targets[{i}].band_low"), b.0)));
        numbers.extend(t.band.map(|b| (format!("targets[{i}].band_high"), b.1)));
        numbers.push((format!("targets[{i}].amber_tolerance"), t.amber_tolerance));
    }
    for (name, x) in numbers {
        if let Err(e) = check_magnitude(x) {
            v.add(f(&name), e);
        }
    }
    if d.tolerance < Decimal::ZERO {
        v.add(f("tolerance"), "must not be negative");
    }
    if d.deadline_days > 366 {
        v.add(f("deadline_days"), "must be at most 366");
    }
    match d.aggregation {
        Aggregation::Sum if d.unit != Unit::Count => v.add(
            f("aggregation"),
            "AGGREGATION_SUM needs UNIT_COUNT: percentages, rates, days and ratios cannot be added up",
        ),
        Aggregation::Recompute if !d.unit.has_parts() => v.add(
            f("aggregation"),
            "AGGREGATION_RECOMPUTE needs a percent, rate or ratio unit made from numerator and denominator",
        ),
        _ => {}
    }
    if let Some(r) = &d.rate {
        if !d.unit.has_parts() {
            v.add(
                f("rate"),
                "a rate definition needs UNIT_PERCENT, UNIT_RATE_PER_10000 or UNIT_RATIO",
            );
        }
        if r.multiplier <= Decimal::ZERO {
            v.add(f("rate.multiplier"), "must be greater than zero");
        } else if d.unit.has_parts()
            && d.unit != Unit::Ratio
            && r.multiplier != d.unit.default_multiplier()
        {
            v.add(
                f("rate.multiplier"),
                format!(
                    "must be {} for this unit",
                    d.unit.default_multiplier().normalize()
                ),
            );
        }
        if r.numerator_indicator.is_some() != r.denominator_indicator.is_some() {
            v.add(
                f("rate"),
                "give both numerator_indicator and denominator_indicator, or neither",
            );
        }
        if r.numerator_indicator.as_deref() == Some(d.code.as_str())
            || r.denominator_indicator.as_deref() == Some(d.code.as_str())
        {
            v.add(f("rate"), "an indicator cannot be made from itself");
        }
    }
    for (i, t) in d.targets.iter().enumerate() {
        let tf = |s: &str| f(&format!("targets[{i}].{s}"));
        match d.polarity {
            Polarity::HigherIsBetter | Polarity::LowerIsBetter => {
                if t.value.is_none() {
                    v.add(tf("value"), "is required for this polarity");
                }
                if t.band.is_some() {
                    v.add(tf("band_low"), "a band needs POLARITY_WITHIN_BAND");
                }
            }
            Polarity::WithinBand => match t.band {
                None => v.add(tf("band_low"), "band_low and band_high are required"),
                Some((lo, hi)) if lo > hi => v.add(tf("band_high"), "must not be below band_low"),
                _ => {}
            },
            Polarity::Context => v.add(
                f(&format!("targets[{i}]")),
                "a context indicator carries no judgement and takes no target",
            ),
        }
        if t.amber_tolerance < Decimal::ZERO {
            v.add(tf("amber_tolerance"), "must not be negative");
        }
        if let Some(p) = t.applies_from
            && p.granularity() != Granularity::Year
        {
            v.add(tf("applies_from"), "must be a financial year, e.g. 2015-16");
        }
    }
    let mut froms: Vec<_> = d.targets.iter().map(|t| t.applies_from).collect();
    froms.sort();
    if froms.windows(2).any(|w| w[0] == w[1]) {
        v.add(f("targets"), "two targets apply from the same year");
    }
    if let Some(b) = &d.breakdown {
        if !is_tag(&b.dimension) {
            v.add(
                f("breakdown.dimension"),
                "is required: lower-case snake_case, e.g. category_of_abuse",
            );
        }
        if b.values.is_empty() {
            v.add(f("breakdown.values"), "list at least one allowed value");
        }
        for (i, x) in b.values.iter().enumerate() {
            if x.trim().is_empty() || x.len() > 100 {
                v.add(
                    f(&format!("breakdown.values[{i}]")),
                    "must be 1-100 characters",
                );
            } else if b.values[..i].contains(x) {
                v.add(
                    f(&format!("breakdown.values[{i}]")),
                    format!("'{x}' appears twice"),
                );
            }
        }
    }
}

/// Checks what a definition refers to: agencies of the partnership and, for a derived rate,
/// existing non-derived indicators.
pub fn check_definition_references(
    d: &Definition,
    partnership: &Partnership,
    others: &HashMap<String, Definition>,
    v: &mut Violations,
) {
    for (i, a) in d.expected_agencies.iter().enumerate() {
        if partnership.agency(a).is_none() {
            v.add(
                format!("indicator.expected_agencies[{i}]"),
                format!("agency '{a}' is not in partnership {}", partnership.id),
            );
        }
    }
    if let Some(r) = &d.rate {
        for (field, code) in [
            ("rate.numerator_indicator", &r.numerator_indicator),
            ("rate.denominator_indicator", &r.denominator_indicator),
        ] {
            let Some(code) = code else { continue };
            match others.get(code) {
                None => v.add(
                    format!("indicator.{field}"),
                    format!("indicator '{code}' does not exist"),
                ),
                Some(o) if o.is_derived() => v.add(
                    format!("indicator.{field}"),
                    format!("indicator '{code}' is itself derived; use its parts"),
                ),
                _ => {}
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Observations

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Provisional,
    Final,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Provisional => "provisional",
            Status::Final => "final",
        }
    }

    pub fn parse(s: &str) -> Status {
        if s == "final" {
            Status::Final
        } else {
            Status::Provisional
        }
    }
}

/// One submitted row, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObsInput {
    pub indicator: String,
    pub period: Period,
    /// Empty: partnership-wide.
    pub agency: String,
    /// Empty: the total.
    pub breakdown: String,
    pub value: Option<Decimal>,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    pub status: Status,
    pub comment: String,
}

/// The key of an observation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObsKey {
    pub indicator: String,
    pub period: Period,
    pub agency: String,
    pub breakdown: String,
}

impl ObsInput {
    pub fn key(&self) -> ObsKey {
        ObsKey {
            indicator: self.indicator.clone(),
            period: self.period,
            agency: self.agency.clone(),
            breakdown: self.breakdown.clone(),
        }
    }
}

/// The current (or a past) revision of an observation, as the computations need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObsValue {
    pub observation_id: String,
    pub revision: u32,
    pub key: ObsKey,
    pub value: Decimal,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    pub status: Status,
    pub first_received_at: String,
}

/// Rounds a computed (not submitted) figure for presentation: one decimal place.
pub fn round1(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// numerator / denominator x multiplier, unrounded; `None` when the denominator is zero.
pub fn ratio(num: Decimal, den: Decimal, mult: Decimal) -> Option<Decimal> {
    if den.is_zero() {
        None
    } else {
        num.checked_mul(mult).and_then(|n| n.checked_div(den))
    }
}

/// Whether a submitted value agrees with a computed one at the submitted value's precision
/// ("66" agrees with 65.96, "66.0" does not agree with 65.9).
pub fn agrees(submitted: Decimal, computed: Decimal) -> bool {
    let dp = submitted.scale();
    computed.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero) == submitted
}

/// Validates one row against its definition and the directory; fields are named `{prefix}.x`.
/// Returns the value to store (computed from the parts when no value was given).
pub fn validate_row(
    row: &ObsInput,
    def: Option<&Definition>,
    partnership: &Partnership,
    prefix: &str,
    v: &mut Violations,
) -> Option<Decimal> {
    let f = |s: &str| format!("{prefix}.{s}");
    let Some(def) = def else {
        v.add(
            f("indicator_code"),
            format!(
                "unknown indicator '{}' in partnership {}",
                row.indicator, partnership.id
            ),
        );
        return None;
    };
    let mut ok = true;
    let want = def.frequency.granularity();
    if row.period.granularity() != want {
        ok = false;
        v.add(
            f("period"),
            format!(
                "{} is a {}, but {} is {}: give a {} period",
                row.period,
                row.period.granularity().as_str(),
                def.code,
                def.frequency.as_str(),
                want.as_str()
            ),
        );
    }
    if !row.agency.is_empty() {
        match partnership.agency(&row.agency) {
            None => {
                ok = false;
                v.add(
                    f("agency_code"),
                    format!(
                        "agency '{}' is not in partnership {}",
                        row.agency, partnership.id
                    ),
                );
            }
            Some(a) if !a.valid_during(row.period.first_day(), row.period.last_day()) => {
                ok = false;
                v.add(
                    f("agency_code"),
                    format!(
                        "agency '{}' did not exist during {} (valid {} to {})",
                        row.agency,
                        row.period,
                        a.valid_from.map(|d| d.to_string()).unwrap_or("-".into()),
                        a.valid_to.map(|d| d.to_string()).unwrap_or("-".into()),
                    ),
                );
            }
            _ => {}
        }
    }
    if !row.breakdown.is_empty() {
        match &def.breakdown {
            None => {
                ok = false;
                v.add(
                    f("breakdown_value"),
                    format!("{} has no breakdown; leave it empty", def.code),
                );
            }
            Some(b) if !b.values.contains(&row.breakdown) => {
                ok = false;
                v.add(
                    f("breakdown_value"),
                    format!(
                        "'{}' is not a value of {}: expected one of {}",
                        row.breakdown,
                        b.dimension,
                        b.values.join(", ")
                    ),
                );
            }
            _ => {}
        }
    }
    if row.comment.len() > 2000 {
        ok = false;
        v.add(f("comment"), "must be at most 2000 characters");
    }
    let has_parts = row.numerator.is_some() || row.denominator.is_some();
    if has_parts && (!def.unit.has_parts() || def.is_derived()) {
        v.add(
            f("numerator"),
            if def.is_derived() {
                format!(
                    "{} is derived from other indicators; submit those instead of parts",
                    def.code
                )
            } else {
                format!(
                    "{} is not a percent, rate or ratio: give only a value",
                    def.code
                )
            },
        );
        return None;
    }
    for (name, x) in [
        ("value", row.value),
        ("numerator", row.numerator),
        ("denominator", row.denominator),
    ] {
        if let Some(x) = x {
            if x < Decimal::ZERO {
                ok = false;
                v.add(f(name), format!("must not be negative (got {x})"));
            } else if let Err(e) = check_magnitude(x) {
                ok = false;
                v.add(f(name), e);
            }
        }
    }
    let mut value = row.value;
    match (row.numerator, row.denominator) {
        (Some(n), Some(d)) => {
            if d.is_zero() {
                ok = false;
                v.add(f("denominator"), "must be greater than zero");
            } else if def.unit != Unit::Ratio && n > d {
                ok = false;
                v.add(
                    f("numerator"),
                    format!("numerator {n} is above denominator {d}"),
                );
            } else if n >= Decimal::ZERO && d > Decimal::ZERO {
                match ratio(n, d, def.multiplier()) {
                    Some(c) => match row.value {
                        Some(s) if !agrees(s, c) => {
                            ok = false;
                            v.add(
                                f("value"),
                                format!(
                                    "{s} disagrees with numerator {n} / denominator {d} = {}",
                                    round1(c)
                                ),
                            );
                        }
                        Some(_) => {}
                        None => value = Some(round1(c)),
                    },
                    None => {
                        ok = false;
                        v.add(f("numerator"), "is too large");
                    }
                }
            }
        }
        (Some(_), None) => {
            ok = false;
            v.add(f("denominator"), "is required with a numerator");
        }
        (None, Some(_)) => {
            ok = false;
            v.add(f("numerator"), "is required with a denominator");
        }
        (None, None) => {
            if row.value.is_none() {
                ok = false;
                v.add(
                    f("value"),
                    "is required (or give numerator and denominator)",
                );
            }
        }
    }
    if let Some(x) = value {
        match def.unit {
            Unit::Count if x.fract() != Decimal::ZERO => {
                ok = false;
                v.add(
                    f("value"),
                    format!("a count must be a whole number (got {x})"),
                );
            }
            Unit::Percent if x > Decimal::from(100) => {
                ok = false;
                v.add(f("value"), format!("a percentage must be 0-100 (got {x})"));
            }
            _ => {}
        }
    }
    if ok { value } else { None }
}

/// The largest figure accepted (in magnitude): far above any count a partnership keeps, and
/// small enough that sums and products of many figures stay exact.
pub const MAX_MAGNITUDE: i64 = 1_000_000_000_000;
/// The most decimal places a figure may have.
pub const MAX_SCALE: u32 = 6;

/// Refuses figures too large or too precise to compute with safely.
pub fn check_magnitude(x: Decimal) -> Result<(), String> {
    if x.abs() > Decimal::from(MAX_MAGNITUDE) {
        Err(format!("{x} is too large: at most {MAX_MAGNITUDE}"))
    } else if x.normalize().scale() > MAX_SCALE {
        Err(format!(
            "{x} has too many decimal places: at most {MAX_SCALE}"
        ))
    } else {
        Ok(())
    }
}

/// Checks a batch for rows naming the same observation twice.
pub fn check_duplicates(rows: &[ObsInput], v: &mut Violations) {
    let mut seen: HashMap<ObsKey, usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(j) = seen.insert(r.key(), i) {
            v.add(
                format!("rows[{i}]"),
                format!("names the same indicator, period, agency and breakdown as rows[{j}]"),
            );
            seen.insert(r.key(), j);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Derived figures

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rag {
    Red,
    Amber,
    Green,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Improving,
    Declining,
    NoChange,
    NotJudged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Up,
    Down,
    Flat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Better,
    Worse,
    Similar,
    NotJudged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Comparator {
    England,
    StatisticalNeighbours,
    Region,
}

impl Comparator {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::England => "england",
            Comparator::StatisticalNeighbours => "statistical_neighbours",
            Comparator::Region => "region",
        }
    }

    pub fn parse(s: &str) -> Option<Comparator> {
        match s {
            "england" => Some(Comparator::England),
            "statistical_neighbours" => Some(Comparator::StatisticalNeighbours),
            "region" => Some(Comparator::Region),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Benchmark {
    pub indicator: String,
    pub period: Period,
    pub comparator: Comparator,
    pub value: Decimal,
    pub source: String,
    pub set_by: String,
    pub set_at: String,
}

/// The change from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub from: Decimal,
    pub absolute: Decimal,
    /// One decimal place; `None` when `from` is zero.
    pub percent: Option<Decimal>,
    pub direction: Direction,
    pub trend: Trend,
}

fn band_distance(x: Decimal, lo: Decimal, hi: Decimal) -> Decimal {
    if x < lo {
        lo - x
    } else if x > hi {
        x - hi
    } else {
        Decimal::ZERO
    }
}

pub fn trend(diff: Decimal, tolerance: Decimal) -> Trend {
    if diff.abs() <= tolerance {
        Trend::Flat
    } else if diff > Decimal::ZERO {
        Trend::Up
    } else {
        Trend::Down
    }
}

/// Change from `from` to `to` with direction of travel taking polarity into account.
pub fn change(def: &Definition, target: Option<&Target>, from: Decimal, to: Decimal) -> Change {
    let diff = to - from;
    let percent = if from.is_zero() {
        None
    } else {
        Some(round1(diff * Decimal::from(100) / from))
    };
    let t = trend(diff, def.tolerance);
    let direction = if t == Trend::Flat {
        Direction::NoChange
    } else {
        match def.polarity {
            Polarity::HigherIsBetter if t == Trend::Up => Direction::Improving,
            Polarity::HigherIsBetter => Direction::Declining,
            Polarity::LowerIsBetter if t == Trend::Down => Direction::Improving,
            Polarity::LowerIsBetter => Direction::Declining,
            Polarity::WithinBand => match target.and_then(|t| t.band) {
                Some((lo, hi)) => {
                    let (a, b) = (band_distance(from, lo, hi), band_distance(to, lo, hi));
                    if b < a {
                        Direction::Improving
                    } else if b > a {
                        Direction::Declining
                    } else {
                        Direction::NoChange
                    }
                }
                None => Direction::NotJudged,
            },
            Polarity::Context => Direction::NotJudged,
        }
    };
    Change {
        from,
        absolute: diff.normalize(),
        percent,
        direction,
        trend: t,
    }
}

/// RAG of `value` against `target` for the definition's polarity.
pub fn rag(def: &Definition, target: Option<&Target>, value: Decimal) -> Option<Rag> {
    let t = target?;
    let tol = t.amber_tolerance;
    match def.polarity {
        Polarity::HigherIsBetter => {
            let goal = t.value?;
            Some(if value >= goal {
                Rag::Green
            } else if value >= goal - tol {
                Rag::Amber
            } else {
                Rag::Red
            })
        }
        Polarity::LowerIsBetter => {
            let goal = t.value?;
            Some(if value <= goal {
                Rag::Green
            } else if value <= goal + tol {
                Rag::Amber
            } else {
                Rag::Red
            })
        }
        Polarity::WithinBand => {
            let (lo, hi) = t.band?;
            let d = band_distance(value, lo, hi);
            Some(if d.is_zero() {
                Rag::Green
            } else if d <= tol {
                Rag::Amber
            } else {
                Rag::Red
            })
        }
        Polarity::Context => None,
    }
}

/// Comparison of `value` with a benchmark, taking polarity into account.
pub fn compare(
    def: &Definition,
    target: Option<&Target>,
    value: Decimal,
    benchmark: Decimal,
) -> (Trend, Comparison) {
    let diff = value - benchmark;
    let rel = trend(diff, def.tolerance);
    let cmp = if rel == Trend::Flat {
        Comparison::Similar
    } else {
        match def.polarity {
            Polarity::HigherIsBetter if rel == Trend::Up => Comparison::Better,
            Polarity::HigherIsBetter => Comparison::Worse,
            Polarity::LowerIsBetter if rel == Trend::Down => Comparison::Better,
            Polarity::LowerIsBetter => Comparison::Worse,
            Polarity::WithinBand => match target.and_then(|t| t.band) {
                Some((lo, hi)) => {
                    let (a, b) = (
                        band_distance(value, lo, hi),
                        band_distance(benchmark, lo, hi),
                    );
                    if a < b {
                        Comparison::Better
                    } else if a > b {
                        Comparison::Worse
                    } else {
                        Comparison::Similar
                    }
                }
                None => Comparison::NotJudged,
            },
            Polarity::Context => Comparison::NotJudged,
        }
    };
    (rel, cmp)
}

/// The benchmark of `comparator` that applies to `period`: the one set for the period, or
/// the latest one ending before the period ends.
pub fn benchmark_for<'a>(
    benchmarks: &'a [Benchmark],
    indicator: &str,
    comparator: Comparator,
    period: Period,
) -> Option<&'a Benchmark> {
    benchmarks
        .iter()
        .filter(|b| b.indicator == indicator && b.comparator == comparator)
        .filter(|b| b.period.last_day() <= period.last_day())
        .max_by_key(|b| (b.period.last_day(), std::cmp::Reverse(b.period.first_day())))
}

/// A flag on a figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub code: &'static str,
    pub message: String,
}

/// A figure for one period (of any granularity) with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub period: Period,
    pub value: Decimal,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    pub is_final: bool,
    /// The observation revisions used.
    pub sources: Vec<ObsValue>,
    pub flags: Vec<Flag>,
    /// Native periods with a value, and native periods expected.
    pub periods_received: u32,
    pub periods_expected: u32,
}

/// Current observations of a partnership, indexed for computing figures.
#[derive(Debug, Default)]
pub struct Dataset {
    by_indicator: HashMap<String, Vec<ObsValue>>,
}

/// Which observations of a period a figure is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice<'a> {
    /// `None`: the partnership total (a partnership-wide row, or the agencies combined).
    pub agency: Option<&'a str>,
    /// "" for the total.
    pub breakdown: &'a str,
}

impl Slice<'_> {
    pub const TOTAL: Slice<'static> = Slice {
        agency: None,
        breakdown: "",
    };
}

impl Dataset {
    pub fn new(rows: Vec<ObsValue>) -> Self {
        let mut by_indicator: HashMap<String, Vec<ObsValue>> = HashMap::new();
        for r in rows {
            by_indicator
                .entry(r.key.indicator.clone())
                .or_default()
                .push(r);
        }
        Dataset { by_indicator }
    }

    pub fn rows(&self, indicator: &str) -> &[ObsValue] {
        self.by_indicator
            .get(indicator)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The figure of a native period of `def` (no derivation, no aggregation over time).
    fn native(&self, def: &Definition, period: Period, slice: Slice<'_>) -> Option<Figure> {
        let rows: Vec<&ObsValue> = self
            .rows(&def.code)
            .iter()
            .filter(|r| r.key.period == period && r.key.breakdown == slice.breakdown)
            .collect();
        let mk = |value, numerator, denominator, used: Vec<&ObsValue>, flags| Figure {
            period,
            value,
            numerator,
            denominator,
            is_final: used.iter().all(|r| r.status == Status::Final),
            sources: used.into_iter().cloned().collect(),
            flags,
            periods_received: 1,
            periods_expected: 1,
        };
        if let Some(agency) = slice.agency {
            let r = rows.into_iter().find(|r| r.key.agency == agency)?;
            return Some(mk(r.value, r.numerator, r.denominator, vec![r], vec![]));
        }
        if let Some(r) = rows.iter().find(|r| r.key.agency.is_empty()) {
            return Some(mk(r.value, r.numerator, r.denominator, vec![*r], vec![]));
        }
        if rows.is_empty() {
            return None;
        }
        if rows
            .iter()
            .all(|r| r.numerator.is_some() && r.denominator.is_some())
        {
            let n: Decimal = rows.iter().filter_map(|r| r.numerator).sum();
            let d: Decimal = rows.iter().filter_map(|r| r.denominator).sum();
            let value = round1(ratio(n, d, def.multiplier())?);
            return Some(mk(value, Some(n), Some(d), rows, vec![]));
        }
        if def.unit == Unit::Count {
            let value = rows.iter().map(|r| r.value).sum();
            return Some(mk(value, None, None, rows, vec![]));
        }
        let n = Decimal::from(rows.len() as u64);
        let value = round1(rows.iter().map(|r| r.value).sum::<Decimal>() / n);
        Some(mk(
            value,
            None,
            None,
            rows,
            vec![Flag {
                code: "NOT_COMBINABLE",
                message: format!(
                    "no partnership-wide figure: the mean of {} agencies' figures, which is not a true partnership {}",
                    n,
                    if def.unit == Unit::Percent {
                        "percentage"
                    } else {
                        "figure"
                    }
                ),
            }],
        ))
    }

    /// The figure of `def` for `period` (its own granularity or coarser), aggregating native
    /// periods as the definition says. Derived indicators use `defs` to find their parts.
    pub fn figure(
        &self,
        def: &Definition,
        defs: &HashMap<String, Definition>,
        period: Period,
        slice: Slice<'_>,
    ) -> Option<Figure> {
        if let Some(r) = def.rate.as_ref().filter(|r| r.is_derived()) {
            let num_def = defs.get(r.numerator_indicator.as_deref()?)?;
            let den_def = defs.get(r.denominator_indicator.as_deref()?)?;
            let num = self.part_figure(num_def, defs, period, slice)?;
            let den = self.part_figure(
                den_def,
                defs,
                period,
                Slice {
                    breakdown: "",
                    ..slice
                },
            )?;
            let value = round1(ratio(num.value, den.value, r.multiplier)?);
            let mut flags = num.flags.clone();
            flags.extend(den.flags.iter().cloned());
            let mut sources = num.sources.clone();
            sources.extend(den.sources.iter().cloned());
            return Some(Figure {
                period,
                value,
                numerator: Some(num.value),
                denominator: Some(den.value),
                is_final: num.is_final && den.is_final,
                sources,
                flags,
                periods_received: num.periods_received,
                periods_expected: num.periods_expected,
            });
        }
        let native = def.frequency.granularity();
        if period.granularity() == native {
            return self.native(def, period, slice);
        }
        if period.granularity() < native {
            return None;
        }
        let parts: Vec<Figure> = period
            .periods_within(native)
            .into_iter()
            .filter_map(|p| self.native(def, p, slice))
            .collect();
        let expected = period.periods_within(native).len() as u32;
        if parts.is_empty() {
            return None;
        }
        let received = parts.len() as u32;
        let mut flags: Vec<Flag> = Vec::new();
        for f in &parts {
            for fl in &f.flags {
                if !flags.iter().any(|x| x.code == fl.code) {
                    flags.push(fl.clone());
                }
            }
        }
        let is_final = parts.iter().all(|f| f.is_final);
        let (value, numerator, denominator, used): (Decimal, _, _, Vec<&Figure>) = match def
            .aggregation
        {
            Aggregation::Sum => (
                parts.iter().map(|f| f.value).sum(),
                None,
                None,
                parts.iter().collect(),
            ),
            Aggregation::Last => {
                let last = parts.last()?;
                (last.value, last.numerator, last.denominator, vec![last])
            }
            Aggregation::Mean => (
                round1(
                    parts.iter().map(|f| f.value).sum::<Decimal>()
                        / Decimal::from(parts.len() as u64),
                ),
                None,
                None,
                parts.iter().collect(),
            ),
            Aggregation::Recompute => {
                if parts
                    .iter()
                    .all(|f| f.numerator.is_some() && f.denominator.is_some())
                {
                    let n: Decimal = parts.iter().filter_map(|f| f.numerator).sum();
                    let d: Decimal = parts.iter().filter_map(|f| f.denominator).sum();
                    (
                        round1(ratio(n, d, def.multiplier())?),
                        Some(n),
                        Some(d),
                        parts.iter().collect(),
                    )
                } else {
                    flags.push(Flag {
                            code: "NOT_RECOMPUTED",
                            message: "some periods lack a numerator and denominator: the mean of the periods' values".into(),
                        });
                    (
                        round1(
                            parts.iter().map(|f| f.value).sum::<Decimal>()
                                / Decimal::from(parts.len() as u64),
                        ),
                        None,
                        None,
                        parts.iter().collect(),
                    )
                }
            }
        };
        Some(Figure {
            period,
            value,
            numerator,
            denominator,
            is_final,
            sources: used
                .iter()
                .flat_map(|f| f.sources.iter().cloned())
                .collect(),
            flags,
            periods_received: received,
            periods_expected: expected,
        })
    }

    /// A part of a derived rate for `period`: its own figure, or (when the part is coarser,
    /// like an annual population) the figure of the enclosing period.
    fn part_figure(
        &self,
        def: &Definition,
        defs: &HashMap<String, Definition>,
        period: Period,
        slice: Slice<'_>,
    ) -> Option<Figure> {
        if period.granularity() < def.frequency.granularity() {
            let enclosing = match def.frequency {
                Frequency::Annual => period.financial_year(),
                Frequency::Quarterly => period.quarter()?,
                Frequency::Monthly => period,
            };
            self.figure(def, defs, enclosing, slice)
        } else {
            self.figure(def, defs, period, slice)
        }
    }
}

/// The figure of a period with change, RAG and benchmark comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessed {
    pub period: Period,
    pub figure: Option<Figure>,
    pub on_previous: Option<Change>,
    pub on_year_earlier: Option<Change>,
    pub rag: Option<Rag>,
    pub target: Option<Target>,
    pub benchmarks: Vec<AssessedBenchmark>,
    pub flags: Vec<Flag>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessedBenchmark {
    pub benchmark: Benchmark,
    pub difference: Decimal,
    pub relation: Trend,
    pub comparison: Comparison,
}

/// Assesses `def` for `period`: figure, change on the previous period and on a year
/// earlier, RAG, benchmarks and flags.
pub fn assess(
    data: &Dataset,
    def: &Definition,
    defs: &HashMap<String, Definition>,
    benchmarks: &[Benchmark],
    period: Period,
    slice: Slice<'_>,
) -> Assessed {
    let figure = data.figure(def, defs, period, slice);
    let target = def.target_for(period).cloned();
    let mut flags: Vec<Flag> = Vec::new();
    let Some(fig) = figure else {
        flags.push(Flag {
            code: "NO_DATA",
            message: format!("no figure for {}", period),
        });
        return Assessed {
            period,
            figure: None,
            on_previous: None,
            on_year_earlier: None,
            rag: None,
            target,
            benchmarks: vec![],
            flags,
        };
    };
    let v = fig.value;
    let prev = data.figure(def, defs, period.previous(), slice);
    let on_previous = prev
        .as_ref()
        .map(|p| change(def, target.as_ref(), p.value, v));
    let year_earlier = if period.granularity() == Granularity::Year {
        prev.clone()
    } else {
        data.figure(def, defs, period.same_period_last_year(), slice)
    };
    let on_year_earlier = year_earlier
        .as_ref()
        .map(|p| change(def, target.as_ref(), p.value, v));
    if prev.is_none() {
        flags.push(Flag {
            code: "NO_PREVIOUS",
            message: format!("no figure for {} to compare with", period.previous()),
        });
    }
    let rag = rag(def, target.as_ref(), v);
    if rag == Some(Rag::Red) {
        flags.push(Flag {
            code: "OFF_TARGET",
            message: format!("{} misses the target", v),
        });
    }
    let mut assessed_benchmarks = Vec::new();
    for c in [
        Comparator::England,
        Comparator::StatisticalNeighbours,
        Comparator::Region,
    ] {
        if let Some(b) = benchmark_for(benchmarks, &def.code, c, period) {
            let (relation, comparison) = compare(def, target.as_ref(), v, b.value);
            if c == Comparator::England && comparison == Comparison::Worse {
                flags.push(Flag {
                    code: "WORSE_THAN_ENGLAND",
                    message: format!("{} against England {}", v, b.value),
                });
            }
            assessed_benchmarks.push(AssessedBenchmark {
                benchmark: b.clone(),
                difference: (v - b.value).normalize(),
                relation,
                comparison,
            });
        }
    }
    if !fig.is_final {
        flags.push(Flag {
            code: "PROVISIONAL",
            message: "some of the data are provisional".into(),
        });
    }
    if fig.periods_received < fig.periods_expected {
        flags.push(Flag {
            code: "PARTIAL_YEAR",
            message: format!(
                "{} of {} periods received",
                fig.periods_received, fig.periods_expected
            ),
        });
    }
    for fl in &fig.flags {
        flags.push(fl.clone());
    }
    Assessed {
        period,
        figure: Some(fig),
        on_previous,
        on_year_earlier,
        rag,
        target,
        benchmarks: assessed_benchmarks,
        flags,
    }
}

// ---------------------------------------------------------------------------------------
// Validation warnings

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleOp {
    LessOrEqual,
    Less,
    GreaterOrEqual,
    Greater,
    Equal,
}

impl RuleOp {
    pub fn holds(self, l: Decimal, r: Decimal) -> bool {
        match self {
            RuleOp::LessOrEqual => l <= r,
            RuleOp::Less => l < r,
            RuleOp::GreaterOrEqual => l >= r,
            RuleOp::Greater => l > r,
            RuleOp::Equal => l == r,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            RuleOp::LessOrEqual => "<=",
            RuleOp::Less => "<",
            RuleOp::GreaterOrEqual => ">=",
            RuleOp::Greater => ">",
            RuleOp::Equal => "=",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub code: String,
    pub description: String,
    pub left: String,
    pub op: RuleOp,
    pub right: String,
    pub factor: Decimal,
    pub active: bool,
}

pub fn validate_rule(r: &Rule, defs: &HashMap<String, Definition>, v: &mut Violations) {
    if !is_code(&r.code) {
        v.add(
            "rule.code",
            format!(
                "'{}' is not a rule code: upper-case letters, digits, '.', '_' or '-'",
                r.code
            ),
        );
    }
    for (field, code) in [
        ("rule.left_indicator", &r.left),
        ("rule.right_indicator", &r.right),
    ] {
        if !defs.contains_key(code) {
            v.add(field, format!("indicator '{code}' does not exist"));
        }
    }
    if r.left == r.right {
        v.add("rule.right_indicator", "must differ from left_indicator");
    }
    if r.factor <= Decimal::ZERO {
        v.add("rule.factor", "must be greater than zero");
    } else if let Err(e) = check_magnitude(r.factor) {
        v.add("rule.factor", e);
    }
    if r.description.len() > 1000 {
        v.add("rule.description", "must be at most 1000 characters");
    }
}

/// A warning with the observations involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub check: String,
    pub message: String,
    pub rows: Vec<ObsKey>,
    pub values: Vec<Decimal>,
}

/// Breakdown parts against totals for the given (indicator, period, agency) cells: a warning
/// where every part is in and their sum differs from the total (non-overlapping only).
pub fn breakdown_warnings(
    data: &Dataset,
    defs: &HashMap<String, Definition>,
    cells: &[(String, Period, String)],
) -> (Vec<Warning>, u32) {
    let mut out = Vec::new();
    let mut checked = 0;
    for (code, period, agency) in cells {
        let Some(def) = defs.get(code) else { continue };
        let Some(b) = &def.breakdown else { continue };
        if b.overlapping {
            continue;
        }
        let rows: Vec<&ObsValue> = data
            .rows(code)
            .iter()
            .filter(|r| r.key.period == *period && r.key.agency == *agency)
            .collect();
        let Some(total) = rows.iter().find(|r| r.key.breakdown.is_empty()) else {
            continue;
        };
        let parts: Vec<&&ObsValue> = rows
            .iter()
            .filter(|r| !r.key.breakdown.is_empty())
            .collect();
        if parts.len() < b.values.len() {
            continue;
        }
        checked += 1;
        let sum: Decimal = parts.iter().map(|r| r.value).sum();
        if sum != total.value {
            let mut keys = vec![total.key.clone()];
            keys.extend(parts.iter().map(|r| r.key.clone()));
            out.push(Warning {
                check: "breakdown_sum".into(),
                message: format!(
                    "{} {}{}: the {} parts by {} add up to {}, but the total is {}",
                    code,
                    period,
                    if agency.is_empty() {
                        String::new()
                    } else {
                        format!(" {agency}")
                    },
                    parts.len(),
                    b.dimension,
                    sum,
                    total.value
                ),
                rows: keys,
                values: vec![sum, total.value],
            });
        }
    }
    (out, checked)
}

/// Declared rules over the periods of `year` (at the coarser of the two indicators'
/// frequencies), on partnership totals.
pub fn rule_warnings(
    data: &Dataset,
    defs: &HashMap<String, Definition>,
    rules: &[Rule],
    year: Period,
) -> (Vec<Warning>, u32) {
    let mut out = Vec::new();
    let mut checked = 0;
    for r in rules.iter().filter(|r| r.active) {
        let (Some(l), Some(rd)) = (defs.get(&r.left), defs.get(&r.right)) else {
            continue;
        };
        let g = l.frequency.granularity().max(rd.frequency.granularity());
        for p in year.periods_within(g) {
            let (Some(a), Some(b)) = (
                data.figure(l, defs, p, Slice::TOTAL),
                data.figure(rd, defs, p, Slice::TOTAL),
            ) else {
                continue;
            };
            checked += 1;
            let rhs = b.value * r.factor;
            if !r.op.holds(a.value, rhs) {
                let mut rows: Vec<ObsKey> = a.sources.iter().map(|s| s.key.clone()).collect();
                rows.extend(b.sources.iter().map(|s| s.key.clone()));
                out.push(Warning {
                    check: format!("rule:{}", r.code),
                    message: format!(
                        "{} {}: {} {} is not {} {} {}{}",
                        r.code,
                        p,
                        r.left,
                        a.value,
                        r.op.symbol(),
                        r.right,
                        b.value,
                        if r.factor == Decimal::ONE {
                            String::new()
                        } else {
                            format!(" x {}", r.factor)
                        }
                    ),
                    rows,
                    values: vec![a.value, rhs.normalize()],
                });
            }
        }
    }
    (out, checked)
}

/// How many earlier values the outlier check looks back over, and the least it needs.
pub const OUTLIER_WINDOW: usize = 12;
pub const OUTLIER_MIN_HISTORY: usize = 4;

/// Values of `year` far from their own trailing series: more than `k` standard deviations
/// from the mean of up to 12 earlier native periods (at least 4), partnership totals.
pub fn outlier_warnings(
    data: &Dataset,
    defs: &HashMap<String, Definition>,
    only: Option<&str>,
    year: Period,
    k: Decimal,
) -> (Vec<Warning>, u32) {
    let mut out = Vec::new();
    let mut checked = 0;
    let mut codes: Vec<&String> = defs.keys().collect();
    codes.sort();
    for code in codes {
        if only.is_some_and(|o| o != code) {
            continue;
        }
        let def = &defs[code];
        if def.is_derived() {
            continue;
        }
        let g = def.frequency.granularity();
        let periods: BTreeMap<Period, Figure> = {
            let mut m = BTreeMap::new();
            for r in data.rows(code) {
                if r.key.period.granularity() == g
                    && !m.contains_key(&r.key.period)
                    && let Some(f) = data.figure(def, defs, r.key.period, Slice::TOTAL)
                {
                    m.insert(r.key.period, f);
                }
            }
            m
        };
        for p in year.periods_within(g) {
            let Some(f) = periods.get(&p) else { continue };
            let history: Vec<Decimal> = periods
                .range(..p)
                .rev()
                .take(OUTLIER_WINDOW)
                .map(|(_, f)| f.value)
                .collect();
            if history.len() < OUTLIER_MIN_HISTORY {
                continue;
            }
            checked += 1;
            let n = Decimal::from(history.len() as u64);
            let mean = history.iter().sum::<Decimal>() / n;
            let var = history
                .iter()
                .map(|x| (*x - mean) * (*x - mean))
                .sum::<Decimal>()
                / n;
            let dev = f.value - mean;
            if dev.abs() > def.tolerance && dev * dev > k * k * var {
                out.push(Warning {
                    check: "outlier".into(),
                    message: format!(
                        "{} {}: {} is far from the mean {} of the {} periods before it",
                        code,
                        p,
                        f.value,
                        round1(mean),
                        history.len()
                    ),
                    rows: f.sources.iter().map(|s| s.key.clone()).collect(),
                    values: vec![f.value, round1(mean)],
                });
            }
        }
    }
    (out, checked)
}

// ---------------------------------------------------------------------------------------
// Year locks

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockEvent {
    pub locked: bool,
    pub by: String,
    pub at: String,
    pub reason: String,
}

/// The state of a year from its lock history (oldest first): the lock in force, if any.
pub fn lock_in_force(history: &[LockEvent]) -> Option<&LockEvent> {
    history.last().filter(|e| e.locked)
}

#[cfg(test)]
#[path = "domain_tests.rs"]
mod tests;
