//! The job half of the `Desk` facade.

use std::sync::Arc;

use chrono::Utc;
use trengo_unified::api::Lane;

use super::model::{ordered, parse_ticket_ids, undo_plan, validate_actions, Action, LineProblem};
use super::run::Runner;
use super::{
    describe, ItemSeed, JobControl, JobItemView, JobPlan, JobProgress, JobStore, JobView, Names,
    NewJob, PlannedChange, Selection, BEFORE_MAX_AGE_SECS, MAX_ITEMS,
};
use crate::desk::Desk;
use crate::error::{Error, Result};
use crate::view::TicketFilter;

/// How many items a job works on at once (the budget decides how fast they go).
const CONCURRENCY: usize = 8;

struct Resolved {
    ids: Vec<u64>,
    selection: String,
    problems: Vec<LineProblem>,
    duplicates: u32,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Desk {
    pub(crate) fn job_store(&self) -> JobStore {
        JobStore {
            pool: self.cache().pool().clone(),
        }
    }

    async fn resolve(&self, sel: &Selection, names: &Names) -> Result<Resolved> {
        let r = match sel {
            Selection::Ids { ids } => {
                let mut out = vec![];
                for i in ids {
                    let n: u64 = i
                        .trim()
                        .trim_start_matches('#')
                        .parse()
                        .map_err(|_| Error::Invalid(format!("{i:?} is not a ticket id")))?;
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
                Resolved {
                    selection: plural(out.len(), "selected ticket", "selected tickets"),
                    ids: out,
                    problems: vec![],
                    duplicates: 0,
                }
            }
            Selection::Pasted { text } => {
                let p = parse_ticket_ids(text);
                if p.ids.is_empty() {
                    let first = p
                        .problems
                        .first()
                        .map(|x| format!(": line {} {:?} is {}", x.line, x.text, x.reason))
                        .unwrap_or_default();
                    return Err(Error::Invalid(format!(
                        "no ticket ids were found in the pasted text{first}"
                    )));
                }
                Resolved {
                    selection: plural(p.ids.len(), "pasted ticket id", "pasted ticket ids"),
                    ids: p.ids,
                    problems: p.problems,
                    duplicates: p.duplicates,
                }
            }
            Selection::Filter { filter } => {
                let ids: Vec<u64> = self
                    .cache()
                    .search_ids(filter)
                    .await?
                    .iter()
                    .filter_map(|i| i.parse().ok())
                    .collect();
                Resolved {
                    selection: format!(
                        "all {} matching {}",
                        ids.len(),
                        describe_filter(filter, names)
                    ),
                    ids,
                    problems: vec![],
                    duplicates: 0,
                }
            }
        };
        if r.ids.is_empty() {
            return Err(Error::Invalid("no tickets are selected".into()));
        }
        if r.ids.len() > MAX_ITEMS {
            return Err(Error::Invalid(format!(
                "{} tickets are selected; one job takes at most {MAX_ITEMS}: split the selection",
                r.ids.len()
            )));
        }
        Ok(r)
    }

    fn check_ids_known(actions: &[Action], names: &Names) -> Result<()> {
        for a in actions {
            let (known, what) = match a {
                Action::AddTag { .. } | Action::RemoveTag { .. } => {
                    (a.id().is_some_and(|i| names.tags.contains_key(&i)), "tag")
                }
                Action::AssignTeam { .. } => {
                    (a.id().is_some_and(|i| names.teams.contains_key(&i)), "team")
                }
                Action::AssignUser { .. } => {
                    (a.id().is_some_and(|i| names.users.contains_key(&i)), "user")
                }
                Action::Close
                | Action::Reopen
                | Action::SetField { .. }
                | Action::Enrich { .. } => (true, ""),
            };
            if !known {
                return Err(Error::NotFound(format!(
                    "there is no {what} with id {} in this workspace (sync if it is new)",
                    a.id().map(|i| i.to_string()).unwrap_or_default()
                )));
            }
        }
        Ok(())
    }

    /// What a job would do: per action how many tickets change and how many already are so, the
    /// requests it needs and how long that takes at the request budget. Nothing is written.
    pub async fn plan_job(&self, sel: &Selection, actions: &[Action]) -> Result<JobPlan> {
        Ok(self.prepare(sel, actions).await?.0)
    }

    async fn prepare(
        &self,
        sel: &Selection,
        actions: &[Action],
    ) -> Result<(JobPlan, Vec<ItemSeed>)> {
        validate_actions(actions).map_err(Error::Invalid)?;
        let store = self.job_store();
        let names = store.label_names().await?;
        Self::check_ids_known(actions, &names)?;
        let r = self.resolve(sel, &names).await?;
        let plan = ordered(actions);
        let states = store.cached_states(&r.ids).await?;
        let now = Utc::now().timestamp();
        let mut changes: Vec<PlannedChange> = plan
            .iter()
            .map(|a| PlannedChange {
                label: describe(a, &names),
                change: 0,
                already: 0,
            })
            .collect();
        let (mut unknown, mut requests) = (0u32, 0u32);
        let mut items = Vec::with_capacity(r.ids.len());
        for id in &r.ids {
            let before = states
                .get(id)
                .filter(|(_, at)| now - at <= BEFORE_MAX_AGE_SECS)
                .cloned();
            match &before {
                Some((b, _)) => {
                    let mut s = b.clone();
                    for (k, a) in plan.iter().enumerate() {
                        if s.satisfies(a) {
                            changes[k].already += 1;
                        } else {
                            changes[k].change += 1;
                            requests += 1;
                        }
                        s.apply(a);
                    }
                }
                None => {
                    unknown += 1;
                    requests += 1 + plan.len() as u32;
                    for c in &mut changes {
                        c.change += 1;
                    }
                }
            }
            items.push((*id, plan.clone(), before));
        }
        let eta = match self.client() {
            Ok(c) => c.budget().eta(requests).as_secs_f64().ceil() as u32,
            Err(_) => requests / 2,
        };
        Ok((
            JobPlan {
                title: plan
                    .iter()
                    .map(|a| describe(a, &names))
                    .collect::<Vec<_>>()
                    .join(" · "),
                selection: r.selection,
                tickets: r.ids.len() as u32,
                changes,
                unknown,
                requests,
                eta_secs: eta,
                problems: r.problems,
                duplicates: r.duplicates,
            },
            items,
        ))
    }

    /// Writes a job and its items (with each ticket's state before) to the cache. Run it with
    /// [`Desk::run_job`].
    pub async fn create_job(&self, sel: &Selection, actions: &[Action]) -> Result<JobView> {
        let (plan, items) = self.prepare(sel, actions).await?;
        let id = self
            .job_store()
            .create(NewJob {
                kind: "bulk",
                title: plan.title,
                actions: ordered(actions),
                selection: plan.selection,
                problems: plan.problems,
                undo_of: None,
                source: None,
                items,
            })
            .await?;
        self.job_store().view(id).await
    }

    /// Runs a job's pending items until they are all done, or it is paused, cancelled or stopped
    /// (offline, token refused). `progress` hears from it at most five times a second.
    pub async fn run_job(
        &self,
        id: u32,
        progress: &(dyn Fn(JobProgress) + Send + Sync),
    ) -> Result<JobView> {
        let id = id as i64;
        let control = Arc::new(JobControl::default());
        {
            let mut running = self.running_jobs.lock().unwrap_or_else(|p| p.into_inner());
            if running.contains_key(&id) {
                return Err(Error::Invalid(format!("job {id} is already running")));
            }
            running.insert(id, control.clone());
        }
        // Unregistered however the run ends, a dropped future included.
        struct Registered<'a>(&'a Desk, i64);
        impl Drop for Registered<'_> {
            fn drop(&mut self) {
                self.0
                    .running_jobs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&self.1);
            }
        }
        let _registered = Registered(self, id);
        self.run_registered(id, &control, progress).await
    }

    async fn run_registered(
        &self,
        id: i64,
        control: &JobControl,
        progress: &(dyn Fn(JobProgress) + Send + Sync),
    ) -> Result<JobView> {
        let u = self.unified()?;
        let store = self.job_store();
        let expand = match self.expander_for(id).await {
            Ok(x) => x,
            Err(e) => {
                // Say why on the job, so it does not just sit there.
                store
                    .force_state(id, "interrupted", Some(&e.to_string()))
                    .await?;
                return Err(e);
            }
        };
        let runner = Runner {
            store: &store,
            cache: self.cache(),
            client: u.client().lane(Lane::Bulk).checked_writes(),
            dir: self.cache().directory().await?,
            concurrency: CONCURRENCY,
            before_max_age: BEFORE_MAX_AGE_SECS,
            expand,
            token: format!("{}-{}-{id}", std::process::id(), super::run::now_ms()),
        };
        runner.run(id, control, progress).await
    }

    /// Pauses a job: what is in flight finishes and is recorded, the rest waits for resume.
    pub async fn pause_job(&self, id: u32) -> Result<JobView> {
        self.stop_job(id, false).await
    }

    /// Cancels a job: what is in flight finishes and is recorded, the rest is recorded as
    /// cancelled.
    pub async fn cancel_job(&self, id: u32) -> Result<JobView> {
        self.stop_job(id, true).await
    }

    async fn stop_job(&self, id: u32, cancel: bool) -> Result<JobView> {
        let id = id as i64;
        let store = self.job_store();
        let control = self
            .running_jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned();
        match control {
            Some(c) => {
                let flag = if cancel { &c.cancel } else { &c.pause };
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            None => {
                if store.runner_alive(id).await? {
                    return Err(Error::Invalid(format!(
                        "job {id} is being run by another process; stop it there"
                    )));
                }
                let v = store.view(id).await?;
                if matches!(v.state.as_str(), "done" | "cancelled") {
                    return Ok(v);
                }
                if v.undone_by.is_some() && cancel {
                    return Ok(v);
                }
                if cancel {
                    sqlx::query("UPDATE job_items SET state = 'cancelled', reason = 'cancelled before it was tried' WHERE job_id = ? AND state = 'pending' AND in_flight = 0")
                        .bind(id)
                        .execute(self.cache().pool())
                        .await?;
                    let left: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM job_items WHERE job_id = ? AND state = 'pending'",
                    )
                    .bind(id)
                    .fetch_one(self.cache().pool())
                    .await?;
                    if left > 0 {
                        // An item whose outcome is unknown must be checked first: resume finishes it.
                        store
                            .force_state(
                                id,
                                "interrupted",
                                Some(
                                    "an item's outcome is unknown; resume to check it, then cancel",
                                ),
                            )
                            .await?;
                    } else {
                        store.force_state(id, "cancelled", None).await?;
                    }
                } else {
                    store.force_state(id, "paused", None).await?;
                }
            }
        }
        store.view(id).await
    }

    pub async fn jobs(&self, limit: u32) -> Result<Vec<JobView>> {
        self.job_store().list(limit).await
    }

    pub async fn job(&self, id: u32) -> Result<JobView> {
        self.job_store().view(id as i64).await
    }

    /// A job's items; `state` picks one kind (`failed`, `done` …).
    pub async fn job_items(&self, id: u32, state: Option<&str>) -> Result<Vec<JobItemView>> {
        self.job_store().view(id as i64).await?;
        self.job_store().items(id as i64, state).await
    }

    /// Puts the failed (and cancelled) items back to pending; run the job again to try them.
    pub async fn retry_failed(&self, id: u32) -> Result<u32> {
        let store = self.job_store();
        if store.runner_alive(id as i64).await? {
            return Err(Error::Invalid(format!(
                "job {id} is running; retry its failures when it has finished"
            )));
        }
        if let Some(u) = store.view(id as i64).await?.undone_by {
            return Err(Error::Invalid(format!(
                "job {id} was undone by job {u}; start a new job instead"
            )));
        }
        let n = store.retry_failed(id as i64).await?;
        if n == 0 {
            return Err(Error::Invalid(format!("job {id} has no failed items")));
        }
        Ok(n)
    }

    /// Jobs left unfinished by a process that died, and jobs created but never started: run them
    /// with [`Desk::run_job`].
    pub async fn resumable_jobs(&self) -> Result<Vec<u32>> {
        Ok(self
            .job_store()
            .resumable()
            .await?
            .into_iter()
            .map(|i| i as u32)
            .collect())
    }

    /// Creates the job that takes every ticket a job changed back to its state before (only
    /// what the job changed; skipped tickets stay untouched). Run it with [`Desk::run_job`].
    pub async fn undo_job(&self, id: u32) -> Result<JobView> {
        let store = self.job_store();
        let v = store.view(id as i64).await?;
        if v.active {
            return Err(Error::Invalid(format!(
                "job {id} is running; pause it or let it finish before undoing it"
            )));
        }
        if let Some(u) = v.undone_by {
            return Err(Error::Invalid(format!(
                "job {id} was already undone by job {u}"
            )));
        }
        // Only a job that will not change anything more: done, or cancelled with nothing left.
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM job_items WHERE job_id = ? AND state = 'pending'",
        )
        .bind(id as i64)
        .fetch_one(self.cache().pool())
        .await?;
        if pending > 0 || !matches!(v.state.as_str(), "done" | "cancelled") {
            return Err(Error::Invalid(format!(
                "job {id} has not finished ({}, {pending} pending); let it finish, or cancel it, before undoing it",
                v.state
            )));
        }
        let mut items = vec![];
        let mut notes = vec![];
        let mut touched = vec![];
        for (ticket, plan, before, outcomes) in store.finished_items(id as i64).await? {
            let Some(before) = before else { continue };
            let (steps, why) = undo_plan(&before, &plan, &outcomes);
            for w in why {
                notes.push(LineProblem {
                    line: 0,
                    text: format!("#{ticket}"),
                    reason: w,
                });
            }
            if !steps.is_empty() {
                touched.push(ticket);
                items.push((ticket, steps));
            }
        }
        if items.is_empty() {
            return Err(Error::Invalid(format!(
                "job {id} changed no ticket, so there is nothing to undo"
            )));
        }
        // Contacts (enrichment) are read back from Trengo; tickets come from the cache if fresh.
        let contact_job = items
            .iter()
            .any(|(_, steps)| steps.iter().any(|a| matches!(a, Action::SetField { .. })));
        let states = if contact_job {
            Default::default()
        } else {
            store.cached_states(&touched).await?
        };
        let now = Utc::now().timestamp();
        let items = items
            .into_iter()
            .map(|(t, steps)| {
                let b = states
                    .get(&t)
                    .filter(|(_, at)| now - at <= BEFORE_MAX_AGE_SECS)
                    .cloned();
                (t, steps, b)
            })
            .collect::<Vec<_>>();
        let n = items.len();
        let nid = store
            .create(NewJob {
                kind: "undo",
                title: format!("Undo: {}", v.title),
                actions: vec![],
                selection: format!("{} changed by job {id}", plural(n, "ticket", "tickets")),
                problems: notes,
                undo_of: Some(id as i64),
                source: None,
                items,
            })
            .await?;
        store.view(nid).await
    }
}

/// A filter in words: "status open, team Billing, tag vip, text \"refund\"".
fn describe_filter(f: &TicketFilter, n: &Names) -> String {
    let mut parts = vec![format!("status {}", f.status.as_deref().unwrap_or("open"))];
    let name = |m: &std::collections::HashMap<u64, String>, id: &str| {
        id.parse::<u64>()
            .ok()
            .and_then(|i| m.get(&i).cloned())
            .unwrap_or_else(|| id.to_string())
    };
    if let Some(t) = &f.team_id {
        let names: Vec<String> = t.split(',').map(|x| name(&n.teams, x.trim())).collect();
        parts.push(format!("team {}", names.join(" or ")));
    }
    if let Some(t) = &f.tag_id {
        parts.push(format!("tag {}", name(&n.tags, t)));
    }
    if let Some(a) = &f.assignee_id {
        parts.push(format!("assignee {}", name(&n.users, a)));
    }
    if let Some(t) = f.text.as_deref().filter(|t| !t.trim().is_empty()) {
        parts.push(format!("text {t:?}"));
    }
    parts.join(", ")
}
