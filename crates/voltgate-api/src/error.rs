//! The one place where errors become HTTP responses (`{"message": ...}` bodies, Laravel-style
//! 422 field errors). Internal causes are logged here and never sent to the client.

use std::collections::BTreeMap;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use voltgate_core::StoreError;

/// Field -> messages, in a stable order.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug)]
pub enum ApiError {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadRequest(String),
    Invalid(FieldErrors),
    Conflict(String),
    TooManyRequests { retry_after: u64 },
    Internal(String),
}

impl ApiError {
    /// A 422 with one message on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_owned(), vec![message.into()]);
        ApiError::Invalid(errors)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(field) => ApiError::field(field, "Has already been taken."),
            StoreError::Database(msg) => ApiError::Internal(msg),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                json!({"message": "Unauthenticated."}),
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                json!({"message": "This action is unauthorized."}),
            ),
            ApiError::NotFound => (StatusCode::NOT_FOUND, json!({"message": "Not found."})),
            ApiError::BadRequest(msg) => (StatusCode::BAD_REQUEST, json!({"message": msg})),
            ApiError::Invalid(errors) => {
                let body = Invalid {
                    message: "The given data was invalid.",
                    errors,
                };
                return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response();
            }
            ApiError::Conflict(msg) => (StatusCode::CONFLICT, json!({"message": msg})),
            ApiError::TooManyRequests { retry_after } => {
                let mut r = (
                    StatusCode::TOO_MANY_REQUESTS,
                    axum::Json(json!({"message": "Too Many Attempts."})),
                )
                    .into_response();
                if let Ok(v) = retry_after.to_string().parse() {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return r;
            }
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"message": "Something went wrong on our side; the error has been logged. Please retry."}),
                )
            }
        };
        (status, axum::Json(body)).into_response()
    }
}

/// The 422 body, `message` first as in Laravel.
#[derive(serde::Serialize)]
struct Invalid {
    message: &'static str,
    errors: FieldErrors,
}

pub type ApiResult<T> = Result<T, ApiError>;
