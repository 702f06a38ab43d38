//! Deterministic workspaces: `small` for tests, `demo` for people, `large` for benchmarks.
//! The same seed and size give the same records; timestamps are laid out backwards from an anchor.

use std::collections::{BTreeMap, HashMap};

use crate::rng::Rng;
use crate::world::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    Small,
    Demo,
    Large,
}

impl std::str::FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "small" => Ok(Size::Small),
            "demo" => Ok(Size::Demo),
            "large" => Ok(Size::Large),
            other => Err(format!(
                "unknown size {other:?}: expected small, demo or large"
            )),
        }
    }
}

struct Dims {
    users: usize,
    teams: usize,
    labels: usize,
    contacts: usize,
    tickets: usize,
    span_days: i64,
}

fn dims(size: Size) -> Dims {
    match size {
        Size::Small => Dims {
            users: 8,
            teams: 3,
            labels: 12,
            contacts: 80,
            tickets: 150,
            span_days: 30,
        },
        Size::Demo => Dims {
            users: 40,
            teams: 8,
            labels: 60,
            contacts: 2_000,
            tickets: 5_000,
            span_days: 120,
        },
        Size::Large => Dims {
            users: 60,
            teams: 8,
            labels: 120,
            contacts: 50_000,
            tickets: 100_000,
            span_days: 365,
        },
    }
}

/// The first ids of each kind, in Trengo's ranges so ids look (and overflow) like real ones.
pub const FIRST_USER_ID: u64 = 3_601;
pub const FIRST_TEAM_ID: u64 = 201;
pub const FIRST_LABEL_ID: u64 = 1_001;
pub const FIRST_CONTACT_ID: u64 = 163_968_001;
pub const FIRST_TICKET_ID: u64 = 318_550_001;
pub const FIRST_MESSAGE_ID: u64 = 1_074_356_001;
/// The number of the first seeded Customer ID: `C-10000`.
pub const FIRST_CUSTOMER_NO: u64 = 10_000;

/// What the demo lookup service knows of a seeded customer.
#[derive(Debug, Clone)]
pub struct CustomerSeed {
    pub name: String,
    pub email: Option<String>,
}

pub struct Seeded {
    pub world: World,
    /// Customer ID → the contact it was seeded on (the company's own system's view).
    pub customers: HashMap<String, CustomerSeed>,
    /// The highest customer number the lookup service knows (some beyond the contacts: unmatched ids).
    pub max_customer_no: u64,
}

mod names;

pub use names::PLANS;
use names::*;

fn customer_id(no: u64) -> String {
    format!("C-{no}")
}

pub fn seed(seed: u64, size: Size, anchor: Ts) -> Seeded {
    let d = dims(size);
    let mut rng = Rng::new(seed);
    let mut w = World::default();
    channels(&mut w);
    users(&mut w, &mut rng, &d, anchor);
    teams(&mut w, &mut rng, &d);
    labels(&mut w, &d);
    let f = fields(&mut w);
    results(&mut w);
    let (customers, last_customer_no) = contacts(&mut w, &mut rng, &d, anchor, &f);
    let mut ids = Ids {
        message: FIRST_MESSAGE_ID - 1,
        attachment: 9_000_000,
    };
    tickets(&mut w, &mut rng, &d, anchor, &f, &mut ids);
    w.next_id = NextIds {
        // The last id used of each kind: creating one increments first.
        ticket: FIRST_TICKET_ID + d.tickets as u64 - 1,
        contact: FIRST_CONTACT_ID + d.contacts as u64 - 1,
        message: ids.message,
        label: FIRST_LABEL_ID + d.labels as u64 - 1,
        note: w.next_id.note + 100,
        attachment: ids.attachment,
    };
    let max_customer_no = last_customer_no + (last_customer_no - FIRST_CUSTOMER_NO) / 10;
    Seeded {
        world: w,
        customers,
        max_customer_no,
    }
}

/// The channels: two email addresses, chat, WhatsApp, phone and SMS.
fn channels(w: &mut World) {
    let channels: &[(&str, &str, &str)] = &[
        ("support@", "Support email", "EMAIL"),
        ("billing@", "Billing email", "EMAIL"),
        ("Website chat", "Website chat", "CHAT"),
        ("WhatsApp NL", "WhatsApp NL", "WA_BUSINESS"),
        ("Phone NL", "Phone NL", "VOIP"),
        ("SMS", "SMS", "SMS"),
    ];
    for (i, (name, title, kind)) in channels.iter().enumerate() {
        let id = 801 + i as u64;
        w.channels.insert(
            id,
            Channel {
                id,
                name: name.to_string(),
                title: title.to_string(),
                kind: kind.to_string(),
                status: "ACTIVE".into(),
            },
        );
    }
}

/// Users: the first is the token's owner (a supervisor, the support lead of the demo).
fn users(w: &mut World, rng: &mut Rng, d: &Dims, anchor: Ts) {
    let roles_cycle = [
        "ADVANCED_AGENT",
        "ADVANCED_AGENT",
        "BASIC_AGENT",
        "ADVANCED_AGENT",
        "SUPERVISOR",
        "BASIC_AGENT",
    ];
    for i in 0..d.users {
        let id = FIRST_USER_ID + i as u64;
        let (first, last) = if i == 0 {
            ("Robin", "Jansen")
        } else {
            (*rng.pick(FIRST), *rng.pick(LAST))
        };
        let authorization = match i {
            0 => "SUPERVISOR",
            1 => "OWNER",
            2 | 3 => "ADMINISTRATOR",
            _ if i + 2 >= d.users => "OBSERVER",
            _ => roles_cycle[i % roles_cycle.len()],
        };
        let email = format!(
            "{}.{}@trengo-desk.test",
            slug(first).replace('-', ""),
            slug(last).replace('-', "")
        );
        let email = if w.users.values().any(|u| u.email == email) {
            format!("{}{}", id, email)
        } else {
            email
        };
        w.users.insert(
            id,
            User {
                id,
                first_name: first.into(),
                last_name: last.into(),
                email,
                phone: rng
                    .chance(0.5)
                    .then(|| format!("+31 6 {:08}", rng.below(100_000_000))),
                color: rng.pick(COLORS).to_string(),
                locale_code: if rng.chance(0.6) {
                    "nl-NL".into()
                } else {
                    "en-GB".into()
                },
                authorization: authorization.into(),
                is_online: rng.chance(0.4),
                timezone: "Europe/Amsterdam".into(),
                created_at: anchor - 86_400 * (400 + rng.below(900) as i64),
            },
        );
    }
}

/// Teams: every agent in one to three teams; the demo lead in the first two.
fn teams(w: &mut World, rng: &mut Rng, d: &Dims) {
    let user_ids: Vec<u64> = w.users.keys().copied().collect();
    for (i, name) in TEAMS.iter().take(d.teams).enumerate() {
        let id = FIRST_TEAM_ID + i as u64;
        let ch = w
            .channels
            .keys()
            .copied()
            .filter(|c| (c + i as u64).is_multiple_of(2) || i == 1)
            .collect();
        w.teams.insert(
            id,
            Team {
                id,
                name: name.to_string(),
                user_ids: vec![],
                channel_ids: ch,
            },
        );
    }
    let team_ids: Vec<u64> = w.teams.keys().copied().collect();
    for (i, uid) in user_ids.iter().enumerate() {
        let mut mine: Vec<u64> = if i == 0 {
            team_ids.iter().take(2).copied().collect()
        } else {
            let n = rng.range(1, 3.min(team_ids.len() as u64));
            (0..n).map(|_| *rng.pick(&team_ids)).collect()
        };
        mine.sort();
        mine.dedup();
        for t in mine {
            w.teams.get_mut(&t).unwrap().user_ids.push(*uid);
        }
    }
}

/// Labels, the last archived.
fn labels(w: &mut World, d: &Dims) {
    for i in 0..d.labels {
        let id = FIRST_LABEL_ID + i as u64;
        let name = if i < LABELS.len() {
            LABELS[i].to_string()
        } else {
            format!("{}-{}", LABELS[i % LABELS.len()], i / LABELS.len() + 1)
        };
        w.labels.insert(
            id,
            Label {
                id,
                slug: slug(&name),
                name,
                color: COLORS[i % COLORS.len()].to_string(),
                sort_order: i as u32,
                archived: i + 1 == d.labels,
            },
        );
    }
}

/// The custom fields the seed fills in.
struct FieldIds {
    customer: u64,
    plan: u64,
    mrr: u64,
    country: u64,
    signup: u64,
    vip: u64,
    order: u64,
    prio: u64,
}

/// Custom fields of contacts, tickets and profiles.
fn fields(w: &mut World) -> FieldIds {
    let mut fid = 501u64;
    let mut add_field =
        |w: &mut World, title: &str, entity: &str, ft: &str, items: &[&str], req: bool| {
            let id = fid;
            fid += 1;
            let items = items
                .iter()
                .enumerate()
                .map(|(k, v)| (id * 100 + k as u64, v.to_string()))
                .collect();
            w.fields.insert(
                id,
                CustomField {
                    id,
                    title: title.into(),
                    entity: entity.into(),
                    field_type: ft.into(),
                    items,
                    is_required: req,
                },
            );
            id
        };
    let customer = add_field(w, "Customer ID", "CONTACT", "TEXT", &[], false);
    let plan = add_field(w, "Plan", "CONTACT", "DROPDOWN", PLANS, false);
    let mrr = add_field(w, "MRR", "CONTACT", "NUMBER", &[], false);
    let country = add_field(w, "Country", "CONTACT", "TEXT", &[], false);
    let signup = add_field(w, "Signup date", "CONTACT", "DATE", &[], false);
    let _f_am = add_field(w, "Account manager", "CONTACT", "TEXT", &[], false);
    let vip = add_field(w, "VIP", "CONTACT", "CHECKBOX", &[], false);
    let order = add_field(w, "Order number", "TICKET", "TEXT", &[], false);
    let prio = add_field(
        w,
        "Priority",
        "TICKET",
        "DROPDOWN",
        &["Low", "Normal", "High", "Urgent"],
        false,
    );
    add_field(w, "Company size", "PROFILE", "NUMBER", &[], false);
    FieldIds {
        customer,
        plan,
        mrr,
        country,
        signup,
        vip,
        order,
        prio,
    }
}

/// Ticket results.
fn results(w: &mut World) {
    for (i, name) in ["Solved", "Not solvable", "Duplicate", "No response"]
        .iter()
        .enumerate()
    {
        let id = 61 + i as u64;
        w.ticket_results.insert(
            id,
            TicketResult {
                id,
                name: name.to_string(),
                sort_order: i as u32,
            },
        );
    }
}

/// Contacts, three in four with a Customer ID (a few shared: duplicates) and some fields; the
/// customer system's records of them, and the last customer number given.
fn contacts(
    w: &mut World,
    rng: &mut Rng,
    d: &Dims,
    anchor: Ts,
    f: &FieldIds,
) -> (HashMap<String, CustomerSeed>, u64) {
    let user_ids: Vec<u64> = w.users.keys().copied().collect();
    let mut customers = HashMap::new();
    let mut last_customer_no = FIRST_CUSTOMER_NO;
    for i in 0..d.contacts {
        let id = FIRST_CONTACT_ID + i as u64;
        let first = *rng.pick(FIRST);
        let last = *rng.pick(LAST);
        let name = format!("{first} {last}");
        let has_email = rng.chance(0.8);
        let email = has_email.then(|| {
            format!(
                "{}.{}{}@{}",
                slug(first),
                slug(last).replace('-', ""),
                i % 97,
                rng.pick(DOMAINS)
            )
        });
        let phone =
            (!has_email || rng.chance(0.3)).then(|| format!("+31 6 {:08}", rng.below(100_000_000)));
        let identifier = email.clone().or_else(|| phone.clone()).unwrap();
        let mut fields = BTreeMap::new();
        if rng.chance(0.75) {
            // About one in a hundred shares a Customer ID with the contact before it (a duplicate).
            let no = if rng.chance(0.01) && last_customer_no > FIRST_CUSTOMER_NO {
                last_customer_no - 1
            } else {
                last_customer_no += 1;
                last_customer_no - 1
            };
            let cid = customer_id(no);
            customers.entry(cid.clone()).or_insert(CustomerSeed {
                name: name.clone(),
                email: email.clone(),
            });
            fields.insert(f.customer, cid);
            if rng.chance(0.4) {
                fields.insert(f.plan, rng.pick(PLANS).to_string());
            }
            if rng.chance(0.3) {
                fields.insert(f.mrr, format!("{}", rng.range(0, 40) * 20));
            }
            if rng.chance(0.5) {
                fields.insert(f.country, rng.pick(COUNTRIES).to_string());
            }
            if rng.chance(0.2) {
                let days = rng.range(30, 1500) as i64;
                let date = chrono::DateTime::from_timestamp(anchor - days * 86_400, 0)
                    .unwrap()
                    .date_naive();
                fields.insert(f.signup, date.format("%Y-%m-%d").to_string());
            }
            if rng.chance(0.05) {
                fields.insert(f.vip, "1".into());
            }
        }
        let mut notes = vec![];
        if rng.chance(0.05) {
            w.next_id.note += 1;
            notes.push(ContactNote {
                id: w.next_id.note,
                note: rng.pick(NOTES).to_string(),
                user_id: *rng.pick(&user_ids),
                created_at: anchor - rng.below(86_400 * 60) as i64,
            });
        }
        let channel_ids = vec![if email.is_some() { 801 } else { 804 }];
        w.contacts.insert(
            id,
            Contact {
                id,
                name,
                email,
                phone,
                identifier,
                color: rng.pick(COLORS).to_string(),
                is_private: false,
                channel_ids,
                group_ids: vec![],
                fields,
                notes,
            },
        );
    }
    (customers, last_customer_no)
}

/// Tickets, oldest first so ids grow with time.
fn tickets(w: &mut World, rng: &mut Rng, d: &Dims, anchor: Ts, f: &FieldIds, ids: &mut Ids) {
    let user_ids: Vec<u64> = w.users.keys().copied().collect();
    let label_by_name: HashMap<String, u64> =
        w.labels.values().map(|l| (l.name.clone(), l.id)).collect();
    let contact_ids: Vec<u64> = w.contacts.keys().copied().collect();
    let span = d.span_days * 86_400;
    let step = (span / d.tickets as i64).max(1);
    let start = anchor - span;
    let channel_ids: Vec<u64> = w.channels.keys().copied().collect();
    for i in 0..d.tickets {
        let id = FIRST_TICKET_ID + i as u64;
        let frac = i as f64 / d.tickets as f64;
        let created_at = start + i as i64 * step + rng.below(step as u64) as i64;
        let topic = rng.pick(TOPICS);
        let team_id =
            (rng.chance(0.85) && topic.team < d.teams).then(|| FIRST_TEAM_ID + topic.team as u64);
        let channel_id = match rng.below(100) {
            0..=44 => channel_ids[if topic.team == 0 { 1 } else { 0 }],
            45..=69 => channel_ids[2],
            70..=89 => channel_ids[3],
            90..=97 => channel_ids[4],
            _ => channel_ids[5],
        };
        let kind = w.channels[&channel_id].kind.clone();
        let kind = kind.as_str();
        let status = ticket_status(frac, rng.unit());
        let pool: Vec<u64> = team_id
            .map(|t| w.teams[&t].user_ids.clone())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| user_ids.clone());
        let user_id = match status {
            Status::Open => None,
            Status::Assigned => Some(*rng.pick(&pool)),
            _ => rng.chance(0.8).then(|| *rng.pick(&pool)),
        };
        let n = rng.range(1000, 99_999).to_string();
        let subject = match kind {
            "VOIP" => None,
            "WA_BUSINESS" | "SMS" if rng.chance(0.7) => None,
            _ => Some(rng.pick(topic.subjects).replace("{n}", &n)),
        };
        let mut label_ids = vec![];
        for _ in 0..rng.below(3) {
            let name = rng.pick(topic.labels);
            if let Some(l) = label_by_name.get(*name) {
                if !label_ids.contains(l) {
                    label_ids.push(*l);
                }
            }
        }
        if rng.chance(0.1) {
            let l = FIRST_LABEL_ID + rng.below(d.labels as u64);
            if !label_ids.contains(&l) {
                label_ids.push(l);
            }
        }
        let (messages, t) = thread(
            rng,
            &Asked {
                kind,
                topic,
                n: &n,
                user_id,
                pool: &pool,
                created_at,
                anchor,
            },
            ids,
        );
        let t = t.min(anchor);
        let last_at = messages
            .last()
            .map(|m| m.created_at)
            .unwrap_or(created_at)
            .min(anchor);
        let updated_at = last_at.max(created_at);
        let mut fields = BTreeMap::new();
        if topic.team == 2 && rng.chance(0.6) {
            fields.insert(f.order, format!("ORD-{n}"));
        }
        if rng.chance(0.15) {
            fields.insert(
                f.prio,
                rng.pick(&["Low", "Normal", "High", "Urgent"]).to_string(),
            );
        }
        w.tickets.insert(
            id,
            Ticket {
                id,
                status,
                subject,
                contact_id: *rng.pick(&contact_ids),
                channel_id,
                user_id,
                team_id,
                label_ids,
                created_at,
                updated_at,
                assigned_at: user_id.map(|_| (created_at + 120).min(t)),
                closed_at: matches!(status, Status::Closed).then_some(updated_at),
                ticket_result_id: matches!(status, Status::Closed)
                    .then(|| 61 + rng.below(4))
                    .filter(|_| rng.chance(0.5)),
                messages,
                fields,
            },
        );
    }
}

/// A ticket's status by how far along the span it was made (`frac`): the newest mostly open or
/// assigned, the oldest mostly closed.
fn ticket_status(frac: f64, roll: f64) -> Status {
    if frac > 0.9 {
        if roll < 0.35 {
            Status::Open
        } else if roll < 0.95 {
            Status::Assigned
        } else {
            Status::Closed
        }
    } else if frac > 0.7 {
        if roll < 0.10 {
            Status::Open
        } else if roll < 0.50 {
            Status::Assigned
        } else if roll < 0.98 {
            Status::Closed
        } else {
            Status::Invalid
        }
    } else if roll < 0.02 {
        Status::Open
    } else if roll < 0.08 {
        Status::Assigned
    } else if roll < 0.98 {
        Status::Closed
    } else {
        Status::Invalid
    }
}

/// What a ticket's thread is made from.
struct Asked<'a> {
    kind: &'a str,
    topic: &'a Topic,
    n: &'a str,
    user_id: Option<u64>,
    pool: &'a [u64],
    created_at: Ts,
    anchor: Ts,
}

/// The last message and attachment ids used.
struct Ids {
    message: u64,
    attachment: u64,
}

/// A ticket's messages: the customer writes, agents answer, sometimes a note in between; and the
/// time after the last.
fn thread(rng: &mut Rng, a: &Asked, ids: &mut Ids) -> (Vec<Message>, Ts) {
    let Asked {
        kind,
        topic,
        n,
        user_id,
        pool,
        created_at,
        anchor,
    } = *a;
    let mut messages = vec![];
    let mut t = created_at;
    let count = if kind == "VOIP" { 1 } else { rng.range(1, 6) };
    for k in 0..count {
        ids.message += 1;
        let (mkind, body, author) = if k == 0 {
            let body = if kind == "VOIP" {
                "Inbound call".to_string()
            } else {
                rng.pick(topic.bodies).replace("{n}", n)
            };
            (MessageKind::Inbound, body, None)
        } else if rng.chance(0.2) {
            (
                MessageKind::Note,
                rng.pick(NOTES).to_string(),
                Some(user_id.unwrap_or(*rng.pick(pool))),
            )
        } else if k % 2 == 1 {
            (
                MessageKind::Outbound,
                rng.pick(REPLIES).to_string(),
                Some(user_id.unwrap_or(*rng.pick(pool))),
            )
        } else {
            (
                MessageKind::Inbound,
                "Thanks, any update on this?".to_string(),
                None,
            )
        };
        let mut attachments = vec![];
        if mkind == MessageKind::Inbound && kind == "EMAIL" && rng.chance(0.08) {
            ids.attachment += 1;
            let (name, mime) = if rng.chance(0.5) {
                ("invoice.pdf", "application/pdf")
            } else {
                ("screenshot.png", "image/png")
            };
            attachments.push(Attachment {
                id: ids.attachment,
                name: name.into(),
                mime_type: mime.into(),
                size: rng.range(20_000, 2_000_000),
            });
        }
        messages.push(Message {
            id: ids.message,
            kind: mkind,
            body,
            created_at: t,
            user_id: author,
            attachments,
            is_auto_reply: false,
        });
        // Gaps shrink near the anchor, so no message lies in the future.
        t += (rng.range(60, 3 * 3_600) as i64)
            .min((anchor - t) / 2)
            .max(0);
    }
    (messages, t)
}
