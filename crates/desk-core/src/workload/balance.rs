//! Who takes a ticket, and who gives which tickets to whom: balanced assignment (the available
//! agent with the most spare capacity who has the skills; ties: the longest since their last
//! assignment), a plain round robin, and a rebalance between agents. Pure: the callers read the
//! cache and Trengo, this only decides.
//!
//! Skills: a ticket needs every skill it matches that some agent of the workspace has (a tag on
//! it, its team or channel, a contact's or ticket's field value); an agent takes it only with all
//! of them. A ticket that matches no skill anybody has can go to anyone.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

pub use crate::rules::{describe_balance as describe, Balance, BalanceMode};
use crate::rules::{fold, RuleTicket};

/// A skill in words: "tag vip", "team Billing", "channel Email", "Language = nl".
pub fn describe_skill(s: &Skill, dir: &trengo_unified::Directory) -> String {
    let field = |f: &str| {
        dir.field_by_id(f)
            .map(|x| x.label.clone())
            .unwrap_or_else(|| format!("field {f}"))
    };
    use crate::ids::name_or_quoted as named;
    match s {
        Skill::Tag { tag_id } => {
            let name = named(tag_id, |t: crate::TagId| {
                crate::actions::tag_name(dir, t.number())
            });
            format!("tag {name}")
        }
        Skill::Team { team_id } => {
            let name = named(team_id, |t: crate::TeamId| {
                crate::actions::team_name(dir, t.number())
            });
            format!("team {name}")
        }
        Skill::Channel { channel_id } => format!(
            "channel {}",
            crate::ChannelId::parse(channel_id)
                .ok()
                .and_then(|c| dir.channels.get(&c.number()).cloned())
                .unwrap_or_else(|| format!("#{}", channel_id.trim()))
        ),
        Skill::ContactField { field_id, value } | Skill::TicketField { field_id, value } => {
            format!("{} = {value}", field(field_id))
        }
    }
}

/// What an agent may take.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Skill {
    Tag {
        tag_id: String,
    },
    Team {
        team_id: String,
    },
    Channel {
        channel_id: String,
    },
    /// A contact's field value (compared folded: case and accents ignored).
    ContactField {
        field_id: String,
        value: String,
    },
    TicketField {
        field_id: String,
        value: String,
    },
}

impl Skill {
    /// Whether the ticket has it.
    pub fn on(&self, t: &RuleTicket) -> bool {
        let id = |s: &str| s.trim().parse::<u64>().ok();
        match self {
            Skill::Tag { tag_id } => id(tag_id).is_some_and(|g| t.tags.contains(&g)),
            Skill::Team { team_id } => id(team_id).is_some_and(|g| t.team == Some(g)),
            Skill::Channel { channel_id } => id(channel_id).is_some_and(|c| t.channel == Some(c)),
            Skill::ContactField { field_id, value } => t
                .contact_fields
                .get(field_id)
                .is_some_and(|v| fold(v.trim()) == fold(value.trim())),
            Skill::TicketField { field_id, value } => t
                .ticket_fields
                .get(field_id)
                .is_some_and(|v| fold(v.trim()) == fold(value.trim())),
        }
    }
}

/// An agent as balancing sees them.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    pub id: u64,
    /// `None`: not known (taken as available).
    pub online: Option<bool>,
    /// Tickets waiting on them now.
    pub waiting: u32,
    /// `None`: no limit.
    pub limit: Option<u32>,
    /// When they were last given a ticket (unix seconds).
    pub last_assigned: Option<i64>,
    pub skills: HashSet<Skill>,
}

impl Candidate {
    fn spare(&self) -> i64 {
        self.limit
            .map_or(i64::MAX / 4, |l| i64::from(l) - i64::from(self.waiting))
    }

    fn available(&self) -> bool {
        self.online != Some(false)
    }
}

/// Why nobody took a ticket: how many agents were offline, at their limit, or without a skill
/// it needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NobodyFits {
    pub agents: u32,
    pub offline: u32,
    pub full: u32,
    pub unskilled: u32,
}

impl std::fmt::Display for NobodyFits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.agents == 0 {
            return write!(f, "nobody fits: the team has no agent");
        }
        let mut why = vec![];
        if self.offline > 0 {
            why.push(format!("{} offline", self.offline));
        }
        if self.full > 0 {
            why.push(format!("{} at their limit", self.full));
        }
        if self.unskilled > 0 {
            why.push(format!("{} without the skills", self.unskilled));
        }
        write!(f, "nobody fits: {}", why.join(", "))
    }
}

/// The skills a ticket needs: those it matches that some agent has.
pub fn needs(t: &RuleTicket, known: &HashSet<Skill>) -> Vec<Skill> {
    let mut v: Vec<Skill> = known.iter().filter(|s| s.on(t)).cloned().collect();
    v.sort();
    v
}

/// The agent who takes a ticket needing `needs`, of `agents` (those who may: a team's members,
/// leaving out whoever gives it away); `after`: round robin's last agent.
pub fn pick(
    agents: &[Candidate],
    needs: &[Skill],
    mode: BalanceMode,
    after: Option<u64>,
) -> Result<u64, NobodyFits> {
    let mut why = NobodyFits {
        agents: agents.len() as u32,
        ..NobodyFits::default()
    };
    let mut fits: Vec<&Candidate> = vec![];
    for a in agents {
        if !a.available() {
            why.offline += 1;
        } else if a.spare() <= 0 {
            why.full += 1;
        } else if !needs.iter().all(|s| a.skills.contains(s)) {
            why.unskilled += 1;
        } else {
            fits.push(a);
        }
    }
    let chosen = match mode {
        BalanceMode::Balanced => fits.into_iter().max_by(|a, b| {
            a.spare()
                .cmp(&b.spare())
                // The longest since their last assignment (never: longest of all), then the
                // lowest id, so the same cache always gives the same answer.
                .then(b.last_assigned.cmp(&a.last_assigned))
                .then(b.id.cmp(&a.id))
        }),
        BalanceMode::RoundRobin => {
            fits.sort_by_key(|a| a.id);
            let next = after.and_then(|l| fits.iter().find(|a| a.id > l).copied());
            next.or_else(|| fits.first().copied())
        }
    };
    chosen.map(|a| a.id).ok_or(why)
}

/// Records that `agent` took a ticket at `now`: one more waiting on them if it waits on us.
pub fn took(agents: &mut [Candidate], agent: u64, waits: bool, now: i64) {
    if let Some(a) = agents.iter_mut().find(|a| a.id == agent) {
        if waits {
            a.waiting += 1;
        }
        a.last_assigned = Some(now);
    }
}

/// A ticket handed from one agent to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Move {
    pub ticket_id: crate::TicketId,
    pub subject: Option<String>,
    pub from_id: crate::UserId,
    pub from: String,
    pub to_id: crate::UserId,
    pub to: String,
    /// Since when the customer waits (ISO UTC).
    pub waiting_since: Option<String>,
}

/// A ticket that waits on an agent, as a rebalance moves it.
#[derive(Debug, Clone)]
pub struct Waiting<'a> {
    pub ticket: &'a RuleTicket,
    pub user: u64,
    pub since: i64,
}

/// Who gives which tickets to whom, so the room under each agent's limit evens out (oldest
/// waiting first, skills respected, limits kept): the agent with the least spare room gives while
/// someone available has the skills and at least two more spare (one move then narrows the gap
/// by two). `agents` end as the moves leave them; each move is (ticket, from, to).
pub fn rebalance(
    agents: &mut [Candidate],
    waiting: &[Waiting<'_>],
    known: &HashSet<Skill>,
) -> Vec<(u64, u64, u64)> {
    let mut by_agent: HashMap<u64, Vec<&Waiting>> = HashMap::new();
    for w in waiting {
        by_agent.entry(w.user).or_default().push(w);
    }
    for v in by_agent.values_mut() {
        v.sort_by_key(|w| (w.since, w.ticket.id));
    }
    let mut moves = vec![];
    let mut done_with: HashSet<u64> = HashSet::new();
    // Each move narrows a gap; the bound only guards against a loop.
    for _ in 0..waiting.len() * 2 + 1 {
        let Some((g, spare)) = agents
            .iter()
            .filter(|a| !done_with.contains(&a.id))
            .filter(|a| by_agent.get(&a.id).is_some_and(|v| !v.is_empty()))
            .min_by_key(|a| (a.spare(), a.id))
            .map(|a| (a.id, a.spare()))
        else {
            break;
        };
        let room: Vec<Candidate> = agents
            .iter()
            .filter(|a| a.id != g && a.spare() >= spare.saturating_add(2))
            .cloned()
            .collect();
        let moved = by_agent[&g].iter().enumerate().find_map(|(k, w)| {
            pick(&room, &needs(w.ticket, known), BalanceMode::Balanced, None)
                .ok()
                .map(|to| (k, w.ticket.id, to))
        });
        match moved {
            Some((k, ticket, to)) => {
                if let Some(v) = by_agent.get_mut(&g) {
                    v.remove(k);
                }
                for a in agents.iter_mut() {
                    if a.id == g {
                        a.waiting = a.waiting.saturating_sub(1);
                    }
                    if a.id == to {
                        a.waiting += 1;
                    }
                }
                moves.push((ticket, g, to));
            }
            None => {
                done_with.insert(g);
            }
        }
    }
    moves
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: u64, waiting: u32, limit: u32) -> Candidate {
        Candidate {
            id,
            online: Some(true),
            waiting,
            limit: Some(limit),
            ..Candidate::default()
        }
    }

    #[test]
    fn the_most_spare_capacity_wins_and_ties_go_to_the_longest_idle() {
        let mut a = vec![agent(1, 3, 10), agent(2, 1, 10), agent(3, 1, 10)];
        a[1].last_assigned = Some(500);
        a[2].last_assigned = Some(100);
        assert_eq!(pick(&a, &[], BalanceMode::Balanced, None), Ok(3));
        took(&mut a, 3, true, 600);
        assert_eq!(pick(&a, &[], BalanceMode::Balanced, None), Ok(2));
    }

    #[test]
    fn offline_full_and_unskilled_agents_are_skipped_and_counted() {
        let nl = Skill::ContactField {
            field_id: "5".into(),
            value: "nl".into(),
        };
        let mut a = vec![
            agent(1, 0, 5),
            agent(2, 5, 5),
            agent(3, 0, 5),
            agent(4, 0, 5),
        ];
        a[0].online = Some(false);
        a[3].skills.insert(nl.clone());
        assert_eq!(
            pick(&a, std::slice::from_ref(&nl), BalanceMode::Balanced, None),
            Ok(4)
        );
        a[3].online = Some(false);
        let why = pick(&a, &[nl], BalanceMode::Balanced, None).unwrap_err();
        assert_eq!((why.offline, why.full, why.unskilled), (2, 1, 1));
        assert_eq!(
            why.to_string(),
            "nobody fits: 2 offline, 1 at their limit, 1 without the skills"
        );
    }

    #[test]
    fn round_robin_goes_round_skipping_who_cannot_take() {
        let mut a = vec![agent(1, 0, 5), agent(2, 0, 5), agent(3, 0, 5)];
        a[1].online = Some(false);
        assert_eq!(pick(&a, &[], BalanceMode::RoundRobin, None), Ok(1));
        assert_eq!(pick(&a, &[], BalanceMode::RoundRobin, Some(1)), Ok(3));
        assert_eq!(pick(&a, &[], BalanceMode::RoundRobin, Some(3)), Ok(1));
    }

    #[test]
    fn a_ticket_needs_the_skills_someone_has_that_it_matches() {
        let t = RuleTicket {
            tags: vec![7],
            contact_fields: HashMap::from([("5".to_string(), "nl".to_string())]),
            ..RuleTicket::default()
        };
        let known: HashSet<Skill> = [
            Skill::Tag { tag_id: "7".into() },
            Skill::Tag { tag_id: "8".into() },
            Skill::ContactField {
                field_id: "5".into(),
                value: "NL".into(),
            },
        ]
        .into();
        assert_eq!(needs(&t, &known).len(), 2);
    }

    #[test]
    fn rebalance_evens_out_oldest_first_within_limits() {
        let tickets: Vec<RuleTicket> = (1..=6)
            .map(|id| RuleTicket {
                id,
                ..RuleTicket::default()
            })
            .collect();
        let waiting: Vec<Waiting> = tickets
            .iter()
            .map(|t| Waiting {
                ticket: t,
                user: 1,
                since: 100 - t.id as i64,
            })
            .collect();
        let mut a = vec![agent(1, 6, 10), agent(2, 0, 10), agent(3, 0, 4)];
        let moves = rebalance(&mut a, &waiting, &HashSet::new());
        // Oldest first: ticket 6 waits longest.
        assert_eq!(moves[0].0, 6);
        let loads: Vec<u32> = a.iter().map(|x| x.waiting).collect();
        let spare: Vec<i64> = a.iter().map(Candidate::spare).collect();
        assert_eq!(loads, vec![3, 3, 0]);
        assert_eq!(spare, vec![7, 7, 4], "the room under each limit evens out");
    }
}
