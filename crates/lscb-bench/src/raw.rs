//! The ceiling for ingest: the same observation rows (one `ind_observation` and one
//! `ind_revision` row each, the service's own schema from its migrations) inserted straight
//! into the database: transactions of `batch` rows, multi-row INSERTs of 500 rows (under
//! every backend's bind-parameter limit), no gRPC, no validation.

use std::time::Instant;

use lscb_platform::Db;
use sea_orm::{ConnectionTrait, Statement, Value};
use serde::Serialize;

use crate::rows::Workload;

const CHUNK: u64 = 500;

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub(crate) struct RawResult {
    pub(crate) rows: u64,
    pub(crate) secs: f64,
    pub(crate) rate: f64,
    pub(crate) cpu_s: Option<f64>,
    pub(crate) peak_rss_kb: Option<u64>,
}

fn placeholders(sqlite: bool, rows: usize, cols: usize) -> String {
    let mut s = String::new();
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            if sqlite {
                s.push('?');
            } else {
                s.push_str(&format!("${n}"));
            }
            n += 1;
        }
        s.push(')');
    }
    s
}

/// Inserts rows `0..rows` of `w` for `partnership` into an already migrated database.
pub(crate) async fn insert(
    db: &Db,
    w: &Workload,
    partnership: &str,
    rows: u64,
    batch: u64,
) -> anyhow::Result<RawResult> {
    let sqlite = db.is_sqlite();
    let backend = db.backend();
    let cpu0 = crate::procstat::cpu_seconds(std::process::id());
    crate::procstat::reset_peak(std::process::id());
    let t = Instant::now();
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut i = 0;
    while i < rows {
        let end = (i + batch).min(rows);
        let submission = uuid::Uuid::new_v4().to_string();
        let txn = db.begin_write().await?;
        let mut j = i;
        while j < end {
            let k = (j + CHUNK).min(end);
            let mut obs: Vec<Value> = Vec::with_capacity((k - j) as usize * 9);
            let mut revs: Vec<Value> = Vec::with_capacity((k - j) as usize * 12);
            for r in j..k {
                let c = w.cell(r);
                let id = uuid::Uuid::new_v4().to_string();
                obs.extend([
                    Value::from(id.clone()),
                    partnership.into(),
                    c.indicator.into(),
                    c.period.into(),
                    c.fy_start.into(),
                    c.agency.into(),
                    "".into(),
                    1i64.into(),
                    at.clone().into(),
                ]);
                revs.extend([
                    Value::from(uuid::Uuid::new_v4().to_string()),
                    id.into(),
                    1i64.into(),
                    c.value.into(),
                    Value::String(None),
                    Value::String(None),
                    "final".into(),
                    "".into(),
                    1i64.into(),
                    "bench (admin)".into(),
                    at.clone().into(),
                    submission.clone().into(),
                ]);
            }
            let n = (k - j) as usize;
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "INSERT INTO ind_observation (id, partnership, indicator_code, period, fy_start, \
                     agency_code, breakdown_value, current_revision, first_received_at) VALUES {}",
                    placeholders(sqlite, n, 9)
                ),
                obs,
            ))
            .await?;
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "INSERT INTO ind_revision (id, observation_id, revision, value, numerator, \
                     denominator, status, comment, definition_version, submitted_by, submitted_at, \
                     submission_id) VALUES {}",
                    placeholders(sqlite, n, 12)
                ),
                revs,
            ))
            .await?;
            j = k;
        }
        txn.commit().await?;
        i = end;
    }
    let secs = t.elapsed().as_secs_f64();
    Ok(RawResult {
        rows,
        secs,
        rate: rows as f64 / secs,
        cpu_s: crate::procstat::cpu_seconds(std::process::id())
            .zip(cpu0)
            .map(|(b, a)| b - a),
        peak_rss_kb: crate::procstat::peak_rss_kb(std::process::id()),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_postgres_binds() {
        assert_eq!(super::placeholders(true, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(super::placeholders(false, 2, 2), "($1, $2), ($3, $4)");
    }
}
