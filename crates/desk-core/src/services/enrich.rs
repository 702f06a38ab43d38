//! The enrichment service: lookup sources saved per workspace (their secrets in the keyring),
//! previews of what pasted ids would change, and the jobs that write it.

use crate::context::Context;
use crate::enrich::*;
use crate::error::{Error, Result};
use crate::jobs::{Action, ItemSeed, JobKind, JobView, LineProblem, NewJob, TicketState};
use crate::view::FieldDef;
use chrono::Utc;
use futures::StreamExt;
use serde_json::Value;
use std::collections::HashMap;
use trengo_unified::api::Lane;

/// Enrichment: lookup sources, previews and the jobs that write what they found.
pub struct Enrich<'a> {
    cx: &'a Context,
}

impl<'a> Enrich<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Enrich { cx }
    }

    fn source_secret(&self, source: &str, header: &str) -> Result<Option<String>> {
        Ok(self
            .cx
            .secrets_store()
            .get(&secret_key(&self.cx.workspace, source, header))?
            .map(|t| t.expose().to_string()))
    }

    /// Ready-made sources: the demo's customer system (in the demo), and a template to edit.
    pub fn presets(&self) -> Vec<SourceConfig> {
        let mut out = vec![];
        if let Some(sim) = self.cx.demo_sim() {
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
                .fetch_all(self.cx.cache().pool())
                .await?;
        let mut out: Vec<SourceConfig> = rows
            .into_iter()
            .filter_map(|(j,)| serde_json::from_str(&j).ok())
            .collect();
        if self.cx.demo_sim().is_some() && !out.iter().any(|s| s.name == DEMO_SOURCE) {
            let demo = self.presets().remove(0);
            self.cx.secrets_store().set(
                &secret_key(&self.cx.workspace, DEMO_SOURCE, "X-Api-Key"),
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
        Ok(super::Directory::new(self.cx)
            .lists()
            .await?
            .fields
            .into_iter()
            .filter(|f| f.entity_type == "contact")
            .map(|f| (f.id.to_string(), f))
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
        if let SourceKind::Csv { path, .. } = &mut cfg.kind {
            // Kept absolute: the app and a CLI started elsewhere read the same file.
            let p = std::path::Path::new(path.trim());
            if p.is_relative() {
                *path = std::env::current_dir()?
                    .join(p)
                    .to_string_lossy()
                    .into_owned();
            }
        }
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
                source::check_url(url, &self.hosts_allowed().await?)?;
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
                        Some((_, v)) if !v.is_empty() => self.cx.secrets_store().set(
                            &secret_key(&self.cx.workspace, &name, &h.name),
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
                Lookup::open(&cfg, |_| Ok(None), &[])?;
            }
        }
        sqlx::query("INSERT INTO enrich_sources (name, json, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at")
            .bind(&cfg.name)
            .bind(serde_json::to_string(&cfg).unwrap_or_default())
            .bind(Utc::now().timestamp())
            .execute(self.cx.cache().pool())
            .await?;
        Ok(())
    }

    /// Removes every source's secret header values from the keyring (the sources stay, and ask
    /// for them again); how many were removed.
    pub async fn forget_lookup_secrets(&self) -> Result<usize> {
        let mut n = 0;
        for cfg in self.sources().await? {
            if let SourceKind::Http { headers, .. } = &cfg.kind {
                for h in headers.iter().filter(|h| h.secret) {
                    self.cx.secrets_store().delete(&secret_key(
                        &self.cx.workspace,
                        &cfg.name,
                        &h.name,
                    ))?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// How many lookup secrets this workspace keeps in the keyring (what sign-out may remove).
    pub async fn lookup_secret_count(&self) -> Result<usize> {
        Ok(self
            .sources()
            .await?
            .iter()
            .map(|c| match &c.kind {
                SourceKind::Http { headers, .. } => headers.iter().filter(|h| h.secret).count(),
                SourceKind::Csv { .. } => 0,
            })
            .sum())
    }

    /// Removes a source and its secret header values from the keyring.
    pub async fn remove_source(&self, name: &str) -> Result<()> {
        let cfg = self.source(name).await?;
        if let SourceKind::Http { headers, .. } = &cfg.kind {
            for h in headers.iter().filter(|h| h.secret) {
                self.cx.secrets_store().delete(&secret_key(
                    &self.cx.workspace,
                    &cfg.name,
                    &h.name,
                ))?;
            }
        }
        sqlx::query("DELETE FROM enrich_sources WHERE name = ?")
            .bind(&cfg.name)
            .execute(self.cx.cache().pool())
            .await?;
        Ok(())
    }

    async fn open_lookup(&self, cfg: &SourceConfig) -> Result<Lookup> {
        let allowed = self.hosts_allowed().await?;
        Lookup::open(cfg, |h| self.source_secret(&cfg.name, h), &allowed)
    }

    /// The hosts on this machine or a private network that lookups may reach (`host:port`, or
    /// `host` for any port): none until the lead allows one.
    pub async fn hosts_allowed(&self) -> Result<Vec<String>> {
        Ok(self
            .cx
            .cache()
            .setting::<Vec<String>>(LOOKUP_HOSTS_KEY)
            .await?
            .unwrap_or_default())
    }

    /// Lets lookups reach a host on this machine or a private network: `host:port`, `host`, or
    /// a URL (its host and port). Returns the entry as kept.
    pub async fn allow_host(&self, host: &str) -> Result<String> {
        let raw = host.trim();
        let entry = match reqwest::Url::parse(&raw.replace("{id}", "x")) {
            Ok(u) if u.host_str().is_some() && matches!(u.scheme(), "http" | "https") => {
                source::host_port(&u)
            }
            _ => raw.to_ascii_lowercase(),
        };
        let ok = !entry.is_empty()
            && entry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
        if !ok {
            return Err(Error::Invalid(format!(
                "{raw:?} is not a host: write host:port (e.g. 10.0.0.5:8080) or a URL"
            )));
        }
        let mut list = self.hosts_allowed().await?;
        if !list.contains(&entry) {
            list.push(entry.clone());
            self.cx.cache().set_setting(LOOKUP_HOSTS_KEY, &list).await?;
        }
        Ok(entry)
    }

    /// Looks one id up and shows what each mapping makes of it.
    pub async fn test_source(&self, name: &str, id: &str) -> Result<SourceTest> {
        let cfg = self.source(name).await?;
        let lookup = self.open_lookup(&cfg).await?;
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
                    field_id: f.id.to_string(),
                    label: f.label.clone(),
                    current: None,
                    new: v,
                    changed: true,
                    error: None,
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

    /// Contacts Trengo finds for a search term (for the fallback), checked by `keep`.
    async fn search_contacts(
        &self,
        term: &str,
    ) -> Result<Vec<trengo_unified::api::model::Contact>> {
        let c = self.cx.unified()?.client().lane(Lane::Bulk);
        let page = c
            .contacts(Some(term), 1)
            .await
            .map_err(trengo_unified::Error::from)?;
        // What Trengo showed goes into the index too.
        let dir = self.cx.cache().directory().await?;
        let now = Utc::now().timestamp();
        let mut tx = self.cx.cache().pool().begin().await?;
        for x in &page.data {
            crate::cache::Cache::put_contact(
                &mut tx,
                &trengo_unified::mapping::contact(x, &dir, false),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(page.data)
    }

    /// The contacts a looked-up customer is: by the source's contact field (or the email or
    /// phone the lookup gives) in the contact index; a contact the index lacks is searched in
    /// Trengo by the email the lookup gives (its search does not look into custom fields), kept
    /// only if it carries the id, and added to the index. `Err` says why there is nothing to look
    /// for.
    async fn match_contact(
        &self,
        cfg: &SourceConfig,
        id: &str,
        answer: &Value,
        defs: &HashMap<String, FieldDef>,
        titles: &HashMap<String, String>,
    ) -> Result<std::result::Result<Vec<u64>, String>> {
        let as_ids = |v: Vec<i64>| v.into_iter().map(|c| c as u64).collect::<Vec<u64>>();
        match &cfg.match_by {
            MatchBy::Field {
                field_id,
                email_path,
            } => {
                let Some(f) = defs.get(field_id) else {
                    return Ok(Err(format!("field {field_id} is not a contact field here")));
                };
                let found = as_ids(self.cx.cache().contacts_by_field(&f.name, id).await?);
                if !found.is_empty() {
                    return Ok(Ok(found));
                }
                let email = email_path
                    .as_deref()
                    .and_then(|p| convert::at_path(answer, p))
                    .and_then(Value::as_str);
                let mut found = vec![];
                if let Some(e) = email {
                    for c in self.search_contacts(e).await? {
                        let st = TicketState::from_contact(&c, titles);
                        if st.fields.get(field_id).map(|v| v.trim().to_lowercase())
                            == Some(id.trim().to_lowercase())
                        {
                            found.push(c.id);
                        }
                    }
                }
                Ok(Ok(found))
            }
            MatchBy::Email { path } | MatchBy::Phone { path } => {
                let by_email = matches!(cfg.match_by, MatchBy::Email { .. });
                let Some(v) = convert::at_path(answer, path).and_then(Value::as_str) else {
                    return Ok(Err(format!(
                        "the lookup gives no {} at {path}",
                        if by_email { "email" } else { "phone" }
                    )));
                };
                let key = if by_email {
                    v.trim().to_lowercase()
                } else {
                    digits(v)
                };
                let found = if by_email {
                    self.cx
                        .cache()
                        .contacts_by_address(Some(&key), None)
                        .await?
                } else {
                    self.cx
                        .cache()
                        .contacts_by_address(None, Some(&key))
                        .await?
                };
                if !found.is_empty() {
                    return Ok(Ok(as_ids(found)));
                }
                let mut found = vec![];
                for c in self.search_contacts(v.trim()).await? {
                    let same = if by_email {
                        c.email.as_deref().map(|e| e.trim().to_lowercase()) == Some(key.clone())
                    } else {
                        c.phone.as_deref().map(digits) == Some(key.clone())
                    };
                    if same {
                        found.push(c.id);
                    }
                }
                Ok(Ok(found))
            }
        }
    }

    /// Looks every pasted id up and shows, per contact, each mapped field's current and new value.
    /// Nothing is written.
    pub async fn preview(&self, source_name: &str, text: &str) -> Result<EnrichPreview> {
        let cfg = self.source(source_name).await?;
        let parsed = pasted_ids(&cfg, text)?;
        let lookup = self.open_lookup(&cfg).await?;
        let defs_map = self.contact_fields().await?;
        let defs: Vec<FieldDef> = defs_map.values().cloned().collect();
        let index = super::Syncer::new(self.cx).contact_index().await?;
        let titles: HashMap<String, String> = defs
            .iter()
            .map(|f| (f.label.clone(), f.id.to_string()))
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
        for (line, id, answer) in answers {
            let issue = |kind: IssueKind, field: Option<String>, reason: String| IdIssue {
                line,
                customer_id: id.clone(),
                kind,
                field,
                reason,
            };
            let answer = match answer {
                Ok(a) => a,
                Err(e) => {
                    issues.push(issue(IssueKind::Lookup, None, e.to_string()));
                    continue;
                }
            };
            // Which contact: never a guess.
            let candidates = match self
                .match_contact(&cfg, &id, &answer, &defs_map, &titles)
                .await?
            {
                Ok(c) => c,
                Err(why) => {
                    issues.push(issue(IssueKind::Unmatched, None, why));
                    continue;
                }
            };
            let contact = match one_contact(&candidates, &index) {
                Ok(c) => c,
                Err((kind, why)) => {
                    issues.push(issue(kind, None, why));
                    continue;
                }
            };
            if let Some(first) = seen_contacts.get(&contact) {
                issues.push(issue(
                    IssueKind::Ambiguous,
                    None,
                    format!("contact #{contact} is also matched by {first}; used once"),
                ));
                continue;
            }
            seen_contacts.insert(contact, id.clone());
            let (name, current) = match self.cx.cache().contact(&contact.to_string()).await? {
                Some(c) => (c.name.clone().unwrap_or_default(), cached_state(&c, &defs)),
                None => (String::new(), TicketState::default()),
            };
            let fields = changes_for(&answer, &cfg, &defs_map, &current);
            for f in fields.iter().filter(|f| f.error.is_some()) {
                issues.push(issue(
                    IssueKind::Invalid,
                    Some(f.label.clone()),
                    format!(
                        "{}: {}; the contact's other fields are still written",
                        f.label,
                        f.error.clone().unwrap_or_default()
                    ),
                ));
            }
            rows.push(PreviewRow {
                line,
                customer_id: id.clone(),
                contact_id: contact.into(),
                contact_name: name,
                fields,
            });
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
        let requests = changes + contacts;
        let eta = self.cx.eta_secs(requests);
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
            requests,
            eta_secs: eta,
            index,
        })
    }

    /// One contact, from the ticket panel: its customer id (the source's match field) looked up,
    /// and each mapped field's current and new value. Apply it with [`Desk::apply_enrichment`].
    pub async fn contact(&self, source_name: &str, contact_id: &str) -> Result<EnrichPreview> {
        let cfg = self.source(source_name).await?;
        let MatchBy::Field { field_id, .. } = &cfg.match_by else {
            return Err(Error::Invalid(format!(
                "{source_name} finds contacts by the email or phone its lookup gives: paste customer ids in Enrich instead"
            )));
        };
        let defs = self.contact_fields().await?;
        let f = defs.get(field_id).ok_or_else(|| {
            Error::Invalid(format!("field {field_id} is not a contact field here"))
        })?;
        let c = self.cx.cache().contact(contact_id).await?.ok_or_else(|| {
            Error::NotFound(format!("contact {contact_id} is not in the local cache"))
        })?;
        let id = c
            .custom_fields
            .get(&f.name)
            .map(|v| v.as_text())
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "{} has no {} to look up",
                    c.name
                        .clone()
                        .unwrap_or_else(|| format!("contact {contact_id}")),
                    f.label
                ))
            })?;
        let p = self.preview(source_name, &id).await?;
        if let Some(i) = p.issues.iter().find(|i| i.field.is_none()) {
            return Err(Error::NotFound(format!("{}: {}", i.customer_id, i.reason)));
        }
        Ok(p)
    }

    /// Records the previewed changes as a job (only changed values; each contact is read fresh
    /// before it is written). Run it with [`Desk::run_job`].
    pub async fn apply(&self, p: &EnrichPreview) -> Result<JobView> {
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
            .cx
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
                guard: None,
                items,
            })
            .await?;
        self.cx.job_store().view(id).await
    }

    /// A job's items as CSV (through the `csv` crate; no cell a spreadsheet would run).
    pub async fn report_csv(&self, id: u32) -> Result<String> {
        let items = super::Jobs::new(self.cx).items(id, None).await?;
        let mut rows = vec![vec![
            "id".to_string(),
            "state".into(),
            "changes".into(),
            "reason".into(),
            "requests".into(),
        ]];
        for i in items {
            rows.push(vec![
                i.ticket_id,
                i.state.as_str().into(),
                i.steps.join("; "),
                i.reason.unwrap_or_default(),
                i.requests.to_string(),
            ]);
        }
        Ok(source::write_csv(&rows))
    }

    /// Writes a job's report (CSV) to the Downloads folder (else home); returns where.
    pub async fn save_report(&self, id: u32) -> Result<std::path::PathBuf> {
        let csv = self.report_csv(id).await?;
        crate::files::save_download(&format!("trengo-desk-job-{id}"), "csv", csv.as_bytes())
    }
}

/// The one contact an id matched, or why there is not one: none (said only once the index is
/// complete), or several (never a guess).
fn one_contact(
    candidates: &[u64],
    index: &crate::sync::ContactIndex,
) -> std::result::Result<u64, (IssueKind, String)> {
    match candidates {
        [] if index.complete => Err((
            IssueKind::Unmatched,
            format!(
                "no Trengo contact has this id (all {} contacts are indexed)",
                index.total.unwrap_or(index.indexed)
            ),
        )),
        [] => Err((IssueKind::NotIndexed, not_indexed(index))),
        [one] => Ok(*one),
        many => Err((
            IssueKind::Ambiguous,
            format!(
                "{} contacts match ({}); fix the duplicates in Trengo",
                many.len(),
                many.iter()
                    .map(|c| format!("#{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}
