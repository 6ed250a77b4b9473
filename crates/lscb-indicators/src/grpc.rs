//! `lscb.indicators.v1.IndicatorService`: the only module that knows proto types. Converts
//! requests to domain types (every bad field becomes a violation naming it), checks the
//! caller's rights, and calls the domain and the store.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use lscb_platform::idempotency::{self, Idempotency};
use lscb_platform::{
    Claims, Error, Granularity, Partnership, Period, Role, ServiceContext, Violations, caller,
    proto_conv,
};
use lscb_proto::indicators::v1 as pb;
use lscb_proto::indicators::v1::indicator_service_server::IndicatorService;
use prost::Message;
use rust_decimal::Decimal;
use sha2::Digest;
use tonic::{Request, Response, Status, Streaming};

use crate::cache::ReadCache;
use crate::domain::{
    self, Aggregation, Assessed, Comparator, Comparison, Definition, Direction, Frequency,
    IndicatorVersion, LockEvent, ObsInput, Polarity, Rag, Rule, RuleOp, Slice, Status as ObsStatus,
    Trend, Unit,
};
use crate::store::{NewRevision, RevisionFilter, Store, StoredRevision};

/// Most rows one submission (or stream) may carry.
pub const MAX_ROWS: usize = 2_000_000;

/// Submissions up to this many rows echo every stored observation in their answer; larger
/// ones answer with counts, so a bulk load's answer stays far below the message limit.
pub const MAX_ECHOED_ROWS: usize = 1_000;

/// The one RPC name under which both submission RPCs (unary and streamed) key their
/// batches: a batch sent either way is the same request.
const SUBMIT_RPC: &str = "SubmitObservations";

/// A batch as it arrives: each row parsed (its faults collected) and folded into the
/// request's fingerprint, so the request itself need not be kept. The fingerprint is the
/// idempotency hash: SHA-256 over the RPC name, a NUL byte and the rows' length-delimited
/// prost encodings (the key is not part of it).
struct Incoming {
    key: String,
    hash: sha2::Sha256,
    inputs: Vec<Option<ObsInput>>,
    v: Violations,
    buf: Vec<u8>,
}

impl Incoming {
    fn new(key: &str) -> Self {
        let key = key.to_string();
        let mut hash = sha2::Sha256::new();
        hash.update(SUBMIT_RPC.as_bytes());
        hash.update([0]);
        Self {
            key,
            hash,
            inputs: Vec::new(),
            v: Violations::new(),
            buf: Vec::new(),
        }
    }

    fn push(&mut self, r: &pb::ObservationInput) -> Result<(), Error> {
        if self.inputs.len() >= MAX_ROWS {
            return Err(Error::invalid(
                "rows",
                format!("at most {MAX_ROWS} rows per submission"),
            ));
        }
        self.buf.clear();
        r.encode_length_delimited(&mut self.buf)
            .map_err(|e| Error::Internal(e.into()))?;
        self.hash.update(&self.buf);
        let i = self.inputs.len();
        self.inputs.push(obs_input_from(&mut self.v, i, r));
        Ok(())
    }
}

/// The indicators API.
#[derive(Debug, Clone)]
pub struct IndicatorApi {
    ctx: ServiceContext,
    store: Store,
}

impl IndicatorApi {
    pub fn new(ctx: ServiceContext) -> Self {
        let cache = std::sync::Arc::new(ReadCache::new(ctx.read_cache_ttl));
        let store = Store::with_cache(ctx.db.clone(), cache);
        Self { ctx, store }
    }

    /// The read cache this API fills and its commits invalidate.
    pub fn cache(&self) -> std::sync::Arc<ReadCache> {
        self.store.cache().clone()
    }
}

// ---------------------------------------------------------------------------------------
// Enum conversions

fn unit_from(v: &mut Violations, field: &str, x: i32) -> Option<Unit> {
    match pb::Unit::try_from(x) {
        Ok(pb::Unit::Count) => Some(Unit::Count),
        Ok(pb::Unit::Percent) => Some(Unit::Percent),
        Ok(pb::Unit::RatePer10000) => Some(Unit::RatePer10000),
        Ok(pb::Unit::Days) => Some(Unit::Days),
        Ok(pb::Unit::Ratio) => Some(Unit::Ratio),
        _ => {
            v.add(field, "is required: UNIT_COUNT, UNIT_PERCENT, UNIT_RATE_PER_10000, UNIT_DAYS or UNIT_RATIO");
            None
        }
    }
}

fn unit_to(u: Unit) -> pb::Unit {
    match u {
        Unit::Count => pb::Unit::Count,
        Unit::Percent => pb::Unit::Percent,
        Unit::RatePer10000 => pb::Unit::RatePer10000,
        Unit::Days => pb::Unit::Days,
        Unit::Ratio => pb::Unit::Ratio,
    }
}

fn polarity_from(v: &mut Violations, field: &str, x: i32) -> Option<Polarity> {
    match pb::Polarity::try_from(x) {
        Ok(pb::Polarity::HigherIsBetter) => Some(Polarity::HigherIsBetter),
        Ok(pb::Polarity::LowerIsBetter) => Some(Polarity::LowerIsBetter),
        Ok(pb::Polarity::WithinBand) => Some(Polarity::WithinBand),
        Ok(pb::Polarity::Context) => Some(Polarity::Context),
        _ => {
            v.add(field, "is required: POLARITY_HIGHER_IS_BETTER, POLARITY_LOWER_IS_BETTER, POLARITY_WITHIN_BAND or POLARITY_CONTEXT");
            None
        }
    }
}

fn polarity_to(p: Polarity) -> pb::Polarity {
    match p {
        Polarity::HigherIsBetter => pb::Polarity::HigherIsBetter,
        Polarity::LowerIsBetter => pb::Polarity::LowerIsBetter,
        Polarity::WithinBand => pb::Polarity::WithinBand,
        Polarity::Context => pb::Polarity::Context,
    }
}

fn frequency_from(x: i32) -> Option<Frequency> {
    match pb::Frequency::try_from(x) {
        Ok(pb::Frequency::Monthly) => Some(Frequency::Monthly),
        Ok(pb::Frequency::Quarterly) => Some(Frequency::Quarterly),
        Ok(pb::Frequency::Annual) => Some(Frequency::Annual),
        _ => None,
    }
}

fn frequency_to(f: Frequency) -> pb::Frequency {
    match f {
        Frequency::Monthly => pb::Frequency::Monthly,
        Frequency::Quarterly => pb::Frequency::Quarterly,
        Frequency::Annual => pb::Frequency::Annual,
    }
}

fn aggregation_from(v: &mut Violations, field: &str, x: i32) -> Option<Aggregation> {
    match pb::Aggregation::try_from(x) {
        Ok(pb::Aggregation::Sum) => Some(Aggregation::Sum),
        Ok(pb::Aggregation::Last) => Some(Aggregation::Last),
        Ok(pb::Aggregation::Mean) => Some(Aggregation::Mean),
        Ok(pb::Aggregation::Recompute) => Some(Aggregation::Recompute),
        _ => {
            v.add(field, "is required: AGGREGATION_SUM, AGGREGATION_LAST, AGGREGATION_MEAN or AGGREGATION_RECOMPUTE");
            None
        }
    }
}

fn aggregation_to(a: Aggregation) -> pb::Aggregation {
    match a {
        Aggregation::Sum => pb::Aggregation::Sum,
        Aggregation::Last => pb::Aggregation::Last,
        Aggregation::Mean => pb::Aggregation::Mean,
        Aggregation::Recompute => pb::Aggregation::Recompute,
    }
}

fn rag_to(r: Option<Rag>) -> i32 {
    (match r {
        None => pb::Rag::Unspecified,
        Some(Rag::Red) => pb::Rag::Red,
        Some(Rag::Amber) => pb::Rag::Amber,
        Some(Rag::Green) => pb::Rag::Green,
    }) as i32
}

fn direction_to(d: Direction) -> pb::Direction {
    match d {
        Direction::Improving => pb::Direction::Improving,
        Direction::Declining => pb::Direction::Declining,
        Direction::NoChange => pb::Direction::NoChange,
        Direction::NotJudged => pb::Direction::NotJudged,
    }
}

fn trend_to(t: Trend) -> pb::Trend {
    match t {
        Trend::Up => pb::Trend::Up,
        Trend::Down => pb::Trend::Down,
        Trend::Flat => pb::Trend::Flat,
    }
}

fn comparison_to(c: Comparison) -> pb::Comparison {
    match c {
        Comparison::Better => pb::Comparison::Better,
        Comparison::Worse => pb::Comparison::Worse,
        Comparison::Similar => pb::Comparison::Similar,
        Comparison::NotJudged => pb::Comparison::NotJudged,
    }
}

fn comparator_to(c: Comparator) -> pb::Comparator {
    match c {
        Comparator::England => pb::Comparator::England,
        Comparator::StatisticalNeighbours => pb::Comparator::StatisticalNeighbours,
        Comparator::Region => pb::Comparator::Region,
    }
}

fn status_to(s: ObsStatus) -> pb::ObservationStatus {
    match s {
        ObsStatus::Provisional => pb::ObservationStatus::Provisional,
        ObsStatus::Final => pb::ObservationStatus::Final,
    }
}

fn op_from(v: &mut Violations, field: &str, x: i32) -> Option<RuleOp> {
    match pb::RuleOperator::try_from(x) {
        Ok(pb::RuleOperator::LessOrEqual) => Some(RuleOp::LessOrEqual),
        Ok(pb::RuleOperator::Less) => Some(RuleOp::Less),
        Ok(pb::RuleOperator::GreaterOrEqual) => Some(RuleOp::GreaterOrEqual),
        Ok(pb::RuleOperator::Greater) => Some(RuleOp::Greater),
        Ok(pb::RuleOperator::Equal) => Some(RuleOp::Equal),
        _ => {
            v.add(field, "is required: RULE_OPERATOR_LESS_OR_EQUAL, _LESS, _GREATER_OR_EQUAL, _GREATER or _EQUAL");
            None
        }
    }
}

fn op_to(o: RuleOp) -> pb::RuleOperator {
    match o {
        RuleOp::LessOrEqual => pb::RuleOperator::LessOrEqual,
        RuleOp::Less => pb::RuleOperator::Less,
        RuleOp::GreaterOrEqual => pb::RuleOperator::GreaterOrEqual,
        RuleOp::Greater => pb::RuleOperator::Greater,
        RuleOp::Equal => pb::RuleOperator::Equal,
    }
}

// ---------------------------------------------------------------------------------------
// Message conversions

fn ds(d: Decimal) -> String {
    d.normalize().to_string()
}

fn ods(d: Option<Decimal>) -> String {
    d.map(ds).unwrap_or_default()
}

fn opt_dec(v: &mut Violations, field: &str, s: &str) -> Option<Option<Decimal>> {
    if s.trim().is_empty() {
        Some(None)
    } else {
        proto_conv::decimal_str(v, field, s).map(Some)
    }
}

fn pp(p: Period) -> Option<lscb_proto::common::v1::Period> {
    Some(proto_conv::period_to_pb(p))
}

fn opt_period(
    v: &mut Violations,
    field: &str,
    p: Option<&lscb_proto::common::v1::Period>,
) -> Option<Option<Period>> {
    match p {
        None => Some(None),
        Some(x) if x.code.trim().is_empty() => Some(None),
        Some(x) => proto_conv::period_code(v, field, &x.code).map(Some),
    }
}

fn definition_from(v: &mut Violations, d: Option<&pb::IndicatorDefinition>) -> Option<Definition> {
    let Some(d) = d else {
        v.add("indicator", "is required");
        return None;
    };
    let unit = unit_from(v, "indicator.unit", d.unit);
    let polarity = polarity_from(v, "indicator.polarity", d.polarity);
    let frequency = frequency_from(d.frequency);
    if frequency.is_none() {
        v.add(
            "indicator.frequency",
            "is required: FREQUENCY_MONTHLY, FREQUENCY_QUARTERLY or FREQUENCY_ANNUAL",
        );
    }
    let aggregation = aggregation_from(v, "indicator.aggregation", d.aggregation);
    let rate = match &d.rate {
        None => Some(None),
        Some(r) => {
            let m = if r.multiplier.trim().is_empty() {
                unit.map(Unit::default_multiplier)
            } else {
                proto_conv::decimal_str(v, "indicator.rate.multiplier", &r.multiplier)
            };
            m.map(|multiplier| {
                Some(domain::RateDef {
                    numerator_indicator: Some(r.numerator_indicator.trim().to_string())
                        .filter(|s| !s.is_empty()),
                    denominator_indicator: Some(r.denominator_indicator.trim().to_string())
                        .filter(|s| !s.is_empty()),
                    multiplier,
                })
            })
        }
    };
    let mut targets = Vec::new();
    for (i, t) in d.targets.iter().enumerate() {
        let f = |s: &str| format!("indicator.targets[{i}].{s}");
        let value = opt_dec(v, &f("value"), &t.value);
        let lo = opt_dec(v, &f("band_low"), &t.band_low);
        let hi = opt_dec(v, &f("band_high"), &t.band_high);
        let amber = opt_dec(v, &f("amber_tolerance"), &t.amber_tolerance);
        let from = opt_period(v, &f("applies_from"), t.applies_from.as_ref());
        let band = match (lo.flatten(), hi.flatten()) {
            (Some(a), Some(b)) => Some((a, b)),
            (None, None) => None,
            _ => {
                v.add(f("band_low"), "give both band_low and band_high");
                None
            }
        };
        if let (Some(value), Some(amber), Some(from)) = (value, amber, from) {
            targets.push(domain::Target {
                value,
                band,
                amber_tolerance: amber.unwrap_or(Decimal::ZERO),
                applies_from: from,
            });
        }
    }
    let tolerance = opt_dec(v, "indicator.tolerance", &d.tolerance);
    let breakdown = d.breakdown.as_ref().map(|b| domain::BreakdownDef {
        dimension: b.dimension.trim().to_string(),
        label: b.label.trim().to_string(),
        values: b.values.iter().map(|x| x.trim().to_string()).collect(),
        overlapping: b.overlapping,
    });
    let def = Definition {
        code: d.code.trim().to_string(),
        title: d.title.trim().to_string(),
        description: d.description.trim().to_string(),
        unit: unit?,
        polarity: polarity?,
        priorities: d.priorities.iter().map(|s| s.trim().to_string()).collect(),
        question: d.question.trim().to_string(),
        themes: d.themes.iter().map(|s| s.trim().to_string()).collect(),
        frequency: frequency?,
        aggregation: aggregation?,
        rate: rate?,
        targets,
        expected_agencies: d
            .expected_agencies
            .iter()
            .map(|s| s.trim().to_string())
            .collect(),
        breakdown,
        tolerance: tolerance?.unwrap_or(Decimal::ZERO),
        deadline_days: d.deadline_days,
        framework_area: d.framework_area.trim().to_string(),
    };
    Some(def)
}

fn target_to(t: &domain::Target) -> pb::Target {
    pb::Target {
        value: ods(t.value),
        band_low: ods(t.band.map(|b| b.0)),
        band_high: ods(t.band.map(|b| b.1)),
        amber_tolerance: ds(t.amber_tolerance),
        applies_from: t.applies_from.map(proto_conv::period_to_pb),
    }
}

fn definition_to(d: &Definition) -> pb::IndicatorDefinition {
    pb::IndicatorDefinition {
        code: d.code.clone(),
        title: d.title.clone(),
        description: d.description.clone(),
        unit: unit_to(d.unit) as i32,
        polarity: polarity_to(d.polarity) as i32,
        priorities: d.priorities.clone(),
        question: d.question.clone(),
        themes: d.themes.clone(),
        frequency: frequency_to(d.frequency) as i32,
        aggregation: aggregation_to(d.aggregation) as i32,
        rate: d.rate.as_ref().map(|r| pb::RateDefinition {
            numerator_indicator: r.numerator_indicator.clone().unwrap_or_default(),
            denominator_indicator: r.denominator_indicator.clone().unwrap_or_default(),
            multiplier: ds(r.multiplier),
        }),
        targets: d.targets.iter().map(target_to).collect(),
        expected_agencies: d.expected_agencies.clone(),
        breakdown: d.breakdown.as_ref().map(|b| pb::Breakdown {
            dimension: b.dimension.clone(),
            label: b.label.clone(),
            values: b.values.clone(),
            overlapping: b.overlapping,
        }),
        tolerance: ds(d.tolerance),
        deadline_days: d.deadline_days,
        framework_area: d.framework_area.clone(),
    }
}

fn indicator_to(iv: &IndicatorVersion) -> pb::Indicator {
    pb::Indicator {
        definition: Some(definition_to(&iv.definition)),
        version: iv.version,
        current: iv.current,
        created_by: iv.created_by.clone(),
        created_at: iv.created_at.clone(),
    }
}

fn key_to(k: &domain::ObsKey) -> pb::ObservationKey {
    pb::ObservationKey {
        indicator_code: k.indicator.clone(),
        period: pp(k.period),
        agency_code: k.agency.clone(),
        breakdown_value: k.breakdown.clone(),
    }
}

fn revision_to(r: &StoredRevision) -> pb::Observation {
    pb::Observation {
        observation_id: r.observation_id.clone(),
        key: Some(key_to(&r.key)),
        revision: r.revision,
        value: ds(r.value),
        numerator: ods(r.numerator),
        denominator: ods(r.denominator),
        status: status_to(r.status) as i32,
        comment: r.comment.clone(),
        definition_version: r.definition_version,
        submitted_by: r.submitted_by.clone(),
        submitted_at: r.submitted_at.clone(),
        submission_id: r.submission_id.clone(),
        current: r.current,
    }
}

fn warning_to(w: &domain::Warning) -> pb::ValidationWarning {
    pb::ValidationWarning {
        check: w.check.clone(),
        message: w.message.clone(),
        rows: w.rows.iter().map(key_to).collect(),
        values: w.values.iter().map(|d| ds(*d)).collect(),
    }
}

fn change_to(c: &domain::Change) -> pb::Change {
    pb::Change {
        from_value: ds(c.from),
        absolute: ds(c.absolute),
        percent: c.percent.map(|p| format!("{:.1}", p)).unwrap_or_default(),
        direction: direction_to(c.direction) as i32,
        trend: trend_to(c.trend) as i32,
    }
}

fn benchmark_to(b: &domain::Benchmark) -> pb::Benchmark {
    pb::Benchmark {
        indicator_code: b.indicator.clone(),
        period: pp(b.period),
        comparator: comparator_to(b.comparator) as i32,
        value: ds(b.value),
        source: b.source.clone(),
        set_by: b.set_by.clone(),
        set_at: b.set_at.clone(),
    }
}

fn flags_to(f: &[domain::Flag]) -> Vec<pb::Flag> {
    f.iter()
        .map(|f| pb::Flag {
            code: f.code.to_string(),
            message: f.message.clone(),
        })
        .collect()
}

fn source_to(def: &Definition, version: u32, a: &Assessed) -> pb::Source {
    pb::Source {
        service: "indicators".into(),
        indicator_code: def.code.clone(),
        definition_version: version,
        period: pp(a.period),
        observations: a
            .figure
            .as_ref()
            .map(|f| {
                f.sources
                    .iter()
                    .map(|s| pb::SourceObservation {
                        observation_id: s.observation_id.clone(),
                        revision: s.revision,
                        indicator_code: s.key.indicator.clone(),
                        period: pp(s.key.period),
                        agency_code: s.key.agency.clone(),
                        breakdown_value: s.key.breakdown.clone(),
                        value: ds(s.value),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn benchmarks_to(a: &Assessed) -> Vec<pb::BenchmarkComparison> {
    a.benchmarks
        .iter()
        .map(|b| pb::BenchmarkComparison {
            comparator: comparator_to(b.benchmark.comparator) as i32,
            value: ds(b.benchmark.value),
            period: pp(b.benchmark.period),
            difference: ds(b.difference),
            relation: trend_to(b.relation) as i32,
            comparison: comparison_to(b.comparison) as i32,
            source: b.benchmark.source.clone(),
        })
        .collect()
}

fn figure_to(def: &Definition, version: u32, a: &Assessed) -> pb::Figure {
    pb::Figure {
        period: pp(a.period),
        value: a.figure.as_ref().map(|f| ds(f.value)).unwrap_or_default(),
        numerator: a
            .figure
            .as_ref()
            .map(|f| ods(f.numerator))
            .unwrap_or_default(),
        denominator: a
            .figure
            .as_ref()
            .map(|f| ods(f.denominator))
            .unwrap_or_default(),
        change_on_previous: a.on_previous.as_ref().map(change_to),
        change_on_year_earlier: a.on_year_earlier.as_ref().map(change_to),
        rag: rag_to(a.rag),
        target: a.target.as_ref().map(target_to),
        benchmarks: benchmarks_to(a),
        flags: flags_to(&a.flags),
        source: Some(source_to(def, version, a)),
        r#final: a.figure.as_ref().is_some_and(|f| f.is_final),
    }
}

fn obs_input_from(v: &mut Violations, i: usize, r: &pb::ObservationInput) -> Option<ObsInput> {
    let f = |s: &str| format!("rows[{i}].{s}");
    let indicator = r.indicator_code.trim().to_string();
    if indicator.is_empty() {
        v.add(f("indicator_code"), "is required");
    }
    let period = proto_conv::period(v, &f("period"), r.period.as_ref());
    let value = opt_dec(v, &f("value"), &r.value);
    let numerator = opt_dec(v, &f("numerator"), &r.numerator);
    let denominator = opt_dec(v, &f("denominator"), &r.denominator);
    let status = match pb::ObservationStatus::try_from(r.status) {
        Ok(pb::ObservationStatus::Final) => Some(ObsStatus::Final),
        Ok(_) => Some(ObsStatus::Provisional),
        Err(_) => {
            v.add(f("status"), "unknown status");
            None
        }
    };
    if indicator.is_empty() {
        return None;
    }
    Some(ObsInput {
        indicator,
        period: period?,
        agency: r.agency_code.trim().to_string(),
        breakdown: r.breakdown_value.trim().to_string(),
        value: value?,
        numerator: numerator?,
        denominator: denominator?,
        status: status?,
        comment: r.comment.trim().to_string(),
    })
}

fn year_from(
    v: &mut Violations,
    field: &str,
    p: Option<&lscb_proto::common::v1::Period>,
) -> Option<Period> {
    let y = proto_conv::period(v, field, p)?;
    if y.granularity() != Granularity::Year {
        v.add(
            field,
            format!("{y} is not a financial year: give e.g. 2015-16"),
        );
        return None;
    }
    Some(y)
}

fn locked_error(year: Period, e: &LockEvent) -> Error {
    Error::precondition(
        "YEAR_LOCKED",
        year.to_string(),
        format!(
            "{year} is locked by {} at {} ({}); an admin must unlock it (UnlockYear) before its data change",
            e.by, e.at, e.reason
        ),
    )
}

fn definitions(map: &HashMap<String, IndicatorVersion>) -> HashMap<String, Definition> {
    map.iter()
        .map(|(k, v)| (k.clone(), v.definition.clone()))
        .collect()
}

/// The codes a computation of `def` needs: itself and its parts.
fn needed(def: &Definition) -> Vec<String> {
    let mut out = vec![def.code.clone()];
    if let Some(r) = &def.rate {
        out.extend(r.numerator_indicator.clone());
        out.extend(r.denominator_indicator.clone());
    }
    out
}

fn lock_to(year: Period, history: &[LockEvent]) -> pb::YearLock {
    let inforce = domain::lock_in_force(history);
    pb::YearLock {
        year: pp(year),
        locked: inforce.is_some(),
        locked_by: inforce.map(|e| e.by.clone()).unwrap_or_default(),
        locked_at: inforce.map(|e| e.at.clone()).unwrap_or_default(),
        reason: inforce.map(|e| e.reason.clone()).unwrap_or_default(),
        history: history
            .iter()
            .map(|e| pb::LockEvent {
                action: if e.locked { "lock" } else { "unlock" }.into(),
                by: e.by.clone(),
                at: e.at.clone(),
                reason: e.reason.clone(),
            })
            .collect(),
    }
}

fn check_agency(v: &mut Violations, p: &Partnership, field: &str, code: &str) {
    if !code.is_empty() && p.agency(code).is_none() {
        v.add(
            field,
            format!("agency '{code}' is not in partnership {}", p.id),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Submissions

impl IndicatorApi {
    /// Validates and stores a batch (unary or streamed) as one transaction.
    async fn submit(
        &self,
        claims: &Claims,
        batch: Incoming,
    ) -> Result<pb::SubmitObservationsResponse, Status> {
        let p = self.ctx.partnership(claims)?;
        claims.require_writer()?;
        let Incoming {
            key,
            hash,
            inputs,
            mut v,
            ..
        } = batch;
        let request_hash = hex::encode(hash.finalize());
        let idem = Idempotency::with_hash(&p.id, SUBMIT_RPC, key.clone(), request_hash.clone())?;
        if inputs.is_empty() {
            v.add("rows", "give at least one row");
        }
        v.into_result()?;
        let mut inputs: Vec<ObsInput> = inputs.into_iter().flatten().collect();
        // A submitter writes only for its own agency; partnership-wide rows need an admin.
        for r in &inputs {
            if r.agency.is_empty() && claims.role != Role::Admin {
                return Err(Error::permission_denied(
                    "a partnership-wide row (no agency_code) needs an admin token",
                )
                .into());
            }
            if !r.agency.is_empty() {
                claims.require_agency_write(&r.agency)?;
            }
        }
        let txn = self.store.begin().await?;
        // The key first: a concurrent request with it waits here for this one's answer.
        if let Some(r) = idempotency::claim(idem.as_ref(), &*txn).await? {
            return Ok(pb::SubmitObservationsResponse {
                replayed: true,
                ..r
            });
        }
        self.store.lock_partnership(&txn, &p.id).await?;
        let versions = self.store.current_definitions(&*txn, &p.id).await?;
        let defs = definitions(&versions);
        // "2006-07" is July 2006 for a monthly indicator (it parses as the year 2006-07).
        for r in &mut inputs {
            if let Some(d) = defs.get(&r.indicator) {
                r.period = r.period.read_as(d.frequency.granularity());
            }
        }
        let mut v = Violations::new();
        let mut values = Vec::with_capacity(inputs.len());
        for (i, r) in inputs.iter().enumerate() {
            values.push(domain::validate_row(
                r,
                defs.get(&r.indicator),
                p,
                &format!("rows[{i}]"),
                &mut v,
            ));
        }
        domain::check_duplicates(&inputs, &mut v);
        // Derived rates must agree with their parts (stored, or in this batch).
        let derived: Vec<usize> = (0..inputs.len())
            .filter(|&i| {
                values[i].is_some()
                    && defs
                        .get(&inputs[i].indicator)
                        .is_some_and(Definition::is_derived)
            })
            .collect();
        if !derived.is_empty() {
            let mut codes: Vec<String> = Vec::new();
            let (mut lo, mut hi) = (i32::MAX, i32::MIN);
            for &i in &derived {
                codes.extend(needed(&defs[&inputs[i].indicator]));
                let fy = inputs[i].period.financial_year_start();
                lo = lo.min(fy);
                hi = hi.max(fy);
            }
            let stored = self
                .store
                .current_values(&*txn, &p.id, Some(&codes), Some((lo, hi)))
                .await?;
            let batch_keys: HashSet<_> = inputs.iter().map(|r| r.key()).collect();
            let mut rows: Vec<domain::ObsValue> = stored
                .into_iter()
                .filter(|s| !batch_keys.contains(&s.key))
                .collect();
            for (i, r) in inputs.iter().enumerate() {
                if let Some(val) = values[i] {
                    rows.push(domain::ObsValue {
                        observation_id: String::new(),
                        revision: 0,
                        key: r.key(),
                        value: val,
                        numerator: r.numerator,
                        denominator: r.denominator,
                        status: r.status,
                        first_received_at: String::new(),
                    });
                }
            }
            let data = domain::Dataset::new(rows);
            for &i in &derived {
                let r = &inputs[i];
                let def = &defs[&r.indicator];
                let Some(submitted) = values[i] else { continue };
                let (Some(rate), Some(num_code), Some(den_code)) = (
                    def.rate.as_ref(),
                    def.rate
                        .as_ref()
                        .and_then(|r| r.numerator_indicator.clone()),
                    def.rate
                        .as_ref()
                        .and_then(|r| r.denominator_indicator.clone()),
                ) else {
                    continue;
                };
                let slice = Slice {
                    agency: (!r.agency.is_empty()).then_some(r.agency.as_str()),
                    breakdown: r.breakdown.as_str(),
                };
                // The derived row itself is in `data`; compute from the parts only.
                let fig = data.figure(def, &defs, r.period, slice);
                match fig.and_then(|f| {
                    domain::ratio(f.numerator?, f.denominator?, rate.multiplier).map(|c| (c, f))
                }) {
                    None => v.add(
                        format!("rows[{i}].value"),
                        format!(
                            "{} is computed from {num_code} / {den_code}: submit their figures for {} first (or in the same batch)",
                            def.code, r.period
                        ),
                    ),
                    Some((c, f)) if !domain::agrees(submitted, c) => v.add(
                        format!("rows[{i}].value"),
                        format!(
                            "{submitted} disagrees with {num_code} {} / {den_code} {} x {} = {}",
                            ods(f.numerator),
                            ods(f.denominator),
                            ds(rate.multiplier),
                            domain::round1(c)
                        ),
                    ),
                    _ => {}
                }
            }
        }
        v.into_result()?;
        // Locked years.
        let history = self.store.lock_history(&*txn, &p.id).await?;
        let mut fys: Vec<i32> = inputs
            .iter()
            .map(|r| r.period.financial_year_start())
            .collect();
        fys.sort();
        fys.dedup();
        for fy in fys {
            if let Some(e) = history.get(&fy).and_then(|h| domain::lock_in_force(h)) {
                return Err(locked_error(Period::year(fy), e).into());
            }
        }
        // Built chunk by chunk as they are written.
        let new = |i: usize| {
            let r = &inputs[i];
            NewRevision {
                key: r.key(),
                value: values[i].unwrap_or_default(),
                numerator: r.numerator,
                denominator: r.denominator,
                status: r.status,
                comment: r.comment.clone(),
                definition_version: versions.get(&r.indicator).map(|x| x.version).unwrap_or(0),
            }
        };
        let submission_id = uuid::Uuid::new_v4().to_string();
        let at = crate::store::now();
        let actor = claims.actor();
        let inserted = self
            .store
            .insert_revisions(
                &txn,
                &p.id,
                &submission_id,
                &actor,
                &at,
                inputs.len(),
                new,
                MAX_ECHOED_ROWS,
            )
            .await?;
        // Breakdown parts against totals for the cells touched.
        let mut cells: Vec<(String, Period, String)> = inputs
            .iter()
            .filter(|r| {
                defs.get(&r.indicator)
                    .is_some_and(|d| d.breakdown.is_some())
            })
            .map(|r| (r.indicator.clone(), r.period, r.agency.clone()))
            .collect();
        cells.sort();
        cells.dedup();
        let warnings = if cells.is_empty() {
            vec![]
        } else {
            let codes: Vec<String> = cells.iter().map(|c| c.0.clone()).collect();
            let lo = cells
                .iter()
                .map(|c| c.1.financial_year_start())
                .min()
                .unwrap_or(0);
            let hi = cells
                .iter()
                .map(|c| c.1.financial_year_start())
                .max()
                .unwrap_or(0);
            let data = domain::Dataset::new(
                self.store
                    .current_values(&*txn, &p.id, Some(&codes), Some((lo, hi)))
                    .await?,
            );
            domain::breakdown_warnings(&data, &defs, &cells).0
        };
        let response = pb::SubmitObservationsResponse {
            submission_id: submission_id.clone(),
            observations: inserted.stored.iter().map(revision_to).collect(),
            warnings: warnings.iter().map(warning_to).collect(),
            submitted_at: at.clone(),
            stored_count: inserted.count as u64,
            observations_omitted: inserted.stored.len() < inserted.count,
            replayed: false,
        };
        idempotency::complete(idem.as_ref(), &*txn, &response).await?;
        self.store
            .insert_submission(
                &txn,
                &submission_id,
                &p.id,
                &key,
                &request_hash,
                &hex::encode(response.encode_to_vec()),
                &actor,
                &at,
            )
            .await?;
        self.store.commit(txn, &p.id).await?;
        Ok(response)
    }
}

// ---------------------------------------------------------------------------------------
// The service

#[tonic::async_trait]
impl IndicatorService for IndicatorApi {
    async fn upsert_indicator(
        &self,
        request: Request<pb::UpsertIndicatorRequest>,
    ) -> Result<Response<pb::UpsertIndicatorResponse>, Status> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let def = definition_from(&mut v, req.indicator.as_ref());
        if let Some(d) = &def {
            domain::validate_definition(d, &mut v);
        }
        v.into_result()?;
        let Some(def) = def else {
            return Err(Error::invalid("indicator", "is required").into());
        };
        let txn = self.store.begin().await.map_err(Status::from)?;
        self.store.lock_partnership(&txn, &p.id).await?;
        let versions = self.store.current_definitions(&*txn, &p.id).await?;
        let mut v = Violations::new();
        domain::check_definition_references(&def, p, &definitions(&versions), &mut v);
        // An indicator others are derived from cannot itself become derived.
        if def.is_derived()
            && let Some(user) = versions.values().find(|o| {
                o.definition.rate.as_ref().is_some_and(|r| {
                    r.numerator_indicator.as_deref() == Some(def.code.as_str())
                        || r.denominator_indicator.as_deref() == Some(def.code.as_str())
                })
            })
        {
            v.add(
                "indicator.rate",
                format!(
                    "{} is a part of {}, so it cannot be derived itself",
                    def.code, user.definition.code
                ),
            );
        }
        v.into_result()?;
        if let Some(cur) = versions.get(&def.code)
            && cur.definition.frequency != def.frequency
        {
            let existing = self
                .store
                .current_observations(&*txn, &p.id, Some(std::slice::from_ref(&def.code)), None)
                .await?;
            if !existing.is_empty() {
                return Err(Error::precondition(
                    "HAS_OBSERVATIONS",
                    def.code.clone(),
                    format!(
                        "{} already has {} observations at {} frequency; define a new indicator instead of changing the frequency",
                        def.code,
                        existing.len(),
                        cur.definition.frequency.as_str()
                    ),
                )
                .into());
            }
        }
        let (iv, changed) = self
            .store
            .upsert_definition(&txn, &p.id, &def, &claims.actor())
            .await?;
        self.store.commit(txn, &p.id).await?;
        Ok(Response::new(pb::UpsertIndicatorResponse {
            indicator: Some(indicator_to(&iv)),
            changed,
        }))
    }

    async fn get_indicator(
        &self,
        request: Request<pb::GetIndicatorRequest>,
    ) -> Result<Response<pb::GetIndicatorResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let code = req.code.trim();
        if code.is_empty() {
            return Err(Error::invalid("code", "is required").into());
        }
        match self.store.indicator(&p.id, code, req.version).await? {
            None => Err(Error::not_found(if req.version == 0 {
                format!("no indicator '{code}' in partnership {}", p.id)
            } else {
                format!("indicator '{code}' has no version {}", req.version)
            })
            .into()),
            Some((iv, versions)) => Ok(Response::new(pb::GetIndicatorResponse {
                indicator: Some(indicator_to(&iv)),
                versions,
            })),
        }
    }

    async fn list_indicators(
        &self,
        request: Request<pb::ListIndicatorsRequest>,
    ) -> Result<Response<pb::ListIndicatorsResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let (offset, limit) = proto_conv::page(&mut v, "page", req.page.as_ref());
        v.into_result()?;
        let versions = self
            .store
            .current_definitions(self.ctx.db.conn(), &p.id)
            .await?;
        let mut all: Vec<&IndicatorVersion> = versions
            .values()
            .filter(|iv| {
                let d = &iv.definition;
                (req.priority.is_empty() || d.priorities.contains(&req.priority))
                    && (req.theme.is_empty() || d.themes.contains(&req.theme))
                    && (req.question.is_empty() || d.question == req.question)
                    && (req.framework_area.is_empty() || d.framework_area == req.framework_area)
            })
            .collect();
        all.sort_by(|a, b| a.definition.code.cmp(&b.definition.code));
        let total = all.len() as u64;
        let indicators: Vec<_> = all
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(indicator_to)
            .collect();
        Ok(Response::new(pb::ListIndicatorsResponse {
            page: Some(proto_conv::page_response(offset, indicators.len(), total)),
            indicators,
        }))
    }

    async fn submit_observations(
        &self,
        request: Request<pb::SubmitObservationsRequest>,
    ) -> Result<Response<pb::SubmitObservationsResponse>, Status> {
        let claims = caller(&request)?;
        let req = request.into_inner();
        let mut batch = Incoming::new(&req.idempotency_key);
        for r in &req.rows {
            batch.push(r)?;
        }
        drop(req);
        Ok(Response::new(self.submit(&claims, batch).await?))
    }

    async fn stream_observations(
        &self,
        request: Request<Streaming<pb::StreamObservationsRequest>>,
    ) -> Result<Response<pb::SubmitObservationsResponse>, Status> {
        let claims = caller(&request)?;
        claims.require_writer()?;
        let mut stream = request.into_inner();
        let mut batch: Option<Incoming> = None;
        let mut n = 0usize;
        // Each message's rows are parsed as it arrives and the message dropped.
        while let Some(msg) = stream.message().await? {
            let b = batch.get_or_insert_with(|| Incoming::new(&msg.idempotency_key));
            if !msg.idempotency_key.is_empty() && msg.idempotency_key != b.key {
                return Err(Error::invalid(
                    format!("messages[{n}].idempotency_key"),
                    format!("differs from the first message's key '{}'", b.key),
                )
                .into());
            }
            for r in &msg.rows {
                b.push(r)?;
            }
            n += 1;
        }
        let batch = batch.unwrap_or_else(|| Incoming::new(""));
        Ok(Response::new(self.submit(&claims, batch).await?))
    }

    async fn list_revisions(
        &self,
        request: Request<pb::ListRevisionsRequest>,
    ) -> Result<Response<pb::ListRevisionsResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        if req.indicator_code.trim().is_empty() {
            v.add("indicator_code", "is required");
        }
        let period = opt_period(&mut v, "period", req.period.as_ref());
        let (offset, limit) = proto_conv::page(&mut v, "page", req.page.as_ref());
        v.into_result()?;
        let code = req.indicator_code.trim().to_string();
        if self.store.indicator(&p.id, &code, 0).await?.is_none() {
            return Err(
                Error::not_found(format!("no indicator '{code}' in partnership {}", p.id)).into(),
            );
        }
        let all = self
            .store
            .revisions(
                &p.id,
                &RevisionFilter {
                    indicator: code,
                    period: period.flatten(),
                    agency: req.agency_code.clone(),
                    breakdown: req.breakdown_value.clone(),
                },
            )
            .await?;
        let total = all.len() as u64;
        let revisions: Vec<_> = all
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(revision_to)
            .collect();
        Ok(Response::new(pb::ListRevisionsResponse {
            page: Some(proto_conv::page_response(offset, revisions.len(), total)),
            revisions,
        }))
    }

    async fn set_benchmarks(
        &self,
        request: Request<pb::SetBenchmarksRequest>,
    ) -> Result<Response<pb::SetBenchmarksResponse>, Status> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let txn = self.store.begin().await.map_err(Status::from)?;
        self.store.lock_partnership(&txn, &p.id).await?;
        let defs = definitions(&self.store.current_definitions(&*txn, &p.id).await?);
        let mut v = Violations::new();
        if req.benchmarks.is_empty() {
            v.add("benchmarks", "give at least one benchmark");
        }
        let at = crate::store::now();
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        for (i, b) in req.benchmarks.iter().enumerate() {
            let f = |s: &str| format!("benchmarks[{i}].{s}");
            let def = defs.get(b.indicator_code.trim());
            if def.is_none() {
                v.add(
                    f("indicator_code"),
                    format!("unknown indicator '{}'", b.indicator_code),
                );
            }
            let period = proto_conv::period(&mut v, &f("period"), b.period.as_ref());
            let comparator = match pb::Comparator::try_from(b.comparator) {
                Ok(pb::Comparator::England) => Some(Comparator::England),
                Ok(pb::Comparator::StatisticalNeighbours) => {
                    Some(Comparator::StatisticalNeighbours)
                }
                Ok(pb::Comparator::Region) => Some(Comparator::Region),
                _ => {
                    v.add(f("comparator"), "is required: COMPARATOR_ENGLAND, COMPARATOR_STATISTICAL_NEIGHBOURS or COMPARATOR_REGION");
                    None
                }
            };
            let value = proto_conv::decimal_str(&mut v, &f("value"), &b.value);
            if let Some(x) = value {
                if x < Decimal::ZERO {
                    v.add(f("value"), "must not be negative");
                } else if let Err(e) = domain::check_magnitude(x) {
                    v.add(f("value"), e);
                }
                if def.is_some_and(|d| d.unit == Unit::Percent) && x > Decimal::from(100) {
                    v.add(f("value"), "a percentage must be 0-100");
                }
            }
            if b.source.len() > 300 {
                v.add(f("source"), "must be at most 300 characters");
            }
            if let (Some(d), Some(period), Some(comparator), Some(value)) =
                (def, period, comparator, value)
            {
                if !seen.insert((d.code.clone(), period, comparator)) {
                    v.add(
                        format!("benchmarks[{i}]"),
                        "repeats an earlier benchmark of this request",
                    );
                }
                items.push(domain::Benchmark {
                    indicator: d.code.clone(),
                    period,
                    comparator,
                    value,
                    source: b.source.trim().to_string(),
                    set_by: claims.actor(),
                    set_at: at.clone(),
                });
            }
        }
        v.into_result()?;
        let history = self.store.lock_history(&*txn, &p.id).await?;
        for b in &items {
            let fy = b.period.financial_year_start();
            if let Some(e) = history.get(&fy).and_then(|h| domain::lock_in_force(h)) {
                return Err(locked_error(Period::year(fy), e).into());
            }
        }
        self.store.set_benchmarks(&txn, &p.id, &items).await?;
        self.store.commit(txn, &p.id).await?;
        Ok(Response::new(pb::SetBenchmarksResponse {
            benchmarks: items.iter().map(benchmark_to).collect(),
        }))
    }

    async fn get_series(
        &self,
        request: Request<pb::GetSeriesRequest>,
    ) -> Result<Response<pb::GetSeriesResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let cache = self.store.cache();
        let ticket = cache.ticket(&p.id, &req);
        if let Some(answer) = cache.get(&cache.series, &ticket) {
            return Ok(Response::new(answer));
        }
        // Concurrent misses of one answer compute it once; the others wait and find it.
        let _flight = cache.flight(&ticket).await;
        if let Some(answer) = cache.get(&cache.series, &ticket) {
            return Ok(Response::new(answer));
        }
        let mut v = Violations::new();
        let code = req.indicator_code.trim().to_string();
        if code.is_empty() {
            v.add("indicator_code", "is required");
        }
        let from = proto_conv::period(&mut v, "from", req.from.as_ref());
        let to = proto_conv::period(&mut v, "to", req.to.as_ref());
        check_agency(&mut v, p, "agency_code", req.agency_code.trim());
        let granularity = if req.granularity == 0 {
            None
        } else {
            match frequency_from(req.granularity) {
                Some(f) => Some(f.granularity()),
                None => {
                    v.add("granularity", "unknown frequency");
                    None
                }
            }
        };
        v.into_result()?;
        let conn = self.ctx.db.conn();
        let versions = self.store.current_definitions(conn, &p.id).await?;
        let Some(iv) = versions.get(&code) else {
            return Err(
                Error::not_found(format!("no indicator '{code}' in partnership {}", p.id)).into(),
            );
        };
        let def = &iv.definition;
        let (Some(from), Some(to)) = (from, to) else {
            return Err(Error::invalid("from", "is required").into());
        };
        let g = granularity.unwrap_or(def.frequency.granularity());
        let (from, to) = (from.read_as(g), to.read_as(g));
        let mut v = Violations::new();
        if g < def.frequency.granularity() {
            v.add(
                "granularity",
                format!(
                    "{} is {}: a finer granularity is not possible",
                    def.code,
                    def.frequency.as_str()
                ),
            );
        }
        for (name, x) in [("from", from), ("to", to)] {
            if x.granularity() != g {
                v.add(
                    name,
                    format!(
                        "{x} is a {}, but the series is by {}",
                        x.granularity().as_str(),
                        g.as_str()
                    ),
                );
            }
        }
        if from > to {
            v.add("to", "must not be before from");
        }
        let breakdown = req.breakdown_value.trim().to_string();
        match &def.breakdown {
            None if req.all_breakdown_values || !breakdown.is_empty() => {
                v.add("breakdown_value", format!("{} has no breakdown", def.code));
            }
            Some(b) if !breakdown.is_empty() && !b.values.contains(&breakdown) => {
                v.add(
                    "breakdown_value",
                    format!("'{breakdown}' is not a value of {}", b.dimension),
                );
            }
            _ => {}
        }
        v.into_result()?;
        let mut periods = vec![from];
        while let Some(last) = periods.last().copied() {
            if last >= to {
                break;
            }
            if periods.len() >= 600 {
                return Err(Error::invalid("to", "a series has at most 600 points").into());
            }
            periods.push(last.next());
        }
        let defs = definitions(&versions);
        let data = domain::Dataset::new(
            self.store
                .current_values(
                    conn,
                    &p.id,
                    Some(&needed(def)),
                    Some((from.financial_year_start() - 1, to.financial_year_start())),
                )
                .await?,
        );
        let benchmarks = self.store.benchmarks(conn, &p.id).await?;
        let mut values = vec![breakdown.clone()];
        if req.all_breakdown_values
            && let Some(b) = &def.breakdown
        {
            values = std::iter::once(String::new())
                .chain(b.values.iter().cloned())
                .collect();
        }
        let agency = req.agency_code.trim();
        let lines = values
            .iter()
            .map(|bv| pb::SeriesLine {
                breakdown_value: bv.clone(),
                points: periods
                    .iter()
                    .map(|&per| {
                        let slice = Slice {
                            agency: (!agency.is_empty()).then_some(agency),
                            breakdown: bv,
                        };
                        let bm: &[domain::Benchmark] = if slice.agency.is_none() && bv.is_empty() {
                            &benchmarks
                        } else {
                            &[]
                        };
                        let a = domain::assess(&data, def, &defs, bm, per, slice);
                        figure_to(def, iv.version, &a)
                    })
                    .collect(),
            })
            .collect();
        let answer = pb::GetSeriesResponse {
            indicator: Some(indicator_to(iv)),
            lines,
        };
        cache.put(&cache.series, ticket, &answer);
        Ok(Response::new(answer))
    }

    async fn get_scorecard(
        &self,
        request: Request<pb::GetScorecardRequest>,
    ) -> Result<Response<pb::GetScorecardResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let cache = self.store.cache();
        let ticket = cache.ticket(&p.id, &req);
        if let Some(answer) = cache.get(&cache.scorecard, &ticket) {
            return Ok(Response::new(answer));
        }
        let mut v = Violations::new();
        let year = year_from(&mut v, "year", req.year.as_ref());
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required").into());
        };
        let conn = self.ctx.db.conn();
        let versions = self.store.current_definitions(conn, &p.id).await?;
        let defs = definitions(&versions);
        let fy = year.financial_year_start();
        let data = domain::Dataset::new(
            self.store
                .current_values(conn, &p.id, None, Some((fy - 2, fy)))
                .await?,
        );
        let benchmarks = self.store.benchmarks(conn, &p.id).await?;
        let history = self.store.lock_history(conn, &p.id).await?;
        let mut selected: Vec<&IndicatorVersion> = versions
            .values()
            .filter(|iv| {
                (req.priority.is_empty() || iv.definition.priorities.contains(&req.priority))
                    && (req.theme.is_empty() || iv.definition.themes.contains(&req.theme))
            })
            .collect();
        selected.sort_by(|a, b| a.definition.code.cmp(&b.definition.code));
        let mut out = Vec::new();
        for iv in selected {
            let def = &iv.definition;
            let a = domain::assess(&data, def, &defs, &benchmarks, year, Slice::TOTAL);
            let mut flags = a.flags.clone();
            // Breakdown parts against totals in the year's periods.
            if def.breakdown.is_some() {
                let mut cells: Vec<(String, Period, String)> = data
                    .rows(&def.code)
                    .iter()
                    .filter(|r| r.key.period.financial_year_start() == fy)
                    .map(|r| (def.code.clone(), r.key.period, r.key.agency.clone()))
                    .collect();
                cells.sort();
                cells.dedup();
                let (w, _) = domain::breakdown_warnings(&data, &defs, &cells);
                if !w.is_empty() {
                    flags.push(domain::Flag {
                        code: "BREAKDOWN_MISMATCH",
                        message: w
                            .iter()
                            .map(|x| x.message.clone())
                            .collect::<Vec<_>>()
                            .join("; "),
                    });
                }
            }
            let breakdown = def
                .breakdown
                .as_ref()
                .map(|b| {
                    b.values
                        .iter()
                        .map(|bv| {
                            let slice = Slice {
                                agency: None,
                                breakdown: bv,
                            };
                            let cur = data.figure(def, &defs, year, slice);
                            let prev = data.figure(def, &defs, year.previous(), slice);
                            pb::BreakdownFigure {
                                breakdown_value: bv.clone(),
                                value: cur.as_ref().map(|f| ds(f.value)).unwrap_or_default(),
                                previous_value: prev
                                    .as_ref()
                                    .map(|f| ds(f.value))
                                    .unwrap_or_default(),
                                change: match (&cur, &prev) {
                                    (Some(c), Some(pr)) => Some(change_to(&domain::change(
                                        def,
                                        def.target_for(year),
                                        pr.value,
                                        c.value,
                                    ))),
                                    _ => None,
                                },
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            let figure = a.figure.as_ref();
            let previous = data.figure(def, &defs, year.previous(), Slice::TOTAL);
            out.push(pb::ScorecardRow {
                code: def.code.clone(),
                title: def.title.clone(),
                unit: unit_to(def.unit) as i32,
                polarity: polarity_to(def.polarity) as i32,
                priorities: def.priorities.clone(),
                question: def.question.clone(),
                themes: def.themes.clone(),
                framework_area: def.framework_area.clone(),
                value: figure.map(|f| ds(f.value)).unwrap_or_default(),
                previous_value: previous.as_ref().map(|f| ds(f.value)).unwrap_or_default(),
                numerator: figure.map(|f| ods(f.numerator)).unwrap_or_default(),
                denominator: figure.map(|f| ods(f.denominator)).unwrap_or_default(),
                change: a.on_previous.as_ref().map(change_to),
                direction: a
                    .on_previous
                    .as_ref()
                    .map(|c| direction_to(c.direction) as i32)
                    .unwrap_or(0),
                rag: rag_to(a.rag),
                target: a.target.as_ref().map(target_to),
                benchmarks: benchmarks_to(&a),
                flags: flags_to(&flags),
                source: Some(source_to(def, iv.version, &a)),
                breakdown,
                breakdown_dimension: def
                    .breakdown
                    .as_ref()
                    .map(|b| b.dimension.clone())
                    .unwrap_or_default(),
                periods_received: figure.map(|f| f.periods_received).unwrap_or(0),
                periods_expected: figure
                    .map(|f| f.periods_expected)
                    .unwrap_or(year.periods_within(def.frequency.granularity()).len() as u32),
                description: def.description.clone(),
            });
        }
        let answer = pb::GetScorecardResponse {
            year: pp(year),
            previous_year: pp(year.previous()),
            rows: out,
            locked: history
                .get(&fy)
                .and_then(|h| domain::lock_in_force(h))
                .is_some(),
        };
        cache.put(&cache.scorecard, ticket, &answer);
        Ok(Response::new(answer))
    }

    async fn get_completeness(
        &self,
        request: Request<pb::GetCompletenessRequest>,
    ) -> Result<Response<pb::GetCompletenessResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = year_from(&mut v, "year", req.year.as_ref());
        check_agency(&mut v, p, "agency_code", req.agency_code.trim());
        let as_of = if req.as_of.trim().is_empty() {
            Some(chrono::Utc::now().date_naive())
        } else {
            v.check("as_of", lscb_platform::fields::parse_date(req.as_of.trim()))
        };
        v.into_result()?;
        let (Some(year), Some(as_of)) = (year, as_of) else {
            return Err(Error::invalid("year", "is required").into());
        };
        let conn = self.ctx.db.conn();
        let versions = self.store.current_definitions(conn, &p.id).await?;
        let ind_filter = req.indicator_code.trim();
        if !ind_filter.is_empty() && !versions.contains_key(ind_filter) {
            return Err(Error::not_found(format!(
                "no indicator '{ind_filter}' in partnership {}",
                p.id
            ))
            .into());
        }
        let fy = year.financial_year_start();
        let rows = self
            .store
            .current_observations(conn, &p.id, None, Some((fy, fy)))
            .await?;
        // First arrival per (indicator, period, agency), whatever the breakdown.
        // A partnership-wide expectation ("" agency) is met by any row of the period.
        let mut first: HashMap<(String, Period, String), String> = HashMap::new();
        for r in &rows {
            for ag in [r.key.agency.clone(), String::new()] {
                let k = (r.key.indicator.clone(), r.key.period, ag);
                let e = first
                    .entry(k)
                    .or_insert_with(|| r.first_received_at.clone());
                if r.first_received_at < *e {
                    *e = r.first_received_at.clone();
                }
            }
        }
        let mut codes: Vec<&String> = versions.keys().collect();
        codes.sort();
        let agency_filter = req.agency_code.trim();
        let mut items = Vec::new();
        let mut by_agency: BTreeMap<String, pb::CompletenessSummary> = BTreeMap::new();
        let mut by_indicator: BTreeMap<String, pb::CompletenessSummary> = BTreeMap::new();
        let mut total = pb::CompletenessSummary {
            key: "total".into(),
            name: p.name.clone(),
            ..Default::default()
        };
        fn count(s: &mut pb::CompletenessSummary, st: pb::CompletenessStatus) {
            s.expected += 1;
            match st {
                pb::CompletenessStatus::Received => s.received += 1,
                pb::CompletenessStatus::Late => {
                    s.received += 1;
                    s.late += 1
                }
                pb::CompletenessStatus::Missing => s.missing += 1,
                _ => s.not_yet_due += 1,
            }
        }
        for code in codes {
            if !ind_filter.is_empty() && code != ind_filter {
                continue;
            }
            let def = &versions[code].definition;
            if def.is_derived() {
                continue;
            }
            for per in year.periods_within(def.frequency.granularity()) {
                let agencies: Vec<String> = if def.expected_agencies.is_empty() {
                    vec![String::new()]
                } else {
                    def.expected_agencies
                        .iter()
                        .filter(|a| {
                            p.agency(a)
                                .is_some_and(|x| x.valid_during(per.first_day(), per.last_day()))
                        })
                        .cloned()
                        .collect()
                };
                for ag in agencies {
                    if !agency_filter.is_empty() && ag != agency_filter {
                        continue;
                    }
                    let deadline = per.last_day() + chrono::Days::new(def.deadline_days() as u64);
                    let got = first.get(&(code.clone(), per, ag.clone()));
                    let status = match got {
                        Some(at) => {
                            let day =
                                NaiveDate::parse_from_str(at.get(..10).unwrap_or(""), "%Y-%m-%d")
                                    .unwrap_or(deadline);
                            if day > deadline {
                                pb::CompletenessStatus::Late
                            } else {
                                pb::CompletenessStatus::Received
                            }
                        }
                        None if as_of > deadline => pb::CompletenessStatus::Missing,
                        None => pb::CompletenessStatus::NotYetDue,
                    };
                    count(&mut total, status);
                    count(
                        by_agency
                            .entry(ag.clone())
                            .or_insert_with(|| pb::CompletenessSummary {
                                key: ag.clone(),
                                name: if ag.is_empty() {
                                    "Partnership-wide".into()
                                } else {
                                    p.agency(&ag).map(|a| a.name.clone()).unwrap_or_default()
                                },
                                ..Default::default()
                            }),
                        status,
                    );
                    count(
                        by_indicator.entry(code.clone()).or_insert_with(|| {
                            pb::CompletenessSummary {
                                key: code.clone(),
                                name: def.title.clone(),
                                ..Default::default()
                            }
                        }),
                        status,
                    );
                    items.push(pb::CompletenessItem {
                        agency_code: ag.clone(),
                        indicator_code: code.clone(),
                        period: pp(per),
                        status: status as i32,
                        deadline: deadline.to_string(),
                        first_received_at: got.cloned().unwrap_or_default(),
                    });
                }
            }
        }
        fn pct(s: &mut pb::CompletenessSummary) {
            s.percent_received = if s.expected == 0 {
                String::new()
            } else {
                format!(
                    "{:.1}",
                    domain::round1(
                        Decimal::from(s.received) * Decimal::from(100) / Decimal::from(s.expected)
                    )
                )
            };
        }
        pct(&mut total);
        let mut by_agency: Vec<_> = by_agency.into_values().collect();
        by_agency.iter_mut().for_each(pct);
        let mut by_indicator: Vec<_> = by_indicator.into_values().collect();
        by_indicator.iter_mut().for_each(pct);
        items.sort_by(|a, b| {
            (&a.agency_code, &a.indicator_code).cmp(&(&b.agency_code, &b.indicator_code))
        });
        Ok(Response::new(pb::GetCompletenessResponse {
            year: pp(year),
            total: Some(total),
            by_agency,
            by_indicator,
            items,
        }))
    }

    async fn upsert_validation_rule(
        &self,
        request: Request<pb::UpsertValidationRuleRequest>,
    ) -> Result<Response<pb::UpsertValidationRuleResponse>, Status> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let Some(r) = req.rule else {
            return Err(Error::invalid("rule", "is required").into());
        };
        let mut v = Violations::new();
        let op = op_from(&mut v, "rule.operator", r.operator);
        let factor = opt_dec(&mut v, "rule.factor", &r.factor);
        let txn = self.store.begin().await.map_err(Status::from)?;
        self.store.lock_partnership(&txn, &p.id).await?;
        let defs = definitions(&self.store.current_definitions(&*txn, &p.id).await?);
        let rule = match (op, factor) {
            (Some(op), Some(factor)) => {
                let rule = Rule {
                    code: r.code.trim().to_string(),
                    description: r.description.trim().to_string(),
                    left: r.left_indicator.trim().to_string(),
                    op,
                    right: r.right_indicator.trim().to_string(),
                    factor: factor.unwrap_or(Decimal::ONE),
                    active: r.active,
                };
                domain::validate_rule(&rule, &defs, &mut v);
                Some(rule)
            }
            _ => None,
        };
        v.into_result()?;
        let Some(rule) = rule else {
            return Err(Error::invalid("rule", "is required").into());
        };
        self.store
            .upsert_rule(&txn, &p.id, &rule, &claims.actor())
            .await?;
        self.store.commit(txn, &p.id).await?;
        Ok(Response::new(pb::UpsertValidationRuleResponse {
            rule: Some(rule_to(&rule)),
        }))
    }

    async fn list_validation_rules(
        &self,
        request: Request<pb::ListValidationRulesRequest>,
    ) -> Result<Response<pb::ListValidationRulesResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let rules = self.store.rules(self.ctx.db.conn(), &p.id).await?;
        Ok(Response::new(pb::ListValidationRulesResponse {
            rules: rules.iter().map(rule_to).collect(),
        }))
    }

    async fn run_validation(
        &self,
        request: Request<pb::RunValidationRequest>,
    ) -> Result<Response<pb::RunValidationResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = year_from(&mut v, "year", req.year.as_ref());
        let k = opt_dec(&mut v, "outlier_threshold", &req.outlier_threshold);
        if let Some(Some(k)) = k
            && (k <= Decimal::ZERO || k > Decimal::from(1000))
        {
            v.add(
                "outlier_threshold",
                "must be greater than 0 and at most 1000",
            );
        }
        v.into_result()?;
        let (Some(year), Some(k)) = (year, k) else {
            return Err(Error::invalid("year", "is required").into());
        };
        let k = k.unwrap_or(Decimal::from(3));
        let conn = self.ctx.db.conn();
        let versions = self.store.current_definitions(conn, &p.id).await?;
        let defs = definitions(&versions);
        let only = Some(req.indicator_code.trim()).filter(|s| !s.is_empty());
        if let Some(o) = only
            && !defs.contains_key(o)
        {
            return Err(
                Error::not_found(format!("no indicator '{o}' in partnership {}", p.id)).into(),
            );
        }
        let fy = year.financial_year_start();
        let rows = self
            .store
            .current_values(conn, &p.id, None, Some((fy - 3, fy)))
            .await?;
        let mut cells: Vec<(String, Period, String)> = rows
            .iter()
            .filter(|r| r.key.period.financial_year_start() == fy)
            .filter(|r| only.is_none_or(|o| r.key.indicator == o))
            .map(|r| (r.key.indicator.clone(), r.key.period, r.key.agency.clone()))
            .collect();
        let data = domain::Dataset::new(rows);
        let rules: Vec<Rule> = self
            .store
            .rules(conn, &p.id)
            .await?
            .into_iter()
            .filter(|r| only.is_none_or(|o| r.left == o || r.right == o))
            .collect();
        let (mut warnings, rules_checked) = domain::rule_warnings(&data, &defs, &rules, year);
        cells.sort();
        cells.dedup();
        let (w, breakdowns_checked) = domain::breakdown_warnings(&data, &defs, &cells);
        warnings.extend(w);
        let (w, points_checked) = domain::outlier_warnings(&data, &defs, only, year, k);
        warnings.extend(w);
        Ok(Response::new(pb::RunValidationResponse {
            warnings: warnings.iter().map(warning_to).collect(),
            rules_checked,
            breakdowns_checked,
            points_checked,
        }))
    }

    async fn lock_year(
        &self,
        request: Request<pb::LockYearRequest>,
    ) -> Result<Response<pb::LockYearResponse>, Status> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let year = self
            .lock_change(&claims, p, req.year.as_ref(), &req.reason, true)
            .await?;
        Ok(Response::new(pb::LockYearResponse { lock: Some(year) }))
    }

    async fn unlock_year(
        &self,
        request: Request<pb::UnlockYearRequest>,
    ) -> Result<Response<pb::UnlockYearResponse>, Status> {
        let claims = caller(&request)?;
        claims.require_admin()?;
        let p = self.ctx.partnership(&claims)?;
        let req = request.into_inner();
        let year = self
            .lock_change(&claims, p, req.year.as_ref(), &req.reason, false)
            .await?;
        Ok(Response::new(pb::UnlockYearResponse { lock: Some(year) }))
    }

    async fn list_year_locks(
        &self,
        request: Request<pb::ListYearLocksRequest>,
    ) -> Result<Response<pb::ListYearLocksResponse>, Status> {
        let claims = caller(&request)?;
        let p = self.ctx.partnership(&claims)?;
        let history = self.store.lock_history(self.ctx.db.conn(), &p.id).await?;
        Ok(Response::new(pb::ListYearLocksResponse {
            locks: history
                .iter()
                .map(|(fy, h)| lock_to(Period::year(*fy), h))
                .collect(),
        }))
    }
}

fn rule_to(r: &Rule) -> pb::ValidationRule {
    pb::ValidationRule {
        code: r.code.clone(),
        description: r.description.clone(),
        left_indicator: r.left.clone(),
        operator: op_to(r.op) as i32,
        right_indicator: r.right.clone(),
        factor: ds(r.factor),
        active: r.active,
    }
}

impl IndicatorApi {
    async fn lock_change(
        &self,
        claims: &Claims,
        p: &Partnership,
        year: Option<&lscb_proto::common::v1::Period>,
        reason: &str,
        lock: bool,
    ) -> Result<pb::YearLock, Error> {
        let mut v = Violations::new();
        let year = year_from(&mut v, "year", year);
        let reason = reason.trim();
        if reason.is_empty() {
            v.add("reason", if lock {
                "is required: say why the year is locked (e.g. approved by the board on 2016-06-30)"
            } else {
                "is required: say why the year is unlocked; it is kept in the lock history"
            });
        }
        if reason.len() > 1000 {
            v.add("reason", "must be at most 1000 characters");
        }
        v.into_result()?;
        let Some(year) = year else {
            return Err(Error::invalid("year", "is required"));
        };
        let fy = year.financial_year_start();
        let txn = self.store.begin().await?;
        self.store.lock_partnership(&txn, &p.id).await?;
        let history = self.store.lock_history(&*txn, &p.id).await?;
        let mut h = history.get(&fy).cloned().unwrap_or_default();
        match (lock, domain::lock_in_force(&h)) {
            (true, Some(e)) => {
                return Err(Error::precondition(
                    "YEAR_LOCKED",
                    year.to_string(),
                    format!(
                        "{year} is already locked by {} at {} ({})",
                        e.by, e.at, e.reason
                    ),
                ));
            }
            (false, None) => {
                return Err(Error::precondition(
                    "YEAR_NOT_LOCKED",
                    year.to_string(),
                    format!("{year} is not locked"),
                ));
            }
            _ => {}
        }
        let e = LockEvent {
            locked: lock,
            by: claims.actor(),
            at: crate::store::now(),
            reason: reason.to_string(),
        };
        self.store
            .add_lock_event(&txn, &p.id, fy, h.len(), &e)
            .await?;
        self.store.commit(txn, &p.id).await?;
        h.push(e);
        Ok(lock_to(year, &h))
    }
}
