//! Request rate limits per user (Volttime: 500 requests per minute), with `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining` on every authenticated answer and 429 + `Retry-After` beyond.
//!
//! A fixed one-minute window per user, in memory (per node; a cluster shares nothing yet).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// (bucket, user) -> (window start, requests in it).
type Windows = HashMap<(&'static str, i64), (Instant, u32)>;

#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    /// (bucket, user) -> (window start, requests in it). Bucket "" is the per-user limit; named
    /// buckets are the tighter per-operation limits (e.g. invitations, 5 per minute).
    users: Mutex<Windows>,
}

impl RateLimiter {
    pub fn per_minute(limit: u32) -> Self {
        Self {
            limit,
            window: Duration::from_secs(60),
            users: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request: the requests left in the window, or the seconds until it resets.
    pub fn check(&self, user_id: i64) -> Result<u32, u64> {
        self.check_bucket("", self.limit, user_id)
    }

    /// Counts one use of a rate-limited operation (`bucket`, at most `limit` per window).
    pub fn check_bucket(&self, bucket: &'static str, limit: u32, user_id: i64) -> Result<u32, u64> {
        let now = Instant::now();
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if users.len() > 100_000 {
            users.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = users.entry((bucket, user_id)).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            let reset = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(reset.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(limit - entry.1)
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }
}

/// Where the authenticated caller's limit state is left for the response headers.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateSlot(pub Arc<Mutex<Option<(u32, u32)>>>);

/// Adds the rate-limit headers to every answer to an authenticated request.
pub(crate) async fn headers(mut request: Request, next: Next) -> Response {
    let slot = RateSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let state = *slot.0.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((limit, remaining)) = state {
        let h = response.headers_mut();
        h.insert("x-ratelimit-limit", HeaderValue::from(limit));
        h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_user_and_refuses_beyond_the_limit() {
        let r = RateLimiter::per_minute(2);
        assert_eq!(r.check(1), Ok(1));
        assert_eq!(r.check(1), Ok(0));
        let retry = r.check(1).unwrap_err();
        assert!((1..=60).contains(&retry));
        assert_eq!(r.check(2), Ok(1), "another user has their own window");
        assert_eq!(
            r.check_bucket("invites", 1, 2),
            Ok(0),
            "a named bucket counts apart from the per-user limit"
        );
        assert!(r.check_bucket("invites", 1, 2).is_err());
    }
}
