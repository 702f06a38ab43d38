//! The steady refresh that follows the first sync: what the lead sees first and most often, the
//! rest of the working set in rotation, all in the sync lane, so within the sync's share of the
//! budget whatever the workspace's size.
//!
//! Trengo's ticket list has no documented "changed since" filter. `updated_at_gt` is a guess, so
//! it is probed (a time in the future must give an empty list) and the workspace is in one of two
//! modes:
//! - **incremental**: each refresh asks for what changed since the newest change the cache holds
//!   (one request when nothing changed), and the whole working set is read again only now and
//!   then (it finds tickets deleted in Trengo, which no filter lists);
//! - **rotation**: each refresh reads the first page of the open view, of the assigned view, of
//!   the lead's own tickets and of the newest tickets, then goes on through the rest of the
//!   working set, a cursor kept in the cache, until its time slice is used. A whole pass marks
//!   what it did not see as left, to be re-read.

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use trengo_unified::api::model as api;
use trengo_unified::api::{Client, Error as ApiError, Lane, TicketQuery};
use trengo_unified::Unified;

use crate::cache::Cache;
use crate::error::Result;
use crate::sync::{check_leavers, Progress, Run, SyncReport};

/// How often the background refresh runs (its time slice in rotation mode).
pub const REFRESH_EVERY: Duration = Duration::from_secs(30);
/// Once the working set has been read whole, every this many pages of the rotation one is the
/// contact index's.
pub const CONTACT_TURN: u32 = 3;
/// The changes are asked for since the newest change the cache holds less this much: Trengo's
/// times are whole seconds (a change in the same second as the newest must not be missed), and a
/// change may become visible a moment after a later one.
pub const CHANGES_OVERLAP_SECS: i64 = 30;
/// Rotation mode: a whole pass begins at most this often (an inbox that takes longer to read is
/// read without pause).
pub const MIN_PASS_GAP: Duration = Duration::from_secs(300);
/// How often the directory (users, teams, tags, fields, channels) is read again.
pub const DIRECTORY_EVERY_SECS: i64 = 600;
/// How often the incremental filter is probed again (a workspace may change).
pub const PROBE_EVERY_SECS: i64 = 24 * 3600;
/// In incremental mode, how often the whole working set is read again (deletions).
pub const WHOLE_READ_EVERY_SECS: i64 = 3600;

/// How the workspace's tickets are kept fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// `GET /tickets` honours `updated_at_gt`: only changes are read.
    Incremental,
    /// It does not: the views first, the rest of the working set in rotation.
    Rotation,
}

impl SyncMode {
    pub fn describe(self) -> &'static str {
        match self {
            SyncMode::Incremental => {
                "incremental (Trengo lists the tickets changed since the last look)"
            }
            SyncMode::Rotation => {
                "rotation (Trengo cannot list changes: the views first, the rest in turn)"
            }
        }
    }
}

/// Where a pass over the working set is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Cursor {
    /// 0: open tickets, 1: assigned tickets.
    pub part: u8,
    pub page: u64,
    /// Unix seconds (this computer's clock).
    pub started_at: i64,
    pub pages: u32,
}

/// The refresh's memory, in the cache's settings (`refresh`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RefreshState {
    pub mode: Option<SyncMode>,
    pub probed_at: Option<i64>,
    /// Incremental: every change up to this time (this computer's) is in the cache.
    pub changes_read_at: Option<i64>,
    /// Rotation: when the first pages of the views were last read.
    pub views_read_at: Option<i64>,
    /// The pass over the working set under way.
    pub cursor: Option<Cursor>,
    /// Which saved view's first page the next refresh reads (one a refresh, in turn).
    #[serde(default)]
    pub saved_turn: u32,
    /// The last whole pass over the working set: when it began and when it ended.
    pub whole_started_at: Option<i64>,
    pub whole_finished_at: Option<i64>,
}

const KEY: &str = "refresh";

impl RefreshState {
    pub(crate) async fn load(cache: &Cache) -> Result<RefreshState> {
        Ok(cache.setting(KEY).await?.unwrap_or_default())
    }

    async fn save(&self, cache: &Cache) -> Result<()> {
        cache.set_setting(KEY, self).await
    }
}

/// A whole pass over the working set ended (the full sync's, or the rotation's).
pub(crate) async fn whole_set_read(cache: &Cache, started: i64, finished: i64) -> Result<()> {
    let mut st = RefreshState::load(cache).await?;
    st.whole_started_at = Some(started);
    st.whole_finished_at = Some(finished);
    st.cursor = None;
    st.save(cache).await
}

/// What a refresh did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RefreshReport {
    pub mode: Option<SyncMode>,
    pub requests: u32,
    /// Tickets read (changes, view pages and rotation pages).
    pub tickets: u32,
    /// Pages of the rotation read.
    pub rotation_pages: u32,
    /// Pages of the contact list read into the contact index.
    pub contact_pages: u32,
    /// A whole pass over the working set ended in this refresh.
    pub whole_read: bool,
    /// Tickets that left the working set (closed or moved off every open list).
    pub left_working_set: u32,
    pub deleted: u32,
}

/// What a caller of [`crate::Desk::refresh_with`] chooses.
#[derive(Debug, Clone, Copy)]
pub struct RefreshRequest {
    /// How long the rotation may read on.
    pub slice: Duration,
    /// The lead waits on it: the views (or changes) go in the interactive lane.
    pub lead_waits: bool,
    /// Rotation mode: a whole pass begins no sooner than this after the last one began (a small
    /// inbox is not read over and over; its views are read every refresh anyway).
    pub min_pass_gap: Duration,
}

impl Default for RefreshRequest {
    fn default() -> Self {
        RefreshRequest {
            slice: REFRESH_EVERY,
            lead_waits: false,
            min_pass_gap: MIN_PASS_GAP,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RefreshOptions {
    /// The rotation reads pages until this much time has passed since the refresh began.
    pub slice: Duration,
    /// The token's user (their own tickets are one of the views read first).
    pub me: Option<u64>,
    /// The lead's saved views as Trengo's list can ask for them (see [`trengo_queries`]): one of
    /// them is read with the views, in turn.
    pub saved: Vec<TicketQuery>,
    /// The views' first pages in the interactive lane (the lead is waiting on an empty list).
    pub interactive_views: bool,
    pub max_leaver_checks: u32,
    /// See [`RefreshRequest::min_pass_gap`].
    pub min_pass_gap: Duration,
}

impl Default for RefreshOptions {
    fn default() -> Self {
        RefreshOptions {
            slice: REFRESH_EVERY,
            me: None,
            saved: vec![],
            interactive_views: false,
            max_leaver_checks: 50,
            min_pass_gap: MIN_PASS_GAP,
        }
    }
}

/// The ticket-list queries that read a view's newest tickets from Trengo, where its filter says
/// more than the views read anyway: a tag (`labels[]`) or an assignee (`users[]`), with the
/// statuses it shows. Teams and text have no filter in Trengo's list: such a view is left to the
/// rotation.
pub fn trengo_queries(f: &crate::view::TicketFilter) -> Vec<TicketQuery> {
    let label: Option<u64> = f.tag_id.as_deref().and_then(|a| a.trim().parse().ok());
    let user: Option<u64> = f.assignee_id.as_deref().and_then(|a| a.trim().parse().ok());
    if (label.is_none() && user.is_none()) || f.team_id.is_some() || f.text.is_some() {
        return vec![];
    }
    let Ok(Some(statuses)) = crate::jobs::pages::list_statuses(f) else {
        return vec![];
    };
    statuses
        .iter()
        .map(|s| TicketQuery {
            status: Some(s.clone()),
            users: user.into_iter().collect(),
            labels: label.into_iter().collect(),
            ..Default::default()
        })
        .collect()
}

/// Whether `GET /tickets` honours `updated_at_gt`: a time a day ahead must list nothing, while
/// the unfiltered list has tickets. `None` when it cannot tell (no tickets at all).
pub(crate) async fn probe(client: &Client) -> Result<Option<SyncMode>> {
    let future = Utc::now().timestamp() + 24 * 3600;
    let q = TicketQuery {
        updated_after: Some(future),
        ..Default::default()
    };
    match client.tickets(&q, 1).await {
        Ok(pg) if !pg.data.is_empty() => Ok(Some(SyncMode::Rotation)),
        Ok(_) => {
            let any = client
                .tickets(&TicketQuery::default(), 1)
                .await
                .map_err(trengo_unified::Error::from)?;
            Ok((!any.data.is_empty()).then_some(SyncMode::Incremental))
        }
        // Refused as a bad parameter: not supported.
        Err(ApiError::Validation { .. }) => Ok(Some(SyncMode::Rotation)),
        Err(e) => Err(trengo_unified::Error::from(e).into()),
    }
}

/// One refresh: the probe when due, then the changes (incremental) or the views' first pages
/// (rotation), then the rotation until `opts.slice` is used or a whole pass ends (in incremental
/// mode only while a whole pass is due).
#[tracing::instrument(skip_all)]
pub async fn refresh(
    cache: &Cache,
    unified: &Unified,
    opts: &RefreshOptions,
    progress: Progress<'_>,
    cancel: &AtomicBool,
) -> Result<RefreshReport> {
    let t0 = Instant::now();
    let deadline = t0 + opts.slice;
    let bg = unified.client().lane(Lane::Sync);
    let views = if opts.interactive_views {
        unified.client().lane(Lane::Interactive)
    } else {
        bg.clone()
    };
    let now = Utc::now().timestamp();
    let mut st = RefreshState::load(cache).await?;
    let mut p = Pass {
        run: Run {
            cache,
            progress,
            cancel,
            report: SyncReport::default(),
            started_unix: now,
        },
        dir: cache.directory().await?,
        base: unified.client().base_url().to_string(),
        views,
        bg,
        seen: HashSet::new(),
        hwm: cache.high_water("tickets").await?,
        out: RefreshReport::default(),
    };

    if st.mode.is_none() || st.probed_at.is_none_or(|t| now - t >= PROBE_EVERY_SECS) {
        let mode = probe(&p.bg).await?;
        p.run.report.requests += 1 + u32::from(mode == Some(SyncMode::Incremental));
        if let Some(m) = mode {
            tracing::info!(mode = ?m, "the ticket list's changes filter was probed");
            st.mode = Some(m);
            st.probed_at = Some(now);
        }
        st.save(cache).await?;
    }
    let mode = st.mode.unwrap_or(SyncMode::Rotation);
    p.out.mode = Some(mode);

    first_reads(&mut p, &mut st, mode, opts, now).await?;
    st.save(cache).await?;

    rotate(&mut p, &mut st, mode, opts, now, deadline).await?;
    if mode == SyncMode::Incremental && st.changes_read_at == Some(now) {
        // Every change is in: the working set is as fresh as this look.
        if st.whole_finished_at.is_some() {
            // Read before the write transaction: a transaction that reads first cannot take the
            // write lock once another writer (the contact index) has written.
            let items: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE in_working_set = 1")
                    .fetch_one(cache.pool())
                    .await?;
            let mut tx = cache.pool().begin().await?;
            Cache::set_sync_state(&mut tx, "tickets", p.hwm, items as u32, 0, now).await?;
            tx.commit().await?;
        }
    }
    p.out.requests = p.run.report.requests;
    p.out.tickets = p.seen.len() as u32;
    p.out.deleted = p.run.report.deleted;
    p.out.left_working_set += p.run.report.left_working_set;
    p.run.tell(
        crate::sync::SyncPhase::Done,
        "",
        p.out.requests,
        p.out.tickets,
    );
    Ok(p.out)
}

/// A refresh under way: the lanes it reads in, and what it has read so far.
struct Pass<'a> {
    run: Run<'a>,
    dir: trengo_unified::Directory,
    base: String,
    /// The views' lane (interactive when the lead waits on them).
    views: Client,
    /// The background's lane.
    bg: Client,
    seen: HashSet<i64>,
    hwm: Option<i64>,
    out: RefreshReport,
}

/// The first reads of a refresh: every ticket changed since the newest change the cache holds
/// (incremental), or the first page of each view the lead sees first (rotation).
async fn first_reads(
    p: &mut Pass<'_>,
    st: &mut RefreshState,
    mode: SyncMode,
    opts: &RefreshOptions,
    now: i64,
) -> Result<()> {
    match (mode, p.hwm) {
        // Every ticket changed since the newest change the cache holds (less an overlap: a change
        // may become visible after a later one), any status.
        (SyncMode::Incremental, Some(h)) => {
            let q = TicketQuery {
                updated_after: Some(h - CHANGES_OVERLAP_SECS),
                ..Default::default()
            };
            let mut page = 1;
            loop {
                p.run.check()?;
                let pg = p
                    .views
                    .tickets(&q, page)
                    .await
                    .map_err(trengo_unified::Error::from)?;
                p.run.report.requests += 1;
                p.run
                    .tickets_page(&pg, &p.dir, &p.base, &mut p.seen, &mut p.hwm)
                    .await?;
                p.run.tell(
                    crate::sync::SyncPhase::Tickets,
                    "tickets (changed)",
                    page as u32,
                    p.seen.len() as u32,
                );
                match pg.next_page(page) {
                    Some(n) => page = n,
                    None => break,
                }
            }
            st.changes_read_at = Some(now);
        }
        // The first page of each view the lead sees first.
        _ => {
            let mut queries = vec![
                TicketQuery {
                    status: Some(api::TicketStatus::Open),
                    ..Default::default()
                },
                TicketQuery {
                    status: Some(api::TicketStatus::Assigned),
                    ..Default::default()
                },
            ];
            if let Some(me) = opts.me {
                queries.push(TicketQuery {
                    status: Some(api::TicketStatus::Assigned),
                    users: vec![me],
                    ..Default::default()
                });
            }
            queries.push(TicketQuery::default());
            if !opts.saved.is_empty() {
                let i = st.saved_turn as usize % opts.saved.len();
                queries.push(opts.saved[i].clone());
                st.saved_turn = st.saved_turn.wrapping_add(1);
            }
            for q in &queries {
                p.run.check()?;
                let pg = p
                    .views
                    .tickets(q, 1)
                    .await
                    .map_err(trengo_unified::Error::from)?;
                p.run.report.requests += 1;
                p.run
                    .tickets_page(&pg, &p.dir, &p.base, &mut p.seen, &mut p.hwm)
                    .await?;
                p.run.tell(
                    crate::sync::SyncPhase::Tickets,
                    "tickets (views)",
                    1,
                    p.seen.len() as u32,
                );
            }
            st.views_read_at = Some(now);
        }
    }
    Ok(())
}

/// The rotation: pages of the open lists in turn (a whole pass ends with the leavers re-read),
/// sharing the slice with the contact index, until `deadline`.
async fn rotate(
    p: &mut Pass<'_>,
    st: &mut RefreshState,
    mode: SyncMode,
    opts: &RefreshOptions,
    now: i64,
    deadline: Instant,
) -> Result<()> {
    let cache = p.run.cache;
    let cancel = p.run.cancel;
    let progress = p.run.progress;
    // The rotation: always in rotation mode; in incremental mode while a whole pass is due. The
    // contact index shares it, once the working set has been read whole (what the lead sees
    // comes first): one page in three while tickets are due, the whole slice otherwise.
    let pass_may_begin = st
        .whole_started_at
        .is_none_or(|t| now - t >= opts.min_pass_gap.as_secs() as i64);
    let mut tickets_due = (mode == SyncMode::Rotation && pass_may_begin)
        || st.cursor.is_some()
        || p.hwm.is_none()
        || st
            .whole_finished_at
            .is_none_or(|t| now - t >= WHOLE_READ_EVERY_SECS);
    let mut turn = 0u32;
    while Instant::now() < deadline {
        p.run.check()?;
        let contacts_due = st.whole_finished_at.is_some()
            && crate::sync::ContactPass::load(cache).await?.wanted(now);
        turn += 1;
        if contacts_due && (!tickets_due || turn.is_multiple_of(CONTACT_TURN)) {
            crate::sync::contacts_pass(cache, &p.bg, &p.dir, 1, cancel, &|p| {
                (progress)(crate::sync::SyncProgress {
                    phase: crate::sync::SyncPhase::Contacts,
                    resource: "contacts".into(),
                    pages: p.next_page.saturating_sub(1) as u32,
                    items: p.seen,
                    requests: 0,
                    done: false,
                })
            })
            .await?;
            p.run.report.requests += 1;
            p.out.contact_pages += 1;
            // Where the budget lets pages through as fast as they land, the lead's own work on
            // this runtime gets a turn between them.
            tokio::task::yield_now().await;
            continue;
        }
        if !tickets_due {
            break;
        }
        let mut c = st.cursor.clone().unwrap_or(Cursor {
            part: 0,
            page: 1,
            started_at: Utc::now().timestamp(),
            pages: 0,
        });
        let status = if c.part == 0 {
            api::TicketStatus::Open
        } else {
            api::TicketStatus::Assigned
        };
        let q = TicketQuery {
            status: Some(status),
            ..Default::default()
        };
        let pg =
            p.bg.tickets(&q, c.page)
                .await
                .map_err(trengo_unified::Error::from)?;
        p.run.report.requests += 1;
        p.run
            .tickets_page(&pg, &p.dir, &p.base, &mut p.seen, &mut p.hwm)
            .await?;
        p.out.rotation_pages += 1;
        c.pages += 1;
        // The list's "loading your inbox" counts what the cache holds, not this slice's pages.
        let cached: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE in_working_set = 1")
                .fetch_one(cache.pool())
                .await?;
        p.run.tell(
            crate::sync::SyncPhase::Tickets,
            "tickets (rotation)",
            c.pages,
            cached as u32,
        );
        match pg.next_page(c.page) {
            Some(n) => c.page = n,
            None if c.part == 0 => {
                c.part = 1;
                c.page = 1;
            }
            None => {
                // A whole pass: an open ticket it did not see (nor anything else since it began)
                // left the open lists, and is re-read; a closed one simply leaves the working set.
                let left = mark_unseen(cache, c.started_at).await?;
                p.out.left_working_set += left;
                check_leavers(&mut p.run, &p.bg, &p.dir, &p.base, opts.max_leaver_checks).await?;
                whole_set_read(cache, c.started_at, Utc::now().timestamp()).await?;
                *st = RefreshState::load(cache).await?;
                p.out.whole_read = true;
                let mut tx = cache.pool().begin().await?;
                Cache::set_sync_state(
                    &mut tx,
                    "tickets",
                    p.hwm,
                    p.seen.len() as u32,
                    c.pages,
                    Utc::now().timestamp(),
                )
                .await?;
                tx.commit().await?;
                // The next refresh reads the views again, then begins the next pass; the rest of
                // this slice is the contact index's, if it wants it.
                tickets_due = false;
                continue;
            }
        }
        st.cursor = Some(c);
        st.save(cache).await?;
    }
    Ok(())
}

/// After a whole pass that began at `started`: working-set tickets no read touched since then
/// leave it; the open ones among them are marked to be re-read. Returns how many left.
async fn mark_unseen(cache: &Cache, started: i64) -> Result<u32> {
    let mut tx = cache.pool().begin().await?;
    let open = sqlx::query(
        "UPDATE tickets SET in_working_set = 0, needs_check = 1
         WHERE in_working_set = 1 AND synced_at < ? AND status IN ('OPEN', 'ASSIGNED')",
    )
    .bind(started)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let closed = sqlx::query(
        "UPDATE tickets SET in_working_set = 0 WHERE in_working_set = 1 AND synced_at < ?",
    )
    .bind(started)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok((open + closed) as u32)
}

/// How fresh the cache is, as the status bar and `directory` say it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncFreshness {
    /// `None` until the first probe.
    pub mode: Option<SyncMode>,
    /// Seconds since the views' first pages (rotation) or every change (incremental) were read.
    pub views_age_secs: Option<u32>,
    /// Seconds the last whole pass over the working set took: how often the whole inbox is read
    /// at this size, within the sync's share.
    pub whole_read_secs: Option<u32>,
    /// How often the whole working set is read at this size, in seconds: the last pass's length,
    /// or the pause between passes if longer (five minutes in rotation mode, an hour in
    /// incremental mode, where changes are read every refresh anyway).
    pub whole_every_secs: Option<u32>,
    /// Seconds since the last whole pass ended.
    pub whole_age_secs: Option<u32>,
    /// A pass under way: pages read so far.
    pub rotation_pages: Option<u32>,
    /// The sync's share of the budget, percent.
    pub share_percent: u32,
}

pub(crate) async fn freshness(cache: &Cache, share_percent: u32) -> Result<SyncFreshness> {
    let st = RefreshState::load(cache).await?;
    let now = Utc::now().timestamp();
    let age = |t: Option<i64>| t.map(|t| (now - t).max(0) as u32);
    let views = match st.mode {
        Some(SyncMode::Incremental) => st.changes_read_at.or(st.views_read_at),
        _ => st.views_read_at,
    };
    let whole_read_secs = st
        .whole_started_at
        .zip(st.whole_finished_at)
        .map(|(s, f)| (f - s).max(0) as u32);
    let pause = match st.mode {
        Some(SyncMode::Incremental) => WHOLE_READ_EVERY_SECS as u32,
        _ => MIN_PASS_GAP.as_secs() as u32,
    };
    Ok(SyncFreshness {
        mode: st.mode,
        views_age_secs: age(views.or(st.whole_finished_at)),
        whole_read_secs,
        whole_every_secs: whole_read_secs.map(|s| s.max(pause)),
        whole_age_secs: age(st.whole_finished_at),
        rotation_pages: st.cursor.as_ref().map(|c| c.pages),
        share_percent,
    })
}

/// How fresh a view's tickets are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ViewFreshness {
    /// Every ticket of the view was read (or vouched for by a look at every change) within this
    /// many seconds; `None`: the view is empty.
    pub within_secs: Option<u32>,
    pub mode: Option<SyncMode>,
}

pub(crate) async fn view_freshness(
    cache: &Cache,
    f: &crate::view::TicketFilter,
) -> Result<ViewFreshness> {
    let st = RefreshState::load(cache).await?;
    let oldest = cache.oldest_read(f).await?;
    let vouched = vouched_until(&st);
    let now = Utc::now().timestamp();
    Ok(ViewFreshness {
        within_secs: oldest.map(|o| (now - o.max(vouched)).max(0) as u32),
        mode: st.mode,
    })
}

/// In incremental mode, after a whole pass: the last look at every change, which vouches for the
/// tickets that did not change.
fn vouched_until(st: &RefreshState) -> i64 {
    match st.mode {
        Some(SyncMode::Incremental) if st.whole_finished_at.is_some() => {
            st.changes_read_at.unwrap_or(0)
        }
        _ => 0,
    }
}

/// The age of each cached open ticket, in seconds: since it was last read, or since the last look
/// at every change (incremental mode), which vouches for those that did not change.
pub(crate) async fn open_ticket_ages(cache: &Cache) -> Result<Vec<u32>> {
    let vouched = vouched_until(&RefreshState::load(cache).await?);
    let now = Utc::now().timestamp();
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT MAX(synced_at, ?) FROM tickets WHERE status IN ('OPEN', 'ASSIGNED') AND in_working_set = 1",
    )
    .bind(vouched)
    .fetch_all(cache.pool())
    .await?;
    let mut ages: Vec<u32> = rows
        .into_iter()
        .map(|(t,)| (now - t).max(0) as u32)
        .collect();
    ages.sort_unstable();
    Ok(ages)
}
