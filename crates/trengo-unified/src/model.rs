//! The unified records (../shared/unified-model.md): Truto's names where they fit. Ids are
//! Trengo's ids as strings; every record keeps the Trengo JSON it came from in `remote_data`
//! unless the caller opted out.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A small reference with a label, so a caller never needs a second request to print a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ref {
    pub id: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRef {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRef {
    pub id: String,
    pub name: String,
    pub color: Option<String>,
}

/// Who wrote a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ActorRef {
    User(UserRef),
    Contact(ContactRef),
    System,
}

/// A normalized value that never fails to parse: unknown ones keep their text.
macro_rules! open_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(s) => s,
                }
            }

            pub fn parse(s: &str) -> $name {
                match s.to_ascii_lowercase().as_str() {
                    $($text => $name::$variant,)+
                    _ => $name::Other(s.to_string()),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::parse(&String::deserialize(d)?))
            }
        }
    };
}

open_enum!(
    /// `open` (Trengo OPEN and ASSIGNED), `closed`, `spam` (INVALID).
    StatusKind { Open = "open", Closed = "closed", Spam = "spam" }
);
open_enum!(
    /// A custom field's data type.
    FieldKind { Text = "text", Number = "number", Date = "date", Dropdown = "dropdown", Checkbox = "checkbox", Email = "email" }
);
open_enum!(
    /// What a custom field belongs to.
    EntityType { Ticket = "ticket", Contact = "contact", Profile = "profile" }
);
open_enum!(
    /// A tag's state: Trengo's archived labels are inactive.
    TagStatus { Active = "active", Inactive = "inactive" }
);

/// A status normalized, with Trengo's value beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub kind: StatusKind,
    /// `OPEN`, `ASSIGNED`, `CLOSED`, `INVALID`, or whatever Trengo sent.
    pub raw: String,
}

/// A custom field value, typed by its definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Bool(bool),
    Number(f64),
    /// Text, email, a dropdown option, or a date as `YYYY-MM-DD`.
    Text(String),
}

impl FieldValue {
    pub fn as_text(&self) -> String {
        match self {
            FieldValue::Bool(b) => if *b { "1" } else { "0" }.to_string(),
            FieldValue::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    format!("{}", *n as i64)
                } else {
                    n.to_string()
                }
            }
            FieldValue::Text(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: String,
    /// The number people quote (Trengo shows the id).
    pub number: Option<String>,
    /// The subject.
    pub name: Option<String>,
    /// The latest message, as plain text.
    pub description: Option<String>,
    pub status: Status,
    pub assignees: Vec<UserRef>,
    pub team: Option<Ref>,
    pub contact: Option<ContactRef>,
    pub created_by: Option<UserRef>,
    pub tags: Vec<TagRef>,
    pub channel: Option<Ref>,
    /// Field name (slug) → value.
    pub custom_fields: BTreeMap<String, FieldValue>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub last_message_at: Option<DateTime<Utc>>,
    /// Whether the latest message came from the customer (`None`: not known from what was read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message_inbound: Option<bool>,
    /// Whether the latest message is an internal note (not a reply: a customer's clock runs on).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub last_message_note: bool,
    /// How many messages the thread holds, where a list page said (`None` on a show read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_count: Option<u32>,
    pub ticket_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_data: Option<Value>,
}

/// One of the four statuses Trengo has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketStatus {
    pub id: String,
    pub name: String,
    pub kind: StatusKind,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    pub file_name: Option<String>,
    pub ticket_id: Option<String>,
    pub comment_id: Option<String>,
    pub size: Option<u64>,
    pub file_url: Option<String>,
    pub content_type: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_data: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: String,
    pub ticket: Ref,
    pub author: ActorRef,
    /// Plain text; never HTML.
    pub body: String,
    /// The message as Trengo holds it when it is HTML: to be shown as text, never rendered.
    pub html_body: Option<String>,
    pub is_internal: bool,
    pub is_private: bool,
    pub channel: Option<Ref>,
    pub attachments: Vec<Attachment>,
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_data: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub email: String,
    pub email_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    pub number: String,
    pub phone_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub emails: Vec<Email>,
    pub phones: Vec<Phone>,
    /// The identifier Trengo knows the contact by (email or phone).
    pub details: Option<String>,
    pub custom_fields: BTreeMap<String, FieldValue>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_data: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOption {
    pub id: Option<String>,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub id: String,
    /// A slug of the label: the key in `custom_fields`.
    pub name: String,
    /// As people see it ("Customer ID").
    pub label: String,
    pub field_type: FieldKind,
    pub options: Vec<FieldOption>,
    pub is_required: bool,
    pub is_user_defined: bool,
    pub entity_type: EntityType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_data: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    pub id: String,
    pub name: String,
    pub color: Option<String>,
    pub status: TagStatus,
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_data: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub member_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_data: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub emails: Vec<String>,
    /// Trengo's `status` (`ACTIVE`, …).
    pub status: Option<String>,
    pub is_active: bool,
    /// Online in Trengo now (its `is_online`), as of the read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_online: Option<bool>,
    pub avatar: Option<String>,
    pub team_ids: Vec<String>,
    pub roles: Vec<RoleRef>,
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_data: Option<Value>,
}

/// Trengo teams, seen from the user directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub group_type: String,
    pub member_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_data: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub label: String,
}

/// One page of a unified list. The cursor is opaque; `None` means there is no more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub result: Vec<T>,
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
}

/// Where and how much to read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListParams {
    /// How many records (default 25). Above 25 several Trengo pages are read; below, the rest of
    /// the page stays reachable through the cursor.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// Only records updated after this (with a two-minute overlap; Trengo cannot filter by it, so
    /// pages are read and filtered here).
    pub updated_after: Option<DateTime<Utc>>,
    /// Tickets: `open`, `closed`, `spam`, or a Trengo status (`ASSIGNED`).
    pub status: Option<String>,
    pub assignee_id: Option<String>,
    pub tag_id: Option<String>,
    pub channel_id: Option<String>,
    pub contact_id: Option<String>,
    /// Free text (tickets, contacts).
    pub search: Option<String>,
    /// Comments and attachments belong to a ticket.
    pub ticket_id: Option<String>,
    /// Fields: `ticket`, `contact` or `profile`.
    pub entity_type: Option<String>,
    /// Leave `remote_data` out.
    #[serde(default)]
    pub without_remote_data: bool,
}
