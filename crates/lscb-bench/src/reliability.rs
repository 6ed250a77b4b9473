//! `lscb-bench reliability`: the reliability suite. It runs the production service binaries
//! as processes (as `lscb-bench run` does) and measures what must never happen: rows lost or
//! stored twice under concurrent writers, replays answered differently, a caller's mistake
//! answered `INTERNAL`, a call let through without the right token, a partial batch after a
//! crash, a report that hangs on a dead data service, a shutdown that hangs on an open
//! stream, idle connections that pile up. Each check has a count and a goal; the results go
//! to `RELIABILITY.md` (`--smoke`: a subset of under a minute, for `just test`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lscb_platform::{Authenticator, Role};
use sea_orm::ConnectionTrait;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;

use crate::stack::{Proc, Runner};

#[path = "reliability_auth.rs"]
mod auth;
#[path = "reliability_faults.rs"]
mod faults;
#[path = "reliability_inputs.rs"]
mod inputs;
#[path = "reliability_writes.rs"]
mod writes;

/// Arguments of `lscb-bench reliability`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RelArgs {
    /// The short subset (under a minute, debug build): small counts, same checks.
    #[arg(long)]
    pub(crate) smoke: bool,
    /// Where to write the report.
    #[arg(long, default_value = "RELIABILITY.md")]
    pub(crate) out: PathBuf,
    /// The partnership directory the services load.
    #[arg(long, default_value = "deploy/directory.toml")]
    pub(crate) directory: PathBuf,
    /// PostgreSQL server (databases lscb_rel_<pid>_* are created and dropped); empty: skip
    /// the PostgreSQL checks.
    #[arg(
        long,
        env = "LSCB_BENCH_PG_URL",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    pub(crate) pg_url: String,
    /// First of the ports used (the suite uses up to 60 ports from here).
    #[arg(long, default_value_t = 62000)]
    pub(crate) port_base: u16,
    /// Only these checks (writers, replays, inputs, auth, crash, report, shutdown, idle).
    #[arg(long, value_delimiter = ',')]
    pub(crate) only: Option<Vec<String>>,
    /// Keep the scratch directory (databases and service logs).
    #[arg(long)]
    pub(crate) keep: bool,
}

pub(crate) const PARTNERSHIP: &str = "bscb";

/// What the checks share.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) args: RelArgs,
    pub(crate) runner: Runner,
    pub(crate) auth: Authenticator,
    pub(crate) agencies: Vec<String>,
    pub(crate) pg: Option<String>,
    pub(crate) pg_note: String,
    started: Instant,
}

impl Ctx {
    pub(crate) fn smoke(&self) -> bool {
        self.args.smoke
    }

    /// A bearer token of this deployment's secret.
    pub(crate) fn token(
        &self,
        role: Role,
        agency: Option<&str>,
    ) -> anyhow::Result<MetadataValue<Ascii>> {
        self.token_of(&self.auth, PARTNERSHIP, role, agency, 6 * 3600)
    }

    pub(crate) fn token_of(
        &self,
        auth: &Authenticator,
        partnership: &str,
        role: Role,
        agency: Option<&str>,
        ttl_secs: u64,
    ) -> anyhow::Result<MetadataValue<Ascii>> {
        let t = auth.issue(
            "reliability",
            partnership,
            role,
            agency,
            Duration::from_secs(ttl_secs),
        )?;
        Ok(format!("Bearer {t}").parse()?)
    }

    pub(crate) fn port(&self, offset: u16) -> u16 {
        self.args.port_base + offset
    }

    fn wants(&self, check: &str) -> bool {
        self.args
            .only
            .as_ref()
            .is_none_or(|o| o.iter().any(|s| s == check))
    }

    /// A fresh database for `name`: a new SQLite file, or a new PostgreSQL database.
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
        let db = format!("lscb_rel_{}_{name}", std::process::id());
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
        let like = format!("lscb_rel_{}_%", std::process::id());
        if let Ok(rows) = admin
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                format!("SELECT datname FROM pg_database WHERE datname LIKE '{like}'"),
            ))
            .await
        {
            for r in rows {
                if let Ok(name) = r.try_get_by_index::<String>(0) {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            }
        }
        let _ = admin.close().await;
    }

    /// Prints a progress line with the time since the start.
    pub(crate) fn progress(&self, msg: &str) {
        eprintln!(
            "reliability [{:>5.1}s] {msg}",
            self.started.elapsed().as_secs_f64()
        );
    }

    /// The log file of a service started with `label`.
    pub(crate) fn log_of(&self, label: &str) -> PathBuf {
        self.runner.work.join(format!("{label}.log"))
    }
}

// ---------------------------------------------------------------------------------------
// Results

/// One line of the results table.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) id: String,
    pub(crate) check: String,
    /// What was done (e.g. "32 writers x 500 batches").
    pub(crate) count: String,
    pub(crate) goal: String,
    /// What was measured.
    pub(crate) result: String,
    pub(crate) pass: bool,
}

/// Everything the run found.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub(crate) rows: Vec<Row>,
    /// Real defects seen (a caller's mistake answered INTERNAL, a panic, something lost).
    pub(crate) bugs: Vec<String>,
    /// Details per section (distributions of codes, examples).
    pub(crate) details: Vec<(String, Vec<String>)>,
    pub(crate) not_run: Vec<(String, String)>,
}

impl Findings {
    pub(crate) fn row(
        &mut self,
        id: &str,
        check: &str,
        count: String,
        goal: &str,
        result: String,
        pass: bool,
    ) {
        eprintln!(
            "reliability   {} {id} {check}: {result}",
            if pass { "PASS" } else { "FAIL" }
        );
        self.rows.push(Row {
            id: id.into(),
            check: check.into(),
            count,
            goal: goal.into(),
            result,
            pass,
        });
    }

    pub(crate) fn bug(&mut self, s: String) {
        eprintln!("reliability   BUG {s}");
        self.bugs.push(s);
    }

    pub(crate) fn detail(&mut self, section: &str, lines: Vec<String>) {
        self.details.push((section.into(), lines));
    }

    fn failures(&self) -> Vec<String> {
        let mut f: Vec<String> = self
            .rows
            .iter()
            .filter(|r| !r.pass)
            .map(|r| format!("{} {}: {} (goal: {})", r.id, r.check, r.result, r.goal))
            .collect();
        f.extend(self.bugs.iter().map(|b| format!("defect: {b}")));
        f.extend(
            self.not_run
                .iter()
                .map(|(c, why)| format!("{c} did not run: {why}")),
        );
        f
    }
}

/// Answers counted by gRPC code.
#[derive(Debug, Default, Clone)]
pub(crate) struct Codes(pub(crate) BTreeMap<String, u64>);

impl Codes {
    pub(crate) fn add(&mut self, code: tonic::Code) {
        *self.0.entry(format!("{code:?}")).or_default() += 1;
    }

    pub(crate) fn get(&self, code: tonic::Code) -> u64 {
        self.0.get(&format!("{code:?}")).copied().unwrap_or(0)
    }

    pub(crate) fn total(&self) -> u64 {
        self.0.values().sum()
    }

    pub(crate) fn merge(&mut self, o: &Codes) {
        for (k, v) in &o.0 {
            *self.0.entry(k.clone()).or_default() += v;
        }
    }

    pub(crate) fn render(&self) -> String {
        if self.0.is_empty() {
            return "none".into();
        }
        self.0
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

// ---------------------------------------------------------------------------------------
// Helpers

pub(crate) fn authed<T>(msg: T, token: &MetadataValue<Ascii>) -> tonic::Request<T> {
    crate::scenarios::authed(msg, token)
}

/// One HTTP/2 connection to `url`.
pub(crate) async fn channel(url: &str) -> anyhow::Result<Channel> {
    Ok(crate::load::connections(url, 1).await?.remove(0))
}

/// The count in the first column of the first row of `sql`.
pub(crate) async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await?;
    let r = rows
        .first()
        .ok_or_else(|| anyhow::anyhow!("no row from {sql}"))?;
    Ok(r.try_get_by_index::<i64>(0)?)
}

/// Lines of a service log that tell of a panic.
pub(crate) fn panics_in(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("panicked"))
        .map(|l| l.chars().take(300).collect())
        .collect()
}

/// Lines of a service log that contain `needle`.
pub(crate) fn log_count(log: &Path, needle: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(needle))
        .count()
}

/// Sends a signal to a process.
pub(crate) fn signal(pid: u32, sig: &str) -> anyhow::Result<()> {
    let st = std::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()?;
    anyhow::ensure!(st.success(), "kill -{sig} {pid} failed");
    Ok(())
}

/// True while the process has not exited.
pub(crate) fn alive(p: &mut Proc) -> bool {
    matches!(p.child.try_wait(), Ok(None))
}

/// The five production services on one SQLite database each.
pub(crate) struct Stack {
    /// aggregator, indicators, audits, training, finance.
    pub(crate) procs: Vec<Proc>,
    pub(crate) labels: Vec<String>,
}

pub(crate) const SERVICES: [&str; 5] = [
    "lscb-aggregator",
    "lscb-indicators",
    "lscb-audits",
    "lscb-training",
    "lscb-finance",
];

impl Stack {
    /// Starts the stack on ports `base_off..base_off+5` (aggregator first).
    pub(crate) async fn start(ctx: &Ctx, name: &str, base_off: u16) -> anyhow::Result<Stack> {
        let mut procs = Vec::new();
        let mut labels = Vec::new();
        for (i, bin) in SERVICES.iter().enumerate() {
            let url = ctx
                .database("sqlite", &format!("{name}_{}", bin.replace('-', "_")))
                .await?;
            let extra = if i == 0 {
                let up = |k: u16| format!("http://127.0.0.1:{}", ctx.port(base_off + k));
                vec![
                    ("LSCB_INDICATORS_URL", up(1)),
                    ("LSCB_AUDITS_URL", up(2)),
                    ("LSCB_TRAINING_URL", up(3)),
                    ("LSCB_FINANCE_URL", up(4)),
                    ("LSCB_UPSTREAM_TIMEOUT_MS", "3000".to_string()),
                ]
            } else {
                vec![]
            };
            let label = format!("{name}-{bin}");
            procs.push(ctx.runner.service(
                bin,
                &label,
                ctx.port(base_off + i as u16),
                &url,
                &extra,
            )?);
            labels.push(label);
        }
        for p in &mut procs {
            p.ready(Duration::from_secs(60)).await?;
        }
        Ok(Stack { procs, labels })
    }

    pub(crate) fn url(&self, i: usize) -> String {
        self.procs[i].url()
    }

    /// Panicked lines in every log, and services that are no longer running.
    pub(crate) fn health(&mut self, ctx: &Ctx) -> (Vec<String>, Vec<String>) {
        let mut panics = Vec::new();
        let mut dead = Vec::new();
        for (p, l) in self.procs.iter_mut().zip(&self.labels) {
            panics.extend(
                panics_in(&ctx.log_of(l))
                    .into_iter()
                    .map(|x| format!("{l}: {x}")),
            );
            if !alive(p) {
                dead.push(l.clone());
            }
        }
        (panics, dead)
    }

    pub(crate) async fn stop(self) {
        for p in self.procs {
            p.stop().await;
        }
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

// ---------------------------------------------------------------------------------------
// The run

/// Runs the suite and writes the report.
pub(crate) async fn run(args: RelArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let work = std::env::temp_dir().join(format!("lscb-reliability-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let secret_file = work.join("jwt-secret");
    let secret = format!("lscb-reliability-{}-0123456789abcdef", std::process::id());
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
    for b in SERVICES {
        anyhow::ensure!(
            bin_dir.join(b).is_file(),
            "{} is not built next to lscb-bench ({})",
            b,
            bin_dir.display()
        );
    }
    let (pg, pg_note) = match pg_available(&args.pg_url).await {
        Ok(()) => (
            Some(args.pg_url.clone()),
            format!("PostgreSQL at {}", args.pg_url),
        ),
        Err(e) => (None, format!("PostgreSQL not available: {e}")),
    };
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let ctx = Ctx {
        args: args.clone(),
        runner: Runner {
            bin_dir,
            work: work.clone(),
            server_cores: None,
            server_threads: cpus,
            directory,
            secret_file,
        },
        auth,
        agencies,
        pg,
        pg_note,
        started,
    };
    ctx.progress(&format!(
        "scratch directory {} ({}; {})",
        work.display(),
        if ctx.smoke() { "smoke" } else { "full" },
        ctx.pg_note
    ));
    let mut f = Findings::default();

    type Check<'a> = (&'a str, &'a str);
    let checks: [Check<'_>; 8] = [
        ("writers", "1. Concurrent writers"),
        ("replays", "2. Identical replays"),
        ("inputs", "3. Generated bad inputs"),
        ("auth", "4. Authorisation matrix"),
        ("crash", "5. kill -9 mid-ingest"),
        (
            "report",
            "6. Dead and hung data services during AssembleReport",
        ),
        ("shutdown", "7. SIGTERM with open streams"),
        ("idle", "8. Slow and idle connections"),
    ];
    for (key, title) in checks {
        if !ctx.wants(key) {
            continue;
        }
        ctx.progress(&format!("--- {title}"));
        let r = match key {
            "writers" => writes::writers(&ctx, &mut f).await,
            "replays" => writes::replays(&ctx, &mut f).await,
            "inputs" => inputs::bad_inputs(&ctx, &mut f).await,
            "auth" => auth::matrix(&ctx, &mut f).await,
            "crash" => faults::crash(&ctx, &mut f).await,
            "report" => faults::report_with_failures(&ctx, &mut f).await,
            "shutdown" => faults::shutdown(&ctx, &mut f).await,
            _ => faults::idle_connections(&ctx, &mut f).await,
        };
        if let Err(e) = r {
            ctx.progress(&format!("{title} did not run: {e:#}"));
            f.not_run.push((title.to_string(), format!("{e:#}")));
        }
    }
    ctx.drop_pg_databases().await;

    let md = render(&ctx, &f, started.elapsed());
    std::fs::write(&args.out, md)?;
    let failures = f.failures();
    ctx.progress(&format!(
        "wrote {}: {} checks, {} failed, {} bug(s), {} not run",
        args.out.display(),
        f.rows.len(),
        f.rows.iter().filter(|r| !r.pass).count(),
        f.bugs.len(),
        f.not_run.len()
    ));
    if !args.keep {
        let _ = std::fs::remove_dir_all(&work);
    } else {
        ctx.progress(&format!("kept {}", work.display()));
    }
    if !failures.is_empty() {
        anyhow::bail!(
            "{} reliability check(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    Ok(())
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn render(ctx: &Ctx, f: &Findings, took: Duration) -> String {
    let (cpus, model) = crate::procstat::machine();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let command = if ctx.smoke() {
        "just reliability-smoke"
    } else {
        "just reliability"
    };
    let mut s = String::new();
    s.push_str("# Reliability\n\n");
    s.push_str(
        "What must never happen to lscb, measured against the service binaries running as \
         processes: rows lost or stored twice, replays answered differently, a caller's \
         mistake answered `INTERNAL`, a call let through without the right token, a partial \
         batch after a crash, a report that hangs on a dead data service, a shutdown that hangs \
         on an open stream, idle connections that pile up. Generated by `lscb-bench \
         reliability`; every figure below is measured in the run, none is written by hand.\n\n",
    );
    s.push_str(&format!(
        "- Date: {}\n- Machine: {cpus} CPUs, {model}, {mem} memory, load average at the end {}\n\
         - Command: `{command}` ({profile} build{}), {:.0} s\n- Databases: SQLite files; {}\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        crate::procstat::loadavg(),
        if ctx.smoke() {
            ", smoke sizes"
        } else {
            ", full sizes"
        },
        took.as_secs_f64(),
        ctx.pg_note
    ));
    let passed = f.rows.iter().filter(|r| r.pass).count();
    s.push_str(&format!(
        "**{passed} of {} checks met their goal; {} defect(s) found; {} check(s) did not run.**\n\n",
        f.rows.len(),
        f.bugs.len(),
        f.not_run.len()
    ));
    s.push_str("| # | Check | Count | Goal | Result | Met |\n|---|---|---|---|---|---|\n");
    for r in &f.rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.id,
            cell(&r.check),
            cell(&r.count),
            cell(&r.goal),
            cell(&r.result),
            if r.pass { "yes" } else { "**no**" }
        ));
    }
    s.push('\n');
    if !f.not_run.is_empty() {
        s.push_str("## Not run\n\n");
        for (c, why) in &f.not_run {
            s.push_str(&format!("- {c}: {}\n", cell(why)));
        }
        s.push('\n');
    }
    s.push_str("## Defects found\n\n");
    if f.bugs.is_empty() {
        s.push_str("None in this run.\n\n");
    } else {
        for b in &f.bugs {
            s.push_str(&format!("- {b}\n"));
        }
        s.push('\n');
    }
    s.push_str("## Details\n\n");
    for (sec, lines) in &f.details {
        s.push_str(&format!("### {sec}\n\n"));
        for l in lines {
            s.push_str(&format!("- {l}\n"));
        }
        s.push('\n');
    }
    s.push_str(
        "## Method\n\n\
         - Services are the production binaries started as processes with their own SQLite file \
         (or a fresh PostgreSQL database `lscb_rel_<pid>_*`, dropped at the end), a token secret \
         and the deployment's directory; logs are read for `panicked` and `database is locked`.\n\
         - Writers (1): each batch has its own idempotency key and its own cells; a batch answered \
         `UNAVAILABLE`, `RESOURCE_EXHAUSTED` or `ABORTED` is retried with the same key (up to 5 \
         times). Stored rows are counted in the database afterwards: lost = cells of acknowledged \
         batches not stored whole under their submission; duplicated = revisions beyond the first \
         per cell plus keys stored twice.\n\
         - Replays (2): 100 identical requests with one key sent at once; answers are compared \
         byte for byte (protobuf encoding) with the first, and the stored effect is read back.\n\
         - Bad inputs (3): generated from a fixed seed; the state of every service is read through \
         its read RPCs before and after, and must not change.\n\
         - Authorisation (4): every call carries an otherwise valid request, and each RPC is \
         first called with a valid admin token (the control), so that a refusal comes from the \
         token.\n\
         - Crash (5): writers ingest while the service is killed with SIGKILL; after a restart on \
         the same SQLite file each acknowledged batch must be stored whole and every stored batch \
         must be whole.\n\
         - Report (6): with one data service killed and one stopped (SIGSTOP), AssembleReport \
         must answer within its deadline, marked incomplete and naming both.\n\
         - Shutdown (7): SIGTERM while a health Watch stream and a client stream that stopped \
         sending are open; the time to exit is measured.\n\
         - Idle connections (8): TCP connections that send nothing or half the HTTP/2 preface; \
         the number the server has closed is read on the client side after the handshake \
         timeout.\n",
    );
    s
}
