//! How the CLI prints: JSON lines for scripts, or lines for people, customer-written text cleaned of
//! terminal escapes.

use serde::Serialize;

use crate::*;

pub(crate) struct Out {
    pub(crate) json: bool,
}

impl Out {
    pub(crate) fn json<T: Serialize>(&self, v: &T) {
        outln!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    }

    /// A single action's result: the ticket as it now stands, and the job that can undo it.
    pub(crate) fn done(&self, d: &desk_core::jobs::ActionDone) {
        if self.json {
            return self.json(d);
        }
        if let Some(r) = &d.row {
            self.row(r);
        }
        if d.changed {
            errln!(
                "{} (job {}; `trengo-desk-cli jobs undo {}` takes it back)",
                d.job.title,
                d.job.id,
                d.job.id
            );
        } else {
            errln!("{}: already so in Trengo, nothing was sent", d.job.title);
        }
    }

    pub(crate) fn row(&self, r: &TicketRow) {
        if self.json {
            return self.json(r);
        }
        let tags: Vec<&str> = r.tags.iter().map(|t| t.name.as_str()).collect();
        outln!(
            "#{:<10} {:<9} {:<44} {:<22} {:<18} {:<18} {:<24} {}",
            r.id,
            r.status,
            cut(
                r.subject
                    .as_deref()
                    .or(r.preview.as_deref())
                    .unwrap_or("(no subject)"),
                44
            ),
            cut(
                r.contact.as_ref().map(|c| c.name.as_str()).unwrap_or("—"),
                22
            ),
            cut(r.team.as_ref().map(|c| c.name.as_str()).unwrap_or("—"), 18),
            cut(
                r.assignee.as_ref().map(|c| c.name.as_str()).unwrap_or("—"),
                18
            ),
            tags.join(", "),
            clock(r, chrono::Utc::now().timestamp())
        );
    }

    pub(crate) fn context(&self, c: &TicketContext) {
        if self.json {
            return self.json(c);
        }
        let t = &c.ticket;
        outln!(
            "#{}  {}  ·  {}",
            t.id,
            t.subject.as_deref().unwrap_or("(no subject)"),
            t.status
        );
        outln!(
            "team: {}   assignee: {}   channel: {}",
            name(&t.team),
            name(&t.assignee),
            name(&t.channel)
        );
        outln!(
            "tags: {}",
            if t.tags.is_empty() {
                "—".into()
            } else {
                t.tags
                    .iter()
                    .map(|g| g.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
        if let Some(u) = &c.ticket_url {
            outln!("open in Trengo: {u}");
        }
        if !c.fields.is_empty() {
            outln!("\nticket fields:");
            for f in &c.fields {
                outln!("  {:<18} {}", f.label, f.value.as_deref().unwrap_or("—"));
            }
        }
        if let Some(k) = &c.contact {
            outln!(
                "\ncontact: {} ({})",
                k.name,
                k.identifier.as_deref().unwrap_or("—")
            );
            for f in &k.fields {
                outln!("  {:<18} {}", f.label, f.value.as_deref().unwrap_or("—"));
            }
        }
        outln!("\nthread:");
        for m in &c.messages {
            let who = m.author.as_deref().unwrap_or("");
            use desk_core::view::MessageKind;
            let label = match m.kind {
                MessageKind::Note => "NOTE (internal)",
                MessageKind::Outbound => "outbound",
                MessageKind::Inbound => "inbound",
            };
            outln!(
                "  ▸ {label} {} {who}",
                m.created_at.as_deref().unwrap_or("")
            );
            for line in m.body.lines() {
                outln!("      {line}");
            }
        }
        if c.messages_synced_at.is_none() {
            outln!("  (only the latest message is cached; open it online for the whole thread)");
        }
    }
}

pub(crate) fn name(n: &Option<desk_core::view::Named>) -> String {
    n.as_ref()
        .map(|x| x.name.clone())
        .unwrap_or_else(|| "—".into())
}

pub(crate) fn cut(s: &str, max: usize) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max {
        s
    } else {
        let mut o: String = s.chars().take(max - 1).collect();
        o.push('…');
        o
    }
}

/// Minutes as a lead reads them: "45 min", "3 h 12 min", "40 h", "2 d 4 h".
pub(crate) fn minutes(m: i64) -> String {
    let m = m.max(0);
    match m {
        0..=59 => format!("{m} min"),
        60..=2879 if m % 60 == 0 => format!("{} h", m / 60),
        60..=2879 => format!("{} h {} min", m / 60, m % 60),
        _ if m % 1440 / 60 == 0 => format!("{} d", m / 1440),
        _ => format!("{} d {} h", m / 1440, m % 1440 / 60),
    }
}

/// The waiting clock and the SLA of a row: "waiting 3 h 12 min · first reply due in 18 min".
pub(crate) fn clock(r: &TicketRow, now: i64) -> String {
    let at = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp())
    };
    let mut parts = vec![];
    if let Some(w) = r.waiting_since.as_deref().and_then(at) {
        parts.push(format!("waiting {}", minutes((now - w) / 60)));
    }
    if let Some(s) = &r.sla {
        if let Some(due) = at(&s.due_at) {
            let what = s.target.words();
            parts.push(if due <= now {
                format!("{what} breached {} ago", minutes((now - due) / 60))
            } else {
                format!("{what} due in {}", minutes((due - now + 59) / 60))
            });
        }
    }
    parts.join(" · ")
}
