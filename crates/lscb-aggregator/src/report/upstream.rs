//! Calls to the four data services: the only part of the report module that knows their
//! protobuf types. Each call carries the caller's bearer token and its own `grpc-timeout`
//! derived from the caller's remaining deadline (and capped by `upstream_timeout_ms`), and is
//! also bounded locally, so nothing hangs when a service is down or slow. Responses are
//! turned into pieces of the report model.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

use lscb_platform::Period;
use lscb_proto::audits::v1 as au;
use lscb_proto::common::v1 as common;
use lscb_proto::finance::v1 as fi;
use lscb_proto::indicators::v1 as ind;
use lscb_proto::training::v1 as tr;
use rust_decimal::Decimal;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Status};

use super::format;
use super::model::*;

pub mod board;

/// Largest response accepted from a data service.
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// Lazily connected channels to the four data services.
#[derive(Debug, Clone)]
pub struct Clients {
    indicators: Channel,
    audits: Channel,
    training: Channel,
    finance: Channel,
    /// Cap on each call's deadline.
    pub timeout: Duration,
}

fn lazy(url: &str) -> Channel {
    match Endpoint::from_shared(url.to_string()) {
        Ok(e) => e.connect_timeout(Duration::from_secs(2)).connect_lazy(),
        // A malformed URL: calls fail with UNAVAILABLE naming it.
        Err(_) => Endpoint::from_static("http://invalid.invalid:1").connect_lazy(),
    }
}

impl Clients {
    pub fn new(u: &lscb_platform::config::Upstreams) -> Self {
        Clients {
            indicators: lazy(&u.indicators_url),
            audits: lazy(&u.audits_url),
            training: lazy(&u.training_url),
            finance: lazy(&u.finance_url),
            timeout: Duration::from_millis(u.upstream_timeout_ms.max(1)),
        }
    }
}

/// Parses a `grpc-timeout` header value ("5000m", "10S", "1H").
pub fn parse_grpc_timeout(v: &str) -> Option<Duration> {
    if v.len() < 2 || v.len() > 9 {
        return None;
    }
    let (n, unit) = v.split_at(v.len() - 1);
    let n: u64 = n.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// The deadline of upstream calls made for one incoming request, and the caller's token.
#[derive(Debug, Clone)]
pub struct CallCtx {
    auth: Option<MetadataValue<Ascii>>,
    deadline: Instant,
}

impl CallCtx {
    /// From the incoming request: its `authorization` header and its `grpc-timeout` (less a
    /// margin for rendering), capped by `cap`.
    pub fn from_request<T>(req: &Request<T>, cap: Duration) -> Self {
        let auth = req.metadata().get("authorization").cloned();
        let caller = req
            .metadata()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout)
            // Keep a tenth (at most 1 s) for assembling and rendering.
            .map(|d| d.saturating_sub((d / 10).min(Duration::from_secs(1))));
        let budget = caller.map_or(cap, |c| c.min(cap));
        CallCtx {
            auth,
            deadline: Instant::now() + budget,
        }
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// A request carrying the token and `grpc-timeout` of the remaining time.
    fn req<T>(&self, msg: T) -> Request<T> {
        let mut r = Request::new(msg);
        r.set_timeout(self.remaining());
        if let Some(a) = &self.auth {
            r.metadata_mut().insert("authorization", a.clone());
        }
        r
    }

    /// Runs one call, bounded locally by the remaining time too.
    async fn call<T>(
        &self,
        fut: impl std::future::Future<Output = Result<tonic::Response<T>, Status>>,
    ) -> Result<T, Status> {
        let rem = self.remaining();
        if rem.is_zero() {
            return Err(Status::deadline_exceeded(
                "no time left before the deadline",
            ));
        }
        match tokio::time::timeout(rem, fut).await {
            // tonic enforces the request's timeout itself and reports it as CANCELLED.
            Ok(Err(s)) if s.code() == Code::Cancelled && s.message().contains("Timeout") => Err(
                Status::deadline_exceeded(format!("no answer within {} ms", rem.as_millis())),
            ),
            Ok(r) => r.map(|r| r.into_inner()),
            Err(_) => Err(Status::deadline_exceeded(format!(
                "no answer within {} ms",
                rem.as_millis()
            ))),
        }
    }
}

/// Why a source failed, as the report prints it.
pub fn describe(s: &Status) -> String {
    match s.code() {
        Code::DeadlineExceeded => format!("deadline exceeded: {}", s.message()),
        Code::Unavailable => "unavailable (the service did not answer)".to_string(),
        Code::Cancelled => "cancelled".to_string(),
        c => format!("{c:?}: {}", s.message()),
    }
}

fn per(p: &Period) -> Option<common::Period> {
    Some(common::Period {
        code: p.to_string(),
    })
}

fn dec(s: &str) -> Option<Decimal> {
    let t = s.trim();
    if t.is_empty() {
        None
    } else {
        Decimal::from_str(t).ok()
    }
}

fn pdec(d: &Option<common::Decimal>) -> Option<Decimal> {
    d.as_ref().and_then(|d| dec(&d.value))
}

/// NOT_FOUND as "nothing recorded".
fn optional<T>(r: Result<T, Status>) -> Result<Option<T>, Status> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(s) if s.code() == Code::NotFound => Ok(None),
        Err(s) => Err(s),
    }
}

// ------------------------------------------------------------------------- indicators

/// What the report takes from the indicators service.
#[derive(Debug, Clone, Default)]
pub struct IndicatorsData {
    pub figures: Vec<Figure>,
    /// (agency code, what is missing).
    pub missing: Vec<(String, String)>,
}

fn unit(u: i32) -> Unit {
    match ind::Unit::try_from(u) {
        Ok(ind::Unit::Count) => Unit::Count,
        Ok(ind::Unit::Percent) => Unit::Percent,
        Ok(ind::Unit::RatePer10000) => Unit::Rate,
        Ok(ind::Unit::Days) => Unit::Days,
        Ok(ind::Unit::Ratio) => Unit::Ratio,
        _ => Unit::Other,
    }
}

fn polarity(p: i32) -> Polarity {
    match ind::Polarity::try_from(p) {
        Ok(ind::Polarity::HigherIsBetter) => Polarity::HigherIsBetter,
        Ok(ind::Polarity::LowerIsBetter) => Polarity::LowerIsBetter,
        Ok(ind::Polarity::WithinBand) => Polarity::WithinBand,
        _ => Polarity::Neutral,
    }
}

fn rag(r: i32) -> Option<Rag> {
    match ind::Rag::try_from(r) {
        Ok(ind::Rag::Red) => Some(Rag::Red),
        Ok(ind::Rag::Amber) => Some(Rag::Amber),
        Ok(ind::Rag::Green) => Some(Rag::Green),
        _ => None,
    }
}

fn comparator(c: i32) -> &'static str {
    match ind::Comparator::try_from(c) {
        Ok(ind::Comparator::England) => "England",
        Ok(ind::Comparator::StatisticalNeighbours) => "Statistical neighbours",
        Ok(ind::Comparator::Region) => "Region",
        _ => "Benchmark",
    }
}

fn figure_from_row(r: &ind::ScorecardRow, year: &Period, year_label: &str) -> Figure {
    let u = unit(r.unit);
    let pol = polarity(r.polarity);
    let value = dec(&r.value);
    let previous = dec(&r.previous_value);
    let direction = match value {
        Some(v) => format::direction(v, previous),
        None => Direction::Unknown,
    };
    // Direction of travel: the indicators service's judgement (it knows the tolerance),
    // else our own.
    let travel = match ind::Direction::try_from(r.direction) {
        Ok(ind::Direction::Improving) => Travel::Improving,
        Ok(ind::Direction::Declining) => Travel::Worsening,
        Ok(ind::Direction::NoChange) => Travel::NoChange,
        Ok(ind::Direction::NotJudged) => Travel::NotApplicable,
        _ => format::travel(direction, pol),
    };
    let change_pct = match (value, previous) {
        (Some(v), Some(p)) => format::change_pct(v, p),
        _ => None,
    };
    let target = r
        .target
        .as_ref()
        .and_then(|t| dec(&t.value).or_else(|| dec(&t.band_high)));
    let benchmarks = r
        .benchmarks
        .iter()
        .filter_map(|b| {
            Some(Benchmark {
                name: comparator(b.comparator).to_string(),
                value: dec(&b.value)?,
                period: b
                    .period
                    .as_ref()
                    .map(|p| p.code.clone())
                    .unwrap_or_default(),
            })
        })
        .collect();
    let mut tags: Vec<String> = r.priorities.clone();
    tags.extend(r.themes.iter().cloned());
    if !r.question.is_empty() {
        tags.push(r.question.clone());
    }
    let sentence = format::sentence(&format::SentenceInput {
        title: &r.title,
        unit: u,
        polarity: pol,
        value,
        previous,
        year_label,
    });
    // The year's figures of its breakdown, each with its change (e.g. LADO referrals by
    // source).
    let parts: Vec<super::breakdown::Part> = r
        .breakdown
        .iter()
        .filter(|b| !b.breakdown_value.is_empty())
        .map(|b| super::breakdown::Part {
            value: b.breakdown_value.clone(),
            current: dec(&b.value),
            previous: dec(&b.previous_value),
        })
        .collect();
    let by = super::breakdown::sentence(&r.title, &r.breakdown_dimension, u, &parts);
    let sentence = if by.is_empty() {
        sentence
    } else {
        format!("{sentence} {by}")
    };
    Figure {
        code: r.code.clone(),
        name: r.title.clone(),
        unit: u,
        polarity: pol,
        period: year.to_string(),
        value,
        previous,
        change_pct,
        direction,
        travel,
        rag: rag(r.rag),
        target,
        benchmarks,
        sentence,
        source: Source {
            service: "indicators".into(),
            record: format!(
                "indicator {} v{}",
                r.code,
                r.source.as_ref().map_or(0, |s| s.definition_version)
            ),
            period: year.to_string(),
        },
        trend: vec![],
        by_agency: vec![],
        tags,
        latest_earlier: None,
        projections: vec![],
    }
}

/// Quarters or months of the previous and the report year, for a trend line.
fn trend_range(year: &Period, periods_expected: u32) -> Option<(String, String)> {
    let prev = year.previous();
    match periods_expected {
        4 => Some((format!("{prev}-Q1"), format!("{year}-Q4"))),
        12 => {
            let s = prev.financial_year_start();
            Some((format!("{s}-04"), format!("{}-03", s + 2)))
        }
        _ => None,
    }
}

/// Whether a failed `GetSeries` only means that the indicator has no such series (no chart),
/// rather than that the service failed to answer.
fn trend_is_absent(s: &Status) -> bool {
    matches!(
        s.code(),
        Code::NotFound | Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange
    )
}

pub async fn fetch_indicators(
    c: &Clients,
    ctx: &CallCtx,
    year: &Period,
    year_label: &str,
) -> Result<IndicatorsData, Status> {
    let mut client =
        ind::indicator_service_client::IndicatorServiceClient::new(c.indicators.clone())
            .max_decoding_message_size(MAX_MESSAGE);
    let mut c2 = client.clone();
    let (score, completeness) = tokio::join!(
        ctx.call(client.get_scorecard(ctx.req(ind::GetScorecardRequest {
            year: per(year),
            priority: String::new(),
            theme: String::new(),
        }))),
        ctx.call(c2.get_completeness(ctx.req(ind::GetCompletenessRequest {
            year: per(year),
            agency_code: String::new(),
            indicator_code: String::new(),
            // Judge deadlines at the end of the year's reporting window.
            as_of: String::new(),
        })))
    );
    let score = score?;
    let completeness = completeness?;
    let mut figures: Vec<Figure> = score
        .rows
        .iter()
        .map(|r| figure_from_row(r, year, year_label))
        .collect();
    // Trend lines for periodic indicators of the strategic priorities.
    let wanted: Vec<(usize, String, String)> = score
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.priorities
                .iter()
                .any(|p| super::assemble::PRIORITIES.iter().any(|(k, _)| k == p))
        })
        .filter_map(|(i, r)| trend_range(year, r.periods_expected).map(|(f, t)| (i, f, t)))
        .collect();
    let calls = wanted.iter().map(|(i, from, to)| {
        let mut cl = client.clone();
        let code = score.rows[*i].code.clone();
        async move {
            let r = ctx
                .call(cl.get_series(ctx.req(ind::GetSeriesRequest {
                    indicator_code: code,
                    from: Some(common::Period { code: from.clone() }),
                    to: Some(common::Period { code: to.clone() }),
                    agency_code: String::new(),
                    breakdown_value: String::new(),
                    all_breakdown_values: false,
                    granularity: 0,
                })))
                .await;
            (*i, r)
        }
    });
    for (i, r) in futures::future::join_all(calls).await {
        // An indicator with no series of that shape has no chart; any other failure (busy
        // database, reset stream, deadline) fails the source, so that the report says it is
        // incomplete instead of silently dropping the trend tables' figures.
        let r = match r {
            Ok(r) => r,
            Err(s) if trend_is_absent(&s) => continue,
            Err(s) => return Err(s),
        };
        if let Some(line) = r.lines.iter().find(|l| l.breakdown_value.is_empty()) {
            figures[i].trend = line
                .points
                .iter()
                .filter_map(|p| {
                    Some(Point {
                        period: p.period.as_ref()?.code.clone(),
                        value: dec(&p.value)?,
                    })
                })
                .collect();
        }
    }
    // Part 1's context indicators over the years around the report year: the latest
    // earlier value when the year has none, and projections (`context_series`).
    let (from, to) = super::context_series::window(year);
    let around = score
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.priorities.iter().any(|p| p == "context"))
        .map(|(i, r)| {
            let mut cl = client.clone();
            let code = r.code.clone();
            async move {
                let r = ctx
                    .call(cl.get_series(ctx.req(ind::GetSeriesRequest {
                        indicator_code: code,
                        from: per(&from),
                        to: per(&to),
                        agency_code: String::new(),
                        breakdown_value: String::new(),
                        all_breakdown_values: false,
                        granularity: ind::Frequency::Annual as i32,
                    })))
                    .await;
                (i, r)
            }
        });
    for (i, r) in futures::future::join_all(around).await {
        let r = match r {
            Ok(r) => r,
            Err(s) if trend_is_absent(&s) => continue,
            Err(s) => return Err(s),
        };
        let points: Vec<Point> = r
            .lines
            .iter()
            .find(|l| l.breakdown_value.is_empty())
            .map(|l| {
                l.points
                    .iter()
                    .filter_map(|p| {
                        Some(Point {
                            period: p.period.as_ref()?.code.clone(),
                            value: dec(&p.value)?,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        super::context_series::apply(&mut figures[i], &points, year, year_label);
        // The benchmarks of the year shown in its place (e.g. the UK child poverty rate).
        if let Some(p) = &figures[i].latest_earlier
            && figures[i].benchmarks.is_empty()
            && let Some(pt) = r.lines.iter().flat_map(|l| &l.points).find(|x| {
                x.period.as_ref().is_some_and(|q| q.code == p.period) && !x.benchmarks.is_empty()
            })
        {
            figures[i].benchmarks = pt
                .benchmarks
                .iter()
                .filter_map(|b| {
                    Some(Benchmark {
                        name: comparator(b.comparator).to_string(),
                        value: dec(&b.value)?,
                        period: b
                            .period
                            .as_ref()
                            .map(|p| p.code.clone())
                            .unwrap_or_default(),
                    })
                })
                .collect();
        }
    }
    let missing = completeness
        .items
        .iter()
        .filter(|i| i.status == ind::CompletenessStatus::Missing as i32)
        .map(|i| {
            (
                i.agency_code.clone(),
                format!(
                    "indicator {} for {}",
                    i.indicator_code,
                    i.period.as_ref().map(|p| p.code.as_str()).unwrap_or("")
                ),
            )
        })
        .collect();
    Ok(IndicatorsData { figures, missing })
}

// ------------------------------------------------------------------------- audits

#[derive(Debug, Clone, Default)]
pub struct AuditsData {
    pub audits: Vec<AuditSummary>,
    /// Audit id → priority key, for actions.
    pub audit_priority: BTreeMap<String, String>,
    pub inspections: Vec<Inspection>,
    pub section11: Option<Section11>,
    pub section175: Option<Section175>,
    pub attendance: Option<Attendance>,
    pub reviews: Vec<LearningReview>,
    pub actions: Vec<(ActionItem, String, String)>,
    /// Statutory agencies with no Section 11 return.
    pub s11_missing: Vec<String>,
    /// Statutory agencies with no assurance letter for the year.
    pub letters_missing: Vec<String>,
    /// Practitioner surveys that ran in the year.
    pub surveys: Vec<Survey>,
    /// Programmes of repeated audits with audits in the year, their cases of the year.
    pub programmes: Vec<AuditProgramme>,
    /// The board's own record: business plan, governance register, child death reviews.
    pub board: super::model::board::BoardRecord,
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

fn audit_kind(t: i32) -> &'static str {
    match au::AuditType::try_from(t) {
        Ok(au::AuditType::MultiAgencyCaseFile) => "multi_agency_case_file",
        Ok(au::AuditType::SingleAgency) => "single_agency",
        Ok(au::AuditType::Thematic) => "thematic",
        Ok(au::AuditType::FrontDoorReferral) => "front_door_referral",
        Ok(au::AuditType::ReReferral) => "re_referral",
        _ => "other",
    }
}

fn grade_name(g: i32) -> &'static str {
    match au::Grade::try_from(g) {
        Ok(au::Grade::Outstanding) => "outstanding",
        Ok(au::Grade::Good) => "good",
        Ok(au::Grade::RequiresImprovement) => "requires improvement",
        Ok(au::Grade::Inadequate) => "inadequate",
        _ => "ungraded",
    }
}

fn action_status(s: i32) -> &'static str {
    match au::ActionStatus::try_from(s) {
        Ok(au::ActionStatus::Open) => "open",
        Ok(au::ActionStatus::InProgress) => "in progress",
        Ok(au::ActionStatus::Completed) => "completed",
        Ok(au::ActionStatus::NotAccepted) => "not accepted",
        _ => "unknown",
    }
}

fn source_kind(s: i32) -> &'static str {
    match au::SourceKind::try_from(s) {
        Ok(au::SourceKind::Audit) => "audit",
        Ok(au::SourceKind::Inspection) => "inspection",
        Ok(au::SourceKind::LearningReview) => "learning_review",
        Ok(au::SourceKind::Section11) => "section11",
        _ => "other",
    }
}

/// Items asked for per page when reading a list (the services' largest page).
const PAGE_SIZE: u32 = 1000;

/// A list response that comes in pages.
trait Paged {
    fn next_token(&self) -> String;
    /// Appends the items of a later page.
    fn append(&mut self, later: Self);
}

macro_rules! paged {
    ($($response:ty => $items:ident),* $(,)?) => {$(
        impl Paged for $response {
            fn next_token(&self) -> String {
                self.page.as_ref().map(|p| p.next_page_token.clone()).unwrap_or_default()
            }
            fn append(&mut self, later: Self) {
                self.$items.extend(later.$items);
            }
        }
    )*};
}

paged!(
    au::ListAuditsResponse => audits,
    au::ListInspectionsResponse => inspections,
    au::ListLearningReviewsResponse => reviews,
    au::ListActionsResponse => actions,
);

/// Reads a list to the end: `call` asks for one page; the pages are followed by their
/// `next_page_token` until the service says there are no more, and their items joined in
/// order. A token the service gives twice fails the read rather than looping.
async fn all_pages<R, F, Fut>(ctx: &CallCtx, page_size: u32, mut call: F) -> Result<R, Status>
where
    R: Paged,
    F: FnMut(Option<common::PageRequest>) -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<R>, Status>>,
{
    let page = |token: String| {
        Some(common::PageRequest {
            page_size,
            page_token: token,
        })
    };
    let mut all = ctx.call(call(page(String::new()))).await?;
    let mut token = all.next_token();
    let mut seen = std::collections::HashSet::new();
    while !token.is_empty() {
        if !seen.insert(token.clone()) {
            return Err(Status::internal(format!(
                "the list repeated its page token {token:?}"
            )));
        }
        let next = ctx.call(call(page(token))).await?;
        token = next.next_token();
        all.append(next);
    }
    Ok(all)
}

pub async fn fetch_audits(
    c: &Clients,
    ctx: &CallCtx,
    year: &Period,
    agency_name: &(dyn Fn(&str) -> String + Sync),
) -> Result<AuditsData, Status> {
    let ch = c.audits.clone();
    let audits_c = au::audit_service_client::AuditServiceClient::new(ch.clone())
        .max_decoding_message_size(MAX_MESSAGE);
    let insp_c = au::inspection_service_client::InspectionServiceClient::new(ch.clone())
        .max_decoding_message_size(MAX_MESSAGE);
    let lr_c = au::learning_review_service_client::LearningReviewServiceClient::new(ch.clone())
        .max_decoding_message_size(MAX_MESSAGE);
    let mut lr_c2 = lr_c.clone();
    let act_c = au::action_service_client::ActionServiceClient::new(ch.clone())
        .max_decoding_message_size(MAX_MESSAGE);
    let mut s11_c = au::section11_service_client::Section11ServiceClient::new(ch.clone())
        .max_decoding_message_size(MAX_MESSAGE);
    let mut s175_c = au::section175_service_client::Section175ServiceClient::new(ch.clone())
        .max_decoding_message_size(MAX_MESSAGE);
    let mut gov_c = au::governance_service_client::GovernanceServiceClient::new(ch.clone())
        .max_decoding_message_size(MAX_MESSAGE);
    let mut gov_c2 = gov_c.clone();
    let mut survey_c = au::survey_service_client::SurveyServiceClient::new(ch.clone())
        .max_decoding_message_size(MAX_MESSAGE);
    let year_end = year.last_day().to_string();
    let (
        audits,
        inspections,
        reviews,
        implementation,
        actions,
        s11,
        s175,
        matrix,
        documents,
        surveys,
    ) =
        tokio::join!(
            all_pages(ctx, PAGE_SIZE, |page| {
                let mut c = audits_c.clone();
                let r = ctx.req(au::ListAuditsRequest {
                    r#type: 0,
                    programme: String::new(),
                    status: 0,
                    within: per(year),
                    page,
                });
                async move { c.list_audits(r).await }
            }),
            all_pages(ctx, PAGE_SIZE, |page| {
                let mut c = insp_c.clone();
                let r = ctx.req(au::ListInspectionsRequest {
                    inspectorate: 0,
                    agency: String::new(),
                    within: per(year),
                    page,
                });
                async move { c.list_inspections(r).await }
            }),
            all_pages(ctx, PAGE_SIZE, |page| {
                let mut c = lr_c.clone();
                let r = ctx.req(au::ListLearningReviewsRequest {
                    r#type: 0,
                    status: 0,
                    page,
                });
                async move { c.list_learning_reviews(r).await }
            }),
            ctx.call(lr_c2.get_implementation_summary(ctx.req(
                au::GetImplementationSummaryRequest {
                    source_kind: au::SourceKind::LearningReview as i32,
                    as_of: year_end.clone(),
                }
            ))),
            all_pages(ctx, PAGE_SIZE, |page| {
                let mut c = act_c.clone();
                let r = ctx.req(au::ListActionsRequest {
                    owner_agency: String::new(),
                    source_kind: 0,
                    source_id: String::new(),
                    status: 0,
                    overdue_only: false,
                    as_of: year_end.clone(),
                    page,
                });
                async move { c.list_actions(r).await }
            }),
            ctx.call(s11_c.get_section11_summary(
                ctx.req(au::GetSection11SummaryRequest { cycle: per(year) })
            )),
            ctx.call(s175_c.get_section175_completion(ctx.req(
                au::GetSection175CompletionRequest {
                    year: per(year),
                    earlier_years: 0,
                }
            ))),
            ctx.call(gov_c.get_attendance_matrix(
                ctx.req(au::GetAttendanceMatrixRequest { period: per(year) })
            )),
            ctx.call(gov_c2.get_assurance_documents(
                ctx.req(au::GetAssuranceDocumentsRequest { year: per(year) })
            )),
            // All years: the year's surveys, and the earlier ones they are compared with.
            ctx.call(survey_c.list_surveys(ctx.req(au::ListSurveysRequest {
                series: String::new(),
                year: None,
            }))),
        );
    let audits = audits?;
    let inspections = optional(inspections)?;
    let reviews = optional(reviews)?;
    let implementation = optional(implementation)?;
    let actions = optional(actions)?;
    let s11 = optional(s11)?;
    let s175 = optional(s175)?;
    let matrix = optional(matrix)?;
    let documents = optional(documents)?;
    let surveys = optional(surveys)?.map(|s| s.surveys).unwrap_or_default();
    let letters: BTreeMap<String, bool> = documents
        .as_ref()
        .map(|d| {
            d.agencies
                .iter()
                .map(|a| (a.agency.clone(), a.assurance_letter_received))
                .collect()
        })
        .unwrap_or_default();

    let mut out = AuditsData {
        surveys: fetch_surveys(&survey_c, ctx, year, &surveys).await?,
        board: board::fetch(&ch, ctx, year).await?,
        ..Default::default()
    };
    // Programmes of repeated audits, in the order of their first audit of the year.
    let mut programmes: Vec<String> = Vec::new();
    for a in &audits.audits {
        if !a.programme.is_empty() && !programmes.contains(&a.programme) {
            programmes.push(a.programme.clone());
        }
    }
    for p in &programmes {
        let trend =
            optional(
                ctx.call(audits_c.clone().get_programme_trend(ctx.req(
                    au::GetProgrammeTrendRequest {
                        programme: p.clone(),
                    },
                )))
                .await,
            )?;
        if let Some(t) = trend
            && let Some(p) = programme_of_year(&t, year)
        {
            out.programmes.push(p);
        }
    }
    // Summaries of the year's audits that have cases.
    let calls = audits.audits.iter().filter(|a| a.case_count > 0).map(|a| {
        let mut cl = audits_c.clone();
        let id = a.id.clone();
        async move {
            ctx.call(cl.get_audit_summary(ctx.req(au::GetAuditSummaryRequest { audit_id: id })))
                .await
        }
    });
    for s in futures::future::join_all(calls).await {
        let s = s?;
        let Some(a) = s.audit.as_ref() else { continue };
        let overall = s.overall.clone().unwrap_or_default();
        let requiring: u32 = overall
            .grades
            .iter()
            .filter(|g| {
                g.grade == au::Grade::RequiresImprovement as i32
                    || g.grade == au::Grade::Inadequate as i32
            })
            .map(|g| g.count)
            .sum();
        let priority = Some(slug(&a.strategic_priority)).filter(|p| !p.is_empty());
        if let Some(p) = &priority {
            out.audit_priority.insert(a.id.clone(), p.clone());
        }
        out.audits.push(AuditSummary {
            reference: a.id.clone(),
            title: a.title.clone(),
            kind: audit_kind(a.r#type).to_string(),
            cases: overall.graded.max(s.case_count),
            requiring_improvement: requiring,
            grades: overall
                .grades
                .iter()
                .map(|g| (grade_name(g.grade).to_string(), g.count))
                .collect(),
            sentence: format::audit_sentence(&a.title, requiring, overall.graded),
            priority,
            source: Source {
                service: "audits".into(),
                record: format!("audit {}", a.id),
                period: a
                    .period
                    .as_ref()
                    .map(|p| p.code.clone())
                    .unwrap_or_default(),
            },
        });
    }
    if let Some(ins) = inspections {
        out.inspections = ins
            .inspections
            .iter()
            .map(|i| Inspection {
                inspectorate: match au::Inspectorate::try_from(i.inspectorate) {
                    Ok(au::Inspectorate::Cqc) => "CQC".into(),
                    Ok(au::Inspectorate::Hmic) => "HMIC".into(),
                    Ok(au::Inspectorate::Ofsted) => "Ofsted".into(),
                    _ => i.inspectorate_name.clone(),
                },
                subject: if i.title.is_empty() {
                    agency_name(&i.agency)
                } else {
                    format!("{} – {}", agency_name(&i.agency), i.title)
                },
                date: i.inspection_date.clone(),
                judgement: i.judgement.clone(),
                summary: i.key_findings.join(" "),
            })
            .collect();
    }
    let year_end_date = year.last_day();
    if let Some(r) = reviews {
        let imp: BTreeMap<String, au::SourceImplementation> = implementation
            .map(|s| {
                s.sources
                    .into_iter()
                    .map(|x| (x.source_id.clone(), x))
                    .collect()
            })
            .unwrap_or_default();
        for lr in r.reviews.iter().filter(|lr| {
            chrono::NaiveDate::parse_from_str(&lr.commissioned_date, "%Y-%m-%d")
                .map(|d| d <= year_end_date)
                .unwrap_or(true)
        }) {
            let i = imp.get(&lr.id);
            let actions = i.map_or(0, |i| i.actions);
            let done = i.map_or(0, |i| i.actions_completed);
            out.reviews.push(LearningReview {
                reference: lr.reference.clone(),
                title: lr.title.clone(),
                kind: match au::LearningReviewType::try_from(lr.r#type) {
                    Ok(au::LearningReviewType::SeriousCaseReview) => "SCR",
                    Ok(au::LearningReviewType::LearningLessonsReview) => "LLR",
                    Ok(au::LearningReviewType::DomesticHomicideReview) => "DHR",
                    Ok(au::LearningReviewType::ChildSafeguardingPracticeReview) => "CSPR",
                    _ => "review",
                }
                .into(),
                status: match au::LearningReviewStatus::try_from(lr.status) {
                    Ok(au::LearningReviewStatus::Commissioned) => "commissioned",
                    Ok(au::LearningReviewStatus::InProgress) => "in progress",
                    Ok(au::LearningReviewStatus::Completed) => "completed",
                    Ok(au::LearningReviewStatus::Published) => "published",
                    _ => "unknown",
                }
                .into(),
                published: Some(lr.publication_date.clone()).filter(|d| !d.is_empty()),
                recommendations: lr.recommendations.len() as u32,
                actions_complete: done,
                actions_open: actions.saturating_sub(done),
                actions_overdue: i.map_or(0, |i| i.actions_overdue),
            });
        }
    }
    if let Some(a) = actions {
        out.actions = a
            .actions
            .iter()
            .map(|x| {
                (
                    ActionItem {
                        reference: x.id.clone(),
                        title: x.description.clone(),
                        status: action_status(x.status).into(),
                        due: Some(x.due_date.clone()).filter(|d| !d.is_empty()),
                        overdue: x.overdue,
                        priority: None,
                        owner: Some(agency_name(&x.owner_agency)).filter(|o| !o.is_empty()),
                    },
                    source_kind(x.source_kind).to_string(),
                    x.source_id.clone(),
                )
            })
            .collect();
    }
    if let Some(s) = s11 {
        let returned = s.submitted + s.regional;
        let rows = s
            .agencies
            .iter()
            .map(|a| Section11Row {
                agency: a.agency.clone(),
                agency_name: a.agency_name.clone(),
                rating: match au::Section11ReturnStatus::try_from(a.status) {
                    Ok(au::Section11ReturnStatus::Submitted) => "submitted".into(),
                    Ok(au::Section11ReturnStatus::Regional) => {
                        format!("covered by a regional return ({})", a.regional_body)
                    }
                    _ => "not submitted".into(),
                },
                assurance_letter: letters.get(&a.agency).copied(),
            })
            .collect();
        out.s11_missing = s.not_returned.clone();
        out.section11 = Some(Section11 {
            expected: s.statutory_agencies,
            returned,
            rows,
            missing: s.not_returned.iter().map(|c| agency_name(c)).collect(),
            sentence: format!(
                "{} of {} statutory agencies ({}) completed a Section 11 self-assessment{}.{}",
                returned,
                s.statutory_agencies,
                format::percent(
                    format::share_pct(returned.into(), s.statutory_agencies.into())
                        .unwrap_or_default()
                ),
                if s.regional > 0 {
                    format!(", {} of them through a regional return", s.regional)
                } else {
                    String::new()
                },
                match &documents {
                    Some(d) if d.statutory_agencies > 0 => format!(
                        " {} of {} sent an assurance letter from their chief executive or chair, and {} an annual report.",
                        d.assurance_letters_received,
                        d.statutory_agencies,
                        d.annual_reports_received
                    ),
                    _ => String::new(),
                }
            ),
        });
    }
    if let Some(d) = &documents {
        out.letters_missing = d
            .agencies
            .iter()
            .filter(|a| !a.assurance_letter_received)
            .map(|a| a.agency.clone())
            .collect();
    }
    if let Some(s) = s175
        && let Some(o) = s.overall.as_ref()
    {
        let pct = pdec(&o.rate);
        out.section175 = Some(Section175 {
            schools_expected: o.expected,
            returned: o.completed,
            completion_pct: pct,
            sentence: format!(
                "{} of {} schools and settings ({}) completed the Section 175 self-assessment.",
                format::count(o.completed.into()),
                format::count(o.expected.into()),
                pct.map(format::percent).unwrap_or_else(|| "n/a".into())
            ),
        });
    }
    if let Some(m) = matrix {
        let mut bodies = m.bodies.clone();
        bodies.sort_by_key(|b| b.position);
        let forums: Vec<String> = bodies.iter().map(|b| b.name.clone()).collect();
        let rows = m
            .rows
            .iter()
            .map(|r| AttendanceRow {
                agency: r.agency.clone(),
                agency_name: r.agency_name.clone(),
                cells: bodies
                    .iter()
                    .map(|b| {
                        r.cells
                            .iter()
                            .find(|c| c.body_code == b.code)
                            .map(|c| AttendanceCell {
                                rating: match au::AttendanceRating::try_from(c.rating) {
                                    Ok(au::AttendanceRating::Green) => AttendanceRating::Green,
                                    Ok(au::AttendanceRating::Blue) => AttendanceRating::Blue,
                                    _ => AttendanceRating::Red,
                                },
                                meetings: c.meetings,
                                attended_named: c.named_attended,
                                attended_any: c.attended,
                            })
                    })
                    .collect(),
            })
            .collect();
        out.attendance = Some(Attendance { forums, rows });
    }
    Ok(out)
}

/// Results of the surveys that ran in `year`, each question with the previous survey of
/// its series ("against 50% in 2013").
async fn fetch_surveys(
    client: &au::survey_service_client::SurveyServiceClient<Channel>,
    ctx: &CallCtx,
    year: &Period,
    all: &[au::PractitionerSurvey],
) -> Result<Vec<Survey>, Status> {
    let year_code = year.to_string();
    let mut of_year: Vec<&au::PractitionerSurvey> = all
        .iter()
        .filter(|s| s.year.as_ref().is_some_and(|y| y.code == year_code))
        .collect();
    of_year.sort_by(|a, b| (&a.conducted_on, &a.code).cmp(&(&b.conducted_on, &b.code)));
    let calls = of_year.iter().map(|s| {
        let mut cl = client.clone();
        let code = s.code.clone();
        async move {
            ctx.call(cl.get_survey_results(ctx.req(au::GetSurveyResultsRequest { code })))
                .await
        }
    });
    let mut out = Vec::new();
    for r in futures::future::join_all(calls).await {
        let Some(r) = optional(r)? else { continue };
        let Some(s) = r.survey.as_ref() else { continue };
        // When the previous survey ran, as printed: the year it was conducted in.
        let when = |code: &str, year: &Option<common::Period>| -> Option<String> {
            all.iter()
                .find(|x| x.code == code)
                .and_then(|x| x.conducted_on.get(..4).map(str::to_string))
                .filter(|y| y.chars().all(|c| c.is_ascii_digit()))
                .or_else(|| year.as_ref().map(|p| p.code.replacen('-', "/", 1)))
        };
        let questions: Vec<SurveyQuestion> = r
            .questions
            .iter()
            .map(|q| {
                let previous_yes_share = pdec(&q.previous_yes_share);
                SurveyQuestion {
                    code: q.code.clone(),
                    text: q.text.clone(),
                    yes_share: pdec(&q.yes_share),
                    previous_label: previous_yes_share
                        .and_then(|_| when(&q.previous_survey_code, &q.previous_year)),
                    previous_yes_share,
                    change: pdec(&q.change),
                }
            })
            .collect();
        let answers: Vec<format::SurveyAnswer<'_>> = questions
            .iter()
            .map(|q| format::SurveyAnswer {
                text: &q.text,
                yes_share: q.yes_share,
                previous: q.previous_yes_share.zip(q.previous_label.as_deref()),
            })
            .collect();
        let sentence = format::survey_sentence(s.respondents, s.organisations, &answers);
        out.push(Survey {
            code: s.code.clone(),
            series: s.series.clone(),
            title: s.title.clone(),
            conducted_on: s.conducted_on.clone(),
            respondents: s.respondents,
            organisations: s.organisations,
            sentence,
            questions,
            source: Source {
                service: "audits".into(),
                record: format!("survey {}", s.code),
                period: year_code.clone(),
            },
        });
    }
    Ok(out)
}

/// The longest common start of the titles, cut back to a whole word: "Front Door Reference
/// Group referral audit" from "... audit 2015-04", "... audit 2015-05".
fn common_title(titles: &[&str]) -> String {
    let Some(first) = titles.first() else {
        return String::new();
    };
    let mut end = first.len();
    for t in &titles[1..] {
        end = first
            .char_indices()
            .zip(t.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(end);
    }
    let mut prefix = &first[..end];
    if end < first.len() && !first[end..].starts_with(' ') {
        prefix = prefix.rsplit_once(' ').map_or("", |(a, _)| a);
    }
    prefix
        .trim()
        .trim_end_matches([' ', '-', '–', ':'])
        .trim()
        .to_string()
}

/// The programme's audits within `year`, all their cases together, and how the grade shares
/// moved from the first of them to the last. `None` when none fall in the year.
fn programme_of_year(t: &au::ProgrammeTrend, year: &Period) -> Option<AuditProgramme> {
    let points: Vec<&au::TrendPoint> = t
        .points
        .iter()
        .filter(|p| {
            p.period
                .as_ref()
                .and_then(|x| Period::parse(&x.code).ok())
                .is_some_and(|x| year.contains(&x))
        })
        .collect();
    let (first, last) = (points.first()?, points.last()?);
    let order = [
        au::Grade::Outstanding,
        au::Grade::Good,
        au::Grade::RequiresImprovement,
        au::Grade::Inadequate,
    ];
    let share_in = |p: &au::TrendPoint, g: au::Grade| -> Option<Decimal> {
        p.overall
            .as_ref()?
            .grades
            .iter()
            .find(|x| x.grade == g as i32)
            .and_then(|x| pdec(&x.share))
    };
    let grades: Vec<ProgrammeGrade> = order
        .iter()
        .map(|g| {
            let n: u32 = points
                .iter()
                .filter_map(|p| p.overall.as_ref())
                .flat_map(|o| o.grades.iter())
                .filter(|x| x.grade == *g as i32)
                .map(|x| x.count)
                .sum();
            ProgrammeGrade {
                grade: grade_name(*g as i32).to_string(),
                count: n,
                share: None,
                change: match (share_in(first, *g), share_in(last, *g)) {
                    (Some(a), Some(b)) if points.len() > 1 => Some(b - a),
                    _ => None,
                },
            }
        })
        .collect();
    let graded: u32 = grades.iter().map(|g| g.count).sum();
    let grades: Vec<ProgrammeGrade> = grades
        .into_iter()
        .map(|g| ProgrammeGrade {
            share: if graded > 0 {
                Some(format::round(
                    Decimal::from(g.count) / Decimal::from(graded) * Decimal::ONE_HUNDRED,
                    1,
                ))
            } else {
                None
            },
            ..g
        })
        .collect();
    let cases: u32 = points.iter().map(|p| p.case_count).sum::<u32>().max(graded);
    let titles: Vec<&str> = points.iter().map(|p| p.title.as_str()).collect();
    let title = Some(common_title(&titles))
        .filter(|t| !t.is_empty() && points.len() > 1)
        .unwrap_or_else(|| t.programme.clone());
    let period = |p: &au::TrendPoint| {
        p.period
            .as_ref()
            .map(|x| x.code.clone())
            .unwrap_or_default()
    };
    let (first_period, last_period) = (period(first), period(last));
    let inputs: Vec<format::ProgrammeGradeInput<'_>> = grades
        .iter()
        .map(|g| format::ProgrammeGradeInput {
            grade: &g.grade,
            count: g.count,
            change: g.change,
        })
        .collect();
    let sentence = format::programme_sentence(
        &title,
        points.len() as u32,
        (&first_period, &last_period),
        cases,
        &inputs,
    );
    Some(AuditProgramme {
        programme: t.programme.clone(),
        title,
        audits: points.len() as u32,
        first_period,
        last_period,
        cases,
        grades,
        sentence,
        source: Source {
            service: "audits".into(),
            record: format!("audit programme {}", t.programme),
            period: year.to_string(),
        },
    })
}

// ------------------------------------------------------------------------- training

pub async fn fetch_training(c: &Clients, ctx: &CallCtx, year: &Period) -> Result<Training, Status> {
    let mut client = tr::training_service_client::TrainingServiceClient::new(c.training.clone())
        .max_decoding_message_size(MAX_MESSAGE);
    let s = ctx
        .call(
            client.get_training_summary(ctx.req(tr::GetTrainingSummaryRequest {
                period: per(year),
                from: String::new(),
                to: String::new(),
                series_years: 6,
            })),
        )
        .await?;
    let f = s.figures.clone().unwrap_or_default();
    let utilisation = pdec(&f.utilisation_percent);
    let reach: Vec<ReachLine> = s
        .reach
        .iter()
        .map(|r| ReachLine {
            programme: r.name.clone(),
            target: r.target,
            trained: r.trained,
            pct: format::share_pct(r.trained.into(), r.target.into()),
            sentence: format::reach_sentence(&r.name, r.trained, r.target),
        })
        .collect();
    let trend = s
        .series
        .iter()
        // Years with nothing recorded are left out rather than drawn as zero.
        .filter(|p| {
            p.figures
                .as_ref()
                .is_some_and(|f| f.source != tr::FiguresSource::None as i32)
        })
        .map(|p| {
            let f = p.figures.clone().unwrap_or_default();
            TrainingYear {
                year: p.year.as_ref().map(|y| y.code.clone()).unwrap_or_default(),
                courses: f.courses_run,
                places: f.places_offered,
            }
        })
        .collect();
    let mut sentences = vec![format!(
        "The board delivered {} training courses and {} training places; {} of the places were taken ({} delegates).",
        format::count(f.courses_run.into()),
        format::count(f.places_offered.into()),
        utilisation
            .map(format::percent)
            .unwrap_or_else(|| "none".into()),
        format::count(f.places_taken.into())
    )];
    if let Some(ch) = s.change.as_ref()
        && let Some(prev) = ch.previous.as_ref()
        && prev.courses_run > 0
    {
        sentences.push(format::sentence(&format::SentenceInput {
            title: "training places",
            unit: Unit::Count,
            polarity: Polarity::HigherIsBetter,
            value: Some(f.places_offered.into()),
            previous: Some(prev.places_offered.into()),
            year_label: "",
        }));
    }
    sentences.extend(reach.iter().map(|r| r.sentence.clone()));
    let delivery = super::training_detail::delivery(s.detail.as_ref());
    sentences.extend(delivery.iter().flat_map(super::training_detail::sentences));
    let evaluation = s
        .evaluation
        .as_ref()
        .filter(|e| e.evaluations > 0)
        .map(|e| {
            format!(
                "{} evaluations: knowledge up {} on average; {} satisfied.",
                format::count(e.evaluations.into()),
                pdec(&e.knowledge_uplift_percent)
                    .map(format::percent)
                    .unwrap_or_else(|| "n/a".into()),
                pdec(&e.satisfied_percent)
                    .map(format::percent)
                    .unwrap_or_else(|| "n/a".into())
            )
        });
    Ok(Training {
        courses: f.courses_run,
        places: f.places_offered,
        attended: f.places_taken,
        utilisation_pct: utilisation,
        evaluation,
        reach,
        trend,
        sentences,
        delivery,
        source: Source {
            service: "training".into(),
            record: "training summary".into(),
            period: year.to_string(),
        },
    })
}

// ------------------------------------------------------------------------- finance

pub async fn fetch_finance(
    c: &Clients,
    ctx: &CallCtx,
    year: &Period,
) -> Result<Option<Finance>, Status> {
    let mut client = fi::finance_service_client::FinanceServiceClient::new(c.finance.clone())
        .max_decoding_message_size(MAX_MESSAGE);
    let s = optional(
        ctx.call(client.get_statement(ctx.req(fi::GetStatementRequest { year: per(year) })))
            .await,
    )?;
    let Some(s) = s else { return Ok(None) };
    Ok(Some(finance_from_statement(&s, year)))
}

fn finance_from_statement(s: &fi::Statement, year: &Period) -> Finance {
    let contributions: Vec<MoneyLine> = s
        .contributions
        .iter()
        .map(|c| MoneyLine {
            key: c.agency_code.clone(),
            label: c.agency_name.clone(),
            pence: c.agreed_pence,
            received_pence: c.recorded.then_some(c.received_pence),
        })
        .collect();
    let income = s
        .income
        .iter()
        .map(|i| MoneyLine {
            key: i.category.clone(),
            label: if i.description.is_empty() {
                i.category.clone()
            } else {
                i.description.clone()
            },
            pence: i.amount_pence,
            received_pence: None,
        })
        .collect();
    let expenditure = s
        .expenditure
        .iter()
        .map(|e| MoneyLine {
            key: e.category.clone(),
            label: e.category_name.clone(),
            pence: e.actual_pence,
            received_pence: None,
        })
        .collect();
    let in_kind = s
        .in_kind
        .iter()
        .map(|k| MoneyLine {
            key: k.agency_code.clone(),
            label: format!("{}: {}", k.agency_name, k.description),
            pence: k.estimated_value_pence.unwrap_or(0),
            received_pence: None,
        })
        .collect();
    let next_year = s
        .planned_changes
        .iter()
        .map(|p| {
            let sign = if p.direction == fi::ChangeDirection::Reduction as i32 {
                -1
            } else {
                1
            };
            MoneyLine {
                key: p.description.clone(),
                label: p.description.clone(),
                pence: sign * p.amount_pence,
                received_pence: None,
            }
        })
        .collect::<Vec<_>>();
    // Recomputed, never copied: the budget is the sum of its parts.
    let budget_total = s.contributions_total_pence + s.carry_forward_pence + s.income_total_pence;
    let balance = budget_total - s.expenditure_actual_pence;
    let mut sentences = vec![format!(
        "The budget for {} amounted to {}: agency contributions of {}, a carry forward of {} from the previous year and income of {}.",
        year.to_string().replace('-', "/"),
        format::money(budget_total),
        format::money(s.contributions_total_pence),
        format::money(s.carry_forward_pence),
        format::money(s.income_total_pence)
    )];
    sentences.push(if balance < 0 {
        format!(
            "Expenditure was {}, a deficit of {}.",
            format::money(s.expenditure_actual_pence),
            format::money(-balance)
        )
    } else {
        format!(
            "Expenditure was {}, leaving {} unspent.",
            format::money(s.expenditure_actual_pence),
            format::money(balance)
        )
    });
    if s.planned_net_change_pence != 0 {
        sentences.push(format!(
            "Planned changes for {} amount to a net {} of {}.",
            s.next_year
                .as_ref()
                .map(|p| p.code.replace('-', "/"))
                .unwrap_or_default(),
            if s.planned_net_change_pence < 0 {
                "reduction"
            } else {
                "increase"
            },
            format::money(s.planned_net_change_pence.abs())
        ));
    }
    Finance {
        contributions,
        contributions_total: s.contributions_total_pence,
        carry_forward: s.carry_forward_pence,
        income,
        income_total: s.income_total_pence,
        budget_total,
        expenditure,
        expenditure_total: s.expenditure_actual_pence,
        balance,
        in_kind,
        next_year,
        sentences,
        source: Source {
            service: "finance".into(),
            record: "budget statement".into(),
            period: year.to_string(),
        },
    }
}

/// Statutory agencies with no contribution recorded (for the completeness appendix).
pub fn finance_missing(f: &Finance) -> Vec<String> {
    f.contributions
        .iter()
        .filter(|c| c.received_pence.is_none() && c.pence == 0)
        .map(|c| c.key.clone())
        .collect()
}

// ------------------------------------------------------------------------- placeholders

/// What a placeholder resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Value(String),
    /// The reference exists but holds no figure for the period.
    NoValue,
}

/// Why a placeholder could not be resolved.
#[derive(Debug, Clone)]
pub enum ResolveError {
    /// The reference does not exist: the placeholder is wrong.
    Unknown(String),
    /// The data service failed.
    Failed(String, Status),
}

fn granularity(p: &Period) -> i32 {
    match p.granularity() {
        lscb_platform::Granularity::Year => ind::Frequency::Annual as i32,
        lscb_platform::Granularity::Quarter => ind::Frequency::Quarterly as i32,
        lscb_platform::Granularity::Month => ind::Frequency::Monthly as i32,
    }
}

fn fail(source: &str) -> impl Fn(Status) -> ResolveError + '_ {
    move |s| {
        // NOT_FOUND, or INVALID_ARGUMENT for a breakdown value the indicator does not have:
        // the placeholder names something that does not exist.
        if matches!(s.code(), Code::NotFound | Code::InvalidArgument) {
            ResolveError::Unknown(s.message().to_string())
        } else {
            ResolveError::Failed(source.to_string(), s)
        }
    }
}

/// Answers shared by the placeholders resolved together (one assembly's narrative): a
/// training summary is asked for once per period, however many placeholders name its
/// figures.
#[derive(Debug, Default)]
pub struct ResolveMemo {
    training: tokio::sync::Mutex<BTreeMap<String, tr::TrainingSummary>>,
}

/// Resolves one placeholder against the data services.
pub async fn resolve(
    c: &Clients,
    ctx: &CallCtx,
    p: &super::placeholder::Placeholder,
) -> Result<Resolved, ResolveError> {
    resolve_with(c, ctx, p, &ResolveMemo::default()).await
}

/// [`resolve`], sharing answers with the other placeholders resolved with `memo`.
pub async fn resolve_with(
    c: &Clients,
    ctx: &CallCtx,
    p: &super::placeholder::Placeholder,
    memo: &ResolveMemo,
) -> Result<Resolved, ResolveError> {
    use super::placeholder::Target;
    match &p.target {
        Target::Indicator { code } => {
            let mut cl =
                ind::indicator_service_client::IndicatorServiceClient::new(c.indicators.clone());
            // "CODE/value": one value of the indicator's breakdown.
            let (code, breakdown) = code.split_once('/').unwrap_or((code, ""));
            let r = ctx
                .call(cl.get_series(ctx.req(ind::GetSeriesRequest {
                    indicator_code: code.to_string(),
                    from: per(&p.period),
                    to: per(&p.period),
                    agency_code: String::new(),
                    breakdown_value: breakdown.to_string(),
                    all_breakdown_values: false,
                    granularity: granularity(&p.period),
                })))
                .await
                .map_err(fail("indicators"))?;
            let u = r
                .indicator
                .as_ref()
                .and_then(|i| i.definition.as_ref())
                .map_or(Unit::Count, |d| unit(d.unit));
            let v = r
                .lines
                .iter()
                .find(|l| l.breakdown_value == breakdown)
                .and_then(|l| l.points.iter().find_map(|pt| dec(&pt.value)));
            Ok(v.map_or(Resolved::NoValue, |v| Resolved::Value(format::value(v, u))))
        }
        Target::Finance { field } => {
            let mut cl = fi::finance_service_client::FinanceServiceClient::new(c.finance.clone());
            let s = ctx
                .call(cl.get_statement(ctx.req(fi::GetStatementRequest {
                    year: per(&p.period.financial_year()),
                })))
                .await
                .map_err(fail("finance"))?;
            let f = finance_from_statement(&s, &p.period);
            let v = match field.as_str() {
                "total_budget" => f.budget_total,
                "contributions" => f.contributions_total,
                "carry_forward" => f.carry_forward,
                "income" => f.income_total,
                "expenditure" => f.expenditure_total,
                "balance" => f.balance,
                "in_kind" => s.in_kind_estimated_total_pence,
                _ => s.planned_net_change_pence,
            };
            Ok(Resolved::Value(format::money(v)))
        }
        Target::Training { field, programme } => {
            let mut cl =
                tr::training_service_client::TrainingServiceClient::new(c.training.clone());
            if let Some(code) = programme {
                let r = ctx
                    .call(cl.get_reach(ctx.req(tr::GetReachRequest {
                        programme_code: code.clone(),
                        as_of: p.period.last_day().to_string(),
                    })))
                    .await
                    .map_err(fail("training"))?;
                return Ok(Resolved::Value(if field == "reach" {
                    format::count(r.trained.into())
                } else {
                    format::share_pct(r.trained.into(), r.target.into())
                        .map(format::percent)
                        .unwrap_or_else(|| "n/a".into())
                }));
            }
            // Held while asking, so that the other placeholders of the period wait for this
            // answer instead of asking again.
            let mut known = memo.training.lock().await;
            let s = match known.get(&p.period.to_string()) {
                Some(s) => s.clone(),
                None => {
                    let s = ctx
                        .call(
                            cl.get_training_summary(ctx.req(tr::GetTrainingSummaryRequest {
                                period: per(&p.period),
                                from: String::new(),
                                to: String::new(),
                                series_years: 1,
                            })),
                        )
                        .await
                        .map_err(fail("training"))?;
                    known.insert(p.period.to_string(), s.clone());
                    s
                }
            };
            drop(known);
            let f = s.figures.unwrap_or_default();
            Ok(match field.as_str() {
                "courses" => Resolved::Value(format::count(f.courses_run.into())),
                "places" => Resolved::Value(format::count(f.places_offered.into())),
                "places_taken" => Resolved::Value(format::count(f.places_taken.into())),
                "did_not_attend" => Resolved::Value(format::count(f.did_not_attend.into())),
                _ => pdec(&f.utilisation_percent)
                    .map_or(Resolved::NoValue, |u| Resolved::Value(format::percent(u))),
            })
        }
        Target::Audit { audit_id, field } => {
            let mut cl = au::audit_service_client::AuditServiceClient::new(c.audits.clone());
            let s = ctx
                .call(cl.get_audit_summary(ctx.req(au::GetAuditSummaryRequest {
                    audit_id: audit_id.clone(),
                })))
                .await
                .map_err(fail("audits"))?;
            let o = s.overall.unwrap_or_default();
            let req: u32 = o
                .grades
                .iter()
                .filter(|g| {
                    g.grade == au::Grade::RequiresImprovement as i32
                        || g.grade == au::Grade::Inadequate as i32
                })
                .map(|g| g.count)
                .sum();
            Ok(Resolved::Value(match field.as_str() {
                "cases" => format::count(s.case_count.into()),
                "requiring_improvement" => format::count(req.into()),
                _ => format::share_pct(req.into(), o.graded.into())
                    .map(format::percent)
                    .unwrap_or_else(|| "n/a".into()),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse() {
        assert_eq!(
            parse_grpc_timeout("5000m"),
            Some(Duration::from_millis(5000))
        );
        assert_eq!(parse_grpc_timeout("10S"), Some(Duration::from_secs(10)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("x"), None);
        assert_eq!(parse_grpc_timeout("10Q"), None);
    }

    #[test]
    fn the_callers_deadline_caps_upstream_calls() {
        let mut r = Request::new(());
        r.metadata_mut()
            .insert("grpc-timeout", "2S".parse().unwrap());
        let ctx = CallCtx::from_request(&r, Duration::from_secs(10));
        assert!(ctx.remaining() <= Duration::from_millis(1800));
        assert!(ctx.remaining() > Duration::from_millis(1000));
        let ctx = CallCtx::from_request(&Request::new(()), Duration::from_secs(3));
        assert!(ctx.remaining() <= Duration::from_secs(3));
    }

    /// A service holding `n` actions answering pages of `page_size` with an offset token.
    fn action_pages(
        n: usize,
        asked: std::sync::Arc<std::sync::Mutex<Vec<common::PageRequest>>>,
    ) -> impl FnMut(
        Option<common::PageRequest>,
    )
        -> std::future::Ready<Result<tonic::Response<au::ListActionsResponse>, Status>> {
        move |p| {
            let p = p.unwrap();
            asked.lock().unwrap().push(p.clone());
            let from: usize = p.page_token.parse().unwrap_or(0);
            let to = (from + p.page_size as usize).min(n);
            std::future::ready(Ok(tonic::Response::new(au::ListActionsResponse {
                actions: (from..to)
                    .map(|i| au::Action {
                        id: i.to_string(),
                        ..Default::default()
                    })
                    .collect(),
                page: Some(common::PageResponse {
                    next_page_token: if to < n {
                        to.to_string()
                    } else {
                        String::new()
                    },
                    total_size: n as u64,
                }),
                ..Default::default()
            })))
        }
    }

    #[tokio::test]
    async fn a_list_is_read_to_its_last_page() {
        let ctx = CallCtx::from_request(&Request::new(()), Duration::from_secs(5));
        let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let all = all_pages(&ctx, 2, action_pages(5, asked.clone()))
            .await
            .unwrap();
        let ids: Vec<&str> = all.actions.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["0", "1", "2", "3", "4"]);
        let tokens: Vec<String> = asked
            .lock()
            .unwrap()
            .iter()
            .map(|p| p.page_token.clone())
            .collect();
        assert_eq!(tokens, ["", "2", "4"]);
        assert!(asked.lock().unwrap().iter().all(|p| p.page_size == 2));
        // One page when everything fits.
        let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let all = all_pages(&ctx, PAGE_SIZE, action_pages(5, asked.clone()))
            .await
            .unwrap();
        assert_eq!((all.actions.len(), asked.lock().unwrap().len()), (5, 1));
    }

    #[tokio::test]
    async fn a_repeated_page_token_fails_the_read_instead_of_looping() {
        let ctx = CallCtx::from_request(&Request::new(()), Duration::from_secs(5));
        let looping = |_p: Option<common::PageRequest>| {
            std::future::ready(Ok(tonic::Response::new(au::ListActionsResponse {
                page: Some(common::PageResponse {
                    next_page_token: "same".into(),
                    total_size: 9,
                }),
                ..Default::default()
            })))
        };
        let e = all_pages(&ctx, 2, looping).await.unwrap_err();
        assert!(e.message().contains("repeated its page token"), "{e}");
    }

    #[test]
    fn only_an_absent_series_is_left_out_of_the_trends() {
        assert!(trend_is_absent(&Status::not_found("no indicator")));
        assert!(trend_is_absent(&Status::invalid_argument("from")));
        for s in [
            Status::internal("database is locked"),
            Status::cancelled("operation was canceled"),
            Status::unknown("h2 protocol error"),
            Status::resource_exhausted("busy"),
            Status::unavailable("down"),
            Status::deadline_exceeded("late"),
            Status::permission_denied("no"),
        ] {
            assert!(!trend_is_absent(&s), "{s:?}");
        }
    }

    #[test]
    fn programme_titles_are_the_common_start_of_their_audits() {
        assert_eq!(
            common_title(&[
                "Front Door Reference Group referral audit 2015-04",
                "Front Door Reference Group referral audit 2015-05",
                "Front Door Reference Group referral audit 2016-01",
            ]),
            "Front Door Reference Group referral audit"
        );
        assert_eq!(common_title(&["Audit – April", "Audit – May"]), "Audit");
        assert_eq!(common_title(&["Alpha", "Beta"]), "");
        assert_eq!(common_title(&["Only one"]), "Only one");
    }

    #[test]
    fn priorities_are_slugged() {
        assert_eq!(slug("Early Help"), "early_help");
        assert_eq!(slug(" Voice of the Child "), "voice_of_the_child");
    }
}
