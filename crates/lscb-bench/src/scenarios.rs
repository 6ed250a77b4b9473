//! The scenarios of `lscb-bench run` and their sizes (full, or `--smoke` for CI), each
//! measured next to its baseline in the same run.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lscb_platform::{Authenticator, Role};
use lscb_proto::common::v1::Period;
use lscb_proto::indicators::v1 as ind;
use lscb_proto::indicators::v1::indicator_service_client::IndicatorServiceClient;
use sea_orm::ConnectionTrait;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;

use crate::hello::pb as hello_pb;
use crate::load::{self, LoadSpec, Measure};
use crate::markdown::Report;
use crate::raw::RawResult;
use crate::rows::Workload;
use crate::stack::{Proc, Runner};

/// Arguments of `lscb-bench run`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RunArgs {
    /// A seconds-long run that checks the harness works (CI); figures are not judged.
    #[arg(long)]
    pub(crate) smoke: bool,
    /// Where to write the report.
    #[arg(long, default_value = "BENCHMARKS.md")]
    pub(crate) out: PathBuf,
    /// Hand-written method and findings appended to the report.
    #[arg(long, default_value = "docs/benchmarks.md")]
    pub(crate) notes: PathBuf,
    /// The partnership directory (the services' and the workload's agencies).
    #[arg(long, default_value = "deploy/directory.toml")]
    pub(crate) directory: PathBuf,
    /// The reference dataset (report scenario).
    #[arg(long, default_value = "deploy/reference-data/2015-16")]
    pub(crate) reference_data: PathBuf,
    /// PostgreSQL server for the PostgreSQL figures (databases lscb_bench_* are created and
    /// dropped); empty: skip PostgreSQL.
    #[arg(
        long,
        env = "LSCB_BENCH_PG_URL",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    pub(crate) pg_url: String,
    /// First of the ten ports used (hello-world on it, services on the next nine). The default
    /// lies above Linux's ephemeral range (32768-60999), so that no outgoing connection of the
    /// run (to PostgreSQL, between the services) can hold one of them.
    #[arg(long, default_value_t = 61050)]
    pub(crate) port_base: u16,
    /// Do not pin servers and load generator to different cores.
    #[arg(long)]
    pub(crate) no_pin: bool,
    /// Concurrent calls for the unary scenario.
    #[arg(long, default_value_t = 32)]
    pub(crate) concurrency: usize,
    /// HTTP/2 connections for the unary scenario.
    #[arg(long, default_value_t = 4)]
    pub(crate) connections: usize,
    /// Measured seconds per unary figure.
    #[arg(long)]
    pub(crate) duration: Option<f64>,
    /// Warm-up seconds before each unary figure.
    #[arg(long)]
    pub(crate) warmup: Option<f64>,
    /// Rows sent as SubmitObservations batches of 1,000.
    #[arg(long)]
    pub(crate) batch_rows: Option<u64>,
    /// Rows sent in one StreamObservations on SQLite (default 1,000,000).
    #[arg(long)]
    pub(crate) stream_rows: Option<u64>,
    /// Rows sent in one StreamObservations on PostgreSQL (default 250,000: this machine's
    /// PostgreSQL takes about three minutes for the raw insert of 1,000,000 rows alone, which
    /// with the service's own stream would not fit the ten-minute budget; pass 1000000 for the
    /// full-size figure).
    #[arg(long)]
    pub(crate) pg_stream_rows: Option<u64>,
    /// When the full stream is refused, also stream this many rows (the largest stream the
    /// service answers today) so that the stream has a figure next to its baseline.
    #[arg(long, default_value_t = 90_000)]
    pub(crate) stream_fallback_rows: u64,
    /// Concurrent SubmitObservations callers.
    #[arg(long, default_value_t = 1)]
    pub(crate) ingest_concurrency: usize,
    /// Report sizes (multiples of the reference dataset).
    #[arg(long, value_delimiter = ',')]
    pub(crate) report_scales: Option<Vec<u32>>,
    /// Only these scenarios (unary, ingest, resources, report); default all.
    #[arg(long, value_delimiter = ',')]
    pub(crate) only: Option<Vec<String>>,
    /// Also write every figure as JSON here.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    /// Keep the scratch directory.
    #[arg(long)]
    pub(crate) keep: bool,
}

/// Sizes and placement decided before the runtime starts.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) client_threads: usize,
    pub(crate) server_cores: Option<String>,
    pub(crate) server_threads: usize,
    pub(crate) pin_note: String,
}

impl Plan {
    /// Pins this process (all its threads) to the last core and servers to the others.
    pub(crate) fn new(args: &RunArgs) -> anyhow::Result<Plan> {
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let taskset = std::process::Command::new("taskset")
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if args.no_pin || cpus < 2 || !taskset {
            let why = if args.no_pin {
                "--no-pin".to_string()
            } else if cpus < 2 {
                format!("{cpus} CPU")
            } else {
                "taskset not found".to_string()
            };
            return Ok(Plan {
                client_threads: cpus,
                server_cores: None,
                server_threads: cpus,
                pin_note: format!("not pinned ({why}); tokio worker threads = {cpus} everywhere"),
            });
        }
        let client = cpus - 1;
        let servers = if client == 1 {
            "0".to_string()
        } else {
            format!("0-{}", client - 1)
        };
        let st = std::process::Command::new("taskset")
            .args([
                "-a",
                "-p",
                "-c",
                &client.to_string(),
                &std::process::id().to_string(),
            ])
            .stdout(Stdio::null())
            .status()?;
        anyhow::ensure!(st.success(), "taskset could not pin the load generator");
        Ok(Plan {
            client_threads: 1,
            server_cores: Some(servers.clone()),
            server_threads: client,
            pin_note: format!(
                "servers and baselines pinned to CPU {servers} with {client} tokio worker thread(s); \
                 load generator pinned to CPU {client} with 1 worker thread (taskset)"
            ),
        })
    }
}

/// Sizes of one run.
#[derive(Debug, Clone)]
pub(crate) struct Sizes {
    pub(crate) warmup: Duration,
    pub(crate) duration: Duration,
    pub(crate) series_indicators: u64,
    pub(crate) batch_rows: u64,
    pub(crate) stream_rows: u64,
    pub(crate) pg_stream_rows: u64,
    pub(crate) report_scales: Vec<u32>,
    pub(crate) report_repeats: usize,
}

impl Sizes {
    fn of(args: &RunArgs) -> Sizes {
        let smoke = args.smoke;
        let secs = |v: Option<f64>, full: f64, small: f64| {
            Duration::from_secs_f64(v.unwrap_or(if smoke { small } else { full }))
        };
        Sizes {
            warmup: secs(args.warmup, 2.0, 0.3),
            duration: secs(args.duration, 8.0, 1.0),
            series_indicators: if smoke { 2 } else { 20 },
            batch_rows: args
                .batch_rows
                .unwrap_or(if smoke { 5_000 } else { 100_000 }),
            stream_rows: args
                .stream_rows
                .unwrap_or(if smoke { 5_000 } else { 1_000_000 }),
            pg_stream_rows: args
                .pg_stream_rows
                .unwrap_or(if smoke { 5_000 } else { 250_000 }),
            report_scales: if smoke {
                vec![1]
            } else {
                args.report_scales.clone().unwrap_or(vec![1, 10, 100])
            },
            report_repeats: if smoke { 1 } else { 3 },
        }
    }
}

/// What the scenarios share.
#[derive(Debug)]
pub(crate) struct Env {
    pub(crate) args: RunArgs,
    pub(crate) sizes: Sizes,
    pub(crate) plan: Plan,
    pub(crate) runner: Runner,
    pub(crate) auth: Authenticator,
    pub(crate) agencies: Vec<String>,
    pub(crate) pg: Option<String>,
    pub(crate) pg_note: String,
}

pub(crate) const PARTNERSHIP: &str = "bscb";

impl Env {
    pub(crate) fn token(&self, role: Role) -> anyhow::Result<MetadataValue<Ascii>> {
        let t = self.auth.issue(
            "bench",
            PARTNERSHIP,
            role,
            None,
            Duration::from_secs(6 * 3600),
        )?;
        Ok(format!("Bearer {t}").parse()?)
    }

    fn wants(&self, scenario: &str) -> bool {
        self.args
            .only
            .as_ref()
            .is_none_or(|o| o.iter().any(|s| s == scenario))
    }

    pub(crate) fn port(&self, offset: u16) -> u16 {
        self.args.port_base + offset
    }

    /// A fresh database URL for `name` on `backend` ("sqlite" or "postgres").
    pub(crate) async fn database(&self, backend: &str, name: &str) -> anyhow::Result<String> {
        if backend == "sqlite" {
            let path = self.runner.work.join(format!("{name}.db"));
            let _ = std::fs::remove_file(&path);
            return Ok(format!("sqlite://{}?mode=rwc", path.display()));
        }
        let base = self
            .pg
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("PostgreSQL is not available"))?;
        let db = format!("lscb_bench_{name}");
        let admin = sea_orm::Database::connect(format!("{base}/postgres")).await?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {db}"))
            .await?;
        admin.close().await?;
        Ok(format!("{base}/{db}"))
    }

    async fn drop_pg_databases(&self) {
        let Some(base) = &self.pg else { return };
        let Ok(admin) = sea_orm::Database::connect(format!("{base}/postgres")).await else {
            return;
        };
        let Ok(rows) = admin
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT datname FROM pg_database WHERE datname LIKE 'lscb_bench_%'",
            ))
            .await
        else {
            return;
        };
        for r in rows {
            if let Ok(name) = r.try_get_by_index::<String>(0) {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
        let _ = admin.close().await;
    }
}

async fn pg_available(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err("no PostgreSQL URL given".into());
    }
    let mut opts = sea_orm::ConnectOptions::new(format!("{url}/postgres"));
    opts.connect_timeout(Duration::from_secs(3))
        .sqlx_logging(false);
    match tokio::time::timeout(Duration::from_secs(5), sea_orm::Database::connect(opts)).await {
        Ok(Ok(c)) => {
            let _ = c.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(format!("cannot connect to {url}: {e}")),
        Err(_) => Err(format!("cannot connect to {url}: timed out")),
    }
}

/// Runs everything and writes the report.
pub(crate) async fn run(args: RunArgs, plan: Plan) -> anyhow::Result<()> {
    let started = Instant::now();
    let load_start = crate::procstat::loadavg();
    let sizes = Sizes::of(&args);
    let work = std::env::temp_dir().join(format!("lscb-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let secret_file = work.join("jwt-secret");
    let secret = format!("lscb-bench-secret-{}-0123456789abcdef", std::process::id());
    std::fs::write(&secret_file, &secret)?;
    let auth = Authenticator::new(secret.as_bytes())?;
    let directory = std::fs::canonicalize(&args.directory)
        .map_err(|e| anyhow::anyhow!("directory {}: {e}", args.directory.display()))?;
    let dir = lscb_platform::Directory::load(&directory)?;
    let agencies: Vec<String> = dir
        .partnership(PARTNERSHIP)
        .ok_or_else(|| anyhow::anyhow!("partnership {PARTNERSHIP} is not in the directory"))?
        .agencies
        .iter()
        .map(|a| a.code.clone())
        .collect();
    let bin_dir = std::env::current_exe()?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let (pg, pg_note) = match pg_available(&args.pg_url).await {
        Ok(()) => (
            Some(args.pg_url.clone()),
            format!("PostgreSQL at {}", args.pg_url),
        ),
        Err(e) => (None, format!("PostgreSQL not measured: {e}")),
    };
    let env = Arc::new(Env {
        runner: Runner {
            bin_dir,
            work: work.clone(),
            server_cores: plan.server_cores.clone(),
            server_threads: plan.server_threads,
            directory,
            secret_file,
        },
        args: args.clone(),
        sizes,
        plan,
        auth,
        agencies,
        pg,
        pg_note,
    });
    let mut report = Report::new(&env, &load_start);
    eprintln!("bench: scratch directory {}", work.display());

    if env.wants("unary") {
        eprintln!("bench: unary read (GetSeries) against hello-world");
        if let Err(e) = unary(&env, &mut report).await {
            report.not_run(
                "Unary read: GetSeries against hello-world",
                &format!("{e:#}"),
            );
        }
    }
    if env.wants("ingest") {
        for backend in ["sqlite", "postgres"] {
            if backend == "postgres" && env.pg.is_none() {
                report.not_run("Ingest on PostgreSQL", &env.pg_note.clone());
                continue;
            }
            eprintln!("bench: ingest on {backend}");
            // The database server is shared with other users of the machine: one retry.
            let mut r = ingest(&env, backend, &mut report).await;
            if let Err(e) = &r {
                eprintln!("bench: ingest on {backend} failed ({e:#}); retrying once");
                r = ingest(&env, backend, &mut report).await;
            }
            if let Err(e) = r {
                report.not_run(&format!("Ingest on {backend}"), &format!("{e:#}"));
            }
        }
    }
    if env.wants("report") {
        eprintln!("bench: AssembleReport at {:?}x", env.sizes.report_scales);
        if let Err(e) = crate::scenarios::report_scenario(&env, &mut report).await {
            report.not_run("Report: AssembleReport at 1x, 10x, 100x", &format!("{e:#}"));
        }
    }

    if env.wants("resources") {
        eprintln!("bench: idle RSS of each service");
        if let Err(e) = idle_rss(&env, &mut report).await {
            report.not_run("Idle RSS per service", &format!("{e:#}"));
        }
    }
    env.drop_pg_databases().await;
    let notes = std::fs::read_to_string(&env.args.notes).ok();
    let md = report.render(
        started.elapsed(),
        &crate::procstat::loadavg(),
        notes.as_deref(),
    );
    std::fs::write(&env.args.out, md)?;
    if let Some(j) = &env.args.json {
        std::fs::write(j, serde_json::to_string_pretty(&report.json)?)?;
    }
    eprintln!(
        "bench: wrote {} in {:.0} s",
        env.args.out.display(),
        started.elapsed().as_secs_f64()
    );
    if !env.args.keep {
        let _ = std::fs::remove_dir_all(&work);
    }
    if env.args.smoke && !report.failures.is_empty() {
        anyhow::bail!("smoke run failed:\n{}", report.failures.join("\n"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Helpers

pub(crate) fn authed<T>(msg: T, token: &MetadataValue<Ascii>) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut().insert("authorization", token.clone());
    r
}

pub(crate) fn indicators_client(ch: Channel) -> IndicatorServiceClient<Channel> {
    IndicatorServiceClient::new(ch)
        .max_decoding_message_size(512 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024)
}

/// An answer the load generator does not look into: prost skips its fields without
/// allocating, so a large answer costs the load generator a length check instead of a full
/// decode, and the server stays the bottleneck being measured.
#[derive(Clone, PartialEq, prost::Message)]
struct Discarded {}

/// `GetSeries` with the answer discarded unread (see [`Discarded`]).
async fn get_series_discarding(
    ch: Channel,
    req: tonic::Request<ind::GetSeriesRequest>,
) -> Result<(), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(ch).max_decoding_message_size(512 * 1024 * 1024);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let codec = tonic_prost::ProstCodec::<ind::GetSeriesRequest, Discarded>::default();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/lscb.indicators.v1.IndicatorService/GetSeries",
    );
    grpc.unary(req, path, codec).await.map(|_| ())
}

fn period(code: &str) -> Option<Period> {
    Some(Period {
        code: code.to_string(),
    })
}

/// Defines indicators `0..k` of `w`.
async fn define(
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

/// Submits rows `from..to` of `w` in batches of `batch` (setup, not measured).
async fn submit_rows(
    ch: &Channel,
    token: &MetadataValue<Ascii>,
    w: &Workload,
    from: u64,
    to: u64,
    batch: u64,
) -> anyhow::Result<()> {
    let mut c = indicators_client(ch.clone());
    let mut i = from;
    while i < to {
        let e = (i + batch).min(to);
        c.submit_observations(authed(
            ind::SubmitObservationsRequest {
                idempotency_key: format!("setup-{}-{i}", w.prefix),
                rows: w.inputs(i, e),
            },
            token,
        ))
        .await
        .map_err(|s| anyhow::anyhow!("seeding rows {i}..{e}: {}", s.message()))?;
        i = e;
    }
    Ok(())
}

fn unary_spec(env: &Env) -> LoadSpec {
    LoadSpec {
        concurrency: env.args.concurrency,
        connections: env.args.connections,
        warmup: env.sizes.warmup,
        duration: Some(env.sizes.duration),
        count: None,
    }
}

// ---------------------------------------------------------------------------------------
// 1. Unary read

async fn unary(env: &Arc<Env>, report: &mut Report) -> anyhow::Result<()> {
    let spec = unary_spec(env);
    // Baseline: hello-world.
    let mut hello = env.runner.hello(env.port(0))?;
    hello.ready(Duration::from_secs(10)).await?;
    let chans = load::connections(&hello.url(), spec.connections).await?;
    let hello_m = load::run(&spec, &chans, Some(hello.pid()), |ch, _| async move {
        hello_pb::greeter_client::GreeterClient::new(ch)
            .say_hello(hello_pb::HelloRequest {
                name: "lscb".into(),
            })
            .await
            .map(|_| 1)
    })
    .await;
    drop(chans);
    hello.stop().await;

    // Target: GetSeries on a seeded partnership, full middleware.
    let url = env.database("sqlite", "series").await?;
    let mut svc = env.runner.service(
        "lscb-indicators",
        "indicators-series",
        env.port(1),
        &url,
        &[],
    )?;
    svc.ready(Duration::from_secs(30)).await?;
    let admin = env.token(Role::Admin)?;
    let reader = env.token(Role::Reader)?;
    let chans = load::connections(&svc.url(), spec.connections).await?;
    let w = Workload::new(env.agencies.clone(), "SERIES");
    let k = env.sizes.series_indicators;
    define(&chans[0], &admin, &w, k).await?;
    let per = crate::rows::MONTHS * env.agencies.len() as u64;
    submit_rows(&chans[0], &admin, &w, 0, k * per, 5_000).await?;
    let mut c = indicators_client(chans[0].clone());
    c.set_benchmarks(authed(
        ind::SetBenchmarksRequest {
            benchmarks: ["2014-15", "2015-16"]
                .iter()
                .map(|y| ind::Benchmark {
                    indicator_code: w.code(0),
                    period: period(y),
                    comparator: ind::Comparator::England as i32,
                    value: "380".into(),
                    source: "bench".into(),
                    ..Default::default()
                })
                .collect(),
        },
        &admin,
    ))
    .await?;
    let code = w.code(0);
    let req = ind::GetSeriesRequest {
        indicator_code: code.clone(),
        from: period("2015-04"),
        to: period("2016-03"),
        ..Default::default()
    };
    // A correct answer first: 12 monthly points summed over the agencies.
    let probe = c
        .get_series(authed(req.clone(), &reader))
        .await?
        .into_inner();
    let points = probe.lines.first().map(|l| l.points.len()).unwrap_or(0);
    anyhow::ensure!(
        points == 12,
        "GetSeries returned {points} points, expected 12"
    );
    let series_load = |chans: Vec<Channel>, pid: u32| {
        let reader = reader.clone();
        let req = req.clone();
        let spec = spec.clone();
        async move {
            load::run(&spec, &chans, Some(pid), move |ch, _| {
                let req = req.clone();
                let reader = reader.clone();
                async move {
                    get_series_discarding(ch, authed(req, &reader))
                        .await
                        .map(|_| 1)
                }
            })
            .await
        }
    };
    // As deployed: the read cache on (the same request each call is the dashboard case).
    let series_m = series_load(chans, svc.pid()).await;
    svc.stop().await;
    // The same database with the read cache off: every call reads and aggregates the rows.
    let mut cold = env.runner.service(
        "lscb-indicators",
        "indicators-series-nocache",
        env.port(1),
        &url,
        &[("LSCB_READ_CACHE_TTL_MS", "0".to_string())],
    )?;
    cold.ready(Duration::from_secs(30)).await?;
    let chans = load::connections(&cold.url(), spec.connections).await?;
    let cold_m = series_load(chans, cold.pid()).await;
    cold.stop().await;
    report.unary(
        env,
        &hello_m,
        &series_m,
        &cold_m,
        k * per,
        &code,
        prost::Message::encoded_len(&probe),
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// 2. Ingest

async fn raw_insert(
    env: &Env,
    url: &str,
    rows: u64,
    batch: u64,
    prefix: &str,
) -> anyhow::Result<RawResult> {
    let me = std::env::current_exe()?;
    let mut c = env.runner.command(&me);
    c.arg("raw-insert")
        .args(["--url", url])
        .args(["--rows", &rows.to_string()])
        .args(["--batch", &batch.to_string()])
        .args(["--prefix", prefix])
        .arg("--directory")
        .arg(&env.runner.directory)
        .args(["--partnership", PARTNERSHIP]);
    let out = tokio::task::spawn_blocking(move || c.output()).await??;
    anyhow::ensure!(
        out.status.success(),
        "raw-insert failed: {}",
        crate::report_bench::first_lines(&String::from_utf8_lossy(&out.stderr), 8)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

async fn ingest(env: &Arc<Env>, backend: &str, report: &mut Report) -> anyhow::Result<()> {
    let s = &env.sizes;
    let stream_rows = if backend == "postgres" {
        s.pg_stream_rows
    } else {
        s.stream_rows
    };
    let agencies = env.agencies.clone();
    let per = crate::rows::MONTHS * agencies.len() as u64;
    const BATCH: u64 = 1_000;

    // Baselines first (fresh databases, same schema, same rows).
    let raw_batches = {
        let url = env.database(backend, "raw_batches").await?;
        raw_insert(env, &url, s.batch_rows, BATCH, "BATCH").await?
    };
    // The service, on a fresh database.
    let url = env.database(backend, "ingest").await?;
    let mut svc = env.runner.service(
        "lscb-indicators",
        &format!("indicators-ingest-{backend}"),
        env.port(2),
        &url,
        &[],
    )?;
    svc.ready(Duration::from_secs(30)).await?;
    let idle_kb = crate::procstat::rss_kb(svc.pid());
    let admin = env.token(Role::Admin)?;
    let chans = load::connections(&svc.url(), env.args.ingest_concurrency.max(1)).await?;
    let wb = Workload::new(agencies.clone(), "BATCH");
    let ws = Workload::new(agencies.clone(), "STREAM");
    // Warm-up batches come before the measured ones: define indicators for both.
    let warm_batches = if env.args.smoke { 1 } else { 5 };
    define(
        &chans[0],
        &admin,
        &wb,
        wb.indicators_for(
            s.batch_rows + (warm_batches + env.args.ingest_concurrency as u64) * BATCH,
        ),
    )
    .await?;
    define(&chans[0], &admin, &ws, ws.indicators_for(stream_rows)).await?;
    let _ = per;

    // SubmitObservations, batches of 1,000: warm-up by count, then the measured batches.
    submit_rows(&chans[0], &admin, &wb, 0, warm_batches * BATCH, BATCH).await?;
    let spec = LoadSpec {
        concurrency: env.args.ingest_concurrency.max(1),
        connections: env.args.ingest_concurrency.max(1),
        warmup: Duration::ZERO,
        duration: None,
        count: Some(s.batch_rows / BATCH),
    };
    let batches_m = {
        let wb = wb.clone();
        let admin = admin.clone();
        load::run(&spec, &chans, Some(svc.pid()), move |ch, n| {
            let from = (warm_batches + n) * BATCH;
            let req = ind::SubmitObservationsRequest {
                idempotency_key: format!("bench-batch-{n}"),
                rows: wb.inputs(from, from + BATCH),
            };
            let admin = admin.clone();
            async move {
                indicators_client(ch)
                    .submit_observations(authed(req, &admin))
                    .await
                    .map(|_| BATCH)
            }
        })
        .await
    };

    // One StreamObservations of stream_rows rows in messages of 1,000.
    let stream_m = stream_once(&chans[0], &admin, &ws, 0, stream_rows, svc.pid()).await;
    // Its baseline only when the stream was answered (a refused stream has no ratio, and the
    // one-transaction raw insert of 1,000,000 rows costs minutes of the budget).
    let raw_one = if stream_m.first_error.is_none() {
        let url = env.database(backend, "raw_one").await?;
        raw_insert(env, &url, stream_rows, stream_rows, "STREAM").await?
    } else {
        RawResult::default()
    };
    // Refused: measure the largest stream the service answers, on fresh cells.
    let fallback = if stream_m.first_error.is_some() && stream_rows > env.args.stream_fallback_rows
    {
        let wf = Workload::new(agencies.clone(), "FALLBACK");
        define(
            &chans[0],
            &admin,
            &wf,
            wf.indicators_for(env.args.stream_fallback_rows),
        )
        .await?;
        let m = stream_once(
            &chans[0],
            &admin,
            &wf,
            0,
            env.args.stream_fallback_rows,
            svc.pid(),
        )
        .await;
        let url = env.database(backend, "raw_fallback").await?;
        let raw = raw_insert(
            env,
            &url,
            env.args.stream_fallback_rows,
            env.args.stream_fallback_rows,
            "FALLBACK",
        )
        .await?;
        Some((m, raw))
    } else {
        None
    };
    drop(chans);
    let final_kb = crate::procstat::rss_kb(svc.pid());
    svc.stop().await;
    report.ingest(
        env,
        backend,
        &batches_m,
        &raw_batches,
        &stream_m,
        &raw_one,
        fallback.as_ref(),
        idle_kb,
        final_kb,
    );
    Ok(())
}

/// Streams rows `0..rows` of `w` as one StreamObservations call and measures it.
pub(crate) async fn stream_once(
    ch: &Channel,
    token: &MetadataValue<Ascii>,
    w: &Workload,
    first: u64,
    rows: u64,
    pid: u32,
) -> Measure {
    const MSG: u64 = 1_000;
    let watch = load::ServerWatch::start(Some(pid));
    let w2 = w.clone();
    let key = format!("bench-stream-{}-{first}-{rows}", w.prefix);
    let end = first + rows;
    let messages = futures::stream::iter((0..rows.div_ceil(MSG)).map(move |m| {
        let from = first + m * MSG;
        ind::StreamObservationsRequest {
            idempotency_key: if m == 0 { key.clone() } else { String::new() },
            rows: w2.inputs(from, (from + MSG).min(end)),
        }
    }));
    let t = Instant::now();
    let r = indicators_client(ch.clone())
        .stream_observations(authed(messages, token))
        .await;
    let el = t.elapsed();
    let mut m = Measure {
        calls: 1,
        secs: el.as_secs_f64(),
        ..Default::default()
    };
    match r {
        Ok(resp) => {
            let stored = resp.into_inner().stored_count;
            m.units = stored;
            m.rate = stored as f64 / m.secs;
            m.set_latencies(vec![el.as_micros() as u64]);
        }
        Err(s) => {
            m.errors = 1;
            m.first_error = Some(format!("{:?}: {}", s.code(), s.message()));
        }
    }
    if let Some(w) = watch {
        w.finish(&mut m).await;
    }
    m
}

// ---------------------------------------------------------------------------------------
// 4. Resources: idle RSS

/// The production binaries and their port offsets.
pub(crate) const SERVICES: [(&str, u16); 5] = [
    ("lscb-aggregator", 3),
    ("lscb-indicators", 4),
    ("lscb-audits", 5),
    ("lscb-training", 6),
    ("lscb-finance", 7),
];

pub(crate) fn upstream_env(env: &Env) -> Vec<(&'static str, String)> {
    vec![
        (
            "LSCB_INDICATORS_URL",
            format!("http://127.0.0.1:{}", env.port(4)),
        ),
        (
            "LSCB_AUDITS_URL",
            format!("http://127.0.0.1:{}", env.port(5)),
        ),
        (
            "LSCB_TRAINING_URL",
            format!("http://127.0.0.1:{}", env.port(6)),
        ),
        (
            "LSCB_FINANCE_URL",
            format!("http://127.0.0.1:{}", env.port(7)),
        ),
    ]
}

async fn idle_rss(env: &Arc<Env>, report: &mut Report) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for (bin, off) in SERVICES {
        if !env.runner.has(bin) {
            rows.push((
                bin.to_string(),
                None,
                Some(format!("not built: cargo build --release -p {bin}")),
            ));
            continue;
        }
        let url = env
            .database("sqlite", &format!("idle_{}", bin.replace('-', "_")))
            .await?;
        let extra = if bin == "lscb-aggregator" {
            upstream_env(env)
        } else {
            vec![]
        };
        let mut p = env
            .runner
            .service(bin, &format!("idle-{bin}"), env.port(off), &url, &extra)?;
        p.ready(Duration::from_secs(30)).await?;
        // One health check through the whole stack of layers, then let it settle.
        let ch = load::connections(&p.url(), 1).await?;
        drop(ch);
        tokio::time::sleep(Duration::from_millis(if env.args.smoke {
            200
        } else {
            1000
        }))
        .await;
        let kb = crate::procstat::rss_kb(p.pid());
        rows.push((bin.to_string(), kb, None));
        p.stop().await;
    }
    report.idle(&rows);
    Ok(())
}

pub(crate) use crate::report_bench::report_scenario;

#[allow(dead_code)]
fn _assert_send(_: &Proc) {}
