//! Trengo's JSON shapes (../shared/trengo-api.md §3 and §5), written as the server's own structs.

use serde::Serialize;
use serde_json::{json, Value};

use crate::world::*;

/// The zone of Trengo's zone-less times: Amsterdam's wall clock, whatever the user's zone (as real
/// answers show; ../shared/trengo-api.md §9).
pub const TRENGO_ZONE: chrono_tz::Tz = chrono_tz::Europe::Amsterdam;

tokio::task_local! {
    /// The zone of the workspace this request is answered for ([`crate::SimConfig::zone`]).
    static ZONE: chrono_tz::Tz;
}

/// The zone zone-less times are written in while answering: the simulated workspace's, else
/// Amsterdam's.
pub fn zone() -> chrono_tz::Tz {
    ZONE.try_with(|z| *z).unwrap_or(TRENGO_ZONE)
}

/// Answers `f` (a request) writing zone-less times in `zone`.
pub async fn in_zone<F: std::future::Future>(zone: chrono_tz::Tz, f: F) -> F::Output {
    ZONE.scope(zone, f).await
}

/// `2021-12-06 13:09:14`: lists and show responses, in the workspace's wall-clock time
/// (Amsterdam's, as real answers show).
pub fn list_ts(ts: Ts) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .with_timezone(&zone())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `2021-12-06 12:09:14`: zone-less UTC, as inside raw write answers (beside a unix `…_time`).
pub fn utc_wall_ts(ts: Ts) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `2021-12-06T12:09:14.000000Z`: model responses of writes.
pub fn iso_ts(ts: Ts) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// Which timestamp format a response uses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TsStyle {
    List,
    Iso,
}

impl TsStyle {
    pub fn fmt(self, ts: Ts) -> String {
        match self {
            TsStyle::List => list_ts(ts),
            TsStyle::Iso => iso_ts(ts),
        }
    }
}

fn abbr(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// The account every seeded user belongs to (`agency_id`).
pub const AGENCY_ID: u64 = 100_001;

#[derive(Serialize)]
pub struct RoleOut {
    id: u64,
    name: String,
}

#[derive(Serialize)]
pub struct UserOut<'a> {
    id: u64,
    agency_id: u64,
    first_name: &'a str,
    last_name: &'a str,
    name: String,
    full_name: String,
    email: &'a str,
    abbr: String,
    phone: Option<&'a str>,
    color: &'a str,
    locale_code: &'a str,
    status: &'static str,
    text: String,
    is_online: u8,
    user_status: &'static str,
    chat_status: &'static str,
    voip_status: &'static str,
    voip_device: &'static str,
    profile_image: Option<&'a str>,
    /// `OWNER` on the account's owner, else null: not the role (real answers show it so).
    authorization: Option<&'static str>,
    role: RoleOut,
    is_primary: u8,
    timezone: &'a str,
    created_at: String,
    two_factor_authentication_enabled: bool,
}

/// A role as real answers carry it: `{id, name}`, the name lower case (`administrator`); the
/// owner's role is `administrator`, `authorization: OWNER` beside it.
fn role(authorization: &str) -> RoleOut {
    let name = match authorization.to_ascii_lowercase().as_str() {
        "owner" => "administrator".to_string(),
        other => other.to_string(),
    };
    let id = match name.as_str() {
        "observer" => 20,
        "basic_agent" => 21,
        "advanced_agent" => 22,
        "supervisor" => 23,
        "administrator" => 24,
        _ => 25,
    };
    RoleOut { id, name }
}

pub fn user(u: &User) -> UserOut<'_> {
    let owner = u.authorization.eq_ignore_ascii_case("OWNER");
    UserOut {
        id: u.id,
        agency_id: AGENCY_ID,
        first_name: &u.first_name,
        last_name: &u.last_name,
        name: u.full_name(),
        full_name: u.full_name(),
        email: &u.email,
        abbr: abbr(&u.full_name()),
        phone: u.phone.as_deref(),
        color: &u.color,
        locale_code: &u.locale_code,
        status: "ACTIVE",
        text: u.full_name(),
        // Trengo sends some booleans as 0/1, and the chat status as "1"/"0".
        is_online: u.is_online as u8,
        user_status: if u.is_online { "ONLINE" } else { "OFFLINE" },
        chat_status: if u.is_online { "1" } else { "0" },
        voip_status: "OFFLINE",
        voip_device: "WEB",
        profile_image: None,
        authorization: owner.then_some("OWNER"),
        role: role(&u.authorization),
        is_primary: owner as u8,
        timezone: &u.timezone,
        created_at: list_ts(u.created_at),
        two_factor_authentication_enabled: false,
    }
}

pub fn team(w: &World, t: &Team) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "users": t.user_ids.iter().filter_map(|id| w.users.get(id)).map(user).collect::<Vec<_>>(),
        "channels": t.channel_ids.iter().filter_map(|id| w.channels.get(id)).map(channel).collect::<Vec<_>>(),
    })
}

#[derive(Serialize)]
pub struct LabelOut<'a> {
    id: u64,
    name: &'a str,
    slug: &'a str,
    color: &'a str,
    sort_order: u32,
    archived: bool,
}

pub fn label(l: &Label) -> LabelOut<'_> {
    LabelOut {
        id: l.id,
        name: &l.name,
        slug: &l.slug,
        color: &l.color,
        sort_order: l.sort_order,
        archived: l.archived,
    }
}

pub fn custom_field(f: &CustomField) -> Value {
    json!({
        "id": f.id,
        "title": f.title,
        "type": f.entity,
        "field_type": f.field_type,
        "is_required": f.is_required,
        "items": f.items.iter().map(|(id, v)| json!({"id": id, "value": v})).collect::<Vec<_>>(),
        "sort_order": f.id as i64 % 100,
        "identifier": f.title.to_lowercase().replace(' ', "-"),
        "placeholder": null,
        "channels": [],
    })
}

#[derive(Serialize)]
#[allow(non_snake_case)]
pub struct ChannelOut<'a> {
    id: u64,
    name: &'a str,
    title: &'a str,
    phone: &'static str,
    #[serde(rename = "type")]
    kind: &'a str,
    auto_reply: &'static str,
    color: &'static str,
    notification_email: Option<()>,
    business_hour_id: Option<u64>,
    notification_sound: &'static str,
    status: &'a str,
    display_name: &'a str,
    text: &'a str,
    show_ticket_fields: u8,
    show_contact_fields: u8,
    emailChannel: Option<()>,
    users: [(); 0],
    username: Option<()>,
    reopen_closed_ticket: u8,
    is_private: bool,
    reassign_reopened_ticket: bool,
    /// A string, as captured.
    reopen_closed_ticket_time_window_days: &'static str,
    password: Option<()>,
    password_is_null: bool,
}

/// A channel as lists, shows and write answers nest it.
pub fn channel(c: &Channel) -> ChannelOut<'_> {
    ChannelOut {
        id: c.id,
        name: &c.name,
        title: &c.title,
        phone: "",
        kind: &c.kind,
        auto_reply: "DISABLED",
        color: "#000000",
        notification_email: None,
        business_hour_id: None,
        notification_sound: "chat.mp3",
        status: &c.status,
        display_name: &c.title,
        text: &c.title,
        show_ticket_fields: 1,
        show_contact_fields: 1,
        emailChannel: None,
        users: [],
        username: None,
        reopen_closed_ticket: 1,
        is_private: false,
        reassign_reopened_ticket: false,
        reopen_closed_ticket_time_window_days: "30",
        password: None,
        password_is_null: true,
    }
}

/// The account the seeded workspace is, as a raw channel model nests it.
fn agency(created_at: Ts) -> Value {
    json!({
        "id": AGENCY_ID, "name": "Demo Support", "slug": "demo-support", "status": "ACTIVE",
        "trial_ends_at": null, "channel_prefix": "demo", "plan": null,
        "subscription_started_at": null, "moneybird_is_synced": 0, "moneybird_contact_id": null,
        "is_white_labelled": 0, "agency_parent_id": null, "price_package_a": "25.00",
        "price_package_b": "65.00", "price_package_c": "145.00", "locale_code": "en-GB",
        "has_session_limit": 0, "enable_whatsapp": 1, "enable_bulk_sms": 0,
        "enable_invoicing": 0, "add_wa_contacts": 0, "deleted_at": null,
        "created_at": iso_ts(created_at), "updated_at": iso_ts(created_at),
        "pricing": {"A": "25.00", "B": "65.00", "C": "145.00"},
        "chargebee_customer_id": AGENCY_ID.to_string(), "pricing_model": "seats",
    })
}

/// A channel as a raw write answer nests it (`POST /tickets`): the columns of its model too, ISO
/// times, its account, and who asked for it (the account's owner in the seeded workspace).
pub fn channel_model(c: &Channel, created_at: Ts, requested_by: Option<u64>) -> Value {
    let mut v = serde_json::to_value(channel(c)).unwrap_or_default();
    let extra = json!({
        "account_type": null, "agency": agency(created_at), "agency_id": AGENCY_ID,
        "can_be_deleted_at": list_ts(created_at + 31 * 86_400),
        "connection_error_notification_email": null, "created_at": iso_ts(created_at),
        "deleted_at": null, "expires_at": null, "formatted_phone": "", "is_running": 0,
        "is_wa_connector": 0, "last_activity_at": null, "last_login_at": null, "logo_path": null,
        "price": "0.00", "requested_by": requested_by, "status_update": null,
        "telegram_last_update_id": null, "updated_at": iso_ts(created_at), "wa_server_id": null,
    });
    if let (Value::Object(o), Value::Object(e)) = (&mut v, extra) {
        o.extend(e);
    }
    v
}

/// A user as a raw write answer nests it (`agent` of `POST /tickets`): the model's columns, ISO
/// times.
pub fn user_model(u: &User) -> Value {
    let mut v = serde_json::to_value(user(u)).unwrap_or_default();
    let extra = json!({
        "parent_agency_id": null, "title": "", "is_demo_user": 0, "screen_lock_enabled": 0,
        "activation_token": null, "requires_password_update": 0,
        "created_at": iso_ts(u.created_at), "updated_at": iso_ts(u.created_at),
        "last_activity_at": list_ts(u.created_at), "deleted_at": null, "rate_limit": 750,
        "role_id": role(&u.authorization).id,
    });
    if let (Value::Object(o), Value::Object(e)) = (&mut v, extra) {
        o.extend(e);
    }
    v
}

pub fn ticket_result(r: &TicketResult) -> Value {
    json!({"id": r.id, "name": r.name, "sort_order": r.sort_order})
}

#[derive(Serialize)]
pub struct ContactOut<'a> {
    id: u64,
    name: &'a str,
    full_name: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    formatted_phone: Option<&'a str>,
    identifier: &'a str,
    abbr: String,
    color: &'a str,
    avatar: Option<&'a str>,
    profile_image: Option<&'a str>,
    is_phone: bool,
    is_private: bool,
    display_name: &'a str,
    /// `null` when nothing is set, else `{"<field title>": "value"}`.
    custom_field_data: Option<serde_json::Map<String, Value>>,
    /// Every CONTACT field's title → its value, null when unset.
    formatted_custom_field_data: serde_json::Map<String, Value>,
    /// `[{custom_field_id, field_name, value}]`.
    custom_field_values: Vec<Value>,
    profile: [(); 0],
    pivot: Option<()>,
    channels: Vec<ChannelOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<Vec<Value>>,
    groups: Vec<Value>,
}

pub fn contact<'a>(w: &'a World, c: &'a Contact, with_notes: bool) -> ContactOut<'a> {
    // As real contacts carry them: `custom_field_data` keyed by the field's title (null when
    // nothing is set), `custom_field_values` by id with the title beside it.
    let custom_field_data = (!c.fields.is_empty()).then(|| {
        c.fields
            .iter()
            .map(|(k, v)| {
                let title = w.fields.get(k).map(|f| f.title.clone());
                (
                    title.unwrap_or_else(|| k.to_string()),
                    Value::String(v.clone()),
                )
            })
            .collect()
    });
    let custom_field_values = field_values(w, &c.fields);
    let formatted_custom_field_data = w
        .fields
        .values()
        .filter(|f| f.entity == "CONTACT")
        .map(|f| {
            (
                f.title.clone(),
                c.fields
                    .get(&f.id)
                    .map(|v| Value::String(v.clone()))
                    .unwrap_or(Value::Null),
            )
        })
        .collect();
    ContactOut {
        id: c.id,
        name: &c.name,
        full_name: &c.name,
        email: c.email.as_deref(),
        phone: c.phone.as_deref(),
        formatted_phone: c.phone.as_deref(),
        identifier: &c.identifier,
        abbr: abbr(&c.name),
        color: &c.color,
        avatar: None,
        profile_image: None,
        is_phone: c.email.is_none(),
        is_private: c.is_private,
        display_name: &c.name,
        custom_field_data,
        formatted_custom_field_data,
        custom_field_values,
        profile: [],
        pivot: None,
        channels: c.channel_ids.iter().filter_map(|id| w.channels.get(id)).map(channel).collect(),
        notes: with_notes.then(|| {
            c.notes
                .iter()
                .map(|n| json!({"id": n.id, "note": n.note, "user_id": n.user_id, "created_at": list_ts(n.created_at)}))
                .collect()
        }),
        groups: vec![],
    }
}

/// The answer to `POST /contacts/{id}/notes`, as captured: the note with its contact and author.
pub fn contact_note(w: &World, contact_id: u64, note_id: u64) -> Value {
    let Some(c) = w.contacts.get(&contact_id) else {
        return Value::Null;
    };
    let Some(n) = c.notes.iter().find(|n| n.id == note_id) else {
        return Value::Null;
    };
    json!({
        "id": n.id,
        "contact": contact(w, c, false),
        "user": w.users.get(&n.user_id).map(user),
        "body": n.note,
        "created_at": list_ts(n.created_at),
    })
}

#[derive(Serialize)]
pub struct AttachmentOut<'a> {
    id: u64,
    client_name: &'a str,
    full_url: String,
    mime_type: &'a str,
    size: u64,
}

fn attachments(m: &Message) -> Vec<AttachmentOut<'_>> {
    m.attachments
        .iter()
        .map(|a| AttachmentOut {
            id: a.id,
            client_name: &a.name,
            full_url: format!("https://assets.trengo.test/media/{}/{}", a.id, a.name),
            mime_type: &a.mime_type,
            size: a.size,
        })
        .collect()
}

#[derive(Serialize)]
pub struct LatestMessageOut<'a> {
    id: u64,
    #[serde(rename = "type")]
    kind: &'static str,
    message: &'a str,
    created_at: String,
    attachments: Vec<AttachmentOut<'a>>,
}

/// `latest_message` is an object in lists and a timestamp string in the create response.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Latest<'a> {
    Object(LatestMessageOut<'a>),
    Timestamp(String),
    None(Option<()>),
}

#[derive(Serialize)]
#[allow(non_snake_case)]
pub struct TicketOut<'a> {
    id: u64,
    status: &'static str,
    subject: Option<&'a str>,
    closed_at: Option<String>,
    created_at: String,
    updated_at: String,
    assigned_at: Option<String>,
    user_id: Option<u64>,
    team_id: Option<u64>,
    contact_id: u64,
    channel_id: u64,
    ticket_result_id: Option<u64>,
    contact: Option<ContactOut<'a>>,
    channel: Option<ChannelOut<'a>>,
    channelMeta: Option<()>,
    latest_message: Latest<'a>,
    labels: Vec<LabelOut<'a>>,
    custom_data: Option<()>,
    /// `[{custom_field_id, field_name, value}]`: real tickets carry no `custom_field_data`.
    custom_field_values: Vec<Value>,
    messages_count: usize,
}

/// `custom_field_values` of a ticket or contact, by field id with its title beside it.
fn field_values(w: &World, fields: &std::collections::BTreeMap<u64, String>) -> Vec<Value> {
    fields
        .iter()
        .map(|(id, v)| {
            json!({
                "custom_field_id": id,
                "field_name": w.fields.get(id).map(|f| f.title.as_str()).unwrap_or_default(),
                "value": v,
            })
        })
        .collect()
}

/// `GET /tickets/{id}` as captured: no `latest_message`, `messages_count` null, the team, agent
/// and assignee objects, and the lists a show adds.
pub fn ticket_show(w: &World, t: &Ticket) -> Value {
    let mut v = serde_json::to_value(ticket(w, t, TsStyle::List, false)).unwrap_or_default();
    if let Value::Object(o) = &mut v {
        o.remove("latest_message");
        o.insert("messages_count".into(), Value::Null);
        let agent = t.user_id.and_then(|u| w.users.get(&u)).map(user);
        o.insert(
            "agent".into(),
            serde_json::to_value(&agent).unwrap_or_default(),
        );
        o.insert(
            "assignee".into(),
            serde_json::to_value(&agent).unwrap_or_default(),
        );
        o.insert(
            "team".into(),
            t.team_id
                .and_then(|id| w.teams.get(&id))
                .map(|tm| json!({"id": tm.id, "name": tm.name}))
                .unwrap_or(Value::Null),
        );
        o.insert("closed_by".into(), Value::Null);
        o.insert("reminder".into(), Value::Null);
        for k in [
            "results",
            "watchers",
            "starred",
            "attachments",
            "messaging_attachments",
            "related_tickets",
        ] {
            o.insert(k.into(), json!([]));
        }
        o.insert("audits".into(), audits(w, t));
    }
    v
}

/// The system entries a show lists under `audits`, as captured (`{id, type: AUDIT, audit_type,
/// body_type, message, created_at}`), from what the ticket's state tells: made, assigned, closed.
fn audits(w: &World, t: &Ticket) -> Value {
    let when = |ts: Ts| {
        chrono::DateTime::from_timestamp(ts, 0)
            .unwrap_or_default()
            .format("%d-%m-%Y, %H:%M")
            .to_string()
    };
    let mut out = vec![(
        "TICKET_CREATED",
        format!("Created at {}", when(t.created_at)),
        t.created_at,
    )];
    if let (Some(at), Some(u)) = (t.assigned_at, t.user_id.and_then(|u| w.users.get(&u))) {
        out.push((
            "TICKET_ASSIGNED",
            format!("Assigned to {} at {}", u.full_name(), when(at)),
            at,
        ));
    }
    if let Some(at) = t.closed_at {
        out.push(("TICKET_CLOSED", format!("Closed at {}", when(at)), at));
    }
    out.into_iter()
        .enumerate()
        .map(|(i, (kind, message, at))| {
            json!({
                "id": t.id * 10 + i as u64,
                "type": "AUDIT",
                "audit_type": kind,
                "body_type": "TEXT",
                "message": message,
                "created_at": list_ts(at),
            })
        })
        .collect()
}

/// A ticket as lists and `GET /tickets/{id}` show it (`List`), or as a write's model response (`Iso`).
pub fn ticket<'a>(
    w: &'a World,
    t: &'a Ticket,
    style: TsStyle,
    latest_as_string: bool,
) -> TicketOut<'a> {
    let latest = match t.messages.last() {
        None => Latest::None(None),
        Some(m) if latest_as_string => Latest::Timestamp(style.fmt(m.created_at)),
        Some(m) => Latest::Object(LatestMessageOut {
            id: m.id,
            kind: m.kind.as_str(),
            message: &m.body,
            created_at: style.fmt(m.created_at),
            attachments: attachments(m),
        }),
    };
    TicketOut {
        id: t.id,
        status: t.status.as_str(),
        subject: t.subject.as_deref(),
        closed_at: t.closed_at.map(|x| style.fmt(x)),
        created_at: style.fmt(t.created_at),
        updated_at: style.fmt(t.updated_at),
        assigned_at: t.assigned_at.map(|x| style.fmt(x)),
        user_id: t.user_id,
        team_id: t.team_id,
        contact_id: t.contact_id,
        channel_id: t.channel_id,
        ticket_result_id: t.ticket_result_id,
        contact: w.contacts.get(&t.contact_id).map(|c| contact(w, c, false)),
        channel: w.channels.get(&t.channel_id).map(channel),
        channelMeta: None,
        latest_message: latest,
        labels: t
            .label_ids
            .iter()
            .filter_map(|id| w.labels.get(id))
            .map(label)
            .collect(),
        custom_data: None,
        custom_field_values: field_values(w, &t.fields),
        messages_count: t.messages.len(),
    }
}

#[derive(Serialize)]
#[allow(non_snake_case)]
pub struct MessageOut<'a> {
    id: u64,
    ticket_id: u64,
    #[serde(rename = "type")]
    kind: &'static str,
    body_type: &'static str,
    message: &'a str,
    created_at: String,
    updated_at: String,
    user_id: Option<u64>,
    contact: Option<ContactOut<'a>>,
    agent: Option<UserOut<'a>>,
    attachments: Vec<AttachmentOut<'a>>,
    is_auto_reply: bool,
    file_name: Option<()>,
    file_caption: Option<()>,
    location_data: Option<()>,
    mentions: [(); 0],
    contacts: [(); 0],
    meta: Option<()>,
    parent: Option<()>,
    reactionSums: [(); 0],
    /// Whole hours since the ticket was made.
    diff_in_hours: i64,
    messageEvents: [(); 0],
}

pub fn message<'a>(w: &'a World, t: &'a Ticket, m: &'a Message, style: TsStyle) -> MessageOut<'a> {
    MessageOut {
        id: m.id,
        ticket_id: t.id,
        kind: m.kind.as_str(),
        body_type: "TEXT",
        message: &m.body,
        created_at: style.fmt(m.created_at),
        updated_at: style.fmt(m.created_at),
        user_id: m.user_id,
        contact: (m.kind == MessageKind::Inbound)
            .then(|| w.contacts.get(&t.contact_id).map(|c| contact(w, c, false)))
            .flatten(),
        agent: m.user_id.and_then(|u| w.users.get(&u)).map(user),
        attachments: attachments(m),
        is_auto_reply: m.is_auto_reply,
        file_name: None,
        file_caption: None,
        location_data: None,
        mentions: [],
        contacts: [],
        meta: None,
        parent: None,
        reactionSums: [],
        diff_in_hours: (m.created_at - t.created_at).max(0) / 3600,
        messageEvents: [],
    }
}

/// The answer to `POST /tickets/{id}/messages`, as captured: wrapped in `{"message": …}`, its
/// `created_at` zone-less UTC beside the unix `created_at_time`, with the ticket it went to.
pub fn posted_message(w: &World, t: &Ticket, m: &Message) -> Value {
    let mut v = serde_json::to_value(message(w, t, m, TsStyle::List)).unwrap_or_default();
    if let Value::Object(o) = &mut v {
        o.insert("created_at".into(), json!(utc_wall_ts(m.created_at)));
        o.insert("updated_at".into(), json!(utc_wall_ts(m.created_at)));
        o.insert("created_at_time".into(), json!(m.created_at));
        o.insert(
            "ticket".into(),
            serde_json::to_value(ticket(w, t, TsStyle::List, false)).unwrap_or_default(),
        );
    }
    json!({ "message": v })
}

// ---- pagination envelopes (§3) ----

mod page;

pub use page::{length_aware, simple, Envelope, Links, Meta, MetaLink};
