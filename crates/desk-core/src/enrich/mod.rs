//! Enrichment: pasted customer ids → lookups in the company's own system → Trengo contact fields.
//!
//! - [`source`]: lookup sources (HTTP JSON with its own concurrency, pace, timeout and size cap;
//!   or a CSV file), saved per workspace, secret header values in the OS keyring.
//! - [`convert`]: mapping a lookup value onto a contact field, typed by the field's definition.
//! - Preview: per contact, each mapped field's current and new value, with every pasted id that
//!   could not be used and why. Apply: a durable job (the bulk engine) that writes only changed
//!   values, one request per field per contact, and can be undone.
//! - Streaming apply (`enrich_job`): the job is recorded with one item per matched contact; each
//!   item looks its customer up when its turn comes, so lookups overlap Trengo's writes.

pub mod convert;
pub mod source;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::Utc;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use trengo_unified::api::Lane;

pub use convert::{Mapping, Transform};
pub use source::{HeaderSpec, Lookup, LookupError, MatchBy, SourceConfig, SourceKind};

use crate::desk::Desk;
use crate::error::{Error, Result};
use crate::jobs::run::Expand;
use crate::jobs::{Action, ItemSeed, JobKind, JobView, LineProblem, NewJob, TicketState};
use crate::view::FieldDef;

/// The demo's lookup service key (the simulator's; not a secret anywhere else).
const DEMO_SOURCE: &str = "Demo customer system";

/// A pasted id that gives no contact change, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct IdIssue {
    pub line: u32,
    pub customer_id: String,
    /// `unmatched`, `ambiguous`, `lookup`, `invalid`.
    pub kind: String,
    pub reason: String,
}

/// One mapped field of one contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FieldChange {
    pub field_id: String,
    pub label: String,
    pub current: Option<String>,
    pub new: String,
    pub changed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PreviewRow {
    pub line: u32,
    pub customer_id: String,
    pub contact_id: String,
    pub contact_name: String,
    pub fields: Vec<FieldChange>,
}

/// What an enrichment would do, before anything is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct EnrichPreview {
    pub source: String,
    /// Distinct ids pasted.
    pub ids: u32,
    pub rows: Vec<PreviewRow>,
    pub issues: Vec<IdIssue>,
    /// Lines that are not ids of this source.
    pub problems: Vec<LineProblem>,
    pub duplicates: Vec<LineProblem>,
    /// Contacts with at least one change.
    pub contacts: u32,
    pub changes: u32,
    pub unchanged: u32,
    /// Trengo requests the apply needs (one per changed field).
    pub requests: u32,
    pub eta_secs: u32,
}

/// "Test with one id": the request's target, and each mapping's value or error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SourceTest {
    pub target: Option<String>,
    pub error: Option<String>,
    pub values: Vec<FieldChange>,
    pub errors: Vec<String>,
}

fn secret_key(workspace: &str, source: &str, header: &str) -> String {
    format!("lookup:{workspace}:{source}:{header}")
}

/// Contacts of the cache, indexed for matching.
struct ContactIndex {
    by_field: HashMap<String, Vec<u64>>,
    by_email: HashMap<String, Vec<u64>>,
    by_phone: HashMap<String, Vec<u64>>,
    /// id → (name, state (fields by id), synced_at)
    contacts: HashMap<u64, (String, TicketState, i64)>,
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn cached_state(c: &trengo_unified::Contact, fields: &[FieldDef]) -> TicketState {
    let mut out = BTreeMap::new();
    for (name, v) in &c.custom_fields {
        if let Some(f) = fields.iter().find(|f| &f.name == name) {
            let t = v.as_text();
            if !t.is_empty() {
                out.insert(f.id.clone(), t);
            }
        }
    }
    TicketState {
        fields: out,
        ..TicketState::default()
    }
}

/// Per contact: the field changes a lookup answer asks for, or the row's error.
fn changes_for(
    answer: &Value,
    cfg: &SourceConfig,
    defs: &HashMap<String, FieldDef>,
    current: &TicketState,
) -> std::result::Result<Vec<FieldChange>, String> {
    let mut out = vec![];
    let mut errors = vec![];
    for m in &cfg.mappings {
        let Some(f) = defs.get(&m.field_id) else {
            errors.push(format!("field {} is not a contact field here", m.field_id));
            continue;
        };
        match convert::convert(convert::at_path(answer, &m.from), m, f) {
            Ok(Some(new)) => {
                let cur = current.fields.get(&f.id).cloned();
                let changed = !convert::same_value(cur.as_deref(), &new, f);
                out.push(FieldChange {
                    field_id: f.id.clone(),
                    label: f.label.clone(),
                    current: cur,
                    new,
                    changed,
                });
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors.join("; "))
    }
}

/// The pasted ids a source can look up, with every line it cannot named; none at all is an error.
fn pasted_ids(cfg: &SourceConfig, text: &str) -> Result<convert::PastedCustomerIds> {
    let pattern = cfg
        .id_pattern
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .map_err(|e| Error::Invalid(format!("the source's id pattern is not valid: {e}")))?;
    let parsed = convert::parse_customer_ids(text, pattern.as_ref());
    if parsed.ids.is_empty() {
        return Err(Error::Invalid(match parsed.problems.first() {
            Some(p) => format!(
                "no customer ids were found: line {} {:?} {}",
                p.line, p.text, p.reason
            ),
            None => "no customer ids were pasted".into(),
        }));
    }
    Ok(parsed)
}

struct Expander {
    lookup: Lookup,
    cfg: SourceConfig,
    defs: HashMap<String, FieldDef>,
}

impl Expand for Expander {
    fn expand<'a>(
        &'a self,
        action: &'a Action,
        current: &'a TicketState,
    ) -> futures::future::BoxFuture<'a, std::result::Result<Vec<Action>, String>> {
        Box::pin(async move {
            let Action::Enrich { customer_id } = action else {
                return Ok(vec![action.clone()]);
            };
            let answer = self
                .lookup
                .get(customer_id)
                .await
                .map_err(|e| format!("{customer_id}: {e}"))?;
            let changes = changes_for(&answer, &self.cfg, &self.defs, current)
                .map_err(|e| format!("{customer_id}: {e}"))?;
            Ok(changes
                .into_iter()
                .filter(|c| c.changed)
                .map(|c| Action::SetField {
                    field_id: c.field_id,
                    value: c.new,
                })
                .collect())
        })
    }
}

/// The simulator's customer system (`/lookup`), mapped onto the seeded contact fields. Its key is
/// `trengo_sim::DEFAULT_LOOKUP_KEY`, kept as a secret like any other.
pub fn demo_source(root_url: &str) -> SourceConfig {
    let mappings = [
        ("customer.plan.name", "502"),
        ("customer.billing.mrr", "503"),
        ("customer.address.country", "504"),
        ("customer.signup_date", "505"),
        ("customer.account_manager.name", "506"),
        ("customer.vip", "507"),
    ]
    .iter()
    .map(|(from, field)| Mapping {
        from: from.to_string(),
        field_id: field.to_string(),
        transform: Transform {
            trim: true,
            ..Transform::default()
        },
    })
    .collect();
    SourceConfig {
        name: DEMO_SOURCE.into(),
        kind: SourceKind::Http {
            url: format!("{root_url}/lookup/customers/{{id}}"),
            headers: vec![HeaderSpec {
                name: "X-Api-Key".into(),
                value: None,
                secret: true,
            }],
            timeout_ms: 5_000,
            concurrency: 8,
            per_second: 0,
            max_bytes: 1_000_000,
        },
        id_pattern: Some("^C-[0-9]+$".into()),
        match_by: MatchBy::Field {
            field_id: "501".into(),
            email_path: Some("customer.email".into()),
        },
        mappings,
    }
}

impl Desk {
    fn source_secret(&self, source: &str, header: &str) -> Result<Option<String>> {
        Ok(self
            .secrets_store()
            .get(&secret_key(self.workspace(), source, header))?
            .map(|t| t.expose().to_string()))
    }

    /// Ready-made sources: the demo's customer system (in the demo), and a template to edit.
    pub fn source_presets(&self) -> Vec<SourceConfig> {
        let mut out = vec![];
        if let Some(sim) = self.demo_sim() {
            out.push(demo_source(&sim.root_url()));
        }
        out.push(SourceConfig {
            name: "My customer API".into(),
            kind: SourceKind::Http {
                url: "https://api.example.com/customers/{id}".into(),
                headers: vec![HeaderSpec {
                    name: "Authorization".into(),
                    value: None,
                    secret: true,
                }],
                timeout_ms: 10_000,
                concurrency: 4,
                per_second: 10,
                max_bytes: 1_000_000,
            },
            id_pattern: None,
            match_by: MatchBy::Field {
                field_id: String::new(),
                email_path: Some("email".into()),
            },
            mappings: vec![],
        });
        out
    }

    /// The saved sources (the demo's is there from the start in the demo workspace).
    pub async fn sources(&self) -> Result<Vec<SourceConfig>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT json FROM enrich_sources ORDER BY name COLLATE NOCASE")
                .fetch_all(self.cache().pool())
                .await?;
        let mut out: Vec<SourceConfig> = rows
            .into_iter()
            .filter_map(|(j,)| serde_json::from_str(&j).ok())
            .collect();
        if self.demo_sim().is_some() && !out.iter().any(|s| s.name == DEMO_SOURCE) {
            let demo = self.source_presets().remove(0);
            self.secrets_store().set(
                &secret_key(self.workspace(), DEMO_SOURCE, "X-Api-Key"),
                &trengo_unified::api::Token::new(trengo_sim::DEFAULT_LOOKUP_KEY),
            )?;
            out.insert(0, demo);
        }
        Ok(out)
    }

    pub async fn source(&self, name: &str) -> Result<SourceConfig> {
        self.sources()
            .await?
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "there is no lookup source {name:?} (trengo-desk-cli sources list)"
                ))
            })
    }

    async fn contact_fields(&self) -> Result<HashMap<String, FieldDef>> {
        Ok(self
            .directory()
            .await?
            .fields
            .into_iter()
            .filter(|f| f.entity_type == "contact")
            .map(|f| (f.id.clone(), f))
            .collect())
    }

    /// Checks and saves a source; `secrets` are secret header values (name, value), which go to
    /// the OS keyring.
    pub async fn save_source(
        &self,
        cfg: &SourceConfig,
        secrets: &[(String, String)],
    ) -> Result<()> {
        if cfg.name.trim().is_empty() {
            return Err(Error::Invalid("a source needs a name".into()));
        }
        if let Some(p) = &cfg.id_pattern {
            regex::Regex::new(p)
                .map_err(|e| Error::Invalid(format!("the id pattern {p:?} is not valid: {e}")))?;
        }
        let defs = self.contact_fields().await?;
        for m in &cfg.mappings {
            if !defs.contains_key(&m.field_id) {
                return Err(Error::Invalid(format!(
                    "mapping {:?}: there is no contact field with id {}",
                    m.from, m.field_id
                )));
            }
        }
        if let MatchBy::Field { field_id, .. } = &cfg.match_by {
            if !defs.contains_key(field_id) {
                return Err(Error::Invalid(format!(
                    "matching: there is no contact field with id {field_id:?}"
                )));
            }
        }
        let mut cfg = cfg.clone();
        let previous = self
            .sources()
            .await?
            .into_iter()
            .find(|s| s.name == cfg.name);
        // Where requests go: scheme, host and port (a secret must not follow a source elsewhere).
        let origin = |c: &SourceConfig| match &c.kind {
            SourceKind::Http { url, .. } => reqwest::Url::parse(&url.replace("{id}", "x"))
                .ok()
                .map(|u| u.origin().ascii_serialization()),
            SourceKind::Csv { .. } => None,
        };
        let new_origin = origin(&cfg).unwrap_or_default();
        let moved = previous.as_ref().is_some_and(|p| origin(p) != origin(&cfg));
        let mut secrets: Vec<(String, String)> = secrets.to_vec();
        let name = cfg.name.clone();
        match &mut cfg.kind {
            SourceKind::Http { url, headers, .. } => {
                source::url_for(url, "x")?;
                let local = source::is_this_machine(url);
                let plain = url.trim_start().to_ascii_lowercase().starts_with("http://");
                for h in headers.iter_mut() {
                    // A header that carries a credential is secret, whatever it was marked.
                    if !h.secret && source::is_credential(&h.name) {
                        h.secret = true;
                        if let Some(v) = h.value.take() {
                            secrets.push((h.name.clone(), v));
                        }
                    }
                }
                for h in headers.iter_mut().filter(|h| h.secret) {
                    if plain && !local {
                        return Err(Error::Invalid(format!(
                            "header {} is secret: it goes over https only (or to this machine), not in clear text to {url}",
                            h.name
                        )));
                    }
                    // A secret's value lives in the keyring only: one left inside the config
                    // is not kept, and not used either.
                    h.value = None;
                    match secrets
                        .iter()
                        .rev()
                        .find(|(n, _)| n.eq_ignore_ascii_case(&h.name))
                    {
                        Some((_, v)) if !v.is_empty() => self.secrets_store().set(
                            &secret_key(self.workspace(), &name, &h.name),
                            &trengo_unified::api::Token::new(v.clone()),
                        )?,
                        _ => {
                            if moved {
                                return Err(Error::Invalid(format!(
                                    "the source now points at another host ({new_origin}): give the value of header {} again",
                                    h.name
                                )));
                            }
                            // Only this source's own secret counts: one left in the keyring by
                            // a removed source of the same name is not inherited.
                            let own = previous.as_ref().is_some_and(|p| match &p.kind {
                                SourceKind::Http { headers, .. } => headers
                                    .iter()
                                    .any(|x| x.secret && x.name.eq_ignore_ascii_case(&h.name)),
                                SourceKind::Csv { .. } => false,
                            });
                            if !own || self.source_secret(&name, &h.name)?.is_none() {
                                return Err(Error::Invalid(format!(
                                    "header {} is secret: give its value",
                                    h.name
                                )));
                            }
                        }
                    }
                }
            }
            SourceKind::Csv { .. } => {
                Lookup::open(&cfg, |_| Ok(None))?;
            }
        }
        sqlx::query("INSERT INTO enrich_sources (name, json, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at")
            .bind(&cfg.name)
            .bind(serde_json::to_string(&cfg).unwrap_or_default())
            .bind(Utc::now().timestamp())
            .execute(self.cache().pool())
            .await?;
        Ok(())
    }

    /// Removes a source and its secret header values from the keyring.
    pub async fn remove_source(&self, name: &str) -> Result<()> {
        let cfg = self.source(name).await?;
        if let SourceKind::Http { headers, .. } = &cfg.kind {
            for h in headers.iter().filter(|h| h.secret) {
                self.secrets_store()
                    .delete(&secret_key(self.workspace(), &cfg.name, &h.name))?;
            }
        }
        sqlx::query("DELETE FROM enrich_sources WHERE name = ?")
            .bind(&cfg.name)
            .execute(self.cache().pool())
            .await?;
        Ok(())
    }

    fn open_lookup(&self, cfg: &SourceConfig) -> Result<Lookup> {
        Lookup::open(cfg, |h| self.source_secret(&cfg.name, h))
    }

    /// Looks one id up and shows what each mapping makes of it.
    pub async fn test_source(&self, name: &str, id: &str) -> Result<SourceTest> {
        let cfg = self.source(name).await?;
        let lookup = self.open_lookup(&cfg)?;
        let defs = self.contact_fields().await?;
        let target = lookup.target(id.trim());
        let answer = match lookup.get(id.trim()).await {
            Ok(a) => a,
            Err(e) => {
                return Ok(SourceTest {
                    target,
                    error: Some(e.to_string()),
                    values: vec![],
                    errors: vec![],
                })
            }
        };
        let mut values = vec![];
        let mut errors = vec![];
        for m in &cfg.mappings {
            let Some(f) = defs.get(&m.field_id) else {
                continue;
            };
            match convert::convert(convert::at_path(&answer, &m.from), m, f) {
                Ok(Some(v)) => values.push(FieldChange {
                    field_id: f.id.clone(),
                    label: f.label.clone(),
                    current: None,
                    new: v,
                    changed: true,
                }),
                Ok(None) => errors.push(format!("{}: no value at {}", f.label, m.from)),
                Err(e) => errors.push(e),
            }
        }
        Ok(SourceTest {
            target,
            error: None,
            values,
            errors,
        })
    }

    async fn contact_index(&self, cfg: &SourceConfig, defs: &[FieldDef]) -> Result<ContactIndex> {
        let rows: Vec<(i64, String, i64)> =
            sqlx::query_as("SELECT id, json, synced_at FROM contacts")
                .fetch_all(self.cache().pool())
                .await?;
        let key_field = match &cfg.match_by {
            MatchBy::Field { field_id, .. } => defs.iter().find(|f| &f.id == field_id),
            _ => None,
        };
        let mut ix = ContactIndex {
            by_field: HashMap::new(),
            by_email: HashMap::new(),
            by_phone: HashMap::new(),
            contacts: HashMap::new(),
        };
        for (id, json, synced) in rows {
            let Ok(c) = serde_json::from_str::<trengo_unified::Contact>(&json) else {
                continue;
            };
            let id = id as u64;
            if let Some(f) = key_field {
                if let Some(v) = c.custom_fields.get(&f.name) {
                    ix.by_field
                        .entry(v.as_text().trim().to_string())
                        .or_default()
                        .push(id);
                }
            }
            for e in &c.emails {
                ix.by_email
                    .entry(e.email.trim().to_lowercase())
                    .or_default()
                    .push(id);
            }
            for p in &c.phones {
                ix.by_phone.entry(digits(&p.number)).or_default().push(id);
            }
            let name = c.name.clone().unwrap_or_default();
            ix.contacts
                .insert(id, (name, cached_state(&c, defs), synced));
        }
        Ok(ix)
    }

    /// Contacts Trengo finds for a search term (for the fallback), checked by `keep`.
    async fn search_contacts(
        &self,
        term: &str,
    ) -> Result<Vec<trengo_unified::api::model::Contact>> {
        let c = self.unified()?.client().lane(Lane::Bulk);
        let page = c
            .contacts(Some(term), 1)
            .await
            .map_err(trengo_unified::Error::from)?;
        Ok(page.data)
    }

    /// Looks every pasted id up and shows, per contact, each mapped field's current and new value.
    /// Nothing is written.
    pub async fn enrich_preview(&self, source_name: &str, text: &str) -> Result<EnrichPreview> {
        let cfg = self.source(source_name).await?;
        let parsed = pasted_ids(&cfg, text)?;
        let lookup = self.open_lookup(&cfg)?;
        let defs_map = self.contact_fields().await?;
        let defs: Vec<FieldDef> = defs_map.values().cloned().collect();
        let ix = self.contact_index(&cfg, &defs).await?;
        let titles: HashMap<String, String> = defs
            .iter()
            .map(|f| (f.label.clone(), f.id.clone()))
            .collect();
        let conc = match &cfg.kind {
            SourceKind::Http { concurrency, .. } => (*concurrency).max(1) as usize,
            SourceKind::Csv { .. } => 64,
        };
        let answers: Vec<(u32, String, std::result::Result<Value, LookupError>)> =
            futures::stream::iter(parsed.ids.iter().cloned())
                .map(|(line, id)| {
                    let l = &lookup;
                    async move {
                        let r = l.get(&id).await;
                        (line, id, r)
                    }
                })
                .buffered(conc)
                .collect()
                .await;
        let mut rows = vec![];
        let mut issues = vec![];
        let mut seen_contacts: HashMap<u64, String> = HashMap::new();
        // Contacts found by Trengo's search (not in the cache): their name and fields.
        let mut fetched: HashMap<u64, (String, TicketState)> = HashMap::new();
        for (line, id, answer) in answers {
            let issue = |kind: &str, reason: String| IdIssue {
                line,
                customer_id: id.clone(),
                kind: kind.into(),
                reason,
            };
            let answer = match answer {
                Ok(a) => a,
                Err(e) => {
                    issues.push(issue("lookup", e.to_string()));
                    continue;
                }
            };
            // Which contact: never a guess.
            let candidates: Vec<u64> = match &cfg.match_by {
                MatchBy::Field { email_path, .. } => {
                    match ix.by_field.get(id.trim()) {
                        Some(c) => c.clone(),
                        None => {
                            // Trengo's search does not look into custom fields: search by the
                            // email the lookup gives, and keep contacts that carry this id.
                            let email = email_path
                                .as_deref()
                                .and_then(|p| convert::at_path(&answer, p))
                                .and_then(Value::as_str)
                                .map(str::to_string);
                            let mut found = vec![];
                            if let Some(e) = email {
                                for c in self.search_contacts(&e).await? {
                                    let st = TicketState::from_contact(&c, &titles);
                                    if let MatchBy::Field { field_id, .. } = &cfg.match_by {
                                        if st.fields.get(field_id).map(|v| v.trim())
                                            == Some(id.trim())
                                        {
                                            found.push(c.id);
                                            let name = c.name.clone().unwrap_or_default();
                                            fetched.insert(c.id, (name, st.clone()));
                                        }
                                    }
                                }
                            }
                            found
                        }
                    }
                }
                MatchBy::Email { path } | MatchBy::Phone { path } => {
                    let by_email = matches!(cfg.match_by, MatchBy::Email { .. });
                    match convert::at_path(&answer, path).and_then(Value::as_str) {
                        None => {
                            issues.push(issue(
                                "unmatched",
                                format!(
                                    "the lookup gives no {} at {path}",
                                    if by_email { "email" } else { "phone" }
                                ),
                            ));
                            continue;
                        }
                        Some(v) => {
                            let key = if by_email {
                                v.trim().to_lowercase()
                            } else {
                                digits(v)
                            };
                            let map = if by_email { &ix.by_email } else { &ix.by_phone };
                            match map.get(&key) {
                                Some(c) => c.clone(),
                                None => {
                                    let mut found = vec![];
                                    for c in self.search_contacts(v.trim()).await? {
                                        let same = if by_email {
                                            c.email.as_deref().map(|e| e.trim().to_lowercase())
                                                == Some(key.clone())
                                        } else {
                                            c.phone.as_deref().map(digits) == Some(key.clone())
                                        };
                                        if same {
                                            found.push(c.id);
                                            let st = TicketState::from_contact(&c, &titles);
                                            let name = c.name.clone().unwrap_or_default();
                                            fetched.insert(c.id, (name, st));
                                        }
                                    }
                                    found
                                }
                            }
                        }
                    }
                }
            };
            let contact = match candidates.as_slice() {
                [] => {
                    issues.push(issue("unmatched", "no Trengo contact has this id".into()));
                    continue;
                }
                [one] => *one,
                many => {
                    issues.push(issue(
                        "ambiguous",
                        format!(
                            "{} contacts match ({}); fix the duplicates in Trengo",
                            many.len(),
                            many.iter()
                                .map(|c| format!("#{c}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                    continue;
                }
            };
            if let Some(first) = seen_contacts.get(&contact) {
                issues.push(issue(
                    "ambiguous",
                    format!("contact #{contact} is also matched by {first}; used once"),
                ));
                continue;
            }
            seen_contacts.insert(contact, id.clone());
            let (name, current) = match (ix.contacts.get(&contact), fetched.get(&contact)) {
                (Some((n, s, _)), _) | (None, Some((n, s))) => (n.clone(), s.clone()),
                (None, None) => (String::new(), TicketState::default()),
            };
            match changes_for(&answer, &cfg, &defs_map, &current) {
                Ok(fields) => rows.push(PreviewRow {
                    line,
                    customer_id: id.clone(),
                    contact_id: contact.to_string(),
                    contact_name: name,
                    fields,
                }),
                Err(e) => issues.push(issue("invalid", e)),
            }
        }
        let changes: u32 = rows
            .iter()
            .map(|r| r.fields.iter().filter(|f| f.changed).count() as u32)
            .sum();
        let unchanged: u32 = rows
            .iter()
            .map(|r| r.fields.iter().filter(|f| !f.changed).count() as u32)
            .sum();
        let contacts = rows
            .iter()
            .filter(|r| r.fields.iter().any(|f| f.changed))
            .count() as u32;
        let eta = self.eta_secs(changes + contacts);
        issues.sort_by_key(|i| i.line);
        Ok(EnrichPreview {
            source: cfg.name,
            ids: parsed.ids.len() as u32,
            rows,
            issues,
            problems: parsed.problems,
            duplicates: parsed.duplicates,
            contacts,
            changes,
            unchanged,
            requests: changes,
            eta_secs: eta,
        })
    }

    /// Records the previewed changes as a job (only changed values; each contact is read fresh
    /// before it is written). Run it with [`Desk::run_job`].
    pub async fn apply_enrichment(&self, p: &EnrichPreview) -> Result<JobView> {
        let mut items = vec![];
        for r in &p.rows {
            let plan: Vec<Action> = r
                .fields
                .iter()
                .filter(|f| f.changed)
                .map(|f| Action::SetField {
                    field_id: f.field_id.clone(),
                    value: f.new.clone(),
                })
                .collect();
            if plan.is_empty() {
                continue;
            }
            let id: u64 = r
                .contact_id
                .parse()
                .map_err(|_| Error::Invalid(format!("{:?} is not a contact id", r.contact_id)))?;
            items.push(ItemSeed {
                target: id,
                plan,
                expect: None,
            });
        }
        if items.is_empty() {
            return Err(Error::Invalid(
                "nothing to change: every mapped value is already as the lookup says".into(),
            ));
        }
        let problems = p
            .issues
            .iter()
            .map(|i| LineProblem {
                line: i.line,
                text: i.customer_id.clone(),
                reason: i.reason.clone(),
            })
            .chain(p.problems.iter().cloned())
            .collect();
        let n = items.len();
        let id = self
            .job_store()
            .create(NewJob {
                kind: JobKind::Enrich,
                title: format!("Enrich contacts from {}", p.source),
                actions: vec![],
                selection: format!("{n} contacts from {} pasted ids", p.ids),
                problems,
                undo_of: None,
                source: None,
                page_plan: None,
                items,
            })
            .await?;
        self.job_store().view(id).await
    }

    /// Records an enrichment job straight from pasted ids: one item per contact the cache
    /// matches by the source's id field; each looks its customer up when it runs, so lookups
    /// overlap Trengo's writes. Ids the cache cannot match are listed with the job.
    pub async fn enrich_job(&self, source_name: &str, text: &str) -> Result<JobView> {
        let cfg = self.source(source_name).await?;
        if !matches!(cfg.match_by, MatchBy::Field { .. }) {
            return Err(Error::Invalid(
                "this source matches contacts by what the lookup returns: preview first, then apply".into(),
            ));
        }
        let parsed = pasted_ids(&cfg, text)?;
        let defs: Vec<FieldDef> = self.contact_fields().await?.into_values().collect();
        let ix = self.contact_index(&cfg, &defs).await?;
        let mut items = vec![];
        let mut problems = parsed.problems.clone();
        let mut used = HashMap::new();
        for (line, id) in &parsed.ids {
            let why = match ix.by_field.get(id.trim()).map(Vec::as_slice) {
                None | Some([]) => Some(
                    "no contact in the cache has this id (preview searches Trengo too)".to_string(),
                ),
                Some([one]) => {
                    if let Some(first) = used.get(one) {
                        Some(format!(
                            "contact #{one} is also matched by {first}; used once"
                        ))
                    } else {
                        used.insert(*one, id.clone());
                        items.push(ItemSeed {
                            target: *one,
                            plan: vec![Action::Enrich {
                                customer_id: id.clone(),
                            }],
                            expect: None,
                        });
                        None
                    }
                }
                Some(many) => Some(format!(
                    "{} contacts have this id; fix the duplicates in Trengo",
                    many.len()
                )),
            };
            if let Some(reason) = why {
                problems.push(LineProblem {
                    line: *line,
                    text: id.clone(),
                    reason,
                });
            }
        }
        if items.is_empty() {
            return Err(Error::Invalid(
                "no pasted id matches a contact in the cache".into(),
            ));
        }
        problems.sort_by_key(|p| p.line);
        let n = items.len();
        let id = self
            .job_store()
            .create(NewJob {
                kind: JobKind::Enrich,
                title: format!("Enrich contacts from {}", cfg.name),
                actions: vec![],
                selection: format!("{n} contacts from {} pasted ids", parsed.ids.len()),
                problems,
                undo_of: None,
                source: Some(cfg.name.clone()),
                page_plan: None,
                items,
            })
            .await?;
        self.job_store().view(id).await
    }

    /// The lookup an enrichment job's items need, if it is one.
    pub(crate) async fn expander_for(&self, job: i64) -> Result<Option<Arc<dyn Expand>>> {
        let source: Option<String> = sqlx::query_scalar("SELECT source FROM jobs WHERE id = ?")
            .bind(job)
            .fetch_optional(self.cache().pool())
            .await?
            .flatten();
        let Some(name) = source else {
            return Ok(None);
        };
        let cfg = self.source(&name).await?;
        let lookup = self.open_lookup(&cfg)?;
        Ok(Some(Arc::new(Expander {
            lookup,
            cfg,
            defs: self.contact_fields().await?,
        })))
    }

    /// A job's items as CSV: ticket or contact, state, what was done, and why not.
    pub async fn job_report_csv(&self, id: u32) -> Result<String> {
        let items = self.job_items(id, None).await?;
        let esc = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut out = String::from("id,state,changes,reason,requests\n");
        for i in items {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                esc(&i.ticket_id),
                esc(i.state.as_str()),
                esc(&i.steps.join("; ")),
                esc(i.reason.as_deref().unwrap_or("")),
                i.requests
            ));
        }
        Ok(out)
    }
}
