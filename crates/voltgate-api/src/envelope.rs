//! Response envelopes: `{"data": ...}` for one object, and the Laravel paginator shape
//! (`data`, `links`, `meta`) for lists; plus the shared list parameters.

use std::collections::HashMap;

use axum::http::Uri;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};
use voltgate_core::store::Sort;
use voltgate_core::{Page, PageRequest};

use crate::error::{ApiError, ApiResult};

/// One object.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Data<T> {
    pub data: T,
}

pub fn data<T: Serialize>(value: T) -> Json<Data<T>> {
    Json(Data { data: value })
}

/// Query parameters as a flat map (`filter[status]` stays a key as written).
pub type Params = HashMap<String, String>;

/// `?page=` (from 1) and `?per_page=` (default 25, at most 100).
pub fn page_request(params: &Params) -> ApiResult<PageRequest> {
    let parse = |key: &str, default: u64| -> ApiResult<u64> {
        match params.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| ApiError::field(key, "Must be an integer of at least 1.")),
        }
    };
    let per_page = parse("per_page", PageRequest::DEFAULT_PER_PAGE)?;
    if per_page > PageRequest::MAX_PER_PAGE {
        return Err(ApiError::field("per_page", "Must not be greater than 100."));
    }
    Ok(PageRequest::new(parse("page", 1)?, per_page))
}

/// `?sort=-created_at` restricted to `allowed` columns.
pub fn sort(params: &Params, allowed: &[&'static str]) -> ApiResult<Option<Sort>> {
    let Some(raw) = params.get("sort") else { return Ok(None) };
    let (descending, name) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw.as_str()),
    };
    match allowed.iter().find(|c| **c == name) {
        Some(column) => Ok(Some(Sort { column, descending })),
        None => Err(ApiError::field("sort", &format!("Must be one of: {} (prefix with - for descending).", allowed.join(", ")))),
    }
}

/// `filter[name]` or, for convenience, `name`.
pub fn filter<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.get(&format!("filter[{name}]")).or_else(|| params.get(name)).map(String::as_str).filter(|s| !s.is_empty())
}

/// A page in the Laravel `LengthAwarePaginator` shape.
pub fn paginated<T: Serialize>(uri: &Uri, page: Page<T>) -> Json<Value> {
    let path = uri.path().to_owned();
    let last = page.last_page();
    let current = page.request.page;
    let per_page = page.request.per_page;
    let other: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
                .filter(|(k, _)| *k != "page" && !k.is_empty())
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let link = |p: u64| {
        let mut q: Vec<String> = other.iter().map(|(k, v)| format!("{k}={v}")).collect();
        q.push(format!("page={p}"));
        format!("{path}?{}", q.join("&"))
    };
    let count = page.items.len() as u64;
    let from = if count == 0 { Value::Null } else { json!(page.request.offset() + 1) };
    let to = if count == 0 { Value::Null } else { json!(page.request.offset() + count) };
    Json(json!({
        "data": page.items,
        "links": {
            "first": link(1),
            "last": link(last),
            "prev": if current > 1 { json!(link(current - 1)) } else { Value::Null },
            "next": if current < last { json!(link(current + 1)) } else { Value::Null },
        },
        "meta": {
            "current_page": current,
            "from": from,
            "last_page": last,
            "path": path,
            "per_page": per_page,
            "to": to,
            "total": page.total,
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paginates_in_the_laravel_shape() {
        let uri: Uri = "/api/v3/chargers?per_page=2&page=2&sort=-created_at".parse().unwrap();
        let page = Page { items: vec![1, 2], total: 5, request: PageRequest::new(2, 2) };
        let Json(v) = paginated(&uri, page);
        assert_eq!(v["meta"]["from"], 3);
        assert_eq!(v["meta"]["to"], 4);
        assert_eq!(v["meta"]["last_page"], 3);
        assert_eq!(v["links"]["next"], "/api/v3/chargers?per_page=2&sort=-created_at&page=3");
        assert_eq!(v["links"]["prev"], "/api/v3/chargers?per_page=2&sort=-created_at&page=1");
    }

    #[test]
    fn refuses_per_page_over_100_and_unknown_sort() {
        let mut p = Params::new();
        p.insert("per_page".into(), "101".into());
        assert!(page_request(&p).is_err());
        p.insert("per_page".into(), "100".into());
        p.insert("sort".into(), "-password".into());
        assert!(page_request(&p).is_ok());
        assert!(sort(&p, &["created_at"]).is_err());
        p.insert("sort".into(), "-created_at".into());
        assert_eq!(sort(&p, &["created_at"]).unwrap().unwrap().descending, true);
    }
}
