//! Errors of the domain and of the storage port.

/// What a storage implementation can report; constraint violations are already mapped to
/// domain meanings (realworld's `on_constraint`) so callers never see SQL.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated; the field that conflicted.
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// The object does not exist (or is not visible).
    #[error("not found")]
    NotFound,
    /// The database failed; the message is for the log, never for a client.
    #[error("database error: {0}")]
    Database(String),
}

/// Errors of domain operations.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}
