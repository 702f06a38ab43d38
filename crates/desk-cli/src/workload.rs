//! `workload`: the board of who holds what and who is free, and the agents' limits.

use clap::{Args, Subcommand};
use desk_core::services::workload::{Rebalance, RebalanceScope};
use desk_core::workload::balance::Skill;
use desk_core::workload::{WorkloadKind, WorkloadRow};
use desk_core::{Desk, Error};

use crate::jobs::{confirm, run_job};
use crate::{resolve, split_assignment, Out};

#[derive(Subcommand)]
pub enum WorkloadCmd {
    /// Set an agent's limit of tickets waiting on them (`default`: everyone without one);
    /// `none` removes it.
    Limit {
        /// An email or a user id; or `default`.
        agent: String,
        /// A number of tickets, or `none`.
        limit: String,
    },
    /// Set what an agent may take (replaces their skills; none given: clears them). A ticket
    /// needs every skill it matches that some agent has.
    Skills(SkillArgs),
    /// Even out the tickets waiting on these agents (or a team's): see who gives and who gets
    /// which tickets, then run it as one undoable job.
    Rebalance {
        /// The agents (emails or ids).
        agents: Vec<String>,
        /// Or every agent of this team (name or id).
        #[arg(long)]
        team: Option<String>,
        /// Run without asking.
        #[arg(long)]
        yes: bool,
        /// Only show what would move.
        #[arg(long)]
        dry_run: bool,
    },
    /// An agent is away: hand their waiting tickets to their teams by the same balance, as one
    /// undoable job.
    Away {
        /// An email or a user id.
        agent: String,
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Args)]
pub struct SkillArgs {
    /// An email or a user id.
    agent: String,
    /// A tag they take (name or id; repeatable).
    #[arg(long)]
    tag: Vec<String>,
    /// A team they take (name or id; repeatable).
    #[arg(long)]
    team: Vec<String>,
    /// A channel they take (name or id; repeatable).
    #[arg(long)]
    channel: Vec<String>,
    /// NAME=VALUE: a contact field's value they take, e.g. language=nl (repeatable).
    #[arg(long = "contact-field")]
    contact_field: Vec<String>,
    /// NAME=VALUE: a ticket field's value they take, e.g. Plan=Enterprise (repeatable).
    #[arg(long = "ticket-field")]
    ticket_field: Vec<String>,
}

async fn skills_of(desk: &Desk, a: &SkillArgs) -> Result<Vec<Skill>, Error> {
    let mut out = vec![];
    for t in &a.tag {
        out.push(Skill::Tag {
            tag_id: resolve(desk, "tag", t).await?,
        });
    }
    for t in &a.team {
        out.push(Skill::Team {
            team_id: resolve(desk, "team", t).await?,
        });
    }
    let lists = desk.directory().lists().await?;
    for c in &a.channel {
        let ch = lists
            .channels
            .iter()
            .find(|x| x.id == c.trim() || x.name.eq_ignore_ascii_case(c.trim()))
            .ok_or_else(|| {
                Error::NotFound(format!("there is no channel {c:?} in this workspace"))
            })?;
        out.push(Skill::Channel {
            channel_id: ch.id.clone(),
        });
    }
    for (list, entity) in [(&a.contact_field, "contact"), (&a.ticket_field, "ticket")] {
        for f in list {
            let (name, value) = split_assignment(f)?;
            let def = lists
                .fields
                .iter()
                .find(|d| {
                    d.entity_type == entity
                        && (d.id == name || d.name == name || d.label.eq_ignore_ascii_case(name))
                })
                .ok_or_else(|| Error::NotFound(format!("there is no {entity} field {name:?}")))?;
            let (field_id, value) = (def.id.to_string(), value.to_string());
            out.push(if entity == "contact" {
                Skill::ContactField { field_id, value }
            } else {
                Skill::TicketField { field_id, value }
            });
        }
    }
    Ok(out)
}

/// Prints what a rebalance would move, then runs it as one job when asked.
async fn hand_over(
    desk: &Desk,
    out: &Out,
    plan: Rebalance,
    yes: bool,
    dry: bool,
) -> Result<u8, Error> {
    if out.json && (dry || plan.moves.is_empty()) {
        out.json(&plan);
        return Ok(0);
    }
    if !out.json {
        outln!("{}", plan.title);
        for m in &plan.moves {
            outln!(
                "  #{:<10} {:<40} {} → {}",
                m.ticket_id,
                m.subject
                    .as_deref()
                    .unwrap_or("")
                    .chars()
                    .take(40)
                    .collect::<String>(),
                m.from,
                m.to
            );
        }
        for s in &plan.stays {
            outln!("  #{:<10} stays: {}", s.ticket_id, s.why);
        }
        for a in &plan.agents {
            outln!("  {:<30} waiting {} → {}", a.name, a.before, a.after);
        }
    }
    errln!("{}", plan.summary);
    if dry || plan.moves.is_empty() {
        return Ok(0);
    }
    if !confirm(&format!("{}: run it?", plan.title), yes, false)? {
        return Ok(1);
    }
    let job = desk.workload().create_rebalance(&plan).await?;
    errln!("job {}: {}", job.id, job.title);
    run_job(desk, out, job.id).await
}

fn age(since: Option<&str>, now: i64) -> String {
    let Some(t) = since.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()) else {
        return "—".into();
    };
    let m = (now - t.timestamp()).max(0) / 60;
    if m >= 48 * 60 {
        format!("{} d {} h", m / 1440, m % 1440 / 60)
    } else if m >= 60 {
        format!("{} h {} min", m / 60, m % 60)
    } else {
        format!("{m} min")
    }
}

fn line(r: &WorkloadRow, now: i64) -> String {
    let who = match r.kind {
        WorkloadKind::Team => format!("{} ({} of {} online)", r.name, r.online, r.members),
        WorkloadKind::Agent => format!(
            "{}{}",
            r.name,
            match r.available {
                Some(true) => " (online)",
                Some(false) => " (offline)",
                None => "",
            }
        ),
    };
    let mut s = format!(
        "{who:<36} open {:>4}  waiting {:>4}  oldest {:>12}  at risk {:>3}  breached {:>3}  today {:>3}",
        r.open,
        r.waiting,
        age(r.oldest_waiting_since.as_deref(), now),
        r.at_risk,
        r.breached,
        r.assigned_today
    );
    if let (Some(l), Some(sp)) = (r.limit, r.spare) {
        s.push_str(&format!("  limit {l} (spare {sp})"));
    }
    if !r.skill_labels.is_empty() {
        s.push_str(&format!("  skills: {}", r.skill_labels.join(", ")));
    }
    s
}

pub async fn workload(desk: &Desk, out: &Out, cmd: Option<&WorkloadCmd>) -> Result<u8, Error> {
    let w = desk.workload();
    let now = chrono::Utc::now().timestamp();
    match cmd {
        Some(WorkloadCmd::Skills(a)) => {
            let skills = skills_of(desk, a).await?;
            w.set_skills(&a.agent, &skills).await?;
            errln!("{}: {} skills", a.agent, skills.len());
            return Ok(0);
        }
        Some(WorkloadCmd::Rebalance {
            agents,
            team,
            yes,
            dry_run,
        }) => {
            let team_id = match team {
                Some(t) => Some(resolve(desk, "team", t).await?),
                None => None,
            };
            let scope = RebalanceScope {
                team_id,
                agents: agents.clone(),
            };
            let plan = w.rebalance(&scope, now).await?;
            return hand_over(desk, out, plan, *yes, *dry_run).await;
        }
        Some(WorkloadCmd::Away {
            agent,
            yes,
            dry_run,
        }) => {
            let plan = w.away(agent, now).await?;
            return hand_over(desk, out, plan, *yes, *dry_run).await;
        }
        _ => {}
    }
    if let Some(WorkloadCmd::Limit { agent, limit }) = cmd {
        let l = match limit.trim().to_lowercase().as_str() {
            "none" | "" => None,
            n => Some(n.parse::<u32>().map_err(|_| {
                Error::Invalid(format!("{limit:?} is not a number of tickets (or `none`)"))
            })?),
        };
        w.set_limit(agent, l).await?;
        errln!(
            "{}",
            match l {
                Some(l) => format!("limit of {agent}: {l} waiting tickets"),
                None => format!("limit of {agent} removed"),
            }
        );
        return Ok(0);
    }
    let b = w.board(now).await?;
    if out.json {
        out.json(&b);
        return Ok(0);
    }
    outln!("TEAMS");
    for r in b.rows.iter().filter(|r| r.kind == WorkloadKind::Team) {
        outln!("  {}", line(r, now));
    }
    outln!("AGENTS");
    for r in b.rows.iter().filter(|r| r.kind == WorkloadKind::Agent) {
        outln!("  {}", line(r, now));
    }
    errln!(
        "waiting: the customer wrote last; a limit counts waiting tickets. Availability as read with the directory{}.",
        b.availability_read_at
            .as_deref()
            .map(|t| format!(" at {t}"))
            .unwrap_or_default()
    );
    Ok(0)
}
