//! Database connections for SQLite (the embedded default) and PostgreSQL (production),
//! from one URL. SQLite runs in WAL mode with a busy timeout and foreign keys on, and every
//! write goes through [`Db::begin_write`]: one writer at a time in this process and
//! `BEGIN IMMEDIATE`, so "database is locked" never reaches a caller.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// A service's database.
#[derive(Debug, Clone)]
pub struct Db {
    conn: DatabaseConnection,
    backend: DatabaseBackend,
    write_lock: Arc<Mutex<()>>,
}

/// A write transaction. Dereferences to the sea-orm transaction; call [`WriteTxn::commit`]
/// or drop it to roll back.
#[derive(Debug)]
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

impl Db {
    /// Connects to `url`: `sqlite://FILE?mode=rwc`, `sqlite::memory:` or `postgres://...`.
    /// The parent directory of a SQLite file is created when missing.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        Self::connect_in_schema(url, None).await
    }

    /// As [`Db::connect`]; on PostgreSQL, with `schema` as the search path (tests use one
    /// fresh schema each).
    pub async fn connect_in_schema(url: &str, schema: Option<&str>) -> anyhow::Result<Db> {
        let mut opts = ConnectOptions::new(url.to_string());
        if let Some(s) = schema {
            opts.set_schema_search_path(s.to_string());
        }
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(60));
        let backend = if url.starts_with("sqlite:") {
            let memory = url.contains(":memory:") || url.contains("mode=memory");
            if !memory
                && let Some(path) = sqlite_path(url)
                && let Some(dir) = std::path::Path::new(&path).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)?;
            }
            opts.max_connections(if memory { 1 } else { 4 })
                .min_connections(1);
            if memory {
                // An in-memory database lives as long as its one connection.
                opts.idle_timeout(None::<Duration>)
                    .max_lifetime(None::<Duration>);
            }
            opts.map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(true)
                    .create_if_missing(true)
                    // A 32 MB page cache per connection and memory-mapped reads: the default
                    // 2 MB cache made every read of a large table go back to pread
                    // (found by `just bench`).
                    .pragma("cache_size", "-32000")
                    .pragma("mmap_size", "268435456")
            });
            DatabaseBackend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            opts.max_connections(16).min_connections(1);
            DatabaseBackend::Postgres
        } else {
            anyhow::bail!(
                "unsupported DATABASE_URL '{url}': use sqlite://FILE?mode=rwc or postgres://USER@HOST/DB"
            );
        };
        let conn = Database::connect(opts)
            .await
            .map_err(|e| anyhow::anyhow!("connecting to database: {e}"))?;
        Ok(Db {
            conn,
            backend,
            write_lock: Arc::new(Mutex::new(())),
        })
    }

    /// The connection for reads (and for migrations).
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.backend
    }

    pub fn is_sqlite(&self) -> bool {
        self.backend == DatabaseBackend::Sqlite
    }

    /// Begins a write transaction. On SQLite this waits for the process's single writer slot
    /// and begins IMMEDIATE; on PostgreSQL it is a plain transaction (use row locks or
    /// unique constraints for races).
    pub async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        if self.is_sqlite() {
            let guard = self.write_lock.clone().lock_owned().await;
            let txn = self
                .conn
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await?;
            Ok(WriteTxn {
                txn,
                _guard: Some(guard),
            })
        } else {
            Ok(WriteTxn {
                txn: self.conn.begin().await?,
                _guard: None,
            })
        }
    }

    /// Checks the connection works (`SELECT 1`).
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.execute_unprepared("SELECT 1").await.map(|_| ())
    }
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty()).then(|| path.to_string())
}

/// Whether a database error is a unique-constraint violation (on either backend).
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_path("sqlite://data/x.db?mode=rwc").as_deref(),
            Some("data/x.db")
        );
        assert_eq!(sqlite_path("sqlite:x.db").as_deref(), Some("x.db"));
    }

    #[tokio::test]
    async fn unsupported_urls_are_refused() {
        let e = Db::connect("mysql://x").await.unwrap_err().to_string();
        assert!(e.contains("unsupported"), "{e}");
    }

    #[tokio::test]
    async fn sqlite_file_gets_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/sub/t.db?mode=rwc", dir.path().display());
        let db = Db::connect(&url).await.unwrap();
        let row = db
            .conn()
            .query_one_raw(sea_orm::Statement::from_string(
                DatabaseBackend::Sqlite,
                "PRAGMA journal_mode",
            ))
            .await
            .unwrap()
            .unwrap();
        let mode: String = row.try_get_by_index(0).unwrap();
        assert_eq!(mode, "wal");
        let row = db
            .conn()
            .query_one_raw(sea_orm::Statement::from_string(
                DatabaseBackend::Sqlite,
                "PRAGMA foreign_keys",
            ))
            .await
            .unwrap()
            .unwrap();
        let fk: i64 = row.try_get_by_index(0).unwrap();
        assert_eq!(fk, 1);
    }

    #[tokio::test]
    async fn write_transactions_commit_or_roll_back_on_both_backends() {
        for (name, db) in crate::testing::databases().await {
            db.conn()
                .execute_unprepared(
                    "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)",
                )
                .await
                .unwrap();
            let txn = db.begin_write().await.unwrap();
            txn.execute_unprepared("INSERT INTO t (id, v) VALUES (1, 'a')")
                .await
                .unwrap();
            txn.commit().await.unwrap();
            let txn = db.begin_write().await.unwrap();
            txn.execute_unprepared("INSERT INTO t (id, v) VALUES (2, 'b')")
                .await
                .unwrap();
            drop(txn); // rolled back
            let err = db
                .conn()
                .execute_unprepared("INSERT INTO t (id, v) VALUES (3, 'a')")
                .await
                .unwrap_err();
            assert!(is_unique_violation(&err), "{name}: {err}");
            let row = db
                .conn()
                .query_one_raw(sea_orm::Statement::from_string(
                    db.backend(),
                    "SELECT COUNT(*) FROM t",
                ))
                .await
                .unwrap()
                .unwrap();
            let n: i64 = row.try_get_by_index(0).unwrap();
            assert_eq!(n, 1, "{name}");
        }
    }
}
