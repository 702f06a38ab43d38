//! What an action does to a ticket (or a contact), in one place: whether a record already is as
//! the action would leave it, the state after Trengo applied it, the request that sends it, how
//! the cache shows it, and which desktop notification it makes moot. Single actions, bulk jobs,
//! undo and enrichment all go through the job engine ([`crate::jobs`]), which uses only this.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trengo_unified::api::model::{Ticket, TicketStatus};
use trengo_unified::api::{self};
use trengo_unified::mapping::Directory;

use crate::error::Result;

/// One change to a ticket (or, for `SetField`, a contact). Ids are Trengo's, as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    AddTag {
        tag_id: String,
    },
    RemoveTag {
        tag_id: String,
    },
    AssignTeam {
        team_id: String,
    },
    AssignUser {
        user_id: String,
    },
    Close,
    Reopen,
    /// Marks the ticket as spam (Trengo's status `INVALID`); undone by [`Action::UnmarkSpam`].
    MarkSpam,
    /// Takes the spam mark off: the ticket is open again (assigned where it has a user).
    UnmarkSpam,
    /// A contact's custom field (enrichment); an empty value clears it.
    SetField {
        field_id: String,
        value: String,
    },
    /// A ticket's custom field; an empty value clears it.
    SetTicketField {
        field_id: String,
        value: String,
    },
    /// An internal note. `note_id` is the message Trengo made of it, recorded once known: undo
    /// deletes that message.
    AddNote {
        text: String,
        #[serde(default)]
        note_id: Option<String>,
    },
    /// Deletes an internal note this app posted (the undo of [`Action::AddNote`]).
    DeleteNote {
        note_id: String,
    },
    /// A new-ticket job's first step: finds or makes the contact on the channel, then the ticket
    /// the job's other steps change. The ids are recorded as they become known, so a resumed job
    /// never makes a second ticket.
    CreateTicket {
        channel_id: String,
        /// An email address, a phone number (starting with + or 0) or a contact id, as typed.
        contact: String,
        subject: String,
        #[serde(default)]
        contact_id: Option<String>,
        #[serde(default)]
        ticket_id: Option<String>,
    },
    /// Deletes a ticket this app created (the undo of [`Action::CreateTicket`]), only while it is
    /// as the job left it.
    DeleteTicket,
    /// Merges another ticket of the same contact into this one: Trengo deletes the source and
    /// moves its messages here, so it cannot be undone. Both are read fresh first; where either
    /// changed since the preview (`target_seen`, `source_seen`: [`merge_mark`]), nothing is
    /// merged.
    Merge {
        source_id: String,
        /// Checked on the first merge into a ticket only (each merge changes the target).
        #[serde(default)]
        target_seen: Option<String>,
        source_seen: String,
    },
}

/// What a merge's preview saw of a ticket, to refuse the merge where it changed since: Trengo's
/// own last change, status, team, user and tags.
pub fn merge_mark(t: &Ticket) -> String {
    let s = TicketState::from_api(t);
    format!(
        "{} {} team {:?} user {:?} tags {:?}",
        t.updated_at.map(|u| u.to_rfc3339()).unwrap_or_default(),
        s.status,
        s.team,
        s.user,
        s.tags
    )
}

impl Action {
    pub(crate) fn id(&self) -> Option<u64> {
        match self {
            Action::AddTag { tag_id } | Action::RemoveTag { tag_id } => tag_id.parse().ok(),
            Action::AssignTeam { team_id } => team_id.parse().ok(),
            Action::AssignUser { user_id } => user_id.parse().ok(),
            Action::SetField { field_id, .. } | Action::SetTicketField { field_id, .. } => {
                field_id.parse().ok()
            }
            Action::DeleteNote { note_id } => note_id.parse().ok(),
            Action::Merge { source_id, .. } => source_id.parse().ok(),
            Action::CreateTicket { ticket_id, .. } => {
                ticket_id.as_deref().and_then(|t| t.parse().ok())
            }
            Action::Close
            | Action::Reopen
            | Action::MarkSpam
            | Action::UnmarkSpam
            | Action::AddNote { .. }
            | Action::DeleteTicket => None,
        }
    }

    /// Whether it changes a contact rather than a ticket.
    pub fn on_contact(&self) -> bool {
        matches!(self, Action::SetField { .. })
    }

    /// Whether it posts or deletes a message rather than change a state: the ticket need not be
    /// read before it (a note is not "already so"), only after an unknown outcome.
    pub fn is_message(&self) -> bool {
        matches!(self, Action::AddNote { .. } | Action::DeleteNote { .. })
    }

    /// Whether Trengo's assignment (to me or my team) it makes is news to nobody here: the
    /// assignment watcher keeps quiet about it.
    pub fn is_assignment(&self) -> bool {
        matches!(self, Action::AssignUser { .. } | Action::AssignTeam { .. })
    }
}

/// A ticket (or a contact's fields) as far as actions touch it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TicketState {
    pub tags: Vec<u64>,
    pub team: Option<u64>,
    pub user: Option<u64>,
    /// Trengo's: `OPEN`, `ASSIGNED`, `CLOSED`, `INVALID`.
    pub status: String,
    /// Custom fields by field id: a contact's (enrichment) or a ticket's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// Internal notes on the ticket's newest page of messages, read only to check whether a note
    /// whose answer was lost arrived.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<SeenNote>,
    /// How many messages the ticket has: a ticket this app made is deleted by undo only while
    /// nobody wrote on it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub messages: u64,
}

/// A list row as it will be once `a` is done: what the window shows the moment a lead acts, before
/// Trengo answers (and puts back if it refuses). Said here, beside what an action does to a
/// ticket's state, so no window works it out on its own.
pub fn row_after(
    row: &crate::view::TicketRow,
    a: &Action,
    dir: &Directory,
) -> crate::view::TicketRow {
    use crate::view::{Named, StatusKind, TagChip, TicketStatus};
    let id = |n: &Option<Named>| n.as_ref().and_then(|x| x.id.parse().ok());
    let mut st = TicketState {
        tags: row.tags.iter().filter_map(|t| t.id.parse().ok()).collect(),
        team: id(&row.team),
        user: id(&row.assignee),
        status: row.status.as_str().to_string(),
        ..TicketState::default()
    };
    st.apply(a);
    let mut out = row.clone();
    let named = |id: Option<u64>, name: Option<&String>| {
        id.map(|i| Named {
            id: i.to_string(),
            name: name.cloned().unwrap_or_else(|| format!("#{i}")),
        })
    };
    out.team = named(st.team, st.team.and_then(|t| dir.teams.get(&t)));
    out.assignee = named(
        st.user,
        st.user.and_then(|u| dir.users.get(&u).map(|x| &x.0)),
    );
    out.tags = st
        .tags
        .iter()
        .map(|t| {
            let (name, color) = dir
                .labels
                .get(t)
                .cloned()
                .unwrap_or((format!("#{t}"), None));
            TagChip {
                id: (*t).into(),
                name,
                color,
            }
        })
        .collect();
    out.status = TicketStatus::parse(&st.status);
    out.status_kind = match out.status {
        TicketStatus::Closed => StatusKind::Closed,
        TicketStatus::Invalid => StatusKind::Spam,
        _ => StatusKind::Open,
    };
    out
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// An internal note as read back: its message id, its text and when it was posted (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenNote {
    pub id: u64,
    pub text: String,
    pub at: i64,
}

/// The part of a record one action touches, as it stands: what undo compares before it reverts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Tag(u64, bool),
    Team(Option<u64>),
    User(Option<u64>),
    Open(bool),
    Spam(bool),
    Field(String, String),
    Whole(String),
    Nothing,
}

impl TicketState {
    pub fn from_api(t: &Ticket) -> TicketState {
        let status = match &t.status {
            TicketStatus::Open => "OPEN".to_string(),
            TicketStatus::Assigned => "ASSIGNED".to_string(),
            TicketStatus::Closed => "CLOSED".to_string(),
            TicketStatus::Invalid => "INVALID".to_string(),
            TicketStatus::Other(s) => s.clone(),
        };
        let mut tags: Vec<u64> = t.labels.iter().map(|l| l.id).collect();
        tags.sort_unstable();
        // By id: `custom_field_values`, then an id-keyed `custom_field_data` (older answers).
        let fields = trengo_unified::mapping::field_values_by_id(
            &t.custom_field_values,
            &[t.custom_field_data.as_ref()],
            |k| k.parse::<u64>().is_ok(),
            |_| None,
        )
        .into_iter()
        .filter_map(|(id, v)| Some((id, v?)))
        .collect();
        TicketState {
            tags,
            team: t.team_id,
            user: t.user_id,
            status,
            fields,
            notes: vec![],
            messages: t.messages_count.unwrap_or(0),
        }
    }

    /// A contact's custom fields by id: `custom_field_values` (by id) first, then the title-keyed
    /// maps through `titles` (title → id), then an id-keyed `custom_field_data` (older answers).
    pub fn from_contact(
        c: &api::model::Contact,
        titles: &std::collections::HashMap<String, String>,
    ) -> TicketState {
        let fields = trengo_unified::mapping::field_values_by_id(
            &c.custom_field_values,
            &[
                Some(&c.formatted_custom_field_data),
                c.custom_field_data.as_ref(),
            ],
            |k| titles.values().any(|id| id == k),
            |t| titles.get(t).cloned(),
        )
        .into_iter()
        .filter_map(|(id, v)| Some((id, v?)))
        .collect();
        TicketState {
            fields,
            ..TicketState::default()
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.status == "OPEN" || self.status == "ASSIGNED"
    }

    /// Marked as spam (Trengo's `INVALID`).
    pub(crate) fn is_spam(&self) -> bool {
        self.status == "INVALID"
    }

    /// Whether the record is already as `a` would leave it.
    pub fn satisfies(&self, a: &Action) -> bool {
        match a {
            Action::AddTag { .. } => a.id().is_some_and(|t| self.tags.contains(&t)),
            Action::RemoveTag { .. } => a.id().is_some_and(|t| !self.tags.contains(&t)),
            Action::AssignTeam { .. } => a.id().is_some() && self.team == a.id(),
            Action::AssignUser { .. } => a.id().is_some() && self.user == a.id(),
            Action::Close => self.status == "CLOSED",
            Action::Reopen => self.is_open(),
            Action::MarkSpam => self.is_spam(),
            Action::UnmarkSpam => !self.is_spam(),
            Action::SetField { field_id, value } | Action::SetTicketField { field_id, value } => {
                same_text(
                    self.fields.get(field_id).map(|v| v.trim()).unwrap_or(""),
                    value.trim(),
                )
            }
            Action::AddNote { text, note_id } => {
                note_id.is_some() || self.notes.iter().any(|n| same_note(&n.text, text))
            }
            // A note's deletion is checked by Trengo's answer (gone already: 404), never read.
            // A merge checks both tickets itself before it is sent.
            Action::DeleteNote { .. } | Action::DeleteTicket | Action::Merge { .. } => false,
            Action::CreateTicket { ticket_id, .. } => ticket_id.is_some(),
        }
    }

    /// The part of the record `a` touches, as it stands.
    pub fn part(&self, a: &Action) -> Part {
        match a {
            Action::AddTag { .. } | Action::RemoveTag { .. } => match a.id() {
                Some(t) => Part::Tag(t, self.tags.contains(&t)),
                None => Part::Nothing,
            },
            Action::AssignTeam { .. } => Part::Team(self.team),
            Action::AssignUser { .. } => Part::User(self.user),
            Action::Close | Action::Reopen => Part::Open(self.is_open()),
            Action::MarkSpam | Action::UnmarkSpam => Part::Spam(self.is_spam()),
            Action::SetField { field_id, .. } | Action::SetTicketField { field_id, .. } => {
                Part::Field(
                    field_id.clone(),
                    self.fields
                        .get(field_id)
                        .map(|v| v.trim().to_string())
                        .unwrap_or_default(),
                )
            }
            Action::AddNote { .. }
            | Action::DeleteNote { .. }
            | Action::CreateTicket { .. }
            | Action::Merge { .. } => Part::Nothing,
            Action::DeleteTicket => Part::Whole(self.whole()),
        }
    }

    /// Everything a person sees change on a ticket, in words: undo deletes a ticket it made only
    /// while this is as the job left it.
    fn whole(&self) -> String {
        let fields: Vec<String> = self
            .fields
            .iter()
            .map(|(k, v)| format!("{k}={}", v.trim()))
            .collect();
        format!(
            "status {}, team {:?}, user {:?}, tags {:?}, fields [{}], {} messages",
            if self.is_open() { "open" } else { "closed" },
            self.team,
            self.user,
            self.tags,
            fields.join(", "),
            self.messages
        )
    }

    /// Whether the part `a` touches is the same in both, however Trengo writes field values back.
    pub fn same_part(&self, other: &TicketState, a: &Action) -> bool {
        match (self.part(a), other.part(a)) {
            (Part::Field(_, x), Part::Field(_, y)) => same_text(&x, &y),
            (x, y) => x == y,
        }
    }

    /// The state after Trengo applied `a` (trengo-api.md §8).
    pub fn apply(&mut self, a: &Action) {
        match a {
            Action::AddTag { .. } => {
                if let Some(t) = a.id() {
                    if !self.tags.contains(&t) {
                        self.tags.push(t);
                        self.tags.sort_unstable();
                    }
                }
            }
            Action::RemoveTag { .. } => {
                if let Some(t) = a.id() {
                    self.tags.retain(|x| *x != t);
                }
            }
            Action::AssignTeam { .. } => self.team = a.id(),
            Action::AssignUser { .. } => {
                self.user = a.id();
                self.status = "ASSIGNED".into();
            }
            Action::Close => self.status = "CLOSED".into(),
            Action::MarkSpam => self.status = "INVALID".into(),
            Action::UnmarkSpam => {
                if self.is_spam() {
                    self.status = if self.user.is_some() {
                        "ASSIGNED"
                    } else {
                        "OPEN"
                    }
                    .into()
                }
            }
            Action::SetField { field_id, value } | Action::SetTicketField { field_id, value } => {
                if value.is_empty() {
                    self.fields.remove(field_id);
                } else {
                    self.fields.insert(field_id.clone(), value.clone());
                }
            }
            Action::AddNote { .. } => self.messages += 1,
            Action::DeleteNote { .. } => self.messages = self.messages.saturating_sub(1),
            Action::CreateTicket { .. } | Action::DeleteTicket | Action::Merge { .. } => {}
            Action::Reopen => {
                self.status = if self.user.is_some() {
                    "ASSIGNED"
                } else {
                    "OPEN"
                }
                .into()
            }
        }
    }

    /// The part `a` touches, in words, for a conflict: "team Sales", "no user", "tag vip present".
    pub fn describe_part(&self, a: &Action, dir: &Directory) -> String {
        match self.part(a) {
            Part::Tag(t, on) => format!(
                "tag {} {}",
                tag_name(dir, t),
                if on { "present" } else { "absent" }
            ),
            Part::Team(Some(t)) => format!("team {}", team_name(dir, t)),
            Part::Team(None) => "no team".into(),
            Part::User(Some(u)) => format!("assigned to {}", user_name(dir, u)),
            Part::User(None) => "no user".into(),
            Part::Open(true) => "open".into(),
            Part::Open(false) => "closed".into(),
            Part::Spam(true) => "marked as spam".into(),
            Part::Spam(false) => "not spam".into(),
            Part::Field(f, v) => format!(
                "{} = {:?}",
                dir.field_by_id(&f)
                    .map(|x| x.label.clone())
                    .unwrap_or_else(|| format!("field {f}")),
                v
            ),
            Part::Whole(_) => {
                let tags: Vec<String> = self.tags.iter().map(|t| tag_name(dir, *t)).collect();
                format!(
                    "{}, {}, {}, tags [{}], {}",
                    if self.is_open() { "open" } else { "closed" },
                    self.team
                        .map(|t| format!("team {}", team_name(dir, t)))
                        .unwrap_or_else(|| "no team".into()),
                    self.user
                        .map(|u| format!("assigned to {}", user_name(dir, u)))
                        .unwrap_or_else(|| "no user".into()),
                    tags.join(", "),
                    match self.messages {
                        1 => "1 message".to_string(),
                        n => format!("{n} messages"),
                    }
                )
            }
            Part::Nothing => String::new(),
        }
    }
}

/// Whether a note read back is the one sent: the same text, whatever whitespace or a wrapping
/// paragraph Trengo adds.
pub(crate) fn same_note(read: &str, sent: &str) -> bool {
    fn plain(s: &str) -> String {
        let s = s.trim();
        let s = s
            .strip_prefix("<p>")
            .and_then(|x| x.strip_suffix("</p>"))
            .unwrap_or(s);
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }
    plain(read) == plain(sent)
}

/// Whether two field values mean the same, however Trengo writes them back: `700` and `700.0`,
/// `1` and `true`.
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
        return (x - y).abs() < 1e-9;
    }
    let truth = |s: &str| match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Some(true),
        "0" | "false" | "no" => Some(false),
        _ => None,
    };
    matches!((truth(a), truth(b)), (Some(x), Some(y)) if x == y)
}

pub(crate) fn team_name(dir: &Directory, id: u64) -> String {
    dir.teams
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("#{id}"))
}

pub(crate) fn user_name(dir: &Directory, id: u64) -> String {
    dir.users
        .get(&id)
        .map(|u| u.0.clone())
        .unwrap_or_else(|| format!("#{id}"))
}

pub(crate) fn tag_name(dir: &Directory, id: u64) -> String {
    dir.labels
        .get(&id)
        .map(|l| l.0.clone())
        .unwrap_or_else(|| format!("#{id}"))
}

/// An action in words: "Add tag migrated", "Move to team Billing".
pub fn describe(a: &Action, dir: &Directory) -> String {
    let id = a.id().unwrap_or(0);
    match a {
        Action::AddTag { .. } | Action::RemoveTag { .. } => {
            let name = tag_name(dir, id);
            if matches!(a, Action::AddTag { .. }) {
                format!("Add tag {name}")
            } else {
                format!("Remove tag {name}")
            }
        }
        Action::AssignTeam { .. } => format!("Move to team {}", team_name(dir, id)),
        Action::AssignUser { .. } => format!("Assign to {}", user_name(dir, id)),
        Action::Close => "Close".into(),
        Action::Reopen => "Reopen".into(),
        Action::MarkSpam => "Mark as spam".into(),
        Action::UnmarkSpam => "Not spam".into(),
        Action::AddNote { text, .. } => {
            let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let short: String = one.chars().take(40).collect();
            if short.len() < one.len() {
                format!("Add note “{short}…”")
            } else {
                format!("Add note “{short}”")
            }
        }
        Action::DeleteNote { .. } => "Delete note".into(),
        Action::CreateTicket {
            subject, contact, ..
        } => format!("New ticket “{}” for {}", subject.trim(), contact.trim()),
        Action::DeleteTicket => "Delete the ticket".into(),
        Action::Merge { source_id, .. } => format!("Merge #{source_id} into it"),
        Action::SetField { field_id, value } | Action::SetTicketField { field_id, value } => {
            let label = dir
                .field_by_id(field_id)
                .map(|f| f.label.clone())
                .unwrap_or_else(|| format!("field {field_id}"));
            if value.is_empty() {
                format!("Clear {label}")
            } else {
                format!("Set {label} to {value}")
            }
        }
    }
}

/// Checks a job's actions against each other and against the directory: an id the workspace
/// does not have is "not found", anything else "invalid".
/// The longest internal note a job posts, in characters.
pub const MAX_NOTE: usize = 10_000;

/// Checks a job's actions ([`validate_actions`]) and writes each field value as Trengo is sent it
/// (`1,5` refused, `yes` as `1`, a dropdown option in its own case, a date as `YYYY-MM-DD`).
pub fn normalize_actions(actions: &[Action], dir: &Directory) -> Result<Vec<Action>, crate::Error> {
    validate_actions(actions, dir)?;
    Ok(actions
        .iter()
        .map(|a| match a {
            Action::SetTicketField { field_id, value } => {
                let def = dir.field_by_id(field_id).map(crate::view::FieldDef::from);
                let value = def
                    .and_then(|d| crate::values::field_text(value, &d).ok())
                    .unwrap_or_else(|| value.clone());
                Action::SetTicketField {
                    field_id: field_id.clone(),
                    value,
                }
            }
            other => other.clone(),
        })
        .collect())
}

pub fn validate_actions(actions: &[Action], dir: &Directory) -> Result<(), crate::Error> {
    use crate::Error;
    if actions.is_empty() {
        return Err(Error::Invalid("choose at least one change".into()));
    }
    for (i, a) in actions.iter().enumerate() {
        if a.on_contact() {
            return Err(Error::Invalid(format!(
                "change {}: contact fields are set by enrichment, not by a ticket job",
                i + 1
            )));
        }
        if let Action::AddNote { text, .. } = a {
            if text.trim().is_empty() {
                return Err(Error::Invalid(format!(
                    "change {}: the note is empty",
                    i + 1
                )));
            }
            if text.chars().count() > MAX_NOTE {
                return Err(Error::Invalid(format!(
                    "change {}: the note is {} characters; at most {MAX_NOTE}",
                    i + 1,
                    text.chars().count()
                )));
            }
        }
        if matches!(a, Action::CreateTicket { .. } | Action::DeleteTicket) {
            return Err(Error::Invalid(format!(
                "change {}: tickets are made by a new-ticket job and deleted by undoing it",
                i + 1
            )));
        }
        if matches!(a, Action::DeleteNote { .. }) {
            return Err(Error::Invalid(format!(
                "change {}: a note is deleted by undoing the job that posted it",
                i + 1
            )));
        }
        if let Action::SetTicketField { field_id, value } = a {
            let f = dir
                .field_by_id(field_id)
                .filter(|f| f.entity_type == trengo_unified::EntityType::Ticket)
                .ok_or_else(|| {
                    Error::NotFound(format!(
                        "change {}: there is no ticket field with id {field_id} in this workspace (sync if it is new)",
                        i + 1
                    ))
                })?;
            let def = crate::view::FieldDef::from(f);
            crate::values::field_text(value, &def)
                .map_err(|why| Error::Invalid(format!("change {}: {why}", i + 1)))?;
        }
        if !matches!(
            a,
            Action::Close
                | Action::Reopen
                | Action::MarkSpam
                | Action::UnmarkSpam
                | Action::AddNote { .. }
        ) && a.id().is_none()
        {
            return Err(Error::Invalid(format!(
                "change {}: {a:?} does not name a valid id",
                i + 1
            )));
        }
        let known = match a {
            Action::AddTag { .. } | Action::RemoveTag { .. } => a
                .id()
                .map(|t| dir.labels.contains_key(&t))
                .map(|k| (k, "tag")),
            Action::AssignTeam { .. } => a.id().map(|t| (dir.teams.contains_key(&t), "team")),
            Action::AssignUser { .. } => a.id().map(|u| (dir.users.contains_key(&u), "user")),
            _ => None,
        };
        if let Some((false, what)) = known {
            return Err(Error::NotFound(format!(
                "there is no {what} with id {} in this workspace (sync if it is new)",
                a.id().unwrap_or(0)
            )));
        }
        for b in &actions[..i] {
            let clash = a == b
                || match (a, b) {
                    (Action::AddTag { tag_id: x }, Action::RemoveTag { tag_id: y })
                    | (Action::RemoveTag { tag_id: x }, Action::AddTag { tag_id: y }) => x == y,
                    (Action::AssignTeam { .. }, Action::AssignTeam { .. })
                    | (Action::AssignUser { .. }, Action::AssignUser { .. }) => true,
                    (Action::Merge { source_id: x, .. }, Action::Merge { source_id: y, .. }) => {
                        x == y
                    }
                    (Action::Close, Action::Reopen)
                    | (Action::Reopen, Action::Close)
                    | (Action::MarkSpam, Action::UnmarkSpam)
                    | (Action::UnmarkSpam, Action::MarkSpam)
                    | (Action::MarkSpam, Action::Reopen)
                    | (Action::Reopen, Action::MarkSpam) => true,
                    (
                        Action::SetTicketField { field_id: x, .. },
                        Action::SetTicketField { field_id: y, .. },
                    ) => x == y,
                    _ => false,
                };
            if clash {
                return Err(Error::Invalid(format!(
                    "changes {} and {} contradict or repeat each other",
                    actions.iter().position(|x| x == b).unwrap_or(0) + 1,
                    i + 1
                )));
            }
        }
    }
    Ok(())
}

/// The order a job applies its actions in: assignee first (it reopens a closed ticket), then team,
/// tags, and close or reopen last.
pub fn ordered(actions: &[Action]) -> Vec<Action> {
    let rank = |a: &Action| match a {
        Action::CreateTicket { .. } => -1,
        Action::DeleteTicket | Action::Merge { .. } => 9,
        Action::AssignUser { .. } => 0,
        Action::AssignTeam { .. } => 1,
        Action::AddTag { .. } | Action::RemoveTag { .. } => 2,
        Action::SetTicketField { .. } => 3,
        Action::AddNote { .. } | Action::DeleteNote { .. } => 4,
        Action::Close | Action::Reopen => 5,
        // First: a ticket must be out of spam before other changes show.
        Action::UnmarkSpam => -1,
        // Last: a ticket marked as spam is closed to every other change.
        Action::MarkSpam => 8,
        Action::SetField { .. } => 6,
    };
    let mut v = actions.to_vec();
    v.sort_by_key(rank);
    v
}

mod trengo;

pub(crate) use trengo::{read, send, show_contact, show_ticket};

#[cfg(test)]
mod tests;
