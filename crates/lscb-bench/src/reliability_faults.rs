//! Checks 5 to 8: the process faults. SIGKILL mid-ingest and restart; a data service dead
//! and one hung during AssembleReport; SIGTERM with streams open; connections that never
//! finish the HTTP/2 handshake.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lscb_platform::Role;
use lscb_proto::indicators::v1 as ind;
use lscb_proto::report::v1 as rp;
use lscb_proto::report::v1::report_service_client::ReportServiceClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;

use super::inputs::RawCodec;
use super::writes::define;
use super::{Ctx, Findings, Stack, alive, authed, channel, signal};
use crate::rows::Workload;
use crate::scenarios::indicators_client;

// ---------------------------------------------------------------------------------------
// 5. kill -9 mid-ingest

pub(crate) async fn crash(ctx: &Ctx, f: &mut Findings) -> anyhow::Result<()> {
    let (writers, cap, r, kill_at, stream_rows) = if ctx.smoke() {
        (4u64, 100u64, 100u64, 5usize, 20_000u64)
    } else {
        (4u64, 400u64, 100u64, 50usize, 40_000u64)
    };
    let url = ctx.database("sqlite", "crash").await?;
    let mut p = ctx
        .runner
        .service("lscb-indicators", "crash-1", ctx.port(40), &url, &[])?;
    p.ready(Duration::from_secs(60)).await?;
    let admin = ctx.token(Role::Admin, None)?;
    let chans = crate::load::connections(&p.url(), 2).await?;
    let w = Workload::new(ctx.agencies.clone(), "CRASH");
    let ws = Workload::new(ctx.agencies.clone(), "CRSTREAM");
    define(&chans[0], &admin, &w, w.indicators_for(writers * cap * r)).await?;
    define(&chans[0], &admin, &ws, ws.indicators_for(stream_rows)).await?;

    let acked: Arc<Mutex<Vec<(String, u64)>>> = Arc::default();
    let mut tasks = Vec::new();
    for k in 0..writers {
        let (ch, w, admin, acked) = (
            chans[k as usize % 2].clone(),
            w.clone(),
            admin.clone(),
            acked.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut c = indicators_client(ch);
            for b in 0..cap {
                let from = (k * cap + b) * r;
                let req = ind::SubmitObservationsRequest {
                    idempotency_key: format!("crash-{k}-{b}"),
                    rows: w.inputs(from, from + r),
                };
                match c.submit_observations(authed(req, &admin)).await {
                    Ok(resp) => {
                        let resp = resp.into_inner();
                        acked
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((resp.submission_id, resp.stored_count));
                    }
                    Err(_) => break,
                }
            }
        }));
    }
    // One stream in flight too, paced (50 ms a message) so that the kill lands in its
    // middle: it must end whole or not at all.
    let messages = stream_rows.div_ceil(1000);
    let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stream = {
        let (ch, ws, admin, sent) = (chans[1].clone(), ws.clone(), admin.clone(), sent.clone());
        tokio::spawn(async move {
            use futures::StreamExt;
            let msgs = futures::stream::iter(0..messages).then(move |m| {
                let (ws, sent) = (ws.clone(), sent.clone());
                async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    ind::StreamObservationsRequest {
                        idempotency_key: if m == 0 {
                            "crash-stream".into()
                        } else {
                            String::new()
                        },
                        rows: ws.inputs(m * 1000, ((m + 1) * 1000).min(stream_rows)),
                    }
                }
            });
            indicators_client(ch)
                .stream_observations(authed(msgs, &admin))
                .await
                .map(|r| r.into_inner().stored_count)
        })
    };
    // Kill once enough batches are acknowledged and half the stream is sent (or after 30 s).
    let t = Instant::now();
    while (acked.lock().unwrap_or_else(|e| e.into_inner()).len() < kill_at
        || sent.load(std::sync::atomic::Ordering::Relaxed) < messages / 2)
        && t.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let acked_at_kill = acked.lock().unwrap_or_else(|e| e.into_inner()).len();
    let sent_at_kill = sent.load(std::sync::atomic::Ordering::Relaxed);
    signal(p.pid(), "KILL")?;
    let killed_after = t.elapsed().as_secs_f64();
    for t in tasks {
        t.await?;
    }
    let stream_result = stream.await?;
    drop(chans);
    let _ = p.child.wait();
    let acked = std::mem::take(&mut *acked.lock().unwrap_or_else(|e| e.into_inner()));
    let attempted_total = writers * cap;

    // Restart on the same file; it must serve, then read what is stored.
    let mut p2 = ctx
        .runner
        .service("lscb-indicators", "crash-2", ctx.port(40), &url, &[])?;
    let restarted = p2.ready(Duration::from_secs(60)).await;
    let readable = match &restarted {
        Ok(()) => {
            let ch = channel(&p2.url()).await?;
            indicators_client(ch)
                .list_revisions(authed(
                    ind::ListRevisionsRequest {
                        indicator_code: w.code(0),
                        ..Default::default()
                    },
                    &admin,
                ))
                .await
                .is_ok()
        }
        Err(_) => false,
    };
    p2.stop().await;
    let db = sea_orm::Database::connect(&url).await?;
    let per_submission: HashMap<String, i64> = {
        let rows = sea_orm::ConnectionTrait::query_all_raw(
            &db,
            sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Sqlite,
                "SELECT r.submission_id, COUNT(*) FROM ind_revision r \
                 JOIN ind_observation o ON r.observation_id = o.id \
                 WHERE o.indicator_code LIKE 'CRASH.%' GROUP BY r.submission_id"
                    .to_string(),
            ),
        )
        .await?;
        let mut m = HashMap::new();
        for row in rows {
            m.insert(
                row.try_get_by_index::<String>(0)?,
                row.try_get_by_index::<i64>(1)?,
            );
        }
        m
    };
    let stream_stored = super::count(
        &db,
        "SELECT COUNT(*) FROM ind_observation WHERE indicator_code LIKE 'CRSTREAM.%'",
    )
    .await?;
    let _ = db.close().await;
    let not_whole = acked
        .iter()
        .filter(|(sid, n)| per_submission.get(sid).copied().unwrap_or(0) as u64 != *n)
        .count();
    let partial = per_submission.values().filter(|c| **c as u64 != r).count();
    let stored_unacked = per_submission.len().saturating_sub(acked.len());
    let stream_whole = match &stream_result {
        Ok(n) => stream_stored as u64 == *n && *n == stream_rows,
        Err(_) => stream_stored == 0 || stream_stored as u64 == stream_rows,
    };
    let pass = restarted.is_ok() && readable && not_whole == 0 && partial == 0 && stream_whole;
    f.row(
        "5",
        "kill -9 mid-ingest (SQLite), restart on the same file",
        format!(
            "{writers} writers of {r}-row batches (up to {attempted_total}) and one {stream_rows}-row stream; SIGKILL after {} acknowledged batches and {} of {messages} stream messages ({killed_after:.1} s)",
            acked_at_kill,
            sent_at_kill
        ),
        "restarts and serves; every acknowledged batch stored whole; 0 partial batches; the stream whole or absent",
        format!(
            "restarted {}; acknowledged {} batches, {not_whole} not stored whole; {} batches stored ({stored_unacked} unacknowledged but whole), {partial} partial; stream {} with {stream_stored} rows stored",
            if restarted.is_ok() && readable { "and served" } else { "NO" },
            acked.len(),
            per_submission.len(),
            match &stream_result {
                Ok(n) => format!("acknowledged ({n} rows)"),
                Err(s) => format!("cut off ({:?})", s.code()),
            }
        ),
        pass,
    );
    if not_whole > 0 {
        f.bug(format!(
            "kill -9: {not_whole} acknowledged batch(es) not stored whole after restart"
        ));
    }
    if partial > 0 {
        f.bug(format!("kill -9: {partial} partial batch(es) stored"));
    }
    if !stream_whole {
        f.bug(format!(
            "kill -9: the stream left {stream_stored} of {stream_rows} rows"
        ));
    }
    if let Err(e) = restarted {
        f.bug(format!("kill -9: the service did not restart: {e:#}"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// 6. A data service dead and one hung during AssembleReport

async fn assemble(
    agg: &tonic::transport::Channel,
    token: &tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
    deadline: Duration,
) -> (Duration, Result<rp::AssembleReportResponse, tonic::Status>) {
    let mut req = authed(
        rp::AssembleReportRequest {
            year: "2015-16".into(),
            format: rp::ReportFormat::Markdown as i32,
            ..Default::default()
        },
        token,
    );
    req.set_timeout(deadline);
    let t = Instant::now();
    let r = ReportServiceClient::new(agg.clone())
        .max_decoding_message_size(256 * 1024 * 1024)
        .assemble_report(req)
        .await
        .map(|r| r.into_inner());
    (t.elapsed(), r)
}

/// A little data of 2015-16 in each data service, so that each one counts in the report.
async fn seed_year(
    ctx: &Ctx,
    stack: &Stack,
    admin: &tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
) -> anyhow::Result<()> {
    use lscb_proto::audits::v1 as aud;
    use lscb_proto::finance::v1 as fin;
    use lscb_proto::training::v1 as tr;
    let period = super::writes::period;
    let ind_ch = channel(&stack.url(1)).await?;
    let w = Workload::new(ctx.agencies.clone(), "RPT");
    define(&ind_ch, admin, &w, 1).await?;
    let a = ctx.agencies.len() as u64;
    // Rows 36a..48a are April 2015 to March 2016 for every agency.
    indicators_client(ind_ch)
        .submit_observations(authed(
            ind::SubmitObservationsRequest {
                idempotency_key: String::new(),
                rows: w.inputs(36 * a, 48 * a),
            },
            admin,
        ))
        .await?;
    lscb_proto::audits::v1::audit_service_client::AuditServiceClient::new(
        channel(&stack.url(2)).await?,
    )
    .create_audit(authed(
        aud::CreateAuditRequest {
            audit: Some(aud::Audit {
                r#type: aud::AuditType::MultiAgencyCaseFile as i32,
                title: "Report check audit".into(),
                period: period("2015-16"),
                status: aud::AuditStatus::InProgress as i32,
                ..Default::default()
            }),
            idempotency_key: String::new(),
        },
        admin,
    ))
    .await?;
    lscb_proto::training::v1::training_service_client::TrainingServiceClient::new(
        channel(&stack.url(3)).await?,
    )
    .record_year_totals(authed(
        tr::RecordYearTotalsRequest {
            totals: Some(tr::YearTotals {
                year: period("2015-16"),
                courses_run: 20,
                places_offered: 400,
                places_taken: 350,
                ..Default::default()
            }),
            idempotency_key: String::new(),
        },
        admin,
    ))
    .await?;
    let mut fc = lscb_proto::finance::v1::finance_service_client::FinanceServiceClient::new(
        channel(&stack.url(4)).await?,
    );
    fc.create_budget_year(authed(
        fin::CreateBudgetYearRequest {
            year: period("2015-16"),
        },
        admin,
    ))
    .await?;
    fc.put_contributions(authed(
        fin::PutContributionsRequest {
            year: period("2015-16"),
            contributions: vec![fin::ContributionInput {
                agency_code: ctx.agencies[0].clone(),
                agreed_pence: 10_000_000,
                ..Default::default()
            }],
            idempotency_key: String::new(),
        },
        admin,
    ))
    .await?;
    Ok(())
}

pub(crate) async fn report_with_failures(ctx: &Ctx, f: &mut Findings) -> anyhow::Result<()> {
    let mut stack = Stack::start(ctx, "report", 45).await?;
    let admin = ctx.token(Role::Admin, None)?;
    let agg = channel(&stack.url(0)).await?;
    let deadline = Duration::from_secs(20);
    seed_year(ctx, &stack, &admin).await?;
    // Control: everything up.
    let (t0, control) = assemble(&agg, &admin, deadline).await;
    // Training dies, finance hangs.
    let training_pid = stack.procs[3].pid();
    let finance_pid = stack.procs[4].pid();
    anyhow::ensure!(
        stack.labels[3].ends_with("lscb-training") && stack.labels[4].ends_with("lscb-finance"),
        "the stack's order changed"
    );
    signal(training_pid, "KILL")?;
    let mut dead = stack.procs.remove(3);
    let _ = dead.child.wait();
    drop(dead);
    stack.labels.remove(3);
    signal(finance_pid, "STOP")?;
    let (t1, r) = assemble(&agg, &admin, deadline).await;
    signal(finance_pid, "CONT")?;
    let agg_alive = alive(&mut stack.procs[0]);
    let mut lines = Vec::new();
    for (name, resp) in [("control", &control), ("with failures", &r)] {
        if let Ok(resp) = resp {
            for s in &resp.sources {
                lines.push(format!(
                    "{name}: {} ok={} {}",
                    s.source,
                    s.ok,
                    s.error.chars().take(200).collect::<String>()
                ));
            }
        }
    }
    f.detail("6. AssembleReport with failures", lines);
    let (pass, result) = match &r {
        Ok(resp) => {
            // Both named, and the healthy services answered (a service that answered but
            // holds nothing for the year is listed too: "holds no data").
            let names_both = resp.failed_sources.iter().any(|s| s == "training")
                && resp.failed_sources.iter().any(|s| s == "finance")
                && resp.sources.iter().all(|s| {
                    s.ok || s.source == "training"
                        || s.source == "finance"
                        || s.error.starts_with("holds no data")
                });
            (
                !resp.complete && names_both && t1 < deadline && agg_alive,
                format!(
                    "answered in {:.2} s: complete={}, failed_sources=[{}]; {} bytes of report",
                    t1.as_secs_f64(),
                    resp.complete,
                    resp.failed_sources.join(", "),
                    resp.content.len()
                ),
            )
        }
        Err(s) => (
            false,
            format!(
                "{:?} after {:.2} s: {}",
                s.code(),
                t1.as_secs_f64(),
                s.message()
            ),
        ),
    };
    f.row(
        "6",
        "AssembleReport with training killed (SIGKILL) and finance hung (SIGSTOP)",
        format!(
            "1 call, deadline {} s, upstream timeout 3 s; control call with all services up: {}",
            deadline.as_secs(),
            match &control {
                Ok(c) => format!("complete={} in {:.2} s", c.complete, t0.as_secs_f64()),
                Err(s) => format!("{:?}", s.code()),
            }
        ),
        "answers within the deadline, complete=false, failed_sources names training and finance; the healthy services answered",
        result,
        pass,
    );
    if let Err(s) = &r
        && matches!(s.code(), Code::Internal | Code::Unknown)
    {
        f.bug(format!(
            "AssembleReport with a data service down answered {:?}: {}",
            s.code(),
            s.message()
        ));
    }
    let (panics, _) = stack.health(ctx);
    for p in &panics {
        f.bug(format!("report with failures: panic: {p}"));
    }
    stack.stop().await;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// 7. SIGTERM with a health Watch stream and a stalled client stream open

pub(crate) async fn shutdown(ctx: &Ctx, f: &mut Findings) -> anyhow::Result<()> {
    let url = ctx.database("sqlite", "shutdown").await?;
    let mut p = ctx
        .runner
        .service("lscb-indicators", "shutdown", ctx.port(50), &url, &[])?;
    p.ready(Duration::from_secs(60)).await?;
    let admin = ctx.token(Role::Admin, None)?;
    let ch = channel(&p.url()).await?;
    let w = Workload::new(ctx.agencies.clone(), "STALL");
    define(&ch, &admin, &w, 1).await?;

    // Health Watch (no token needed): the first answer is SERVING (status 1).
    let mut grpc = tonic::client::Grpc::new(ch.clone());
    grpc.ready().await?;
    let mut watch = grpc
        .server_streaming(
            tonic::Request::new(Vec::new()),
            tonic::codegen::http::uri::PathAndQuery::from_static("/grpc.health.v1.Health/Watch"),
            RawCodec,
        )
        .await?
        .into_inner();
    let first = watch.message().await?;
    anyhow::ensure!(
        first.as_deref() == Some(&[0x08, 0x01][..]),
        "health Watch did not answer SERVING first: {first:?}"
    );
    let watch_task = tokio::spawn(async move {
        let mut saw_not_serving = false;
        loop {
            match watch.message().await {
                Ok(Some(m)) if m == [0x08, 0x02] => saw_not_serving = true,
                Ok(Some(_)) => {}
                Ok(None) => return (saw_not_serving, "ended".to_string()),
                Err(s) => return (saw_not_serving, format!("{:?}", s.code())),
            }
        }
    });
    // A client stream that sends one message and then nothing, without closing.
    let (tx, rx) = tokio::sync::mpsc::channel::<ind::StreamObservationsRequest>(4);
    tx.send(ind::StreamObservationsRequest {
        idempotency_key: "stalled".into(),
        rows: w.inputs(0, 10),
    })
    .await?;
    let stalled = {
        let (ch, admin) = (ch.clone(), admin.clone());
        tokio::spawn(async move {
            indicators_client(ch)
                .stream_observations(authed(
                    tokio_stream::wrappers::ReceiverStream::new(rx),
                    &admin,
                ))
                .await
                .map(|r| r.into_inner().stored_count)
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    anyhow::ensure!(alive(&mut p), "the service stopped before SIGTERM");
    let t = Instant::now();
    signal(p.pid(), "TERM")?;
    let mut exited = None;
    while t.elapsed() < Duration::from_secs(20) {
        if let Some(st) = p.child.try_wait()? {
            exited = Some((t.elapsed(), st));
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (watch_saw, watch_end) = tokio::time::timeout(Duration::from_secs(5), watch_task)
        .await
        .map(|r| r.unwrap_or((false, "task failed".into())))
        .unwrap_or((false, "still open".into()));
    let stream_end = match tokio::time::timeout(Duration::from_secs(5), stalled).await {
        Ok(Ok(Ok(n))) => format!("OK ({n} rows)"),
        Ok(Ok(Err(s))) => format!("{:?}", s.code()),
        Ok(Err(_)) => "task failed".into(),
        Err(_) => "still open".into(),
    };
    drop(tx);
    let (pass, result) = match &exited {
        Some((d, st)) => (
            *d <= Duration::from_secs(5),
            format!(
                "exited in {:.2} s ({st}); Watch saw NOT_SERVING: {}, Watch ended: {watch_end}; stalled stream ended: {stream_end}",
                d.as_secs_f64(),
                if watch_saw { "yes" } else { "no" }
            ),
        ),
        None => (false, "still running 20 s after SIGTERM".to_string()),
    };
    f.row(
        "7",
        "SIGTERM with a health Watch stream and a stalled client stream open",
        "1 process, 1 Watch stream, 1 StreamObservations that stopped sending".into(),
        "the process exits within 5 s",
        result,
        pass,
    );
    if !pass {
        f.bug(format!(
            "SIGTERM with open streams: {}",
            f.rows.last().map(|r| r.result.clone()).unwrap_or_default()
        ));
    }
    for l in super::panics_in(&ctx.log_of("shutdown")) {
        f.bug(format!("shutdown: panic: {l}"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// 8. Slow and idle connections

/// Sockets the process holds open.
fn sockets(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| {
                    std::fs::read_link(e.path())
                        .map(|l| l.to_string_lossy().starts_with("socket:"))
                        .unwrap_or(false)
                })
                .count()
        })
        .unwrap_or(0)
}

/// The platform's handshake timeout (`ServerBuilder::handshake_timeout`); the services do
/// not expose it in their configuration, so the suite waits for the default.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) async fn idle_connections(ctx: &Ctx, f: &mut Findings) -> anyhow::Result<()> {
    let n = if ctx.smoke() { 60 } else { 300 };
    let url = ctx.database("sqlite", "idle").await?;
    let mut p = ctx
        .runner
        .service("lscb-indicators", "idle", ctx.port(55), &url, &[])?;
    p.ready(Duration::from_secs(60)).await?;
    let addr = p.addr.expect("a server has an address");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let base = sockets(p.pid());
    let t = Instant::now();
    let mut conns = Vec::new();
    for i in 0..n {
        let mut s = tokio::net::TcpStream::connect(addr).await?;
        if i % 2 == 1 {
            // Half the 24-byte HTTP/2 client preface.
            s.write_all(b"PRI * HTTP/2").await?;
        }
        conns.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let peak = sockets(p.pid());
    let wait = HANDSHAKE_TIMEOUT + Duration::from_secs(3);
    let mut tasks = Vec::new();
    for mut s in conns {
        tasks.push(tokio::spawn(async move {
            let mut buf = [0u8; 64];
            loop {
                let left = wait.saturating_sub(t.elapsed());
                match tokio::time::timeout(left, s.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => return Some(t.elapsed()),
                    // The server may write (a SETTINGS frame) before it closes.
                    Ok(Ok(_)) => continue,
                    Err(_) => return None,
                }
            }
        }));
    }
    let mut closed = 0;
    let mut last = Duration::ZERO;
    for t in tasks {
        if let Some(d) = t.await? {
            closed += 1;
            last = last.max(d);
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = sockets(p.pid());
    // And the server still answers a real client.
    let ch = channel(&p.url()).await?;
    let admin = ctx.token(Role::Admin, None)?;
    let serves = indicators_client(ch)
        .list_indicators(authed(ind::ListIndicatorsRequest::default(), &admin))
        .await
        .is_ok();
    let alive_now = alive(&mut p);
    p.stop().await;
    let pass = closed == n && after <= base + 1 && serves && alive_now;
    f.row(
        "8",
        "Idle connections: nothing sent, or half the HTTP/2 preface",
        format!(
            "{n} TCP connections ({} silent, {} half preface); handshake timeout {} s",
            n - n / 2,
            n / 2,
            HANDSHAKE_TIMEOUT.as_secs()
        ),
        "all closed by the server after the handshake timeout; its sockets back to the idle count; still serving",
        format!(
            "{closed}/{n} closed by the server (last after {:.1} s); server sockets: {base} idle, {peak} with the connections, {after} after; serves a real client: {}",
            last.as_secs_f64(),
            if serves { "yes" } else { "no" }
        ),
        pass,
    );
    f.detail(
        "8. Idle connections",
        vec![format!(
            "the handshake timeout is the platform's default of {} s: the services have no configuration key for it (ServerBuilder::handshake_timeout is not read from lscb.toml or the environment), so the suite cannot set it lower",
            HANDSHAKE_TIMEOUT.as_secs()
        )],
    );
    Ok(())
}
