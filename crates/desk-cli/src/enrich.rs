//! `enrich …` and `sources …`: contact fields from the company's own customer system.

use std::io::Read;

use clap::Subcommand;
use desk_core::enrich::{
    EnrichPreview, HeaderSpec, Mapping, MatchBy, SourceConfig, SourceKind, Transform,
};
use desk_core::{Desk, Error};

use crate::jobs::{confirm, run_job};
use crate::Out;

#[derive(clap::Args)]
pub struct AddSource {
    #[arg(long)]
    name: String,
    /// An HTTP JSON source: the URL with {id}, e.g. https://crm.example.com/api/customers/{id}
    #[arg(long, conflicts_with = "csv", required_unless_present_any = ["csv", "config_json"])]
    url: Option<String>,
    /// A CSV file source.
    #[arg(long)]
    csv: Option<String>,
    /// The CSV file's column with the customer id.
    #[arg(long, default_value = "customer_id")]
    key_column: String,
    /// A header sent as is: "Name: value" (repeatable).
    #[arg(long = "header")]
    headers: Vec<String>,
    /// A header whose value is secret; the value is read from standard input.
    #[arg(long)]
    secret_header: Option<String>,
    /// The contact field (label or id) that holds the customer id.
    #[arg(long, default_value = "Customer ID")]
    match_field: String,
    /// Where the lookup answer has the email, for Trengo's search when the cache has no match.
    #[arg(long)]
    email_path: Option<String>,
    /// PATH=FIELD: a dotted JSON path (or CSV column) onto a contact field label or id
    /// (repeatable), e.g. customer.plan.name=Plan
    #[arg(long = "map", required_unless_present = "config_json")]
    maps: Vec<String>,
    /// Trim and upper-case every mapped value.
    #[arg(long)]
    upper: bool,
    /// A regular expression every pasted id must match, e.g. ^C-[0-9]+$
    #[arg(long)]
    id_pattern: Option<String>,
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u32,
    #[arg(long, default_value_t = 8)]
    concurrency: u32,
    /// Lookups per second at most (0: no limit).
    #[arg(long, default_value_t = 0)]
    per_second: u32,
    #[arg(long, default_value_t = 1_000_000)]
    max_bytes: u32,
    /// The whole source as JSON instead (the format `sources list --json` prints).
    #[arg(long)]
    config_json: Option<String>,
}

#[derive(Subcommand)]
pub enum SourcesCmd {
    /// The lookup sources of this workspace.
    List,
    /// Add (or replace) a source. A secret header's value is read from standard input and kept
    /// in the OS keyring.
    Add(Box<AddSource>),
    /// Look one id up and show what each mapping makes of it.
    Test { name: String, id: String },
    /// Remove a source, and its secret header values from the OS keyring.
    Remove { name: String },
    /// Let lookups reach a host on this machine or a private network (host:port, host, or a
    /// URL): refused there otherwise, as internal services and cloud metadata answer there.
    AllowHost { host: String },
}

async fn field_id(desk: &Desk, label: &str) -> Result<String, Error> {
    let d = desk.directory().lists().await?;
    d.fields
        .iter()
        .filter(|f| f.entity_type == "contact")
        .find(|f| f.id == label || f.label.eq_ignore_ascii_case(label) || f.name == label)
        .map(|f| f.id.to_string())
        .ok_or_else(|| {
            Error::NotFound(format!(
                "no contact field {label:?} (trengo-desk-cli directory lists them)"
            ))
        })
}

pub async fn sources(desk: &Desk, out: &Out, cmd: &SourcesCmd) -> Result<u8, Error> {
    match cmd {
        SourcesCmd::List => {
            let list = desk.enrich().sources().await?;
            if out.json {
                out.json(&list);
            } else if list.is_empty() {
                outln!("No lookup sources yet: trengo-desk-cli sources add --help");
            } else {
                for s in list {
                    let what = match &s.kind {
                        SourceKind::Http { url, .. } => url.clone(),
                        SourceKind::Csv { path, .. } => format!("CSV {path}"),
                    };
                    outln!(
                        "{:<24} {}  ({} mapped fields)",
                        s.name,
                        what,
                        s.mappings.len()
                    );
                }
            }
        }
        SourcesCmd::AllowHost { host } => {
            let entry = desk.enrich().allow_host(host).await?;
            outln!("Lookups may reach {entry}.");
        }
        SourcesCmd::Remove { name } => {
            desk.enrich().remove_source(name).await?;
            outln!("Source {name:?} removed, with its secrets in the OS keyring.");
        }
        SourcesCmd::Add(a) => {
            let (cfg, secrets) = source_from_args(desk, a).await?;
            desk.enrich().save_source(&cfg, &secrets).await?;
            outln!("Source {:?} saved.", cfg.name);
        }
        SourcesCmd::Test { name, id } => {
            let t = desk.enrich().test_source(name, id).await?;
            if out.json {
                out.json(&t);
            } else {
                if let Some(u) = &t.target {
                    outln!("GET {u}");
                }
                if let Some(e) = &t.error {
                    outln!("failed: {e}");
                    return Ok(1);
                }
                for v in &t.values {
                    outln!("  {:<18} {}", v.label, v.new);
                }
                for e in &t.errors {
                    outln!("  problem: {e}");
                }
            }
        }
    }
    Ok(0)
}

/// The source `sources add` describes, and the secret header's value read from standard input.
async fn source_from_args(
    desk: &Desk,
    a: &AddSource,
) -> Result<(SourceConfig, Vec<(String, String)>), Error> {
    let AddSource {
        name,
        url,
        csv,
        key_column,
        headers,
        secret_header,
        match_field,
        email_path,
        maps,
        upper,
        id_pattern,
        timeout_ms,
        concurrency,
        per_second,
        max_bytes,
        config_json,
    } = a;
    let mut secrets = vec![];
    let cfg = if let Some(j) = config_json {
        let mut c: SourceConfig = serde_json::from_str(j)
            .map_err(|e| Error::Invalid(format!("--config-json is not a source: {e}")))?;
        c.name = name.clone();
        c
    } else {
        let mut hs = vec![];
        for h in headers {
            let (k, v) = h
                .split_once(':')
                .ok_or_else(|| Error::Invalid("--header is not \"Name: value\"".into()))?;
            // A credential in the arguments is in every process listing and the shell's
            // history: it comes on standard input only.
            if desk_core::enrich::is_credential(k) {
                return Err(Error::Invalid(format!(
                    "--header {}: a credential goes on standard input, not in the arguments: --secret-header {} and its value on standard input",
                    k.trim(),
                    k.trim()
                )));
            }
            hs.push(HeaderSpec {
                name: k.trim().into(),
                value: Some(v.trim().into()),
                secret: false,
            });
        }
        if let Some(h) = secret_header {
            let mut v = String::new();
            std::io::stdin().read_to_string(&mut v)?;
            if v.trim().is_empty() {
                return Err(Error::Invalid(format!(
                    "no value for the secret header {h} on standard input"
                )));
            }
            secrets.push((h.clone(), v.trim().to_string()));
            hs.push(HeaderSpec {
                name: h.clone(),
                value: None,
                secret: true,
            });
        }
        let mut mappings = vec![];
        for m in maps {
            let (from, field) = m
                .rsplit_once('=')
                .ok_or_else(|| Error::Invalid(format!("--map {m:?} is not PATH=FIELD")))?;
            mappings.push(Mapping {
                from: from.trim().into(),
                field_id: field_id(desk, field.trim()).await?,
                transform: Transform {
                    trim: true,
                    upper: *upper,
                    date_format: None,
                },
            });
        }
        SourceConfig {
            name: name.clone(),
            kind: match (url, csv) {
                (Some(u), _) => SourceKind::Http {
                    url: u.clone(),
                    headers: hs,
                    timeout_ms: *timeout_ms,
                    concurrency: *concurrency,
                    per_second: *per_second,
                    max_bytes: *max_bytes,
                },
                (None, Some(p)) => SourceKind::Csv {
                    path: p.clone(),
                    key_column: key_column.clone(),
                },
                (None, None) => return Err(Error::Invalid("give --url or --csv".into())),
            },
            id_pattern: id_pattern.clone(),
            match_by: MatchBy::Field {
                field_id: field_id(desk, match_field).await?,
                email_path: email_path.clone(),
            },
            mappings,
        }
    };
    Ok((cfg, secrets))
}

fn print_preview(p: &EnrichPreview) {
    for r in &p.rows {
        let changed: Vec<&desk_core::enrich::FieldChange> =
            r.fields.iter().filter(|f| f.changed).collect();
        outln!(
            "line {:<5} {:<12} → #{} {}{}",
            r.line,
            r.customer_id,
            r.contact_id,
            r.contact_name,
            if changed.is_empty() {
                "  (all as the lookup says)"
            } else {
                ""
            }
        );
        for f in &r.fields {
            if f.changed {
                outln!(
                    "    {:<18} {} → {}",
                    f.label,
                    f.current.as_deref().unwrap_or("(empty)"),
                    f.new
                );
            }
        }
    }
    for i in &p.issues {
        errln!(
            "line {}: {} — {}: {}",
            i.line,
            i.customer_id,
            i.kind,
            i.reason
        );
    }
    for x in p.problems.iter().chain(&p.duplicates) {
        errln!("line {}: {:?} {}", x.line, x.text, x.reason);
    }
    errln!(
        "{} ids: {} contacts to change, {} field changes ({} unchanged), {} not usable; {} Trengo requests, about {} s",
        p.ids,
        p.contacts,
        p.changes,
        p.unchanged,
        p.issues.len(),
        p.requests,
        p.eta_secs
    );
}

pub async fn enrich(
    desk: &Desk,
    out: &Out,
    source: &str,
    ids: &str,
    apply: bool,
    yes: bool,
    report: Option<&str>,
) -> Result<u8, Error> {
    let text = crate::jobs::read_ids(ids)?;
    // The preview and the apply are one matching: what is written is what was shown.
    let mut p = desk.enrich().preview(source, &text).await?;
    let unsure = p.issues.iter().filter(|i| i.kind == "not_indexed").count();
    if unsure > 0 && !apply && !out.json {
        errln!(
            "{unsure} ids are not among the {} contacts indexed so far: `trengo-desk-cli sync --contacts` reads the rest (--apply does it first)",
            p.index.indexed
        );
    }
    if unsure > 0 && apply {
        errln!(
            "the contact index is not complete ({} contacts so far): reading the rest first…",
            p.index.indexed
        );
        desk.sync().finish_contact_index(&|_| {}).await?;
        p = desk.enrich().preview(source, &text).await?;
    }
    if !apply {
        if out.json {
            out.json(&p);
        } else {
            print_preview(&p);
            errln!("Nothing was written; add --apply to write the changes.");
        }
        return Ok(0);
    }
    if !out.json {
        print_preview(&p);
    }
    if p.changes == 0 {
        errln!("Nothing to write: every mapped value is already as the lookup says.");
        return Ok(0);
    }
    if !confirm(
        &format!(
            "Write {} field changes to {} contacts in Trengo?",
            p.changes, p.contacts
        ),
        yes,
        ids == "-",
    )? {
        errln!("Nothing was changed.");
        return Ok(0);
    }
    let job = desk.enrich().apply(&p).await?;
    for x in &job.problems {
        errln!("line {}: {:?} {}", x.line, x.text, x.reason);
    }
    errln!(
        "job {} recorded ({}); if it is interrupted, any later command resumes it",
        job.id,
        job.selection
    );
    let code = run_job(desk, out, job.id).await?;
    if let Some(path) = report {
        std::fs::write(path, desk.enrich().report_csv(job.id).await?)?;
        errln!("report written to {path}");
    }
    Ok(code)
}
