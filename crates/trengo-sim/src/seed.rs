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

const FIRST: &[&str] = &[
    "Mara", "Daan", "Sanne", "Lucas", "Emma", "Noah", "Julia", "Sem", "Tess", "Finn", "Lotte",
    "Bram", "Anouk", "Thijs", "Fleur", "Ruben", "Iris", "Jesse", "Sophie", "Lars", "Eva", "Milan",
    "Zoë", "Luuk", "Noor", "Stijn", "Femke", "Joris", "Maud", "Timo", "Olivia", "Liam", "Amira",
    "Yusuf", "Chloé", "Mateo", "Hanna", "Jonas", "Aylin", "Kofi", "Priya", "Wei", "Ingrid",
    "Pieter", "Marloes", "Gijs", "Saar", "Niels", "Elif", "Omar", "Ana", "João", "Léa", "Björn",
    "Siobhan", "Tomasz", "Nadia", "Rafael", "Yara", "Koen",
];
const LAST: &[&str] = &[
    "de Vries",
    "Jansen",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "Kok",
    "Jacobs",
    "de Haan",
    "Vermeulen",
    "van Dijk",
    "Schouten",
    "Willems",
    "Hoekstra",
    "Müller",
    "Schmidt",
    "García",
    "Rossi",
    "Dubois",
    "Nowak",
    "Yılmaz",
    "O'Brien",
    "Nguyen",
    "Silva",
    "Kowalski",
    "Andersen",
    "Novak",
    "Costa",
    "Okafor",
    "Haddad",
    "Tanaka",
    "Kim",
    "Patel",
    "Fischer",
];
const DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "hotmail.nl",
    "ziggo.nl",
    "kpnmail.nl",
    "proton.me",
    "icloud.com",
    "acme.io",
    "brightlabs.nl",
    "northwind.eu",
    "fietsfabriek.nl",
    "bakkerij-smit.nl",
    "studio-noord.com",
    "globex.de",
];
const COUNTRIES: &[&str] = &["NL", "BE", "DE", "FR", "GB", "ES", "IT", "PL", "SE", "US"];
pub const PLANS: &[&str] = &["Free", "Starter", "Pro", "Enterprise"];
const COLORS: &[&str] = &[
    "#ffce54", "#ed5565", "#a0d468", "#4fc1e9", "#ac92ec", "#ec87c0", "#f6bb42", "#48cfad",
    "#5d9cec", "#656d78", "#da4453", "#37bc9b", "#3bafda", "#967adc", "#d770ad", "#e9573f",
    "#8cc152", "#434a54", "#ffffff", "#000000",
];
const TEAMS: &[&str] = &[
    "Billing",
    "Support",
    "Shipping & Returns",
    "Sales",
    "Onboarding",
    "Technical",
    "Customer Success",
    "Escalations",
];
const LABELS: &[&str] = &[
    "billing",
    "urgent",
    "vip",
    "refund",
    "bug",
    "feature-request",
    "migrated",
    "churn-risk",
    "invoice",
    "payment",
    "login",
    "password-reset",
    "shipping",
    "delayed",
    "damaged",
    "return",
    "exchange",
    "warranty",
    "quote",
    "demo",
    "trial",
    "upgrade",
    "downgrade",
    "cancellation",
    "onboarding",
    "training",
    "api",
    "integration",
    "webhook",
    "mobile-app",
    "android",
    "ios",
    "website",
    "checkout",
    "discount",
    "complaint",
    "compliment",
    "gdpr",
    "data-export",
    "security",
    "outage",
    "follow-up",
    "waiting-on-customer",
    "waiting-on-3rd-party",
    "escalated",
    "duplicate",
    "spam-suspect",
    "nl",
    "en",
    "de",
    "fr",
    "b2b",
    "b2c",
    "enterprise",
    "partner",
    "press",
    "social",
    "survey",
    "newsletter",
    "other",
];

struct Topic {
    team: usize,
    labels: &'static [&'static str],
    subjects: &'static [&'static str],
    bodies: &'static [&'static str],
}

const TOPICS: &[Topic] = &[
    Topic {
        team: 0,
        labels: &["billing", "invoice", "payment", "refund"],
        subjects: &[
            "Invoice {n} is incorrect", "Factuur {n} klopt niet", "Refund not received for order {n}",
            "Double charged this month", "Question about my invoice", "Payment failed, card declined",
            "Can I pay by bank transfer?", "VAT number missing on invoice {n}",
        ],
        bodies: &[
            "Hi, I was charged twice for invoice {n}. Can you check and refund one of them?",
            "Hallo, op factuur {n} staat een bedrag dat niet klopt met mijn abonnement. Kunnen jullie dit nakijken?",
            "I returned my order {n} three weeks ago and still have not received the refund.",
            "Our finance team needs the VAT number on invoice {n}. Could you send a corrected copy?",
        ],
    },
    Topic {
        team: 1,
        labels: &["login", "password-reset", "bug", "mobile-app"],
        subjects: &[
            "Login fails on the app", "Can't reset my password", "Account locked after update",
            "Inloggen lukt niet meer", "Two-factor code never arrives", "App crashes on startup",
        ],
        bodies: &[
            "Since this morning I cannot log in. The app says my password is wrong but I just reset it.",
            "Ik krijg geen e-mail om mijn wachtwoord te resetten. Spam map al gecontroleerd.",
            "The SMS with my verification code never arrives. I'm on a Dutch number.",
            "After the latest update the app closes immediately when I open it (Android 14).",
        ],
    },
    Topic {
        team: 2,
        labels: &["shipping", "delayed", "damaged", "return", "exchange"],
        subjects: &[
            "Where is my order {n}?", "Package arrived damaged", "Return label for order {n}",
            "Bestelling {n} nog niet ontvangen", "Wrong size, want to exchange", "Tracking not updating",
        ],
        bodies: &[
            "My order {n} was supposed to arrive on Friday, tracking hasn't moved since Tuesday.",
            "The box was crushed and the item inside is broken. Photos attached.",
            "Mijn bestelling {n} is nog steeds niet binnen. Kunnen jullie kijken waar hij blijft?",
            "I ordered a size M but need an L. How do I exchange it?",
        ],
    },
    Topic {
        team: 3,
        labels: &["quote", "demo", "trial", "upgrade", "enterprise"],
        subjects: &[
            "Quote for 25 seats", "Demo request", "Upgrade to Enterprise", "Pricing for non-profits",
            "Offerte aanvragen", "Extend our trial?",
        ],
        bodies: &[
            "We're a team of 25 and would like a quote for the yearly plan, including onboarding.",
            "Could we schedule a demo next week? Tuesday or Wednesday afternoon works for us.",
            "Graag ontvangen wij een offerte voor 10 gebruikers.",
            "Our trial ends tomorrow but we haven't finished testing. Can it be extended by a week?",
        ],
    },
    Topic {
        team: 4,
        labels: &["onboarding", "training", "migrated"],
        subjects: &[
            "Help setting up our account", "Import contacts from old system", "Training session for new agents",
            "Hoe koppel ik mijn mailbox?", "Onboarding call follow-up",
        ],
        bodies: &[
            "We just signed up and would like help importing our contacts from the old helpdesk.",
            "Hoe koppel ik onze gedeelde mailbox? De handleiding is niet helemaal duidelijk.",
            "Thanks for the onboarding call! A few follow-up questions about routing rules.",
        ],
    },
    Topic {
        team: 5,
        labels: &["api", "integration", "webhook", "bug", "outage"],
        subjects: &[
            "API returns 500 on /orders", "Webhook not firing", "Integration with Shopify broken",
            "Rate limit questions", "Outage this morning?",
        ],
        bodies: &[
            "Since 09:00 CET every call to /orders returns a 500. Request id in the logs: {n}.",
            "Our webhook endpoint hasn't received any events since yesterday. Nothing changed on our side.",
            "The Shopify integration stopped syncing orders after we renamed the store.",
        ],
    },
    Topic {
        team: 6,
        labels: &["churn-risk", "cancellation", "downgrade", "follow-up", "vip"],
        subjects: &[
            "Thinking about cancelling", "Opzeggen abonnement", "Downgrade to Starter", "Renewal question",
            "Feedback on the last quarter",
        ],
        bodies: &[
            "We're considering cancelling at the end of the month. The price increase is hard to justify.",
            "Ik wil graag mijn abonnement opzeggen per volgende maand.",
            "Could we move to the Starter plan? We don't use the advanced reports anymore.",
        ],
    },
    Topic {
        team: 7,
        labels: &["escalated", "urgent", "complaint", "security", "gdpr"],
        subjects: &[
            "Formal complaint", "Data export request (GDPR)", "Suspicious login on our account",
            "Klacht over behandeling", "Third time asking, no answer",
        ],
        bodies: &[
            "This is the third time I'm writing about this and I still haven't had a proper answer.",
            "Under the GDPR I request a copy of all personal data you hold about me.",
            "We noticed a login from an unknown location on our admin account last night.",
        ],
    },
];

const REPLIES: &[&str] = &[
    "Thanks for reaching out! I've looked into this and will get back to you today.",
    "Bedankt voor je bericht. Ik heb het doorgezet naar de juiste collega.",
    "Sorry for the trouble. Could you send us a screenshot of the error?",
    "I've issued the correction; you should see it within 3–5 business days.",
    "Good news: this is fixed now. Let us know if anything else comes up.",
    "We've escalated this to our technical team and will update you by tomorrow.",
];
const NOTES: &[&str] = &[
    "Checked the payment provider: the refund was issued on the 12th.",
    "Customer is on the legacy plan; do not offer the new discount.",
    "Escalated to tier 2, waiting on engineering.",
    "Called the customer, left a voicemail.",
    "Known issue, see the incident channel. Reply with the standard macro.",
    "VIP account: handle within the hour.",
];

fn customer_id(no: u64) -> String {
    format!("C-{no}")
}

pub fn seed(seed: u64, size: Size, anchor: Ts) -> Seeded {
    let d = dims(size);
    let mut rng = Rng::new(seed);
    let mut w = World::default();

    // Channels
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

    // Users: the first is the token's owner (a supervisor, the support lead of the demo).
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

    // Teams: every agent in one to three teams; the demo lead in the first two.
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

    // Labels
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
    let label_by_name: HashMap<String, u64> =
        w.labels.values().map(|l| (l.name.clone(), l.id)).collect();

    // Custom fields
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
    let f_customer = add_field(&mut w, "Customer ID", "CONTACT", "TEXT", &[], false);
    let f_plan = add_field(&mut w, "Plan", "CONTACT", "DROPDOWN", PLANS, false);
    let f_mrr = add_field(&mut w, "MRR", "CONTACT", "NUMBER", &[], false);
    let f_country = add_field(&mut w, "Country", "CONTACT", "TEXT", &[], false);
    let f_signup = add_field(&mut w, "Signup date", "CONTACT", "DATE", &[], false);
    let _f_am = add_field(&mut w, "Account manager", "CONTACT", "TEXT", &[], false);
    let f_vip = add_field(&mut w, "VIP", "CONTACT", "CHECKBOX", &[], false);
    let f_order = add_field(&mut w, "Order number", "TICKET", "TEXT", &[], false);
    let f_prio = add_field(
        &mut w,
        "Priority",
        "TICKET",
        "DROPDOWN",
        &["Low", "Normal", "High", "Urgent"],
        false,
    );
    add_field(&mut w, "Company size", "PROFILE", "NUMBER", &[], false);

    // Ticket results
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

    // Contacts
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
            fields.insert(f_customer, cid);
            if rng.chance(0.4) {
                fields.insert(f_plan, rng.pick(PLANS).to_string());
            }
            if rng.chance(0.3) {
                fields.insert(f_mrr, format!("{}", rng.range(0, 40) * 20));
            }
            if rng.chance(0.5) {
                fields.insert(f_country, rng.pick(COUNTRIES).to_string());
            }
            if rng.chance(0.2) {
                let days = rng.range(30, 1500) as i64;
                let date = chrono::DateTime::from_timestamp(anchor - days * 86_400, 0)
                    .unwrap()
                    .date_naive();
                fields.insert(f_signup, date.format("%Y-%m-%d").to_string());
            }
            if rng.chance(0.05) {
                fields.insert(f_vip, "1".into());
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
    let contact_ids: Vec<u64> = w.contacts.keys().copied().collect();

    // Tickets, oldest first so ids grow with time.
    let span = d.span_days * 86_400;
    let step = (span / d.tickets as i64).max(1);
    let start = anchor - span;
    let mut message_id = FIRST_MESSAGE_ID - 1;
    let mut attachment_id = 9_000_000u64;
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
        let kind = &w.channels[&channel_id].kind;
        let roll = rng.unit();
        let status = if frac > 0.9 {
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
        };
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
        let subject = match kind.as_str() {
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
        // Messages: the customer writes, agents answer, sometimes a note in between.
        let mut messages = vec![];
        let mut t = created_at;
        let count = if kind == "VOIP" { 1 } else { rng.range(1, 6) };
        for k in 0..count {
            message_id += 1;
            let (mkind, body, author) = if k == 0 {
                let body = if kind == "VOIP" {
                    "Inbound call".to_string()
                } else {
                    rng.pick(topic.bodies).replace("{n}", &n)
                };
                (MessageKind::Inbound, body, None)
            } else if rng.chance(0.2) {
                (
                    MessageKind::Note,
                    rng.pick(NOTES).to_string(),
                    Some(user_id.unwrap_or(*rng.pick(&pool))),
                )
            } else if k % 2 == 1 {
                (
                    MessageKind::Outbound,
                    rng.pick(REPLIES).to_string(),
                    Some(user_id.unwrap_or(*rng.pick(&pool))),
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
                attachment_id += 1;
                let (name, mime) = if rng.chance(0.5) {
                    ("invoice.pdf", "application/pdf")
                } else {
                    ("screenshot.png", "image/png")
                };
                attachments.push(Attachment {
                    id: attachment_id,
                    name: name.into(),
                    mime_type: mime.into(),
                    size: rng.range(20_000, 2_000_000),
                });
            }
            messages.push(Message {
                id: message_id,
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
        let t = t.min(anchor);
        let last_at = messages
            .last()
            .map(|m| m.created_at)
            .unwrap_or(created_at)
            .min(anchor);
        let updated_at = last_at.max(created_at);
        let mut fields = BTreeMap::new();
        if topic.team == 2 && rng.chance(0.6) {
            fields.insert(f_order, format!("ORD-{n}"));
        }
        if rng.chance(0.15) {
            fields.insert(
                f_prio,
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

    w.next_id = NextIds {
        // The last id used of each kind: creating one increments first.
        ticket: FIRST_TICKET_ID + d.tickets as u64 - 1,
        contact: FIRST_CONTACT_ID + d.contacts as u64 - 1,
        message: message_id,
        label: FIRST_LABEL_ID + d.labels as u64 - 1,
        note: w.next_id.note + 100,
        attachment: attachment_id,
    };
    let max_customer_no = last_customer_no + (last_customer_no - FIRST_CUSTOMER_NO) / 10;
    Seeded {
        world: w,
        customers,
        max_customer_no,
    }
}
