//! `lscbctl import <kind> FILE.csv`: loads a partner agency's CSV export through the gRPC API.
//!
//! Every kind reads the whole file, validates every row locally (line and field named), and
//! stores nothing when any row is bad unless `--skip-invalid` is given; the server's
//! `BadRequest` violations (`rows[3].period`) are mapped back to CSV lines. Idempotency keys
//! derive from the file's SHA-256, so running the same file twice stores it once. Column
//! layouts: `docs/import.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use lscb_proto::audits::v1 as au;
use lscb_proto::common::v1::Period;
use lscb_proto::finance::v1 as fi;
use lscb_proto::indicators::v1 as ind;
use lscb_proto::training::v1 as tr;

use crate::csvio::{CsvFile, Progress, Row, RowError, map_violations, sha256_hex};
use crate::seed_clients::Clients;

/// What a CSV file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportKind {
    /// Indicator definitions (UpsertIndicator per row).
    Indicators,
    /// Indicator observations (one atomic StreamObservations).
    Observations,
    /// Case reviews of audits (SubmitCaseReviews per audit).
    CaseReviews,
    /// Training bookings, cancellations and attendance by delegate (RecordDelegates batches).
    TrainingAttendance,
    /// Finance lines: contributions, income, expenditure, in kind, carry forward, planned changes.
    Finance,
}

/// Arguments of `lscbctl import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: ImportKind,
    /// The CSV file (first line: the column names).
    pub file: PathBuf,
    /// Store the valid rows of a file that has bad ones (the bad ones are still reported).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Case reviews: the audit id every row belongs to (else the `audit` column holds ids).
    #[arg(long)]
    pub audit: Option<String>,
    /// Training attendance: the session id every row belongs to (else the `session` column
    /// holds session ids).
    #[arg(long)]
    pub session: Option<String>,
    /// Rows per message of the observation stream.
    #[arg(long, default_value_t = 1000)]
    pub chunk: usize,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

/// What an import did.
#[derive(Debug, Default, Clone)]
pub struct ImportOutcome {
    /// Rows sent and accepted by the services.
    pub stored: usize,
    /// Rows left out (with `--skip-invalid`) or refused.
    pub errors: Vec<RowError>,
    /// The service had already stored this very file (same idempotency key and rows):
    /// nothing new was stored, `stored` counts the rows of that earlier import.
    pub replayed: bool,
}

/// Runs one import. Returns an error (listing every bad row) when nothing was stored
/// because of bad rows.
pub async fn run(clients: &Clients, args: &ImportArgs) -> anyhow::Result<ImportOutcome> {
    let file = CsvFile::read(&args.file)?;
    let outcome = match args.kind {
        ImportKind::Indicators => import_indicators(clients, &file, args).await?,
        ImportKind::Observations => import_observations(clients, &file, args).await?,
        ImportKind::CaseReviews => import_case_reviews(clients, &file, args).await?,
        ImportKind::TrainingAttendance => import_attendance(clients, &file, args).await?,
        ImportKind::Finance => import_finance(clients, &file, args).await?,
    };
    Ok(outcome)
}

/// Refuses a file with errors unless `skip_invalid`.
fn gate(file: &CsvFile, errors: &[RowError], skip_invalid: bool) -> anyhow::Result<()> {
    if errors.is_empty() || skip_invalid {
        for e in errors {
            eprintln!("{}: {e} (skipped)", file.name);
        }
        return Ok(());
    }
    anyhow::bail!(
        "{}: {} bad row field(s), nothing stored (use --skip-invalid to store the valid rows):\n{}",
        file.name,
        errors.len(),
        errors
            .iter()
            .map(|e| format!("  {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

fn refused(file: &CsvFile, what: &str, errors: &[RowError]) -> anyhow::Error {
    anyhow::anyhow!(
        "{}: the service refused {what}, nothing stored:\n{}",
        file.name,
        errors
            .iter()
            .map(|e| format!("  {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

fn period(code: &str) -> Option<Period> {
    (!code.is_empty()).then(|| Period {
        code: code.to_string(),
    })
}

// ---------------------------------------------------------------------------------------
// Indicators
// ---------------------------------------------------------------------------------------

/// Columns of an indicator definitions file.
pub const INDICATOR_COLUMNS: &[&str] = &[
    "code",
    "title",
    "unit",
    "polarity",
    "frequency",
    "aggregation",
];

/// One row of `indicators.csv` as a definition.
pub fn parse_indicator(row: &Row, errs: &mut Vec<RowError>) -> ind::IndicatorDefinition {
    let code = row.req("code", errs);
    if !code.is_empty()
        && !code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "._-".contains(c))
    {
        errs.push(row.err("code", "upper-case letters, digits, '.', '_' or '-' only"));
    }
    let title = row.req("title", errs);
    let unit = row.enumeration(
        "unit",
        "UNIT",
        "count, percent, rate_per_10000, days, ratio",
        ind::Unit::from_str_name,
        errs,
    );
    let polarity = row.enumeration(
        "polarity",
        "POLARITY",
        "higher_is_better, lower_is_better, within_band, context",
        ind::Polarity::from_str_name,
        errs,
    );
    let frequency = row.enumeration(
        "frequency",
        "FREQUENCY",
        "monthly, quarterly, annual",
        ind::Frequency::from_str_name,
        errs,
    );
    let aggregation = row.enumeration(
        "aggregation",
        "AGGREGATION",
        "sum, last, mean, recompute",
        ind::Aggregation::from_str_name,
        errs,
    );
    let (rn, rd, rm) = (
        row.get("rate_numerator"),
        row.get("rate_denominator"),
        row.decimal("rate_multiplier", errs),
    );
    let rate = (!rn.is_empty() || !rd.is_empty() || !rm.is_empty()).then(|| ind::RateDefinition {
        numerator_indicator: rn.to_string(),
        denominator_indicator: rd.to_string(),
        multiplier: rm.clone(),
    });
    let tv = row.decimal("target_value", errs);
    let tl = row.decimal("target_low", errs);
    let th = row.decimal("target_high", errs);
    let ta = row.decimal("target_amber", errs);
    let tf = row.get("target_from");
    if !tf.is_empty() {
        row.period("target_from", errs);
    }
    let targets = if tv.is_empty() && tl.is_empty() && th.is_empty() {
        Vec::new()
    } else {
        if tl.is_empty() != th.is_empty() {
            errs.push(row.err(
                "target_high",
                "a band needs both target_low and target_high",
            ));
        }
        vec![ind::Target {
            value: tv,
            band_low: tl,
            band_high: th,
            amber_tolerance: ta,
            applies_from: period(tf),
        }]
    };
    let dim = row.get("breakdown_dimension");
    let breakdown = (!dim.is_empty()).then(|| {
        let values = row.list("breakdown_values");
        if values.is_empty() {
            errs.push(row.err("breakdown_values", "a breakdown needs its values"));
        }
        ind::Breakdown {
            dimension: dim.to_string(),
            label: row.get("breakdown_label").to_string(),
            values,
            overlapping: row.boolean("breakdown_overlapping", errs),
        }
    });
    ind::IndicatorDefinition {
        code,
        title,
        description: row.get("description").to_string(),
        unit,
        polarity,
        priorities: row.list("priorities"),
        question: row.get("question").to_string(),
        themes: row.list("themes"),
        frequency,
        aggregation,
        rate,
        targets,
        expected_agencies: row.list("expected_agencies"),
        breakdown,
        tolerance: row.decimal("tolerance", errs),
        deadline_days: row.uint("deadline_days", errs),
        framework_area: row.get("framework_area").to_string(),
    }
}

/// Upserts definitions one by one (an unchanged definition is left as it is).
pub async fn upsert_indicators(
    clients: &Clients,
    defs: Vec<(u64, ind::IndicatorDefinition)>,
    quiet: bool,
) -> anyhow::Result<(usize, Vec<RowError>)> {
    let mut client = clients.indicators.clone();
    let mut progress = Progress::new("indicator definitions", defs.len() as u64, quiet);
    let (mut changed, mut errors) = (0, Vec::new());
    for (line, def) in defs {
        match client
            .upsert_indicator(ind::UpsertIndicatorRequest {
                indicator: Some(def),
            })
            .await
        {
            Ok(r) => {
                if r.into_inner().changed {
                    changed += 1;
                }
            }
            Err(status) => {
                for mut e in map_violations(&status, &[line]) {
                    e.line = line;
                    e.field = e.field.trim_start_matches("indicator.").to_string();
                    errors.push(e);
                }
            }
        }
        progress.inc(1);
    }
    progress.finish();
    Ok((changed, errors))
}

async fn import_indicators(
    clients: &Clients,
    file: &CsvFile,
    args: &ImportArgs,
) -> anyhow::Result<ImportOutcome> {
    file.require_columns(INDICATOR_COLUMNS)?;
    let (mut ok, mut errors) = (Vec::new(), Vec::new());
    for row in &file.rows {
        let mut e = Vec::new();
        let def = parse_indicator(row, &mut e);
        if e.is_empty() {
            ok.push((row.line, def));
        }
        errors.extend(e);
    }
    gate(file, &errors, args.skip_invalid)?;
    let n = ok.len();
    let (_, refused_rows) = upsert_indicators(clients, ok, args.quiet).await?;
    if !refused_rows.is_empty() && !args.skip_invalid {
        return Err(refused(file, "some definitions", &refused_rows));
    }
    errors.extend(refused_rows.iter().cloned());
    Ok(ImportOutcome {
        stored: n - refused_rows.len(),
        errors,
        replayed: false,
    })
}

// ---------------------------------------------------------------------------------------
// Observations
// ---------------------------------------------------------------------------------------

pub const OBSERVATION_COLUMNS: &[&str] = &["indicator", "period", "value"];

/// One row of an observations file.
pub fn parse_observation(row: &Row, errs: &mut Vec<RowError>) -> ind::ObservationInput {
    let indicator_code = row.req("indicator", errs);
    let p = row.period("period", errs);
    let value = row.decimal("value", errs);
    let numerator = row.decimal("numerator", errs);
    let denominator = row.decimal("denominator", errs);
    if value.is_empty() && (numerator.is_empty() || denominator.is_empty()) {
        errs.push(row.err("value", "needs a value, or a numerator and a denominator"));
    }
    if value.starts_with('-') {
        errs.push(row.err("value", "must not be negative"));
    }
    let status = match row.get("status") {
        "" | "final" => ind::ObservationStatus::Final as i32,
        "provisional" => ind::ObservationStatus::Provisional as i32,
        other => {
            errs.push(row.err("status", format!("'{other}' is not final or provisional")));
            0
        }
    };
    ind::ObservationInput {
        indicator_code,
        period: period(&p),
        agency_code: row.get("agency").to_string(),
        breakdown_value: row.get("breakdown").to_string(),
        value,
        numerator,
        denominator,
        status,
        comment: row.get("comment").to_string(),
    }
}

/// Streams observations as one atomic load; refused rows are mapped back to lines.
pub async fn stream_observations(
    clients: &Clients,
    rows: Vec<(u64, ind::ObservationInput)>,
    key: String,
    chunk: usize,
    quiet: bool,
) -> Result<Streamed, Vec<RowError>> {
    let lines: Vec<u64> = rows.iter().map(|(l, _)| *l).collect();
    let n = rows.len();
    let mut progress = Progress::new("observations", n as u64, quiet);
    let chunk = chunk.max(1);
    let mut msgs = Vec::new();
    let mut it = rows.into_iter().map(|(_, r)| r).peekable();
    let mut first = true;
    while it.peek().is_some() {
        let batch: Vec<_> = it.by_ref().take(chunk).collect();
        msgs.push(ind::StreamObservationsRequest {
            idempotency_key: if first { key.clone() } else { String::new() },
            rows: batch,
        });
        first = false;
    }
    let sizes: Vec<u64> = msgs.iter().map(|m| m.rows.len() as u64).collect();
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let sender = tokio::spawn(async move {
        for m in msgs {
            if tx.send(m).await.is_err() {
                break;
            }
        }
    });
    let mut client = clients.indicators.clone();
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    let res = client.stream_observations(stream).await;
    let _ = sender.await;
    for s in sizes {
        progress.inc(s);
    }
    progress.finish();
    match res {
        Ok(r) => Ok(Streamed {
            rows: n,
            replayed: r.into_inner().replayed,
        }),
        Err(status) => Err(map_violations(&status, &lines)),
    }
}

/// What a streamed load did: its rows, and whether the service answered it as a replay of
/// an earlier load of the same rows (nothing new stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streamed {
    pub rows: usize,
    pub replayed: bool,
}

async fn import_observations(
    clients: &Clients,
    file: &CsvFile,
    args: &ImportArgs,
) -> anyhow::Result<ImportOutcome> {
    file.require_columns(OBSERVATION_COLUMNS)?;
    let (mut ok, mut errors) = (Vec::new(), Vec::new());
    for row in &file.rows {
        let mut e = Vec::new();
        let obs = parse_observation(row, &mut e);
        if e.is_empty() {
            ok.push((row.line, obs));
        }
        errors.extend(e);
    }
    gate(file, &errors, args.skip_invalid)?;
    let key = if errors.is_empty() {
        file.key("import-observations")
    } else {
        file.key("import-observations-valid")
    };
    match stream_observations(clients, ok.clone(), key.clone(), args.chunk, args.quiet).await {
        Ok(s) => Ok(ImportOutcome {
            stored: s.rows,
            errors,
            replayed: s.replayed,
        }),
        Err(e) if args.skip_invalid && e.iter().all(|x| x.line > 0) => {
            // The service refused some rows (the stream is atomic, so nothing was stored):
            // leave those out and send the rest once more.
            let bad: std::collections::BTreeSet<u64> = e.iter().map(|x| x.line).collect();
            for x in &e {
                eprintln!("{}: {x} (skipped)", file.name);
            }
            let rest: Vec<_> = ok.into_iter().filter(|(l, _)| !bad.contains(l)).collect();
            let retry_key = format!(
                "{key}-without-{}",
                &crate::csvio::sha256_hex(format!("{bad:?}").as_bytes())[..16]
            );
            errors.extend(e);
            if rest.is_empty() {
                return Ok(ImportOutcome {
                    stored: 0,
                    errors,
                    replayed: false,
                });
            }
            match stream_observations(clients, rest, retry_key, args.chunk, args.quiet).await {
                Ok(s) => Ok(ImportOutcome {
                    stored: s.rows,
                    errors,
                    replayed: s.replayed,
                }),
                Err(e) => Err(refused(file, "the file", &e)),
            }
        }
        Err(e) => Err(refused(file, "the file", &e)),
    }
}

// ---------------------------------------------------------------------------------------
// Case reviews
// ---------------------------------------------------------------------------------------

pub const CASE_REVIEW_COLUMNS: &[&str] = &["case_reference", "agencies", "overall_grade"];

fn grade(v: &str) -> Option<i32> {
    crate::csvio::enum_value(v, "GRADE", au::Grade::from_str_name)
}

/// One row of a case reviews file: (audit key, review).
pub fn parse_case_review(row: &Row, errs: &mut Vec<RowError>) -> (String, au::CaseReview) {
    const GRADES: &str = "outstanding, good, requires_improvement, inadequate";
    let case_reference = row.req("case_reference", errs);
    if case_reference.contains(' ') {
        errs.push(row.err("case_reference", "an opaque reference without spaces"));
    }
    let agencies = row.list("agencies");
    if agencies.is_empty() {
        errs.push(row.err("agencies", "at least one agency code"));
    }
    let overall_grade = row.enumeration(
        "overall_grade",
        "GRADE",
        GRADES,
        au::Grade::from_str_name,
        errs,
    );
    let mut theme_grades = Vec::new();
    for (k, v) in row.pairs("theme_grades", errs) {
        match grade(&v) {
            Some(g) => theme_grades.push(au::ThemeGrade { theme: k, grade: g }),
            None => {
                errs.push(row.err("theme_grades", format!("{k}: '{v}' is not one of {GRADES}")))
            }
        }
    }
    let mut answers = Vec::new();
    for (k, v) in row.pairs("answers", errs) {
        let a = match v.to_ascii_lowercase().as_str() {
            "yes" => au::YesNo::Yes,
            "no" => au::YesNo::No,
            _ => {
                errs.push(row.err("answers", format!("{k}: '{v}' is not yes or no")));
                continue;
            }
        };
        answers.push(au::Answer {
            question: k,
            answer: a as i32,
        });
    }
    let gp = row.get("good_practice");
    (
        row.get("audit").to_string(),
        au::CaseReview {
            id: String::new(),
            case_reference,
            agencies,
            overall_grade,
            theme_grades,
            answers,
            good_practice: if gp.is_empty() {
                vec![]
            } else {
                vec![gp.to_string()]
            },
        },
    )
}

/// Submits one audit's case reviews as one all-or-nothing batch.
pub async fn submit_case_reviews(
    clients: &Clients,
    audit_id: &str,
    rows: Vec<(u64, au::CaseReview)>,
    key: String,
) -> Result<usize, Vec<RowError>> {
    let lines: Vec<u64> = rows.iter().map(|(l, _)| *l).collect();
    let n = rows.len();
    let mut client = clients.audits.clone();
    client
        .submit_case_reviews(au::SubmitCaseReviewsRequest {
            audit_id: audit_id.to_string(),
            case_reviews: rows.into_iter().map(|(_, r)| r).collect(),
            idempotency_key: key,
        })
        .await
        .map(|_| n)
        .map_err(|s| map_violations(&s, &lines))
}

async fn import_case_reviews(
    clients: &Clients,
    file: &CsvFile,
    args: &ImportArgs,
) -> anyhow::Result<ImportOutcome> {
    file.require_columns(CASE_REVIEW_COLUMNS)?;
    let (mut by_audit, mut errors): (BTreeMap<String, Vec<_>>, _) = (BTreeMap::new(), Vec::new());
    for row in &file.rows {
        let mut e = Vec::new();
        let (audit, review) = parse_case_review(row, &mut e);
        let audit = args.audit.clone().unwrap_or(audit);
        if audit.is_empty() {
            e.push(row.err("audit", "is required (or give --audit ID)"));
        }
        if e.is_empty() {
            by_audit.entry(audit).or_default().push((row.line, review));
        }
        errors.extend(e);
    }
    gate(file, &errors, args.skip_invalid)?;
    let mut progress = Progress::new(
        "case reviews",
        by_audit.values().map(Vec::len).sum::<usize>() as u64,
        args.quiet,
    );
    let mut stored = 0;
    for (audit, rows) in by_audit {
        let n = rows.len() as u64;
        let key = file.key(&format!("import-case-reviews-{audit}"));
        match submit_case_reviews(clients, &audit, rows, key).await {
            Ok(k) => stored += k,
            Err(e) if args.skip_invalid => errors.extend(e),
            Err(e) => return Err(refused(file, &format!("the reviews of audit {audit}"), &e)),
        }
        progress.inc(n);
    }
    progress.finish();
    Ok(ImportOutcome {
        stored,
        errors,
        replayed: false,
    })
}

// ---------------------------------------------------------------------------------------
// Training attendance
// ---------------------------------------------------------------------------------------

pub const ATTENDANCE_COLUMNS: &[&str] = &["delegate_ref", "agency", "status"];

/// One delegate of a session.
#[derive(Debug, Clone)]
pub struct Delegate {
    pub line: u64,
    pub delegate_ref: String,
    pub agency: String,
    pub role: String,
    pub status: tr::BookingStatus,
}

pub fn parse_delegate(row: &Row, errs: &mut Vec<RowError>) -> (String, Delegate) {
    let session = row.get("session").to_string();
    let delegate_ref = row.req("delegate_ref", errs);
    let agency = row.req("agency", errs);
    let status = match row.get("status") {
        "booked" => tr::BookingStatus::Booked,
        "attended" => tr::BookingStatus::Attended,
        "partially_attended" => tr::BookingStatus::PartiallyAttended,
        "did_not_attend" => tr::BookingStatus::DidNotAttend,
        "cancelled" => tr::BookingStatus::Cancelled,
        "cancelled_late" => tr::BookingStatus::CancelledLate,
        "walk_in" => tr::BookingStatus::WalkIn,
        other => {
            errs.push(row.err(
                "status",
                format!("'{other}' is not one of booked, attended, partially_attended, did_not_attend, cancelled, cancelled_late, walk_in"),
            ));
            tr::BookingStatus::Unspecified
        }
    };
    (
        session,
        Delegate {
            line: row.line,
            delegate_ref,
            agency,
            role: row.get("role").to_string(),
            status,
        },
    )
}

fn days_before(date: &str, days: i64) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map(|d| (d - chrono::Duration::days(days)).to_string())
        .unwrap_or_default()
}

/// Most delegates sent in one `RecordDelegates` call (whole sessions; the service takes up
/// to 10,000).
pub const DELEGATES_PER_CALL: usize = 5_000;

/// One session's delegates as `RecordDelegates` rows (with their CSV lines), leaving out
/// what the stored bookings already say, so a rerun sends nothing twice: a delivered
/// session entirely, a booked delegate's booking, a cancellation already made.
/// Cancellations go first (each booked and cancelled at once, so a full session never puts
/// them on the waiting list, and the place they free is there for the rest); a
/// `cancelled_late` row is cancelled the day before the session, a `cancelled` one two
/// weeks before: the charge policy's window decides which is late.
async fn session_rows(
    clients: &Clients,
    session: &tr::Session,
    delegates: &[Delegate],
) -> Result<Vec<(u64, tr::DelegateRecord)>, Vec<RowError>> {
    use tr::BookingStatus as B;
    if session.status == tr::SessionStatus::Delivered as i32 {
        return Ok(vec![]);
    }
    let first_line = delegates.first().map(|d| d.line).unwrap_or(0);
    let existing = clients
        .training
        .clone()
        .list_bookings(tr::ListBookingsRequest {
            session_id: session.id.clone(),
            agency: String::new(),
        })
        .await
        .map_err(|s| map_violations(&s, &[first_line]))?
        .into_inner()
        .bookings;
    let status_of: BTreeMap<&str, i32> = existing
        .iter()
        .map(|b| (b.delegate_ref.as_str(), b.status))
        .collect();
    let cancelled = |d: &&Delegate| matches!(d.status, B::Cancelled | B::CancelledLate);
    let order = delegates
        .iter()
        .filter(cancelled)
        .chain(delegates.iter().filter(|d| !cancelled(d)));
    let mut rows = vec![];
    for d in order {
        let stored = status_of.get(d.delegate_ref.as_str()).copied();
        let already_cancelled =
            stored.is_some_and(|s| s == B::Cancelled as i32 || s == B::CancelledLate as i32);
        let (status, cancelled_on) = match d.status {
            B::Booked if stored.is_some() => continue,
            B::Cancelled | B::CancelledLate if already_cancelled => continue,
            B::Cancelled | B::CancelledLate => {
                let days = if d.status == B::CancelledLate { 1 } else { 14 };
                (B::Cancelled, days_before(&session.date, days))
            }
            B::Unspecified => continue,
            other => (other, String::new()),
        };
        rows.push((
            d.line,
            tr::DelegateRecord {
                session_id: session.id.clone(),
                delegate_ref: d.delegate_ref.clone(),
                agency: d.agency.clone(),
                role: d.role.clone(),
                status: status as i32,
                cancelled_on,
            },
        ));
    }
    Ok(rows)
}

/// The idempotency key of one batch: `prefix` (from the file) and the batch's content, so
/// a retry of the same batch is a replay and a different batch a new request.
fn batch_key(prefix: &str, rows: &[(u64, tr::DelegateRecord)]) -> String {
    let mut text = String::new();
    for (_, r) in rows {
        for f in [
            r.session_id.as_str(),
            &r.delegate_ref,
            &r.agency,
            &r.role,
            &r.status.to_string(),
            &r.cancelled_on,
        ] {
            text.push_str(f);
            text.push('\u{1f}');
        }
        text.push('\u{1e}');
    }
    format!("{prefix}-{}", &sha256_hex(text.as_bytes())[..32])
}

/// The sessions of one `RecordDelegates` call, with the rows sent for each.
type Batch<'a> = Vec<(&'a [Delegate], Vec<(u64, tr::DelegateRecord)>)>;

/// Books, cancels and records the attendance of the delegates of `sessions` with
/// `RecordDelegates`, whole sessions per call of at most [`DELEGATES_PER_CALL`] delegates,
/// each call all or nothing. Safe to rerun: what is stored already is not sent again (see
/// `session_rows`), and the idempotency key derives from `key_prefix` and the batch. Returns
/// the delegates handled and, with `skip_invalid`, the rows of the sessions the service
/// refused (the batch's other sessions are sent again without them); without it, a refusal
/// is an error naming each CSV line and field.
pub async fn apply_attendance(
    clients: &Clients,
    sessions: &[(&tr::Session, &[Delegate])],
    key_prefix: &str,
    skip_invalid: bool,
    progress: &mut Progress,
) -> Result<(usize, Vec<RowError>), Vec<RowError>> {
    use futures::StreamExt as _;
    let mut errors = vec![];
    // One read per session still open, a few at a time.
    let pending: Vec<_> =
        futures::stream::iter(sessions.iter().map(|(s, ds)| async move {
            session_rows(clients, s, ds).await.map(|rows| (*ds, rows))
        }))
        .buffered(8)
        .collect()
        .await;
    let mut batches: Vec<Batch<'_>> = vec![];
    let (mut current, mut size): (Batch<'_>, usize) = (vec![], 0);
    let mut stored = 0;
    for p in pending {
        let (ds, rows) = match p {
            Ok(x) => x,
            Err(e) if skip_invalid => {
                errors.extend(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        if rows.is_empty() {
            stored += ds.len();
            progress.inc(ds.len() as u64);
            continue;
        }
        if !current.is_empty() && size + rows.len() > DELEGATES_PER_CALL {
            batches.push(std::mem::take(&mut current));
            size = 0;
        }
        size += rows.len();
        current.push((ds, rows));
    }
    if !current.is_empty() {
        batches.push(current);
    }
    let mut client = clients.training.clone();
    for mut batch in batches {
        while !batch.is_empty() {
            let rows: Vec<(u64, tr::DelegateRecord)> =
                batch.iter().flat_map(|(_, r)| r.iter().cloned()).collect();
            let lines: Vec<u64> = rows.iter().map(|(l, _)| *l).collect();
            let key = batch_key(key_prefix, &rows);
            let sent = client
                .record_delegates(tr::RecordDelegatesRequest {
                    delegates: rows.into_iter().map(|(_, r)| r).collect(),
                    idempotency_key: key,
                })
                .await;
            match sent {
                Ok(_) => {
                    let n: usize = batch.iter().map(|(ds, _)| ds.len()).sum();
                    stored += n;
                    progress.inc(n as u64);
                    break;
                }
                Err(status) => {
                    let e = map_violations(&status, &lines);
                    if !skip_invalid {
                        return Err(e);
                    }
                    // Leave out the sessions with a refused row and send the rest again; a
                    // refusal that names no row refuses every session of the batch.
                    let bad: BTreeSet<u64> = e.iter().map(|x| x.line).collect();
                    let before = batch.len();
                    batch.retain(|(_, r)| !r.iter().any(|(l, _)| bad.contains(l)));
                    if batch.len() == before {
                        batch.clear();
                    }
                    errors.extend(e);
                }
            }
        }
    }
    Ok((stored, errors))
}

async fn import_attendance(
    clients: &Clients,
    file: &CsvFile,
    args: &ImportArgs,
) -> anyhow::Result<ImportOutcome> {
    file.require_columns(ATTENDANCE_COLUMNS)?;
    let (mut by_session, mut errors): (BTreeMap<String, Vec<Delegate>>, _) =
        (BTreeMap::new(), Vec::new());
    for row in &file.rows {
        let mut e = Vec::new();
        let (s, d) = parse_delegate(row, &mut e);
        let s = args.session.clone().unwrap_or(s);
        if s.is_empty() {
            e.push(row.err("session", "is required (or give --session ID)"));
        }
        if e.is_empty() {
            by_session.entry(s).or_default().push(d);
        }
        errors.extend(e);
    }
    // Every session must exist before anything is stored.
    let mut client = clients.training.clone();
    let mut sessions = BTreeMap::new();
    for (id, ds) in &by_session {
        match client
            .get_session(tr::GetSessionRequest { id: id.clone() })
            .await
        {
            Ok(s) => {
                sessions.insert(id.clone(), s.into_inner());
            }
            Err(s) => errors.push(RowError {
                line: ds[0].line,
                field: "session".into(),
                message: format!("session '{id}': {}", s.message()),
            }),
        }
    }
    gate(file, &errors, args.skip_invalid)?;
    let total = sessions.keys().map(|k| by_session[k].len()).sum::<usize>() as u64;
    let mut progress = Progress::new("training attendance", total, args.quiet);
    let work: Vec<(&tr::Session, &[Delegate])> = sessions
        .iter()
        .map(|(id, s)| (s, by_session[id].as_slice()))
        .collect();
    let key = file.key("import-delegates");
    let stored =
        match apply_attendance(clients, &work, &key, args.skip_invalid, &mut progress).await {
            Ok((n, e)) => {
                errors.extend(e);
                n
            }
            Err(e) => return Err(refused(file, "the delegates", &e)),
        };
    progress.finish();
    Ok(ImportOutcome {
        stored,
        errors,
        replayed: false,
    })
}

// ---------------------------------------------------------------------------------------
// Finance
// ---------------------------------------------------------------------------------------

pub const FINANCE_COLUMNS: &[&str] = &["year", "kind", "amount_pence"];

/// The finance lines of one year, grouped by RPC.
#[derive(Debug, Default, Clone)]
pub struct FinanceYear {
    pub contributions: Vec<(u64, fi::ContributionInput)>,
    pub income: Vec<(u64, fi::IncomeInput)>,
    pub expenditure: Vec<(u64, fi::ExpenditureInput)>,
    pub in_kind: Vec<(u64, fi::InKindInput)>,
    pub planned: Vec<(u64, fi::PlannedChangeInput)>,
    pub carry_forward: Option<(u64, i64, String)>,
}

/// Parses a finance file into years.
pub fn parse_finance(file: &CsvFile, errors: &mut Vec<RowError>) -> BTreeMap<String, FinanceYear> {
    let mut years: BTreeMap<String, FinanceYear> = BTreeMap::new();
    for row in &file.rows {
        let mut e = Vec::new();
        let year = row.period("year", &mut e);
        if !year.is_empty() && year.len() != 7 {
            e.push(row.err("year", "a financial year such as 2015-16"));
        }
        let amount = row.pence("amount_pence", &mut e);
        let note = row.get("note").to_string();
        let desc = row.get("description").to_string();
        let y = FinanceYear::default();
        let mut entry = y;
        match row.get("kind") {
            "contribution" => {
                let agency = row.req("agency", &mut e);
                let invoiced = row.pence("invoiced_pence", &mut e).unwrap_or(0);
                let received = row.pence("received_pence", &mut e).unwrap_or(0);
                let date = row.date("date", &mut e);
                if amount.is_none() {
                    e.push(row.err("amount_pence", "is required (0 for an agency that pays nothing)"));
                }
                entry.contributions.push((
                    row.line,
                    fi::ContributionInput {
                        agency_code: agency,
                        agreed_pence: amount.unwrap_or(0),
                        invoiced_pence: invoiced,
                        invoiced_on: if invoiced > 0 { date.clone() } else { String::new() },
                        received_pence: received,
                        received_on: if received > 0 { date } else { String::new() },
                        note,
                    },
                ));
            }
            "income" => {
                let category = row.req("category", &mut e);
                let description = row.req("description", &mut e);
                entry.income.push((
                    row.line,
                    fi::IncomeInput {
                        category,
                        description,
                        amount_pence: amount.unwrap_or(0),
                        remove: false,
                    },
                ));
            }
            "expenditure" => {
                let category = row.req("category", &mut e);
                let budget = row.pence("budget_pence", &mut e).unwrap_or(0);
                entry.expenditure.push((
                    row.line,
                    fi::ExpenditureInput {
                        category,
                        budget_pence: budget,
                        actual_pence: amount.unwrap_or(0),
                        note,
                    },
                ));
            }
            "in_kind" => {
                let agency = row.req("agency", &mut e);
                let description = row.req("description", &mut e);
                entry.in_kind.push((
                    row.line,
                    fi::InKindInput {
                        agency_code: agency,
                        description,
                        estimated_value_pence: amount,
                        remove: false,
                    },
                ));
            }
            "carry_forward" => match amount {
                Some(a) => {
                    let reason = if note.is_empty() { desc.clone() } else { note.clone() };
                    if reason.is_empty() {
                        e.push(row.err("note", "a carry forward override needs a reason"));
                    }
                    entry.carry_forward = Some((row.line, a, reason));
                }
                None => e.push(row.err("amount_pence", "is required")),
            },
            "planned_change" => {
                let direction = match row.get("category") {
                    "reduction" => fi::ChangeDirection::Reduction,
                    "increase" => fi::ChangeDirection::Increase,
                    other => {
                        e.push(row.err("category", format!("'{other}' is not reduction or increase")));
                        fi::ChangeDirection::Unspecified
                    }
                };
                let description = row.req("description", &mut e);
                if note.is_empty() {
                    e.push(row.err("note", "a planned change needs its reason"));
                }
                entry.planned.push((
                    row.line,
                    fi::PlannedChangeInput {
                        description,
                        direction: direction as i32,
                        amount_pence: amount.unwrap_or(0),
                        reason: note,
                        remove: false,
                    },
                ));
            }
            other => e.push(row.err(
                "kind",
                format!("'{other}' is not one of contribution, income, expenditure, in_kind, carry_forward, planned_change"),
            )),
        }
        if e.is_empty() {
            let y = years.entry(year).or_default();
            y.contributions.extend(entry.contributions);
            y.income.extend(entry.income);
            y.expenditure.extend(entry.expenditure);
            y.in_kind.extend(entry.in_kind);
            y.planned.extend(entry.planned);
            if entry.carry_forward.is_some() {
                y.carry_forward = entry.carry_forward;
            }
        }
        errors.extend(e);
    }
    years
}

/// Stores a year's finance lines (each Put is an upsert with an idempotency key).
pub async fn put_finance_year(
    clients: &Clients,
    year: &str,
    y: FinanceYear,
    key: &str,
) -> Result<usize, Vec<RowError>> {
    let mut c = clients.finance.clone();
    let p = period(year);
    let mut n = 0;
    macro_rules! put {
        ($rows:expr, $call:ident, $req:ident, $field:ident, $what:literal) => {
            if !$rows.is_empty() {
                let lines: Vec<u64> = $rows.iter().map(|(l, _)| *l).collect();
                n += $rows.len();
                c.$call(fi::$req {
                    year: p.clone(),
                    $field: $rows.into_iter().map(|(_, r)| r).collect(),
                    idempotency_key: format!("{key}-{}-{}", $what, year),
                })
                .await
                .map_err(|s| map_violations(&s, &lines))?;
            }
        };
    }
    put!(
        y.contributions,
        put_contributions,
        PutContributionsRequest,
        contributions,
        "contributions"
    );
    put!(y.income, put_income, PutIncomeRequest, lines, "income");
    put!(
        y.expenditure,
        put_expenditure,
        PutExpenditureRequest,
        lines,
        "expenditure"
    );
    put!(y.in_kind, put_in_kind, PutInKindRequest, items, "in-kind");
    put!(
        y.planned,
        put_planned_changes,
        PutPlannedChangesRequest,
        changes,
        "planned"
    );
    if let Some((line, amount, reason)) = y.carry_forward {
        n += 1;
        // Only when it differs: a second identical override would add a history entry.
        let years = c
            .list_budget_years(fi::ListBudgetYearsRequest {})
            .await
            .map_err(|s| map_violations(&s, &[line]))?
            .into_inner()
            .years;
        let current = years
            .iter()
            .find(|b| b.year.as_ref().map(|p| p.code.as_str()) == Some(year))
            .and_then(|b| b.carry_forward.clone());
        let same = current.is_some_and(|cf| {
            cf.source == fi::CarryForwardSource::Override as i32
                && cf.amount_pence == amount
                && cf.override_reason == reason
        });
        if !same {
            c.set_carry_forward(fi::SetCarryForwardRequest {
                year: p.clone(),
                override_pence: Some(amount),
                reason,
            })
            .await
            .map_err(|s| map_violations(&s, &[line]))?;
        }
    }
    Ok(n)
}

async fn import_finance(
    clients: &Clients,
    file: &CsvFile,
    args: &ImportArgs,
) -> anyhow::Result<ImportOutcome> {
    file.require_columns(FINANCE_COLUMNS)?;
    let mut errors = Vec::new();
    let years = parse_finance(file, &mut errors);
    gate(file, &errors, args.skip_invalid)?;
    let total = file.rows.len() as u64;
    let mut progress = Progress::new("finance lines", total, args.quiet);
    let mut stored = 0;
    let key = file.key("import-finance");
    for (year, y) in years {
        match put_finance_year(clients, &year, y, &key).await {
            Ok(n) => {
                stored += n;
                progress.inc(n as u64);
            }
            Err(e) if args.skip_invalid => errors.extend(e),
            Err(e) => return Err(refused(file, &format!("year {year}"), &e)),
        }
    }
    progress.finish();
    Ok(ImportOutcome {
        stored,
        errors,
        replayed: false,
    })
}
