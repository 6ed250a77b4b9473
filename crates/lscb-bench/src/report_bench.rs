//! Scenario 3, the report: `AssembleReport` (Markdown and HTML) for a partnership at 1x, 10x and
//! 100x the reference dataset, on the five production service binaries.
//!
//! The generator is deterministic and loads everything through the services' gRPC APIs:
//! 1x is the reference dataset itself (`lscbctl seed`); every further multiple adds one copy
//! of the reference observations (one `StreamObservations`), of the reference audits with
//! their case reviews (`CreateAudit` + `SubmitCaseReviews`), of the training sessions with
//! their delegates (`CreateSession` + `RecordDelegates`) and of the finance lines (`Put*`),
//! copy `k` moved `4k` financial years later, so the databases hold N times the rows while the 2015-16 report has the
//! same content: its time should grow with what it reads, not with what is stored.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lscb_cli::seed_clients::{Clients, Target};
use lscb_platform::Role;
use lscb_proto::audits::v1 as au;
use lscb_proto::common::v1::{PageRequest, Period};
use lscb_proto::indicators::v1 as ind;
use lscb_proto::report::v1 as rp;
use lscb_proto::training::v1 as tr;
use serde_json::json;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;

use crate::markdown::{Goal, Report};
use crate::scenarios::{Env, SERVICES, authed, indicators_client, upstream_env};
use crate::stack::Proc;

/// `code` moved `years` financial years later; None when it is not a period code.
/// Years between copies: the reference data's 2014-15 and 2015-16 (and the months around
/// them) fit in four financial years; copy 99 ends in 2411-12.
const STEP: i32 = 4;

pub(crate) fn shift_period(code: &str, years: i32) -> Option<String> {
    let (y, rest) = code.split_at_checked(4)?;
    let y: i32 = y.parse().ok()?;
    let rest = rest.strip_prefix('-')?;
    let (two, tail) = rest.split_at_checked(2)?;
    let two: i32 = two.parse().ok()?;
    let ny = y + years;
    if two == (y + 1) % 100 {
        // A financial year, possibly with a quarter: "2015-16", "2015-16-Q1".
        Some(format!("{ny}-{:02}{tail}", (ny + 1) % 100))
    } else if tail.is_empty() && (1..=12).contains(&two) {
        // A month that would read as a financial year has its own code (April 2103: 2103-M04).
        Some(if two == (ny + 1) % 100 {
            format!("{ny}-M{two:02}")
        } else {
            format!("{ny}-{two:02}")
        })
    } else {
        None
    }
}

/// A "YYYY-MM-DD" date moved `years` later (29 February to the 28th when the year has none);
/// empty stays empty.
fn shift_date(date: &str, years: i32) -> anyhow::Result<String> {
    if date.is_empty() {
        return Ok(String::new());
    }
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")?;
    let moved = chrono::Datelike::with_year(&d, chrono::Datelike::year(&d) + years)
        .or_else(|| {
            chrono::NaiveDate::from_ymd_opt(
                chrono::Datelike::year(&d) + years,
                chrono::Datelike::month(&d),
                28,
            )
        })
        .ok_or_else(|| anyhow::anyhow!("{date} cannot move {years} years"))?;
    Ok(moved.format("%Y-%m-%d").to_string())
}

/// The reference observations (observations.csv) as proto rows.
fn reference_observations(dir: &Path) -> anyhow::Result<Vec<ind::ObservationInput>> {
    let mut r = csv::Reader::from_path(dir.join("observations.csv"))?;
    let mut out = Vec::new();
    for rec in r.deserialize::<std::collections::HashMap<String, String>>() {
        let rec = rec?;
        let g = |k: &str| rec.get(k).cloned().unwrap_or_default();
        out.push(ind::ObservationInput {
            indicator_code: g("indicator"),
            period: Some(Period { code: g("period") }),
            agency_code: g("agency"),
            breakdown_value: g("breakdown"),
            value: g("value"),
            numerator: g("numerator"),
            denominator: g("denominator"),
            status: if g("status") == "final" {
                ind::ObservationStatus::Final as i32
            } else {
                ind::ObservationStatus::Provisional as i32
            },
            comment: g("comment"),
        });
    }
    Ok(out)
}

struct Originals {
    observations: Vec<ind::ObservationInput>,
    audits: Vec<(au::Audit, Vec<au::CaseReview>)>,
    /// The reference sessions with their bookings.
    sessions: Vec<(tr::Session, Vec<tr::Booking>)>,
    /// The reference finance lines (finance.csv) by year.
    finance: std::collections::BTreeMap<String, lscb_cli::import::FinanceYear>,
}

/// Counts of records (held, or added by a step of copies).
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
struct Added {
    observations: u64,
    audits: u64,
    case_reviews: u64,
    sessions: u64,
    delegates: u64,
    finance_lines: u64,
}

fn page() -> Option<PageRequest> {
    Some(PageRequest {
        page_size: 1000,
        page_token: String::new(),
    })
}

async fn originals(
    env: &Env,
    audits_ch: &Channel,
    training_ch: &Channel,
    token: &MetadataValue<Ascii>,
) -> anyhow::Result<Originals> {
    let observations = reference_observations(&env.args.reference_data)?;
    let mut c = au::audit_service_client::AuditServiceClient::new(audits_ch.clone());
    let list = c
        .list_audits(authed(
            au::ListAuditsRequest {
                page: page(),
                ..Default::default()
            },
            token,
        ))
        .await?
        .into_inner();
    let mut audits = Vec::new();
    for a in list.audits {
        let reviews = c
            .list_case_reviews(authed(
                au::ListCaseReviewsRequest {
                    audit_id: a.id.clone(),
                    page: page(),
                },
                token,
            ))
            .await?
            .into_inner()
            .case_reviews;
        audits.push((a, reviews));
    }
    let mut tc = tr::training_service_client::TrainingServiceClient::new(training_ch.clone());
    let mut sessions = Vec::new();
    let mut next = String::new();
    loop {
        let page = tc
            .list_sessions(authed(
                tr::ListSessionsRequest {
                    page: Some(PageRequest {
                        page_size: 1000,
                        page_token: next.clone(),
                    }),
                    ..Default::default()
                },
                token,
            ))
            .await?
            .into_inner();
        for s in page.sessions {
            let bookings = tc
                .list_bookings(authed(
                    tr::ListBookingsRequest {
                        session_id: s.id.clone(),
                        agency: String::new(),
                    },
                    token,
                ))
                .await?
                .into_inner()
                .bookings;
            sessions.push((s, bookings));
        }
        next = page.page.map(|p| p.next_page_token).unwrap_or_default();
        if next.is_empty() {
            break;
        }
    }
    let file = lscb_cli::csvio::CsvFile::read(&env.args.reference_data.join("finance.csv"))?;
    let mut errors = Vec::new();
    let finance = lscb_cli::import::parse_finance(&file, &mut errors);
    anyhow::ensure!(errors.is_empty(), "finance.csv: {} bad rows", errors.len());
    Ok(Originals {
        observations,
        audits,
        sessions,
        finance,
    })
}

/// Copy `k` of the reference sessions, each with its delegates in the status they ended in
/// (one `CreateSession` per session, then `RecordDelegates` batches).
async fn copy_training(
    o: &Originals,
    training_ch: &Channel,
    token: &MetadataValue<Ascii>,
    k: u32,
) -> anyhow::Result<(u64, u64)> {
    use tr::BookingStatus as B;
    let mut tc = tr::training_service_client::TrainingServiceClient::new(training_ch.clone());
    let years = STEP * k as i32;
    let mut records = Vec::new();
    let mut n_sessions = 0;
    for (s, bookings) in &o.sessions {
        let date = shift_date(&s.date, years)?;
        let created = tc
            .create_session(authed(
                tr::CreateSessionRequest {
                    course_code: s.course_code.clone(),
                    date: date.clone(),
                    venue: s.venue.clone(),
                    online: s.online,
                    capacity: s.capacity,
                    trainers: s.trainers.clone(),
                },
                token,
            ))
            .await
            .map_err(|e| anyhow::anyhow!("copy {k} of session {}: {}", s.id, e.message()))?
            .into_inner();
        n_sessions += 1;
        let day = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")?;
        // Cancellations first, so that they free their places as they did.
        let mut ordered: Vec<&tr::Booking> = bookings.iter().collect();
        ordered
            .sort_by_key(|b| !matches!(B::try_from(b.status), Ok(B::Cancelled | B::CancelledLate)));
        for b in ordered {
            let (status, cancelled_on) = match B::try_from(b.status) {
                Ok(B::Cancelled) => (B::Cancelled, day - chrono::Duration::days(60)),
                Ok(B::CancelledLate) => (B::Cancelled, day - chrono::Duration::days(1)),
                Ok(B::WaitingList) => (B::Booked, day),
                Ok(other) => (other, day),
                Err(_) => continue,
            };
            records.push(tr::DelegateRecord {
                session_id: created.id.clone(),
                delegate_ref: b.delegate_ref.clone(),
                agency: b.agency.clone(),
                role: b.role.clone(),
                status: status as i32,
                cancelled_on: if status == B::Cancelled {
                    cancelled_on.format("%Y-%m-%d").to_string()
                } else {
                    String::new()
                },
            });
        }
    }
    let n_delegates = records.len() as u64;
    // Batches of whole sessions, at most 5,000 delegates each.
    let mut batch: Vec<tr::DelegateRecord> = Vec::new();
    let mut i = 0;
    let flush = |batch: Vec<tr::DelegateRecord>, i: usize| {
        let mut tc = tc.clone();
        async move {
            if batch.is_empty() {
                return Ok(());
            }
            tc.record_delegates(authed(
                tr::RecordDelegatesRequest {
                    delegates: batch,
                    idempotency_key: format!("bench-delegates-{k}-{i}"),
                },
                token,
            ))
            .await
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("delegates of copy {k}: {}", e.message()))
        }
    };
    let mut start = 0;
    while start < records.len() {
        let sid = &records[start].session_id;
        let end = records[start..]
            .iter()
            .position(|r| &r.session_id != sid)
            .map_or(records.len(), |p| start + p);
        if batch.len() + (end - start) > 5_000 {
            flush(std::mem::take(&mut batch), i).await?;
            i += 1;
        }
        batch.extend_from_slice(&records[start..end]);
        start = end;
    }
    flush(batch, i).await?;
    Ok((n_sessions, n_delegates))
}

fn finance_lines(y: &lscb_cli::import::FinanceYear) -> u64 {
    (y.contributions.len()
        + y.income.len()
        + y.expenditure.len()
        + y.in_kind.len()
        + y.planned.len()
        + usize::from(y.carry_forward.is_some())) as u64
}

/// Copy `k` of the reference finance lines, moved `4k` years later.
async fn copy_finance(o: &Originals, clients: &Clients, k: u32) -> anyhow::Result<u64> {
    let years = STEP * k as i32;
    let mut n = 0;
    for (year, y) in &o.finance {
        let moved = shift_period(year, years)
            .ok_or_else(|| anyhow::anyhow!("finance year {year} cannot move"))?;
        let mut y = y.clone();
        for (_, c) in &mut y.contributions {
            c.invoiced_on = shift_date(&c.invoiced_on, years)?;
            c.received_on = shift_date(&c.received_on, years)?;
        }
        n += lscb_cli::import::put_finance_year(clients, &moved, y, &format!("bench-finance-{k}"))
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "finance copy {k} ({moved}): {}",
                    e.iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })? as u64;
    }
    Ok(n)
}

/// Adds copies `from..to` (k >= 1) of the originals.
#[allow(clippy::too_many_arguments)]
async fn add_copies(
    o: &Originals,
    ind_ch: &Channel,
    audits_ch: &Channel,
    training_ch: &Channel,
    clients: &Clients,
    token: &MetadataValue<Ascii>,
    from: u32,
    to: u32,
) -> anyhow::Result<Added> {
    // The three kinds of copies go to different services: load them side by side.
    let observations = async {
        let mut rows = Vec::new();
        let key = |r: &ind::ObservationInput| {
            (
                r.indicator_code.clone(),
                r.period
                    .as_ref()
                    .map(|p| p.code.clone())
                    .unwrap_or_default(),
                r.agency_code.clone(),
                r.breakdown_value.clone(),
            )
        };
        // A few reference rows lie years away from 2015-16 (a 2001 census figure): a copy never
        // lands on a cell that is already taken.
        let mut taken: std::collections::HashSet<_> = o.observations.iter().map(key).collect();
        for k in from..to {
            for r in &o.observations {
                let p = r.period.as_ref().map(|p| p.code.as_str()).unwrap_or("");
                if let Some(np) = shift_period(p, STEP * k as i32) {
                    let mut c = r.clone();
                    c.period = Some(Period { code: np });
                    if taken.insert(key(&c)) {
                        rows.push(c);
                    }
                }
            }
        }
        let n_obs = rows.len() as u64;
        if !rows.is_empty() {
            let key = format!("bench-report-copies-{from}-{to}");
            let chunks: Vec<ind::StreamObservationsRequest> = rows
                .chunks(1000)
                .enumerate()
                .map(|(i, c)| ind::StreamObservationsRequest {
                    idempotency_key: if i == 0 { key.clone() } else { String::new() },
                    rows: c.to_vec(),
                })
                .collect();
            indicators_client(ind_ch.clone())
                .stream_observations(authed(futures::stream::iter(chunks), token))
                .await
                .map_err(|s| anyhow::anyhow!("copies of the observations: {}", s.message()))?;
        }
        Ok::<u64, anyhow::Error>(n_obs)
    };
    let audits = async {
        let mut c = au::audit_service_client::AuditServiceClient::new(audits_ch.clone());
        let (mut n_audits, mut n_reviews) = (0u64, 0u64);
        for k in from..to {
            for (a, reviews) in &o.audits {
                let Some(p) = a
                    .period
                    .as_ref()
                    .and_then(|p| shift_period(&p.code, STEP * k as i32))
                else {
                    continue;
                };
                let mut copy = a.clone();
                copy.id.clear();
                copy.case_count = 0;
                copy.period = Some(Period { code: p });
                copy.title = format!("{} (copy {k})", a.title);
                copy.recommendations.clear();
                // Reviews go into an audit in progress; the copy then takes the original's status.
                copy.status = au::AuditStatus::InProgress as i32;
                let created = c
                    .create_audit(authed(
                        au::CreateAuditRequest {
                            audit: Some(copy),
                            idempotency_key: format!("bench-audit-{k}-{}", a.id),
                        },
                        token,
                    ))
                    .await
                    .map_err(|s| anyhow::anyhow!("copy {k} of audit {}: {}", a.title, s.message()))?
                    .into_inner();
                n_audits += 1;
                let rs: Vec<au::CaseReview> = reviews
                    .iter()
                    .map(|r| {
                        let mut r = r.clone();
                        r.id.clear();
                        r.case_reference = format!("{}-C{k}", r.case_reference);
                        r
                    })
                    .collect();
                n_reviews += rs.len() as u64;
                if !rs.is_empty() {
                    c.submit_case_reviews(authed(
                        au::SubmitCaseReviewsRequest {
                            audit_id: created.id.clone(),
                            case_reviews: rs,
                            idempotency_key: format!("bench-reviews-{k}-{}", a.id),
                        },
                        token,
                    ))
                    .await
                    .map_err(|s| {
                        anyhow::anyhow!("case reviews of copy {k} of {}: {}", a.title, s.message())
                    })?;
                }
                if a.status != au::AuditStatus::InProgress as i32 {
                    c.update_audit(authed(
                        au::UpdateAuditRequest {
                            id: created.id.clone(),
                            status: a.status,
                            add_findings: vec![],
                        },
                        token,
                    ))
                    .await
                    .map_err(|s| {
                        anyhow::anyhow!("status of copy {k} of {}: {}", a.title, s.message())
                    })?;
                }
            }
        }
        Ok::<(u64, u64), anyhow::Error>((n_audits, n_reviews))
    };
    let training_and_finance = async {
        let (mut sessions, mut delegates, mut lines) = (0, 0, 0);
        for k in from..to {
            let (s, d) = copy_training(o, training_ch, token, k).await?;
            sessions += s;
            delegates += d;
            lines += copy_finance(o, clients, k).await?;
        }
        Ok::<(u64, u64, u64), anyhow::Error>((sessions, delegates, lines))
    };
    let (n_obs, (n_audits, n_reviews), (sessions, delegates, finance_lines)) =
        tokio::try_join!(observations, audits, training_and_finance)?;
    Ok(Added {
        observations: n_obs,
        audits: n_audits,
        case_reviews: n_reviews,
        sessions,
        delegates,
        finance_lines,
    })
}

pub(crate) fn first_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    let mut out = lines.iter().take(n).copied().collect::<Vec<_>>().join("\n");
    if lines.len() > n {
        out.push_str(&format!("\n… ({} more lines)", lines.len() - n));
    }
    out
}

/// One timed AssembleReport.
async fn assemble(
    ch: &Channel,
    token: &MetadataValue<Ascii>,
    format: rp::ReportFormat,
) -> anyhow::Result<(Duration, usize, bool)> {
    let mut c = rp::report_service_client::ReportServiceClient::new(ch.clone())
        .max_decoding_message_size(512 * 1024 * 1024);
    let t = Instant::now();
    let r = c
        .assemble_report(authed(
            rp::AssembleReportRequest {
                year: "2015-16".into(),
                format: format as i32,
                ..Default::default()
            },
            token,
        ))
        .await
        .map_err(|s| anyhow::anyhow!("AssembleReport: {:?}: {}", s.code(), s.message()))?
        .into_inner();
    Ok((t.elapsed(), r.content.len(), r.complete))
}

#[derive(Debug, Clone, serde::Serialize)]
struct ScalePoint {
    scale: u32,
    /// What the databases hold at this size.
    held: Added,
    load_secs: f64,
    markdown_ms: f64,
    html_ms: f64,
    markdown_bytes: usize,
    html_bytes: usize,
    complete: bool,
    servers_cpu_s: f64,
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v.get(v.len() / 2)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

fn cpu_of(procs: &[Proc]) -> f64 {
    procs
        .iter()
        .filter_map(|p| crate::procstat::cpu_seconds(p.pid()))
        .sum()
}

pub(crate) async fn report_scenario(env: &Arc<Env>, report: &mut Report) -> anyhow::Result<()> {
    anyhow::ensure!(
        env.runner.has("lscbctl"),
        "{} is not built (cargo build --release -p lscb-cli)",
        env.runner.bin("lscbctl").display()
    );
    let mut procs = Vec::new();
    for (bin, off) in SERVICES {
        let url = env
            .database("sqlite", &format!("report_{}", bin.replace('-', "_")))
            .await?;
        let extra = if bin == "lscb-aggregator" {
            upstream_env(env)
        } else {
            vec![]
        };
        procs.push(env.runner.service(
            bin,
            &format!("report-{bin}"),
            env.port(off),
            &url,
            &extra,
        )?);
    }
    for p in &mut procs {
        p.ready(Duration::from_secs(60)).await?;
    }
    let admin = env.token(Role::Admin)?;
    let token_str = admin
        .to_str()?
        .strip_prefix("Bearer ")
        .unwrap_or_default()
        .to_string();
    // 1x: the reference dataset through lscbctl seed.
    let t = Instant::now();
    let mut seed = std::process::Command::new(env.runner.bin("lscbctl"));
    seed.arg("seed")
        .arg("--quiet")
        .arg("--data-dir")
        .arg(&env.args.reference_data)
        .env("LSCB_TOKEN", &token_str)
        .env("RUST_LIB_BACKTRACE", "0")
        .env("RUST_BACKTRACE", "0");
    if env.args.smoke {
        // The smoke run checks the path, not the figures: the catalogue loads in a second.
        seed.arg("--catalogue-only");
    }
    for (name, off) in [
        ("--aggregator-url", 3),
        ("--indicators-url", 4),
        ("--audits-url", 5),
        ("--training-url", 6),
        ("--finance-url", 7),
    ] {
        seed.arg(name)
            .arg(format!("http://127.0.0.1:{}", env.port(off)));
    }
    let out = tokio::task::spawn_blocking(move || seed.output()).await??;
    anyhow::ensure!(
        out.status.success(),
        "lscbctl seed failed: {}",
        first_lines(&String::from_utf8_lossy(&out.stderr), 8)
    );
    if env.args.smoke {
        // A year no service holds data for is refused, so the smoke run adds the sample
        // returns for 2015-16 (a few rows) to the catalogue.
        let samples = env.args.reference_data.join("../samples");
        for kind in ["indicators", "observations"] {
            let mut import = std::process::Command::new(env.runner.bin("lscbctl"));
            import
                .arg("import")
                .arg(kind)
                .arg(samples.join(format!("{kind}.csv")))
                .arg("--quiet")
                .env("LSCB_TOKEN", &token_str)
                .env("RUST_LIB_BACKTRACE", "0")
                .env("RUST_BACKTRACE", "0");
            for (name, off) in [
                ("--aggregator-url", 3),
                ("--indicators-url", 4),
                ("--audits-url", 5),
                ("--training-url", 6),
                ("--finance-url", 7),
            ] {
                import
                    .arg(name)
                    .arg(format!("http://127.0.0.1:{}", env.port(off)));
            }
            let out = tokio::task::spawn_blocking(move || import.output()).await??;
            anyhow::ensure!(
                out.status.success(),
                "lscbctl import {kind} failed: {}",
                first_lines(&String::from_utf8_lossy(&out.stderr), 8)
            );
        }
    }
    let seed_secs = t.elapsed().as_secs_f64();
    let agg = crate::load::connections(&procs[0].url(), 1)
        .await?
        .remove(0);
    let ind_ch = crate::load::connections(&procs[1].url(), 1)
        .await?
        .remove(0);
    let aud_ch = crate::load::connections(&procs[2].url(), 1)
        .await?
        .remove(0);
    let tra_ch = crate::load::connections(&procs[3].url(), 1)
        .await?
        .remove(0);
    let clients = Clients::connect(&Target {
        token: token_str.clone(),
        aggregator_url: procs[0].url(),
        indicators_url: procs[1].url(),
        audits_url: procs[2].url(),
        training_url: procs[3].url(),
        finance_url: procs[4].url(),
    })
    .await?;
    let o = originals(env, &aud_ch, &tra_ch, &admin).await?;
    let mut held = Added {
        observations: o.observations.len() as u64,
        audits: o.audits.len() as u64,
        case_reviews: o.audits.iter().map(|(_, r)| r.len() as u64).sum(),
        sessions: o.sessions.len() as u64,
        delegates: o.sessions.iter().map(|(_, b)| b.len() as u64).sum(),
        finance_lines: o.finance.values().map(finance_lines).sum(),
    };
    let mut points = Vec::new();
    let mut have = 1u32;
    let mut scales = env.sizes.report_scales.clone();
    scales.sort();
    scales.dedup();
    for &scale in &scales {
        let t = Instant::now();
        if scale > have {
            let a =
                add_copies(&o, &ind_ch, &aud_ch, &tra_ch, &clients, &admin, have, scale).await?;
            held.observations += a.observations;
            held.audits += a.audits;
            held.case_reviews += a.case_reviews;
            held.sessions += a.sessions;
            held.delegates += a.delegates;
            held.finance_lines += a.finance_lines;
            have = scale;
        }
        let load_secs = if scale == 1 {
            seed_secs
        } else {
            t.elapsed().as_secs_f64()
        };
        // One warm-up of each format, then the measured calls.
        assemble(&agg, &admin, rp::ReportFormat::Markdown).await?;
        assemble(&agg, &admin, rp::ReportFormat::Html).await?;
        let cpu0 = cpu_of(&procs);
        let (mut md, mut html) = (Vec::new(), Vec::new());
        let (mut md_bytes, mut html_bytes, mut complete) = (0, 0, true);
        for _ in 0..env.sizes.report_repeats.max(1) {
            let (d, n, c) = assemble(&agg, &admin, rp::ReportFormat::Markdown).await?;
            md.push(d);
            md_bytes = n;
            complete &= c;
            let (d, n, c) = assemble(&agg, &admin, rp::ReportFormat::Html).await?;
            html.push(d);
            html_bytes = n;
            complete &= c;
        }
        let calls = 2 * env.sizes.report_repeats.max(1);
        points.push(ScalePoint {
            scale,
            held,
            load_secs,
            markdown_ms: median(md),
            html_ms: median(html),
            markdown_bytes: md_bytes,
            html_bytes,
            complete,
            servers_cpu_s: (cpu_of(&procs) - cpu0) / calls as f64,
        });
        eprintln!("bench: report at {scale}x measured");
    }
    for p in procs {
        p.stop().await;
    }
    render(report, &points);
    Ok(())
}

fn render(report: &mut Report, points: &[ScalePoint]) {
    let mut b = String::from(
        "The five production binaries on SQLite; 1x is the reference dataset loaded with `lscbctl seed`; \
         each further multiple adds a copy of the reference observations (`StreamObservations`), of the \
         audits with their case reviews, of the training sessions with their delegates \
         (`CreateSession`, `RecordDelegates`) and of the finance lines (`Put*`), moved four financial \
         years later per copy, so the 2015-16 report keeps its content while the databases grow. \
         Median of the measured calls after one warm-up of each format.\n\n\
         | size | observations | audits | case reviews | sessions | delegates | finance lines | load time | Markdown | HTML | report bytes (md / html) | complete | CPU of all services per report |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n",
    );
    for p in points {
        b.push_str(&format!(
            "| {}x | {} | {} | {} | {} | {} | {} | {:.1} s | {:.0} ms | {:.0} ms | {} / {} | {} | {:.0} ms |\n",
            p.scale,
            crate::markdown::thousands(p.held.observations as f64),
            crate::markdown::thousands(p.held.audits as f64),
            crate::markdown::thousands(p.held.case_reviews as f64),
            crate::markdown::thousands(p.held.sessions as f64),
            crate::markdown::thousands(p.held.delegates as f64),
            crate::markdown::thousands(p.held.finance_lines as f64),
            p.load_secs,
            p.markdown_ms,
            p.html_ms,
            crate::markdown::thousands(p.markdown_bytes as f64),
            crate::markdown::thousands(p.html_bytes as f64),
            if p.complete { "yes" } else { "no" },
            p.servers_cpu_s * 1000.0
        ));
    }
    let mut goals = Vec::new();
    let one = points.iter().find(|p| p.scale == 1);
    if let Some(one) = one {
        for p in points.iter().filter(|p| p.scale > 1) {
            let gm = p.markdown_ms / one.markdown_ms.max(0.001);
            let gh = p.html_ms / one.html_ms.max(0.001);
            b.push_str(&format!(
                "\nGrowth {}x / 1x: Markdown {gm:.2}x, HTML {gh:.2}x.",
                p.scale
            ));
            if p.scale == 100 {
                goals.push(Goal {
                    name: "Report at 100x vs 1x (AssembleReport time)".into(),
                    target: "≤ 20x".into(),
                    measured: format!("Markdown {gm:.2}x, HTML {gh:.2}x"),
                    met: Some(gm <= 20.0 && gh <= 20.0),
                });
            }
        }
        b.push('\n');
    }
    report.add_section(
        "3. Report: AssembleReport at growing data",
        b,
        goals,
        json!(points),
        "report",
    );
}

#[cfg(test)]
mod tests {
    use super::shift_period;

    #[test]
    fn periods_move_by_whole_years() {
        assert_eq!(shift_period("2015-16", 2).as_deref(), Some("2017-18"));
        assert_eq!(shift_period("2015-16-Q3", 4).as_deref(), Some("2019-20-Q3"));
        assert_eq!(shift_period("2015-04", 2).as_deref(), Some("2017-04"));
        assert_eq!(shift_period("2099-00", 2).as_deref(), Some("2101-02"));
        // April 2103 would read as the financial year 2103-04: it is written 2103-M04.
        assert_eq!(shift_period("2015-04", 88).as_deref(), Some("2103-M04"));
        assert_eq!(
            lscb_platform::Period::parse("2103-M04").unwrap(),
            lscb_platform::Period::Month {
                year: 2103,
                month: 4
            }
        );
        assert_eq!(shift_period("nonsense", 2), None);
    }
}
