#![doc = include_str!("../README.md")]

mod access;
mod accounts;
mod cards;
mod chargers;
mod commands;
mod history;
mod lab;
mod load;
mod log_chunks;
mod migrate;
mod reports;
mod settings;
mod sites;
mod smart;
mod sql;
pub mod testing;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor, Row};
use voltgate_core::store::{HealthStore, StoreResult};

pub use migrate::MIGRATIONS;

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported database URL (expected sqlite://PATH or postgres://...): {0}")]
    UnsupportedUrl(String),
    #[error("could not connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("could not migrate the database: {0}")]
    Migrate(String),
}

/// A connection pool to SQLite or PostgreSQL; implements core's `Store`.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite only: the message log lives in a file of its own, attached to every connection as
    /// `logs`, so log rows and the other hot-path rows are written in parallel (SQLite has one
    /// writer per file). None for PostgreSQL and in-memory SQLite.
    logs_file: Option<String>,
    /// The batch writer's connections, one per lane, kept between batches (see [`Pinned`]).
    reports_conn: Pinned,
    logs_conn: Pinned,
    /// SQLite only: told after each batch, so the checkpointer copies the write-ahead log back
    /// soon after it grew (see [`checkpoint_in_background`]).
    wrote: Option<std::sync::Arc<tokio::sync::Notify>>,
}

/// A connection kept for one serial writer instead of taken from the pool for each batch.
/// SQLite discards a connection's page cache when another connection has written since its
/// last transaction, so a writer that got a different pool connection each batch re-read the
/// index pages it was about to change (about a tenth of its time under load). Cleared on an
/// error (the next batch takes a fresh connection) and on [`Db::close`].
#[derive(Debug, Clone, Default)]
struct Pinned(std::sync::Arc<tokio::sync::Mutex<Option<sqlx::pool::PoolConnection<sqlx::Any>>>>);

impl Pinned {
    /// The kept connection, taken from `pool` first if there is none; held until dropped.
    async fn lock(&self, pool: &AnyPool) -> StoreResult<PinnedConn<'_>> {
        let mut slot = self.0.lock().await;
        if slot.is_none() {
            *slot = Some(pool.acquire().await.map_err(sql::db_err)?);
        }
        Ok(PinnedConn(slot))
    }

    async fn release(&self) {
        *self.0.lock().await = None;
    }
}

/// A locked [`Pinned`] connection.
struct PinnedConn<'a>(tokio::sync::MutexGuard<'a, Option<sqlx::pool::PoolConnection<sqlx::Any>>>);

impl PinnedConn<'_> {
    fn conn(&mut self) -> &mut sqlx::AnyConnection {
        self.0
            .as_mut()
            .expect("a pinned connection is set while locked")
    }

    /// Keeps the connection after a success; gives it back to the pool after a failure (it
    /// may be broken).
    fn settle<T>(mut self, result: &StoreResult<T>) {
        if result.is_err() {
            *self.0 = None;
        }
    }
}

impl Db {
    /// Opens the database named by `url`, creating an SQLite file if it does not exist.
    pub async fn connect(url: &str) -> Result<Self, OpenError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(OpenError::UnsupportedUrl(url.to_owned()));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains('?') && !url.contains(":memory:") => {
                format!("{url}?mode=rwc")
            }
            _ => url.to_owned(),
        };
        let logs_file = match backend {
            Backend::Sqlite => logs_file_beside(&url),
            Backend::Postgres => None,
        };
        let options = AnyConnectOptions::from_str(&url).map_err(OpenError::Connect)?;
        let attach = logs_file.as_ref().map(|f| {
            format!(
                "ATTACH DATABASE '{}' AS logs; PRAGMA logs.journal_mode = WAL; \
                 PRAGMA logs.synchronous = NORMAL; PRAGMA logs.cache_size = -8192;",
                f.replace('\'', "''")
            )
        });
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    // SQLite has one writer at a time; a few connections serve concurrent reads
                    // (two more are the batch writer's, see `Pinned`).
                    .max_connections(6)
                    .min_connections(1)
                    .after_connect(move |conn, _| {
                        let attach = attach.clone();
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                                 PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 16384; PRAGMA temp_store = MEMORY;",
                            )
                            .await?;
                            if let Some(attach) = attach {
                                conn.execute(attach.as_str()).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
            }
        }
        .map_err(OpenError::Connect)?;
        let wrote = (backend == Backend::Sqlite).then(|| {
            let wrote = std::sync::Arc::new(tokio::sync::Notify::new());
            tokio::spawn(checkpoint_in_background(
                pool.clone(),
                wrote.clone(),
                logs_file.is_some(),
            ));
            wrote
        });
        Ok(Self {
            pool,
            backend,
            logs_file,
            reports_conn: Pinned::default(),
            logs_conn: Pinned::default(),
            wrote,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the migrations that have not run yet; returns how many ran.
    pub async fn migrate(&self) -> Result<usize, OpenError> {
        self.migrate_to(i64::MAX).await
    }

    /// Applies the migrations that have not run yet up to `version` (inclusive); returns how
    /// many ran. For tests of a migration against data written by the schema before it.
    pub async fn migrate_to(&self, version: i64) -> Result<usize, OpenError> {
        let applied = migrate::run(&self.pool, self.backend, version)
            .await
            .map_err(|e| OpenError::Migrate(e.to_string()))?;
        if self.logs_file.is_some() {
            migrate::move_logs_to_their_file(&self.pool)
                .await
                .map_err(|e| OpenError::Migrate(e.to_string()))?;
        }
        Ok(applied)
    }

    /// The SQLite file that holds the message log, when it has one of its own.
    pub fn logs_file(&self) -> Option<&str> {
        self.logs_file.as_deref()
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.reports_conn.release().await;
        self.logs_conn.release().await;
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// `sqlite://DIR/NAME.db?...` -> `DIR/NAME-logs.db`; None for an in-memory database (each
/// connection would get a log of its own).
fn logs_file_beside(url: &str) -> Option<String> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    let stem = path.strip_suffix(".db").unwrap_or(path);
    Some(format!("{stem}-logs.db"))
}

/// How long the checkpointer waits after a checkpoint before the next, while batches are
/// written: the short wait while a write-ahead log holds [`WAL_FRAMES_BUSY`] frames or more,
/// the long one otherwise. With no batch written, it checkpoints every [`CHECKPOINT_IDLE`].
const CHECKPOINT_BUSY: Duration = Duration::from_millis(50);
const CHECKPOINT_CALM: Duration = Duration::from_millis(200);
const CHECKPOINT_IDLE: Duration = Duration::from_secs(5);
/// A write-ahead log this long (an eighth of `wal_autocheckpoint`) was not rewound lately: the
/// writer has been busy.
const WAL_FRAMES_BUSY: i64 = 2048;

/// Checkpoints SQLite's WAL from a connection of its own, so the batch writer's connection does
/// not stop to copy pages itself (a fifth of its time under a MeterValues load). PASSIVE never
/// blocks the writer. Under a steady load the writer rarely finds the WAL fully copied when it
/// starts a transaction, so the WAL is not rewound and grows until the writer's own
/// `wal_autocheckpoint` (16,384 pages, 64 MiB) copies what is left and rewinds it, with the
/// batch waiting: the shorter the time between these checkpoints, the less is left for the
/// writer, and the longer the WAL may grow, the less often it stops (BENCHMARKS.md, ninth
/// session: every 50 ms instead of every 200 ms took p99 at 20,000 MeterValues/s from 53–61 to
/// 37–41 ms, and 16,384 pages instead of 8,192 from 45–49 to 37 ms). Under a light load the WAL
/// is rewound often and each checkpoint's fsyncs cost more than they save, so it waits longer.
/// `wrote` is told after each batch. Ends when the pool is closed.
async fn checkpoint_in_background(
    pool: AnyPool,
    wrote: std::sync::Arc<tokio::sync::Notify>,
    with_logs: bool,
) {
    let mut wait = CHECKPOINT_CALM;
    loop {
        let _ = tokio::time::timeout(CHECKPOINT_IDLE, wrote.notified()).await;
        let started = tokio::time::Instant::now();
        if pool.is_closed() {
            break;
        }
        match checkpoint(&pool, with_logs).await {
            Ok(frames) if frames >= WAL_FRAMES_BUSY => wait = CHECKPOINT_BUSY,
            Ok(_) => wait = CHECKPOINT_CALM,
            Err(_) if pool.is_closed() => break,
            Err(e) => {
                tracing::warn!(error = %e, "could not checkpoint the SQLite write-ahead log; the next writes will")
            }
        }
        tokio::time::sleep_until(started + wait).await;
    }
}

/// One PASSIVE checkpoint of the main file and, when it has one, the log file; returns the
/// frames in the longer of their write-ahead logs (-1 for a database without one).
async fn checkpoint(pool: &AnyPool, with_logs: bool) -> Result<i64, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let schemas: &[&str] = if with_logs {
        &["main", "logs"]
    } else {
        &["main"]
    };
    let mut frames = -1;
    for schema in schemas {
        let row = sqlx::query(&format!("PRAGMA {schema}.wal_checkpoint(PASSIVE)"))
            .fetch_one(&mut *conn)
            .await?;
        frames = frames.max(row.try_get::<i64, _>(1)?);
    }
    Ok(frames)
}

#[async_trait]
impl HealthStore for Db {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(sql::db_err)?;
        Ok(())
    }
}

/// `ORDER BY` for a requested sort, restricted to known columns (never user text in SQL).
pub(crate) fn sql_order(
    sort: Option<&voltgate_core::store::Sort>,
    alias: &str,
    allowed: &[&str],
) -> String {
    match sort {
        Some(s) if allowed.contains(&s.column) => {
            let dir = if s.descending { "DESC" } else { "ASC" };
            format!(" ORDER BY {alias}.{} {dir}, {alias}.id {dir}", s.column)
        }
        _ => format!(" ORDER BY {alias}.id ASC"),
    }
}

/// Runs a count and a page query sharing one filter.
pub(crate) async fn paginate<T>(
    pool: &AnyPool,
    select: &str,
    from: &str,
    filter: sql::Sql,
    order: &str,
    page: voltgate_core::PageRequest,
    map: impl Fn(&sqlx::any::AnyRow) -> StoreResult<T>,
) -> StoreResult<voltgate_core::Page<T>> {
    use sql::RowExt;
    let count_sql = format!("SELECT COUNT(*) AS n{from}{}", filter.text);
    let total = sql::bind_all(sqlx::query(&count_sql), &filter.args)
        .fetch_one(pool)
        .await
        .map_err(sql::db_err)?
        .i64("n")?;
    let page_sql = format!(
        "{select}{}{order} LIMIT {} OFFSET {}",
        filter.text,
        page.per_page,
        page.offset()
    );
    let rows = sql::bind_all(sqlx::query(&page_sql), &filter.args)
        .fetch_all(pool)
        .await
        .map_err(sql::db_err)?;
    let items = rows.iter().map(map).collect::<StoreResult<Vec<T>>>()?;
    Ok(voltgate_core::Page {
        items,
        total: total as u64,
        request: page,
    })
}
