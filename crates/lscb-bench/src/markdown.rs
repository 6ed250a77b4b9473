//! The report of a run: every figure next to its baseline and their ratio, the goals and
//! whether they are met, rendered as `BENCHMARKS.md` (plus the raw figures as JSON).

use std::time::Duration;

use serde_json::{Value, json};

use crate::load::Measure;
use crate::raw::RawResult;
use crate::scenarios::Env;

/// One goal of the issue and how this run did against it.
#[derive(Debug, Clone)]
pub(crate) struct Goal {
    pub(crate) name: String,
    pub(crate) target: String,
    pub(crate) measured: String,
    pub(crate) met: Option<bool>,
}

#[derive(Debug)]
pub(crate) struct Report {
    header: Vec<String>,
    sections: Vec<(String, String)>,
    pub(crate) goals: Vec<Goal>,
    pub(crate) failures: Vec<String>,
    pub(crate) json: Value,
    smoke: bool,
}

/// 12345.6 -> "12,346".
pub(crate) fn thousands(x: f64) -> String {
    let n = x.round() as i64;
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn mb(kb: Option<u64>) -> String {
    kb.map(|k| format!("{:.1} MB", k as f64 / 1024.0))
        .unwrap_or_else(|| "n/a".into())
}

fn secs(x: Option<f64>) -> String {
    x.map(|s| format!("{s:.2} s"))
        .unwrap_or_else(|| "n/a".into())
}

fn pct(x: f64) -> String {
    if x > 0.0 && x < 0.1 {
        format!("{:.1}%", x * 100.0)
    } else {
        format!("{:.0}%", x * 100.0)
    }
}

fn latency(m: &Measure) -> String {
    format!(
        "{:.2} / {:.2} / {:.2} / {:.2}",
        m.p50_ms, m.p90_ms, m.p99_ms, m.max_ms
    )
}

impl Report {
    pub(crate) fn new(env: &Env, load_start: &str) -> Report {
        let (cpus, model) = crate::procstat::machine();
        let header = vec![
            format!(
                "- Date: {}",
                chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
            ),
            format!("- Machine: {cpus} logical CPU(s), {model}"),
            format!("- Load average (1/5/15 min) at start: {load_start}"),
            format!("- Placement: {}", env.plan.pin_note),
            format!("- {}", env.pg_note),
            format!(
                "- Unary load: {} concurrent calls over {} HTTP/2 connection(s), {:.1} s warm-up, {:.1} s measured",
                env.args.concurrency,
                env.args.connections,
                env.sizes.warmup.as_secs_f64(),
                env.sizes.duration.as_secs_f64()
            ),
            format!(
                "- Ingest: {} rows as SubmitObservations batches of 1,000 ({} caller(s)), one StreamObservations of {} rows on SQLite and {} rows on PostgreSQL, in messages of 1,000",
                thousands(env.sizes.batch_rows as f64),
                env.args.ingest_concurrency,
                thousands(env.sizes.stream_rows as f64),
                thousands(env.sizes.pg_stream_rows as f64)
            ),
        ];
        Report {
            header,
            sections: Vec::new(),
            goals: Vec::new(),
            failures: Vec::new(),
            json: json!({}),
            smoke: env.args.smoke,
        }
    }

    fn section(&mut self, title: &str, body: String) {
        self.sections.push((title.to_string(), body));
    }

    pub(crate) fn not_run(&mut self, title: &str, why: &str) {
        eprintln!("bench: {title}: not run: {why}");
        self.failures.push(format!("{title}: {why}"));
        self.section(title, format!("Not run: {why}\n"));
        self.json[title] = json!({ "not_run": why });
    }

    fn note_errors(&mut self, what: &str, m: &Measure) {
        if m.errors > 0 {
            self.failures.push(format!(
                "{what}: {} error(s), first: {}",
                m.errors,
                m.first_error.clone().unwrap_or_default()
            ));
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn unary(
        &mut self,
        env: &Env,
        hello: &Measure,
        series: &Measure,
        uncached: &Measure,
        rows: u64,
        code: &str,
        answer_bytes: usize,
    ) {
        self.note_errors("hello-world", hello);
        self.note_errors("GetSeries", series);
        self.note_errors("GetSeries without read cache", uncached);
        let ratio = if hello.rate > 0.0 {
            series.rate / hello.rate
        } else {
            0.0
        };
        let mut b = String::new();
        b.push_str(&format!(
            "`GetSeries` of `{code}` for the 12 months of 2015-16 (partnership total of {} agencies, \
             change on the previous month and year, RAG, England benchmark) on a partnership with {} \
             stored observations; reader token verified and the trace layer on (the production \
             binary with `LSCB_LOG=info`), first as deployed (read cache on, default \
             `LSCB_READ_CACHE_TTL_MS=2000`), then the same database served with the read cache \
             off (`LSCB_READ_CACHE_TTL_MS=0`: every call reads and aggregates the stored rows). \
             Baseline: tonic hello-world, same tonic and tokio, no middleware. Each GetSeries answer \
             is {} bytes: every point carries its source observations (the revisions it sums); \
             hello-world's is 12. The load generator reads GetSeries answers' length, not their \
             content, so that it does not become the bottleneck.\n\n",
            env.agencies.len(),
            thousands(rows as f64),
            thousands(answer_bytes as f64)
        ));
        b.push_str("| figure | calls/s | p50 / p90 / p99 / max (ms) | server CPU per call | errors |\n|---|---:|---:|---:|---:|\n");
        for (name, m) in [
            ("hello-world (baseline)", hello),
            ("GetSeries (read cache on)", series),
            ("GetSeries, read cache off", uncached),
        ] {
            let per_call = m
                .server_cpu_s
                .filter(|_| m.calls > 0)
                .map(|c| format!("{:.0} µs", c / m.calls as f64 * 1e6))
                .unwrap_or_else(|| "n/a".into());
            b.push_str(&format!(
                "| {name} | {} | {} | {per_call} | {} |\n",
                thousands(m.rate),
                latency(m),
                m.errors
            ));
        }
        let cold_ratio = if hello.rate > 0.0 {
            uncached.rate / hello.rate
        } else {
            0.0
        };
        b.push_str(&format!(
            "\nRatio GetSeries / hello-world: **{}** (goal ≥ 50%); with the read cache off {}.\n",
            pct(ratio),
            pct(cold_ratio)
        ));
        self.goals.push(Goal {
            name: "Unary read (GetSeries) vs hello-world".into(),
            target: "≥ 50%".into(),
            measured: format!(
                "{} ({} vs {} calls/s)",
                pct(ratio),
                thousands(series.rate),
                thousands(hello.rate)
            ),
            met: Some(ratio >= 0.5),
        });
        self.section("1. Unary read: GetSeries against hello-world", b);
        self.json["unary"] = json!({
            "hello": hello,
            "get_series": series,
            "get_series_uncached": uncached,
            "get_series_answer_bytes": answer_bytes,
            "ratio": ratio,
            "ratio_uncached": cold_ratio,
        });
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn ingest(
        &mut self,
        _env: &Env,
        backend: &str,
        batches: &Measure,
        raw_batches: &RawResult,
        stream: &Measure,
        raw_one: &RawResult,
        fallback: Option<&(Measure, RawResult)>,
        idle_kb: Option<u64>,
        final_kb: Option<u64>,
    ) {
        self.note_errors(&format!("SubmitObservations on {backend}"), batches);
        let rb = if raw_batches.rate > 0.0 {
            batches.rate / raw_batches.rate
        } else {
            0.0
        };
        let rs = if raw_one.rate > 0.0 {
            stream.rate / raw_one.rate
        } else {
            0.0
        };
        let mut b = String::new();
        b.push_str(&format!(
            "New observations (one `ind_observation` and one `ind_revision` row each) of monthly \
             count indicators, 120 months x {} agencies per indicator. Baseline: the same rows \
             inserted straight into a fresh {backend} database with the service's schema, \
             multi-row INSERTs of 500 rows, transactions of the same size, no gRPC.\n\n",
            _env.agencies.len()
        ));
        b.push_str("| figure | rows | rows/s | baseline rows/s | ratio | p50 / p90 / p99 / max (ms) | server CPU | server peak RSS |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        b.push_str(&format!(
            "| SubmitObservations, batches of 1,000 | {} | {} | {} (raw, 1,000-row transactions) | **{}** | {} | {} | {} |\n",
            thousands(batches.units as f64),
            thousands(batches.rate),
            thousands(raw_batches.rate),
            pct(rb),
            latency(batches),
            secs(batches.server_cpu_s),
            mb(batches.server_peak_rss_kb)
        ));
        let stream_cell = match &stream.first_error {
            Some(e) => format!("refused after {:.1} s: {e}", stream.secs),
            None => thousands(stream.rate),
        };
        b.push_str(&format!(
            "| StreamObservations, one stream | {} | {} | {} | **{}** | {:.1} s total | {} | {} |\n",
            thousands(if stream.first_error.is_some() { 0.0 } else { stream.units as f64 }),
            stream_cell,
            if raw_one.rows == 0 {
                "not measured: the stream was refused".to_string()
            } else {
                format!("{} (raw, one transaction)", thousands(raw_one.rate))
            },
            if stream.first_error.is_some() { "n/a".into() } else { pct(rs) },
            stream.secs,
            secs(stream.server_cpu_s),
            mb(stream.server_peak_rss_kb)
        ));
        if let Some((fm, fr)) = fallback {
            let rf = if fr.rate > 0.0 {
                fm.rate / fr.rate
            } else {
                0.0
            };
            b.push_str(&format!(
                "| StreamObservations, largest accepted ({} rows) | {} | {} | {} (raw, one transaction) | **{}** | {:.1} s total | {} | {} |\n",
                thousands(fm.units.max(fr.rows) as f64),
                thousands(fm.units as f64),
                match &fm.first_error {
                    Some(e) => format!("refused: {e}"),
                    None => thousands(fm.rate),
                },
                thousands(fr.rate),
                if fm.first_error.is_some() { "n/a".into() } else { pct(rf) },
                fm.secs,
                secs(fm.server_cpu_s),
                mb(fm.server_peak_rss_kb)
            ));
            self.goals.push(Goal {
                name: format!(
                    "Ingest on {backend}: largest accepted StreamObservations vs raw insert"
                ),
                target: "≥ 50%".into(),
                measured: format!(
                    "{} ({} vs {} rows/s, {} rows)",
                    pct(rf),
                    thousands(fm.rate),
                    thousands(fr.rate),
                    thousands(fr.rows as f64)
                ),
                met: Some(fm.first_error.is_none() && rf >= 0.5),
            });
        }
        let mut raws = vec![("1,000-row transactions", raw_batches)];
        if raw_one.rows > 0 {
            raws.push(("one transaction", raw_one));
        }
        if let Some((_, fr)) = fallback {
            raws.push(("one transaction", fr));
        }
        let raws: Vec<String> = raws
            .iter()
            .map(|(how, r)| {
                format!(
                    "{} rows in {how}: {:.2} s (CPU {}, peak RSS {})",
                    thousands(r.rows as f64),
                    r.secs,
                    secs(r.cpu_s),
                    mb(r.peak_rss_kb)
                )
            })
            .collect();
        b.push_str(&format!(
            "\nBaselines: {}. Service RSS idle before ingest {}, after {}.\n",
            raws.join("; "),
            mb(idle_kb),
            mb(final_kb)
        ));
        self.goals.push(Goal {
            name: format!("Ingest on {backend}: SubmitObservations batches vs raw insert"),
            target: "≥ 50%".into(),
            measured: format!(
                "{} ({} vs {} rows/s)",
                pct(rb),
                thousands(batches.rate),
                thousands(raw_batches.rate)
            ),
            met: Some(rb >= 0.5),
        });
        self.goals.push(Goal {
            name: format!("Ingest on {backend}: one StreamObservations vs raw insert"),
            target: "≥ 50%".into(),
            measured: match &stream.first_error {
                Some(e) => format!("refused: {e}"),
                None => format!(
                    "{} ({} vs {} rows/s)",
                    pct(rs),
                    thousands(stream.rate),
                    thousands(raw_one.rate)
                ),
            },
            met: Some(stream.first_error.is_none() && rs >= 0.5),
        });
        self.goals.push(Goal {
            name: format!("Peak RSS of indicators during ingest on {backend}"),
            target: "recorded".into(),
            measured: format!(
                "batches {}, stream {}",
                mb(batches.server_peak_rss_kb),
                mb(stream.server_peak_rss_kb)
            ),
            met: None,
        });
        if self.smoke && stream.first_error.is_some() {
            self.failures.push(format!(
                "StreamObservations on {backend}: {:?}",
                stream.first_error
            ));
        }
        self.section(&format!("2. Ingest on {backend}"), b);
        self.json[format!("ingest_{backend}")] = json!({
            "batches": batches, "raw_batches": raw_batches,
            "fallback_stream": fallback.map(|f| &f.0), "raw_fallback": fallback.map(|f| &f.1),
            "stream": stream, "raw_one_transaction": raw_one,
            "idle_rss_kb": idle_kb, "final_rss_kb": final_kb,
        });
    }

    pub(crate) fn idle(&mut self, rows: &[(String, Option<u64>, Option<String>)]) {
        let mut b = String::from(
            "Each production binary started alone on an empty SQLite database, measured 1 s after it \
             starts listening (VmRSS).\n\n| service | idle RSS | goal ≤ 25 MB |\n|---|---:|---|\n",
        );
        let mut worst: Option<(String, u64)> = None;
        let mut all = true;
        for (name, kb, why) in rows {
            let ok = kb.map(|k| k <= 25 * 1024);
            if ok != Some(true) {
                all = false;
            }
            if let Some(k) = kb
                && worst.as_ref().is_none_or(|(_, w)| k > w)
            {
                worst = Some((name.clone(), *k));
            }
            b.push_str(&format!(
                "| {name} | {} | {} |\n",
                why.clone().unwrap_or_else(|| mb(*kb)),
                match ok {
                    Some(true) => "met",
                    Some(false) => "missed",
                    None => "n/a",
                }
            ));
        }
        self.goals.push(Goal {
            name: "Idle RSS per service".into(),
            target: "≤ 25 MB each".into(),
            measured: worst
                .map(|(n, k)| format!("largest: {n} {}", mb(Some(k))))
                .unwrap_or_else(|| "n/a".into()),
            met: Some(all),
        });
        self.section("4. Resources: idle RSS per service", b);
        self.json["idle_rss_kb"] = json!(
            rows.iter()
                .map(|(n, k, w)| json!({"service": n, "rss_kb": k, "note": w}))
                .collect::<Vec<_>>()
        );
    }

    pub(crate) fn add_section(
        &mut self,
        title: &str,
        body: String,
        goals: Vec<Goal>,
        json: Value,
        key: &str,
    ) {
        self.goals.extend(goals);
        self.section(title, body);
        self.json[key] = json;
    }

    pub(crate) fn render(&self, elapsed: Duration, load_end: &str, notes: Option<&str>) -> String {
        let mut s = String::from("# lscb benchmarks\n\n");
        s.push_str(
            "Generated by `just bench` (`lscb-bench run`, crate `crates/lscb-bench`); do not edit by hand: \
             the method and the findings below come from `docs/benchmarks.md`. Speed is measured here, \
             never asserted in tests.\n\n",
        );
        if self.smoke {
            s.push_str("**Smoke run (`--smoke`): tiny sizes, figures not meaningful.**\n\n");
        }
        for h in &self.header {
            s.push_str(h);
            s.push('\n');
        }
        s.push_str(&format!("- Load average at end: {load_end}\n"));
        s.push_str(&format!("- Run time: {:.0} s\n\n", elapsed.as_secs_f64()));
        s.push_str("## Goals\n\n| goal | target | this run | met |\n|---|---|---|---|\n");
        for g in &self.goals {
            s.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                g.name,
                g.target,
                g.measured,
                match g.met {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "-",
                }
            ));
        }
        s.push('\n');
        for (t, b) in &self.sections {
            s.push_str(&format!("## {t}\n\n{b}\n"));
        }
        if let Some(n) = notes {
            s.push_str(n.trim_start_matches(|c| c != '\n').trim_start());
            s.push('\n');
        }
        s
    }
}
