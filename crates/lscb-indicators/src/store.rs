//! Storage of definitions, observations and their revisions, submissions, benchmarks, rules
//! and year locks: the only module that knows sea-orm. Every read and write is scoped to a
//! partnership. Writes take a [`WriteTxn`] so a handler makes one transaction per request.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use lscb_platform::{Db, Error, Period, Result, WriteTxn};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter,
    QueryOrder, Statement, Value,
};

use crate::cache::ReadCache;
use crate::domain::{
    Benchmark, Comparator, Definition, IndicatorVersion, LockEvent, ObsKey, ObsValue, Rule, Status,
};
use crate::entity::{
    benchmark, indicator_version, observation, revision, rule, submission, year_lock_event,
};

/// Rows per INSERT, under every backend's bind-parameter limit (12 columns x 500).
const CHUNK: usize = 500;

/// Now, as stored: RFC 3339 UTC with microseconds (sorts as text).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn dec(s: &str) -> Result<Decimal> {
    Decimal::from_str(s).map_err(|e| Error::Internal(anyhow::anyhow!("stored decimal {s}: {e}")))
}

fn period(s: &str) -> Result<Period> {
    s.parse()
        .map_err(|e| Error::Internal(anyhow::anyhow!("stored period: {e}")))
}

/// A stored revision with its observation's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRevision {
    pub observation_id: String,
    pub key: ObsKey,
    pub revision: u32,
    pub value: Decimal,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    pub status: Status,
    pub comment: String,
    pub definition_version: u32,
    pub submitted_by: String,
    pub submitted_at: String,
    pub submission_id: String,
    pub current: bool,
    pub first_received_at: String,
}

/// A row to store: the parsed input and its value (computed from parts when not given).
#[derive(Debug, Clone)]
pub struct NewRevision {
    pub key: ObsKey,
    pub value: Decimal,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    pub status: Status,
    pub comment: String,
    pub definition_version: u32,
}

/// What [`Store::insert_revisions`] stored.
#[derive(Debug)]
pub struct Inserted {
    pub count: usize,
    /// The stored revisions in row order; empty when more rows were stored than asked to echo.
    pub stored: Vec<StoredRevision>,
}

/// A stored submission.
#[derive(Debug, Clone)]
pub struct Submission {
    pub id: String,
    pub request_hash: String,
    pub response: String,
}

/// Filters for listing revisions.
#[derive(Debug, Clone, Default)]
pub struct RevisionFilter {
    pub indicator: String,
    pub period: Option<Period>,
    pub agency: Option<String>,
    pub breakdown: Option<String>,
}

/// The store over one service database.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
    cache: Arc<ReadCache>,
}

impl Store {
    /// A store without a read cache.
    pub fn new(db: Db) -> Self {
        Self::with_cache(db, Arc::new(ReadCache::new(Duration::ZERO)))
    }

    /// A store whose commits invalidate `cache`.
    pub fn with_cache(db: Db, cache: Arc<ReadCache>) -> Self {
        Self { db, cache }
    }

    /// The read cache this store's commits invalidate.
    pub fn cache(&self) -> &Arc<ReadCache> {
        &self.cache
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    fn backend(&self) -> DatabaseBackend {
        self.db.backend()
    }

    /// `$n` on PostgreSQL, `?` on SQLite.
    fn ph(&self, n: usize) -> String {
        if self.db.is_sqlite() {
            "?".into()
        } else {
            format!("${n}")
        }
    }

    pub async fn begin(&self) -> Result<WriteTxn> {
        Ok(self.db.begin_write().await?)
    }

    /// Commits a write of `partnership` and makes its cached read answers stale.
    pub async fn commit(&self, txn: WriteTxn, partnership: &str) -> Result<()> {
        let done = txn.commit().await;
        // Invalidate even when the commit reports an error: it may have been applied.
        self.cache.invalidate(partnership);
        Ok(done?)
    }

    /// Serialises writers of one partnership on PostgreSQL (a transaction-scoped advisory
    /// lock), so revision numbers, idempotency keys and lock checks never race. SQLite
    /// already has one writer at a time.
    pub async fn lock_partnership(&self, txn: &WriteTxn, partnership: &str) -> Result<()> {
        if self.db.is_sqlite() {
            return Ok(());
        }
        let digest =
            <sha2::Sha256 as sha2::Digest>::digest(format!("lscb-indicators/{partnership}"));
        let mut b = [0u8; 8];
        b.copy_from_slice(&digest[..8]);
        let key = i64::from_be_bytes(b);
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [Value::from(key)],
        ))
        .await?;
        Ok(())
    }

    // ---------------------------------------------------------------------------------
    // Definitions

    fn version_of(m: indicator_version::Model) -> Result<IndicatorVersion> {
        let definition: Definition = serde_json::from_str(&m.definition)
            .map_err(|e| Error::Internal(anyhow::anyhow!("stored definition {}: {e}", m.code)))?;
        Ok(IndicatorVersion {
            definition,
            version: m.version as u32,
            current: m.is_current,
            created_by: m.created_by,
            created_at: m.created_at,
        })
    }

    /// Current definitions of a partnership, by code.
    pub async fn current_definitions<C: ConnectionTrait>(
        &self,
        conn: &C,
        partnership: &str,
    ) -> Result<HashMap<String, IndicatorVersion>> {
        let rows = indicator_version::Entity::find()
            .filter(indicator_version::Column::Partnership.eq(partnership))
            .filter(indicator_version::Column::IsCurrent.eq(true))
            .all(conn)
            .await?;
        rows.into_iter()
            .map(|m| Ok((m.code.clone(), Self::version_of(m)?)))
            .collect()
    }

    /// One version (0: current) and the list of version numbers.
    pub async fn indicator(
        &self,
        partnership: &str,
        code: &str,
        version: u32,
    ) -> Result<Option<(IndicatorVersion, Vec<u32>)>> {
        let rows = indicator_version::Entity::find()
            .filter(indicator_version::Column::Partnership.eq(partnership))
            .filter(indicator_version::Column::Code.eq(code))
            .order_by_asc(indicator_version::Column::Version)
            .all(self.db.conn())
            .await?;
        let versions: Vec<u32> = rows.iter().map(|m| m.version as u32).collect();
        let chosen = rows.into_iter().find(|m| {
            if version == 0 {
                m.is_current
            } else {
                m.version as u32 == version
            }
        });
        match chosen {
            None => Ok(None),
            Some(m) => Ok(Some((Self::version_of(m)?, versions))),
        }
    }

    /// Stores `def` as a new version unless it equals the current one. Returns the version
    /// in force and whether it changed.
    pub async fn upsert_definition(
        &self,
        txn: &WriteTxn,
        partnership: &str,
        def: &Definition,
        actor: &str,
    ) -> Result<(IndicatorVersion, bool)> {
        let current = indicator_version::Entity::find()
            .filter(indicator_version::Column::Partnership.eq(partnership))
            .filter(indicator_version::Column::Code.eq(def.code.as_str()))
            .filter(indicator_version::Column::IsCurrent.eq(true))
            .one(&**txn)
            .await?;
        let next = match &current {
            Some(m) => {
                let cur = Self::version_of(m.clone())?;
                if cur.definition == *def {
                    return Ok((cur, false));
                }
                let mut am: indicator_version::ActiveModel = m.clone().into();
                am.is_current = Set(false);
                indicator_version::Entity::update(am).exec(&**txn).await?;
                m.version + 1
            }
            None => 1,
        };
        let json = serde_json::to_string(def).map_err(|e| Error::Internal(e.into()))?;
        let m = indicator_version::Model {
            id: new_id(),
            partnership: partnership.into(),
            code: def.code.clone(),
            version: next,
            is_current: true,
            definition: json,
            created_by: actor.into(),
            created_at: now(),
        };
        let am: indicator_version::ActiveModel = m.clone().into();
        indicator_version::Entity::insert(am).exec(&**txn).await?;
        Ok((Self::version_of(m)?, true))
    }

    // ---------------------------------------------------------------------------------
    // Submissions

    pub async fn find_submission(
        &self,
        txn: &WriteTxn,
        partnership: &str,
        key: &str,
    ) -> Result<Option<Submission>> {
        Ok(submission::Entity::find()
            .filter(submission::Column::Partnership.eq(partnership))
            .filter(submission::Column::IdempotencyKey.eq(key))
            .one(&**txn)
            .await?
            .map(|m| Submission {
                id: m.id,
                request_hash: m.request_hash,
                response: m.response,
            }))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_submission(
        &self,
        txn: &WriteTxn,
        id: &str,
        partnership: &str,
        key: &str,
        hash: &str,
        response: &str,
        actor: &str,
        at: &str,
    ) -> Result<()> {
        let am: submission::ActiveModel = submission::Model {
            id: id.into(),
            partnership: partnership.into(),
            idempotency_key: key.into(),
            request_hash: hash.into(),
            response: response.into(),
            submitted_by: actor.into(),
            submitted_at: at.into(),
        }
        .into();
        submission::Entity::insert(am).exec(&**txn).await?;
        Ok(())
    }

    // ---------------------------------------------------------------------------------
    // Observations

    /// Stores one new revision per row `row(0..count)` (rows name distinct observations),
    /// `CHUNK` rows per statement, building each chunk's rows only when it is written so a large load is never
    /// held in memory twice. Returns how many were stored and, when that is at most
    /// `echo_up_to`, the stored revisions in row order.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_revisions(
        &self,
        txn: &WriteTxn,
        partnership: &str,
        submission_id: &str,
        actor: &str,
        at: &str,
        count: usize,
        row: impl Fn(usize) -> NewRevision,
        echo_up_to: usize,
    ) -> Result<Inserted> {
        let echo = count <= echo_up_to;
        let mut out = Inserted {
            count,
            stored: Vec::with_capacity(if echo { count } else { 0 }),
        };
        if count == 0 {
            return Ok(out);
        }
        let mut codes: HashSet<String> = HashSet::new();
        let mut fys: HashSet<i64> = HashSet::new();
        for r in (0..count).map(&row) {
            fys.insert(r.key.period.financial_year_start() as i64);
            if !codes.contains(&r.key.indicator) {
                codes.insert(r.key.indicator);
            }
        }
        // The observations this batch may revise, as they were before it.
        let existing = observation::Entity::find()
            .filter(observation::Column::Partnership.eq(partnership))
            .filter(observation::Column::IndicatorCode.is_in(codes))
            .filter(observation::Column::FyStart.is_in(fys))
            .all(&**txn)
            .await?;
        let mut by_key: HashMap<(String, String, String, String), observation::Model> = existing
            .into_iter()
            .map(|m| {
                (
                    (
                        m.indicator_code.clone(),
                        m.period.clone(),
                        m.agency_code.clone(),
                        m.breakdown_value.clone(),
                    ),
                    m,
                )
            })
            .collect();
        let mut rows = (0..count).map(&row).peekable();
        let mut new_obs = Vec::with_capacity(CHUNK);
        let mut new_revs = Vec::with_capacity(CHUNK);
        while rows.peek().is_some() {
            for r in rows.by_ref().take(CHUNK) {
                let k = (
                    r.key.indicator.clone(),
                    r.key.period.to_string(),
                    r.key.agency.clone(),
                    r.key.breakdown.clone(),
                );
                // Rows name distinct observations (checked before), so a row that is not
                // in `by_key` is new and no later row of this batch names it again.
                let (obs_id, revision, first) = match by_key.get_mut(&k) {
                    Some(m) => {
                        let rev = m.current_revision + 1;
                        let res = observation::Entity::update_many()
                            .col_expr(
                                observation::Column::CurrentRevision,
                                sea_orm::sea_query::Expr::value(rev),
                            )
                            .filter(observation::Column::Id.eq(m.id.as_str()))
                            .filter(observation::Column::CurrentRevision.eq(m.current_revision))
                            .exec(&**txn)
                            .await?;
                        if res.rows_affected != 1 {
                            return Err(Error::Internal(anyhow::anyhow!(
                                "observation {} changed under the writer lock",
                                m.id
                            )));
                        }
                        m.current_revision = rev;
                        (m.id.clone(), rev, m.first_received_at.clone())
                    }
                    None => {
                        let id = new_id();
                        let fy_start = r.key.period.financial_year_start() as i64;
                        let (indicator_code, period, agency_code, breakdown_value) = k;
                        new_obs.push(observation::ActiveModel::from(observation::Model {
                            id: id.clone(),
                            partnership: partnership.into(),
                            indicator_code,
                            period,
                            fy_start,
                            agency_code,
                            breakdown_value,
                            current_revision: 1,
                            first_received_at: at.into(),
                        }));
                        (id, 1, at.to_string())
                    }
                };
                let value = r.value.normalize();
                let numerator = r.numerator.map(|d| d.normalize());
                let denominator = r.denominator.map(|d| d.normalize());
                new_revs.push(revision::ActiveModel::from(revision::Model {
                    id: new_id(),
                    observation_id: obs_id.clone(),
                    revision,
                    value: value.to_string(),
                    numerator: numerator.map(|d| d.to_string()),
                    denominator: denominator.map(|d| d.to_string()),
                    status: r.status.as_str().into(),
                    comment: r.comment.clone(),
                    definition_version: r.definition_version as i64,
                    submitted_by: actor.into(),
                    submitted_at: at.into(),
                    submission_id: submission_id.into(),
                }));
                if echo {
                    out.stored.push(StoredRevision {
                        observation_id: obs_id,
                        key: r.key,
                        revision: revision as u32,
                        value,
                        numerator,
                        denominator,
                        status: r.status,
                        comment: r.comment,
                        definition_version: r.definition_version,
                        submitted_by: actor.into(),
                        submitted_at: at.into(),
                        submission_id: submission_id.into(),
                        current: true,
                        first_received_at: first,
                    });
                }
            }
            // Observations before the revisions that refer to them.
            if !new_obs.is_empty() {
                observation::Entity::insert_many(std::mem::take(&mut new_obs))
                    .exec(&**txn)
                    .await?;
            }
            if !new_revs.is_empty() {
                revision::Entity::insert_many(std::mem::take(&mut new_revs))
                    .exec(&**txn)
                    .await?;
            }
        }
        Ok(out)
    }

    /// The columns of [`Self::SELECT_VALUES`] as a value figures are computed from.
    fn value_of(row: &sea_orm::QueryResult) -> Result<ObsValue> {
        let g = |c: &str| -> Result<String> { Ok(row.try_get::<String>("", c)?) };
        let go = |c: &str| -> Result<Option<String>> { Ok(row.try_get::<Option<String>>("", c)?) };
        let rev: i64 = row.try_get("", "revision")?;
        Ok(ObsValue {
            observation_id: g("observation_id")?,
            revision: rev as u32,
            key: ObsKey {
                indicator: g("indicator_code")?,
                period: period(&g("period")?)?,
                agency: g("agency_code")?,
                breakdown: g("breakdown_value")?,
            },
            value: dec(&g("value")?)?,
            numerator: go("numerator")?.map(|s| dec(&s)).transpose()?,
            denominator: go("denominator")?.map(|s| dec(&s)).transpose()?,
            status: Status::parse(&g("status")?),
            first_received_at: g("first_received_at")?,
        })
    }

    /// The columns of [`Self::SELECT`]: the value and who, when and why.
    fn revision_of(row: &sea_orm::QueryResult) -> Result<StoredRevision> {
        let g = |c: &str| -> Result<String> { Ok(row.try_get::<String>("", c)?) };
        let v = Self::value_of(row)?;
        let cur: i64 = row.try_get("", "current_revision")?;
        let dv: i64 = row.try_get("", "definition_version")?;
        Ok(StoredRevision {
            observation_id: v.observation_id,
            key: v.key,
            revision: v.revision,
            value: v.value,
            numerator: v.numerator,
            denominator: v.denominator,
            status: v.status,
            comment: g("comment")?,
            definition_version: dv as u32,
            submitted_by: g("submitted_by")?,
            submitted_at: g("submitted_at")?,
            submission_id: g("submission_id")?,
            current: i64::from(v.revision) == cur,
            first_received_at: v.first_received_at,
        })
    }

    /// Enough for figures: none of the revisions' who/when/why columns.
    const SELECT_VALUES: &'static str = "SELECT r.observation_id, r.revision, r.value, \
        r.numerator, r.denominator, r.status, o.indicator_code, o.period, o.agency_code, \
        o.breakdown_value, o.first_received_at \
        FROM ind_revision r JOIN ind_observation o ON o.id = r.observation_id";

    const SELECT: &'static str = "SELECT r.observation_id, r.revision, r.value, r.numerator, \
        r.denominator, r.status, r.comment, r.definition_version, r.submitted_by, \
        r.submitted_at, r.submission_id, o.indicator_code, o.period, o.agency_code, \
        o.breakdown_value, o.current_revision, o.first_received_at \
        FROM ind_revision r JOIN ind_observation o ON o.id = r.observation_id";

    /// Current revisions of a partnership's observations, optionally only some indicators
    /// and financial years `fy_from..=fy_to`.
    pub async fn current_observations<C: ConnectionTrait>(
        &self,
        conn: &C,
        partnership: &str,
        indicators: Option<&[String]>,
        fy_range: Option<(i32, i32)>,
    ) -> Result<Vec<StoredRevision>> {
        let Some(q) = self.current_query(Self::SELECT, partnership, indicators, fy_range) else {
            return Ok(vec![]);
        };
        let rows = conn.query_all_raw(q).await?;
        rows.iter().map(Self::revision_of).collect()
    }

    /// The current values only (what figures are computed from), reading none of the
    /// revisions' who/when/why columns: the read behind series and scorecards.
    pub async fn current_values<C: ConnectionTrait>(
        &self,
        conn: &C,
        partnership: &str,
        indicators: Option<&[String]>,
        fy_range: Option<(i32, i32)>,
    ) -> Result<Vec<ObsValue>> {
        let Some(q) = self.current_query(Self::SELECT_VALUES, partnership, indicators, fy_range)
        else {
            return Ok(vec![]);
        };
        let rows = conn.query_all_raw(q).await?;
        rows.iter().map(Self::value_of).collect()
    }

    /// The current revisions of a partnership, optionally of some indicators and financial
    /// years; `None` when `indicators` is empty (nothing to read).
    fn current_query(
        &self,
        select: &str,
        partnership: &str,
        indicators: Option<&[String]>,
        fy_range: Option<(i32, i32)>,
    ) -> Option<Statement> {
        let mut sql = format!(
            "{select} AND r.revision = o.current_revision WHERE o.partnership = {}",
            self.ph(1)
        );
        let mut values: Vec<Value> = vec![partnership.into()];
        if let Some((a, b)) = fy_range {
            sql += &format!(
                " AND o.fy_start >= {} AND o.fy_start <= {}",
                self.ph(values.len() + 1),
                self.ph(values.len() + 2)
            );
            values.push((a as i64).into());
            values.push((b as i64).into());
        }
        if let Some(codes) = indicators {
            if codes.is_empty() {
                return None;
            }
            let phs: Vec<String> = (0..codes.len())
                .map(|i| self.ph(values.len() + 1 + i))
                .collect();
            sql += &format!(" AND o.indicator_code IN ({})", phs.join(", "));
            values.extend(codes.iter().map(|c| Value::from(c.as_str())));
        }
        Some(Statement::from_sql_and_values(self.backend(), sql, values))
    }

    /// Every revision matching the filter, ordered by period, agency, breakdown, revision.
    pub async fn revisions(
        &self,
        partnership: &str,
        f: &RevisionFilter,
    ) -> Result<Vec<StoredRevision>> {
        let mut sql = format!(
            "{} WHERE o.partnership = {} AND o.indicator_code = {}",
            Self::SELECT,
            self.ph(1),
            self.ph(2)
        );
        let mut values: Vec<Value> = vec![partnership.into(), f.indicator.as_str().into()];
        if let Some(p) = f.period {
            sql += &format!(" AND o.period = {}", self.ph(values.len() + 1));
            values.push(p.to_string().into());
        }
        if let Some(a) = &f.agency {
            sql += &format!(" AND o.agency_code = {}", self.ph(values.len() + 1));
            values.push(a.as_str().into());
        }
        if let Some(b) = &f.breakdown {
            sql += &format!(" AND o.breakdown_value = {}", self.ph(values.len() + 1));
            values.push(b.as_str().into());
        }
        let rows = self
            .db
            .conn()
            .query_all_raw(Statement::from_sql_and_values(self.backend(), sql, values))
            .await?;
        let mut out: Vec<StoredRevision> =
            rows.iter().map(Self::revision_of).collect::<Result<_>>()?;
        out.sort_by(|a, b| {
            (a.key.period, &a.key.agency, &a.key.breakdown, a.revision).cmp(&(
                b.key.period,
                &b.key.agency,
                &b.key.breakdown,
                b.revision,
            ))
        });
        Ok(out)
    }

    // ---------------------------------------------------------------------------------
    // Benchmarks

    fn benchmark_of(m: benchmark::Model) -> Result<Benchmark> {
        Ok(Benchmark {
            indicator: m.indicator_code,
            period: period(&m.period)?,
            comparator: Comparator::parse(&m.comparator).ok_or_else(|| {
                Error::Internal(anyhow::anyhow!("stored comparator {}", m.comparator))
            })?,
            value: dec(&m.value)?,
            source: m.source,
            set_by: m.set_by,
            set_at: m.set_at,
        })
    }

    pub async fn benchmarks<C: ConnectionTrait>(
        &self,
        conn: &C,
        partnership: &str,
    ) -> Result<Vec<Benchmark>> {
        benchmark::Entity::find()
            .filter(benchmark::Column::Partnership.eq(partnership))
            .all(conn)
            .await?
            .into_iter()
            .map(Self::benchmark_of)
            .collect()
    }

    /// Sets (inserts or replaces) benchmarks.
    pub async fn set_benchmarks(
        &self,
        txn: &WriteTxn,
        partnership: &str,
        items: &[Benchmark],
    ) -> Result<()> {
        for b in items {
            benchmark::Entity::delete_many()
                .filter(benchmark::Column::Partnership.eq(partnership))
                .filter(benchmark::Column::IndicatorCode.eq(b.indicator.as_str()))
                .filter(benchmark::Column::Period.eq(b.period.to_string()))
                .filter(benchmark::Column::Comparator.eq(b.comparator.as_str()))
                .exec(&**txn)
                .await?;
            let am: benchmark::ActiveModel = benchmark::Model {
                id: new_id(),
                partnership: partnership.into(),
                indicator_code: b.indicator.clone(),
                period: b.period.to_string(),
                comparator: b.comparator.as_str().into(),
                value: b.value.normalize().to_string(),
                source: b.source.clone(),
                set_by: b.set_by.clone(),
                set_at: b.set_at.clone(),
            }
            .into();
            benchmark::Entity::insert(am).exec(&**txn).await?;
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------
    // Rules

    pub async fn rules<C: ConnectionTrait>(
        &self,
        conn: &C,
        partnership: &str,
    ) -> Result<Vec<Rule>> {
        rule::Entity::find()
            .filter(rule::Column::Partnership.eq(partnership))
            .order_by_asc(rule::Column::Code)
            .all(conn)
            .await?
            .into_iter()
            .map(|m| {
                serde_json::from_str(&m.definition)
                    .map_err(|e| Error::Internal(anyhow::anyhow!("stored rule {}: {e}", m.code)))
            })
            .collect()
    }

    pub async fn upsert_rule(
        &self,
        txn: &WriteTxn,
        partnership: &str,
        r: &Rule,
        actor: &str,
    ) -> Result<()> {
        rule::Entity::delete_many()
            .filter(rule::Column::Partnership.eq(partnership))
            .filter(rule::Column::Code.eq(r.code.as_str()))
            .exec(&**txn)
            .await?;
        let am: rule::ActiveModel = rule::Model {
            id: new_id(),
            partnership: partnership.into(),
            code: r.code.clone(),
            definition: serde_json::to_string(r).map_err(|e| Error::Internal(e.into()))?,
            updated_by: actor.into(),
            updated_at: now(),
        }
        .into();
        rule::Entity::insert(am).exec(&**txn).await?;
        Ok(())
    }

    // ---------------------------------------------------------------------------------
    // Year locks

    /// Lock history per financial year (start year), oldest first.
    pub async fn lock_history<C: ConnectionTrait>(
        &self,
        conn: &C,
        partnership: &str,
    ) -> Result<std::collections::BTreeMap<i32, Vec<LockEvent>>> {
        let rows = year_lock_event::Entity::find()
            .filter(year_lock_event::Column::Partnership.eq(partnership))
            .order_by_asc(year_lock_event::Column::FyStart)
            .order_by_asc(year_lock_event::Column::Seq)
            .all(conn)
            .await?;
        let mut out: std::collections::BTreeMap<i32, Vec<LockEvent>> = Default::default();
        for m in rows {
            out.entry(m.fy_start as i32).or_default().push(LockEvent {
                locked: m.action == "lock",
                by: m.actor,
                at: m.at,
                reason: m.reason,
            });
        }
        Ok(out)
    }

    pub async fn add_lock_event(
        &self,
        txn: &WriteTxn,
        partnership: &str,
        fy_start: i32,
        seq: usize,
        e: &LockEvent,
    ) -> Result<()> {
        let am: year_lock_event::ActiveModel = year_lock_event::Model {
            id: new_id(),
            partnership: partnership.into(),
            fy_start: fy_start as i64,
            seq: seq as i64,
            action: if e.locked { "lock" } else { "unlock" }.into(),
            actor: e.by.clone(),
            at: e.at.clone(),
            reason: e.reason.clone(),
        }
        .into();
        year_lock_event::Entity::insert(am).exec(&**txn).await?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
