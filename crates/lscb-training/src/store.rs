//! The only module that knows sea-orm: plain SQL (the same for SQLite and PostgreSQL, with
//! `?` placeholders numbered for PostgreSQL here) over any connection or transaction.
//! Every query is scoped by partnership.

use chrono::NaiveDate;
use lscb_platform::{Error, Result};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};

use std::collections::BTreeMap;

use crate::domain::{
    Booking, BookingStatus, ChargePolicy, Course, Evaluation, Programme, Session, SessionBookings,
    SessionStatus, TrainedCount, Trainer, YearTotals,
};

fn stmt(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DatabaseBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(ch);
            }
        }
        out
    } else {
        sql.to_string()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

async fn exec<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<Value>) -> Result<u64> {
    let r = c
        .execute_raw(stmt(c.get_database_backend(), sql, values))
        .await?;
    Ok(r.rows_affected())
}

async fn all<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>> {
    Ok(c.query_all_raw(stmt(c.get_database_backend(), sql, values))
        .await?)
}

fn s(v: impl Into<String>) -> Value {
    Value::from(v.into())
}

fn get<T: sea_orm::TryGetable>(r: &QueryResult, col: &str) -> Result<T> {
    Ok(r.try_get::<T>("", col)?)
}

fn date(r: &QueryResult, col: &str) -> Result<NaiveDate> {
    let t: String = get(r, col)?;
    t.parse()
        .map_err(|_| Error::Internal(anyhow::anyhow!("stored date '{t}' in {col} is not a date")))
}

fn json<T: serde::de::DeserializeOwned>(r: &QueryResult, col: &str) -> Result<T> {
    let t: String = get(r, col)?;
    serde_json::from_str(&t).map_err(|e| Error::Internal(anyhow::anyhow!("stored {col}: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(e.into()))
}

// ------------------------------------ courses ------------------------------------------

fn course_of(r: &QueryResult) -> Result<Course> {
    let len: String = get(r, "length_days")?;
    Ok(Course {
        code: get(r, "code")?,
        title: get(r, "title")?,
        level: get(r, "level")?,
        topics: json(r, "topics")?,
        multi_agency: get(r, "multi_agency")?,
        length_days: len
            .parse()
            .map_err(|_| Error::Internal(anyhow::anyhow!("stored length_days '{len}'")))?,
        programme_code: get(r, "programme_code")?,
    })
}

pub async fn upsert_course<C: ConnectionTrait>(c: &C, p: &str, course: &Course) -> Result<()> {
    exec(
        c,
        "DELETE FROM tr_courses WHERE partnership = ? AND code = ?",
        vec![s(p), s(&course.code)],
    )
    .await?;
    exec(
        c,
        "INSERT INTO tr_courses (partnership, code, title, level, topics, multi_agency, length_days, programme_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            s(p),
            s(&course.code),
            s(&course.title),
            s(&course.level),
            s(to_json(&course.topics)?),
            course.multi_agency.into(),
            s(course.length_days.to_string()),
            s(&course.programme_code),
        ],
    )
    .await?;
    Ok(())
}

pub async fn get_course<C: ConnectionTrait>(c: &C, p: &str, code: &str) -> Result<Option<Course>> {
    let rows = all(
        c,
        "SELECT * FROM tr_courses WHERE partnership = ? AND code = ?",
        vec![s(p), s(code)],
    )
    .await?;
    rows.first().map(course_of).transpose()
}

pub async fn list_courses<C: ConnectionTrait>(c: &C, p: &str) -> Result<Vec<Course>> {
    all(
        c,
        "SELECT * FROM tr_courses WHERE partnership = ? ORDER BY code",
        vec![s(p)],
    )
    .await?
    .iter()
    .map(course_of)
    .collect()
}

// ------------------------------------ sessions -----------------------------------------

fn session_of(r: &QueryResult) -> Result<Session> {
    let st: String = get(r, "status")?;
    let cap: i64 = get(r, "capacity")?;
    Ok(Session {
        id: get(r, "id")?,
        course_code: get(r, "course_code")?,
        date: date(r, "session_date")?,
        venue: get(r, "venue")?,
        online: get(r, "online")?,
        capacity: cap as u32,
        trainers: json(r, "trainers")?,
        status: SessionStatus::parse(&st)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("stored session status '{st}'")))?,
    })
}

pub async fn insert_session<C: ConnectionTrait>(c: &C, p: &str, x: &Session) -> Result<()> {
    exec(
        c,
        "INSERT INTO tr_sessions (id, partnership, course_code, session_date, venue, online, capacity, trainers, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            s(&x.id),
            s(p),
            s(&x.course_code),
            s(x.date.to_string()),
            s(&x.venue),
            x.online.into(),
            i64::from(x.capacity).into(),
            s(to_json(&x.trainers)?),
            s(x.status.as_str()),
        ],
    )
    .await?;
    Ok(())
}

pub async fn update_session<C: ConnectionTrait>(c: &C, p: &str, x: &Session) -> Result<()> {
    exec(
        c,
        "UPDATE tr_sessions SET session_date = ?, venue = ?, online = ?, capacity = ?, trainers = ?, status = ? WHERE partnership = ? AND id = ?",
        vec![
            s(x.date.to_string()),
            s(&x.venue),
            x.online.into(),
            i64::from(x.capacity).into(),
            s(to_json(&x.trainers)?),
            s(x.status.as_str()),
            s(p),
            s(&x.id),
        ],
    )
    .await?;
    Ok(())
}

/// A session; inside a write transaction on PostgreSQL the row is locked (`FOR UPDATE`) so
/// that concurrent bookings of one session queue behind each other. SQLite has one writer.
pub async fn get_session<C: ConnectionTrait>(
    c: &C,
    p: &str,
    id: &str,
    lock: bool,
) -> Result<Option<Session>> {
    let sql = if lock && c.get_database_backend() == DatabaseBackend::Postgres {
        "SELECT * FROM tr_sessions WHERE partnership = ? AND id = ? FOR UPDATE"
    } else {
        "SELECT * FROM tr_sessions WHERE partnership = ? AND id = ?"
    };
    let rows = all(c, sql, vec![s(p), s(id)]).await?;
    rows.first().map(session_of).transpose()
}

/// Sessions dated within `[from, to]` (all when `None`), by date.
pub async fn list_sessions<C: ConnectionTrait>(
    c: &C,
    p: &str,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<Vec<Session>> {
    let rows = match range {
        Some((from, to)) => {
            all(
                c,
                "SELECT * FROM tr_sessions WHERE partnership = ? AND session_date >= ? AND session_date <= ? ORDER BY session_date, id",
                vec![s(p), s(from.to_string()), s(to.to_string())],
            )
            .await?
        }
        None => {
            all(
                c,
                "SELECT * FROM tr_sessions WHERE partnership = ? ORDER BY session_date, id",
                vec![s(p)],
            )
            .await?
        }
    };
    rows.iter().map(session_of).collect()
}

// ------------------------------------ bookings -----------------------------------------

fn booking_of(r: &QueryResult) -> Result<Booking> {
    let st: String = get(r, "status")?;
    let cancelled: Option<String> = get(r, "cancelled_on")?;
    Ok(Booking {
        id: get(r, "id")?,
        session_id: get(r, "session_id")?,
        seq: get(r, "seq")?,
        delegate_ref: get(r, "delegate_ref")?,
        agency: get(r, "agency")?,
        role: get(r, "role")?,
        status: BookingStatus::parse(&st)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("stored booking status '{st}'")))?,
        cancelled_on: cancelled.and_then(|t| t.parse().ok()),
    })
}

pub async fn bookings_of_session<C: ConnectionTrait>(
    c: &C,
    p: &str,
    session_id: &str,
) -> Result<Vec<Booking>> {
    all(
        c,
        "SELECT * FROM tr_bookings WHERE partnership = ? AND session_id = ? ORDER BY seq",
        vec![s(p), s(session_id)],
    )
    .await?
    .iter()
    .map(booking_of)
    .collect()
}

/// Bookings of the sessions dated within `[from, to]` (all when `None`).
pub async fn bookings_in_range<C: ConnectionTrait>(
    c: &C,
    p: &str,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<Vec<Booking>> {
    let (from, to) = range.map_or(
        ("0000-01-01".to_string(), "9999-12-31".to_string()),
        |(f, t)| (f.to_string(), t.to_string()),
    );
    all(
        c,
        // s.partnership too: it lets the planner find the range's sessions by
        // (partnership, session_date) and their bookings by session, instead of scanning
        // every booking of the partnership.
        "SELECT b.* FROM tr_bookings b JOIN tr_sessions s ON s.id = b.session_id WHERE b.partnership = ? AND s.partnership = ? AND s.session_date >= ? AND s.session_date <= ? ORDER BY b.session_id, b.seq",
        vec![s(p), s(p), s(from), s(to)],
    )
    .await?
    .iter()
    .map(booking_of)
    .collect()
}

pub async fn get_booking<C: ConnectionTrait>(c: &C, p: &str, id: &str) -> Result<Option<Booking>> {
    let rows = all(
        c,
        "SELECT * FROM tr_bookings WHERE partnership = ? AND id = ?",
        vec![s(p), s(id)],
    )
    .await?;
    rows.first().map(booking_of).transpose()
}

/// Bind parameters one statement may carry: well under SQLite's limit (32,766) and
/// PostgreSQL's (65,535), so multi-row statements are cut into chunks of this many values.
const BIND_BUDGET: usize = 10_000;

/// `?, ?, …` for `n` values.
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Sessions by id, in id order (those of another partnership or unknown are left out). In
/// a write transaction on PostgreSQL the rows are locked (`FOR UPDATE`, in id order so that
/// concurrent batches queue rather than deadlock); SQLite has one writer.
pub async fn sessions_by_ids<C: ConnectionTrait>(
    c: &C,
    p: &str,
    ids: &[&str],
    lock: bool,
) -> Result<Vec<Session>> {
    let lock = if lock && c.get_database_backend() == DatabaseBackend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let mut ids: Vec<&str> = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BIND_BUDGET - 1) {
        let sql = format!(
            "SELECT * FROM tr_sessions WHERE partnership = ? AND id IN ({}) ORDER BY id{lock}",
            placeholders(chunk.len())
        );
        let mut values = vec![s(p)];
        values.extend(chunk.iter().map(|x| s(*x)));
        for r in all(c, &sql, values).await? {
            out.push(session_of(&r)?);
        }
    }
    Ok(out)
}

/// The bookings of the given sessions, by session and arrival.
pub async fn bookings_of_sessions<C: ConnectionTrait>(
    c: &C,
    p: &str,
    ids: &[&str],
) -> Result<Vec<Booking>> {
    let mut out = vec![];
    for chunk in ids.chunks(BIND_BUDGET - 1) {
        let sql = format!(
            "SELECT * FROM tr_bookings WHERE partnership = ? AND session_id IN ({}) ORDER BY session_id, seq",
            placeholders(chunk.len())
        );
        let mut values = vec![s(p)];
        values.extend(chunk.iter().map(|x| s(*x)));
        for r in all(c, &sql, values).await? {
            out.push(booking_of(&r)?);
        }
    }
    Ok(out)
}

/// Inserts bookings, many rows per statement.
pub async fn insert_bookings<C: ConnectionTrait>(c: &C, p: &str, bs: &[Booking]) -> Result<()> {
    const COLUMNS: usize = 9;
    for chunk in bs.chunks(BIND_BUDGET / COLUMNS) {
        let mut sql = String::from(
            "INSERT INTO tr_bookings (id, partnership, session_id, seq, delegate_ref, agency, role, status, cancelled_on) VALUES ",
        );
        let mut values = Vec::with_capacity(chunk.len() * COLUMNS);
        for (i, b) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str("(?, ?, ?, ?, ?, ?, ?, ?, ?)");
            values.extend([
                s(&b.id),
                s(p),
                s(&b.session_id),
                b.seq.into(),
                s(&b.delegate_ref),
                s(&b.agency),
                s(&b.role),
                s(b.status.as_str()),
                Value::from(b.cancelled_on.map(|d| d.to_string())),
            ]);
        }
        exec(c, &sql, values).await?;
    }
    Ok(())
}

/// Writes the status (and day of cancellation) of stored bookings: one statement per
/// distinct (status, day) with the ids chunked, not one per booking.
pub async fn set_booking_statuses<C: ConnectionTrait>(
    c: &C,
    p: &str,
    bs: &[&Booking],
) -> Result<()> {
    let mut groups: BTreeMap<(&str, Option<NaiveDate>), Vec<&str>> = BTreeMap::new();
    for b in bs {
        groups
            .entry((b.status.as_str(), b.cancelled_on))
            .or_default()
            .push(&b.id);
    }
    for ((status, cancelled_on), ids) in groups {
        for chunk in ids.chunks(BIND_BUDGET - 3) {
            let sql = format!(
                "UPDATE tr_bookings SET status = ?, cancelled_on = ? WHERE partnership = ? AND id IN ({})",
                placeholders(chunk.len())
            );
            let mut values = vec![
                s(status),
                Value::from(cancelled_on.map(|d| d.to_string())),
                s(p),
            ];
            values.extend(chunk.iter().map(|x| s(*x)));
            exec(c, &sql, values).await?;
        }
    }
    Ok(())
}

/// Writes the status of sessions: one statement per status with the ids chunked.
pub async fn set_session_statuses<C: ConnectionTrait>(
    c: &C,
    p: &str,
    ss: &[&Session],
) -> Result<()> {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for x in ss {
        groups.entry(x.status.as_str()).or_default().push(&x.id);
    }
    for (status, ids) in groups {
        for chunk in ids.chunks(BIND_BUDGET - 2) {
            let sql = format!(
                "UPDATE tr_sessions SET status = ? WHERE partnership = ? AND id IN ({})",
                placeholders(chunk.len())
            );
            let mut values = vec![s(status), s(p)];
            values.extend(chunk.iter().map(|x| s(*x)));
            exec(c, &sql, values).await?;
        }
    }
    Ok(())
}

/// Writes what the rules changed in sessions' bookings: the new bookings, the stored ones
/// whose status changed, and the sessions marked delivered, with multi-row statements.
pub async fn save_bookings<'a, C: ConnectionTrait>(
    c: &C,
    p: &str,
    books: impl IntoIterator<Item = &'a SessionBookings>,
) -> Result<()> {
    let (mut new, mut changed, mut sessions) = (vec![], vec![], vec![]);
    for b in books {
        new.extend(b.new_bookings().iter().cloned());
        changed.extend(b.changed_bookings());
        if b.status_changed() {
            sessions.push(&b.session);
        }
    }
    insert_bookings(c, p, &new).await?;
    set_booking_statuses(c, p, &changed).await?;
    set_session_statuses(c, p, &sessions).await?;
    Ok(())
}

// ----------------------------------- evaluations ---------------------------------------

pub async fn upsert_evaluations<C: ConnectionTrait>(
    c: &C,
    p: &str,
    es: &[Evaluation],
) -> Result<()> {
    for e in es {
        exec(
            c,
            "DELETE FROM tr_evaluations WHERE partnership = ? AND session_id = ? AND delegate_ref = ?",
            vec![s(p), s(&e.session_id), s(&e.delegate_ref)],
        )
        .await?;
        exec(
            c,
            "INSERT INTO tr_evaluations (partnership, session_id, delegate_ref, confidence_before, confidence_after, satisfaction) VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                s(p),
                s(&e.session_id),
                s(&e.delegate_ref),
                i64::from(e.confidence_before).into(),
                i64::from(e.confidence_after).into(),
                i64::from(e.satisfaction).into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Evaluations of sessions dated within `[from, to]`.
pub async fn evaluations_in_range<C: ConnectionTrait>(
    c: &C,
    p: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Evaluation>> {
    all(
        c,
        "SELECT e.* FROM tr_evaluations e JOIN tr_sessions s ON s.id = e.session_id WHERE e.partnership = ? AND s.partnership = ? AND s.session_date >= ? AND s.session_date <= ? ORDER BY e.session_id, e.delegate_ref",
        vec![s(p), s(p), s(from.to_string()), s(to.to_string())],
    )
    .await?
    .iter()
    .map(|r| {
        let b: i64 = get(r, "confidence_before")?;
        let a: i64 = get(r, "confidence_after")?;
        let sat: i64 = get(r, "satisfaction")?;
        Ok(Evaluation {
            session_id: get(r, "session_id")?,
            delegate_ref: get(r, "delegate_ref")?,
            confidence_before: b as u8,
            confidence_after: a as u8,
            satisfaction: sat as u8,
        })
    })
    .collect()
}

// ------------------------------------- policy ------------------------------------------

pub async fn get_policy<C: ConnectionTrait>(c: &C, p: &str) -> Result<ChargePolicy> {
    let rows = all(
        c,
        "SELECT policy FROM tr_charge_policies WHERE partnership = ?",
        vec![s(p)],
    )
    .await?;
    match rows.first() {
        Some(r) => json(r, "policy"),
        None => Ok(ChargePolicy::default()),
    }
}

pub async fn set_policy<C: ConnectionTrait>(c: &C, p: &str, policy: &ChargePolicy) -> Result<()> {
    exec(
        c,
        "DELETE FROM tr_charge_policies WHERE partnership = ?",
        vec![s(p)],
    )
    .await?;
    exec(
        c,
        "INSERT INTO tr_charge_policies (partnership, policy) VALUES (?, ?)",
        vec![s(p), s(to_json(policy)?)],
    )
    .await?;
    Ok(())
}

// ----------------------------------- programmes ----------------------------------------

fn programme_of(r: &QueryResult) -> Result<Programme> {
    let t: i64 = get(r, "target")?;
    Ok(Programme {
        code: get(r, "code")?,
        name: get(r, "name")?,
        target: t as u32,
        start: date(r, "start_date")?,
        end: date(r, "end_date")?,
        workforce: json(r, "workforce")?,
    })
}

pub async fn upsert_programme<C: ConnectionTrait>(c: &C, p: &str, x: &Programme) -> Result<()> {
    exec(
        c,
        "DELETE FROM tr_programmes WHERE partnership = ? AND code = ?",
        vec![s(p), s(&x.code)],
    )
    .await?;
    exec(
        c,
        "INSERT INTO tr_programmes (partnership, code, name, target, start_date, end_date, workforce) VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![
            s(p),
            s(&x.code),
            s(&x.name),
            i64::from(x.target).into(),
            s(x.start.to_string()),
            s(x.end.to_string()),
            s(to_json(&x.workforce)?),
        ],
    )
    .await?;
    Ok(())
}

pub async fn list_programmes<C: ConnectionTrait>(c: &C, p: &str) -> Result<Vec<Programme>> {
    all(
        c,
        "SELECT * FROM tr_programmes WHERE partnership = ? ORDER BY code",
        vec![s(p)],
    )
    .await?
    .iter()
    .map(programme_of)
    .collect()
}

pub async fn insert_trained<C: ConnectionTrait>(
    c: &C,
    p: &str,
    programme: &str,
    rows: &[TrainedCount],
) -> Result<()> {
    for r in rows {
        exec(
            c,
            "INSERT INTO tr_programme_trained (id, partnership, programme_code, agency, trained_by, trained) VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                s(uuid::Uuid::new_v4().to_string()),
                s(p),
                s(programme),
                s(&r.agency),
                s(r.date.to_string()),
                i64::from(r.trained).into(),
            ],
        )
        .await?;
    }
    Ok(())
}

pub async fn trained_counts<C: ConnectionTrait>(
    c: &C,
    p: &str,
    programme: &str,
) -> Result<Vec<TrainedCount>> {
    all(
        c,
        "SELECT * FROM tr_programme_trained WHERE partnership = ? AND programme_code = ? ORDER BY trained_by",
        vec![s(p), s(programme)],
    )
    .await?
    .iter()
    .map(|r| {
        let n: i64 = get(r, "trained")?;
        Ok(TrainedCount {
            agency: get(r, "agency")?,
            date: date(r, "trained_by")?,
            trained: n as u32,
        })
    })
    .collect()
}

// ------------------------------------ trainers -----------------------------------------

pub async fn upsert_trainers<C: ConnectionTrait>(c: &C, p: &str, ts: &[Trainer]) -> Result<()> {
    for t in ts {
        exec(
            c,
            "DELETE FROM tr_trainers WHERE partnership = ? AND trainer_ref = ? AND programme_code = ?",
            vec![s(p), s(&t.trainer_ref), s(&t.programme_code)],
        )
        .await?;
        exec(
            c,
            "INSERT INTO tr_trainers (partnership, trainer_ref, programme_code, agency, accredited_on) VALUES (?, ?, ?, ?, ?)",
            vec![
                s(p),
                s(&t.trainer_ref),
                s(&t.programme_code),
                s(&t.agency),
                s(t.accredited_on.to_string()),
            ],
        )
        .await?;
    }
    Ok(())
}

pub async fn list_trainers<C: ConnectionTrait>(c: &C, p: &str) -> Result<Vec<Trainer>> {
    all(
        c,
        "SELECT * FROM tr_trainers WHERE partnership = ? ORDER BY accredited_on, agency, trainer_ref",
        vec![s(p)],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Trainer {
            trainer_ref: get(r, "trainer_ref")?,
            agency: get(r, "agency")?,
            programme_code: get(r, "programme_code")?,
            accredited_on: date(r, "accredited_on")?,
        })
    })
    .collect()
}

// ---------------------------------- year totals ----------------------------------------

pub async fn upsert_year_totals<C: ConnectionTrait>(
    c: &C,
    p: &str,
    start_year: i32,
    t: &YearTotals,
) -> Result<()> {
    exec(
        c,
        "DELETE FROM tr_year_totals WHERE partnership = ? AND start_year = ?",
        vec![s(p), i64::from(start_year).into()],
    )
    .await?;
    exec(
        c,
        "INSERT INTO tr_year_totals (partnership, start_year, totals) VALUES (?, ?, ?)",
        vec![s(p), i64::from(start_year).into(), s(to_json(t)?)],
    )
    .await?;
    Ok(())
}

/// Recorded totals by the year's start.
pub async fn year_totals<C: ConnectionTrait>(
    c: &C,
    p: &str,
) -> Result<std::collections::BTreeMap<i32, YearTotals>> {
    all(
        c,
        "SELECT * FROM tr_year_totals WHERE partnership = ?",
        vec![s(p)],
    )
    .await?
    .iter()
    .map(|r| {
        let y: i64 = get(r, "start_year")?;
        Ok((y as i32, json(r, "totals")?))
    })
    .collect()
}
