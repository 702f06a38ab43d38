//! Enrichment: pasted customer ids → lookups in the company's own system → Trengo contact fields.
//!
//! - [`source`]: lookup sources (HTTP JSON with its own concurrency, pace, timeout and size cap;
//!   or a CSV file), saved per workspace, secret header values in the OS keyring.
//! - [`convert`]: mapping a lookup value onto a contact field, typed by the field's definition.
//! - Matching: in the contact index (every contact of the workspace with its field values, read
//!   page by page by the sync); a contact the index lacks is searched in Trengo by the email the
//!   lookup gives; "not found" is said only once the index is complete.
//! - Preview: per contact, each mapped field's current and new value, a value a field refuses
//!   reported on its own (the contact's other fields still go), and every pasted id that could
//!   not be used and why. Apply: the preview's own matches as a durable job (the action engine)
//!   that writes only changed values, one request per field per contact, and can be undone.

pub use crate::values as convert;
pub mod source;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use convert::{Mapping, Transform};
pub use source::{
    is_credential, HeaderSpec, Lookup, LookupError, MatchBy, SourceConfig, SourceKind,
};

use crate::actions::TicketState;
use crate::error::{Error, Result};
use crate::view::FieldDef;
use crate::view::LineProblem;

/// The demo's lookup service key (the simulator's; not a secret anywhere else).
pub(crate) const DEMO_SOURCE: &str = "Demo customer system";
/// The settings key of the hosts on this machine or a private network that lookups may reach.
pub(crate) const LOOKUP_HOSTS_KEY: &str = "lookup_hosts_allowed";

/// A pasted id (or one field of it) that gives no contact change, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct IdIssue {
    pub line: u32,
    pub customer_id: String,
    pub kind: IssueKind,
    /// The field, for a value it refuses.
    pub field: Option<String>,
    pub reason: String,
}

word_enum! {
    /// Why a pasted id is not used, or not wholly.
    IssueKind {
        /// No contact has it (the contact index is complete).
        Unmatched = "unmatched",
        /// Not among the contacts indexed so far: it may still be there.
        NotIndexed = "not_indexed",
        /// Several contacts have it, or another id matched the same contact.
        Ambiguous = "ambiguous",
        /// The lookup failed for it.
        Lookup = "lookup",
        /// A value a field refuses (the contact's other fields are still written).
        Invalid = "invalid",
    }
}

impl PartialEq<&str> for IssueKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
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
    /// Why the field refuses the looked-up value (then nothing is written to it).
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PreviewRow {
    pub line: u32,
    pub customer_id: String,
    pub contact_id: crate::ContactId,
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
    /// Trengo requests the apply needs (one per changed field, and a fresh read per contact).
    pub requests: u32,
    pub eta_secs: u32,
    /// How complete the contact index was for this preview.
    pub index: crate::sync::ContactIndex,
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

pub(crate) fn secret_key(workspace: &str, source: &str, header: &str) -> String {
    format!("lookup:{workspace}:{source}:{header}")
}

pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

pub(crate) fn cached_state(c: &trengo_unified::Contact, fields: &[FieldDef]) -> TicketState {
    let mut out = BTreeMap::new();
    for (name, v) in &c.custom_fields {
        if let Some(f) = fields.iter().find(|f| &f.name == name) {
            let t = v.as_text();
            if !t.is_empty() {
                out.insert(f.id.to_string(), t);
            }
        }
    }
    TicketState {
        fields: out,
        ..TicketState::default()
    }
}

/// Per contact: each mapped field's change; a value a field refuses is reported on that field
/// alone (its `error`), and the others still go.
pub(crate) fn changes_for(
    answer: &Value,
    cfg: &SourceConfig,
    defs: &HashMap<String, FieldDef>,
    current: &TicketState,
) -> Vec<FieldChange> {
    let mut out = vec![];
    for m in &cfg.mappings {
        let Some(f) = defs.get(&m.field_id) else {
            out.push(FieldChange {
                field_id: m.field_id.clone(),
                label: format!("field {}", m.field_id),
                current: None,
                new: String::new(),
                changed: false,
                error: Some(format!("field {} is not a contact field here", m.field_id)),
            });
            continue;
        };
        let cur = current.fields.get(f.id.as_str()).cloned();
        match convert::convert(convert::at_path(answer, &m.from), m, f) {
            Ok(Some(new)) => {
                let changed = !convert::same_value(cur.as_deref(), &new, f);
                out.push(FieldChange {
                    field_id: f.id.to_string(),
                    label: f.label.clone(),
                    current: cur,
                    new,
                    changed,
                    error: None,
                });
            }
            Ok(None) => {}
            Err(e) => out.push(FieldChange {
                field_id: f.id.to_string(),
                label: f.label.clone(),
                current: cur,
                new: convert::at_path(answer, &m.from)
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .unwrap_or_default(),
                changed: false,
                error: Some(e),
            }),
        }
    }
    out
}

/// The pasted ids a source can look up, with every line it cannot named; none at all is an error.
pub(crate) fn pasted_ids(cfg: &SourceConfig, text: &str) -> Result<convert::PastedCustomerIds> {
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

/// Why an id is not among the contacts indexed so far (never "not found" before the index is
/// complete).
pub(crate) fn not_indexed(ix: &crate::sync::ContactIndex) -> String {
    match ix.total {
        Some(t) => format!(
            "not among the {} of {t} contacts indexed so far; finish the contact index to be sure",
            ix.indexed.min(t)
        ),
        None => format!(
            "not among the {} contacts indexed so far (the index is still being read); finish it to be sure",
            ix.indexed
        ),
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
