//! Checks 1 and 2: concurrent writers (nothing lost, nothing stored twice, no "database is
//! locked") and identical replays (every answer the first one, one stored effect).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant};

use lscb_platform::Role;
use lscb_proto::audits::v1 as aud;
use lscb_proto::audits::v1::audit_service_client::AuditServiceClient;
use lscb_proto::common::v1::{PageRequest, Period};
use lscb_proto::finance::v1 as fin;
use lscb_proto::finance::v1::finance_service_client::FinanceServiceClient;
use lscb_proto::indicators::v1 as ind;
use lscb_proto::report::v1 as rp;
use lscb_proto::report::v1::report_service_client::ReportServiceClient;
use lscb_proto::training::v1 as tr;
use lscb_proto::training::v1::training_service_client::TrainingServiceClient;
use prost::Message;
use tonic::Code;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;

use super::{Codes, Ctx, Findings, Stack, authed, channel, count, log_count};
use crate::rows::Workload;
use crate::scenarios::indicators_client;

pub(crate) fn period(code: &str) -> Option<Period> {
    Some(Period {
        code: code.to_string(),
    })
}

/// Defines indicators `0..k` of `w`.
pub(crate) async fn define(
    ch: &Channel,
    token: &MetadataValue<Ascii>,
    w: &Workload,
    k: u64,
) -> anyhow::Result<()> {
    let mut c = indicators_client(ch.clone());
    for i in 0..k {
        c.upsert_indicator(authed(
            ind::UpsertIndicatorRequest {
                indicator: Some(w.definition(i)),
            },
            token,
        ))
        .await
        .map_err(|s| anyhow::anyhow!("UpsertIndicator {}: {}", w.code(i), s.message()))?;
    }
    Ok(())
}

/// What one writer saw.
#[derive(Debug, Default)]
struct WriterOutcome {
    /// submission id -> rows acknowledged.
    acked: Vec<(String, u64)>,
    failed_batches: u64,
    retries: u64,
    errors: Codes,
    locked: u64,
    short_acks: u64,
    first_error: Option<String>,
}

/// Whether a call may be retried with the same key.
pub(crate) fn retryable(c: Code) -> bool {
    matches!(
        c,
        Code::Unavailable | Code::ResourceExhausted | Code::Aborted | Code::Cancelled
    )
}

// ---------------------------------------------------------------------------------------
// 1. Concurrent writers

pub(crate) async fn writers(ctx: &Ctx, f: &mut Findings) -> anyhow::Result<()> {
    let configs: [(&str, usize); 3] = [("sqlite", 1), ("postgres", 1), ("postgres", 2)];
    for (i, (backend, replicas)) in configs.into_iter().enumerate() {
        let id = format!("1{}", (b'a' + i as u8) as char);
        let what = if replicas == 1 {
            format!("Concurrent writers, {backend}")
        } else {
            format!("Concurrent writers, {replicas} replicas on one {backend} database")
        };
        if backend == "postgres" && ctx.pg.is_none() {
            f.not_run.push((what, ctx.pg_note.clone()));
            continue;
        }
        ctx.progress(&what);
        if let Err(e) = writers_on(ctx, f, &id, &what, backend, replicas).await {
            f.not_run.push((what, format!("{e:#}")));
        }
    }
    Ok(())
}

async fn writers_on(
    ctx: &Ctx,
    f: &mut Findings,
    id: &str,
    what: &str,
    backend: &str,
    replicas: usize,
) -> anyhow::Result<()> {
    let (n, m, r) = if ctx.smoke() {
        (4u64, 20u64, 5u64)
    } else {
        (32u64, 500u64, 5u64)
    };
    let name = format!("writers_{backend}_{replicas}");
    let url = ctx.database(backend, &name).await?;
    let mut procs = Vec::new();
    let mut labels = Vec::new();
    for k in 0..replicas {
        // One after the other: the first migrates, the second finds the schema in place.
        let label = format!("{name}-{k}");
        let mut p = ctx.runner.service(
            "lscb-indicators",
            &label,
            ctx.port(10 + k as u16),
            &url,
            &[],
        )?;
        p.ready(Duration::from_secs(60)).await?;
        procs.push(p);
        labels.push(label);
    }
    let admin = ctx.token(Role::Admin, None)?;
    let prefix = format!("W{}{replicas}", &backend[..1].to_uppercase());
    let w = Workload::new(ctx.agencies.clone(), &prefix);
    let total = n * m * r;
    // Four connections per replica.
    let mut chans = Vec::new();
    for p in &procs {
        chans.push(crate::load::connections(&p.url(), 4).await?);
    }
    define(&chans[0][0], &admin, &w, w.indicators_for(total)).await?;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..n {
        let ch = chans[k as usize % replicas][(k as usize / replicas) % 4].clone();
        let (w, admin, prefix) = (w.clone(), admin.clone(), prefix.clone());
        tasks.push(tokio::spawn(async move {
            let mut o = WriterOutcome::default();
            let mut c = indicators_client(ch);
            for b in 0..m {
                let from = (k * m + b) * r;
                let req = ind::SubmitObservationsRequest {
                    idempotency_key: format!("rel-{prefix}-{k}-{b}"),
                    rows: w.inputs(from, from + r),
                };
                let mut attempt = 0;
                loop {
                    match c.submit_observations(authed(req.clone(), &admin)).await {
                        Ok(resp) => {
                            let resp = resp.into_inner();
                            if resp.stored_count != r {
                                o.short_acks += 1;
                            }
                            o.acked.push((resp.submission_id, resp.stored_count));
                            break;
                        }
                        Err(s) => {
                            o.errors.add(s.code());
                            if s.message().contains("locked") {
                                o.locked += 1;
                            }
                            o.first_error
                                .get_or_insert_with(|| format!("{:?}: {}", s.code(), s.message()));
                            attempt += 1;
                            if retryable(s.code()) && attempt < 5 {
                                o.retries += 1;
                                tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
                                continue;
                            }
                            o.failed_batches += 1;
                            break;
                        }
                    }
                }
            }
            o
        }));
    }
    let mut all = WriterOutcome::default();
    for t in tasks {
        let o = t.await?;
        all.acked.extend(o.acked);
        all.failed_batches += o.failed_batches;
        all.retries += o.retries;
        all.errors.merge(&o.errors);
        all.locked += o.locked;
        all.short_acks += o.short_acks;
        if all.first_error.is_none() {
            all.first_error = o.first_error;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    drop(chans);
    // Logs and liveness before stopping.
    let mut panics = Vec::new();
    let mut dead = 0;
    let mut locked_logged = 0;
    for (p, l) in procs.iter_mut().zip(&labels) {
        if !super::alive(p) {
            dead += 1;
        }
        panics.extend(super::panics_in(&ctx.log_of(l)));
        locked_logged += log_count(&ctx.log_of(l), "database is locked");
    }
    for p in procs {
        p.stop().await;
    }

    // Count what is stored.
    let db = sea_orm::Database::connect(&url).await?;
    let like = format!("{prefix}.%");
    let observations = count(
        &db,
        &format!("SELECT COUNT(*) FROM ind_observation WHERE indicator_code LIKE '{like}'"),
    )
    .await?;
    let revisions = count(
        &db,
        &format!(
            "SELECT COUNT(*) FROM ind_revision r JOIN ind_observation o ON r.observation_id = o.id \
             WHERE o.indicator_code LIKE '{like}'"
        ),
    )
    .await?;
    let dup_keys = count(
        &db,
        &format!(
            "SELECT COUNT(*) FROM (SELECT idempotency_key FROM ind_submission \
             WHERE idempotency_key LIKE 'rel-{prefix}-%' GROUP BY idempotency_key \
             HAVING COUNT(*) > 1) t"
        ),
    )
    .await?;
    let per_submission: HashMap<String, i64> = {
        let rows = sea_orm::ConnectionTrait::query_all_raw(
            &db,
            sea_orm::Statement::from_string(
                sea_orm::ConnectionTrait::get_database_backend(&db),
                format!(
                    "SELECT r.submission_id, COUNT(*) FROM ind_revision r \
                     JOIN ind_observation o ON r.observation_id = o.id \
                     WHERE o.indicator_code LIKE '{like}' GROUP BY r.submission_id"
                ),
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
    let _ = db.close().await;
    let mut lost = 0u64;
    let mut ids = HashSet::new();
    for (sid, rows) in &all.acked {
        ids.insert(sid.clone());
        let stored = per_submission.get(sid).copied().unwrap_or(0) as u64;
        lost += rows.saturating_sub(stored);
    }
    let acked_rows: u64 = all.acked.iter().map(|(_, n)| n).sum();
    let duplicated = (revisions - observations).max(0) as u64 + dup_keys as u64;
    let missing_cells = (total as i64 - observations).max(0) as u64;
    let locked = all.locked + locked_logged as u64;
    let pass = lost == 0
        && duplicated == 0
        && locked == 0
        && all.failed_batches == 0
        && all.short_acks == 0
        && missing_cells == 0
        && panics.is_empty()
        && dead == 0;
    f.row(
        id,
        what,
        format!(
            "{n} writers x {m} batches x {r} rows = {total} rows ({:.0} batches/s)",
            (n * m) as f64 / secs
        ),
        "0 lost, 0 duplicated, 0 \"database is locked\", every batch acknowledged",
        format!(
            "acknowledged {}/{} batches ({acked_rows} rows), stored {observations} cells / {revisions} revisions; \
             lost {lost}, duplicated {duplicated}, \"database is locked\" {locked}, \
             failed batches {}, retries {}, errors {}{}{}",
            all.acked.len(),
            n * m,
            all.failed_batches,
            all.retries,
            all.errors.render(),
            if panics.is_empty() {
                String::new()
            } else {
                format!(", panics {}", panics.len())
            },
            if dead > 0 {
                format!(", {dead} process(es) died")
            } else {
                String::new()
            },
        ),
        pass,
    );
    if lost > 0 {
        f.bug(format!(
            "{what}: {lost} acknowledged row(s) not stored under their submission"
        ));
    }
    if duplicated > 0 {
        f.bug(format!(
            "{what}: {duplicated} row(s) or key(s) stored twice"
        ));
    }
    if locked > 0 {
        f.bug(format!("{what}: \"database is locked\" {locked} time(s)"));
    }
    for p in panics.iter().take(3) {
        f.bug(format!("{what}: panic: {p}"));
    }
    if let Some(e) = &all.first_error {
        f.detail(what, vec![format!("first error: {e}")]);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// 2. Identical replays

/// What 100 identical calls answered.
struct Replay {
    answers: u64,
    identical: u64,
    codes: Codes,
    first: Result<Vec<u8>, (Code, String)>,
    secs: f64,
}

async fn replay<F, Fut>(n: usize, call: F) -> Replay
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Vec<u8>, tonic::Status>>,
{
    let t = Instant::now();
    let results = futures::future::join_all((0..n).map(|_| call())).await;
    let secs = t.elapsed().as_secs_f64();
    let mut codes = Codes::default();
    for r in &results {
        match r {
            Ok(_) => codes.add(Code::Ok),
            Err(s) => codes.add(s.code()),
        }
    }
    let first = match &results[0] {
        Ok(b) => Ok(b.clone()),
        Err(s) => Err((s.code(), s.message().to_string())),
    };
    let identical = results
        .iter()
        .filter(|r| match (r, &first) {
            (Ok(b), Ok(f)) => b == f,
            (Err(s), Err((c, m))) => s.code() == *c && s.message() == m,
            _ => false,
        })
        .count() as u64;
    Replay {
        answers: results.len() as u64,
        identical,
        codes,
        first,
        secs,
    }
}

fn enc<M: Message>(r: Result<tonic::Response<M>, tonic::Status>) -> Result<Vec<u8>, tonic::Status> {
    r.map(|m| m.into_inner().encode_to_vec())
}

#[allow(clippy::too_many_arguments)]
fn replay_row(
    f: &mut Findings,
    id: &str,
    rpc: &str,
    n: usize,
    r: &Replay,
    effect: Option<(String, bool)>,
) {
    let bad =
        r.codes.get(Code::Internal) + r.codes.get(Code::Unknown) + r.codes.get(Code::AlreadyExists);
    let first_ok = r.first.is_ok();
    let (effect_s, effect_ok) = effect.unwrap_or(("not checked".into(), true));
    let pass = first_ok && r.identical == r.answers && bad == 0 && effect_ok;
    f.row(
        id,
        &format!("Identical replays: {rpc}"),
        format!(
            "{n} concurrent identical requests, one key ({:.2} s)",
            r.secs
        ),
        "every answer identical to the first; 0 INTERNAL/ALREADY_EXISTS; one stored effect",
        format!(
            "{}/{} identical to the first{}; codes: {}; effect: {effect_s}",
            r.identical,
            r.answers,
            match &r.first {
                Ok(_) => String::new(),
                Err((c, m)) => format!(" (first answer {c:?}: {m})"),
            },
            r.codes.render()
        ),
        pass,
    );
    if r.codes.get(Code::Internal) + r.codes.get(Code::Unknown) > 0 {
        f.bug(format!(
            "{rpc}: identical replays answered INTERNAL/UNKNOWN ({})",
            r.codes.render()
        ));
    }
    if r.codes.get(Code::AlreadyExists) > 0 {
        f.bug(format!(
            "{rpc}: identical replays with one key answered ALREADY_EXISTS ({})",
            r.codes.render()
        ));
    }
    if first_ok && r.identical != r.answers {
        f.bug(format!(
            "{rpc}: {} of {} identical replays answered differently from the first",
            r.answers - r.identical,
            r.answers
        ));
    }
    if !effect_ok {
        f.bug(format!(
            "{rpc}: replays stored more than one effect ({effect_s})"
        ));
    }
}

pub(crate) async fn replays(ctx: &Ctx, f: &mut Findings) -> anyhow::Result<()> {
    let n = 100;
    let mut stack = Stack::start(ctx, "replays", 0).await?;
    let admin = ctx.token(Role::Admin, None)?;
    let agg = channel(&stack.url(0)).await?;
    let ind_ch = channel(&stack.url(1)).await?;
    let aud_ch = channel(&stack.url(2)).await?;
    let tra_ch = channel(&stack.url(3)).await?;
    let fin_ch = channel(&stack.url(4)).await?;

    // Indicators: SubmitObservations.
    {
        let w = Workload::new(ctx.agencies.clone(), "REPLAY");
        define(&ind_ch, &admin, &w, 1).await?;
        let req = ind::SubmitObservationsRequest {
            idempotency_key: "replay-observations".into(),
            rows: w.inputs(0, 10),
        };
        let r = replay(n, || {
            let mut c = indicators_client(ind_ch.clone());
            let req = authed(req.clone(), &admin);
            // The answer is the first one's; a replay only carries `replayed = true`.
            async move {
                enc(c.submit_observations(req).await.map(|r| {
                    r.map(|mut m| {
                        m.replayed = false;
                        m
                    })
                }))
            }
        })
        .await;
        let revs = indicators_client(ind_ch.clone())
            .list_revisions(authed(
                ind::ListRevisionsRequest {
                    indicator_code: w.code(0),
                    page: Some(PageRequest {
                        page_size: 1000,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                &admin,
            ))
            .await?
            .into_inner()
            .revisions;
        let effect = (
            format!("{} revisions stored for the 10 rows", revs.len()),
            revs.len() == 10 && revs.iter().all(|o| o.revision == 1),
        );
        replay_row(
            f,
            "2a",
            "indicators SubmitObservations",
            n,
            &r,
            Some(effect),
        );
    }

    // Training: RecordYearTotals (an upsert of the year's totals).
    {
        let req = tr::RecordYearTotalsRequest {
            totals: Some(tr::YearTotals {
                year: period("2013-14"),
                courses_run: 111,
                places_offered: 2500,
                places_taken: 2222,
                ..Default::default()
            }),
            idempotency_key: "replay-year-totals".into(),
        };
        let r = replay(n, || {
            let mut c = TrainingServiceClient::new(tra_ch.clone());
            let req = authed(req.clone(), &admin);
            async move { enc(c.record_year_totals(req).await) }
        })
        .await;
        // The effect of an upsert is the same however often it is applied; read it back.
        let s = TrainingServiceClient::new(tra_ch.clone())
            .get_training_summary(authed(
                tr::GetTrainingSummaryRequest {
                    period: period("2013-14"),
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .map(|r| format!("{:?}", r.into_inner()))
            .unwrap_or_default();
        let effect = (
            "the year's totals read back (2222 places taken)".to_string(),
            s.contains("2222"),
        );
        replay_row(f, "2b", "training RecordYearTotals", n, &r, Some(effect));
    }

    // Audits: CreateAudit (each unkeyed call would create one more audit).
    {
        let title = "Replay check audit";
        let req = aud::CreateAuditRequest {
            audit: Some(aud::Audit {
                r#type: aud::AuditType::MultiAgencyCaseFile as i32,
                title: title.into(),
                strategic_priority: "Voice of the Child".into(),
                period: period("2015-16"),
                status: aud::AuditStatus::InProgress as i32,
                ..Default::default()
            }),
            idempotency_key: "replay-create-audit".into(),
        };
        let r = replay(n, || {
            let mut c = AuditServiceClient::new(aud_ch.clone());
            let req = authed(req.clone(), &admin);
            async move { enc(c.create_audit(req).await) }
        })
        .await;
        let audits = AuditServiceClient::new(aud_ch.clone())
            .list_audits(authed(
                aud::ListAuditsRequest {
                    page: Some(PageRequest {
                        page_size: 1000,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                &admin,
            ))
            .await?
            .into_inner()
            .audits;
        let k = audits.iter().filter(|a| a.title == title).count();
        replay_row(
            f,
            "2c",
            "audits CreateAudit",
            n,
            &r,
            Some((format!("{k} audit(s) created"), k == 1)),
        );
    }

    // Finance: PutIncome; its history entries against one unreplayed call.
    {
        let mut fc = FinanceServiceClient::new(fin_ch.clone());
        for y in ["2013-14", "2014-15"] {
            fc.create_budget_year(authed(
                fin::CreateBudgetYearRequest { year: period(y) },
                &admin,
            ))
            .await?;
        }
        let put = |y: &str, key: &str| fin::PutIncomeRequest {
            year: period(y),
            lines: vec![
                fin::IncomeInput {
                    category: "grants".into(),
                    description: "Home Office grant".into(),
                    amount_pence: 1_234_500,
                    remove: false,
                },
                fin::IncomeInput {
                    category: "training_fees".into(),
                    description: "Fees from non-partners".into(),
                    amount_pence: 98_700,
                    remove: false,
                },
            ],
            idempotency_key: key.into(),
        };
        let history = |y: &'static str| {
            let fin_ch = fin_ch.clone();
            let admin = admin.clone();
            async move {
                FinanceServiceClient::new(fin_ch)
                    .list_history(authed(
                        fin::ListHistoryRequest {
                            year: period(y),
                            page: Some(PageRequest {
                                page_size: 1000,
                                ..Default::default()
                            }),
                            ..Default::default()
                        },
                        &admin,
                    ))
                    .await
                    .map(|r| r.into_inner().entries.len())
            }
        };
        let h13 = history("2013-14").await?;
        fc.put_income(authed(put("2013-14", "replay-single"), &admin))
            .await?;
        let once = history("2013-14").await? - h13;
        let h14 = history("2014-15").await?;
        let req = put("2014-15", "replay-income");
        let r = replay(n, || {
            let mut c = FinanceServiceClient::new(fin_ch.clone());
            let req = authed(req.clone(), &admin);
            async move { enc(c.put_income(req).await) }
        })
        .await;
        let replayed = history("2014-15").await? - h14;
        replay_row(
            f,
            "2d",
            "finance PutIncome",
            n,
            &r,
            Some((
                format!("{replayed} history entries after the replays, {once} after one call"),
                replayed == once && once > 0,
            )),
        );
    }

    // Report: PublishReport (allow_incomplete: the data services hold little data).
    {
        let req = rp::PublishReportRequest {
            year: "2014-15".into(),
            allow_incomplete: true,
            idempotency_key: "replay-publish".into(),
        };
        let r = replay(n, || {
            let mut c =
                ReportServiceClient::new(agg.clone()).max_decoding_message_size(64 * 1024 * 1024);
            let req = authed(req.clone(), &admin);
            async move { enc(c.publish_report(req).await) }
        })
        .await;
        let published = ReportServiceClient::new(agg.clone())
            .list_published(authed(
                rp::ListPublishedRequest {
                    year: "2014-15".into(),
                },
                &admin,
            ))
            .await?
            .into_inner()
            .reports
            .len();
        replay_row(
            f,
            "2e",
            "report PublishReport",
            n,
            &r,
            Some((format!("{published} version(s) published"), published == 1)),
        );
    }
    let (panics, dead) = stack.health(ctx);
    for p in &panics {
        f.bug(format!("replays: panic: {p}"));
    }
    if !dead.is_empty() {
        f.bug(format!("replays: services died: {}", dead.join(", ")));
    }
    stack.stop().await;
    Ok(())
}
