//! Check 3: generated bad inputs across the write RPCs — wire garbage, NUL bytes, 1 MiB
//! strings, malformed dates and periods, extreme numbers. Every answer must be a caller's
//! error (never `INTERNAL`/`UNKNOWN`), no service may panic or die, and nothing may be
//! stored: the read RPCs answer the same before and after.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lscb_platform::Role;
use lscb_proto::audits::v1 as aud;
use lscb_proto::common::v1::PageRequest;
use lscb_proto::finance::v1 as fin;
use lscb_proto::indicators::v1 as ind;
use lscb_proto::report::v1 as rp;
use lscb_proto::training::v1 as tr;
use prost::Message;
use prost::bytes::Buf;
use prost::bytes::BufMut;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;

use super::writes::{define, period};
use super::{Codes, Ctx, Findings, Stack, channel};
use crate::rows::Workload;

/// Sends and receives raw message bytes, so anything can be put on the wire.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawCodec;
#[derive(Debug, Clone, Default)]
pub(crate) struct RawEncoder;
#[derive(Debug, Clone, Default)]
pub(crate) struct RawDecoder;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

/// A unary call with `body` as the message bytes.
pub(crate) async fn raw_unary(
    ch: Channel,
    path: &'static str,
    body: Vec<u8>,
    token: Option<&MetadataValue<Ascii>>,
) -> Result<Vec<u8>, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(ch)
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let mut req = tonic::Request::new(body);
    if let Some(t) = token {
        req.metadata_mut().insert("authorization", t.clone());
    }
    req.set_timeout(Duration::from_secs(30));
    grpc.unary(
        req,
        tonic::codegen::http::uri::PathAndQuery::from_static(path),
        RawCodec,
    )
    .await
    .map(|r| r.into_inner())
}

/// xorshift64*: a fixed-seed generator, so a run can be repeated.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(crate) fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
    pub(crate) fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

// The services' write RPCs (index into the stack: 0 aggregator, 1 indicators, 2 audits,
// 3 training, 4 finance).
const SUBMIT: &str = "/lscb.indicators.v1.IndicatorService/SubmitObservations";
const UPSERT_IND: &str = "/lscb.indicators.v1.IndicatorService/UpsertIndicator";
const CREATE_AUDIT: &str = "/lscb.audits.v1.AuditService/CreateAudit";
const YEAR_TOTALS: &str = "/lscb.training.v1.TrainingService/RecordYearTotals";
const CONTRIB: &str = "/lscb.finance.v1.FinanceService/PutContributions";
const INCOME: &str = "/lscb.finance.v1.FinanceService/PutIncome";
const EXPEND: &str = "/lscb.finance.v1.FinanceService/PutExpenditure";
const BUDGET_YEAR: &str = "/lscb.finance.v1.FinanceService/CreateBudgetYear";
const GLOSSARY: &str = "/lscb.report.v1.ReportService/PutGlossaryTerm";

const WRITE_RPCS: [(&str, usize); 9] = [
    (SUBMIT, 1),
    (UPSERT_IND, 1),
    (CREATE_AUDIT, 2),
    (YEAR_TOTALS, 3),
    (CONTRIB, 4),
    (INCOME, 4),
    (EXPEND, 4),
    (BUDGET_YEAR, 4),
    (GLOSSARY, 0),
];

fn service_of(path: &str) -> usize {
    WRITE_RPCS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, s)| *s)
        .unwrap_or(1)
}

const BAD_DATES: [&str; 10] = [
    "15-01-01",
    "2015-1-1",
    "-2015-01-01",
    "2015-02-30",
    "2015-13-01",
    "2015-01-01T00:00:00",
    "２０１５-01-01",
    "2015/01/01",
    "99999-01-01",
    "2015-01-01\0",
];
// Not " 2015-16": period codes are trimmed on purpose (Period::parse), so a padded code is
// a valid one.
const BAD_PERIODS: [&str; 12] = [
    "15-16",
    "2015-1",
    "-2015-16",
    "2015-17",
    "2015-13",
    "2015-16-Q5",
    "2015-00",
    "",
    "2015-16 Q1",
    "2015-16\0",
    "9999999999-10",
    "2015-16-Q1-Q2",
];
const BAD_NUMBERS: [&str; 12] = [
    "9223372036854775808",
    "-9223372036854775809",
    "1e400",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "1,000",
    "١٢",
    "99999999999999999999999999999999999999999999999999",
    "-5",
    "1.5.5",
];

fn nul_string(rng: &mut Rng) -> String {
    let base = rng.pick(&["WMP", "BAD.I0000", "Title", "grants", "note"]);
    let at = rng.below(base.len() as u64 + 1) as usize;
    format!("{}\0{}", &base[..at], &base[at..])
}

fn pick_str(rng: &mut Rng, v: &[&'static str]) -> &'static str {
    v[rng.below(v.len() as u64) as usize]
}

fn huge() -> String {
    "x".repeat(1024 * 1024)
}

/// One generated bad call: its kind (for the counts), path and body.
fn generate(i: u64, rng: &mut Rng, agencies: &[String]) -> (&'static str, &'static str, Vec<u8>) {
    let agency = rng.pick(agencies).clone();
    // One call in 50 carries a 1 MiB string; the rest cycle through the kinds.
    if i % 50 == 49 {
        let (path, body) = match rng.below(5) {
            0 => (
                SUBMIT,
                ind::SubmitObservationsRequest {
                    idempotency_key: String::new(),
                    rows: vec![ind::ObservationInput {
                        indicator_code: "BAD.I0000".into(),
                        period: period("2015-04"),
                        agency_code: agency,
                        value: "1".into(),
                        comment: huge(),
                        status: ind::ObservationStatus::Final as i32,
                        ..Default::default()
                    }],
                }
                .encode_to_vec(),
            ),
            1 => (
                CREATE_AUDIT,
                aud::CreateAuditRequest {
                    audit: Some(aud::Audit {
                        r#type: aud::AuditType::Thematic as i32,
                        title: huge(),
                        period: period("2015-16"),
                        ..Default::default()
                    }),
                    idempotency_key: String::new(),
                }
                .encode_to_vec(),
            ),
            2 => (
                GLOSSARY,
                rp::PutGlossaryTermRequest {
                    acronym: "BIG".into(),
                    meaning: huge(),
                }
                .encode_to_vec(),
            ),
            3 => (
                CONTRIB,
                fin::PutContributionsRequest {
                    year: period("2015-16"),
                    contributions: vec![fin::ContributionInput {
                        agency_code: agency,
                        agreed_pence: 100,
                        note: huge(),
                        ..Default::default()
                    }],
                    idempotency_key: huge(),
                }
                .encode_to_vec(),
            ),
            _ => (
                YEAR_TOTALS,
                tr::RecordYearTotalsRequest {
                    totals: Some(tr::YearTotals {
                        year: period("2012-13"),
                        courses_run: 1,
                        ..Default::default()
                    }),
                    idempotency_key: huge(),
                }
                .encode_to_vec(),
            ),
        };
        return ("1 MiB string", path, body);
    }
    match i % 12 {
        0 | 1 => {
            // Wire garbage: random bytes as the message.
            let (path, _) = *rng.pick(&WRITE_RPCS);
            let n = 1 + rng.below(300) as usize;
            ("wire garbage", path, rng.bytes(n))
        }
        2 => {
            // A valid message cut short.
            let full = fin::PutContributionsRequest {
                year: period("2015-16"),
                contributions: vec![fin::ContributionInput {
                    agency_code: agency,
                    agreed_pence: 5_000_000,
                    note: "truncated".into(),
                    ..Default::default()
                }],
                idempotency_key: String::new(),
            }
            .encode_to_vec();
            let cut = 1 + rng.below(full.len() as u64 - 1) as usize;
            ("truncated message", CONTRIB, full[..cut].to_vec())
        }
        3 => {
            let mut row = ind::ObservationInput {
                indicator_code: "BAD.I0000".into(),
                period: period("2015-04"),
                agency_code: agency,
                value: "3".into(),
                status: ind::ObservationStatus::Final as i32,
                ..Default::default()
            };
            match rng.below(3) {
                0 => row.indicator_code = nul_string(rng),
                1 => row.agency_code = nul_string(rng),
                _ => row.value = "1\0".into(),
            }
            (
                "NUL in string",
                SUBMIT,
                ind::SubmitObservationsRequest {
                    idempotency_key: String::new(),
                    rows: vec![row],
                }
                .encode_to_vec(),
            )
        }
        4 => (
            "bad period",
            SUBMIT,
            ind::SubmitObservationsRequest {
                idempotency_key: String::new(),
                rows: vec![ind::ObservationInput {
                    indicator_code: "BAD.I0000".into(),
                    period: period(pick_str(rng, &BAD_PERIODS)),
                    agency_code: agency,
                    value: "3".into(),
                    status: ind::ObservationStatus::Final as i32,
                    ..Default::default()
                }],
            }
            .encode_to_vec(),
        ),
        5 => (
            "extreme number",
            SUBMIT,
            ind::SubmitObservationsRequest {
                idempotency_key: String::new(),
                rows: vec![ind::ObservationInput {
                    indicator_code: "BAD.I0000".into(),
                    period: period("2015-05"),
                    agency_code: agency,
                    value: rng.pick(&BAD_NUMBERS).to_string(),
                    status: ind::ObservationStatus::Final as i32,
                    ..Default::default()
                }],
            }
            .encode_to_vec(),
        ),
        6 => {
            let mut c = fin::ContributionInput {
                agency_code: agency,
                agreed_pence: 1_000,
                ..Default::default()
            };
            let kind = match rng.below(5) {
                0 => {
                    c.agreed_pence = i64::MAX;
                    c.invoiced_pence = i64::MAX;
                    c.received_pence = i64::MAX;
                    "extreme number"
                }
                1 => {
                    c.agreed_pence = i64::MIN;
                    "extreme number"
                }
                2 => {
                    c.invoiced_pence = 10;
                    c.invoiced_on = rng.pick(&BAD_DATES).to_string();
                    "bad date"
                }
                3 => {
                    c.agency_code = nul_string(rng);
                    "NUL in string"
                }
                _ => {
                    c.received_pence = 10;
                    c.received_on = rng.pick(&BAD_DATES).to_string();
                    "bad date"
                }
            };
            (
                kind,
                CONTRIB,
                fin::PutContributionsRequest {
                    year: period("2015-16"),
                    contributions: vec![c],
                    idempotency_key: String::new(),
                }
                .encode_to_vec(),
            )
        }
        7 => {
            let lines = match rng.below(3) {
                // Two lines whose sum overflows i64.
                0 => vec![
                    fin::IncomeInput {
                        category: "grants".into(),
                        description: "overflow one".into(),
                        amount_pence: i64::MAX,
                        remove: false,
                    },
                    fin::IncomeInput {
                        category: "other".into(),
                        description: "overflow two".into(),
                        amount_pence: i64::MAX,
                        remove: false,
                    },
                ],
                1 => vec![fin::IncomeInput {
                    category: "grants".into(),
                    description: "most negative".into(),
                    amount_pence: i64::MIN,
                    remove: false,
                }],
                _ => vec![fin::IncomeInput {
                    category: "grants".into(),
                    description: nul_string(rng),
                    amount_pence: 10,
                    remove: false,
                }],
            };
            (
                "extreme number",
                INCOME,
                fin::PutIncomeRequest {
                    year: period("2015-16"),
                    lines,
                    idempotency_key: String::new(),
                }
                .encode_to_vec(),
            )
        }
        8 => {
            let (kind, line) = match rng.below(3) {
                0 => (
                    "extreme number",
                    fin::ExpenditureInput {
                        category: "business_support_unit".into(),
                        budget_pence: i64::MAX,
                        actual_pence: i64::MAX,
                        note: String::new(),
                    },
                ),
                1 => (
                    "extreme number",
                    fin::ExpenditureInput {
                        category: "business_support_unit".into(),
                        budget_pence: i64::MIN,
                        actual_pence: -1,
                        note: String::new(),
                    },
                ),
                _ => (
                    "NUL in string",
                    fin::ExpenditureInput {
                        category: nul_string(rng),
                        budget_pence: 10,
                        actual_pence: 10,
                        note: String::new(),
                    },
                ),
            };
            (
                kind,
                EXPEND,
                fin::PutExpenditureRequest {
                    year: period("2015-16"),
                    lines: vec![line],
                    idempotency_key: String::new(),
                }
                .encode_to_vec(),
            )
        }
        9 => {
            let (kind, totals) = match rng.below(2) {
                0 => (
                    "bad period",
                    tr::YearTotals {
                        year: period(pick_str(rng, &BAD_PERIODS)),
                        courses_run: 5,
                        places_offered: 10,
                        places_taken: 8,
                        ..Default::default()
                    },
                ),
                _ => (
                    "extreme number",
                    tr::YearTotals {
                        year: period("2012-13"),
                        courses_run: u32::MAX,
                        places_offered: 0,
                        places_taken: u32::MAX,
                        did_not_attend: u32::MAX,
                        ..Default::default()
                    },
                ),
            };
            (
                kind,
                YEAR_TOTALS,
                tr::RecordYearTotalsRequest {
                    totals: Some(totals),
                    idempotency_key: String::new(),
                }
                .encode_to_vec(),
            )
        }
        10 => {
            let mut a = aud::Audit {
                r#type: aud::AuditType::MultiAgencyCaseFile as i32,
                title: "Generated audit".into(),
                period: period("2015-16"),
                ..Default::default()
            };
            let kind = match rng.below(4) {
                0 => {
                    a.period = period(pick_str(rng, &BAD_PERIODS));
                    "bad period"
                }
                1 => {
                    a.title = nul_string(rng);
                    "NUL in string"
                }
                2 => {
                    a.r#type = 999;
                    a.status = -7;
                    "unknown enum value"
                }
                _ => {
                    a.recommendations = vec![aud::Recommendation {
                        text: "Do it".into(),
                        actions: vec![aud::ActionInput {
                            description: "act".into(),
                            owner_agency: "WMP".into(),
                            due_date: rng.pick(&BAD_DATES).to_string(),
                        }],
                        ..Default::default()
                    }];
                    "bad date"
                }
            };
            (
                kind,
                CREATE_AUDIT,
                aud::CreateAuditRequest {
                    audit: Some(a),
                    idempotency_key: String::new(),
                }
                .encode_to_vec(),
            )
        }
        _ => match rng.below(3) {
            0 => (
                "bad period",
                BUDGET_YEAR,
                fin::CreateBudgetYearRequest {
                    year: period(pick_str(rng, &BAD_DATES)),
                }
                .encode_to_vec(),
            ),
            1 => (
                "NUL in string",
                GLOSSARY,
                rp::PutGlossaryTermRequest {
                    acronym: nul_string(rng),
                    meaning: "Generated".into(),
                }
                .encode_to_vec(),
            ),
            _ => {
                let mut d = Workload::new(vec![], "BAD").definition(1);
                d.code = nul_string(rng);
                (
                    "NUL in string",
                    UPSERT_IND,
                    ind::UpsertIndicatorRequest { indicator: Some(d) }.encode_to_vec(),
                )
            }
        },
    }
}

/// Every read the state is compared by.
async fn snapshot(
    chans: &[Channel],
    admin: &MetadataValue<Ascii>,
) -> anyhow::Result<Vec<(&'static str, Vec<u8>)>> {
    let page = || {
        Some(PageRequest {
            page_size: 1000,
            ..Default::default()
        })
    };
    let mut out = Vec::new();
    let mut get = async |name: &'static str, path: &'static str, ch: usize, body: Vec<u8>| {
        let r = raw_unary(chans[ch].clone(), path, body, Some(admin))
            .await
            .map_err(|s| anyhow::anyhow!("{name}: {:?} {}", s.code(), s.message()))?;
        out.push((name, r));
        anyhow::Ok(())
    };
    get(
        "indicators ListIndicators",
        "/lscb.indicators.v1.IndicatorService/ListIndicators",
        1,
        ind::ListIndicatorsRequest {
            page: page(),
            ..Default::default()
        }
        .encode_to_vec(),
    )
    .await?;
    get(
        "indicators ListRevisions BAD.I0000",
        "/lscb.indicators.v1.IndicatorService/ListRevisions",
        1,
        ind::ListRevisionsRequest {
            indicator_code: "BAD.I0000".into(),
            page: page(),
            ..Default::default()
        }
        .encode_to_vec(),
    )
    .await?;
    get(
        "audits ListAudits",
        "/lscb.audits.v1.AuditService/ListAudits",
        2,
        aud::ListAuditsRequest {
            page: page(),
            ..Default::default()
        }
        .encode_to_vec(),
    )
    .await?;
    get(
        "training GetTrainingSummary 2012-13",
        "/lscb.training.v1.TrainingService/GetTrainingSummary",
        3,
        tr::GetTrainingSummaryRequest {
            period: period("2012-13"),
            ..Default::default()
        }
        .encode_to_vec(),
    )
    .await?;
    get(
        "finance ListBudgetYears",
        "/lscb.finance.v1.FinanceService/ListBudgetYears",
        4,
        fin::ListBudgetYearsRequest {}.encode_to_vec(),
    )
    .await?;
    get(
        "finance GetStatement 2015-16",
        "/lscb.finance.v1.FinanceService/GetStatement",
        4,
        fin::GetStatementRequest {
            year: period("2015-16"),
        }
        .encode_to_vec(),
    )
    .await?;
    get(
        "finance ListHistory",
        "/lscb.finance.v1.FinanceService/ListHistory",
        4,
        fin::ListHistoryRequest {
            page: page(),
            ..Default::default()
        }
        .encode_to_vec(),
    )
    .await?;
    get(
        "report ListGlossaryTerms",
        "/lscb.report.v1.ReportService/ListGlossaryTerms",
        0,
        rp::ListGlossaryTermsRequest {}.encode_to_vec(),
    )
    .await?;
    Ok(out)
}

#[derive(Debug, Default)]
struct Tally {
    by_kind: BTreeMap<&'static str, Codes>,
    by_rpc: BTreeMap<&'static str, Codes>,
    internal: Vec<String>,
    accepted: Vec<String>,
}

pub(crate) async fn bad_inputs(ctx: &Ctx, f: &mut Findings) -> anyhow::Result<()> {
    let total: u64 = if ctx.smoke() { 500 } else { 5_000 };
    let mut stack = Stack::start(ctx, "inputs", 20).await?;
    let admin = ctx.token(Role::Admin, None)?;
    let mut chans = Vec::new();
    for i in 0..5 {
        chans.push(channel(&stack.url(i)).await?);
    }
    // Valid state for the bad inputs to aim at.
    let w = Workload::new(ctx.agencies.clone(), "BAD");
    define(&chans[1], &admin, &w, 1).await?;
    raw_unary(
        chans[4].clone(),
        BUDGET_YEAR,
        fin::CreateBudgetYearRequest {
            year: period("2015-16"),
        }
        .encode_to_vec(),
        Some(&admin),
    )
    .await
    .map_err(|s| anyhow::anyhow!("CreateBudgetYear: {}", s.message()))?;
    let before = snapshot(&chans, &admin).await?;

    let t = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let tally = Arc::new(std::sync::Mutex::new(Tally::default()));
    let mut tasks = Vec::new();
    let agencies = Arc::new(ctx.agencies.clone());
    for _ in 0..8 {
        let (next, tally, chans, admin, agencies) = (
            next.clone(),
            tally.clone(),
            chans.clone(),
            admin.clone(),
            agencies.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let mut rng = Rng::new(0x5eed_0000 + i);
                let (kind, path, body) = generate(i, &mut rng, &agencies);
                let len = body.len();
                let shown: String = if len <= 200 {
                    String::from_utf8_lossy(&body)
                        .chars()
                        .filter(|c| !c.is_control() || *c == '\0')
                        .collect::<String>()
                        .escape_debug()
                        .to_string()
                } else {
                    String::new()
                };
                let r = raw_unary(chans[service_of(path)].clone(), path, body, Some(&admin)).await;
                let code = match &r {
                    Ok(_) => Code::Ok,
                    Err(s) => s.code(),
                };
                let rpc = path.rsplit('/').next().unwrap_or(path);
                let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
                t.by_kind.entry(kind).or_default().add(code);
                t.by_rpc.entry(rpc).or_default().add(code);
                let internal = matches!(code, Code::Internal | Code::Unknown);
                if internal && t.internal.len() < 8 {
                    let msg = r.as_ref().err().map(|s| s.message()).unwrap_or_default();
                    t.internal.push(format!(
                        "call {i} {rpc} ({kind}, {len} bytes): {code:?} \"{}\"",
                        msg.chars().take(200).collect::<String>()
                    ));
                }
                if code == Code::Ok && t.accepted.len() < 8 {
                    t.accepted.push(format!(
                        "call {i} {rpc} ({kind}, {len} bytes: \"{shown}\") answered OK"
                    ));
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let secs = t.elapsed().as_secs_f64();
    // Let anything in flight settle, then read the state again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (panics, dead) = stack.health(ctx);
    let after = if dead.is_empty() {
        snapshot(&chans, &admin).await?
    } else {
        Vec::new()
    };
    let changed: Vec<&str> = before
        .iter()
        .zip(after.iter())
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.0)
        .collect();
    let t = std::mem::take(&mut *tally.lock().unwrap_or_else(|e| e.into_inner()));
    let mut all = Codes::default();
    for c in t.by_kind.values() {
        all.merge(c);
    }
    let internal = all.get(Code::Internal) + all.get(Code::Unknown);
    let ok = all.get(Code::Ok);
    let pass = internal == 0 && panics.is_empty() && dead.is_empty() && changed.is_empty();
    f.row(
        "3",
        "Generated bad inputs across 9 write RPCs of the 5 services",
        format!(
            "{} calls ({:.0} calls/s; {} kinds)",
            all.total(),
            all.total() as f64 / secs,
            t.by_kind.len()
        ),
        "0 INTERNAL/UNKNOWN, 0 panics, 0 services down, 0 rows stored",
        format!(
            "INTERNAL/UNKNOWN {internal}, answered OK {ok}, panics {}, services down {}, reads changed {}{}",
            panics.len(),
            dead.len(),
            if dead.is_empty() {
                changed.len().to_string()
            } else {
                "not read".into()
            },
            if changed.is_empty() {
                String::new()
            } else {
                format!(" ({})", changed.join(", "))
            }
        ),
        pass,
    );
    let mut lines = vec![format!("answers by code: {}", all.render())];
    for (k, c) in &t.by_kind {
        lines.push(format!("{k}: {}", c.render()));
    }
    for (k, c) in &t.by_rpc {
        lines.push(format!("{k}: {}", c.render()));
    }
    lines.extend(t.accepted.iter().map(|a| format!("accepted: {a}")));
    lines.extend(t.internal.iter().map(|a| format!("INTERNAL: {a}")));
    f.detail("3. Generated bad inputs", lines);
    for i in &t.internal {
        f.bug(format!("a caller's mistake answered INTERNAL/UNKNOWN: {i}"));
    }
    for p in panics.iter().take(5) {
        f.bug(format!("bad inputs: panic: {p}"));
    }
    if !dead.is_empty() {
        f.bug(format!(
            "bad inputs: services no longer running: {}",
            dead.join(", ")
        ));
    }
    if !changed.is_empty() {
        f.bug(format!(
            "bad inputs changed stored data: {} (accepted calls: {})",
            changed.join(", "),
            t.accepted.join("; ")
        ));
    }
    stack.stop().await;
    Ok(())
}
