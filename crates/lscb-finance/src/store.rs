//! The only module that knows sea-orm: loads a partnership's ledger, writes records with
//! their field-by-field history, closes and reopens years, and keeps idempotency keys.
//! Every query is scoped by partnership.

use std::collections::BTreeMap;

use lscb_platform::{Error, Period, Result, db::is_unique_violation};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::domain::{CarryForwardSource, Change};
use crate::domain::{
    Category, ClosedSnapshot, Contribution, Expenditure, HistoryEntry, InKind, Income, Ledger,
    PlannedChange, PutSummary, Record, YearLines, YearRecord, YearStatus, diff,
};
use crate::entity::{category, history, idempotency, item, year};

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Rows per multi-row insert, well under both backends' bind-parameter limits.
const CHUNK: usize = 400;

fn db_err(e: sea_orm::DbErr) -> Error {
    if is_unique_violation(&e) {
        Error::Conflict("a concurrent request changed the same record: retry".into())
    } else {
        Error::Db(e)
    }
}

fn year_record(m: &year::Model) -> YearRecord {
    let status = YearStatus::parse(&m.status);
    let closed = match (
        status,
        m.closed_cf_pence,
        m.closed_outturn_pence,
        m.closed_closing_pence,
    ) {
        (YearStatus::Closed, Some(cf), Some(outturn), Some(closing)) => Some(ClosedSnapshot {
            carry_forward_pence: cf,
            carry_forward_source: CarryForwardSource::parse(
                m.closed_cf_source.as_deref().unwrap_or(""),
            ),
            carry_forward_reason: m.closed_cf_reason.clone(),
            outturn_pence: outturn,
            closing_pence: closing,
        }),
        _ => None,
    };
    YearRecord {
        start_year: m.start_year,
        status,
        cf_override: m
            .cf_override_pence
            .map(|p| (p, m.cf_override_reason.clone())),
        closed,
        closed_at: m.closed_at.clone(),
        closed_by: m.closed_by.clone(),
    }
}

fn parse<R: Record>(m: &item::Model) -> Result<R> {
    serde_json::from_str(&m.data).map_err(|e| {
        Error::Internal(anyhow::anyhow!(
            "finance_item {} ({} {}) holds unreadable data: {e}",
            m.id,
            m.kind,
            m.item_key
        ))
    })
}

/// A history entry to write (one column per argument).
#[allow(clippy::too_many_arguments)]
fn entry(
    partnership: &str,
    start_year: Option<i32>,
    actor: &str,
    at: &str,
    entity: &str,
    key: &str,
    field: &str,
    old: &str,
    new: &str,
    reason: &str,
) -> history::ActiveModel {
    history::ActiveModel {
        partnership: Set(partnership.to_string()),
        start_year: Set(start_year),
        at: Set(at.to_string()),
        actor: Set(actor.to_string()),
        entity: Set(entity.to_string()),
        item_key: Set(key.to_string()),
        field: Set(field.to_string()),
        old_value: Set(old.to_string()),
        new_value: Set(new.to_string()),
        reason: Set(reason.to_string()),
        ..Default::default()
    }
}

async fn insert_history<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<history::ActiveModel>,
) -> Result<()> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        history::Entity::insert_many(chunk)
            .exec(conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// Loads every year and record of `partnership`.
pub async fn ledger<C: ConnectionTrait>(conn: &C, partnership: &str) -> Result<Ledger> {
    let years = year::Entity::find()
        .filter(year::Column::Partnership.eq(partnership))
        .all(conn)
        .await?;
    let items = item::Entity::find()
        .filter(item::Column::Partnership.eq(partnership))
        .order_by_asc(item::Column::Id)
        .all(conn)
        .await?;
    let mut l = Ledger {
        years: years
            .iter()
            .map(|y| (y.start_year, year_record(y)))
            .collect(),
        lines: BTreeMap::new(),
    };
    for m in &items {
        let lines: &mut YearLines = l.lines.entry(m.start_year).or_default();
        match m.kind.as_str() {
            "contribution" => lines.contributions.push(parse::<Contribution>(m)?),
            "income" => lines.income.push(parse::<Income>(m)?),
            "expenditure" => lines.expenditure.push(parse::<Expenditure>(m)?),
            "in_kind" => lines.in_kind.push(parse::<InKind>(m)?),
            "planned_change" => lines.planned.push(parse::<PlannedChange>(m)?),
            other => {
                return Err(Error::Internal(anyhow::anyhow!(
                    "finance_item {} has unknown kind '{other}'",
                    m.id
                )));
            }
        }
    }
    Ok(l)
}

/// Finds a year, locking its row on PostgreSQL so writes to one year are serialised
/// (SQLite already has one writer).
async fn find_year<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    start_year: i32,
    lock: bool,
) -> Result<Option<year::Model>> {
    let mut q = year::Entity::find()
        .filter(year::Column::Partnership.eq(partnership))
        .filter(year::Column::StartYear.eq(start_year));
    if lock && conn.get_database_backend() == DatabaseBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.one(conn).await?)
}

fn closed_error(start_year: i32) -> Error {
    let y = Period::year(start_year);
    Error::precondition(
        "YEAR_CLOSED",
        y.to_string(),
        format!(
            "budget year {y} is closed: reopen it with ReopenYear (giving a reason) to change it"
        ),
    )
}

/// Creates an open year; `Conflict` (ALREADY_EXISTS) when it exists.
pub async fn create_year<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    start_year: i32,
    actor: &str,
) -> Result<()> {
    if find_year(conn, partnership, start_year, false)
        .await?
        .is_some()
    {
        return Err(Error::AlreadyExists(format!(
            "budget year {} already exists",
            Period::year(start_year)
        )));
    }
    insert_year(conn, partnership, start_year, actor).await
}

fn new_year(partnership: &str, start_year: i32, at: &str) -> year::ActiveModel {
    year::ActiveModel {
        partnership: Set(partnership.to_string()),
        start_year: Set(start_year),
        status: Set(YearStatus::Open.as_str().to_string()),
        cf_override_pence: Set(None),
        cf_override_reason: Set(String::new()),
        closed_at: Set(String::new()),
        closed_by: Set(String::new()),
        closed_cf_pence: Set(None),
        closed_cf_source: Set(None),
        closed_cf_reason: Set(String::new()),
        closed_outturn_pence: Set(None),
        closed_closing_pence: Set(None),
        created_at: Set(at.to_string()),
        ..Default::default()
    }
}

fn created_entry(
    partnership: &str,
    start_year: i32,
    actor: &str,
    at: &str,
) -> history::ActiveModel {
    entry(
        partnership,
        Some(start_year),
        actor,
        at,
        "year",
        "",
        "status",
        "",
        "open",
        "",
    )
}

async fn insert_year<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    start_year: i32,
    actor: &str,
) -> Result<()> {
    let at = now();
    new_year(partnership, start_year, &at)
        .insert(conn)
        .await
        .map_err(db_err)?;
    insert_history(
        conn,
        vec![created_entry(partnership, start_year, actor, &at)],
    )
    .await
}

/// Locks the year for a write (creating it open when missing, without failing when a
/// concurrent request creates it first) and returns its status. On PostgreSQL the row lock
/// serialises writes to one year until the transaction ends.
pub async fn lock_year_for_write<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    start_year: i32,
    actor: &str,
) -> Result<YearStatus> {
    if let Some(y) = find_year(conn, partnership, start_year, true).await? {
        return Ok(YearStatus::parse(&y.status));
    }
    let at = now();
    let inserted = year::Entity::insert(new_year(partnership, start_year, &at))
        .on_conflict(
            OnConflict::columns([year::Column::Partnership, year::Column::StartYear])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    if inserted > 0 {
        insert_history(
            conn,
            vec![created_entry(partnership, start_year, actor, &at)],
        )
        .await?;
    }
    let y = find_year(conn, partnership, start_year, true)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("budget year vanished after insert")))?;
    Ok(YearStatus::parse(&y.status))
}

/// `FAILED_PRECONDITION` when the year is closed.
pub fn ensure_open(status: YearStatus, start_year: i32) -> Result<()> {
    match status {
        YearStatus::Closed => Err(closed_error(start_year)),
        YearStatus::Open => Ok(()),
    }
}

/// The year, created open when missing; FAILED_PRECONDITION when it is closed.
pub async fn open_year_for_write<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    start_year: i32,
    actor: &str,
) -> Result<()> {
    let status = lock_year_for_write(conn, partnership, start_year, actor).await?;
    ensure_open(status, start_year)
}

/// The year's row; NOT_FOUND when missing.
async fn existing_year<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    start_year: i32,
) -> Result<year::Model> {
    find_year(conn, partnership, start_year, true)
        .await?
        .ok_or_else(|| {
            Error::not_found(format!(
                "budget year {} does not exist",
                Period::year(start_year)
            ))
        })
}

/// Applies `changes` to the records of kind `R` of an open year, writing history.
pub async fn put<C: ConnectionTrait, R: Record>(
    conn: &C,
    partnership: &str,
    start_year: i32,
    actor: &str,
    changes: Vec<Change<R>>,
) -> Result<PutSummary> {
    let kind = R::KIND.as_str();
    let existing: BTreeMap<String, item::Model> = item::Entity::find()
        .filter(item::Column::Partnership.eq(partnership))
        .filter(item::Column::StartYear.eq(start_year))
        .filter(item::Column::Kind.eq(kind))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.item_key.clone(), m))
        .collect();
    let at = now();
    let mut summary = PutSummary::default();
    let mut hist = Vec::new();
    let mut inserts = Vec::new();
    for change in changes {
        let key = change.key();
        let old_model = existing.get(&key);
        let old: Option<R> = old_model.map(parse::<R>).transpose()?;
        match change {
            Change::Remove(_) => {
                let Some(m) = old_model else {
                    summary.unchanged += 1;
                    continue;
                };
                item::Entity::delete_by_id(m.id).exec(conn).await?;
                summary.removed += 1;
                for f in diff::<R>(old.as_ref(), None) {
                    hist.push(entry(
                        partnership,
                        Some(start_year),
                        actor,
                        &at,
                        kind,
                        &key,
                        &f.field,
                        &f.old,
                        &f.new,
                        "",
                    ));
                }
            }
            Change::Upsert(new) => {
                let changes = diff(old.as_ref(), Some(&new));
                if changes.is_empty() {
                    summary.unchanged += 1;
                    continue;
                }
                let data = serde_json::to_string(&new)
                    .map_err(|e| Error::Internal(anyhow::anyhow!("encoding {kind}: {e}")))?;
                match old_model {
                    Some(m) => {
                        let mut am: item::ActiveModel = m.clone().into();
                        am.data = Set(data);
                        am.updated_at = Set(at.clone());
                        am.updated_by = Set(actor.to_string());
                        am.update(conn).await.map_err(db_err)?;
                        summary.updated += 1;
                    }
                    None => {
                        inserts.push(item::ActiveModel {
                            partnership: Set(partnership.to_string()),
                            start_year: Set(start_year),
                            kind: Set(kind.to_string()),
                            item_key: Set(key.clone()),
                            data: Set(data),
                            updated_at: Set(at.clone()),
                            updated_by: Set(actor.to_string()),
                            ..Default::default()
                        });
                        summary.created += 1;
                    }
                }
                for f in changes {
                    hist.push(entry(
                        partnership,
                        Some(start_year),
                        actor,
                        &at,
                        kind,
                        &key,
                        &f.field,
                        &f.old,
                        &f.new,
                        "",
                    ));
                }
            }
        }
    }
    let mut inserts = inserts.into_iter().peekable();
    while inserts.peek().is_some() {
        let chunk: Vec<_> = inserts.by_ref().take(CHUNK).collect();
        item::Entity::insert_many(chunk)
            .exec(conn)
            .await
            .map_err(db_err)?;
    }
    insert_history(conn, hist).await?;
    Ok(summary)
}

/// Sets (Some) or clears (None) the carry-forward override of an open year.
pub async fn set_carry_forward<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    start_year: i32,
    override_pence: Option<i64>,
    reason: &str,
    actor: &str,
) -> Result<()> {
    let y = existing_year(conn, partnership, start_year).await?;
    if YearStatus::parse(&y.status) == YearStatus::Closed {
        return Err(closed_error(start_year));
    }
    let old = y.cf_override_pence;
    let mut am: year::ActiveModel = y.into();
    am.cf_override_pence = Set(override_pence);
    am.cf_override_reason = Set(if override_pence.is_some() {
        reason.to_string()
    } else {
        String::new()
    });
    am.update(conn).await.map_err(db_err)?;
    let show = |p: Option<i64>| p.map(|p| p.to_string()).unwrap_or_default();
    insert_history(
        conn,
        vec![entry(
            partnership,
            Some(start_year),
            actor,
            &now(),
            "year",
            "",
            "carry_forward_override_pence",
            &show(old),
            &show(override_pence),
            reason,
        )],
    )
    .await
}

/// Closes a year with the figures of `snapshot`.
pub async fn close_year<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    start_year: i32,
    snapshot: &ClosedSnapshot,
    actor: &str,
) -> Result<()> {
    let y = existing_year(conn, partnership, start_year).await?;
    let at = now();
    let mut am: year::ActiveModel = y.into();
    am.status = Set(YearStatus::Closed.as_str().to_string());
    am.closed_at = Set(at.clone());
    am.closed_by = Set(actor.to_string());
    am.closed_cf_pence = Set(Some(snapshot.carry_forward_pence));
    am.closed_cf_source = Set(Some(snapshot.carry_forward_source.as_str().to_string()));
    am.closed_cf_reason = Set(snapshot.carry_forward_reason.clone());
    am.closed_outturn_pence = Set(Some(snapshot.outturn_pence));
    am.closed_closing_pence = Set(Some(snapshot.closing_pence));
    am.update(conn).await.map_err(db_err)?;
    let h = |field: &str, old: &str, new: String| {
        entry(
            partnership,
            Some(start_year),
            actor,
            &at,
            "year",
            "",
            field,
            old,
            &new,
            "",
        )
    };
    insert_history(
        conn,
        vec![
            h("status", "open", "closed".into()),
            h("outturn_pence", "", snapshot.outturn_pence.to_string()),
            h(
                "closing_balance_pence",
                "",
                snapshot.closing_pence.to_string(),
            ),
        ],
    )
    .await
}

/// Reopens a closed year, recording the reason.
pub async fn reopen_year<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    start_year: i32,
    reason: &str,
    actor: &str,
) -> Result<()> {
    let y = existing_year(conn, partnership, start_year).await?;
    let mut am: year::ActiveModel = y.into();
    am.status = Set(YearStatus::Open.as_str().to_string());
    am.closed_cf_pence = Set(None);
    am.closed_cf_source = Set(None);
    am.closed_cf_reason = Set(String::new());
    am.closed_outturn_pence = Set(None);
    am.closed_closing_pence = Set(None);
    am.update(conn).await.map_err(db_err)?;
    insert_history(
        conn,
        vec![entry(
            partnership,
            Some(start_year),
            actor,
            &now(),
            "year",
            "",
            "status",
            "closed",
            "open",
            reason,
        )],
    )
    .await
}

/// The partnership's stored expenditure categories (additions, renames, retirements).
pub async fn stored_categories<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
) -> Result<Vec<Category>> {
    Ok(category::Entity::find()
        .filter(category::Column::Partnership.eq(partnership))
        .order_by_asc(category::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| Category {
            code: m.code,
            name: m.name,
            retired: m.retired,
        })
        .collect())
}

/// Adds or updates a stored expenditure category; `old` is the effective one before.
pub async fn put_category<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    cat: &Category,
    old: Option<&Category>,
    actor: &str,
) -> Result<()> {
    let stored = category::Entity::find()
        .filter(category::Column::Partnership.eq(partnership))
        .filter(category::Column::Code.eq(&cat.code))
        .one(conn)
        .await?;
    match stored {
        Some(m) => {
            let mut am: category::ActiveModel = m.into();
            am.name = Set(cat.name.clone());
            am.retired = Set(cat.retired);
            am.update(conn).await.map_err(db_err)?;
        }
        None => {
            category::ActiveModel {
                partnership: Set(partnership.to_string()),
                code: Set(cat.code.clone()),
                name: Set(cat.name.clone()),
                retired: Set(cat.retired),
                ..Default::default()
            }
            .insert(conn)
            .await
            .map_err(db_err)?;
        }
    }
    let at = now();
    let mut hist = Vec::new();
    let old_name = old.map(|c| c.name.clone()).unwrap_or_default();
    if old_name != cat.name {
        hist.push(entry(
            partnership,
            None,
            actor,
            &at,
            "category",
            &cat.code,
            "name",
            &old_name,
            &cat.name,
            "",
        ));
    }
    let old_retired = old.map(|c| c.retired.to_string()).unwrap_or_default();
    if old_retired != cat.retired.to_string() {
        hist.push(entry(
            partnership,
            None,
            actor,
            &at,
            "category",
            &cat.code,
            "retired",
            &old_retired,
            &cat.retired.to_string(),
            "",
        ));
    }
    insert_history(conn, hist).await
}

/// History entries, newest first, and how many match in all.
pub async fn history<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    start_year: Option<i32>,
    entity: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<HistoryEntry>, u64)> {
    let mut q = history::Entity::find().filter(history::Column::Partnership.eq(partnership));
    if let Some(y) = start_year {
        q = q.filter(history::Column::StartYear.eq(y));
    }
    if let Some(e) = entity {
        q = q.filter(history::Column::Entity.eq(e));
    }
    let total = q.clone().count(conn).await?;
    let rows = q
        .order_by_desc(history::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(conn)
        .await?;
    Ok((
        rows.into_iter()
            .map(|m| HistoryEntry {
                start_year: m.start_year,
                at: m.at,
                actor: m.actor,
                entity: m.entity,
                key: m.item_key,
                field: m.field,
                old: m.old_value,
                new: m.new_value,
                reason: m.reason,
            })
            .collect(),
        total,
    ))
}

/// The stored response of an earlier request with this key: `None` when the key is new;
/// `Conflict` when it was used for a different request.
pub async fn idempotent_response<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    key: &str,
    request_hash: &str,
) -> Result<Option<String>> {
    let m = idempotency::Entity::find()
        .filter(idempotency::Column::Partnership.eq(partnership))
        .filter(idempotency::Column::IdemKey.eq(key))
        .one(conn)
        .await?;
    match m {
        None => Ok(None),
        Some(m) if m.request_hash == request_hash => Ok(Some(m.response)),
        Some(_) => Err(Error::Conflict(format!(
            "idempotency key '{key}' was already used for a different request"
        ))),
    }
}

/// Stores the response of a request made with an idempotency key.
pub async fn remember_response<C: ConnectionTrait>(
    conn: &C,
    partnership: &str,
    key: &str,
    request_hash: &str,
    response: &str,
) -> Result<()> {
    idempotency::ActiveModel {
        partnership: Set(partnership.to_string()),
        idem_key: Set(key.to_string()),
        request_hash: Set(request_hash.to_string()),
        response: Set(response.to_string()),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
