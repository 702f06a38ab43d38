//! Lookup sources: the company's own customer system over HTTP (JSON), or a CSV file.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::values::Mapping;

/// How a pasted id finds its Trengo contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum MatchBy {
    /// A contact field holds the customer id (e.g. "Customer ID"): the cache first, then
    /// Trengo's search by the email the lookup returns.
    Field {
        field_id: String,
        /// Where the lookup answer has the customer's email, for the fallback search.
        email_path: Option<String>,
    },
    /// The email the lookup returns (a path into its answer).
    Email { path: String },
    /// The phone number the lookup returns.
    Phone { path: String },
}

/// An HTTP header of a source; a secret value lives in the OS keyring, never in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HeaderSpec {
    pub name: String,
    /// The value of a header that is not secret.
    pub value: Option<String>,
    pub secret: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SourceKind {
    Http {
        /// With `{id}`, which is always sent percent-encoded as one path segment or query value.
        url: String,
        headers: Vec<HeaderSpec>,
        timeout_ms: u32,
        concurrency: u32,
        /// Lookups per second at most (0: no limit).
        per_second: u32,
        /// Answers larger than this are refused.
        max_bytes: u32,
    },
    Csv {
        path: String,
        key_column: String,
    },
}

/// A lookup source, saved per workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SourceConfig {
    pub name: String,
    pub kind: SourceKind,
    /// A regular expression every pasted id must match, e.g. `^C-[0-9]+$`.
    pub id_pattern: Option<String>,
    pub match_by: MatchBy,
    pub mappings: Vec<Mapping>,
}

/// Whether a header carries a credential (and so is kept as a secret, whatever it was marked).
pub fn is_credential(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase().replace('_', "-");
    matches!(
        n.as_str(),
        "authorization"
            | "proxy-authorization"
            | "cookie"
            | "x-api-key"
            | "apikey"
            | "api-key"
            | "key"
            | "sig"
            | "signature"
    ) || [
        "token", "secret", "password", "passwd", "api-key", "apikey", "auth",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Whether a URL (template) points at this machine: a loopback address or exactly `localhost`.
pub fn is_this_machine(url: &str) -> bool {
    match reqwest::Url::parse(&url.replace("{id}", "x")) {
        Ok(u) => match u.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(a)) => a.is_loopback(),
            Some(url::Host::Ipv6(a)) => a.is_loopback(),
            None => false,
        },
        Err(_) => false,
    }
}

/// What an address is, where a lookup may not go unless the lead allowed its host: this machine,
/// a private network, a link-local address (where cloud metadata services answer).
pub fn private_ip(ip: std::net::IpAddr) -> Option<&'static str> {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            if a.is_loopback() || a.is_unspecified() || o[0] == 0 {
                Some("this machine")
            } else if a.is_link_local() {
                Some("a link-local address (where cloud metadata answers)")
            } else if a.is_private() || (o[0] == 100 && (64..128).contains(&o[1])) {
                Some("a private network")
            } else if a.is_broadcast() || a.is_multicast() || o[0] >= 240 {
                Some("a broadcast or reserved address")
            } else {
                None
            }
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return private_ip(IpAddr::V4(v4));
            }
            let s = a.segments();
            if a.is_loopback() || a.is_unspecified() {
                Some("this machine")
            } else if s[0] & 0xffc0 == 0xfe80 {
                Some("a link-local address (where cloud metadata answers)")
            } else if s[0] & 0xfe00 == 0xfc00 {
                Some("a private network")
            } else if a.is_multicast() {
                Some("a broadcast or reserved address")
            } else {
                None
            }
        }
    }
}

/// `host:port` of a URL (the scheme's port where none is written).
pub fn host_port(u: &reqwest::Url) -> String {
    format!(
        "{}:{}",
        u.host_str().unwrap_or("").to_ascii_lowercase(),
        u.port_or_known_default().unwrap_or(0)
    )
}

/// Whether `host` (and `port`) is one the lead allowed: an entry `host:port`, or `host` for any
/// port.
pub fn host_allowed(allowed: &[String], host: &str, port: Option<u16>) -> bool {
    let host = host
        .trim_matches(|c| c == '[' || c == ']')
        .to_ascii_lowercase();
    allowed.iter().any(|a| {
        let a = a.trim().to_ascii_lowercase();
        // `host:port`, `[v6]:port`, or a host alone (a bare IPv6 address has no port).
        let bare_v6 = !a.starts_with('[') && a.matches(':').count() > 1;
        let (h, p) = match a.rsplit_once(':') {
            Some((h, p)) if !bare_v6 && p.chars().all(|c| c.is_ascii_digit()) => {
                (h.to_string(), p.parse::<u16>().ok())
            }
            _ => (a.clone(), None),
        };
        h.trim_matches(|c| c == '[' || c == ']') == host
            && (p.is_none() || port.is_none() || p == port)
    })
}

/// A lookup URL (template) as it may be used: http(s), no credentials in it (user and
/// password, or a query parameter named like a key or token: those go in a secret header), and
/// not at this machine, a private network or a link-local address unless the lead allowed that
/// host (`allowed`). A name that resolves to such an address is refused when it is looked up.
pub fn check_url(template: &str, allowed: &[String]) -> Result<()> {
    let u = reqwest::Url::parse(&template.replace("{id}", "x"))
        .map_err(|e| Error::Invalid(format!("the URL {template:?} is not valid: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(Error::Invalid(format!(
            "the URL {template:?} is not http(s)"
        )));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(Error::Invalid(
            "a lookup URL carries no user or password: put the credential in a secret header (kept in the OS keyring)".into(),
        ));
    }
    if let Some((k, _)) = u.query_pairs().find(|(k, _)| is_credential(k)) {
        return Err(Error::Invalid(format!(
            "the lookup URL carries a credential in its query ({k}=…): put it in a secret header (kept in the OS keyring)"
        )));
    }
    let port = u.port_or_known_default();
    let what = match u.host() {
        Some(url::Host::Ipv4(a)) => private_ip(a.into()).map(|w| (a.to_string(), w)),
        Some(url::Host::Ipv6(a)) => private_ip(a.into()).map(|w| (a.to_string(), w)),
        Some(url::Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            (d == "localhost" || d.ends_with(".localhost")).then_some((d, "this machine"))
        }
        None => None,
    };
    match what {
        Some((host, what)) if !host_allowed(allowed, &host, port) => Err(Error::Invalid(format!(
            "the lookup URL points at {what} ({host}): a lookup goes there only to a host you allow (trengo-desk-cli sources allow-host {}, or Allow in the Sources panel)",
            host_port(&u)
        ))),
        _ => Ok(()),
    }
}

/// Resolves a lookup host's name, and refuses one that leads to this machine, a private network
/// or a link-local address unless the lead allowed that host.
struct GuardedDns {
    allowed: Vec<String>,
}

impl reqwest::dns::Resolve for GuardedDns {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let allowed = host_allowed(&self.allowed, &host, None);
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allowed {
                if let Some((ip, what)) = addrs
                    .iter()
                    .find_map(|a| private_ip(a.ip()).map(|w| (a.ip(), w)))
                {
                    return Err(format!(
                        "{host} resolves to {what} ({ip}), where a lookup goes only to a host you allow"
                    )
                    .into());
                }
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Everything but unreserved characters is encoded, so an id is always one segment or value.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');

/// The URL for an id: `{id}` replaced by the percent-encoded id (dots too). The result must keep
/// the template's scheme, host, port and the path before `{id}`, so no id can change the target;
/// an id of only dots is refused (a URL parser reads `%2E%2E` as `..`).
pub fn url_for(template: &str, id: &str) -> Result<String> {
    if !template.contains("{id}") {
        return Err(Error::Invalid(format!(
            "the URL template {template:?} has no {{id}}"
        )));
    }
    if !id.is_empty() && id.chars().all(|c| c == '.') {
        return Err(Error::Invalid(format!("{id:?} is not a customer id")));
    }
    const MARK: &str = "zzidmarkzz";
    let base = reqwest::Url::parse(&template.replace("{id}", MARK))
        .map_err(|e| Error::Invalid(format!("the URL template {template:?} is not valid: {e}")))?;
    // Where {id} goes, as the parser writes the URL: after the host, in the path or the query.
    let prefix = base
        .as_str()
        .find(MARK)
        .map(|i| &base.as_str()[..i])
        .filter(|_| base.host_str().is_some_and(|h| !h.contains(MARK)))
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{{id}} must be in the path or the query of {template:?}"
            ))
        })?
        .to_string();
    let enc: String = utf8_percent_encode(id, SEGMENT)
        .to_string()
        .replace('.', "%2E");
    let out = template.replace("{id}", &enc);
    let u = reqwest::Url::parse(&out)
        .map_err(|e| Error::Invalid(format!("the id {id:?} makes no valid URL: {e}")))?;
    if !(u.scheme() == base.scheme()
        && u.host_str() == base.host_str()
        && u.port_or_known_default() == base.port_or_known_default()
        && u.as_str().starts_with(&prefix))
    {
        return Err(Error::Invalid(format!(
            "the id {id:?} would change where the lookup goes"
        )));
    }
    Ok(out)
}

/// Why a lookup gave no record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    NotFound,
    Failed(String),
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupError::NotFound => write!(f, "not found in the lookup source"),
            LookupError::Failed(s) => write!(f, "{s}"),
        }
    }
}

/// A source ready to answer lookups.
pub enum Lookup {
    Http(HttpLookup),
    Csv(HashMap<String, Value>),
}

pub struct HttpLookup {
    client: reqwest::Client,
    template: String,
    headers: Vec<(String, String)>,
    max_bytes: usize,
    slots: Arc<tokio::sync::Semaphore>,
    pace: Option<tokio::sync::Mutex<(Duration, Instant)>>,
}

impl Lookup {
    /// Prepares a source; `secret` gives a secret header's value from the keyring; `allowed` are
    /// the hosts on this machine or a private network the lead allowed lookups to reach.
    pub fn open(
        cfg: &SourceConfig,
        secret: impl Fn(&str) -> Result<Option<String>>,
        allowed: &[String],
    ) -> Result<Lookup> {
        match &cfg.kind {
            SourceKind::Http {
                url,
                headers,
                timeout_ms,
                concurrency,
                per_second,
                max_bytes,
            } => {
                url_for(url, "x")?;
                check_url(url, allowed)?;
                let mut hs = vec![];
                for h in headers {
                    let v = if h.secret {
                        secret(&h.name)?.ok_or_else(|| {
                            Error::Invalid(format!(
                                "the secret for header {} of source {} is not in the keyring: add the source again",
                                h.name, cfg.name
                            ))
                        })?
                    } else {
                        h.value.clone().unwrap_or_default()
                    };
                    hs.push((h.name.clone(), v));
                }
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_millis((*timeout_ms).max(100) as u64))
                    .connect_timeout(Duration::from_secs(5))
                    .redirect(reqwest::redirect::Policy::none())
                    // Straight to the host: through a proxy, the proxy would resolve the name
                    // and the guard below could not see where it leads.
                    .no_proxy()
                    .dns_resolver(Arc::new(GuardedDns {
                        allowed: allowed.to_vec(),
                    }))
                    .build()
                    .map_err(|e| Error::Invalid(format!("the HTTP client could not start: {e}")))?;
                Ok(Lookup::Http(HttpLookup {
                    client,
                    template: url.clone(),
                    headers: hs,
                    max_bytes: (*max_bytes).max(1024) as usize,
                    slots: Arc::new(tokio::sync::Semaphore::new((*concurrency).max(1) as usize)),
                    pace: (*per_second > 0).then(|| {
                        tokio::sync::Mutex::new((
                            Duration::from_secs_f64(1.0 / *per_second as f64),
                            Instant::now(),
                        ))
                    }),
                }))
            }
            SourceKind::Csv { path, key_column } => {
                Ok(Lookup::Csv(csv_rows(&read_csv_file(path)?, key_column)?))
            }
        }
    }

    /// The record for an id.
    pub async fn get(&self, id: &str) -> std::result::Result<Value, LookupError> {
        match self {
            Lookup::Csv(rows) => rows.get(id).cloned().ok_or(LookupError::NotFound),
            Lookup::Http(h) => h.get(id).await,
        }
    }

    /// The request's target for an id (for tests and "test with one id").
    pub fn target(&self, id: &str) -> Option<String> {
        match self {
            Lookup::Http(h) => url_for(&h.template, id).ok(),
            Lookup::Csv(_) => None,
        }
    }
}

impl HttpLookup {
    async fn get(&self, id: &str) -> std::result::Result<Value, LookupError> {
        let url = url_for(&self.template, id).map_err(|e| LookupError::Failed(e.to_string()))?;
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| LookupError::Failed("the lookup was stopped".into()))?;
        if let Some(p) = &self.pace {
            let mut g = p.lock().await;
            let now = Instant::now();
            if g.1 > now {
                tokio::time::sleep_until(g.1.into()).await;
            }
            g.1 = g.1.max(now) + g.0;
        }
        let mut req = self.client.get(&url);
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let mut resp = req.send().await.map_err(|e| {
            LookupError::Failed(if e.is_timeout() {
                "the lookup did not answer in time".into()
            } else {
                format!("the lookup could not be reached ({})", short_error(e))
            })
        })?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(LookupError::NotFound);
        }
        if let Some(len) = resp.content_length() {
            if len as usize > self.max_bytes {
                return Err(LookupError::Failed(format!(
                    "the answer is {len} bytes, more than the source's cap of {} bytes",
                    self.max_bytes
                )));
            }
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if body.len() + c.len() > self.max_bytes {
                        return Err(LookupError::Failed(format!(
                            "the answer is more than the source's cap of {} bytes",
                            self.max_bytes
                        )));
                    }
                    body.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(LookupError::Failed(if e.is_timeout() {
                        "the lookup did not answer in time".into()
                    } else {
                        format!("the answer was cut off ({})", short_error(e))
                    }))
                }
            }
        }
        if !status.is_success() {
            return Err(LookupError::Failed(format!(
                "the lookup answered {}",
                status.as_u16()
            )));
        }
        serde_json::from_slice(&body).map_err(|_| {
            let start: String = String::from_utf8_lossy(&body[..body.len().min(40)])
                .chars()
                .filter(|c| !c.is_control())
                .collect();
            LookupError::Failed(format!("the answer is not JSON (it began {start:?})"))
        })
    }
}

fn short_error(e: reqwest::Error) -> String {
    // Never the URL: it may carry a customer id or a key in its query. The innermost cause says
    // what went wrong (refused, a name that resolves to a private address, …).
    let mut cause: &dyn std::error::Error = &e;
    while let Some(c) = cause.source() {
        cause = c;
    }
    let mut s = match cause.to_string() {
        c if c != e.to_string() => format!("{}: {c}", e.without_url()),
        _ => e.without_url().to_string(),
    };
    if s.len() > 200 {
        let cut = (0..=200)
            .rev()
            .find(|i| s.is_char_boundary(*i))
            .unwrap_or(0);
        s.truncate(cut);
    }
    s
}

/// The largest CSV file a source may be: a customer export, not a database dump.
pub const CSV_MAX_BYTES: u64 = 50 * 1024 * 1024;

/// Reads a source's CSV file: a regular file (not a device, a pipe or a folder) of at most
/// [`CSV_MAX_BYTES`], read no further than that whatever it says of its size. Errors name the
/// file and what is wrong, and quote none of its content.
pub fn read_csv_file(path: &str) -> Result<String> {
    use std::io::Read;
    let meta =
        std::fs::metadata(path).map_err(|e| Error::Invalid(format!("the CSV file {path}: {e}")))?;
    if !meta.is_file() {
        return Err(Error::Invalid(format!(
            "{path} is not a file (a folder, a device or a pipe): a source reads a CSV file"
        )));
    }
    if meta.len() > CSV_MAX_BYTES {
        return Err(Error::Invalid(format!(
            "the CSV file {path} is {} MB; a source may be at most {} MB",
            meta.len() / (1024 * 1024),
            CSV_MAX_BYTES / (1024 * 1024)
        )));
    }
    // Opened without waiting (a FIFO swapped in after the check above would block the open), and
    // checked again on what was opened.
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(0o4000); // O_NONBLOCK: regular files ignore it
    }
    let f = opts
        .open(path)
        .map_err(|e| Error::Invalid(format!("the CSV file {path}: {e}")))?;
    if !f.metadata().is_ok_and(|m| m.is_file()) {
        return Err(Error::Invalid(format!(
            "{path} is not a file (a folder, a device or a pipe): a source reads a CSV file"
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(CSV_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Invalid(format!("the CSV file {path}: {e}")))?;
    if bytes.len() as u64 > CSV_MAX_BYTES {
        return Err(Error::Invalid(format!(
            "the CSV file {path} is over {} MB; a source may be at most that",
            CSV_MAX_BYTES / (1024 * 1024)
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::Invalid(format!(
            "the CSV file {path} is not UTF-8 (byte {}): save it as \"CSV UTF-8\"",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// The delimiter of a CSV text: `;` when the header has more of them than commas (a spreadsheet
/// set to a language that writes decimal commas), else `,`.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let (mut commas, mut semis, mut quoted) = (0, 0, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semis += 1,
            _ => {}
        }
    }
    if semis > commas {
        b';'
    } else {
        b','
    }
}

/// Every record of a CSV text (RFC 4180 through the `csv` crate): a UTF-8 byte-order mark
/// (Excel's "CSV UTF-8") is dropped, quoted fields may hold the delimiter, quotes and line breaks,
/// and `;` separated files are read as such. An error names its line.
pub fn parse_csv(text: &str) -> std::result::Result<Vec<Vec<String>>, String> {
    Ok(records(text)?.into_iter().map(|(_, r)| r).collect())
}

/// The records with the line each begins on.
fn records(text: &str) -> std::result::Result<Vec<(u64, Vec<String>)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes());
    let mut rows = vec![];
    for rec in r.records() {
        let rec = rec.map_err(|e| match e.position() {
            Some(p) => format!("CSV line {}: {e}", p.line()),
            None => format!("CSV: {e}"),
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        rows.push((line, rec.iter().map(str::to_string).collect()));
    }
    Ok(rows)
}

/// Rows of a CSV file by their key column; each row is an object of column → text.
pub fn csv_rows(text: &str, key_column: &str) -> Result<HashMap<String, Value>> {
    let records = records(text).map_err(Error::Invalid)?;
    let mut it = records.into_iter();
    let (_, header) = it
        .next()
        .ok_or_else(|| Error::Invalid("the CSV file is empty".into()))?;
    let key = header
        .iter()
        .position(|h| h.trim() == key_column)
        .ok_or_else(|| {
            // The header is the file's own text: not quoted (the file may be anything).
            Error::Invalid(format!(
                "the CSV file has no column {key_column:?} in its first line ({} columns): check the key column's spelling against the file",
                header.len()
            ))
        })?;
    let mut out = HashMap::new();
    for (line, rec) in it {
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rec.len() != header.len() {
            return Err(Error::Invalid(format!(
                "CSV line {line}: {} columns, the header has {}",
                rec.len(),
                header.len()
            )));
        }
        let obj: serde_json::Map<String, Value> = header
            .iter()
            .zip(&rec)
            .map(|(h, v)| (h.trim().to_string(), Value::String(v.clone())))
            .collect();
        out.insert(rec[key].trim().to_string(), Value::Object(obj));
    }
    Ok(out)
}

/// A report cell a spreadsheet will not run: one that begins with `=`, `+`, `-`, `@` (or a tab
/// or carriage return) is prefixed with `'`.
pub fn safe_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// A CSV text from rows, through the `csv` crate, every cell made safe for spreadsheets.
pub fn write_csv(rows: &[Vec<String>]) -> String {
    let mut w = csv::Writer::from_writer(vec![]);
    for r in rows {
        let _ = w.write_record(r.iter().map(|c| safe_cell(c)));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_always_one_segment() {
        let t = "http://127.0.0.1:1/lookup/customers/{id}";
        assert_eq!(
            url_for(t, "../x?y#z").unwrap(),
            "http://127.0.0.1:1/lookup/customers/%2E%2E%2Fx%3Fy%23z"
        );
        assert_eq!(
            url_for(t, "C-1 2").unwrap(),
            "http://127.0.0.1:1/lookup/customers/C-1%202"
        );
        let u = reqwest::Url::parse(&url_for(t, "../../admin").unwrap()).unwrap();
        assert_eq!(u.path(), "/lookup/customers/%2E%2E%2F%2E%2E%2Fadmin");
        assert!(url_for("http://x/none", "1").is_err());
        assert!(url_for(t, "..").is_err() && url_for(t, ".").is_err());
        // {id} in the host would let an id choose the server.
        assert!(url_for("https://{id}/customers", "evil.com").is_err());
        assert_eq!(
            url_for("https://crm.example.com/api?customer={id}&x=1", "a&b=c").unwrap(),
            "https://crm.example.com/api?customer=a%26b%3Dc&x=1"
        );
    }

    #[test]
    fn csv_with_quotes_and_line_breaks() {
        let rows = csv_rows(
            "customer_id,plan,note\nC-1,Pro,\"says \"\"hi\"\"\"\n\"C-2\",Free,\"two\nlines\"\n",
            "customer_id",
        )
        .unwrap();
        assert_eq!(rows["C-1"]["note"], "says \"hi\"");
        assert_eq!(rows["C-2"]["note"], "two\nlines");
        assert!(csv_rows("a,b\n1\n", "a")
            .unwrap_err()
            .to_string()
            .contains("line 2"));
        assert!(csv_rows("a,b\n", "c").is_err());
    }

    #[test]
    fn csv_as_spreadsheets_write_it_and_reports_no_spreadsheet_runs() {
        // Byte-order mark, `;` separated, quoted separators and line breaks.
        let rows = parse_csv("\u{feff}id;name\r\n1;\"a; b\r\nc\"\r\n2;x\r\n").unwrap();
        assert_eq!(rows[0], vec!["id", "name"]);
        assert_eq!(rows[1], vec!["1", "a; b\r\nc"]);
        assert_eq!(rows.len(), 3);
        let e = parse_csv("a,b\n\"unclosed,1\n").map(|r| r.len());
        assert!(e.is_err() || e == Ok(2), "{e:?}");
        let out = write_csv(&[
            vec![
                "=HYPERLINK(\"x\")".into(),
                "+1".into(),
                "-2".into(),
                "@a".into(),
            ],
            vec![
                "plain, with comma".into(),
                "line\nbreak".into(),
                "ok".into(),
                "".into(),
            ],
        ]);
        let back = parse_csv(&out).unwrap();
        assert_eq!(back[0], vec!["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@a"]);
        assert_eq!(back[1][0], "plain, with comma");
        assert_eq!(back[1][1], "line\nbreak");
    }

    #[test]
    fn a_csv_file_over_the_cap_is_refused_with_its_size() {
        let dir = std::env::temp_dir().join(format!("csv-cap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("big.csv");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(CSV_MAX_BYTES + 1).unwrap();
        let e = read_csv_file(p.to_str().unwrap()).unwrap_err().to_string();
        assert!(e.contains("at most 50 MB"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
