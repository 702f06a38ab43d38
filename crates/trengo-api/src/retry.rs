//! When to try a request again: a pure function of what happened, so it is tested on its own.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all for server trouble and network failures.
    pub max_attempts: u32,
    /// Attempts in all while Trengo answers 429.
    pub max_429_attempts: u32,
    /// The first backoff; it doubles each attempt, up to `max_backoff`, with jitter.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            max_429_attempts: 10,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(8),
        }
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// Trengo answered (a body that was cut off or unreadable for an idempotent call counts as `Lost`).
    Answered {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No connection was made: the request surely never reached Trengo.
    NotSent,
    /// The request went out and no (usable) answer came back: it may have been applied.
    Lost,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Hand the answer to the caller (success or error).
    Accept,
    /// Try again after this long.
    RetryAfter(Duration),
    /// Stop: for a lost non-idempotent request the outcome is unknown.
    GiveUp,
}

/// `attempt` counts from 1; `jitter` is a random number in `[0, 1)`.
///
/// - 429: always safe to repeat (Trengo did nothing); wait `Retry-After`.
/// - 502, 503, 504: repeated only for idempotent calls; a gateway may have passed the request on.
/// - 500: repeated only for idempotent calls, where repeating cannot do harm.
/// - other statuses: never repeated.
/// - not sent: always safe to repeat. Lost: only idempotent calls.
pub fn decide(
    p: &RetryPolicy,
    attempt: u32,
    idempotent: bool,
    what: &Attempt,
    jitter: f64,
) -> Decision {
    let backoff = || {
        let exp = p.base_backoff.saturating_mul(1u32 << (attempt - 1).min(16));
        let capped = exp.min(p.max_backoff);
        // Equal jitter: between half and all of the capped backoff.
        capped.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    };
    match what {
        Attempt::Answered {
            status: 429,
            retry_after,
        } => {
            if attempt < p.max_429_attempts {
                Decision::RetryAfter(retry_after.unwrap_or(Duration::from_secs(1)))
            } else {
                Decision::Accept
            }
        }
        Attempt::Answered {
            status: 500 | 502 | 503 | 504,
            ..
        } => {
            if idempotent && attempt < p.max_attempts {
                Decision::RetryAfter(backoff())
            } else {
                Decision::Accept
            }
        }
        Attempt::Answered { .. } => Decision::Accept,
        Attempt::NotSent if attempt < p.max_attempts => Decision::RetryAfter(backoff()),
        Attempt::NotSent => Decision::GiveUp,
        Attempt::Lost if idempotent && attempt < p.max_attempts => Decision::RetryAfter(backoff()),
        Attempt::Lost => Decision::GiveUp,
    }
}

/// The longest a 429 may hold every lane; a larger (or broken) `Retry-After` is capped.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// `Retry-After` in seconds or as an HTTP date; else `X-RateLimit-Reset` as unix seconds. Capped at
/// [`MAX_RETRY_AFTER`].
pub fn retry_after(headers: &http::HeaderMap, now_unix: i64) -> Option<Duration> {
    raw_retry_after(headers, now_unix).map(|d| d.min(MAX_RETRY_AFTER))
}

fn raw_retry_after(headers: &http::HeaderMap, now_unix: i64) -> Option<Duration> {
    let get = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(v) = get("retry-after") {
        if let Ok(s) = v.parse::<f64>() {
            return Duration::try_from_secs_f64(s.max(0.0))
                .ok()
                .or(Some(MAX_RETRY_AFTER));
        }
        if let Ok(t) = chrono::DateTime::parse_from_rfc2822(v) {
            return Some(Duration::from_secs((t.timestamp() - now_unix).max(0) as u64));
        }
    }
    let reset: i64 = get("x-ratelimit-reset")?.parse().ok()?;
    Some(Duration::from_secs((reset - now_unix).max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> RetryPolicy {
        RetryPolicy::default()
    }

    #[test]
    fn never_repeats_a_client_error() {
        for status in [400, 401, 403, 404, 409, 422] {
            assert_eq!(
                decide(
                    &p(),
                    1,
                    true,
                    &Attempt::Answered {
                        status,
                        retry_after: None
                    },
                    0.5
                ),
                Decision::Accept
            );
        }
    }

    #[test]
    fn repeats_429_after_retry_after_even_for_posts() {
        let d = decide(
            &p(),
            1,
            false,
            &Attempt::Answered {
                status: 429,
                retry_after: Some(Duration::from_secs(7)),
            },
            0.0,
        );
        assert_eq!(d, Decision::RetryAfter(Duration::from_secs(7)));
        assert_eq!(
            decide(
                &p(),
                10,
                false,
                &Attempt::Answered {
                    status: 429,
                    retry_after: None
                },
                0.0
            ),
            Decision::Accept
        );
    }

    #[test]
    fn gateway_errors_and_lost_requests_repeat_only_when_idempotent() {
        for status in [500, 502, 503, 504] {
            assert!(matches!(
                decide(
                    &p(),
                    1,
                    true,
                    &Attempt::Answered {
                        status,
                        retry_after: None
                    },
                    0.5
                ),
                Decision::RetryAfter(_)
            ));
            assert_eq!(
                decide(
                    &p(),
                    1,
                    false,
                    &Attempt::Answered {
                        status,
                        retry_after: None
                    },
                    0.5
                ),
                Decision::Accept
            );
        }
        assert!(matches!(
            decide(&p(), 1, true, &Attempt::Lost, 0.5),
            Decision::RetryAfter(_)
        ));
        assert_eq!(
            decide(&p(), 1, false, &Attempt::Lost, 0.5),
            Decision::GiveUp
        );
        assert!(matches!(
            decide(&p(), 1, false, &Attempt::NotSent, 0.5),
            Decision::RetryAfter(_)
        ));
        assert_eq!(
            decide(&p(), 6, true, &Attempt::NotSent, 0.5),
            Decision::GiveUp
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        let at = |n, j| match decide(&p(), n, true, &Attempt::Lost, j) {
            Decision::RetryAfter(d) => d,
            other => panic!("{other:?}"),
        };
        assert_eq!(at(1, 1.0), Duration::from_millis(200));
        assert_eq!(at(1, 0.0), Duration::from_millis(100));
        assert_eq!(at(3, 1.0), Duration::from_millis(800));
        let many = RetryPolicy {
            max_attempts: 40,
            ..p()
        };
        assert_eq!(
            decide(&many, 30, true, &Attempt::Lost, 1.0),
            Decision::RetryAfter(Duration::from_secs(8))
        );
    }

    #[test]
    fn reads_retry_after_and_reset() {
        let mut h = http::HeaderMap::new();
        h.insert("retry-after", "12".parse().unwrap());
        assert_eq!(retry_after(&h, 0), Some(Duration::from_secs(12)));
        let mut h = http::HeaderMap::new();
        h.insert("x-ratelimit-reset", "1000".parse().unwrap());
        assert_eq!(retry_after(&h, 990), Some(Duration::from_secs(10)));
        let mut h = http::HeaderMap::new();
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:10 GMT".parse().unwrap(),
        );
        assert_eq!(
            retry_after(&h, 1_445_412_480),
            Some(Duration::from_secs(10))
        );
        assert_eq!(retry_after(&http::HeaderMap::new(), 0), None);
        for huge in ["3600", "inf", "1e300"] {
            let mut h = http::HeaderMap::new();
            h.insert("retry-after", huge.parse().unwrap());
            assert_eq!(retry_after(&h, 0), Some(MAX_RETRY_AFTER), "{huge}");
        }
    }
}
