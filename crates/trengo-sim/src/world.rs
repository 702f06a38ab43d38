//! The simulated workspace: Trengo's records as the server keeps them, and the operations of
//! ../shared/trengo-api.md §4 and §8 on them. No HTTP here; `api` turns requests into these calls.

use std::collections::BTreeMap;

/// Unix seconds.
pub type Ts = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Assigned,
    Closed,
    Invalid,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "OPEN",
            Status::Assigned => "ASSIGNED",
            Status::Closed => "CLOSED",
            Status::Invalid => "INVALID",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s.to_ascii_uppercase().as_str() {
            "OPEN" => Some(Status::Open),
            "ASSIGNED" => Some(Status::Assigned),
            "CLOSED" => Some(Status::Closed),
            "INVALID" => Some(Status::Invalid),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Inbound,
    Outbound,
    Note,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Inbound => "INBOUND",
            MessageKind::Outbound => "OUTBOUND",
            MessageKind::Note => "NOTE",
        }
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub color: String,
    pub locale_code: String,
    /// Upper case, as Trengo sends it: OWNER, ADMINISTRATOR, SUPERVISOR, ADVANCED_AGENT, BASIC_AGENT, OBSERVER.
    pub authorization: String,
    pub is_online: bool,
    pub timezone: String,
    pub created_at: Ts,
}

impl User {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

#[derive(Debug, Clone)]
pub struct Team {
    pub id: u64,
    pub name: String,
    pub user_ids: Vec<u64>,
    pub channel_ids: Vec<u64>,
}

#[derive(Debug, Clone)]
pub struct Label {
    pub id: u64,
    pub name: String,
    pub slug: String,
    pub color: String,
    pub sort_order: u32,
    pub archived: bool,
}

#[derive(Debug, Clone)]
pub struct CustomField {
    pub id: u64,
    pub title: String,
    /// The entity: CONTACT, PROFILE or TICKET.
    pub entity: String,
    /// TEXT, NUMBER, DATE, DROPDOWN, CHECKBOX, EMAIL.
    pub field_type: String,
    pub items: Vec<(u64, String)>,
    pub is_required: bool,
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub id: u64,
    pub name: String,
    pub title: String,
    /// EMAIL, CHAT, WA_BUSINESS, VOIP, SMS.
    pub kind: String,
    pub status: String,
}

#[derive(Debug, Clone)]
pub struct TicketResult {
    pub id: u64,
    pub name: String,
    pub sort_order: u32,
}

#[derive(Debug, Clone)]
pub struct ContactNote {
    pub id: u64,
    pub note: String,
    pub user_id: u64,
    pub created_at: Ts,
}

#[derive(Debug, Clone)]
pub struct Contact {
    pub id: u64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub identifier: String,
    pub color: String,
    pub is_private: bool,
    pub channel_ids: Vec<u64>,
    pub group_ids: Vec<u64>,
    /// Custom field id → value.
    pub fields: BTreeMap<u64, String>,
    pub notes: Vec<ContactNote>,
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub id: u64,
    pub name: String,
    pub mime_type: String,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub id: u64,
    pub kind: MessageKind,
    pub body: String,
    pub created_at: Ts,
    /// The agent who wrote an outbound message or note.
    pub user_id: Option<u64>,
    pub attachments: Vec<Attachment>,
    pub is_auto_reply: bool,
}

#[derive(Debug, Clone)]
pub struct Ticket {
    pub id: u64,
    pub status: Status,
    pub subject: Option<String>,
    pub contact_id: u64,
    pub channel_id: u64,
    pub user_id: Option<u64>,
    pub team_id: Option<u64>,
    pub label_ids: Vec<u64>,
    pub created_at: Ts,
    pub updated_at: Ts,
    pub assigned_at: Option<Ts>,
    pub closed_at: Option<Ts>,
    pub ticket_result_id: Option<u64>,
    /// Oldest first.
    pub messages: Vec<Message>,
    /// Ticket custom field id → value.
    pub fields: BTreeMap<u64, String>,
}

/// Why an operation was refused; `api` renders these in Laravel's shapes.
#[derive(Debug, Clone, PartialEq)]
pub enum SimError {
    /// 404: `No query results for model [App\Models\{model}] {id}`.
    NotFound { model: &'static str, id: String },
    /// 422 for one field.
    Invalid { field: String, message: String },
}

impl SimError {
    pub fn not_found(model: &'static str, id: impl ToString) -> Self {
        SimError::NotFound {
            model,
            id: id.to_string(),
        }
    }
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        SimError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

pub type SimResult<T> = Result<T, SimError>;

/// An assignment target, as `POST /tickets/{id}/assign` takes it.
#[derive(Debug, Clone, Copy)]
pub enum AssignTo {
    User(u64),
    Team(u64),
}

#[derive(Debug, Clone, Default)]
pub struct World {
    pub users: BTreeMap<u64, User>,
    pub teams: BTreeMap<u64, Team>,
    pub labels: BTreeMap<u64, Label>,
    pub fields: BTreeMap<u64, CustomField>,
    pub channels: BTreeMap<u64, Channel>,
    pub ticket_results: BTreeMap<u64, TicketResult>,
    pub contacts: BTreeMap<u64, Contact>,
    /// Ticket ids grow with creation time, so iterating in reverse is newest first.
    pub tickets: BTreeMap<u64, Ticket>,
    pub next_id: NextIds,
}

#[derive(Debug, Clone, Default)]
pub struct NextIds {
    pub ticket: u64,
    pub contact: u64,
    pub message: u64,
    pub label: u64,
    pub note: u64,
    pub attachment: u64,
}

impl World {
    pub fn ticket(&self, id: u64) -> SimResult<&Ticket> {
        self.tickets
            .get(&id)
            .ok_or_else(|| SimError::not_found("Ticket", id))
    }

    pub(crate) fn ticket_mut(&mut self, id: u64) -> SimResult<&mut Ticket> {
        self.tickets
            .get_mut(&id)
            .ok_or_else(|| SimError::not_found("Ticket", id))
    }

    pub fn contact(&self, id: u64) -> SimResult<&Contact> {
        self.contacts
            .get(&id)
            .ok_or_else(|| SimError::not_found("Contact", id))
    }

    pub fn user(&self, id: u64) -> SimResult<&User> {
        self.users
            .get(&id)
            .ok_or_else(|| SimError::not_found("User", id))
    }

    pub fn team(&self, id: u64) -> SimResult<&Team> {
        self.teams
            .get(&id)
            .ok_or_else(|| SimError::not_found("Team", id))
    }

    pub fn label(&self, id: u64) -> SimResult<&Label> {
        self.labels
            .get(&id)
            .ok_or_else(|| SimError::not_found("Label", id))
    }

    pub fn channel(&self, id: u64) -> SimResult<&Channel> {
        self.channels
            .get(&id)
            .ok_or_else(|| SimError::not_found("Channel", id))
    }

    pub fn field(&self, id: u64) -> SimResult<&CustomField> {
        self.fields
            .get(&id)
            .ok_or_else(|| SimError::not_found("CustomField", id))
    }

    pub fn team_ids_of_user(&self, user_id: u64) -> Vec<u64> {
        self.teams
            .values()
            .filter(|t| t.user_ids.contains(&user_id))
            .map(|t| t.id)
            .collect()
    }

    /// Assign to a user (`ASSIGNED`, `assigned_at` set) or a team (`team_id` set, the user kept).
    pub fn assign(&mut self, ticket_id: u64, to: AssignTo, now: Ts) -> SimResult<()> {
        match to {
            AssignTo::User(u) => {
                self.user(u)?;
            }
            AssignTo::Team(t) => {
                self.team(t)?;
            }
        }
        let t = self.ticket_mut(ticket_id)?;
        match to {
            AssignTo::User(u) => {
                t.user_id = Some(u);
                t.status = Status::Assigned;
                t.closed_at = None;
            }
            AssignTo::Team(team) => t.team_id = Some(team),
        }
        t.assigned_at = Some(now);
        t.updated_at = now;
        Ok(())
    }

    pub fn close(&mut self, ticket_id: u64, result_id: Option<u64>, now: Ts) -> SimResult<()> {
        if let Some(r) = result_id {
            if !self.ticket_results.contains_key(&r) {
                return Err(SimError::not_found("TicketResult", r));
            }
        }
        let t = self.ticket_mut(ticket_id)?;
        t.status = Status::Closed;
        t.closed_at = Some(now);
        t.ticket_result_id = result_id;
        t.updated_at = now;
        Ok(())
    }

    /// `ASSIGNED` when a user is set, otherwise `OPEN`.
    pub fn reopen(&mut self, ticket_id: u64, now: Ts) -> SimResult<()> {
        let t = self.ticket_mut(ticket_id)?;
        t.status = if t.user_id.is_some() {
            Status::Assigned
        } else {
            Status::Open
        };
        t.closed_at = None;
        t.updated_at = now;
        Ok(())
    }

    pub fn mark_spam(&mut self, ticket_id: u64, spam: bool, now: Ts) -> SimResult<()> {
        let t = self.ticket_mut(ticket_id)?;
        if spam {
            t.status = Status::Invalid;
        } else if t.status == Status::Invalid {
            t.status = if t.user_id.is_some() {
                Status::Assigned
            } else {
                Status::Open
            };
        }
        t.updated_at = now;
        Ok(())
    }

    /// Attaching a label already attached changes nothing and succeeds.
    pub fn attach_label(&mut self, ticket_id: u64, label_id: u64, now: Ts) -> SimResult<()> {
        self.ticket(ticket_id)?;
        self.label(label_id)?;
        let t = self.ticket_mut(ticket_id)?;
        if !t.label_ids.contains(&label_id) {
            t.label_ids.push(label_id);
            t.updated_at = now;
        }
        Ok(())
    }

    /// Detaching a label that is not attached succeeds too.
    pub fn detach_label(&mut self, ticket_id: u64, label_id: u64, now: Ts) -> SimResult<()> {
        self.ticket(ticket_id)?;
        self.label(label_id)?;
        let t = self.ticket_mut(ticket_id)?;
        if let Some(pos) = t.label_ids.iter().position(|l| *l == label_id) {
            t.label_ids.remove(pos);
            t.updated_at = now;
        }
        Ok(())
    }

    /// A note on a contact by `user_id`; its id.
    pub fn add_contact_note(
        &mut self,
        contact_id: u64,
        note: String,
        user_id: u64,
        now: Ts,
    ) -> SimResult<u64> {
        self.contact(contact_id)?;
        self.next_id.note += 1;
        let id = self.next_id.note;
        let c = self.contacts.get_mut(&contact_id).expect("checked");
        c.notes.push(ContactNote {
            id,
            note,
            user_id,
            created_at: now,
        });
        Ok(id)
    }

    pub fn add_message(
        &mut self,
        ticket_id: u64,
        kind: MessageKind,
        body: String,
        user_id: Option<u64>,
        now: Ts,
    ) -> SimResult<u64> {
        self.ticket(ticket_id)?;
        self.next_id.message += 1;
        let id = self.next_id.message;
        let t = self.ticket_mut(ticket_id)?;
        t.messages.push(Message {
            id,
            kind,
            body,
            created_at: now,
            user_id,
            attachments: vec![],
            is_auto_reply: false,
        });
        t.updated_at = now;
        Ok(id)
    }

    fn check_field_value(&self, field_id: u64, entity: &str, value: &str) -> SimResult<()> {
        let f = self.field(field_id)?;
        if f.entity != entity {
            return Err(SimError::invalid(
                "custom_field_id",
                "The selected custom field id is invalid.",
            ));
        }
        if value.is_empty() {
            return Ok(());
        }
        let ok = match f.field_type.as_str() {
            "NUMBER" => value.trim().parse::<f64>().is_ok(),
            "DROPDOWN" => f.items.iter().any(|(_, v)| v == value),
            "CHECKBOX" => matches!(value, "0" | "1" | "true" | "false"),
            "DATE" => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok(),
            "EMAIL" => value.contains('@'),
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(SimError::invalid(
                "value",
                format!("The value is not a valid {}.", f.field_type.to_lowercase()),
            ))
        }
    }

    /// An empty value clears the field.
    pub fn set_contact_field(
        &mut self,
        contact_id: u64,
        field_id: u64,
        value: String,
    ) -> SimResult<()> {
        self.contact(contact_id)?;
        self.check_field_value(field_id, "CONTACT", &value)?;
        let c = self.contacts.get_mut(&contact_id).expect("checked above");
        if value.is_empty() {
            c.fields.remove(&field_id);
        } else {
            c.fields.insert(field_id, value);
        }
        Ok(())
    }

    pub fn set_ticket_field(
        &mut self,
        ticket_id: u64,
        field_id: u64,
        value: String,
        now: Ts,
    ) -> SimResult<()> {
        self.ticket(ticket_id)?;
        self.check_field_value(field_id, "TICKET", &value)?;
        let t = self.ticket_mut(ticket_id)?;
        if value.is_empty() {
            t.fields.remove(&field_id);
        } else {
            t.fields.insert(field_id, value);
        }
        t.updated_at = now;
        Ok(())
    }

    /// Finds the contact with this identifier (email or phone) on the channel, or creates it.
    pub fn contact_for_identifier(
        &mut self,
        channel_id: u64,
        identifier: &str,
        name: Option<&str>,
    ) -> SimResult<u64> {
        self.channel(channel_id)?;
        let ident = identifier.trim();
        if ident.is_empty() {
            return Err(SimError::invalid(
                "identifier",
                "The identifier field is required.",
            ));
        }
        if let Some(c) = self
            .contacts
            .values_mut()
            .find(|c| c.identifier.eq_ignore_ascii_case(ident))
        {
            if !c.channel_ids.contains(&channel_id) {
                c.channel_ids.push(channel_id);
            }
            return Ok(c.id);
        }
        self.next_id.contact += 1;
        let id = self.next_id.contact;
        let is_email = ident.contains('@');
        self.contacts.insert(
            id,
            Contact {
                id,
                name: name
                    .map(str::to_string)
                    .unwrap_or_else(|| ident.to_string()),
                email: is_email.then(|| ident.to_string()),
                phone: (!is_email).then(|| ident.to_string()),
                identifier: ident.to_string(),
                color: "#8e9aaf".into(),
                is_private: false,
                channel_ids: vec![channel_id],
                group_ids: vec![],
                fields: BTreeMap::new(),
                notes: vec![],
            },
        );
        Ok(id)
    }

    pub fn create_ticket(
        &mut self,
        channel_id: u64,
        contact_id: u64,
        subject: Option<String>,
        owner: Option<u64>,
        now: Ts,
    ) -> SimResult<u64> {
        self.channel(channel_id)?;
        self.contact(contact_id)?;
        self.next_id.ticket += 1;
        let id = self.next_id.ticket;
        self.tickets.insert(
            id,
            Ticket {
                id,
                status: if owner.is_some() {
                    Status::Assigned
                } else {
                    Status::Open
                },
                subject,
                contact_id,
                channel_id,
                user_id: owner,
                team_id: None,
                label_ids: vec![],
                created_at: now,
                updated_at: now,
                assigned_at: owner.map(|_| now),
                closed_at: None,
                ticket_result_id: None,
                messages: vec![],
                fields: BTreeMap::new(),
            },
        );
        Ok(id)
    }

    /// Moves the source ticket's messages into the target and closes the source.
    pub fn merge(&mut self, target_id: u64, source_id: u64, now: Ts) -> SimResult<()> {
        self.ticket(target_id)?;
        if source_id == target_id {
            return Err(SimError::invalid(
                "source_ticket_id",
                "A ticket cannot be merged into itself.",
            ));
        }
        // The source is deleted, its messages moved to the target (as Trengo's `TICKET_MERGED`
        // webhook says: `merged_and_deleted_ticket_id`).
        self.ticket(source_id)?;
        let moved = self
            .tickets
            .remove(&source_id)
            .map(|t| t.messages)
            .unwrap_or_default();
        let t = self.ticket_mut(target_id)?;
        t.messages.extend(moved);
        t.messages.sort_by_key(|m| (m.created_at, m.id));
        t.updated_at = now;
        Ok(())
    }

    /// Deletes an internal note. Other messages were sent to or by the customer and stay: 422.
    pub fn delete_note(&mut self, ticket_id: u64, message_id: u64, now: Ts) -> SimResult<()> {
        let t = self.ticket_mut(ticket_id)?;
        let at = t
            .messages
            .iter()
            .position(|m| m.id == message_id)
            .ok_or_else(|| SimError::not_found("Message", message_id))?;
        if t.messages[at].kind != MessageKind::Note {
            return Err(SimError::invalid(
                "message",
                "Only internal notes can be deleted.",
            ));
        }
        t.messages.remove(at);
        t.updated_at = now;
        Ok(())
    }

    pub fn delete_ticket(&mut self, ticket_id: u64) -> SimResult<()> {
        self.tickets
            .remove(&ticket_id)
            .map(|_| ())
            .ok_or_else(|| SimError::not_found("Ticket", ticket_id))
    }
}

/// Lower-case, dash-separated, as Laravel's `Str::slug`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_alphanumeric() {
            out.extend(ch.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}
