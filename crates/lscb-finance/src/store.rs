//! The only module that knows sea-orm: loads a partnership's ledger, writes records with
//! their field-by-field history and closes and reopens years.
//! Every query is scoped by partnership.

use std::collections::BTreeMap;

use lscb_platform::{Error, Period, Result, db::is_unique_violation};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::domain::Direction;
use crate::domain::{CarryForwardSource, Change};
use crate::domain::{
    Category, ClosedSnapshot, Contribution, Expenditure, HistoryEntry, InKind, Income, Ledger,
    PlannedChange, PutSummary, Record, YearLines, YearRecord, YearStatus, diff,
};
use crate::entity::{
    category, contribution, expenditure_line, history, in_kind, income_line, planned_change, year,
};

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
    let mut l = Ledger {
        years: years
            .iter()
            .map(|y| (y.start_year, year_record(y)))
            .collect(),
        lines: BTreeMap::new(),
    };
    fn lines(l: &mut Ledger, start_year: i32) -> &mut YearLines {
        l.lines.entry(start_year).or_default()
    }
    for r in Contribution::rows(conn, partnership, None).await? {
        lines(&mut l, r.start_year).contributions.push(r.record);
    }
    for r in Income::rows(conn, partnership, None).await? {
        lines(&mut l, r.start_year).income.push(r.record);
    }
    for r in Expenditure::rows(conn, partnership, None).await? {
        lines(&mut l, r.start_year).expenditure.push(r.record);
    }
    for r in InKind::rows(conn, partnership, None).await? {
        lines(&mut l, r.start_year).in_kind.push(r.record);
    }
    for r in PlannedChange::rows(conn, partnership, None).await? {
        lines(&mut l, r.start_year).planned.push(r.record);
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
pub async fn put<C: ConnectionTrait, R: Stored>(
    conn: &C,
    partnership: &str,
    start_year: i32,
    actor: &str,
    changes: Vec<Change<R>>,
) -> Result<PutSummary> {
    let kind = R::KIND.as_str();
    let existing: BTreeMap<String, StoredRow<R>> = R::rows(conn, partnership, Some(start_year))
        .await?
        .into_iter()
        .map(|r| (r.record.key(), r))
        .collect();
    let at = now();
    let mut summary = PutSummary::default();
    let mut hist = Vec::new();
    let mut inserts = Vec::new();
    for change in changes {
        let key = change.key();
        let old = existing.get(&key);
        let fields = match change {
            Change::Remove(_) => {
                let Some(old) = old else {
                    summary.unchanged += 1;
                    continue;
                };
                R::delete(conn, old.id).await?;
                summary.removed += 1;
                diff::<R>(Some(&old.record), None)
            }
            Change::Upsert(new) => {
                let fields = diff(old.map(|o| &o.record), Some(&new));
                if fields.is_empty() {
                    summary.unchanged += 1;
                    continue;
                }
                match old {
                    Some(old) => {
                        R::update(conn, old.id, partnership, start_year, &new, &at, actor).await?;
                        summary.updated += 1;
                    }
                    None => {
                        inserts.push(new);
                        summary.created += 1;
                    }
                }
                fields
            }
        };
        for f in fields {
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
    for chunk in inserts.chunks(CHUNK) {
        R::insert_many(conn, partnership, start_year, chunk, &at, actor).await?;
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

// ---------------------------------------------------------------------------------------
// Record tables: one per kind, typed columns, money in pence.

/// A stored record with its row id and year.
#[derive(Debug, Clone)]
pub struct StoredRow<R> {
    pub id: i32,
    pub start_year: i32,
    pub record: R,
}

/// How a kind of record maps to its table. The service calls it only with concrete
/// connection types, where the futures are `Send`.
#[allow(async_fn_in_trait)]
pub trait Stored: Record {
    /// The partnership's records of this kind (of one year when given), oldest first.
    async fn rows<C: ConnectionTrait>(
        conn: &C,
        partnership: &str,
        start_year: Option<i32>,
    ) -> Result<Vec<StoredRow<Self>>>;
    /// Inserts `records` in one statement (callers chunk them under the bind limit).
    async fn insert_many<C: ConnectionTrait>(
        conn: &C,
        partnership: &str,
        start_year: i32,
        records: &[Self],
        at: &str,
        actor: &str,
    ) -> Result<()>;
    /// Replaces the stored row `id` with `record`.
    async fn update<C: ConnectionTrait>(
        conn: &C,
        id: i32,
        partnership: &str,
        start_year: i32,
        record: &Self,
        at: &str,
        actor: &str,
    ) -> Result<()>;
    /// Deletes the stored row `id`.
    async fn delete<C: ConnectionTrait>(conn: &C, id: i32) -> Result<()>;
}

/// Implements [`Stored`] for a record type from its entity module and the two conversions
/// `$from(Model) -> Result<Record>` and `$to(&Record, partnership, start_year, at, actor)
/// -> ActiveModel` (id not set).
macro_rules! stored {
    ($record:ty, $m:ident, $from:ident, $to:ident) => {
        impl Stored for $record {
            async fn rows<C: ConnectionTrait>(
                conn: &C,
                partnership: &str,
                start_year: Option<i32>,
            ) -> Result<Vec<StoredRow<Self>>> {
                let mut q = $m::Entity::find().filter($m::Column::Partnership.eq(partnership));
                if let Some(y) = start_year {
                    q = q.filter($m::Column::StartYear.eq(y));
                }
                q.order_by_asc($m::Column::Id)
                    .all(conn)
                    .await?
                    .into_iter()
                    .map(|m| {
                        Ok(StoredRow {
                            id: m.id,
                            start_year: m.start_year,
                            record: $from(m)?,
                        })
                    })
                    .collect()
            }

            async fn insert_many<C: ConnectionTrait>(
                conn: &C,
                partnership: &str,
                start_year: i32,
                records: &[Self],
                at: &str,
                actor: &str,
            ) -> Result<()> {
                if records.is_empty() {
                    return Ok(());
                }
                $m::Entity::insert_many(
                    records
                        .iter()
                        .map(|r| $to(r, partnership, start_year, at, actor)),
                )
                .exec(conn)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn update<C: ConnectionTrait>(
                conn: &C,
                id: i32,
                partnership: &str,
                start_year: i32,
                record: &Self,
                at: &str,
                actor: &str,
            ) -> Result<()> {
                let mut am = $to(record, partnership, start_year, at, actor);
                am.id = Set(id);
                am.update(conn).await.map_err(db_err)?;
                Ok(())
            }

            async fn delete<C: ConnectionTrait>(conn: &C, id: i32) -> Result<()> {
                $m::Entity::delete_by_id(id).exec(conn).await?;
                Ok(())
            }
        }
    };
}

stored!(
    Contribution,
    contribution,
    contribution_from,
    contribution_to
);
stored!(Income, income_line, income_from, income_to);
stored!(
    Expenditure,
    expenditure_line,
    expenditure_from,
    expenditure_to
);
stored!(InKind, in_kind, in_kind_from, in_kind_to);
stored!(
    PlannedChange,
    planned_change,
    planned_change_from,
    planned_change_to
);

fn contribution_from(m: contribution::Model) -> Result<Contribution> {
    Ok(Contribution {
        agency_code: m.agency_code,
        agreed_pence: m.agreed_pence,
        invoiced_pence: m.invoiced_pence,
        invoiced_on: m.invoiced_on,
        received_pence: m.received_pence,
        received_on: m.received_on,
        note: m.note,
    })
}

fn contribution_to(
    r: &Contribution,
    partnership: &str,
    start_year: i32,
    at: &str,
    actor: &str,
) -> contribution::ActiveModel {
    contribution::ActiveModel {
        partnership: Set(partnership.to_string()),
        start_year: Set(start_year),
        agency_code: Set(r.agency_code.clone()),
        agreed_pence: Set(r.agreed_pence),
        invoiced_pence: Set(r.invoiced_pence),
        invoiced_on: Set(r.invoiced_on),
        received_pence: Set(r.received_pence),
        received_on: Set(r.received_on),
        note: Set(r.note.clone()),
        updated_at: Set(at.to_string()),
        updated_by: Set(actor.to_string()),
        ..Default::default()
    }
}

fn income_from(m: income_line::Model) -> Result<Income> {
    Ok(Income {
        category: m.category,
        description: m.description,
        amount_pence: m.amount_pence,
    })
}

fn income_to(
    r: &Income,
    partnership: &str,
    start_year: i32,
    at: &str,
    actor: &str,
) -> income_line::ActiveModel {
    income_line::ActiveModel {
        partnership: Set(partnership.to_string()),
        start_year: Set(start_year),
        category: Set(r.category.clone()),
        description: Set(r.description.clone()),
        amount_pence: Set(r.amount_pence),
        updated_at: Set(at.to_string()),
        updated_by: Set(actor.to_string()),
        ..Default::default()
    }
}

fn expenditure_from(m: expenditure_line::Model) -> Result<Expenditure> {
    Ok(Expenditure {
        category: m.category,
        budget_pence: m.budget_pence,
        actual_pence: m.actual_pence,
        note: m.note,
    })
}

fn expenditure_to(
    r: &Expenditure,
    partnership: &str,
    start_year: i32,
    at: &str,
    actor: &str,
) -> expenditure_line::ActiveModel {
    expenditure_line::ActiveModel {
        partnership: Set(partnership.to_string()),
        start_year: Set(start_year),
        category: Set(r.category.clone()),
        budget_pence: Set(r.budget_pence),
        actual_pence: Set(r.actual_pence),
        note: Set(r.note.clone()),
        updated_at: Set(at.to_string()),
        updated_by: Set(actor.to_string()),
        ..Default::default()
    }
}

fn in_kind_from(m: in_kind::Model) -> Result<InKind> {
    Ok(InKind {
        agency_code: m.agency_code,
        description: m.description,
        estimated_value_pence: m.estimated_value_pence,
    })
}

fn in_kind_to(
    r: &InKind,
    partnership: &str,
    start_year: i32,
    at: &str,
    actor: &str,
) -> in_kind::ActiveModel {
    in_kind::ActiveModel {
        partnership: Set(partnership.to_string()),
        start_year: Set(start_year),
        agency_code: Set(r.agency_code.clone()),
        description: Set(r.description.clone()),
        estimated_value_pence: Set(r.estimated_value_pence),
        updated_at: Set(at.to_string()),
        updated_by: Set(actor.to_string()),
        ..Default::default()
    }
}

fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Reduction => "reduction",
        Direction::Increase => "increase",
    }
}

fn planned_change_from(m: planned_change::Model) -> Result<PlannedChange> {
    let direction = match m.direction.as_str() {
        "reduction" => Direction::Reduction,
        "increase" => Direction::Increase,
        other => {
            return Err(Error::Internal(anyhow::anyhow!(
                "finance_planned_change {} has unknown direction '{other}'",
                m.id
            )));
        }
    };
    Ok(PlannedChange {
        description: m.description,
        direction,
        amount_pence: m.amount_pence,
        reason: m.reason,
    })
}

fn planned_change_to(
    r: &PlannedChange,
    partnership: &str,
    start_year: i32,
    at: &str,
    actor: &str,
) -> planned_change::ActiveModel {
    planned_change::ActiveModel {
        partnership: Set(partnership.to_string()),
        start_year: Set(start_year),
        description: Set(r.description.clone()),
        direction: Set(direction_str(r.direction).to_string()),
        amount_pence: Set(r.amount_pence),
        reason: Set(r.reason.clone()),
        updated_at: Set(at.to_string()),
        updated_by: Set(actor.to_string()),
        ..Default::default()
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
