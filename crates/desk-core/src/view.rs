//! What the desk shows: plain records for the UI and the CLI. Ids are typed ([`crate::ids`]) and
//! travel as strings, counts are `u32`, so they cross to JavaScript intact; times are RFC 3339
//! strings.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TagChip {
    pub id: crate::TagId,
    pub name: String,
    /// `#rrggbb`, Trengo's colour for the label.
    pub color: Option<String>,
}

/// One line of the ticket list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TicketRow {
    pub id: crate::TicketId,
    pub subject: Option<String>,
    /// The latest message, plain text, shortened.
    pub preview: Option<String>,
    pub status: TicketStatus,
    pub status_kind: StatusKind,
    pub contact: Option<Named>,
    pub team: Option<Named>,
    pub assignee: Option<Named>,
    pub channel: Option<Named>,
    pub tags: Vec<TagChip>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// Still open or assigned in Trengo as far as the last sync knows.
    pub in_working_set: bool,
    /// Since when the customer has been waiting for us (ISO UTC): their first message after our
    /// last reply. `None` when the last message is ours (or none is known).
    pub waiting_since: Option<String>,
    /// Where the ticket stands against its SLA policy; `None`: no policy covers it, or its clock
    /// is paused.
    pub sla: Option<SlaChip>,
}

/// A promise the team keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SlaTarget {
    /// From the ticket's first message until our first reply.
    FirstReply,
    /// From the customer's first message after our reply until our next.
    NextReply,
    /// From the ticket's creation until it is closed (paused while the last message is ours).
    Resolution,
}

impl SlaTarget {
    pub fn words(self) -> &'static str {
        match self {
            SlaTarget::FirstReply => "first reply",
            SlaTarget::NextReply => "next reply",
            SlaTarget::Resolution => "resolution",
        }
    }

    /// `first-reply`, `next-reply`, `resolution` (`_` or a space for the dash).
    pub fn parse(s: &str) -> crate::Result<SlaTarget> {
        match s.trim().to_lowercase().replace(['_', ' '], "-").as_str() {
            "first-reply" => Ok(SlaTarget::FirstReply),
            "next-reply" => Ok(SlaTarget::NextReply),
            "resolution" => Ok(SlaTarget::Resolution),
            _ => Err(crate::Error::Invalid(format!(
                "{s:?} is not an SLA target: first-reply, next-reply or resolution"
            ))),
        }
    }
}

/// Where a ticket stands against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    OnTrack,
    AtRisk,
    Breached,
}

impl SlaState {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::OnTrack => "on_track",
            SlaState::AtRisk => "at_risk",
            SlaState::Breached => "breached",
        }
    }
}

/// Which tickets a list takes by their SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SlaFilter {
    AtRisk,
    Breached,
    /// At risk or breached.
    Due,
}

impl SlaFilter {
    pub fn words(self) -> &'static str {
        match self {
            SlaFilter::AtRisk => "at risk",
            SlaFilter::Breached => "breached",
            SlaFilter::Due => "at risk or breached",
        }
    }

    /// `at-risk`, `breached`, `due` (at risk or breached).
    pub fn parse(s: &str) -> crate::Result<SlaFilter> {
        match s.trim().to_lowercase().replace(['_', ' '], "-").as_str() {
            "at-risk" => Ok(SlaFilter::AtRisk),
            "breached" => Ok(SlaFilter::Breached),
            "due" => Ok(SlaFilter::Due),
            _ => Err(crate::Error::Invalid(format!(
                "{s:?} is not an SLA state: at-risk, breached or due (either)"
            ))),
        }
    }

    pub fn takes(self, s: SlaState) -> bool {
        match self {
            SlaFilter::AtRisk => s == SlaState::AtRisk,
            SlaFilter::Breached => s == SlaState::Breached,
            SlaFilter::Due => s != SlaState::OnTrack,
        }
    }
}

/// A ticket's SLA as a list shows it: the target that comes due first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SlaChip {
    pub state: SlaState,
    pub target: SlaTarget,
    /// When the target is due (ISO UTC).
    pub due_at: String,
    /// From when it counts as at risk (ISO UTC): a list can move the chip without asking again.
    pub at_risk_at: String,
    pub policy: String,
}

/// Trengo's status of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "UPPERCASE")]
pub enum TicketStatus {
    /// Open, with no user.
    Open,
    Assigned,
    Closed,
    /// Spam.
    Invalid,
    /// A word Trengo has not used before (kept as it came in the cache).
    Unknown,
}

impl TicketStatus {
    /// Trengo's word, as the cache keeps it.
    pub fn parse(s: &str) -> TicketStatus {
        match s {
            "OPEN" => TicketStatus::Open,
            "ASSIGNED" => TicketStatus::Assigned,
            "CLOSED" => TicketStatus::Closed,
            "INVALID" => TicketStatus::Invalid,
            _ => TicketStatus::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "OPEN",
            TicketStatus::Assigned => "ASSIGNED",
            TicketStatus::Closed => "CLOSED",
            TicketStatus::Invalid => "INVALID",
            TicketStatus::Unknown => "UNKNOWN",
        }
    }
}

impl std::fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a status means for the inbox: `open` (Trengo's OPEN and ASSIGNED), `closed`, `spam`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum StatusKind {
    Open,
    Closed,
    Spam,
}

impl StatusKind {
    /// The word as the cache keeps it (an unknown one reads as open: it is still in the inbox).
    pub fn parse(s: &str) -> StatusKind {
        match s {
            "closed" => StatusKind::Closed,
            "spam" => StatusKind::Spam,
            _ => StatusKind::Open,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StatusKind::Open => "open",
            StatusKind::Closed => "closed",
            StatusKind::Spam => "spam",
        }
    }
}

/// Which statuses a filter takes: `open` (open and assigned), `unassigned` (Trengo's OPEN: no
/// user), `assigned` (ASSIGNED), `closed` (CLOSED), `spam` (INVALID), `any`. Read in our words or
/// Trengo's, in any case; `OPEN` reads as `open`: what a lead means by it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    #[default]
    Open,
    Unassigned,
    Assigned,
    Closed,
    Spam,
    Any,
}

impl StatusFilter {
    pub fn parse(s: &str) -> crate::Result<StatusFilter> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "" | "open" => StatusFilter::Open,
            "unassigned" => StatusFilter::Unassigned,
            "assigned" => StatusFilter::Assigned,
            "closed" => StatusFilter::Closed,
            "spam" | "invalid" => StatusFilter::Spam,
            "any" | "all" => StatusFilter::Any,
            other => {
                return Err(crate::Error::Invalid(format!(
                    "unknown status {other:?}: open, unassigned, assigned, closed, spam or any (Trengo's OPEN, ASSIGNED, CLOSED and INVALID work too)"
                )))
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Open => "open",
            StatusFilter::Unassigned => "unassigned",
            StatusFilter::Assigned => "assigned",
            StatusFilter::Closed => "closed",
            StatusFilter::Spam => "spam",
            StatusFilter::Any => "any",
        }
    }
}

impl<'de> Deserialize<'de> for StatusFilter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        StatusFilter::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for StatusFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The list's order: `updated` (newest change first, the default), `updated_asc`, `created`
/// (newest first), `created_asc`, `next_breach` (the SLA target due soonest first), `waiting`
/// (the customer waiting longest first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum TicketSort {
    #[default]
    Updated,
    UpdatedAsc,
    Created,
    CreatedAsc,
    NextBreach,
    Waiting,
}

impl TicketSort {
    pub fn parse(s: &str) -> crate::Result<TicketSort> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "" | "updated" => TicketSort::Updated,
            "updated_asc" => TicketSort::UpdatedAsc,
            "created" => TicketSort::Created,
            "created_asc" => TicketSort::CreatedAsc,
            "next_breach" | "next-breach" => TicketSort::NextBreach,
            "waiting" => TicketSort::Waiting,
            other => {
                return Err(crate::Error::Invalid(format!(
                    "unknown sort {other:?}: updated, updated_asc, created, created_asc, next-breach or waiting"
                )))
            }
        })
    }
}

/// A status as a filter takes it (see [`StatusFilter`]), as its word.
pub fn status_word(s: &str) -> crate::Result<&'static str> {
    StatusFilter::parse(s).map(StatusFilter::as_str)
}

/// What a [`Period`] is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Created,
    Closed,
}

/// Tickets created (or closed) from `from` to just before `before` (ISO instants).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Period {
    pub kind: PeriodKind,
    pub from: String,
    pub before: String,
}

impl Period {
    /// The range as unix seconds, or what is wrong with it.
    pub fn instants(&self) -> crate::Result<(i64, i64)> {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s.trim())
                .map(|d| d.timestamp())
                .map_err(|_| {
                    crate::Error::Invalid(format!(
                        "{s:?} is not a time (ISO 8601, e.g. 2026-12-07T00:00:00Z)"
                    ))
                })
        };
        let (a, b) = (at(&self.from)?, at(&self.before)?);
        if b <= a {
            return Err(crate::Error::Invalid(format!(
                "the period from {} ends before it begins ({})",
                self.from, self.before
            )));
        }
        Ok((a, b))
    }
}

/// Which tickets, for lists and bulk selections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TicketFilter {
    /// Default: open.
    pub status: Option<StatusFilter>,
    /// A team, or several separated by commas.
    pub team_id: Option<String>,
    pub tag_id: Option<String>,
    pub assignee_id: Option<String>,
    /// The free text a lead types: subject, latest message, contact name, email, phone.
    pub text: Option<String>,
    /// Only tickets at risk, breached, or either.
    #[serde(default)]
    pub sla: Option<SlaFilter>,
    /// Default: updated.
    pub sort: Option<TicketSort>,
    /// Only tickets on this channel.
    #[serde(default)]
    pub channel_id: Option<String>,
    /// Only tickets created (or closed) within a range: a trend's day opens its tickets.
    #[serde(default)]
    pub period: Option<Period>,
    pub offset: u32,
    /// Default 50, at most 500.
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SearchResult {
    pub rows: Vec<TicketRow>,
    /// All matching, not only this page.
    pub total: u32,
    pub offset: u32,
}

word_enum!(
    /// How a field's value is written and edited. A kind Trengo adds later is edited as text.
    FieldType {
        Text = "text",
        Number = "number",
        Date = "date",
        Dropdown = "dropdown",
        Checkbox = "checkbox",
        Email = "email",
    }
);

impl FieldType {
    pub fn of(kind: &trengo_unified::FieldKind) -> FieldType {
        use trengo_unified::FieldKind as K;
        match kind {
            K::Number => FieldType::Number,
            K::Date => FieldType::Date,
            K::Dropdown => FieldType::Dropdown,
            K::Checkbox => FieldType::Checkbox,
            K::Email => FieldType::Email,
            K::Text | K::Other(_) => FieldType::Text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FieldLine {
    pub field_id: crate::FieldId,
    pub label: String,
    /// `None` when the contact (or ticket) has no value for it.
    pub value: Option<String>,
    pub field_type: FieldType,
    /// A dropdown's options.
    pub options: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ContactCard {
    pub id: crate::ContactId,
    pub name: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub identifier: Option<String>,
    /// Every contact field of the workspace, by label, in Trengo's order.
    pub fields: Vec<FieldLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AttachmentView {
    pub name: String,
    pub url: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<u32>,
}

word_enum!(
    /// Who a message is from and to.
    MessageKind {
        /// From the customer.
        Inbound = "inbound",
        /// A reply to the customer.
        Outbound = "outbound",
        /// An internal note (only the team sees it).
        Note = "note",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MessageView {
    pub id: String,
    pub kind: MessageKind,
    pub author: Option<String>,
    /// Plain text: never rendered as HTML.
    pub body: String,
    pub created_at: Option<String>,
    pub attachments: Vec<AttachmentView>,
}

/// Everything about one ticket, from the cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TicketContext {
    pub ticket: TicketRow,
    pub ticket_url: Option<String>,
    pub contact: Option<ContactCard>,
    /// Every ticket field of the workspace, by label, in Trengo's order.
    pub fields: Vec<FieldLine>,
    /// Oldest first.
    pub messages: Vec<MessageView>,
    /// When the thread was last read from Trengo; `None`: never (only the latest message is known).
    pub messages_synced_at: Option<String>,
    pub synced_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UserItem {
    pub id: crate::UserId,
    pub name: String,
    pub email: Option<String>,
    pub role: Option<String>,
    pub team_ids: Vec<crate::TeamId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TeamItem {
    pub id: crate::TeamId,
    pub name: String,
    pub member_ids: Vec<crate::UserId>,
    /// Open and assigned tickets of the team in the cache.
    pub open_count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TagItem {
    pub id: crate::TagId,
    pub name: String,
    pub color: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FieldDef {
    pub id: crate::FieldId,
    pub name: String,
    pub label: String,
    /// ticket, contact, profile
    pub entity_type: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
}

impl From<&trengo_unified::Field> for FieldDef {
    fn from(f: &trengo_unified::Field) -> FieldDef {
        FieldDef {
            id: crate::FieldId::from_trengo(&f.id),
            name: f.name.clone(),
            label: f.label.clone(),
            entity_type: f.entity_type.as_str().to_string(),
            field_type: FieldType::of(&f.field_type),
            options: f.options.iter().map(|o| o.value.clone()).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DirectoryLists {
    pub users: Vec<UserItem>,
    pub teams: Vec<TeamItem>,
    pub tags: Vec<TagItem>,
    pub fields: Vec<FieldDef>,
    pub channels: Vec<Named>,
}

/// How old and how complete the cache is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Freshness {
    pub last_sync_at: Option<String>,
    /// Seconds since the last complete sync.
    pub age_secs: Option<u32>,
    pub tickets_cached: u32,
    pub working_set: u32,
    pub working_set_complete: bool,
}

/// A name a lead types (a saved view's, a new tag's): trimmed, not empty, one line, at most `max`
/// characters. `a_thing` and `thing` word the refusal: "a tag needs a name", "the tag name …".
pub(crate) fn one_line_name(
    name: &str,
    a_thing: &str,
    thing: &str,
    max: usize,
) -> crate::error::Result<String> {
    use crate::error::Error;
    let n = name.trim();
    if n.is_empty() {
        return Err(Error::Invalid(format!("{a_thing} needs a name")));
    }
    if n.chars().any(char::is_control) {
        return Err(Error::Invalid(format!(
            "the {thing} name {n:?} holds a line break or control character"
        )));
    }
    if n.chars().count() > max {
        return Err(Error::Invalid(format!(
            "the {thing} name {n:?} is longer than {max} characters"
        )));
    }
    Ok(n.to_string())
}

/// A pasted line that is not a ticket id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LineProblem {
    /// 1-based.
    pub line: u32,
    pub text: String,
    pub reason: String,
}
