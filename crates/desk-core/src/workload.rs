//! The workload board: who holds what and who is free. One row per team and per agent over the
//! cache's open tickets: open and assigned, those waiting on us and the oldest wait, at risk and
//! breached (from the SLA radar), assigned today, each agent's availability (Trengo's online
//! status, read with the directory) and capacity (a limit kept locally per workspace, counted
//! over the tickets that wait on us). Reading it costs no request.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::sla::{SlaState, Standing};

pub mod balance;
pub mod store;

/// A team's row or an agent's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum WorkloadKind {
    Team,
    Agent,
}

/// One row of the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkloadRow {
    pub kind: WorkloadKind,
    pub id: String,
    pub name: String,
    /// An agent's email.
    pub email: Option<String>,
    /// Open tickets: a team's, or those assigned to the agent (as `tickets --status open` counts
    /// them).
    pub open: u32,
    /// Of the open ones, assigned to someone (an agent's: all of them).
    pub assigned: u32,
    /// Of the open ones, the customer waits for us (the last message is theirs).
    pub waiting: u32,
    /// The longest wait's start (ISO UTC).
    pub oldest_waiting_since: Option<String>,
    pub at_risk: u32,
    pub breached: u32,
    /// Open tickets assigned since midnight (this machine's day).
    pub assigned_today: u32,
    /// An agent: online in Trengo (`None`: not known). A team: some member is.
    pub available: Option<bool>,
    /// A team: its members online, of `members`.
    pub online: u32,
    pub members: u32,
    /// An agent's limit of tickets waiting on them (theirs or the default; `None`: no limit).
    pub limit: Option<u32>,
    /// The limit is the agent's own (not the default).
    pub limit_own: bool,
    /// The limit less what waits on them (negative: over it).
    pub spare: Option<i32>,
    /// An agent's teams, by name.
    pub teams: Vec<String>,
    /// What an agent may take (balanced assignment), and the same in words.
    #[serde(default)]
    pub skills: Vec<balance::Skill>,
    #[serde(default)]
    pub skill_labels: Vec<String>,
}

/// The board: teams first (by name), then agents (by name).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkloadBoard {
    pub rows: Vec<WorkloadRow>,
    /// The limit of an agent who has none of their own.
    pub default_limit: Option<u32>,
    /// When the agents' availability was read from Trengo (ISO UTC): with the directory.
    pub availability_read_at: Option<String>,
    pub took_ms: u32,
}

/// An open ticket as the board counts it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Held {
    pub id: i64,
    pub team: Option<i64>,
    pub user: Option<i64>,
    pub waiting_since: Option<i64>,
    pub assigned_at: Option<i64>,
}

/// An agent as the board shows them.
#[derive(Debug, Clone, Default)]
pub struct Agent {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub online: Option<bool>,
    pub teams: Vec<i64>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    open: u32,
    assigned: u32,
    waiting: u32,
    oldest: Option<i64>,
    at_risk: u32,
    breached: u32,
    today: u32,
}

impl Tally {
    fn add(&mut self, t: &Held, s: Option<&Standing>, day_start: i64) {
        self.open += 1;
        if t.user.is_some() {
            self.assigned += 1;
        }
        if let Some(w) = t.waiting_since {
            self.waiting += 1;
            self.oldest = Some(self.oldest.map_or(w, |o| o.min(w)));
        }
        match s.map(|s| s.state) {
            Some(SlaState::AtRisk) => self.at_risk += 1,
            Some(SlaState::Breached) => self.breached += 1,
            _ => {}
        }
        if t.user.is_some() && t.assigned_at.is_some_and(|a| a >= day_start) {
            self.today += 1;
        }
    }
}

impl Tally {
    /// The row of these counts, the rest to be filled in.
    fn row(&self, kind: WorkloadKind, id: i64, name: &str) -> WorkloadRow {
        WorkloadRow {
            kind,
            id: id.to_string(),
            name: name.to_string(),
            email: None,
            open: self.open,
            assigned: self.assigned,
            waiting: self.waiting,
            oldest_waiting_since: self.oldest.and_then(iso),
            at_risk: self.at_risk,
            breached: self.breached,
            assigned_today: self.today,
            available: None,
            online: 0,
            members: 0,
            limit: None,
            limit_own: false,
            spare: None,
            teams: vec![],
            skills: vec![],
            skill_labels: vec![],
        }
    }
}

fn iso(t: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// The board's rows from the open tickets, the SLA standings, the teams (id, name), the agents
/// and their limits (`limits[0]`: the default).
pub fn tally(
    held: &[Held],
    standings: &HashMap<i64, Standing>,
    teams: &[(i64, String)],
    agents: &[Agent],
    limits: &HashMap<i64, u32>,
    day_start: i64,
) -> Vec<WorkloadRow> {
    let mut by_team: HashMap<i64, Tally> = HashMap::new();
    let mut by_user: HashMap<i64, Tally> = HashMap::new();
    for t in held {
        let s = standings.get(&t.id);
        if let Some(team) = t.team {
            by_team.entry(team).or_default().add(t, s, day_start);
        }
        if let Some(u) = t.user {
            by_user.entry(u).or_default().add(t, s, day_start);
        }
    }
    let team_name: HashMap<i64, &str> = teams.iter().map(|(i, n)| (*i, n.as_str())).collect();
    let mut rows = Vec::with_capacity(teams.len() + agents.len());
    let mut teams_sorted: Vec<&(i64, String)> = teams.iter().collect();
    teams_sorted.sort_by_key(|(i, n)| (n.to_lowercase(), *i));
    for (id, name) in teams_sorted {
        let t = by_team.get(id).copied().unwrap_or_default();
        let members: Vec<&Agent> = agents.iter().filter(|a| a.teams.contains(id)).collect();
        let online = members.iter().filter(|a| a.online == Some(true)).count() as u32;
        let known = members.iter().any(|a| a.online.is_some());
        rows.push(WorkloadRow {
            available: known.then_some(online > 0),
            online,
            members: members.len() as u32,
            ..t.row(WorkloadKind::Team, *id, name)
        });
    }
    let mut agents_sorted: Vec<&Agent> = agents.iter().collect();
    agents_sorted.sort_by_key(|a| (a.name.to_lowercase(), a.id));
    for a in agents_sorted {
        let t = by_user.get(&a.id).copied().unwrap_or_default();
        let limit = limits.get(&a.id).or_else(|| limits.get(&0)).copied();
        let mut teams: Vec<String> = a
            .teams
            .iter()
            .filter_map(|i| team_name.get(i).map(|n| n.to_string()))
            .collect();
        teams.sort_by_key(|n| n.to_lowercase());
        rows.push(WorkloadRow {
            email: a.email.clone(),
            available: a.online,
            online: u32::from(a.online == Some(true)),
            members: 1,
            limit,
            limit_own: limits.contains_key(&a.id),
            spare: limit.map(|l| l as i32 - t.waiting as i32),
            teams,
            ..t.row(WorkloadKind::Agent, a.id, &a.name)
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(id: i64, team: Option<i64>, user: Option<i64>, waiting: Option<i64>) -> Held {
        Held {
            id,
            team,
            user,
            waiting_since: waiting,
            assigned_at: user.map(|_| 1_000),
        }
    }

    #[test]
    fn capacity_counts_the_tickets_that_wait_on_the_agent() {
        let agents = vec![
            Agent {
                id: 7,
                name: "Ann".into(),
                online: Some(true),
                teams: vec![1],
                ..Default::default()
            },
            Agent {
                id: 8,
                name: "Bob".into(),
                online: Some(false),
                teams: vec![1],
                ..Default::default()
            },
        ];
        let tickets = [
            held(1, Some(1), Some(7), Some(100)),
            held(2, Some(1), Some(7), None),
            held(3, Some(1), Some(7), Some(50)),
            held(4, Some(1), None, Some(10)),
        ];
        let limits = HashMap::from([(0, 5), (7, 2)]);
        let rows = tally(
            &tickets,
            &HashMap::new(),
            &[(1, "Billing".into())],
            &agents,
            &limits,
            500,
        );
        let team = &rows[0];
        assert_eq!(
            (
                team.open,
                team.assigned,
                team.waiting,
                team.online,
                team.members
            ),
            (4, 3, 3, 1, 2)
        );
        assert_eq!(
            team.oldest_waiting_since.as_deref(),
            Some("1970-01-01T00:00:10Z")
        );
        let ann = rows.iter().find(|r| r.name == "Ann").unwrap();
        assert_eq!(
            (ann.open, ann.waiting, ann.limit, ann.spare),
            (3, 2, Some(2), Some(0))
        );
        assert_eq!(ann.assigned_today, 3);
        let bob = rows.iter().find(|r| r.name == "Bob").unwrap();
        assert_eq!(
            (bob.open, bob.limit, bob.spare, bob.available),
            (0, Some(5), Some(5), Some(false))
        );
    }
}
