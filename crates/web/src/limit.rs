//! Attempts per source address, per minute: logins (account lockout protects each account;
//! this slows one address trying many accounts) and public certificate verifications.
//! Counted per app node (a shared counter would cost a database write per attempt; the
//! lockout counters are already shared).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jianfu_domain::Error;

use crate::error::PageError;

/// Login POSTs one address may send in a minute.
pub const LOGINS_PER_MINUTE: u32 = 30;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct RateLimiter {
    per_minute: u32,
    windows: Arc<Mutex<HashMap<String, (Instant, u32)>>>,
}

impl RateLimiter {
    pub fn per_minute(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            windows: Default::default(),
        }
    }

    /// Counts an attempt; false once the address is over its allowance for this minute.
    pub fn allow(&self, key: &str, now: Instant) -> bool {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        // Looked up before inserting: a known address costs no allocation.
        if !windows.contains_key(key) {
            windows.insert(key.to_owned(), (now, 0));
        }
        let entry = windows.get_mut(key).expect("inserted above");
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_minute
    }
}

pub async fn limit_logins(
    State(limiter): State<RateLimiter>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::POST && request.uri().path() == "/login" {
        let (parts, body) = request.into_parts();
        let key = crate::auth::source_ip(&parts);
        if !limiter.allow(&key, Instant::now()) {
            let mut response = PageError(Error::RateLimited).into_response();
            response
                .headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("60"));
            return response;
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_a_minute_per_address() {
        let l = RateLimiter::per_minute(LOGINS_PER_MINUTE);
        let t0 = Instant::now();
        for _ in 0..LOGINS_PER_MINUTE {
            assert!(l.allow("10.0.0.1", t0));
        }
        assert!(!l.allow("10.0.0.1", t0));
        assert!(l.allow("10.0.0.2", t0), "other addresses are not affected");
        assert!(
            l.allow("10.0.0.1", t0 + WINDOW),
            "a new minute, a new allowance"
        );
    }
}
