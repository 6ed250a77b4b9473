//! `lscb-bench`: the benchmarks of lscb (`just bench`). One run measures each lscb figure
//! next to the ceiling of its own stack — a tonic hello-world server for unary calls, a raw
//! batched insert into SQLite and PostgreSQL for ingest — with the servers and the load
//! generator pinned to different cores, and writes `BENCHMARKS.md`.
//!
//! Subcommands: `run` (everything; `--smoke` for the seconds-long CI check), `reliability`
//! (the reliability suite, `RELIABILITY.md`),
//! `hello-server` and `raw-insert` (the baselines, started by `run` as pinned processes).

mod hello;
mod load;
mod markdown;
mod procstat;
mod raw;
mod reliability;
mod report_bench;
mod rows;
mod scenarios;
mod stack;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "lscb-bench",
    about = "Benchmarks of lscb against its own stack's limits"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Runs every scenario and writes the report.
    Run(scenarios::RunArgs),
    /// The reliability suite: writes RELIABILITY.md (`--smoke`: the short subset).
    Reliability(reliability::RelArgs),
    /// The tonic hello-world baseline server.
    HelloServer {
        #[arg(long, default_value = "127.0.0.1:61050")]
        listen: SocketAddr,
    },
    /// The raw-insert baseline: migrates `url` with the indicators schema, inserts rows of
    /// the workload, prints the result as JSON.
    RawInsert {
        #[arg(long)]
        url: String,
        #[arg(long)]
        rows: u64,
        /// Rows per transaction.
        #[arg(long)]
        batch: u64,
        #[arg(long, default_value = "RAW")]
        prefix: String,
        #[arg(long, default_value = "deploy/directory.toml")]
        directory: PathBuf,
        #[arg(long, default_value = "bscb")]
        partnership: String,
    },
}

fn runtime(threads: Option<usize>) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(t) = threads {
        b.worker_threads(t.max(1));
    }
    Ok(b.enable_all().build()?)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Run(args) => {
            // Pin this process (the load generator) before its runtime starts threads.
            let plan = scenarios::Plan::new(&args)?;
            runtime(Some(plan.client_threads))?.block_on(scenarios::run(args, plan))
        }
        Cmd::Reliability(args) => runtime(None)?.block_on(reliability::run(args)),
        Cmd::HelloServer { listen } => runtime(None)?.block_on(hello::serve(listen)),
        Cmd::RawInsert {
            url,
            rows,
            batch,
            prefix,
            directory,
            partnership,
        } => runtime(None)?.block_on(async move {
            let dir = lscb_platform::Directory::load(&directory)?;
            let p = dir
                .partnership(&partnership)
                .ok_or_else(|| anyhow::anyhow!("no partnership {partnership}"))?;
            let w =
                rows::Workload::new(p.agencies.iter().map(|a| a.code.clone()).collect(), &prefix);
            let db = lscb_platform::Db::connect(&url).await?;
            lscb_indicators::migrate(&db).await?;
            let r = raw::insert(&db, &w, &partnership, rows, batch.max(1)).await?;
            println!("{}", serde_json::to_string(&r)?);
            Ok(())
        }),
    }
}
