//! Trengo's records as its API sends them, with Trengo's own key names. Every type keeps the fields
//! it does not name in `extra`, decodes leniently (see [`crate::de`]), and serializes back to
//! Trengo's shape.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::de;

/// A string enum that never fails to parse: unknown values land in `Other` and round-trip as sent.
macro_rules! string_enum {
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
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s.to_ascii_uppercase().as_str() {
                    $($text => $name::$variant,)+
                    _ => $name::Other(s.to_string()),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = de::string(d)?;
                Ok(s.parse().unwrap_or_else(|e| match e {}))
            }
        }
    };
}

string_enum!(
    /// `OPEN`, `ASSIGNED`, `CLOSED`, `INVALID` (spam).
    TicketStatus { Open = "OPEN", Assigned = "ASSIGNED", Closed = "CLOSED", Invalid = "INVALID" }
);
string_enum!(
    /// `INBOUND` (from the contact), `OUTBOUND` (from an agent), `NOTE` (internal).
    MessageType { Inbound = "INBOUND", Outbound = "OUTBOUND", Note = "NOTE" }
);
string_enum!(
    /// What a custom field belongs to.
    FieldEntity { Contact = "CONTACT", Profile = "PROFILE", Ticket = "TICKET" }
);
string_enum!(
    /// A custom field's data type.
    FieldType { Text = "TEXT", Number = "NUMBER", Date = "DATE", Dropdown = "DROPDOWN", Checkbox = "CHECKBOX", Email = "EMAIL" }
);

impl Default for TicketStatus {
    fn default() -> Self {
        TicketStatus::Other(String::new())
    }
}

impl Default for MessageType {
    fn default() -> Self {
        MessageType::Other(String::new())
    }
}

impl Default for FieldEntity {
    fn default() -> Self {
        FieldEntity::Other(String::new())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    #[serde(deserialize_with = "de::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::string")]
    pub first_name: String,
    #[serde(default, deserialize_with = "de::string")]
    pub last_name: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub full_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub abbr: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub color: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub locale_code: Option<String>,
    /// `ACTIVE`, …
    #[serde(default, deserialize_with = "de::opt_string")]
    pub status: Option<String>,
    /// `ONLINE`, …
    #[serde(default, deserialize_with = "de::opt_string")]
    pub user_status: Option<String>,
    /// The role, upper case: `OWNER`, `ADMINISTRATOR`, `SUPERVISOR`, `ADVANCED_AGENT`, `BASIC_AGENT`, `OBSERVER`.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub authorization: Option<String>,
    /// The role as real answers give it: `{id, name}` (`administrator`, …).
    #[serde(
        default,
        deserialize_with = "de::lenient_obj",
        skip_serializing_if = "Option::is_none"
    )]
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "de::boolish")]
    pub is_online: bool,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub timezone: Option<String>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A user's role: `{"id": 24, "name": "administrator"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Role {
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub id: Option<u64>,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
}

impl User {
    /// The name to show: `full_name`, `name`, or first and last.
    pub fn display_name(&self) -> String {
        self.full_name
            .clone()
            .or_else(|| self.name.clone())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| {
                format!("{} {}", self.first_name, self.last_name)
                    .trim()
                    .to_string()
            })
    }
}

/// A team member or channel as Trengo may list it: a bare id or a whole object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum IdOr<T> {
    Id(u64),
    Object(Box<T>),
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for IdOr<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        match &v {
            Value::Number(_) | Value::String(_) => {
                de::id(v).map(IdOr::Id).map_err(serde::de::Error::custom)
            }
            _ => serde_json::from_value(v)
                .map(|t| IdOr::Object(Box::new(t)))
                .map_err(serde::de::Error::custom),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Team {
    #[serde(deserialize_with = "de::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
    #[serde(default, deserialize_with = "de::vec")]
    pub users: Vec<IdOr<User>>,
    #[serde(default, deserialize_with = "de::vec")]
    pub channels: Vec<IdOr<Channel>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Team {
    pub fn member_ids(&self) -> Vec<u64> {
        self.users
            .iter()
            .map(|u| match u {
                IdOr::Id(id) => *id,
                IdOr::Object(u) => u.id,
            })
            .collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Label {
    #[serde(deserialize_with = "de::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub slug: Option<String>,
    /// `#rrggbb`
    #[serde(default, deserialize_with = "de::opt_string")]
    pub color: Option<String>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub sort_order: Option<u64>,
    #[serde(default, deserialize_with = "de::boolish")]
    pub archived: bool,
    /// Read in the workspace's zone while the answer is decoded.
    #[serde(
        default,
        deserialize_with = "de::opt_ts",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldItem {
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub id: Option<u64>,
    #[serde(
        default,
        deserialize_with = "de::string",
        alias = "title",
        alias = "name"
    )]
    pub value: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomField {
    #[serde(deserialize_with = "de::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::string")]
    pub title: String,
    /// The entity the field belongs to (Trengo calls it `type`).
    #[serde(rename = "type", default)]
    pub entity: FieldEntity,
    /// The data type (GUESS: `field_type`); `None` when Trengo does not say.
    #[serde(default, deserialize_with = "opt_field_type")]
    pub field_type: Option<FieldType>,
    /// Dropdown options: null on TEXT fields (captured), else a list of strings or of objects.
    #[serde(default, deserialize_with = "field_items")]
    pub items: Vec<FieldItem>,
    #[serde(default, deserialize_with = "de::boolish")]
    pub is_required: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn field_items<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<FieldItem>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(FieldItem {
                    value: s,
                    ..FieldItem::default()
                }),
                Value::Number(n) => Some(FieldItem {
                    value: n.to_string(),
                    ..FieldItem::default()
                }),
                o @ Value::Object(_) => serde_json::from_value::<FieldItem>(o).ok(),
                _ => None,
            })
            .collect(),
        _ => vec![],
    })
}

/// One entry of `custom_field_values`: the field by id (its title beside it), and the value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldValue {
    #[serde(default, deserialize_with = "de::opt_u64", alias = "id")]
    pub custom_field_id: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_string", alias = "title")]
    pub field_name: Option<String>,
    #[serde(default)]
    pub value: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `custom_field_values`: entries that are not objects (or carry no field id) are left out.
fn field_values<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CustomFieldValue>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|i| serde_json::from_value::<CustomFieldValue>(i).ok())
            .filter(|v| v.custom_field_id.is_some())
            .collect(),
        _ => vec![],
    })
}

fn opt_field_type<'de, D: Deserializer<'de>>(d: D) -> Result<Option<FieldType>, D::Error> {
    Ok(de::opt_string(d)?
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap_or_else(|e| match e {})))
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    #[serde(deserialize_with = "de::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub title: Option<String>,
    /// `EMAIL`, `CHAT`, `WA_BUSINESS`, `VOIP`, `SMS`, …
    #[serde(rename = "type", default, deserialize_with = "de::opt_string")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub status: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Channel {
    pub fn display_name(&self) -> String {
        self.title
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_else(|| format!("Channel {}", self.id))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketResult {
    #[serde(deserialize_with = "de::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactNote {
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub id: Option<u64>,
    #[serde(default, deserialize_with = "de::string")]
    pub note: String,
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub user_id: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(deserialize_with = "de::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub full_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub formatted_phone: Option<String>,
    /// The email or phone the contact is known by on its channel.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub identifier: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub abbr: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub color: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub avatar: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub profile_image: Option<String>,
    #[serde(default, deserialize_with = "de::boolish")]
    pub is_phone: bool,
    #[serde(default, deserialize_with = "de::boolish")]
    pub is_private: bool,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    /// Read in the workspace's zone while the answer is decoded.
    #[serde(
        default,
        deserialize_with = "de::opt_ts",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "de::opt_ts",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_at: Option<DateTime<Utc>>,
    /// Field title → value as real answers show it (older answers: field id → value); `None`
    /// when nothing is set. Titles can be renamed or repeated: [`Self::custom_field_values`] first.
    #[serde(default, deserialize_with = "de::opt_map")]
    pub custom_field_data: Option<Map<String, Value>>,
    /// Every CONTACT field's title → its value (null when unset).
    #[serde(default, deserialize_with = "de::map")]
    pub formatted_custom_field_data: Map<String, Value>,
    /// The values by field id: what a value belongs to, whatever its title now.
    #[serde(
        default,
        deserialize_with = "field_values",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub custom_field_values: Vec<CustomFieldValue>,
    #[serde(default, deserialize_with = "de::vec")]
    pub channels: Vec<Channel>,
    #[serde(default, deserialize_with = "de::vec")]
    pub notes: Vec<ContactNote>,
    #[serde(default, deserialize_with = "de::vec")]
    pub groups: Vec<Value>,
    #[serde(default, deserialize_with = "de::vec")]
    pub profile: Vec<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Contact {
    pub fn display_name(&self) -> String {
        [
            &self.display_name,
            &self.full_name,
            &self.name,
            &self.identifier,
            &self.email,
            &self.phone,
        ]
        .into_iter()
        .flatten()
        .find(|s| !s.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| format!("Contact {}", self.id))
    }

    /// A custom field's value by field id: from `custom_field_values`, else an id-keyed
    /// `custom_field_data` (older answers).
    pub fn custom_value(&self, field_id: u64) -> Option<String> {
        let v = match self
            .custom_field_values
            .iter()
            .find(|v| v.custom_field_id == Some(field_id))
        {
            Some(v) => &v.value,
            None => self
                .custom_field_data
                .as_ref()?
                .get(&field_id.to_string())?,
        };
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub id: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub client_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub full_url: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub mime_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub size: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `latest_message` in a ticket list item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageSummary {
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub id: Option<u64>,
    #[serde(rename = "type", default)]
    pub kind: MessageType,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::vec")]
    pub attachments: Vec<Attachment>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `latest_message` is an object in lists but a timestamp string in the create response.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum LatestMessage {
    Message(Box<MessageSummary>),
    At(DateTime<Utc>),
}

impl LatestMessage {
    pub fn at(&self) -> Option<DateTime<Utc>> {
        match self {
            LatestMessage::Message(m) => m.created_at,
            LatestMessage::At(t) => Some(*t),
        }
    }
}

fn opt_latest<'de, D: Deserializer<'de>>(d: D) -> Result<Option<LatestMessage>, D::Error> {
    Ok(match Value::deserialize(d)? {
        v @ Value::Object(_) => serde_json::from_value(v)
            .ok()
            .map(|m| LatestMessage::Message(Box::new(m))),
        Value::String(s) => de::parse_timestamp(&s).map(LatestMessage::At),
        _ => None,
    })
}

/// A label as a ticket carries it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelRef {
    #[serde(deserialize_with = "de::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub color: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    #[serde(deserialize_with = "de::id")]
    pub id: u64,
    #[serde(default)]
    pub status: TicketStatus,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub subject: Option<String>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub assigned_at: Option<DateTime<Utc>>,
    /// The assigned agent; there is no assignee object.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub user_id: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub team_id: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub contact_id: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub channel_id: Option<u64>,
    #[serde(default, deserialize_with = "de::lenient_obj")]
    pub contact: Option<Contact>,
    #[serde(default, deserialize_with = "de::lenient_obj")]
    pub channel: Option<Channel>,
    #[serde(default, deserialize_with = "opt_latest")]
    pub latest_message: Option<LatestMessage>,
    #[serde(default, deserialize_with = "de::vec")]
    pub labels: Vec<LabelRef>,
    /// Ticket custom field id → value (a guess no captured ticket carries); `None` when unset.
    #[serde(
        default,
        deserialize_with = "de::opt_map",
        skip_serializing_if = "Option::is_none"
    )]
    pub custom_field_data: Option<Map<String, Value>>,
    /// The ticket's field values by field id, as real tickets carry them.
    #[serde(default, deserialize_with = "field_values")]
    pub custom_field_values: Vec<CustomFieldValue>,
    /// Lists count the messages; a show says null (`None`).
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub messages_count: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Ticket {
    /// The contact id, from `contact_id` or the embedded contact.
    pub fn contact_ref(&self) -> Option<u64> {
        self.contact_id.or(self.contact.as_ref().map(|c| c.id))
    }

    pub fn label_ids(&self) -> Vec<u64> {
        self.labels.iter().map(|l| l.id).collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    #[serde(deserialize_with = "de::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub ticket_id: Option<u64>,
    #[serde(rename = "type", default)]
    pub kind: MessageType,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub body_type: Option<String>,
    /// The body; may be HTML. Never render it as HTML.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_ts")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub user_id: Option<u64>,
    #[serde(default, deserialize_with = "de::lenient_obj")]
    pub contact: Option<Contact>,
    /// The agent who wrote it.
    #[serde(default, deserialize_with = "de::lenient_obj")]
    pub agent: Option<User>,
    #[serde(default, deserialize_with = "de::vec")]
    pub attachments: Vec<Attachment>,
    #[serde(default, deserialize_with = "de::boolish")]
    pub is_auto_reply: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Message {
    pub fn is_internal(&self) -> bool {
        self.kind == MessageType::Note
            || self
                .extra
                .get("internal_note")
                .is_some_and(|v| v.as_bool() == Some(true))
    }
}

// ---- lists ----

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Links {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub first: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub last: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub prev: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub next: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub current_page: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub from: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub to: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub per_page: Option<u64>,
    /// Only in the length-aware envelope.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub last_page: Option<u64>,
    /// Only in the length-aware envelope.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub total: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub path: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One page of either list envelope. The end is `links.next == null` or an empty `data`; `total`
/// is never required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct ListPage<T> {
    #[serde(default = "Vec::new", deserialize_with = "de::vec")]
    pub data: Vec<T>,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub meta: Meta,
}

impl<T> ListPage<T> {
    /// Whether another page follows.
    pub fn has_next(&self) -> bool {
        self.links.next.is_some() && !self.data.is_empty()
    }

    /// The number of the next page, if there is one.
    pub fn next_page(&self, requested: u64) -> Option<u64> {
        self.has_next()
            .then(|| self.meta.current_page.unwrap_or(requested) + 1)
    }
}
