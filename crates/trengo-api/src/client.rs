//! The client: every request goes through the token's [`RequestBudget`], the [`retry`](crate::retry)
//! decision, and a tracing span; nothing else in the product opens a connection to Trengo.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{Stream, TryStreamExt};
use http::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;

use crate::budget::{BudgetConfig, Lane, RequestBudget};
use crate::error::{excerpt, message_of, Error, Result};
use crate::model::ListPage;
use crate::retry::{decide, retry_after, Attempt, Decision, RetryPolicy};
use crate::zone::{ZoneClock, ZoneInfo};
use crate::Token;

pub const DEFAULT_BASE_URL: &str = "https://app.trengo.com/api/v2";

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://app.trengo.com/api/v2`, `https://app.trengo.eu/api/v2`, or a simulator's.
    pub base_url: String,
    pub token: Token,
    /// For one attempt, from sending to the end of the body.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub user_agent: String,
    pub budget: BudgetConfig,
    pub retry: RetryPolicy,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, token: Token) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into(),
            token,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            user_agent: format!("trengo-desk/{}", env!("CARGO_PKG_VERSION")),
            budget: BudgetConfig::default(),
            retry: RetryPolicy::default(),
        }
    }
}

/// Asked after the budget grants a request its slot and right before the request leaves: `Err`
/// keeps it from being sent (it comes back as [`Error::NotSent`]). A job runner uses it to prove
/// it still owns its job at the moment of sending, so a runner that was paused (SIGSTOP, a
/// suspended laptop) and lost its job meanwhile sends nothing when it wakes.
pub trait SendGate: Send + Sync {
    fn check(&self) -> futures::future::BoxFuture<'_, std::result::Result<(), String>>;
}

/// A gate passed longer ago than this is asked again before the request leaves: the process may
/// have been paused between the two.
const GATE_STALE: Duration = Duration::from_millis(500);

/// A Trengo client. Cheap to clone; clones share the connection pool and the token's budget.
/// [`Client::lane`] gives a clone whose requests queue in another lane.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    lane: Lane,
    /// Writes are never repeated once they may have reached Trengo (see [`Client::checked_writes`]).
    checked_writes: bool,
    gate: Option<Arc<dyn SendGate>>,
}

struct Inner {
    http: reqwest::Client,
    base: String,
    token: Token,
    budget: RequestBudget,
    retry: RetryPolicy,
    timeout: Duration,
    /// The zone of the workspace's zone-less times, and the writes it may be learned from.
    zone: std::sync::Mutex<ZoneClock>,
    /// Told when the zone is first learned, changes, or is confirmed an hour after it last was.
    on_zone: std::sync::Mutex<Option<ZoneListener>>,
    /// Trengo's clock less this machine's, ms, from the last answer's `Date` header;
    /// `i64::MIN` until one came.
    skew_ms: AtomicI64,
}

/// Called with what Trengo's clock showed of the workspace's zone.
pub type ZoneListener = Arc<dyn Fn(ZoneInfo) + Send + Sync>;

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base)
            .field("token", &self.inner.token)
            .field("lane", &self.lane)
            .finish()
    }
}

/// One request, described before it is sent.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    /// The path with placeholders (`/tickets/{id}/labels`), for logs and metrics.
    pub template: &'static str,
    /// The real path below the base URL, starting with `/`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// Whether sending it twice has the same effect as once.
    pub idempotent: bool,
    /// A 2xx answer must be JSON (reads): an unreadable one is retried when idempotent.
    pub expect_json: bool,
}

impl ApiRequest {
    pub fn get(template: &'static str, path: impl Into<String>) -> ApiRequest {
        ApiRequest {
            method: Method::GET,
            template,
            path: path.into(),
            query: vec![],
            body: None,
            idempotent: true,
            expect_json: true,
        }
    }

    pub fn write(
        method: Method,
        template: &'static str,
        path: impl Into<String>,
        body: Option<Value>,
        idempotent: bool,
    ) -> ApiRequest {
        ApiRequest {
            method,
            template,
            path: path.into(),
            query: vec![],
            body,
            idempotent,
            expect_json: false,
        }
    }

    pub fn query(mut self, q: Vec<(String, String)>) -> ApiRequest {
        self.query = q;
        self
    }
}

/// An answer as it came.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as JSON; `null` when empty, a string when it is not JSON.
    pub body: Value,
}

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

fn jitter() -> f64 {
    static SEED: AtomicU64 = AtomicU64::new(0);
    let n = SEED.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64)
            .unwrap_or(0);
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// Checks the base URL: http(s), a host, and plain http only on this machine (the token must not
/// cross a network in clear text).
pub fn normalize_base_url(raw: &str) -> Result<String> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| Error::Invalid(format!("the base URL {raw:?} is not a URL: {e}")))?;
    // Only this machine may be spoken to in clear text: a loopback address, or exactly
    // `localhost` (not `127.attacker.example`).
    let local = match url.host() {
        None => return Err(Error::Invalid(format!("the base URL {raw:?} has no host"))),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
    };
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => {
            return Err(Error::Invalid(format!(
                "the base URL {raw:?} must use https: the token would travel in clear text"
            )))
        }
        s => {
            return Err(Error::Invalid(format!(
                "the base URL {raw:?} must be http(s), not {s}"
            )))
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Invalid(format!(
            "the base URL {raw:?} must not have a query or fragment"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// A path for the proxy: relative to the base URL, no way out of it. Control characters are
/// refused first (a URL parser drops TAB, CR and LF, so `.\t.` would become `..` after the check),
/// and the joined URL must still lie below the base.
fn check_path(base: &str, path: &str) -> Result<String> {
    if let Some(c) = path.chars().find(|c| c.is_control()) {
        return Err(Error::Invalid(format!(
            "the path {path:?} has a control character ({:?}); give a plain path below the base URL",
            c
        )));
    }
    let p = check_segments(path)?;
    let (Ok(b), Ok(joined)) = (
        url::Url::parse(&format!("{}/", base.trim_end_matches('/'))),
        url::Url::parse(&format!("{}{p}", base.trim_end_matches('/'))),
    ) else {
        return Err(Error::Invalid(format!(
            "the path {path:?} is not a URL path"
        )));
    };
    let same_place = joined.scheme() == b.scheme()
        && joined.host() == b.host()
        && joined.port_or_known_default() == b.port_or_known_default()
        && joined.path().starts_with(b.path());
    if !same_place || joined.query().is_some() || joined.fragment().is_some() {
        return Err(Error::Invalid(format!(
            "the path {path:?} leads outside {base}; give a plain path below it"
        )));
    }
    Ok(p)
}

fn check_segments(path: &str) -> Result<String> {
    let p = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    // Encoded dots and slashes are dots and slashes to a URL parser: decode them first.
    let decoded = p
        .to_ascii_lowercase()
        .replace("%2e", ".")
        .replace("%2f", "/")
        .replace("%5c", "/");
    let bad = decoded.contains("://")
        || decoded.starts_with("//")
        || p.contains('#')
        || p.contains('?')
        || p.contains('\\')
        || decoded.split('/').any(|seg| seg == ".." || seg == ".");
    if bad {
        return Err(Error::Invalid(format!(
            "the path {path:?} must be a plain path below the base URL (no scheme, '..', '?' or '#'; put the query in its own argument)"
        )));
    }
    Ok(p)
}

impl Client {
    pub fn new(cfg: ClientConfig) -> Result<Client> {
        let base = normalize_base_url(&cfg.base_url)?;
        if cfg.token.is_empty() {
            return Err(Error::Invalid("the token is empty".into()));
        }
        let http = reqwest::Client::builder()
            .user_agent(&cfg.user_agent)
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            .pool_idle_timeout(Duration::from_secs(50))
            // A redirected write turns into a read that answers 200: none is followed, and a
            // redirecting base URL is said as such (see `check`).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Invalid(format!("could not set up HTTP: {e}")))?;
        let budget = RequestBudget::for_token(&base, &cfg.token, cfg.budget.clone());
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                token: cfg.token,
                budget,
                retry: cfg.retry,
                timeout: cfg.timeout,
                zone: std::sync::Mutex::new(ZoneClock::default()),
                on_zone: std::sync::Mutex::new(None),
                skew_ms: AtomicI64::new(i64::MIN),
            }),
            lane: Lane::Interactive,
            checked_writes: false,
            gate: None,
        })
    }

    /// A clone whose requests queue in `lane`.
    pub fn lane(&self, lane: Lane) -> Client {
        Client {
            lane,
            ..self.clone()
        }
    }

    /// A clone whose every request passes `gate` after its slot is granted and before it leaves.
    pub fn gated(&self, gate: Arc<dyn SendGate>) -> Client {
        Client {
            gate: Some(gate),
            ..self.clone()
        }
    }

    /// A clone that never repeats a write which may have reached Trengo, even one that is safe to
    /// repeat in effect: a lost answer or a 5xx comes back as [`Error::UnknownOutcome`] or
    /// [`Error::Server`], so the caller can read the record and decide. Bulk jobs use it, so that
    /// each change is applied once and the mutation log shows it once.
    pub fn checked_writes(&self) -> Client {
        Client {
            checked_writes: true,
            ..self.clone()
        }
    }

    pub fn current_lane(&self) -> Lane {
        self.lane
    }

    pub fn budget(&self) -> &RequestBudget {
        &self.inner.budget
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Decodes an answer with zone-less times in this workspace's zone.
    fn decode<T: DeserializeOwned>(&self, req: &ApiRequest, status: u16, body: &[u8]) -> Result<T> {
        let tz = self.clock().tz();
        crate::de::with_zone(tz, || decode(req, status, body))
    }

    /// Sends a request through the budget, with retries, and returns Trengo's answer as it came
    /// (any status), or an error when no usable answer could be had.
    pub async fn execute(&self, req: &ApiRequest) -> Result<(u16, http::HeaderMap, Vec<u8>)> {
        let a = self.execute_inner(req).await?;
        Ok((a.status, a.headers, a.body))
    }

    async fn execute_inner(&self, req: &ApiRequest) -> Result<Answer> {
        let checked;
        let req = if self.checked_writes && req.idempotent && req.method != Method::GET {
            checked = ApiRequest {
                idempotent: false,
                ..req.clone()
            };
            &checked
        } else {
            req
        };
        let url = format!("{}{}", self.inner.base, req.path);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let permit = self.inner.budget.acquire(self.lane).await;
            if let Some(g) = &self.gate {
                // Asked again if this process was paused after passing it.
                let mut passed = Instant::now();
                g.check()
                    .await
                    .map_err(|reason| Error::NotSent { reason })?;
                while passed.elapsed() > GATE_STALE {
                    passed = Instant::now();
                    g.check()
                        .await
                        .map_err(|reason| Error::NotSent { reason })?;
                }
            }
            let span = tracing::info_span!(
                "trengo_request",
                method = %req.method,
                path = req.template,
                lane = ?self.lane,
                attempt,
                waited_ms = permit.waited.as_millis() as u64,
                status = tracing::field::Empty,
                ms = tracing::field::Empty,
            );
            let started = Instant::now();
            let (what, answer) = self.send_once(&url, req).instrument(span.clone()).await;
            let elapsed = started.elapsed();
            span.record("ms", elapsed.as_millis() as u64);
            let now_unix = chrono::Utc::now().timestamp();
            if let Some(a) = &answer {
                span.record("status", a.status);
                let h = |k: &str| {
                    a.headers
                        .get(k)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u32>().ok())
                };
                let ra = (a.status == 429)
                    .then(|| retry_after(&a.headers, now_unix).unwrap_or(Duration::from_secs(1)));
                self.inner.budget.observe(
                    &permit,
                    h("x-ratelimit-limit"),
                    h("x-ratelimit-remaining"),
                    Some(elapsed),
                    ra,
                );
            }
            match decide(&self.inner.retry, attempt, req.idempotent, &what, jitter()) {
                Decision::Accept => {
                    let a = answer.expect("accepted attempts have an answer");
                    span.in_scope(|| tracing::debug!(status = a.status, "answered"));
                    self.learn(req, &a);
                    return Ok(a);
                }
                Decision::RetryAfter(d) => {
                    span.in_scope(|| {
                        tracing::warn!(?what, retry_in_ms = d.as_millis() as u64, "retrying")
                    });
                    // A 429's wait is already held by the budget for every lane.
                    if !matches!(what, Attempt::Answered { status: 429, .. }) {
                        tokio::time::sleep(d).await;
                    }
                }
                Decision::GiveUp => {
                    span.in_scope(|| tracing::warn!(?what, "giving up"));
                    return Err(match what {
                        // Trengo answered, but the body could not be read each time.
                        Attempt::Lost
                            if req.idempotent
                                && answer
                                    .as_ref()
                                    .is_some_and(|a| (200..300).contains(&a.status)) =>
                        {
                            let a = answer.expect("checked");
                            Error::Decode {
                                path: req.path.clone(),
                                status: a.status,
                                message: format!("the answer was unreadable {attempt} times"),
                                excerpt: excerpt(&String::from_utf8_lossy(&a.body), 160),
                            }
                        }
                        Attempt::Lost if !req.idempotent => Error::UnknownOutcome {
                            method: req.method.to_string(),
                            path: req.path.clone(),
                            reason: "the connection was lost before Trengo answered".into(),
                        },
                        Attempt::Lost if elapsed >= self.inner.timeout => Error::Timeout {
                            path: req.path.clone(),
                            timeout: self.inner.timeout,
                        },
                        _ => Error::Network {
                            path: req.path.clone(),
                            message: format!("no answer after {attempt} attempts"),
                        },
                    });
                }
            }
        }
    }

    async fn send_once(&self, url: &str, req: &ApiRequest) -> (Attempt, Option<Answer>) {
        let mut rb = self
            .inner
            .http
            .request(req.method.clone(), url)
            .bearer_auth(self.inner.token.expose())
            .header(http::header::ACCEPT, "application/json");
        if !req.query.is_empty() {
            rb = rb.query(&req.query);
        }
        if let Some(b) = &req.body {
            rb = rb.json(b);
        } else if req.method != Method::GET && req.method != Method::DELETE {
            rb = rb.json(&serde_json::json!({}));
        }
        let resp = match rb.send().await {
            Ok(r) => r,
            Err(e) => {
                let what = if e.is_connect() {
                    Attempt::NotSent
                } else {
                    Attempt::Lost
                };
                tracing::debug!(error = %e, "request failed");
                return (what, None);
            }
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        match resp.bytes().await {
            Ok(body) => {
                let unreadable = req.expect_json
                    && (200..300).contains(&status)
                    && !body.is_empty()
                    && serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err();
                let answer = Answer {
                    status,
                    headers,
                    body: body.to_vec(),
                };
                if unreadable && req.idempotent {
                    (Attempt::Lost, Some(answer))
                } else {
                    (
                        Attempt::Answered {
                            status,
                            retry_after: None,
                        }
                        .with_retry_after(&answer),
                        Some(answer),
                    )
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, status, "answer cut off");
                // The status came, the body did not: the request reached Trengo.
                (
                    Attempt::Lost,
                    Some(Answer {
                        status,
                        headers,
                        body: vec![],
                    }),
                )
            }
        }
    }

    /// Turns a final answer into a value, or the error it stands for.
    fn check(&self, req: &ApiRequest, a: Answer) -> Result<Answer> {
        if (200..300).contains(&a.status) {
            return Ok(a);
        }
        let text = String::from_utf8_lossy(&a.body).into_owned();
        let path = req.path.clone();
        if (300..400).contains(&a.status) {
            let to = a
                .headers
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(no Location given)");
            return Err(Error::Http {
                status: a.status,
                path,
                message: format!(
                    "Trengo's address redirects ({} to {}); no redirect is followed, as a redirected change would be lost. Check the API address: use the one it leads to if that is Trengo's",
                    a.status,
                    crate::error::excerpt(to, 200)
                ),
                body: None,
            });
        }
        let (message, fields) = message_of(&text, a.status);
        let body = (!text.is_empty()).then(|| excerpt(&text, 2_000));
        Err(match a.status {
            401 => Error::Unauthorized { message },
            403 => Error::Forbidden { message },
            404 => Error::NotFound { path, message },
            422 => Error::Validation { message, fields },
            429 => Error::RateLimited {
                retry_after: retry_after(&a.headers, chrono::Utc::now().timestamp()),
                attempts: self.inner.retry.max_429_attempts,
            },
            502..=504 if !req.idempotent => Error::UnknownOutcome {
                method: req.method.to_string(),
                path,
                reason: format!("Trengo's gateway answered {}", a.status),
            },
            s @ 500..=599 => Error::Server {
                status: s,
                path,
                message,
                body,
            },
            s => Error::Http {
                status: s,
                path,
                message,
                body,
            },
        })
    }

    /// Sends and decodes a JSON answer; single objects may come wrapped in `{"data": …}` or bare.
    pub async fn call<T: DeserializeOwned>(&self, req: ApiRequest) -> Result<T> {
        let a = self.execute_inner(&req).await?;
        let a = self.check(&req, a)?;
        self.decode(&req, a.status, &a.body)
    }

    /// A write whose answer may be the updated object or an empty body: `None` then (or when the
    /// body is unreadable: the change itself succeeded).
    pub async fn call_write<T: DeserializeOwned>(&self, req: ApiRequest) -> Result<Option<T>> {
        let a = self.execute_inner(&req).await?;
        let a = self.check(&req, a)?;
        if a.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        match self.decode(&req, a.status, &a.body) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                tracing::warn!(path = req.template, error = %e, "write succeeded; its answer was not readable");
                Ok(None)
            }
        }
    }

    /// A write whose answer the caller needs (the id of what it created).
    pub async fn call_create<T: DeserializeOwned>(&self, req: ApiRequest) -> Result<T> {
        let a = self.execute_inner(&req).await?;
        let a = self.check(&req, a)?;
        self.decode(&req, a.status, &a.body).map_err(|e| match e {
            Error::Decode {
                path,
                status,
                message,
                excerpt,
            } => Error::Decode {
                path,
                status,
                message: format!("the change was applied, but {message}"),
                excerpt,
            },
            e => e,
        })
    }

    /// One page of a list.
    pub async fn page<T: DeserializeOwned>(
        &self,
        template: &'static str,
        path: &str,
        query: &[(String, String)],
        page: u64,
    ) -> Result<ListPage<T>> {
        let mut q = query.to_vec();
        q.retain(|(k, _)| k != "page");
        q.push(("page".into(), page.to_string()));
        let req = ApiRequest::get(template, path).query(q);
        let a = self.execute_inner(&req).await?;
        let a = self.check(&req, a)?;
        let tz = self.clock().tz();
        crate::de::with_zone(tz, || {
            serde_json::from_slice(&a.body).map_err(|e| decode_error(&req, a.status, &a.body, &e))
        })
    }

    /// Every item of a list, page by page, until `links.next` is null (never relying on `total`).
    /// The next page is asked for with the same query and `page + 1`: Trengo's links drop filters.
    pub fn paginate<T: DeserializeOwned + Send + 'static>(
        &self,
        template: &'static str,
        path: impl Into<String>,
        query: Vec<(String, String)>,
    ) -> impl Stream<Item = Result<T>> + Send + 'static {
        let client = self.clone();
        let path = path.into();
        futures::stream::try_unfold(Some(1u64), move |page| {
            let client = client.clone();
            let path = path.clone();
            let query = query.clone();
            async move {
                let Some(p) = page else { return Ok(None) };
                let pg: ListPage<T> = client.page(template, &path, &query, p).await?;
                let next = pg.next_page(p);
                Ok(Some((
                    futures::stream::iter(pg.data.into_iter().map(Ok)),
                    next,
                )))
            }
        })
        .try_flatten()
    }

    /// The proxy: any call to Trengo by method, path (below the base URL), query and JSON body,
    /// paced, retried and logged like every other. Any status Trengo answers is returned as data.
    /// POST is treated as not idempotent (it is not repeated once it may have arrived).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        query: Vec<(String, String)>,
        body: Option<Value>,
    ) -> Result<RawResponse> {
        let path = check_path(&self.inner.base, path)?;
        let idempotent = method != Method::POST && method != Method::PATCH;
        let req = ApiRequest {
            method,
            template: "(proxy)",
            path,
            query,
            body,
            idempotent,
            expect_json: false,
        };
        let a = self.execute_inner(&req).await?;
        let body = if a.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&a.body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&a.body).into_owned()))
        };
        let headers = a
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        Ok(RawResponse {
            status: a.status,
            headers,
            body,
        })
    }
}

impl Attempt {
    fn with_retry_after(self, a: &Answer) -> Attempt {
        match self {
            Attempt::Answered { status: 429, .. } => Attempt::Answered {
                status: 429,
                retry_after: retry_after(&a.headers, chrono::Utc::now().timestamp()),
            },
            other => other,
        }
    }
}

fn decode_error(req: &ApiRequest, status: u16, body: &[u8], e: &serde_json::Error) -> Error {
    Error::Decode {
        path: req.path.clone(),
        status,
        message: format!("the answer is not the JSON expected ({e})"),
        excerpt: excerpt(&String::from_utf8_lossy(body), 160),
    }
}

fn decode<T: DeserializeOwned>(req: &ApiRequest, status: u16, body: &[u8]) -> Result<T> {
    let v: Value = serde_json::from_slice(body).map_err(|e| decode_error(req, status, body, &e))?;
    serde_json::from_value(crate::de::unwrap_data(v))
        .map_err(|e| decode_error(req, status, body, &e))
}

mod clock;

#[cfg(test)]
mod tests;
