//! The jobs service: plan, create, run, pause, cancel, retry and undo jobs (bulk, rules,
//! enrichment); each runs on the job engine ([`crate::jobs`]).

use std::collections::HashSet;
use std::sync::Arc;

use trengo_unified::api::Lane;
use trengo_unified::Directory;

use crate::actions::normalize_actions;
use crate::actions::{self, describe};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::jobs::model::{
    ordered, parse_ticket_ids, undo_plan, Action, ItemState, JobKind, JobState, LineProblem,
    UndoPlan,
};
use crate::jobs::outcomes::{list_problems, plural, workers};
use crate::jobs::pages::{self, PagePlan};
use crate::jobs::run::Runner;
use crate::jobs::{
    ItemSeed, JobControl, JobItemView, JobPlan, JobProgress, JobView, NewJob, PlannedChange,
    Selection, MAX_ITEMS,
};
use crate::view::TicketFilter;

struct Resolved {
    ids: Vec<u64>,
    selection: String,
    problems: Vec<LineProblem>,
    duplicates: u32,
    filter: Option<TicketFilter>,
}

/// Each ticket's own steps, written from a job's common ones.
pub(crate) type PerTicket = dyn Fn(u64, &[Action]) -> Vec<Action> + Send + Sync;

/// Jobs: planned, created, run, paused, cancelled, retried and undone.
pub struct Jobs<'a> {
    cx: &'a Context,
}

impl<'a> Jobs<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Jobs { cx }
    }

    /// The tickets a selection stands for.
    pub(crate) async fn ids_of(&self, sel: &Selection) -> Result<Vec<u64>> {
        let dir = self.cx.cache().directory().await?;
        Ok(self.resolve(sel, &dir).await?.ids)
    }

    async fn resolve(&self, sel: &Selection, dir: &Directory) -> Result<Resolved> {
        let r = match sel {
            Selection::Ids { ids } => {
                let mut out = vec![];
                for i in ids {
                    let n = crate::context::ticket_num(i)?;
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
                Resolved {
                    selection: plural(out.len(), "selected ticket", "selected tickets"),
                    ids: out,
                    problems: vec![],
                    duplicates: 0,
                    filter: None,
                }
            }
            Selection::Pasted { text } => {
                let p = parse_ticket_ids(text);
                if p.ids.is_empty() {
                    return Err(Error::Invalid(if p.problems.is_empty() {
                        "no ticket ids were found in the pasted text".into()
                    } else {
                        format!(
                            "no ticket ids were found in the pasted text: {}",
                            list_problems(&p.problems, 10)
                        )
                    }));
                }
                Resolved {
                    selection: plural(p.ids.len(), "pasted ticket id", "pasted ticket ids"),
                    ids: p.ids,
                    problems: p.problems,
                    duplicates: p.duplicates,
                    filter: None,
                }
            }
            Selection::Filter { filter } => {
                let ids: Vec<u64> = self
                    .cx
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
                        describe_filter(filter, dir)
                    ),
                    ids,
                    problems: vec![],
                    duplicates: 0,
                    filter: Some(filter.clone()),
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

    /// What a job would do: per action how many tickets change and how many already are so, the
    /// requests it needs (reads included) and how long that takes at the request budget.
    /// Nothing is written.
    pub async fn plan(&self, sel: &Selection, actions: &[Action]) -> Result<JobPlan> {
        Ok(self.prepare(sel, actions).await?.0)
    }

    async fn prepare(
        &self,
        sel: &Selection,
        actions: &[Action],
    ) -> Result<(JobPlan, Vec<ItemSeed>, Option<PagePlan>)> {
        let dir = self.cx.cache().directory().await?;
        let plan = ordered(&normalize_actions(actions, &dir)?);
        let r = self.resolve(sel, &dir).await?;
        let messages_only = plan.iter().all(Action::is_message);
        let store = self.cx.job_store();
        let mut states = store.cached_states(&r.ids).await?;
        if plan
            .iter()
            .any(|a| matches!(a, Action::SetTicketField { .. }))
        {
            // Ticket fields as the cache has them, for the counts.
            for (id, fields) in self.cx.cache().ticket_field_values(&r.ids, &dir).await? {
                if let Some((s, _)) = states.get_mut(&id) {
                    s.fields = fields;
                }
            }
        }
        let mut changes: Vec<PlannedChange> = plan
            .iter()
            .map(|a| PlannedChange {
                label: describe(a, &dir),
                change: 0,
                already: 0,
            })
            .collect();
        let (mut unknown, mut writes) = (0u32, 0u32);
        let mut oldest: Option<i64> = None;
        let mut items = Vec::with_capacity(r.ids.len());
        for id in &r.ids {
            match states.get(id) {
                Some((b, at)) => {
                    oldest = Some(oldest.map_or(*at, |o| o.min(*at)));
                    let mut s = b.clone();
                    for (k, a) in plan.iter().enumerate() {
                        if s.satisfies(a) {
                            changes[k].already += 1;
                        } else {
                            changes[k].change += 1;
                            writes += 1;
                        }
                        s.apply(a);
                    }
                }
                None => {
                    unknown += 1;
                    writes += plan.len() as u32;
                    for c in &mut changes {
                        c.change += 1;
                    }
                }
            }
            items.push(ItemSeed {
                target: *id,
                plan: plan.clone(),
                expect: None,
            });
        }
        let page_plan = match &r.filter {
            // Notes are posted without reading the tickets first.
            Some(_) if messages_only => None,
            Some(f) => {
                let set: HashSet<u64> = r.ids.iter().copied().collect();
                pages::plan(self.cx.cache(), f, &set).await?
            }
            None => None,
        };
        let (pages, covered) = page_plan
            .as_ref()
            .map(|(p, c)| (p.pages(), *c))
            .unwrap_or((0, 0));
        let reads = if messages_only {
            0
        } else {
            pages + (r.ids.len() as u32 - covered.min(r.ids.len() as u32))
        };
        let requests = writes + reads;
        let eta = self.cx.eta_secs(requests);
        Ok((
            JobPlan {
                title: plan
                    .iter()
                    .map(|a| describe(a, &dir))
                    .collect::<Vec<_>>()
                    .join(" · "),
                selection: r.selection,
                tickets: r.ids.len() as u32,
                changes,
                unknown,
                cache_read_at: crate::cache::iso(oldest),
                reads,
                pages,
                requests,
                eta_secs: eta,
                problems: r.problems,
                duplicates: r.duplicates,
                undo_notice: plan
                    .iter()
                    .any(|a| matches!(a, Action::AddNote { .. }))
                    .then(|| {
                        "A note is an event, not a state: each ticket gets it, even one that has the same note already. Undo deletes the notes this job posted, where Trengo allows deleting a note; if it does not, undo says so and the notes stay.".to_string()
                    }),
            },
            items,
            page_plan.map(|(p, _)| p),
        ))
    }

    /// Writes a job and its items to the cache. Run it with [`Desk::run_job`].
    pub async fn create(&self, sel: &Selection, actions: &[Action]) -> Result<JobView> {
        self.create_for(sel, actions, None).await
    }

    /// [`Desk::create_job`] for a rule: titled by it, and each ticket checked against it on the
    /// fresh read before it changes.
    pub(crate) async fn create_for(
        &self,
        sel: &Selection,
        actions: &[Action],
        rule: Option<&crate::rules::Rule>,
    ) -> Result<JobView> {
        let title = rule.map(|r| format!("Rule {}: ", r.name));
        self.create_named(sel, actions, title.as_deref(), rule, None)
            .await
    }

    /// A job over a selection whose title starts with `prefix` ("Macro Refund done: "); where
    /// `each` is given, it writes each ticket's own steps from the common ones (a macro's notes
    /// with their placeholders filled).
    pub(crate) async fn create_named(
        &self,
        sel: &Selection,
        actions: &[Action],
        prefix: Option<&str>,
        rule: Option<&crate::rules::Rule>,
        each: Option<&PerTicket>,
    ) -> Result<JobView> {
        let (mut plan, mut items, page_plan) = self.prepare(sel, actions).await?;
        if let Some(p) = prefix {
            plan.title = format!("{p}{}", plan.title);
        }
        if let Some(f) = each {
            for it in &mut items {
                it.plan = f(it.target, &it.plan);
            }
        }
        let actions = items.first().map(|i| i.plan.clone()).unwrap_or_default();
        let id = self
            .cx
            .job_store()
            .create(NewJob {
                kind: JobKind::Bulk,
                title: plan.title,
                actions,
                selection: plan.selection,
                problems: plan.problems,
                undo_of: None,
                source: None,
                page_plan,
                items,
                guard: rule.map(|r| serde_json::to_string(r).unwrap_or_default()),
            })
            .await?;
        self.cx.job_store().view(id).await
    }

    /// A job whose tickets each have their own changes (a rebalance's moves, one balanced
    /// assignment), kept in the order given. Where an item has `expect`, a ticket must still
    /// show it in the part a change touches when read fresh, or it is left as it is (a
    /// conflict); where `rule` is given, each ticket must still match it.
    pub(crate) async fn create_items(
        &self,
        title: String,
        selection: String,
        items: Vec<ItemSeed>,
        rule: Option<&crate::rules::Rule>,
    ) -> Result<JobView> {
        if items.is_empty() {
            return Err(Error::Invalid("nothing to do: no ticket changes".into()));
        }
        let dir = self.cx.cache().directory().await?;
        let mut seeds = Vec::with_capacity(items.len());
        for it in items {
            seeds.push(ItemSeed {
                plan: ordered(&normalize_actions(&it.plan, &dir)?),
                ..it
            });
        }
        let id = self
            .cx
            .job_store()
            .create(NewJob {
                kind: JobKind::Bulk,
                title,
                actions: vec![],
                selection,
                problems: vec![],
                undo_of: None,
                source: None,
                page_plan: None,
                items: seeds,
                guard: rule.map(|r| serde_json::to_string(r).unwrap_or_default()),
            })
            .await?;
        self.cx.job_store().view(id).await
    }

    /// Runs a job's pending items until they are all done, or it is paused, cancelled or stopped
    /// (offline, token refused). `progress` hears from it at most five times a second.
    pub async fn run(
        &self,
        id: u32,
        progress: &(dyn Fn(JobProgress) + Send + Sync),
    ) -> Result<JobView> {
        let limit = self.cx.budget_state().map(|b| b.limit).unwrap_or(120);
        self.run_in(id, Lane::Bulk, workers(limit), progress).await
    }

    pub(crate) async fn run_in(
        &self,
        id: u32,
        lane: Lane,
        concurrency: usize,
        progress: &(dyn Fn(JobProgress) + Send + Sync),
    ) -> Result<JobView> {
        let id = id as i64;
        let control = Arc::new(JobControl::default());
        {
            let mut running = self
                .cx
                .running_jobs
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if running.contains_key(&id) {
                return Err(Error::Invalid(format!("job {id} is already running")));
            }
            running.insert(id, control.clone());
        }
        // Unregistered however the run ends, a dropped future included.
        struct Registered<'a>(&'a Context, i64);
        impl Drop for Registered<'_> {
            fn drop(&mut self) {
                self.0
                    .running_jobs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&self.1);
            }
        }
        let _registered = Registered(self.cx, id);
        let u = self.cx.unified()?;
        let store = self.cx.job_store();
        let runner = Runner {
            store: &store,
            cache: self.cx.cache(),
            client: u.client().lane(lane).checked_writes(),
            dir: self.cx.cache().directory().await?,
            concurrency,
            token: format!("{}-{}-{id}", std::process::id(), crate::jobs::run::now_ms()),
        };
        runner.run(id, &control, progress).await
    }

    /// Pauses a job: what is in flight finishes and is recorded, the rest waits for resume.
    pub async fn pause(&self, id: u32) -> Result<JobView> {
        self.stop(id, false).await
    }

    /// Cancels a job: what is in flight finishes and is recorded, the rest is recorded as
    /// cancelled.
    pub async fn cancel(&self, id: u32) -> Result<JobView> {
        self.stop(id, true).await
    }

    async fn stop(&self, id: u32, cancel: bool) -> Result<JobView> {
        let id = id as i64;
        let store = self.cx.job_store();
        let control = self
            .cx
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
                if v.state.is_final() || (v.undone_by.is_some() && cancel) {
                    return Ok(v);
                }
                if cancel {
                    store.cancel_untried(id).await?;
                    if store.pending_count(id).await? > 0 {
                        // An item whose outcome is unknown must be checked first: resume finishes it.
                        store
                            .force_state(
                                id,
                                JobState::Interrupted,
                                Some(
                                    "an item's outcome is unknown; resume to check it, then cancel",
                                ),
                            )
                            .await?;
                    } else {
                        store.force_state(id, JobState::Cancelled, None).await?;
                    }
                } else {
                    store.force_state(id, JobState::Paused, None).await?;
                }
            }
        }
        store.view(id).await
    }

    pub async fn list(&self, limit: u32) -> Result<Vec<JobView>> {
        self.cx.job_store().list(limit).await
    }

    pub async fn get(&self, id: u32) -> Result<JobView> {
        self.cx.job_store().view(id as i64).await
    }

    /// A job's items; `state` picks one kind (failed, done …).
    pub async fn items(&self, id: u32, state: Option<ItemState>) -> Result<Vec<JobItemView>> {
        self.cx.job_store().view(id as i64).await?;
        let dir = self.cx.cache().directory().await?;
        self.cx.job_store().items(id as i64, state, &dir).await
    }

    /// Puts the failed (and cancelled) items back to pending; run the job again to try them.
    pub async fn retry_failed(&self, id: u32) -> Result<u32> {
        let store = self.cx.job_store();
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
    pub async fn resumable(&self) -> Result<Vec<u32>> {
        Ok(self
            .cx
            .job_store()
            .resumable()
            .await?
            .into_iter()
            .map(|i| i as u32)
            .collect())
    }

    /// Creates the job that takes back what a job changed: each ticket is read fresh when the undo
    /// runs, and a part is reverted only while it still stands as the job left it; a part
    /// changed since by anyone is listed as a conflict, never overwritten. Tickets the job found
    /// already so are not touched. Run it with [`Desk::run_job`].
    pub async fn undo(&self, id: u32) -> Result<JobView> {
        let store = self.cx.job_store();
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
        let pending = store.pending_count(id as i64).await?;
        if pending > 0 || !v.state.is_final() {
            return Err(Error::Invalid(format!(
                "job {id} has not finished ({}, {pending} pending); let it finish, or cancel it, before undoing it",
                v.state
            )));
        }
        let mut items = vec![];
        let mut notes = vec![];
        for f in store.finished_items(id as i64).await? {
            let Some(before) = &f.before else { continue };
            let UndoPlan {
                steps,
                expect,
                notes: why,
            } = undo_plan(before, &f.plan, &f.outcomes);
            for w in why {
                notes.push(LineProblem {
                    line: 0,
                    text: format!("#{}", f.target),
                    reason: w,
                });
            }
            if !steps.is_empty() {
                items.push(ItemSeed {
                    target: f.target,
                    plan: steps,
                    expect: Some(expect),
                });
            }
        }
        if items.is_empty() {
            return Err(Error::Invalid(format!(
                "job {id} changed no ticket, so there is nothing to undo"
            )));
        }
        let n = items.len();
        let on_contacts = items.iter().all(|i| i.plan.iter().all(Action::on_contact));
        let nid = store
            .create(NewJob {
                kind: JobKind::Undo,
                title: undo_title(&v.title),
                actions: vec![],
                selection: if on_contacts {
                    format!("{} changed by job {id}", plural(n, "contact", "contacts"))
                } else {
                    format!("{} changed by job {id}", plural(n, "ticket", "tickets"))
                },
                problems: notes,
                undo_of: Some(id as i64),
                source: None,
                page_plan: None,
                guard: None,
                items,
            })
            .await?;
        store.view(nid).await
    }
}

/// A filter in words: "status open, team Billing, tag vip, text \"refund\"".
fn describe_filter(f: &TicketFilter, dir: &Directory) -> String {
    let mut parts = vec![format!("status {}", f.status.unwrap_or_default())];
    use crate::ids::name_or_quoted as named;
    if let Some(t) = &f.team_id {
        let names: Vec<String> = t
            .split(',')
            .map(|x| named(x, |t: crate::TeamId| actions::team_name(dir, t.number())))
            .collect();
        parts.push(format!("team {}", names.join(" or ")));
    }
    if let Some(t) = &f.tag_id {
        let name = named(t, |t: crate::TagId| actions::tag_name(dir, t.number()));
        parts.push(format!("tag {name}"));
    }
    if let Some(a) = &f.assignee_id {
        let name = named(a, |u: crate::UserId| actions::user_name(dir, u.number()));
        parts.push(format!("assignee {name}"));
    }
    if let Some(t) = f.text.as_deref().filter(|t| !t.trim().is_empty()) {
        parts.push(format!("text {t:?}"));
    }
    parts.join(", ")
}

/// An undo's title: "Undo: Close", and taking an undo back reads "Redo: Close", not "Undo: Undo:".
fn undo_title(title: &str) -> String {
    if let Some(done) = title.strip_prefix("Undo: ") {
        format!("Redo: {done}")
    } else if let Some(done) = title.strip_prefix("Redo: ") {
        format!("Undo: {done}")
    } else {
        format!("Undo: {title}")
    }
}

#[cfg(test)]
mod titles {
    #[test]
    fn undo_and_redo_read_as_such() {
        assert_eq!(super::undo_title("Close"), "Undo: Close");
        assert_eq!(super::undo_title("Undo: Close"), "Redo: Close");
        assert_eq!(super::undo_title("Redo: Close"), "Undo: Close");
    }
}
