//! `rules`: auto-tagging rules from the command line: write one, preview it on the cache, run it
//! once as a job, switch it on or off, and move rules between machines as JSON.

use clap::{Args, Subcommand};
use desk_core::jobs::Action;
use desk_core::rules::{Condition, FieldOp, Rule, StoredRule};
use desk_core::workload::balance::{Balance, BalanceMode};
use desk_core::{Desk, Error};

use crate::jobs::{confirm, run_job};
use crate::{resolve, split_assignment, Out};

#[derive(Subcommand)]
pub enum RulesCmd {
    /// The rules, with whether each is on.
    List,
    /// Write a rule (one of the same name is replaced). Conditions are all required unless --any.
    Add(Box<AddArgs>),
    /// One rule in words.
    Show {
        name: String,
    },
    /// What the rule matches now, by the cache (no request); --json prints the matching ids.
    Preview {
        name: String,
    },
    /// Run the rule once over what it matches, as a job (each ticket read fresh; undoable).
    Run {
        name: String,
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Switch the rule on (for new and changed tickets, in the app and in `watch`).
    Enable {
        name: String,
    },
    /// Switch it off.
    Disable {
        name: String,
    },
    Remove {
        name: String,
    },
    /// Every rule as JSON, to standard output.
    Export,
    /// Rules from a JSON file (`rules export`'s), all checked first: one bad rule saves none.
    Import {
        file: String,
    },
}

#[derive(Args)]
pub struct AddArgs {
    #[arg(long)]
    name: String,
    /// Any condition is enough (default: all of them).
    #[arg(long)]
    any: bool,
    /// The subject or the latest message contains this word (repeatable: any of them; case and
    /// accents ignored).
    #[arg(long = "text-contains")]
    words: Vec<String>,
    /// The subject or the latest message matches this regular expression.
    #[arg(long = "text-matches")]
    pattern: Option<String>,
    /// open, unassigned, assigned, closed, spam.
    #[arg(long)]
    status: Option<String>,
    #[arg(long)]
    team: Option<String>,
    /// In no team.
    #[arg(long, conflicts_with = "team")]
    no_team: bool,
    /// The assignee's email.
    #[arg(long)]
    assignee: Option<String>,
    #[arg(long)]
    unassigned: bool,
    #[arg(long)]
    channel: Option<String>,
    #[arg(long = "has-tag")]
    has_tags: Vec<String>,
    #[arg(long = "lacks-tag")]
    lacks_tags: Vec<String>,
    /// NAME=VALUE (the contact's field equals it); NAME= : the field is empty.
    #[arg(long = "contact-field")]
    contact_fields: Vec<String>,
    /// NAME=VALUE for the ticket's own field; NAME= : empty.
    #[arg(long = "ticket-field")]
    ticket_fields: Vec<String>,
    /// Created more than this many hours ago.
    #[arg(long)]
    older_than_hours: Option<u32>,
    /// The latest message is the customer's (they wait for an answer).
    #[arg(long)]
    last_from_customer: bool,
    /// By the SLA radar: at-risk, breached, or due (either).
    #[arg(long)]
    sla: Option<String>,
    /// With --sla: only this target (first-reply, next-reply, resolution).
    #[arg(long, requires = "sla")]
    sla_target: Option<String>,
    /// Actions: add this tag (repeatable).
    #[arg(long = "add-tag")]
    add_tags: Vec<String>,
    #[arg(long = "remove-tag")]
    remove_tags: Vec<String>,
    #[arg(long)]
    move_team: Option<String>,
    /// Assign to this user (email).
    #[arg(long)]
    assign: Option<String>,
    /// NAME=VALUE: set a ticket field.
    #[arg(long = "set-field")]
    set_fields: Vec<String>,
    /// Post this internal note.
    #[arg(long)]
    note: Option<String>,
    /// Mark as spam (undoable, like every change of a rule's run).
    #[arg(long)]
    spam: bool,
    /// Then assign to the available agent of this team with the most room under their limit
    /// who has the skills (ties: the longest since their last assignment).
    #[arg(long, conflicts_with_all = ["assign", "round_robin"])]
    balance: Option<String>,
    /// Then assign to each available agent of this team in turn.
    #[arg(long, conflicts_with = "assign")]
    round_robin: Option<String>,
}

async fn field_condition(desk: &Desk, s: &str, contact: bool) -> Result<Condition, Error> {
    let (name, value) = split_assignment(s)?;
    let entity = if contact { "contact" } else { "ticket" };
    let dir = desk.directory().lists().await?;
    let f = dir
        .fields
        .iter()
        .find(|f| {
            f.entity_type == entity
                && (f.id == name || f.name == name || f.label.eq_ignore_ascii_case(name))
        })
        .ok_or_else(|| Error::NotFound(format!("there is no {entity} field {name:?}")))?;
    let (op, values) = if value.is_empty() {
        (FieldOp::IsEmpty, vec![])
    } else {
        (FieldOp::Equals, vec![value.to_string()])
    };
    Ok(if contact {
        Condition::ContactField {
            field_id: f.id.to_string(),
            op,
            values,
        }
    } else {
        Condition::TicketField {
            field_id: f.id.to_string(),
            op,
            values,
        }
    })
}

async fn rule_of(desk: &Desk, a: &AddArgs) -> Result<Rule, Error> {
    let mut c = vec![];
    if !a.words.is_empty() {
        c.push(Condition::TextContains {
            words: a.words.clone(),
        });
    }
    if let Some(p) = &a.pattern {
        c.push(Condition::TextMatches { pattern: p.clone() });
    }
    if let Some(s) = &a.status {
        c.push(Condition::Status { status: s.clone() });
    }
    if let Some(t) = &a.team {
        c.push(Condition::Team {
            team_id: Some(resolve(desk, "team", t).await?),
        });
    }
    if a.no_team {
        c.push(Condition::Team { team_id: None });
    }
    if let Some(u) = &a.assignee {
        c.push(Condition::Assignee {
            user_id: Some(resolve(desk, "user", u).await?),
        });
    }
    if a.unassigned {
        c.push(Condition::Assignee { user_id: None });
    }
    if let Some(ch) = &a.channel {
        let dir = desk.directory().lists().await?;
        let id = dir
            .channels
            .iter()
            .find(|x| x.id == *ch || x.name.eq_ignore_ascii_case(ch))
            .map(|x| x.id.clone())
            .ok_or_else(|| Error::NotFound(format!("there is no channel {ch:?}")))?;
        c.push(Condition::Channel { channel_id: id });
    }
    for t in &a.has_tags {
        c.push(Condition::HasTag {
            tag_id: resolve(desk, "tag", t).await?,
        });
    }
    for t in &a.lacks_tags {
        c.push(Condition::LacksTag {
            tag_id: resolve(desk, "tag", t).await?,
        });
    }
    for f in &a.contact_fields {
        c.push(field_condition(desk, f, true).await?);
    }
    for f in &a.ticket_fields {
        c.push(field_condition(desk, f, false).await?);
    }
    if let Some(h) = a.older_than_hours {
        c.push(Condition::OlderThan { hours: h });
    }
    if a.last_from_customer {
        c.push(Condition::LastFromCustomer);
    }
    if let Some(state) = &a.sla {
        c.push(Condition::Sla {
            state: desk_core::view::SlaFilter::parse(state)?,
            target: a
                .sla_target
                .as_deref()
                .map(desk_core::view::SlaTarget::parse)
                .transpose()?,
        });
    }
    let mut actions = vec![];
    for t in &a.add_tags {
        actions.push(Action::AddTag {
            tag_id: resolve(desk, "tag", t).await?,
        });
    }
    for t in &a.remove_tags {
        actions.push(Action::RemoveTag {
            tag_id: resolve(desk, "tag", t).await?,
        });
    }
    if let Some(t) = &a.move_team {
        actions.push(Action::AssignTeam {
            team_id: resolve(desk, "team", t).await?,
        });
    }
    if let Some(u) = &a.assign {
        actions.push(Action::AssignUser {
            user_id: resolve(desk, "user", u).await?,
        });
    }
    for f in &a.set_fields {
        let (name, value) = split_assignment(f)?;
        actions.push(
            desk.tickets()
                .field_change(name, value, desk_core::EntityType::Ticket)
                .await?,
        );
    }
    if let Some(n) = &a.note {
        actions.push(Action::AddNote {
            text: n.clone(),
            note_id: None,
        });
    }
    if a.spam {
        actions.push(Action::MarkSpam);
    }
    let balance = match (&a.balance, &a.round_robin) {
        (Some(t), _) => Some((t, BalanceMode::Balanced)),
        (None, Some(t)) => Some((t, BalanceMode::RoundRobin)),
        _ => None,
    };
    let balance = match balance {
        Some((t, mode)) => Some(Balance {
            team_id: resolve(desk, "team", t).await?,
            mode,
        }),
        None => None,
    };
    Ok(Rule {
        name: a.name.clone(),
        balance,
        all: !a.any,
        conditions: c,
        actions,
    })
}

fn line(r: &StoredRule) -> String {
    format!(
        "{:<4} {:<24} {}",
        if r.enabled { "on" } else { "off" },
        r.rule.name,
        r.summary
    )
}

pub async fn rules(desk: &Desk, out: &Out, cmd: &RulesCmd) -> Result<u8, Error> {
    match cmd {
        RulesCmd::List => {
            let all = desk.rules().list().await?;
            if out.json {
                out.json(&all);
            } else if all.is_empty() {
                errln!(
                    "no rules yet: `rules add --name NAME --text-contains refund --add-tag refund`"
                );
            } else {
                for r in &all {
                    outln!("{}", line(r));
                }
            }
        }
        RulesCmd::Add(a) => {
            let r = desk.rules().save(&rule_of(desk, a).await?).await?;
            if out.json {
                out.json(&r);
            } else {
                outln!("{}", line(&r));
                let p = desk.rules().preview(&r.rule).await?;
                errln!(
                    "saved (off); it {} now: `rules run {:?}` runs it once, `rules enable` keeps it on",
                    p.summary, r.rule.name
                );
            }
        }
        RulesCmd::Show { name } => {
            let r = desk.rules().find(name).await?;
            if out.json {
                out.json(&r);
            } else {
                outln!("{}", line(&r));
            }
        }
        RulesCmd::Preview { name } => {
            let r = desk.rules().find(name).await?;
            let p = desk.rules().preview(&r.rule).await?;
            if out.json {
                out.json(&p);
            } else {
                outln!(
                    "{}: {} ({} ms, from the cache)",
                    r.rule.name,
                    p.summary,
                    p.took_ms
                );
                for id in p.ids.iter().take(50) {
                    if let Some(row) = desk.tickets().row(id).await? {
                        out.row(&row);
                    }
                }
                if p.ids.len() > 50 {
                    errln!("… and {} more (--json lists every id)", p.ids.len() - 50);
                }
            }
        }
        RulesCmd::Run { name, yes } => {
            let r = desk.rules().find(name).await?;
            let p = desk.rules().preview(&r.rule).await?;
            errln!("{}: {}", r.rule.name, p.summary);
            errln!("  each ticket is read from Trengo right before it changes, and left if it no longer matches");
            if !confirm(&format!("Run it on {} tickets?", p.matches), *yes, false)? {
                errln!("Nothing was changed.");
                return Ok(0);
            }
            let job = desk.rules().create_job(name).await?;
            errln!(
                "job {} recorded; `trengo-desk-cli jobs undo {}` takes it back",
                job.id,
                job.id
            );
            return run_job(desk, out, job.id).await;
        }
        RulesCmd::Enable { name } | RulesCmd::Disable { name } => {
            let on = matches!(cmd, RulesCmd::Enable { .. });
            let r = desk.rules().enable(name, on).await?;
            if out.json {
                out.json(&r);
            } else {
                outln!("{}", line(&r));
            }
        }
        RulesCmd::Remove { name } => {
            desk.rules().remove(name).await?;
            errln!("rule {name:?} removed");
        }
        RulesCmd::Export => outln!("{}", desk.rules().export().await?),
        RulesCmd::Import { file } => {
            let json = crate::read_file(file)?;
            let saved = desk.rules().import(&json).await?;
            if out.json {
                out.json(&saved);
            } else {
                for r in &saved {
                    outln!("{}", line(r));
                }
            }
        }
    }
    Ok(0)
}
