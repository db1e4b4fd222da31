//! Response envelopes: `{"data": ...}` for one object, and the Laravel paginator shape
//! (`data`, `links`, `meta`) for lists; plus the shared list parameters.

use std::collections::HashMap;

use axum::http::Uri;
use axum::Json;
use serde::Serialize;
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
    let Some(raw) = params.get("sort") else {
        return Ok(None);
    };
    let (descending, name) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw.as_str()),
    };
    match allowed.iter().find(|c| **c == name) {
        Some(column) => Ok(Some(Sort { column, descending })),
        None => Err(ApiError::field(
            "sort",
            format!(
                "Must be one of: {} (prefix with - for descending).",
                allowed.join(", ")
            ),
        )),
    }
}

/// `filter[name]` or, for convenience, `name`.
pub fn filter<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .get(&format!("filter[{name}]"))
        .or_else(|| params.get(name))
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}

#[derive(Debug, Serialize)]
pub struct Links {
    pub first: String,
    pub last: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Meta {
    pub current_page: u64,
    pub from: Option<u64>,
    pub last_page: u64,
    pub path: String,
    pub per_page: u64,
    pub to: Option<u64>,
    pub total: u64,
}

/// A page in the Laravel `LengthAwarePaginator` shape (a struct, so keys keep their order).
#[derive(Debug, Serialize)]
pub struct Paginated<T> {
    pub data: Vec<T>,
    pub links: Links,
    pub meta: Meta,
}

pub fn paginated<T: Serialize>(uri: &Uri, page: Page<T>) -> Json<Paginated<T>> {
    let path = uri.path().to_owned();
    let last = page.last_page();
    let current = page.request.page;
    let per_page = page.request.per_page;
    let other: Vec<&str> = uri
        .query()
        .map(|q| {
            q.split('&')
                .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some("page"))
                .collect()
        })
        .unwrap_or_default();
    let link = |p: u64| {
        let mut q: Vec<String> = other.iter().map(|kv| (*kv).to_owned()).collect();
        q.push(format!("page={p}"));
        format!("{path}?{}", q.join("&"))
    };
    let count = page.items.len() as u64;
    let offset = page.request.offset();
    Json(Paginated {
        links: Links {
            first: link(1),
            last: link(last),
            prev: (current > 1).then(|| link(current - 1)),
            next: (current < last).then(|| link(current + 1)),
        },
        meta: Meta {
            current_page: current,
            from: (count > 0).then_some(offset + 1),
            last_page: last,
            path,
            per_page,
            to: (count > 0).then_some(offset + count),
            total: page.total,
        },
        data: page.items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paginates_in_the_laravel_shape() {
        let uri: Uri = "/api/v3/chargers?per_page=2&page=2&sort=-created_at"
            .parse()
            .unwrap();
        let page = Page {
            items: vec![1, 2],
            total: 5,
            request: PageRequest::new(2, 2),
        };
        let Json(p) = paginated(&uri, page);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(
            v.as_object().unwrap().keys().collect::<Vec<_>>(),
            vec!["data", "links", "meta"]
        );
        assert_eq!(v["meta"]["from"], 3);
        assert_eq!(v["meta"]["to"], 4);
        assert_eq!(v["meta"]["last_page"], 3);
        assert_eq!(
            v["links"]["next"],
            "/api/v3/chargers?per_page=2&sort=-created_at&page=3"
        );
        assert_eq!(
            v["links"]["prev"],
            "/api/v3/chargers?per_page=2&sort=-created_at&page=1"
        );
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
        assert!(sort(&p, &["created_at"]).unwrap().unwrap().descending);
    }
}
