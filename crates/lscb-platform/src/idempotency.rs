//! Idempotency keys for every keyed write, one mechanism for all services: a key is scoped to
//! (partnership, RPC); a replay of the same request gets the first answer, a different
//! request with the key gets `ALREADY_EXISTS` with `ErrorInfo { reason: IDEMPOTENCY_KEY_REUSED }`.
//!
//! - **Key.** The request's `idempotency_key`. Empty means the write is not keyed (it runs
//!   every time); otherwise at most [`MAX_IDEMPOTENCY_KEY_BYTES`] bytes, compared exactly.
//! - **Hash.** SHA-256 over the RPC name, a NUL byte and the prost encoding of the request
//!   with its key field cleared (prost encodes fields in field-number order, so equal
//!   requests encode equally).
//! - **Table.** `idempotency(partnership, rpc, idem_key, request_hash, response, created_at)`,
//!   primary key `(partnership, rpc, idem_key)`, one per service database ([`create_table`]).
//! - **Concurrency.** [`Idempotency::claim`] is the first statement of the write transaction:
//!   `INSERT … ON CONFLICT DO NOTHING`. The request that inserts the row does the work and
//!   stores its answer with [`Idempotency::complete`] before committing. A concurrent request
//!   with the same key waits on the row (PostgreSQL waits for the first transaction to end;
//!   SQLite has one writer at a time) and then reads the committed answer; if the first
//!   transaction rolled back (an error is never stored), the waiting one inserts and does
//!   the work itself.

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement, Value};
use sha2::{Digest, Sha256};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::error::Error;
use crate::fields::MAX_IDEMPOTENCY_KEY_BYTES;

/// The `google.rpc.ErrorInfo` reason of a key reused for a different request.
pub const KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";
/// The `google.rpc.ErrorInfo` domain of lscb's own reasons.
pub const DOMAIN: &str = "lscb";

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim<T> {
    /// This request is the first with the key: it does the work.
    First,
    /// The same request was answered before: its stored answer.
    Replay(T),
    /// The key was used for a different request.
    Reused,
}

/// One keyed write: who, which RPC, the caller's key and the hash of its request.
#[derive(Debug, Clone)]
pub struct Idempotency {
    partnership: String,
    rpc: &'static str,
    key: String,
    hash: String,
}

/// The hash of a request without its key: SHA-256 over `rpc`, NUL, and the prost encoding.
pub fn request_hash<M: prost::Message>(rpc: &str, request_without_key: &M) -> String {
    let mut h = Sha256::new();
    h.update(rpc.as_bytes());
    h.update([0]);
    h.update(request_without_key.encode_to_vec());
    hex::encode(h.finalize())
}

impl Idempotency {
    /// The idempotency of `req` sent to `rpc` by `partnership`, its key being the field
    /// `key_field` returns: `None` when the key is empty (the write is not keyed),
    /// `INVALID_ARGUMENT` on `idempotency_key` when it is too long. The request is left as it
    /// was.
    pub fn of<M: prost::Message>(
        partnership: &str,
        rpc: &'static str,
        req: &mut M,
        key_field: impl Fn(&mut M) -> &mut String,
    ) -> Result<Option<Self>, Error> {
        let key = std::mem::take(key_field(req));
        let hash = request_hash(rpc, req);
        *key_field(req) = key.clone();
        Self::with_hash(partnership, rpc, key, hash)
    }

    /// As [`Idempotency::of`] with the hash already computed (e.g. of a streamed batch).
    pub fn with_hash(
        partnership: &str,
        rpc: &'static str,
        key: String,
        hash: String,
    ) -> Result<Option<Self>, Error> {
        if key.is_empty() {
            return Ok(None);
        }
        if key.len() > MAX_IDEMPOTENCY_KEY_BYTES {
            return Err(Error::invalid(
                "idempotency_key",
                format!(
                    "is {} bytes: at most {MAX_IDEMPOTENCY_KEY_BYTES}",
                    key.len()
                ),
            ));
        }
        Ok(Some(Idempotency {
            partnership: partnership.to_string(),
            rpc,
            key,
            hash,
        }))
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The request's hash (see [`request_hash`]).
    pub fn hash(&self) -> &str {
        &self.hash
    }

    pub fn rpc(&self) -> &'static str {
        self.rpc
    }

    /// Claims the key: call it first in the write transaction `txn`. `Ok(None)`: this request
    /// is the first with the key; do the work, then [`Idempotency::complete`] and commit.
    /// `Ok(Some(answer))`: a replay; return the stored answer (and drop `txn`). A different
    /// request with the key: `ALREADY_EXISTS` with `ErrorInfo` reason [`KEY_REUSED`].
    pub async fn claim<T: prost::Message + Default, C: ConnectionTrait>(
        &self,
        txn: &C,
    ) -> Result<Option<T>, Status> {
        match self.try_claim(txn).await? {
            Claim::First => Ok(None),
            Claim::Replay(answer) => Ok(Some(answer)),
            Claim::Reused => Err(self.reused()),
        }
    }

    /// [`Idempotency::claim`] for code that reports [`Error`]s (a store): the outcome,
    /// a reused key included, for the caller to answer.
    pub async fn try_claim<T: prost::Message + Default, C: ConnectionTrait>(
        &self,
        txn: &C,
    ) -> Result<Claim<T>, Error> {
        let backend = txn.get_database_backend();
        let inserted = txn
            .execute_raw(stmt(
                backend,
                "INSERT INTO idempotency (partnership, rpc, idem_key, request_hash, response, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (partnership, rpc, idem_key) DO NOTHING",
                vec![
                    self.partnership.clone().into(),
                    self.rpc.into(),
                    self.key.clone().into(),
                    self.hash.clone().into(),
                    Value::Bytes(Some(Vec::new())),
                    chrono::Utc::now()
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                        .into(),
                ],
            ))
            .await?
            .rows_affected();
        if inserted == 1 {
            return Ok(Claim::First);
        }
        let row = txn
            .query_one_raw(stmt(
                backend,
                "SELECT request_hash, response FROM idempotency \
                 WHERE partnership = ? AND rpc = ? AND idem_key = ?",
                vec![
                    self.partnership.clone().into(),
                    self.rpc.into(),
                    self.key.clone().into(),
                ],
            ))
            .await?
            .ok_or_else(|| {
                internal(format!(
                    "idempotency row of {} '{}' neither inserted nor found",
                    self.rpc, self.key
                ))
            })?;
        let hash: String = row.try_get("", "request_hash")?;
        if hash != self.hash {
            return Ok(Claim::Reused);
        }
        let bytes: Vec<u8> = row.try_get("", "response")?;
        T::decode(bytes.as_slice())
            .map(Claim::Replay)
            .map_err(|e| internal(format!("stored {} response: {e}", self.rpc)))
    }

    /// The message of a reused key, for code that reports it as [`Error::Conflict`].
    pub fn reused_message(&self) -> String {
        self.reused().message().to_string()
    }

    /// Stores the answer of the request that claimed the key, in its transaction.
    pub async fn complete<T: prost::Message, C: ConnectionTrait>(
        &self,
        txn: &C,
        answer: &T,
    ) -> Result<(), Status> {
        Ok(self.try_complete(txn, answer).await?)
    }

    /// [`Idempotency::complete`] for code that reports [`Error`]s.
    pub async fn try_complete<T: prost::Message, C: ConnectionTrait>(
        &self,
        txn: &C,
        answer: &T,
    ) -> Result<(), Error> {
        let done = txn
            .execute_raw(stmt(
                txn.get_database_backend(),
                "UPDATE idempotency SET response = ? WHERE partnership = ? AND rpc = ? AND idem_key = ?",
                vec![
                    Value::Bytes(Some(answer.encode_to_vec())),
                    self.partnership.clone().into(),
                    self.rpc.into(),
                    self.key.clone().into(),
                ],
            ))
            .await?
            .rows_affected();
        if done == 1 {
            Ok(())
        } else {
            Err(internal(format!(
                "{} '{}' completed without being claimed",
                self.rpc, self.key
            )))
        }
    }

    /// `ALREADY_EXISTS`: the key was used for a different request to this RPC.
    fn reused(&self) -> Status {
        key_reused(self.rpc, &self.key)
    }
}

/// [`Idempotency::claim`] for a write that may not be keyed (`None`: nothing to claim).
pub async fn claim<T: prost::Message + Default, C: ConnectionTrait>(
    idem: Option<&Idempotency>,
    txn: &C,
) -> Result<Option<T>, Status> {
    match idem {
        Some(i) => i.claim(txn).await,
        None => Ok(None),
    }
}

/// [`Idempotency::complete`] for a write that may not be keyed.
pub async fn complete<T: prost::Message, C: ConnectionTrait>(
    idem: Option<&Idempotency>,
    txn: &C,
    answer: &T,
) -> Result<(), Status> {
    match idem {
        Some(i) => i.complete(txn, answer).await,
        None => Ok(()),
    }
}

/// The `ALREADY_EXISTS` status of a key reused with a different request, with
/// `ErrorInfo { reason: IDEMPOTENCY_KEY_REUSED, domain: "lscb", metadata: rpc }`.
pub fn key_reused(rpc: &str, key: &str) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(
        KEY_REUSED,
        DOMAIN,
        std::collections::HashMap::from([("rpc".to_string(), rpc.to_string())]),
    );
    let mut shown: String = key.chars().take(64).collect();
    if shown.len() < key.len() {
        shown.push('…');
    }
    Status::with_error_details(
        Code::AlreadyExists,
        format!("idempotency key '{shown}' was already used for a different {rpc} request"),
        details,
    )
}

/// Whether `status` is a reused idempotency key (its `ErrorInfo` reason).
pub fn is_key_reused(status: &Status) -> bool {
    status.code() == Code::AlreadyExists
        && status
            .get_details_error_info()
            .is_some_and(|i| i.reason == KEY_REUSED && i.domain == DOMAIN)
}

/// Creates the `idempotency` table (a migration of each service calls it once).
pub async fn create_table<C: ConnectionTrait>(c: &C) -> Result<(), DbErr> {
    let bytes = match c.get_database_backend() {
        DatabaseBackend::Postgres => "BYTEA",
        _ => "BLOB",
    };
    c.execute_unprepared(&format!(
        "CREATE TABLE idempotency (
            partnership TEXT NOT NULL,
            rpc TEXT NOT NULL,
            idem_key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            response {bytes} NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (partnership, rpc, idem_key))"
    ))
    .await
    .map(|_| ())
}

/// Drops the `idempotency` table (the down migration).
pub async fn drop_table<C: ConnectionTrait>(c: &C) -> Result<(), DbErr> {
    c.execute_unprepared("DROP TABLE idempotency")
        .await
        .map(|_| ())
}

/// `sql` with `?` placeholders, numbered `$n` on PostgreSQL.
fn stmt(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DatabaseBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
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

fn internal(m: String) -> Error {
    Error::Internal(anyhow::anyhow!(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lscb_proto::common::v1::Period;

    /// A keyed request whose content is the period `code`.
    fn idem(key: &str, code: &str) -> Idempotency {
        let req = Period { code: code.into() };
        Idempotency::with_hash("bscb", "Test", key.into(), request_hash("Test", &req))
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn concurrent_replays_get_the_first_answer_and_reuse_is_refused() {
        for (name, db) in crate::testing::databases().await {
            create_table(db.conn()).await.unwrap();
            db.conn()
                .execute_unprepared("CREATE TABLE work (n BIGINT NOT NULL)")
                .await
                .unwrap();
            let mut tasks = vec![];
            for n in 0..40i64 {
                let db = db.clone();
                tasks.push(tokio::spawn(async move {
                    let i = idem("k1", "2015-16");
                    let txn = db.begin_write().await.unwrap();
                    if let Some(r) = i.claim::<Period, _>(&*txn).await.unwrap() {
                        return r.code;
                    }
                    txn.execute_unprepared(&format!("INSERT INTO work (n) VALUES ({n})"))
                        .await
                        .unwrap();
                    let answer = Period {
                        code: format!("answer {n}"),
                    };
                    i.complete(&*txn, &answer).await.unwrap();
                    txn.commit().await.unwrap();
                    answer.code
                }));
            }
            let mut answers = vec![];
            for t in tasks {
                answers.push(t.await.unwrap());
            }
            let first = answers[0].clone();
            assert!(first.starts_with("answer "), "{name}: {first}");
            assert!(answers.iter().all(|a| *a == first), "{name}: {answers:?}");
            let row = db
                .conn()
                .query_one_raw(Statement::from_string(
                    db.backend(),
                    "SELECT COUNT(*) FROM work",
                ))
                .await
                .unwrap()
                .unwrap();
            let n: i64 = row.try_get_by_index(0).unwrap();
            assert_eq!(n, 1, "{name}");

            // The same key with another request: ALREADY_EXISTS, told apart by its reason.
            let txn = db.begin_write().await.unwrap();
            let err = idem("k1", "2016-17")
                .claim::<Period, _>(&*txn)
                .await
                .unwrap_err();
            assert_eq!(err.code(), Code::AlreadyExists, "{name}");
            assert!(is_key_reused(&err), "{name}: {err:?}");
            let info = err.get_details_error_info().unwrap();
            assert_eq!(info.metadata.get("rpc").map(String::as_str), Some("Test"));
            drop(txn);

            // A failed first attempt stores nothing: the next one does the work.
            let txn = db.begin_write().await.unwrap();
            assert!(
                idem("k2", "x")
                    .claim::<Period, _>(&*txn)
                    .await
                    .unwrap()
                    .is_none()
            );
            drop(txn);
            let txn = db.begin_write().await.unwrap();
            assert!(
                idem("k2", "x")
                    .claim::<Period, _>(&*txn)
                    .await
                    .unwrap()
                    .is_none()
            );
        }
    }

    #[test]
    fn keys_are_optional_and_bounded_and_the_hash_ignores_the_key() {
        let mut a = Period { code: "k".into() };
        assert!(
            Idempotency::of("p", "R", &mut Period::default(), |r| &mut r.code)
                .unwrap()
                .is_none()
        );
        let i = Idempotency::of("p", "R", &mut a, |r| &mut r.code)
            .unwrap()
            .unwrap();
        assert_eq!(a.code, "k", "the request is left as it was");
        assert_eq!(i.key(), "k");
        assert_eq!(i.hash, request_hash("R", &Period::default()));
        assert_ne!(i.hash, request_hash("Other", &Period::default()));
        let mut long = Period {
            code: "k".repeat(MAX_IDEMPOTENCY_KEY_BYTES + 1),
        };
        let e = Idempotency::of("p", "R", &mut long, |r| &mut r.code).unwrap_err();
        assert_eq!(e.violations()[0].field, "idempotency_key");
    }
}
