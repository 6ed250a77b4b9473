//! The load generator: `concurrency` workers share `connections` HTTP/2 connections and
//! call one operation in a loop, first for a warm-up (not measured), then for a duration or
//! a number of calls. It reports calls/s (or rows/s when an operation reports rows), the
//! latency distribution (p50/p90/p99/max) and, for a given server process, the CPU time it
//! used and its peak RSS during the measured phase.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tonic::transport::{Channel, Endpoint};

use crate::procstat;

/// How to load a server.
#[derive(Debug, Clone)]
pub(crate) struct LoadSpec {
    pub(crate) concurrency: usize,
    pub(crate) connections: usize,
    pub(crate) warmup: Duration,
    /// Measure for this long ...
    pub(crate) duration: Option<Duration>,
    /// ... or for this many calls (after the warm-up).
    pub(crate) count: Option<u64>,
}

/// One measured figure.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Measure {
    pub(crate) calls: u64,
    pub(crate) errors: u64,
    pub(crate) first_error: Option<String>,
    /// Units done in the measured phase: calls, or rows for ingest.
    pub(crate) units: u64,
    pub(crate) secs: f64,
    /// units / secs.
    pub(crate) rate: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p90_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
    /// CPU seconds the server process used in the measured phase.
    pub(crate) server_cpu_s: Option<f64>,
    /// Peak RSS of the server process in the measured phase, KiB.
    pub(crate) server_peak_rss_kb: Option<u64>,
    /// CPU seconds of this (the load generator's) process in the measured phase.
    pub(crate) client_cpu_s: Option<f64>,
}

impl Measure {
    /// Latencies in microseconds (any order) into percentiles.
    pub(crate) fn set_latencies(&mut self, mut lat: Vec<u64>) {
        lat.sort_unstable();
        let pick = |q: f64| -> f64 {
            if lat.is_empty() {
                return 0.0;
            }
            let i = ((lat.len() as f64 * q).ceil() as usize).clamp(1, lat.len()) - 1;
            lat[i] as f64 / 1000.0
        };
        self.p50_ms = pick(0.50);
        self.p90_ms = pick(0.90);
        self.p99_ms = pick(0.99);
        self.max_ms = lat.last().map(|m| *m as f64 / 1000.0).unwrap_or(0.0);
    }
}

/// Samples a server process while a phase runs: CPU at start and end, peak RSS (from
/// VmHWM after a reset, or from sampling VmRSS every 20 ms when the reset is refused).
#[derive(Debug)]
pub(crate) struct ServerWatch {
    pid: u32,
    cpu0: Option<f64>,
    me0: Option<f64>,
    hwm_reset: bool,
    stop: Arc<AtomicBool>,
    sampled_peak: Arc<AtomicU64>,
    sampler: Option<tokio::task::JoinHandle<()>>,
}

impl ServerWatch {
    pub(crate) fn start(pid: Option<u32>) -> Option<ServerWatch> {
        let pid = pid?;
        let hwm_reset = procstat::reset_peak(pid);
        let stop = Arc::new(AtomicBool::new(false));
        let sampled_peak = Arc::new(AtomicU64::new(procstat::rss_kb(pid).unwrap_or(0)));
        let sampler = {
            let (stop, peak) = (stop.clone(), sampled_peak.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(r) = procstat::rss_kb(pid) {
                        peak.fetch_max(r, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        Some(ServerWatch {
            pid,
            cpu0: procstat::cpu_seconds(pid),
            me0: procstat::cpu_seconds(std::process::id()),
            hwm_reset,
            stop,
            sampled_peak,
            sampler: Some(sampler),
        })
    }

    pub(crate) async fn finish(mut self, m: &mut Measure) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(s) = self.sampler.take() {
            let _ = s.await;
        }
        m.server_cpu_s = match (self.cpu0, procstat::cpu_seconds(self.pid)) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        m.client_cpu_s = match (self.me0, procstat::cpu_seconds(std::process::id())) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        let sampled = self.sampled_peak.load(Ordering::Relaxed);
        let hwm = if self.hwm_reset {
            procstat::peak_rss_kb(self.pid)
        } else {
            None
        };
        m.server_peak_rss_kb = Some(hwm.unwrap_or(0).max(sampled)).filter(|k| *k > 0);
    }
}

/// Opens `n` separate HTTP/2 connections to `url`.
pub(crate) async fn connections(url: &str, n: usize) -> anyhow::Result<Vec<Channel>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        let ch = Endpoint::from_shared(url.to_string())?
            .tcp_nodelay(true)
            .connect()
            .await
            .map_err(|e| anyhow::anyhow!("connecting to {url}: {e}"))?;
        out.push(ch);
    }
    Ok(out)
}

/// Runs `op(channel, seq)` under `spec` against the server process `server_pid`. `op`
/// returns the units it did (1 for a call, the row count for a batch).
pub(crate) async fn run<F, Fut>(
    spec: &LoadSpec,
    channels: &[Channel],
    server_pid: Option<u32>,
    op: F,
) -> Measure
where
    F: Fn(Channel, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<u64, tonic::Status>> + Send + 'static,
{
    let seq = Arc::new(AtomicU64::new(0));
    let remaining = Arc::new(AtomicU64::new(spec.count.unwrap_or(u64::MAX)));
    let start = Instant::now();
    let warm_end = start + spec.warmup;
    let end = spec.duration.map(|d| warm_end + d);
    let mut workers = Vec::new();
    for w in 0..spec.concurrency.max(1) {
        let ch = channels[w % channels.len()].clone();
        let op = op.clone();
        let (seq, remaining) = (seq.clone(), remaining.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut calls, mut units, mut errors) = (0u64, 0u64, 0u64);
            let mut first_error = None;
            loop {
                let now = Instant::now();
                if end.is_some_and(|e| now >= e) {
                    break;
                }
                let measured = now >= warm_end;
                if measured
                    && remaining
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |r| r.checked_sub(1))
                        .is_err()
                {
                    break;
                }
                let n = seq.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let r = op(ch.clone(), n).await;
                let el = t.elapsed();
                if !measured || end.is_some_and(|e| Instant::now() > e) {
                    continue;
                }
                calls += 1;
                match r {
                    Ok(u) => {
                        units += u;
                        lat.push(el.as_micros() as u64);
                    }
                    Err(s) => {
                        errors += 1;
                        first_error
                            .get_or_insert_with(|| format!("{:?}: {}", s.code(), s.message()));
                    }
                }
            }
            (lat, calls, units, errors, first_error)
        }));
    }
    // The measured phase begins after the warm-up.
    tokio::time::sleep_until(warm_end.into()).await;
    let watch = ServerWatch::start(server_pid);
    let t0 = Instant::now();
    let mut m = Measure::default();
    let mut lat = Vec::new();
    for w in workers {
        if let Ok((l, c, u, e, fe)) = w.await {
            lat.extend(l);
            m.calls += c;
            m.units += u;
            m.errors += e;
            if m.first_error.is_none() {
                m.first_error = fe;
            }
        }
    }
    m.secs = match end {
        Some(e) => e
            .saturating_duration_since(t0)
            .as_secs_f64()
            .min(t0.elapsed().as_secs_f64()),
        None => t0.elapsed().as_secs_f64(),
    };
    m.rate = if m.secs > 0.0 {
        m.units as f64 / m.secs
    } else {
        0.0
    };
    m.set_latencies(lat);
    if let Some(w) = watch {
        w.finish(&mut m).await;
    }
    m
}
