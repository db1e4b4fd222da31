//! The one place where errors become HTTP responses, in OCPPLAB's (FastAPI's) shapes:
//! `{"detail": "..."}` for 400, 401, 403, 404, 409 and 500, and for 422 a list of entries
//! `{"type", "loc", "msg", "input", "ctx"}` as pydantic writes them. Internal causes are logged
//! here and never sent to the client.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};
use voltgate_core::StoreError;

/// One validation problem, as pydantic reports it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Detail {
    /// The error type, e.g. `missing`, `string_too_long`, `literal_error`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where: `["body", "identity"]`, `["query", "limit"]`.
    #[schema(value_type = Vec<Object>)]
    pub loc: Vec<Value>,
    /// For people, e.g. `String should have at most 45 characters`.
    pub msg: String,
    /// The value that was refused.
    #[schema(value_type = Object)]
    pub input: Value,
    /// The constraint, e.g. `{"max_length": 45}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub ctx: Option<Value>,
}

impl Detail {
    /// A problem in the request body at `field`.
    pub fn body(
        kind: &'static str,
        field: &str,
        msg: impl Into<String>,
        input: Value,
        ctx: Option<Value>,
    ) -> Self {
        Detail {
            kind,
            loc: vec![json!("body"), json!(field)],
            msg: msg.into(),
            input,
            ctx,
        }
    }

    /// A problem in the query string at `param`.
    pub fn query(
        kind: &'static str,
        param: &str,
        msg: impl Into<String>,
        input: Value,
        ctx: Option<Value>,
    ) -> Self {
        Detail {
            kind,
            loc: vec![json!("query"), json!(param)],
            msg: msg.into(),
            input,
            ctx,
        }
    }
}

/// Everything a simulator API handler can fail with.
#[derive(Debug)]
pub enum LabError {
    /// 401: no or an unknown token.
    Unauthenticated(&'static str),
    /// 403: the caller may read but not change this.
    Forbidden,
    /// 404 with a message such as `Charger not found`.
    NotFound(&'static str),
    /// 400.
    BadRequest(String),
    /// 409: the request conflicts with the current state.
    Conflict(String),
    /// 422.
    Invalid(Vec<Detail>),
    /// 500: logged, never shown.
    Internal(String),
}

impl std::fmt::Display for LabError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LabError::Unauthenticated(detail) => write!(f, "unauthenticated: {detail}"),
            LabError::Forbidden => f.write_str("not enough permissions"),
            LabError::NotFound(what) => f.write_str(what),
            LabError::BadRequest(detail) | LabError::Conflict(detail) => f.write_str(detail),
            LabError::Invalid(details) => {
                let messages: Vec<String> = details
                    .iter()
                    .map(|d| {
                        format!(
                            "{}: {}",
                            d.loc.last().map(ToString::to_string).unwrap_or_default(),
                            d.msg
                        )
                    })
                    .collect();
                write!(f, "invalid: {}", messages.join("; "))
            }
            LabError::Internal(cause) => write!(f, "internal error: {cause}"),
        }
    }
}

impl std::error::Error for LabError {}

impl From<StoreError> for LabError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => LabError::NotFound("Not Found"),
            StoreError::Conflict(field) => {
                LabError::Conflict(format!("The {field} is already taken."))
            }
            StoreError::Database(cause) => LabError::Internal(cause),
        }
    }
}

#[derive(Serialize)]
struct Message<'a> {
    detail: &'a str,
}

#[derive(Serialize)]
struct Validation {
    detail: Vec<Detail>,
}

impl IntoResponse for LabError {
    fn into_response(self) -> Response {
        let (status, detail) = match self {
            LabError::Unauthenticated(detail) => {
                let mut response =
                    (StatusCode::UNAUTHORIZED, axum::Json(Message { detail })).into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
                return response;
            }
            LabError::Forbidden => (StatusCode::FORBIDDEN, "Not enough permissions".to_owned()),
            LabError::NotFound(what) => (StatusCode::NOT_FOUND, what.to_owned()),
            LabError::BadRequest(detail) => (StatusCode::BAD_REQUEST, detail),
            LabError::Conflict(detail) => (StatusCode::CONFLICT, detail),
            LabError::Invalid(detail) => {
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    axum::Json(Validation { detail }),
                )
                    .into_response();
            }
            LabError::Internal(cause) => {
                tracing::error!(%cause, "simulator API request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error".to_owned(),
                )
            }
        };
        (status, axum::Json(Message { detail: &detail })).into_response()
    }
}

/// The body of every error but 422, for OpenAPI.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HttpErrorResponse {
    /// What went wrong, e.g. `Charger not found`.
    pub detail: String,
}

/// The 422 body, for OpenAPI.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HttpValidationError {
    pub detail: Vec<Detail>,
}

pub type LabResult<T> = Result<T, LabError>;

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(error: LabError) -> (StatusCode, Value) {
        let response = error.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn errors_have_fastapi_shapes() {
        let (status, json) = body(LabError::NotFound("Charger not found")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(json, json!({"detail": "Charger not found"}));
        let detail = Detail::body(
            "string_too_long",
            "identity",
            "String should have at most 45 characters",
            json!("x"),
            Some(json!({"max_length": 45})),
        );
        let (status, json) = body(LabError::Invalid(vec![detail])).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            json,
            json!({"detail": [{"type": "string_too_long", "loc": ["body", "identity"],
                "msg": "String should have at most 45 characters", "input": "x", "ctx": {"max_length": 45}}]})
        );
        let (status, json) = body(LabError::Internal("disk on fire".into())).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!json.to_string().contains("disk"), "{json}");
    }
}
