//! Schema migrations for both engines, embedded in the binary and applied in order.

use sqlx::{AnyPool, Executor, Row};

use crate::Backend;

/// (version, name, SQLite SQL, PostgreSQL SQL).
pub const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "remote_control",
        include_str!("../migrations/sqlite/0002_remote_control.sql"),
        include_str!("../migrations/postgres/0002_remote_control.sql"),
    ),
    (
        3,
        "simulator",
        include_str!("../migrations/sqlite/0003_simulator.sql"),
        include_str!("../migrations/postgres/0003_simulator.sql"),
    ),
    (
        4,
        "settings",
        include_str!("../migrations/sqlite/0004_settings.sql"),
        include_str!("../migrations/postgres/0004_settings.sql"),
    ),
    (
        5,
        "load_management",
        include_str!("../migrations/sqlite/0005_load_management.sql"),
        include_str!("../migrations/postgres/0005_load_management.sql"),
    ),
    (
        6,
        "smart_charging",
        include_str!("../migrations/sqlite/0006_smart_charging.sql"),
        include_str!("../migrations/postgres/0006_smart_charging.sql"),
    ),
    (
        7,
        "site_access",
        include_str!("../migrations/sqlite/0007_site_access.sql"),
        include_str!("../migrations/postgres/0007_site_access.sql"),
    ),
    (
        8,
        "meter_readings",
        include_str!("../migrations/sqlite/0008_meter_readings.sql"),
        include_str!("../migrations/postgres/0008_meter_readings.sql"),
    ),
    (
        9,
        "log_chunks",
        include_str!("../migrations/sqlite/0009_log_chunks.sql"),
        include_str!("../migrations/postgres/0009_log_chunks.sql"),
    ),
    (
        10,
        "log_packed",
        include_str!("../migrations/sqlite/0010_log_packed.sql"),
        include_str!("../migrations/postgres/0010_log_packed.sql"),
    ),
];

/// Applies the migrations not yet applied whose version is at most `up_to`.
pub(crate) async fn run(
    pool: &AnyPool,
    backend: Backend,
    up_to: i64,
) -> Result<usize, sqlx::Error> {
    pool.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let mut applied = 0;
    for (version, name, sqlite, postgres) in MIGRATIONS.iter().filter(|m| m.0 <= up_to) {
        let mut tx = pool.begin().await?;
        if backend == Backend::Postgres {
            // Two nodes starting at once must not both migrate.
            sqlx::query("SELECT pg_advisory_xact_lock(7474)")
                .execute(&mut *tx)
                .await?;
        }
        let done = sqlx::query("SELECT COUNT(*) AS n FROM schema_migrations WHERE version = $1")
            .bind(*version)
            .fetch_one(&mut *tx)
            .await?
            .try_get::<i64, _>("n")?;
        if done > 0 {
            tx.commit().await?;
            continue;
        }
        let script = if backend == Backend::Sqlite {
            sqlite
        } else {
            postgres
        };
        tx.execute(*script).await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(*version)
        .bind(*name)
        .bind(crate::sql::micros(time::OffsetDateTime::now_utc()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied database migration");
        applied += 1;
    }
    Ok(applied)
}

/// SQLite with a log file of its own (`Db::logs_file`): moves the message log
/// (`ocpp_log_chunks`, its index and, before migration 10, its view `ocpp_logs`) from the main
/// file, where migration 9 created it, into the attached `logs` database, once, as the
/// migrations so far left it (their definitions are read back from the main file, so later
/// migrations that change the table need nothing here). Unqualified names find it there after
/// the move. The log has no foreign key (SQLite cannot refer across files); deleting a charger
/// deletes its log explicitly. Before migration 9 (a test's `migrate_to`) the log stays where it
/// is: migration 9 reads the old `ocpp_logs` table from either file.
pub(crate) async fn move_logs_to_their_file(pool: &AnyPool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let objects = sqlx::query(
        "SELECT type, name, sql FROM main.sqlite_master \
         WHERE (type = 'table' AND name = 'ocpp_log_chunks') \
            OR (type = 'index' AND name = 'ocpp_log_chunks_charger') \
            OR (type = 'view' AND name = 'ocpp_logs') \
         ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END",
    )
    .fetch_all(&mut *tx)
    .await?;
    // Nothing to move: the log is in its file already, or (before migration 9) not chunked yet.
    if !objects
        .iter()
        .any(|o| o.try_get::<String, _>(0).is_ok_and(|kind| kind == "table"))
    {
        return tx.commit().await;
    }
    for object in &objects {
        let (kind, name, sql): (String, String, String) =
            (object.try_get(0)?, object.try_get(1)?, object.try_get(2)?);
        let created_as = format!("CREATE {} {name}", kind.to_ascii_uppercase());
        if !sql.starts_with(&created_as) {
            return Err(sqlx::Error::Protocol(format!(
                "cannot move the message log into its own file: the {kind} `{name}` is defined as \
                 `{sql}`, not as `{created_as} ...`"
            )));
        }
        let in_log_file = sql.replacen(
            &created_as,
            &format!(
                "CREATE {} IF NOT EXISTS logs.{name}",
                kind.to_ascii_uppercase()
            ),
            1,
        );
        tx.execute(in_log_file.as_str()).await?;
    }
    let moved = tx
        .execute("INSERT INTO logs.ocpp_log_chunks SELECT * FROM main.ocpp_log_chunks ORDER BY id")
        .await?
        .rows_affected();
    tx.execute("DROP VIEW IF EXISTS main.ocpp_logs; DROP TABLE main.ocpp_log_chunks;")
        .await?;
    if moved > 0 {
        tracing::info!(
            rows = moved,
            "moved the OCPP message log into its own database file"
        );
    }
    tx.commit().await
}
