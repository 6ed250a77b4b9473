//! Scenario 3, the report: `AssembleReport` (Markdown and HTML) for a partnership at 1x, 10x and
//! 100x the reference dataset, on the five production service binaries.
//!
//! The generator is deterministic and loads everything through the services' gRPC APIs:
//! 1x is the reference dataset itself (`lscbctl seed`); every further multiple adds one copy
//! of the reference observations (one `StreamObservations`) and of the reference audits with
//! their case reviews (`CreateAudit` + `SubmitCaseReviews`), copy `k` moved `4k` financial
//! years later, so the databases hold N times the rows while the 2015-16 report has the
//! same content: its time should grow with what it reads, not with what is stored.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lscb_platform::Role;
use lscb_proto::audits::v1 as au;
use lscb_proto::common::v1::{PageRequest, Period};
use lscb_proto::indicators::v1 as ind;
use lscb_proto::report::v1 as rp;
use serde_json::json;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;

use crate::markdown::{Goal, Report};
use crate::scenarios::{Env, SERVICES, authed, indicators_client, upstream_env};
use crate::stack::Proc;

/// `code` moved `years` financial years later; None when the result would read as another
/// kind of period (a month "2103-04" reads as the year 2103-04).
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
        (two != (ny + 1) % 100).then(|| format!("{ny}-{two:02}"))
    } else {
        None
    }
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
    Ok(Originals {
        observations,
        audits,
    })
}

/// Adds copies `from..to` (k >= 1) of the originals.
async fn add_copies(
    o: &Originals,
    ind_ch: &Channel,
    audits_ch: &Channel,
    token: &MetadataValue<Ascii>,
    from: u32,
    to: u32,
) -> anyhow::Result<(u64, u64, u64)> {
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
    Ok((n_obs, n_audits, n_reviews))
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
    observations: u64,
    audits: u64,
    case_reviews: u64,
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
    let o = originals(env, &aud_ch, &admin).await?;
    let base_reviews: u64 = o.audits.iter().map(|(_, r)| r.len() as u64).sum();
    let (mut n_obs, mut n_audits, mut n_reviews) = (
        o.observations.len() as u64,
        o.audits.len() as u64,
        base_reviews,
    );
    let mut points = Vec::new();
    let mut have = 1u32;
    let mut scales = env.sizes.report_scales.clone();
    scales.sort();
    scales.dedup();
    for &scale in &scales {
        let t = Instant::now();
        if scale > have {
            let (a, b, c) = add_copies(&o, &ind_ch, &aud_ch, &admin, have, scale).await?;
            n_obs += a;
            n_audits += b;
            n_reviews += c;
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
            observations: n_obs,
            audits: n_audits,
            case_reviews: n_reviews,
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
         each further multiple adds a copy of the reference observations and of the audits with their \
         case reviews, moved four financial years later per copy, so the 2015-16 report keeps its content \
         while the databases grow. Training bookings and finance lines are at 1x only (see Findings). \
         Median of the measured calls after one warm-up of each format.\n\n\
         | size | observations | audits | case reviews | load time | Markdown | HTML | report bytes (md / html) | complete | CPU of all services per report |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|---:|\n",
    );
    for p in points {
        b.push_str(&format!(
            "| {}x | {} | {} | {} | {:.1} s | {:.0} ms | {:.0} ms | {} / {} | {} | {:.0} ms |\n",
            p.scale,
            crate::markdown::thousands(p.observations as f64),
            p.audits,
            crate::markdown::thousands(p.case_reviews as f64),
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
        // April 2103 would read as the financial year 2103-04.
        assert_eq!(shift_period("2015-04", 88), None);
        assert_eq!(shift_period("nonsense", 2), None);
    }
}
