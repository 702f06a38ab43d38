//! From Trengo's records to unified ones: pure functions, tested on captured-style JSON.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use trengo_api::model as api;

use crate::model::*;

/// What the mapping needs to put names on ids, filled from the API or from a cache.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Directory {
    /// id → (name, email)
    pub users: HashMap<u64, (String, Option<String>)>,
    /// id → team ids
    pub user_teams: HashMap<u64, Vec<u64>>,
    pub teams: HashMap<u64, String>,
    /// id → (name, color)
    pub labels: HashMap<u64, (String, Option<String>)>,
    pub channels: HashMap<u64, String>,
    pub fields: Vec<Field>,
}

impl Directory {
    pub fn from_api(
        users: &[api::User],
        teams: &[api::Team],
        labels: &[api::Label],
        channels: &[api::Channel],
        fields: &[api::CustomField],
    ) -> Directory {
        let mut d = Directory::default();
        for u in users {
            d.users.insert(u.id, (u.display_name(), u.email.clone()));
        }
        for t in teams {
            d.teams.insert(t.id, t.name.clone());
            for m in t.member_ids() {
                d.user_teams.entry(m).or_default().push(t.id);
            }
        }
        for l in labels {
            d.labels.insert(l.id, (l.name.clone(), l.color.clone()));
        }
        for c in channels {
            d.channels.insert(c.id, c.display_name());
        }
        d.fields = fields.iter().map(|f| field(f, false)).collect();
        d
    }

    pub fn user_ref(&self, id: u64) -> UserRef {
        let (name, email) = self
            .users
            .get(&id)
            .cloned()
            .map(|(n, e)| (Some(n), e))
            .unwrap_or((None, None));
        UserRef {
            id: id.to_string(),
            name,
            email,
        }
    }

    pub fn team_ref(&self, id: u64) -> Ref {
        Ref {
            id: id.to_string(),
            name: self.teams.get(&id).cloned(),
        }
    }

    pub fn channel_ref(&self, id: u64) -> Ref {
        Ref {
            id: id.to_string(),
            name: self.channels.get(&id).cloned(),
        }
    }

    pub fn field_by_id(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// A field by id, slug name or label (case-insensitive).
    pub fn find_field(&self, key: &str) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.id == key || f.name == key)
            .or_else(|| {
                self.fields
                    .iter()
                    .find(|f| f.label.eq_ignore_ascii_case(key) || f.name == slug(key))
            })
    }
}

/// `Customer ID` → `customer_id`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for ch in s.trim().chars() {
        if ch.is_alphanumeric() {
            out.extend(ch.to_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// Typed by the field's kind; text that does not fit its kind stays text.
pub fn typed_value(kind: &FieldKind, raw: &str) -> FieldValue {
    match kind {
        FieldKind::Number => raw
            .trim()
            .parse::<f64>()
            .map(FieldValue::Number)
            .unwrap_or_else(|_| FieldValue::Text(raw.to_string())),
        FieldKind::Checkbox => match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => FieldValue::Bool(true),
            "0" | "false" | "no" | "" => FieldValue::Bool(false),
            _ => FieldValue::Text(raw.to_string()),
        },
        _ => FieldValue::Text(raw.to_string()),
    }
}

/// A custom field's value as text; `None` when it is null or empty.
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A record's custom field values by field id, as text (`None`: set to nothing). Lowest first:
/// the title-keyed maps (`formatted_custom_field_data`, a title-keyed `custom_field_data`) through
/// `title_to_id`; a key that is a known field id is that field (older answers key by id); then
/// `custom_field_values`, by id, which wins: a field renamed or sharing its title with another
/// still maps by id. A title `title_to_id` does not know is left out here.
pub fn field_values_by_id(
    values: &[api::CustomFieldValue],
    maps: &[Option<&serde_json::Map<String, Value>>],
    is_field_id: impl Fn(&str) -> bool,
    title_to_id: impl Fn(&str) -> Option<String>,
) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    for m in maps.iter().flatten() {
        for (key, v) in m.iter() {
            let id = if is_field_id(key) {
                Some(key.clone())
            } else {
                title_to_id(key)
            };
            if let Some(id) = id {
                let text = value_text(v);
                // A title-keyed null never hides a value an earlier map gave.
                if text.is_some() || !out.contains_key(&id) {
                    out.insert(id, text);
                }
            }
        }
    }
    for v in values {
        if let Some(id) = v.custom_field_id {
            out.insert(id.to_string(), value_text(&v.value));
        }
    }
    out
}

/// Custom field values by field name: by id first, then the title-keyed maps (see
/// [`field_values_by_id`]); a title no definition of `entity` has is kept under its own slug, a
/// title two definitions share is left to the ids. No key is invented from an id.
fn custom_fields(
    values: &[api::CustomFieldValue],
    maps: &[Option<&serde_json::Map<String, Value>>],
    entity: EntityType,
    dir: &Directory,
) -> BTreeMap<String, FieldValue> {
    let entity = &entity;
    let of_entity =
        |f: &&Field| f.entity_type == *entity || matches!(f.entity_type, EntityType::Other(_));
    let title_to_id = |title: &str| {
        let mut same = dir
            .fields
            .iter()
            .filter(of_entity)
            .filter(|f| f.label == title);
        match (same.next(), same.next()) {
            (Some(f), None) => Some(f.id.clone()),
            _ => None,
        }
    };
    let is_field_id = |k: &str| dir.field_by_id(k).is_some();
    let mut out = BTreeMap::new();
    // Titles Trengo knows and the directory does not (yet): shown under their own slug.
    for m in maps.iter().flatten() {
        for (title, v) in m.iter() {
            // A title a value by id carries beside it is that id's (renamed since, perhaps).
            let known = is_field_id(title)
                || dir.fields.iter().any(|f| f.label == *title)
                || values
                    .iter()
                    .any(|v| v.field_name.as_deref() == Some(title));
            if let (false, Some(text)) = (known, value_text(v)) {
                if title.parse::<u64>().is_err() {
                    out.insert(slug(title), FieldValue::Text(text));
                }
            }
        }
    }
    for (id, text) in field_values_by_id(values, maps, is_field_id, title_to_id) {
        let Some(text) = text else { continue };
        match dir.field_by_id(&id) {
            Some(f) => {
                out.insert(f.name.clone(), typed_value(&f.field_type, &text));
            }
            None => {
                // Not in the directory yet: under the title Trengo gave beside the id, if any.
                if let Some(name) = values
                    .iter()
                    .find(|v| v.custom_field_id.map(|i| i.to_string()) == Some(id.clone()))
                    .and_then(|v| v.field_name.as_deref())
                {
                    out.insert(slug(name), FieldValue::Text(text));
                }
            }
        }
    }
    out
}

fn remote<T: Serialize>(keep: bool, v: &T) -> Option<Value> {
    keep.then(|| serde_json::to_value(v).unwrap_or(Value::Null))
}

pub fn status(s: &api::TicketStatus) -> Status {
    let kind = match s {
        api::TicketStatus::Open | api::TicketStatus::Assigned => StatusKind::Open,
        api::TicketStatus::Closed => StatusKind::Closed,
        api::TicketStatus::Invalid => StatusKind::Spam,
        api::TicketStatus::Other(o) => StatusKind::Other(o.to_ascii_lowercase()),
    };
    Status {
        kind,
        raw: s.as_str().to_string(),
    }
}

/// The four statuses, as a list.
pub fn ticket_statuses() -> Vec<TicketStatus> {
    [
        (
            "OPEN",
            "Open",
            StatusKind::Open,
            "Waiting for someone to pick it up",
        ),
        (
            "ASSIGNED",
            "Assigned",
            StatusKind::Open,
            "An agent is on it",
        ),
        ("CLOSED", "Closed", StatusKind::Closed, "Resolved"),
        ("INVALID", "Spam", StatusKind::Spam, "Marked as spam"),
    ]
    .into_iter()
    .map(|(id, name, kind, d)| TicketStatus {
        id: id.into(),
        name: name.into(),
        kind,
        description: d.into(),
    })
    .collect()
}

/// Trengo's fixed roles, from least to most.
pub fn roles() -> Vec<Role> {
    [
        ("observer", "Observer"),
        ("basic_agent", "Basic agent"),
        ("advanced_agent", "Advanced agent"),
        ("supervisor", "Supervisor"),
        ("administrator", "Administrator"),
        ("owner", "Owner"),
    ]
    .into_iter()
    .map(|(id, label)| Role {
        id: id.into(),
        name: id.into(),
        label: label.into(),
    })
    .collect()
}

/// The web address of a ticket: the base URL without `/api/v2`, then `/tickets/{id}`.
pub fn ticket_url(base_url: &str, id: u64) -> String {
    let web = base_url
        .trim_end_matches('/')
        .trim_end_matches("/api/v2")
        .trim_end_matches("/api");
    format!("{web}/tickets/{id}")
}

/// Plain text from a message that may be HTML: tags dropped, breaks kept, entities decoded.
pub fn plain_text(s: &str) -> String {
    if !s.contains('<') && !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut tag = String::new();
    let mut in_tag = false;
    for ch in s.chars() {
        match (in_tag, ch) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                if matches!(name.as_str(), "br" | "p" | "div" | "li" | "tr")
                    && !out.ends_with('\n')
                    && !out.is_empty()
                {
                    out.push('\n');
                }
            }
            (true, c) => tag.push(c),
            (false, c) => out.push(c),
        }
    }
    if in_tag {
        // A '<' that opened no tag was text.
        out.push('<');
        out.push_str(&tag);
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    decoded.trim().to_string()
}

fn looks_like_html(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    [
        "<p", "<br", "<div", "<span", "<a ", "<b>", "<i>", "<strong", "<em", "<ul", "<ol",
        "<table", "<img", "<html",
    ]
    .iter()
    .any(|t| l.contains(t))
}

pub fn contact_ref(c: &api::Contact) -> ContactRef {
    ContactRef {
        id: c.id.to_string(),
        name: Some(c.display_name()),
        email: c.email.clone(),
        phone: c.phone.clone(),
    }
}

pub fn ticket(t: &api::Ticket, dir: &Directory, base_url: &str, keep_remote: bool) -> Ticket {
    let latest = t.latest_message.as_ref();
    let description = match latest {
        Some(api::LatestMessage::Message(m)) => m.message.as_deref().map(plain_text),
        _ => None,
    };
    let contact = match (&t.contact, t.contact_id) {
        (Some(c), _) => Some(contact_ref(c)),
        (None, Some(id)) => Some(ContactRef {
            id: id.to_string(),
            name: None,
            email: None,
            phone: None,
        }),
        _ => None,
    };
    Ticket {
        id: t.id.to_string(),
        number: Some(t.id.to_string()),
        name: t.subject.clone().filter(|s| !s.trim().is_empty()),
        description,
        status: status(&t.status),
        assignees: t.user_id.map(|u| dir.user_ref(u)).into_iter().collect(),
        team: t.team_id.map(|id| dir.team_ref(id)),
        contact,
        created_by: None,
        tags: t
            .labels
            .iter()
            .map(|l| {
                let (name, color) = dir
                    .labels
                    .get(&l.id)
                    .cloned()
                    .unwrap_or((l.name.clone(), l.color.clone()));
                TagRef {
                    id: l.id.to_string(),
                    name: if l.name.is_empty() {
                        name
                    } else {
                        l.name.clone()
                    },
                    color: l.color.clone().or(color),
                }
            })
            .collect(),
        channel: t.channel_id.or(t.channel.as_ref().map(|c| c.id)).map(|id| {
            let mut r = dir.channel_ref(id);
            if r.name.is_none() {
                r.name = t.channel.as_ref().map(|c| c.display_name());
            }
            r
        }),
        custom_fields: custom_fields(
            &t.custom_field_values,
            &[t.custom_field_data.as_ref()],
            EntityType::Ticket,
            dir,
        ),
        completed_at: t.closed_at,
        created_at: t.created_at,
        updated_at: t.updated_at,
        assigned_at: t.assigned_at,
        last_message_at: latest.and_then(|l| l.at()),
        last_message_inbound: match latest {
            Some(api::LatestMessage::Message(m)) => match m.kind {
                api::MessageType::Inbound => Some(true),
                api::MessageType::Outbound | api::MessageType::Note => Some(false),
                _ => None,
            },
            _ => None,
        },
        last_message_note: matches!(
            latest,
            Some(api::LatestMessage::Message(m)) if m.kind == api::MessageType::Note
        ),
        message_count: t.messages_count.map(|n| n.min(u32::MAX as u64) as u32),
        ticket_url: Some(ticket_url(base_url, t.id)),
        remote_data: remote(keep_remote, t),
    }
}

pub fn contact(c: &api::Contact, dir: &Directory, keep_remote: bool) -> Contact {
    let name = c.display_name();
    let (first, last) = match name.split_once(' ') {
        Some((f, l)) => (Some(f.to_string()), Some(l.to_string())),
        None => (Some(name.clone()), None),
    };
    let phone = c.formatted_phone.clone().or_else(|| c.phone.clone());
    Contact {
        id: c.id.to_string(),
        name: Some(name),
        first_name: first,
        last_name: last,
        emails: c
            .email
            .iter()
            .map(|e| Email {
                email: e.clone(),
                email_type: None,
            })
            .collect(),
        phones: phone
            .into_iter()
            .map(|p| Phone {
                number: p,
                phone_type: if c.is_phone {
                    Some("mobile".into())
                } else {
                    None
                },
            })
            .collect(),
        details: c.identifier.clone(),
        custom_fields: custom_fields(
            &c.custom_field_values,
            &[
                Some(&c.formatted_custom_field_data),
                c.custom_field_data.as_ref(),
            ],
            EntityType::Contact,
            dir,
        ),
        created_at: c.created_at,
        updated_at: c.updated_at,
        remote_data: remote(keep_remote, c),
    }
}

pub fn attachment(
    a: &api::Attachment,
    ticket_id: Option<u64>,
    comment_id: Option<u64>,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> Attachment {
    Attachment {
        id: a.id.map(|i| i.to_string()).unwrap_or_default(),
        file_name: a.client_name.clone(),
        ticket_id: ticket_id.map(|i| i.to_string()),
        comment_id: comment_id.map(|i| i.to_string()),
        size: a.size,
        file_url: a.full_url.clone(),
        content_type: a.mime_type.clone(),
        created_at: at,
        remote_data: None,
    }
}

pub fn comment(m: &api::Message, ticket_id: u64, dir: &Directory, keep_remote: bool) -> Comment {
    let raw = m.message.clone().unwrap_or_default();
    let internal = m.is_internal();
    let author = match (&m.kind, m.user_id, &m.agent, &m.contact) {
        (api::MessageType::Inbound, _, _, Some(c)) => ActorRef::Contact(contact_ref(c)),
        (api::MessageType::Inbound, _, _, None) => ActorRef::Contact(ContactRef {
            id: String::new(),
            name: None,
            email: None,
            phone: None,
        }),
        (_, _, Some(a), _) => ActorRef::User(UserRef {
            id: a.id.to_string(),
            name: Some(a.display_name()),
            email: a.email.clone(),
        }),
        (_, Some(u), None, _) => ActorRef::User(dir.user_ref(u)),
        _ => ActorRef::System,
    };
    let html = m
        .body_type
        .as_deref()
        .is_some_and(|b| b.eq_ignore_ascii_case("html"))
        || looks_like_html(&raw);
    Comment {
        id: m.id.to_string(),
        ticket: Ref {
            id: ticket_id.to_string(),
            name: None,
        },
        author,
        body: plain_text(&raw),
        html_body: html.then_some(raw),
        is_internal: internal,
        is_private: internal,
        channel: None,
        attachments: m
            .attachments
            .iter()
            .map(|a| attachment(a, Some(ticket_id), Some(m.id), m.created_at))
            .collect(),
        created_at: m.created_at,
        remote_data: remote(keep_remote, m),
    }
}

pub fn field(f: &api::CustomField, keep_remote: bool) -> Field {
    let kind = match &f.field_type {
        Some(t) => FieldKind::parse(t.as_str()),
        // Trengo may not say: a field with options is a dropdown, else text.
        None if !f.items.is_empty() => FieldKind::Dropdown,
        None => FieldKind::Text,
    };
    Field {
        id: f.id.to_string(),
        name: slug(&f.title),
        label: f.title.clone(),
        field_type: kind,
        options: f
            .items
            .iter()
            .map(|i| FieldOption {
                id: i.id.map(|x| x.to_string()),
                value: i.value.clone(),
            })
            .collect(),
        is_required: f.is_required,
        is_user_defined: true,
        entity_type: EntityType::parse(f.entity.as_str()),
        remote_data: remote(keep_remote, f),
    }
}

pub fn tag(l: &api::Label, keep_remote: bool) -> Tag {
    Tag {
        id: l.id.to_string(),
        name: l.name.clone(),
        color: l.color.clone(),
        status: if l.archived {
            TagStatus::Inactive
        } else {
            TagStatus::Active
        },
        created_at: l.created_at,
        remote_data: remote(keep_remote, l),
    }
}

pub fn team(t: &api::Team, keep_remote: bool) -> Team {
    Team {
        id: t.id.to_string(),
        name: t.name.clone(),
        description: None,
        member_ids: t.member_ids().iter().map(u64::to_string).collect(),
        remote_data: remote(keep_remote, t),
    }
}

pub fn group(t: &api::Team, keep_remote: bool) -> Group {
    Group {
        id: t.id.to_string(),
        name: t.name.clone(),
        group_type: "team".into(),
        member_ids: t.member_ids().iter().map(u64::to_string).collect(),
        remote_data: remote(keep_remote, t),
    }
}

pub fn user(u: &api::User, dir: &Directory, keep_remote: bool) -> User {
    // The role is `role.name` where Trengo sends it (`authorization: OWNER` beside it marks the
    // owner); `authorization` alone otherwise.
    let owner = u
        .authorization
        .as_deref()
        .is_some_and(|a| a.eq_ignore_ascii_case("owner"));
    let role_name = u
        .role
        .as_ref()
        .map(|r| r.name.as_str())
        .filter(|n| !n.is_empty() && !owner);
    let roles = role_name
        .or(u.authorization.as_deref())
        .map(|a| {
            let id = a.to_ascii_lowercase();
            let label = roles()
                .into_iter()
                .find(|r| r.id == id)
                .map(|r| r.label)
                .unwrap_or_else(|| a.to_string());
            vec![RoleRef { id, name: label }]
        })
        .unwrap_or_default();
    User {
        id: u.id.to_string(),
        name: u.display_name(),
        first_name: Some(u.first_name.clone()).filter(|s| !s.is_empty()),
        last_name: Some(u.last_name.clone()).filter(|s| !s.is_empty()),
        emails: u.email.iter().cloned().collect(),
        status: u.status.clone(),
        is_active: u
            .status
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("active")),
        is_online: Some(u.is_online),
        avatar: u
            .extra
            .get("profile_image")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        team_ids: dir
            .user_teams
            .get(&u.id)
            .map(|t| t.iter().map(u64::to_string).collect())
            .unwrap_or_default(),
        roles,
        created_at: u.created_at,
        remote_data: remote(keep_remote, u),
    }
}

#[cfg(test)]
mod tests;
