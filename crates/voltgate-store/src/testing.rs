//! Fresh databases for tests: a new SQLite file or a new PostgreSQL database per call, so tests
//! never share state.

use sqlx::{Connection, Executor};

/// The environment variable that names the PostgreSQL server used by tests
/// (e.g. `postgres://postgres@127.0.0.1:5432/postgres`). Read by test code only.
pub const POSTGRES_ENV: &str = "VOLTGATE_TEST_POSTGRES_URL";

/// Says once per test process that the PostgreSQL half of its tests did not run, and how to run
/// it. Written to the process's real stderr rather than through `eprintln!`, which the test
/// harness captures and shows only for failing tests: a green `cargo test` says it too.
pub fn say_postgres_skipped() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the PostgreSQL half of these tests: {POSTGRES_ENV} is not set \
             (e.g. {POSTGRES_ENV}=postgres://postgres@127.0.0.1:5432/postgres); they ran on SQLite only"
        );
    });
}

/// A new, empty SQLite database in the system's temp directory.
pub fn fresh_sqlite_url() -> String {
    let dir = std::env::temp_dir().join(format!("voltgate-test-{}", uuid::Uuid::new_v4().simple()));
    let _ = std::fs::create_dir_all(&dir);
    format!("sqlite://{}", dir.join("voltgate.db").display())
}

/// A new, empty PostgreSQL database on the server `server_url` names.
pub async fn fresh_postgres_url(server_url: &str) -> Result<String, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let name = format!("voltgate_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::AnyConnection::connect(server_url).await?;
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    conn.close().await?;
    let base = match server_url.rfind('/') {
        Some(i) if i > "postgres://".len() => &server_url[..i],
        _ => server_url,
    };
    Ok(format!("{base}/{name}"))
}

/// Runs raw SQL on `db`: for tests that set up rows an older schema wrote, before migrating on.
pub async fn execute(db: &crate::Db, sql: &str) -> Result<(), sqlx::Error> {
    db.pool().execute(sql).await.map(|_| ())
}

/// The `n` of a raw `SELECT ... AS n` on `db`: for tests that look at what the store wrote.
pub async fn fetch_i64(db: &crate::Db, sql: &str) -> Result<i64, sqlx::Error> {
    use sqlx::Row;
    sqlx::query(sql).fetch_one(db.pool()).await?.try_get("n")
}
