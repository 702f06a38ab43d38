//! `workload`: the board of who holds what and who is free, and the agents' limits.

use clap::Subcommand;
use desk_core::workload::{WorkloadKind, WorkloadRow};
use desk_core::{Desk, Error};

use crate::Out;

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
    s
}

pub async fn workload(desk: &Desk, out: &Out, cmd: Option<&WorkloadCmd>) -> Result<u8, Error> {
    let w = desk.workload();
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
    let now = chrono::Utc::now().timestamp();
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
