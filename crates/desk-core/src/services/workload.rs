//! The workload service: the board of who holds what and who is free, and the agents' limits.
//! It reads the cache only: the board costs no request.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::workload::{store, tally, Held, WorkloadBoard};

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
        let rows = tally(&held, &standings, &teams, &agents, &limits, day_start(now));
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
