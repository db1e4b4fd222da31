//! Small helpers shared by every table module: a query builder that numbers `$n` placeholders
//! (both SQLite and PostgreSQL accept `$1`), bind values, and time/uuid conversions.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};
use time::OffsetDateTime;
use uuid::Uuid;
use voltgate_core::error::StoreError;

/// A value to bind.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    I64(i64),
    OptI64(Option<i64>),
    F64(Option<f64>),
    Str(String),
    OptStr(Option<String>),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(v)
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::OptI64(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Str(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Str(v.to_owned())
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::OptStr(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::OptStr(v.map(str::to_owned))
    }
}
impl From<Option<f64>> for Arg {
    fn from(v: Option<f64>) -> Self {
        Arg::F64(v)
    }
}
impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}

/// Builds SQL text and its arguments together so placeholders never drift.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
    /// Planned at each execution instead of prepared once per connection (see
    /// [`Sql::plan_each_time`]).
    one_off: bool,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: Vec::new(),
            one_off: false,
        }
    }

    /// Has [`Sql::execute_on`] plan the statement with its values at every execution rather than
    /// prepare it once per connection. For joins whose best plan depends on a table that grows
    /// while the connection lives: PostgreSQL caches a generic plan of a prepared statement after
    /// five executions and keeps it, so a plan made on an almost empty table (a sequential scan)
    /// would stay in use on a large one.
    pub fn plan_each_time(&mut self) -> &mut Self {
        self.one_off = true;
        self
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    ///
    /// A NULL float is written as the literal `NULL`: sqlx 0.8's Any driver sends it to
    /// PostgreSQL typed as float4, and a prepared statement that first saw such a NULL then
    /// rejects a real value ("incorrect binary data format").
    pub fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        let value = value.into();
        if matches!(value, Arg::F64(None)) {
            self.text.push_str("NULL");
            return self;
        }
        self.args.push(value);
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// The number of the placeholder bound last (`$n`; a NULL float is a literal, not a
    /// placeholder), for PostgreSQL text that names a value twice.
    pub fn last_placeholder(&self) -> usize {
        self.args.len()
    }

    /// Appends `column IN ($a, $b, ...)`, or a false condition for an empty list.
    pub fn bind_in(&mut self, column: &str, values: &[i64]) -> &mut Self {
        if values.is_empty() {
            self.text.push_str("1 = 0");
            return self;
        }
        self.text.push_str(column);
        self.text.push_str(" IN (");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(*v);
        }
        self.text.push(')');
        self
    }

    /// Appends `(a IN (...) OR b IN (...) ...)` over the non-empty lists, or a false condition
    /// when all are empty: how a caller's reach (owner teams, granted sites and chargers) becomes
    /// one `WHERE` clause.
    pub fn bind_any_in(&mut self, alternatives: &[(&str, &[i64])]) -> &mut Self {
        let present: Vec<_> = alternatives.iter().filter(|(_, v)| !v.is_empty()).collect();
        if present.is_empty() {
            self.text.push_str("1 = 0");
            return self;
        }
        self.text.push('(');
        for (i, (column, values)) in present.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(" OR ");
            }
            self.bind_in(column, values);
        }
        self.text.push(')');
        self
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        bind_all(sqlx::query(&self.text), &self.args)
    }

    /// The text for `backend`. On SQLite, `$n` placeholders become anonymous `?`: sqlx looks every
    /// parameter up by name, which SQLite answers by scanning its list of named parameters, so a
    /// statement with thousands of `$n` costs quadratic time (64% of the CPU of a MeterValues
    /// benchmark). Only for statements whose placeholders appear once each, in order, as the
    /// batch inserts built with [`Sql::bind`] do.
    /// Runs the statement on `conn` (a transaction's connection) with the placeholders
    /// `backend` expects; for the batch writer's multi-row statements.
    pub(crate) async fn execute_on(
        &self,
        conn: &mut sqlx::AnyConnection,
        backend: crate::Backend,
    ) -> Result<(), StoreError> {
        let text = self.text_for(backend);
        bind_all(sqlx::query(&text), &self.args)
            .persistent(!self.one_off)
            .execute(conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    pub fn text_for(&self, backend: crate::Backend) -> std::borrow::Cow<'_, str> {
        if backend != crate::Backend::Sqlite {
            return std::borrow::Cow::Borrowed(&self.text);
        }
        let mut out = String::with_capacity(self.text.len());
        let mut chars = self.text.chars().peekable();
        let mut expected = 1usize;
        while let Some(c) = chars.next() {
            if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                let mut n = 0usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n * 10 + d as usize;
                    chars.next();
                }
                debug_assert_eq!(n, expected, "placeholders must appear once each, in order");
                expected += 1;
                out.push('?');
            } else {
                out.push(c);
            }
        }
        std::borrow::Cow::Owned(out)
    }
}

pub(crate) fn bind_all<'q>(
    mut q: Query<'q, Any, AnyArguments<'q>>,
    args: &'q [Arg],
) -> Query<'q, Any, AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::I64(v) => q.bind(*v),
            Arg::OptI64(v) => q.bind(*v),
            Arg::F64(v) => q.bind(*v),
            Arg::Str(v) => q.bind(v.as_str()),
            Arg::OptStr(v) => q.bind(v.as_deref()),
            Arg::Bool(v) => q.bind(i64::from(*v)),
            Arg::Bytes(v) => q.bind(v.as_slice()),
        };
    }
    q
}

/// Microseconds since the epoch: how every timestamp is stored.
pub(crate) fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1000) as i64
}

pub(crate) fn from_micros(v: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(v as i128 * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Typed getters on a row, with database errors mapped once.
pub(crate) trait RowExt {
    fn i64(&self, col: &str) -> Result<i64, StoreError>;
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, StoreError>;
    fn string(&self, col: &str) -> Result<String, StoreError>;
    fn opt_string(&self, col: &str) -> Result<Option<String>, StoreError>;
    fn opt_f64(&self, col: &str) -> Result<Option<f64>, StoreError>;
    fn boolean(&self, col: &str) -> Result<bool, StoreError>;
    fn time(&self, col: &str) -> Result<OffsetDateTime, StoreError> {
        self.i64(col).map(from_micros)
    }
    fn opt_time(&self, col: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        Ok(self.opt_i64(col)?.map(from_micros))
    }
    fn uuid(&self, col: &str) -> Result<Uuid, StoreError> {
        let s = self.string(col)?;
        Uuid::parse_str(&s).map_err(|e| StoreError::Database(format!("bad uuid in {col}: {e}")))
    }
}

fn col_err(col: &str, e: sqlx::Error) -> StoreError {
    StoreError::Database(format!("column {col}: {e}"))
}

impl RowExt for AnyRow {
    fn i64(&self, col: &str) -> Result<i64, StoreError> {
        self.try_get::<i64, _>(col).map_err(|e| col_err(col, e))
    }
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, StoreError> {
        self.try_get::<Option<i64>, _>(col)
            .map_err(|e| col_err(col, e))
    }
    fn string(&self, col: &str) -> Result<String, StoreError> {
        self.try_get::<String, _>(col).map_err(|e| col_err(col, e))
    }
    fn opt_string(&self, col: &str) -> Result<Option<String>, StoreError> {
        self.try_get::<Option<String>, _>(col)
            .map_err(|e| col_err(col, e))
    }
    fn opt_f64(&self, col: &str) -> Result<Option<f64>, StoreError> {
        self.try_get::<Option<f64>, _>(col)
            .map_err(|e| col_err(col, e))
    }
    fn boolean(&self, col: &str) -> Result<bool, StoreError> {
        // Booleans are stored as 0/1 BIGINT: the one representation both engines decode alike.
        self.try_get::<i64, _>(col)
            .map(|v| v != 0)
            .map_err(|e| col_err(col, e))
    }
}

/// Maps a database error: unique violations become `Conflict` on the named field.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            let msg = db.message().to_ascii_lowercase();
            let field = if msg.contains("identity") {
                "identity"
            } else if msg.contains("email") {
                "email"
            } else if msg.contains("uid") {
                "uid"
            } else {
                "value"
            };
            return StoreError::Conflict(field);
        }
    }
    if matches!(e, sqlx::Error::RowNotFound) {
        return StoreError::NotFound;
    }
    StoreError::Database(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_in_skips_empty_lists_and_is_false_when_all_are_empty() {
        let mut sql = Sql::new("");
        sql.bind_any_in(&[("a", &[1, 2]), ("b", &[]), ("c", &[3])]);
        assert_eq!(sql.text, "(a IN ($1, $2) OR c IN ($3))");
        let mut none = Sql::new("");
        none.bind_any_in(&[("a", &[]), ("b", &[])]);
        assert_eq!(none.text, "1 = 0");
    }

    #[test]
    fn sqlite_batches_use_anonymous_placeholders() {
        let mut sql = Sql::new("INSERT INTO t (a, b) VALUES ");
        sql.push("(")
            .bind(1_i64)
            .push(", ")
            .bind("x")
            .push("), (")
            .bind(2_i64)
            .push(", ")
            .bind("y")
            .push(")");
        assert_eq!(sql.text, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
        assert_eq!(
            sql.text_for(crate::Backend::Sqlite),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        assert_eq!(sql.text_for(crate::Backend::Postgres), sql.text);
    }
}
