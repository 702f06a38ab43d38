//! The workload service: the board of who holds what and who is free, the agents' limits and
//! skills, and handing tickets out: a rule's balanced assignment, a rebalance between agents and
//! an away sweep, each previewed from the cache and run as jobs that read every ticket fresh.
//! The board costs no request.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use trengo_unified::api::Lane;

use crate::actions::Action;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::jobs::{ItemSeed, ItemState, JobView};
use crate::rules::{LiveRun, RuleTicket, StoredRule};
use crate::workload::balance::{self, Candidate, Move, Skill, Waiting};
use crate::workload::{store, tally, Held, WorkloadBoard, WorkloadKind};

pub struct Workload<'a> {
    cx: &'a Context,
}

impl<'a> Workload<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Workload { cx }
    }

    /// The board at `now` (unix seconds): teams, then agents.
    pub async fn board(&self, now: i64) -> Result<WorkloadBoard> {
        let started = std::time::Instant::now();
        let cache = &self.cx.cache;
        let (clocks, standings) = super::Sla::new(self.cx).clocks(now).await?;
        let held: Vec<Held> = clocks
            .iter()
            .map(|c| Held {
                id: c.id,
                team: c.team,
                user: c.user,
                waiting_since: c.waiting_since,
                assigned_at: c.assigned_at,
            })
            .collect();
        let teams = store::teams(cache).await?;
        let (agents, read_at) = store::agents(cache).await?;
        let limits = store::limits(cache).await?;
        let mut rows = tally(&held, &standings, &teams, &agents, &limits, day_start(now));
        let mut skills = store::skills(cache).await?;
        if !skills.is_empty() {
            let dir = cache.directory().await?;
            for r in rows.iter_mut().filter(|r| r.kind == WorkloadKind::Agent) {
                let mut s: Vec<Skill> =
                    r.id.parse::<i64>()
                        .ok()
                        .and_then(|id| skills.remove(&id))
                        .unwrap_or_default()
                        .into_iter()
                        .collect();
                s.sort();
                r.skill_labels = s.iter().map(|x| balance::describe_skill(x, &dir)).collect();
                r.skills = s;
            }
        }
        Ok(WorkloadBoard {
            rows,
            default_limit: limits.get(&0).copied(),
            availability_read_at: read_at.and_then(|t| {
                chrono::DateTime::from_timestamp(t, 0)
                    .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            }),
            took_ms: started.elapsed().as_millis() as u32,
        })
    }

    /// Sets an agent's limit of tickets waiting on them (by email or id; `default` for every
    /// agent without one of their own); `None` removes it.
    pub async fn set_limit(&self, agent: &str, limit: Option<u32>) -> Result<()> {
        let user = if agent.trim().eq_ignore_ascii_case("default") {
            0
        } else {
            let want = agent.trim().trim_start_matches('#');
            self.cx
                .cache
                .find_user(want)
                .await?
                .and_then(|u| u.id.parse::<i64>().ok())
                .ok_or_else(|| {
                    Error::NotFound(format!(
                        "no agent {want:?} in this workspace (an email or an id; `default` for everyone)"
                    ))
                })?
        };
        store::set_limit(&self.cx.cache, user, limit).await
    }

    /// An agent's id, by email or id.
    async fn agent(&self, agent: &str) -> Result<u64> {
        let want = agent.trim().trim_start_matches('#');
        self.cx
            .cache
            .find_user(want)
            .await?
            .and_then(|u| u.id.parse::<u64>().ok())
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "no agent {want:?} in this workspace (an email or an id)"
                ))
            })
    }

    /// An agent's skills (what they may take), each checked against the workspace.
    pub async fn set_skills(&self, agent: &str, skills: &[Skill]) -> Result<()> {
        let user = self.agent(agent).await?;
        let dir = self.cx.cache.directory().await?;
        for (i, s) in skills.iter().enumerate() {
            check_skill(s, &dir).map_err(|e| Error::Invalid(format!("skill {}: {e}", i + 1)))?;
        }
        store::set_skills(&self.cx.cache, user as i64, skills).await
    }

    /// Every agent's skills, by agent id.
    pub async fn skills(&self) -> Result<HashMap<u64, Vec<Skill>>> {
        Ok(store::skills(&self.cx.cache)
            .await?
            .into_iter()
            .map(|(u, s)| {
                let mut v: Vec<Skill> = s.into_iter().collect();
                v.sort();
                (u as u64, v)
            })
            .collect())
    }

    /// Reads the agents' availability (Trengo's online status) on its own, between the
    /// directory's reads: a page of users or two in the sync's share, at most every
    /// [`AVAILABILITY_EVERY_SECS`]. Returns whether it read.
    pub async fn read_availability_if_due(&self, now: i64) -> Result<bool> {
        let last = store::availability_read(&self.cx.cache).await?;
        if last.is_some_and(|t| now - t < AVAILABILITY_EVERY_SECS && t <= now) {
            return Ok(false);
        }
        let client = self.cx.client()?.lane(Lane::Sync);
        let mut online = vec![];
        for page in 1..=40 {
            let r = client.users(page).await;
            let p = self.cx.seen(
                "reading who is online",
                r.map_err(trengo_unified::Error::from),
            )?;
            online.extend(p.data.iter().map(|u| (u.id, u.is_online)));
            if !p.has_next() {
                break;
            }
        }
        store::put_availability(&self.cx.cache, &online, now).await?;
        Ok(true)
    }

    /// The floor at `now`, from the cache.
    async fn floor(&self, now: i64) -> Result<Floor> {
        let cache = &self.cx.cache;
        let (clocks, _) = super::Sla::new(self.cx).clocks(now).await?;
        let (agents, _) = store::agents(cache).await?;
        let limits = store::limits(cache).await?;
        let mut skills = store::skills(cache).await?;
        let mut load: HashMap<i64, (u32, Option<i64>)> = HashMap::new();
        let mut waiting = vec![];
        for c in &clocks {
            let Some(u) = c.user else { continue };
            let e = load.entry(u).or_default();
            e.1 = e.1.max(c.assigned_at);
            if let Some(w) = c.waiting_since {
                e.0 += 1;
                waiting.push((c.id as u64, u as u64, w));
            }
        }
        let known: HashSet<Skill> = skills.values().flatten().cloned().collect();
        let mut floor = Floor {
            agents: vec![],
            teams: HashMap::new(),
            names: HashMap::new(),
            known,
            waiting,
        };
        for a in agents {
            let (w, last) = load.get(&a.id).copied().unwrap_or_default();
            floor.agents.push(Candidate {
                id: a.id as u64,
                online: a.online,
                waiting: w,
                limit: limits.get(&a.id).or_else(|| limits.get(&0)).copied(),
                last_assigned: last,
                skills: skills.remove(&a.id).unwrap_or_default(),
            });
            floor
                .teams
                .insert(a.id as u64, a.teams.iter().map(|t| *t as u64).collect());
            floor.names.insert(a.id as u64, a.name);
        }
        Ok(floor)
    }

    /// A balanced rule's live pass over the tickets it took (oldest first): each goes to an
    /// agent of the rule's team by balance or in turn, as a one-ticket job read fresh (a ticket
    /// somebody holds by then is left alone); a ticket nobody fits stays unassigned and the
    /// rule's log says why.
    pub(crate) async fn hand_out(
        &self,
        rule: &StoredRule,
        ids: &[u64],
        tickets: &[RuleTicket],
        now: i64,
    ) -> Result<LiveRun> {
        let cache = &self.cx.cache;
        let b = rule.rule.balance.clone().ok_or_else(|| {
            Error::Invalid(format!(
                "rule {:?} does not assign by balance",
                rule.rule.name
            ))
        })?;
        let team: u64 = b.team_id.trim().parse().map_err(|_| {
            Error::Invalid(format!(
                "rule {:?}: {:?} is not a team id",
                rule.rule.name, b.team_id
            ))
        })?;
        let dir = cache.directory().await?;
        let actions = rule.rule.checked_actions(&dir)?;
        let mut floor = self.floor(now).await?;
        let mut after = store::turn(cache, rule.id).await?;
        let by_id: HashMap<u64, &RuleTicket> = tickets.iter().map(|t| (t.id, t)).collect();
        let mut order: Vec<&RuleTicket> =
            ids.iter().filter_map(|i| by_id.get(i).copied()).collect();
        order.sort_by_key(|t| (t.created_at, t.id));
        let mut run = LiveRun {
            rule: rule.rule.name.clone(),
            job: 0,
            jobs: vec![],
            matched: ids.len() as u32,
            changed: 0,
            skipped: 0,
            failed: 0,
            unassigned: 0,
        };
        let jobs = super::Jobs::new(self.cx);
        for t in order {
            let need = balance::needs(t, &floor.known);
            let pool = floor.of(Some(team), None);
            let user = match balance::pick(&pool, &need, b.mode, after) {
                Ok(u) => u,
                Err(why) => {
                    tracing::info!(rule = %rule.rule.name, ticket = t.id, %why, "left unassigned");
                    crate::rules::record(
                        cache,
                        rule,
                        None,
                        &[(t.id, format!("unassigned: {why}"))],
                    )
                    .await?;
                    run.unassigned += 1;
                    continue;
                }
            };
            let mut plan = actions.clone();
            plan.push(Action::AssignUser {
                user_id: user.to_string(),
            });
            let title = format!(
                "Rule {}: {}",
                rule.rule.name,
                balance::describe(&b, &dir).replacen(
                    "Assign",
                    &format!("Assign to {}", floor.name(user)),
                    1
                )
            );
            let job = jobs
                .create_items(
                    title,
                    format!("ticket #{}", t.id),
                    vec![ItemSeed {
                        target: t.id,
                        plan,
                        expect: None,
                    }],
                    Some(&rule.rule),
                )
                .await?;
            let end = jobs.run(job.id, &|_| {}).await?;
            let state = jobs
                .items(job.id, None)
                .await?
                .first()
                .map_or(ItemState::Pending, |i| i.state);
            crate::rules::record(
                cache,
                rule,
                Some(job.id),
                &[(t.id, state.as_str().to_string())],
            )
            .await?;
            if state == ItemState::Done {
                balance::took(&mut floor.agents, user, t.last_inbound != Some(false), now);
                after = Some(user);
                store::set_turn(cache, rule.id, user).await?;
            }
            run.job = job.id;
            run.jobs.push(job.id);
            run.changed += end.done;
            run.skipped += end.skipped + end.conflicts;
            run.failed += end.failed;
        }
        Ok(run)
    }

    /// Who would give and who would get which waiting tickets, so the room under the agents'
    /// limits evens out (oldest waiting first, skills respected, limits kept, offline agents
    /// give but do not get); from the cache, nothing written. A ticket moves only to a member of
    /// its team.
    pub async fn rebalance(&self, scope: &RebalanceScope, now: i64) -> Result<Rebalance> {
        let floor = self.floor(now).await?;
        let dir = self.cx.cache.directory().await?;
        let mut ids: Vec<u64> = vec![];
        for a in &scope.agents {
            ids.push(self.agent(a).await?);
        }
        let team = match scope
            .team_id
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            Some(t) => Some(
                t.parse::<u64>()
                    .ok()
                    .filter(|t| dir.teams.contains_key(t))
                    .ok_or_else(|| Error::NotFound(format!("there is no team with id {t}")))?,
            ),
            None => None,
        };
        if ids.is_empty() {
            let Some(t) = team else {
                return Err(Error::Invalid(
                    "choose the agents to rebalance, or a team".into(),
                ));
            };
            ids = floor.of(Some(t), None).iter().map(|a| a.id).collect();
        }
        if ids.len() < 2 {
            return Err(Error::Invalid(
                "a rebalance needs at least two agents".into(),
            ));
        }
        let mut agents: Vec<Candidate> = floor
            .agents
            .iter()
            .filter(|a| ids.contains(&a.id))
            .cloned()
            .collect();
        let before: HashMap<u64, u32> = agents.iter().map(|a| (a.id, a.waiting)).collect();
        let tickets = self.open_tickets(&dir).await?;
        let by_id: HashMap<u64, &RuleTicket> = tickets.iter().map(|t| (t.id, t)).collect();
        let waiting: Vec<Waiting> = floor
            .waiting
            .iter()
            .filter(|(_, u, _)| ids.contains(u))
            .filter_map(|(t, u, since)| {
                let ticket = *by_id.get(t)?;
                team.is_none_or(|tm| ticket.team == Some(tm))
                    .then_some(Waiting {
                        ticket,
                        user: *u,
                        since: *since,
                    })
            })
            .collect();
        // A ticket goes only to a member of its team: the team is a skill here.
        let mut known = floor.known.clone();
        let mut with_teams = agents.clone();
        for a in &mut with_teams {
            for t in floor.teams.get(&a.id).into_iter().flatten() {
                let s = Skill::Team {
                    team_id: t.to_string(),
                };
                a.skills.insert(s.clone());
                known.insert(s);
            }
        }
        let moves = balance::rebalance(&mut with_teams, &waiting, &known);
        for a in &mut agents {
            a.waiting = with_teams
                .iter()
                .find(|x| x.id == a.id)
                .map_or(a.waiting, |x| x.waiting);
        }
        let since: HashMap<u64, i64> = waiting.iter().map(|w| (w.ticket.id, w.since)).collect();
        let title = match team {
            Some(t) if scope.agents.is_empty() => {
                format!("Rebalance team {}", crate::actions::team_name(&dir, t))
            }
            _ => format!("Rebalance {} agents", agents.len()),
        };
        self.plan(&floor, title, moves, vec![], &agents, &before, &since)
            .await
    }

    /// An agent is away: their waiting tickets go to the other agents of each ticket's team (or
    /// of the agent's teams, for a ticket in none) by the same balance; a ticket nobody can take
    /// stays, with the reason. From the cache, nothing written.
    pub async fn away(&self, agent: &str, now: i64) -> Result<Rebalance> {
        let who = self.agent(agent).await?;
        let mut floor = self.floor(now).await?;
        let dir = self.cx.cache.directory().await?;
        let tickets = self.open_tickets(&dir).await?;
        let by_id: HashMap<u64, &RuleTicket> = tickets.iter().map(|t| (t.id, t)).collect();
        let mut mine: Vec<(u64, i64)> = floor
            .waiting
            .iter()
            .filter(|(_, u, _)| *u == who)
            .map(|(t, _, s)| (*t, *s))
            .collect();
        mine.sort_by_key(|(t, s)| (*s, *t));
        let own_teams: Vec<u64> = floor
            .teams
            .get(&who)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        let before: HashMap<u64, u32> = floor.agents.iter().map(|a| (a.id, a.waiting)).collect();
        let (mut moves, mut stays) = (vec![], vec![]);
        for (id, _) in &mine {
            let Some(t) = by_id.get(id) else { continue };
            let pool: Vec<Candidate> = match t.team {
                Some(tm) => floor.of(Some(tm), Some(who)),
                None => floor
                    .of(None, Some(who))
                    .into_iter()
                    .filter(|a| {
                        floor
                            .teams
                            .get(&a.id)
                            .is_some_and(|s| own_teams.iter().any(|x| s.contains(x)))
                    })
                    .collect(),
            };
            match balance::pick(
                &pool,
                &balance::needs(t, &floor.known),
                balance::BalanceMode::Balanced,
                None,
            ) {
                Ok(to) => {
                    balance::took(&mut floor.agents, to, true, now);
                    moves.push((*id, who, to));
                }
                Err(why) => stays.push((*id, why.to_string())),
            }
        }
        if let Some(a) = floor.agents.iter_mut().find(|a| a.id == who) {
            a.waiting = a.waiting.saturating_sub(moves.len() as u32);
        }
        let touched: HashSet<u64> = moves.iter().map(|m| m.2).chain([who]).collect();
        let agents: Vec<Candidate> = floor
            .agents
            .iter()
            .filter(|a| touched.contains(&a.id))
            .cloned()
            .collect();
        let since: HashMap<u64, i64> = mine.iter().copied().collect();
        let title = format!(
            "{} is away: hand over their waiting tickets",
            floor.name(who)
        );
        self.plan(&floor, title, moves, stays, &agents, &before, &since)
            .await
    }

    /// The cache's open tickets as rules read them.
    async fn open_tickets(
        &self,
        dir: &trengo_unified::Directory,
    ) -> Result<std::sync::Arc<Vec<RuleTicket>>> {
        super::Rules::new(self.cx).tickets(dir).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn plan(
        &self,
        floor: &Floor,
        title: String,
        moves: Vec<(u64, u64, u64)>,
        stays: Vec<(u64, String)>,
        agents: &[Candidate],
        before: &HashMap<u64, u32>,
        since: &HashMap<u64, i64>,
    ) -> Result<Rebalance> {
        let ids: Vec<u64> = moves
            .iter()
            .map(|m| m.0)
            .chain(stays.iter().map(|s| s.0))
            .collect();
        let subjects = store::subjects(&self.cx.cache, &ids).await?;
        let iso = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        };
        let moves: Vec<Move> = moves
            .into_iter()
            .map(|(t, from, to)| Move {
                ticket_id: crate::TicketId::new(t),
                subject: subjects.get(&t).cloned(),
                from_id: crate::UserId::new(from),
                from: floor.name(from),
                to_id: crate::UserId::new(to),
                to: floor.name(to),
                waiting_since: since.get(&t).copied().and_then(iso),
            })
            .collect();
        let mut loads: Vec<AgentLoad> = agents
            .iter()
            .map(|a| AgentLoad {
                id: crate::UserId::new(a.id),
                name: floor.name(a.id),
                online: a.online,
                limit: a.limit,
                before: before.get(&a.id).copied().unwrap_or(0),
                after: a.waiting,
            })
            .collect();
        loads.sort_by_key(|l| (l.name.to_lowercase(), l.id.clone()));
        let summary = summarize(&moves, stays.len());
        Ok(Rebalance {
            title,
            moves,
            stays: stays
                .into_iter()
                .map(|(t, why)| Stay {
                    ticket_id: crate::TicketId::new(t),
                    subject: subjects.get(&t).cloned(),
                    why,
                })
                .collect(),
            agents: loads,
            summary,
        })
    }

    /// Runs a rebalance (or an away sweep) as previewed, as one job: each ticket is read fresh
    /// and moved only while it is still with the agent who gives it (a ticket a colleague moved
    /// since is left, as a conflict). Undo gives each one back while it is still where the job
    /// left it. Run it with the jobs service.
    pub async fn create_rebalance(&self, plan: &Rebalance) -> Result<JobView> {
        let dir = self.cx.cache.directory().await?;
        let mut items = Vec::with_capacity(plan.moves.len());
        for (i, m) in plan.moves.iter().enumerate() {
            let num = |s: &str, what: &str| {
                s.trim().parse::<u64>().map_err(|_| {
                    Error::Invalid(format!("move {}: {s:?} is not a {what} id", i + 1))
                })
            };
            let (ticket, from) = (num(&m.ticket_id, "ticket")?, num(&m.from_id, "user")?);
            let to = num(&m.to_id, "user")?;
            for u in [from, to] {
                if !dir.users.contains_key(&u) {
                    return Err(Error::NotFound(format!(
                        "move {}: there is no user with id {u} in this workspace",
                        i + 1
                    )));
                }
            }
            items.push(ItemSeed {
                target: ticket,
                plan: vec![Action::AssignUser {
                    user_id: to.to_string(),
                }],
                expect: Some(crate::actions::TicketState {
                    user: Some(from),
                    ..Default::default()
                }),
            });
        }
        let n = items.len();
        super::Jobs::new(self.cx)
            .create_items(
                plan.title.clone(),
                format!("{n} {}", if n == 1 { "ticket" } else { "tickets" }),
                items,
                None,
            )
            .await
    }
}

/// How often the agents' availability is read between the directory's reads (users pages only).
pub const AVAILABILITY_EVERY_SECS: i64 = 120;

fn check_skill(s: &Skill, dir: &trengo_unified::Directory) -> std::result::Result<(), String> {
    let id = |x: &str| x.trim().parse::<u64>().ok();
    let (ok, what, v) = match s {
        Skill::Tag { tag_id } => (
            id(tag_id).is_some_and(|t| dir.labels.contains_key(&t)),
            "tag",
            tag_id,
        ),
        Skill::Team { team_id } => (
            id(team_id).is_some_and(|t| dir.teams.contains_key(&t)),
            "team",
            team_id,
        ),
        Skill::Channel { channel_id } => (
            id(channel_id).is_some_and(|t| dir.channels.contains_key(&t)),
            "channel",
            channel_id,
        ),
        Skill::ContactField { field_id, value } | Skill::TicketField { field_id, value } => {
            if value.trim().is_empty() {
                return Err("give the field's value".into());
            }
            let entity = if matches!(s, Skill::ContactField { .. }) {
                trengo_unified::EntityType::Contact
            } else {
                trengo_unified::EntityType::Ticket
            };
            (
                dir.field_by_id(field_id)
                    .is_some_and(|f| f.entity_type == entity),
                "field",
                field_id,
            )
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("there is no {what} with id {v} in this workspace"))
    }
}

/// "5 tickets move: Ann gives 3, Bob gives 2; Cas gets 5. 1 stays."
fn summarize(moves: &[Move], stays: usize) -> String {
    if moves.is_empty() {
        return if stays > 0 {
            format!(
                "Nothing moves: {stays} {} nobody can take.",
                if stays == 1 { "ticket" } else { "tickets" }
            )
        } else {
            "Nothing moves: the load is as even as limits and skills allow.".into()
        };
    }
    let count = |f: &dyn Fn(&Move) -> &str| {
        let mut m: Vec<(String, u32)> = vec![];
        for x in moves {
            match m.iter_mut().find(|(n, _)| n == f(x)) {
                Some(e) => e.1 += 1,
                None => m.push((f(x).to_string(), 1)),
            }
        }
        m.iter()
            .map(|(n, c)| format!("{n} {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!(
        "{} {} move. Gives: {}. Gets: {}.",
        moves.len(),
        if moves.len() == 1 {
            "ticket"
        } else {
            "tickets"
        },
        count(&|m| m.from.as_str()),
        count(&|m| m.to.as_str())
    );
    if stays > 0 {
        s.push_str(&format!(" {stays} stay: nobody can take them."));
    }
    s
}

/// This machine's midnight before `now`, as an instant.
fn day_start(now: i64) -> i64 {
    use chrono::{Local, TimeZone};
    let Some(t) = Local.timestamp_opt(now, 0).single() else {
        return now - now.rem_euclid(86_400);
    };
    t.date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|m| Local.from_local_datetime(&m).earliest())
        .map_or(now - now.rem_euclid(86_400), |d| d.timestamp())
}

/// The agents as balancing sees them at one moment, from the cache: who is online, what waits on
/// each, their limits, teams and skills, and the tickets that wait on someone.
struct Floor {
    agents: Vec<Candidate>,
    teams: HashMap<u64, HashSet<u64>>,
    names: HashMap<u64, String>,
    known: HashSet<Skill>,
    /// (ticket, agent, waiting since).
    waiting: Vec<(u64, u64, i64)>,
}

impl Floor {
    /// The agents of `team` (all where `None`), leaving out `but`.
    fn of(&self, team: Option<u64>, but: Option<u64>) -> Vec<Candidate> {
        self.agents
            .iter()
            .filter(|a| Some(a.id) != but)
            .filter(|a| team.is_none_or(|t| self.teams.get(&a.id).is_some_and(|s| s.contains(&t))))
            .cloned()
            .collect()
    }

    fn name(&self, id: u64) -> String {
        self.names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("#{id}"))
    }
}

/// Who rebalances: these agents, or a team's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RebalanceScope {
    #[serde(default)]
    pub team_id: Option<String>,
    /// Agents by id or email.
    #[serde(default)]
    pub agents: Vec<String>,
}

/// A ticket that stays where it is, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Stay {
    pub ticket_id: crate::TicketId,
    pub subject: Option<String>,
    pub why: String,
}

/// An agent's load before and after a rebalance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AgentLoad {
    pub id: crate::UserId,
    pub name: String,
    pub online: Option<bool>,
    pub limit: Option<u32>,
    pub before: u32,
    pub after: u32,
}

/// What a rebalance or an away sweep would do, before anything is written: who gives and who
/// gets which tickets. Running it makes one job of exactly these moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Rebalance {
    pub title: String,
    pub moves: Vec<Move>,
    pub stays: Vec<Stay>,
    pub agents: Vec<AgentLoad>,
    /// "5 tickets move: Ann gives 3, Bob gives 2; Cas gets 5".
    pub summary: String,
}
