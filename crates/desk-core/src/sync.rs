//! Sync: the directory, then the ticket working set, into the cache, one transaction per page.
//!
//! The working set is every OPEN and ASSIGNED ticket plus the most recent tickets of any status.
//! An incremental sync reads the open lists again (Trengo cannot say what changed since) and the
//! newest-first list until it overlaps what it has (two minutes behind the high-water mark).
//! Tickets that left the working set are marked, not dropped, and a bounded number of them is
//! re-read to learn their new state.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use trengo_unified::api::model as api;
use trengo_unified::api::{Client, Error as ApiError, Lane, ListPage, TicketQuery};
use trengo_unified::{mapping, Directory, Unified};

use crate::cache::{ts, Cache};
use crate::error::{Error, Result};

/// A complete contact index is read again this often (Trengo's contact list has no
/// updated-since filter; contacts the app reads or writes are refreshed as they go).
pub const CONTACTS_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncOptions {
    /// Pages of the newest-first list kept in the working set on a first sync (25 each).
    pub recent_pages: u32,
    /// Tickets that left the working set and are re-read per sync, at most.
    pub max_leaver_checks: u32,
    /// Read the directory and the first page of the open view in the Interactive lane (the user
    /// is waiting on an empty cache), the rest in the Sync lane.
    pub interactive_first: bool,
    /// Only users, teams, tags, fields, channels and ticket results (a few requests).
    pub directory_only: bool,
    /// The lane of everything not read first: `Sync` for background work (held to the sync's
    /// share of the budget), `Bulk` for a sync someone asked for and waits on.
    #[serde(skip, default = "sync_lane")]
    pub lane: Lane,
}

fn sync_lane() -> Lane {
    Lane::Sync
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            recent_pages: 2,
            max_leaver_checks: 50,
            interactive_first: false,
            directory_only: false,
            lane: Lane::Sync,
        }
    }
}

/// Where a sync is, after each page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncProgress {
    pub phase: SyncPhase,
    pub resource: String,
    pub pages: u32,
    pub items: u32,
    /// Requests made so far by this sync.
    pub requests: u32,
    pub done: bool,
}

/// What a sync or refresh is reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// Users, teams, tags, fields, channels.
    Directory,
    /// Ticket lists: the open views, changes, the rotation.
    Tickets,
    /// Tickets that left the working set, read again.
    Leavers,
    /// The contact index.
    Contacts,
    Done,
}

impl SyncPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncPhase::Directory => "directory",
            SyncPhase::Tickets => "tickets",
            SyncPhase::Leavers => "leavers",
            SyncPhase::Contacts => "contacts",
            SyncPhase::Done => "done",
        }
    }
}

impl std::fmt::Display for SyncPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncReport {
    pub requests: u32,
    pub pages: u32,
    pub tickets: u32,
    pub contacts: u32,
    /// Tickets that were open or recent and are no longer.
    pub left_working_set: u32,
    /// Directory records deleted in Trengo.
    pub removed: u32,
    /// Tickets deleted in Trengo since, dropped from the cache.
    pub deleted: u32,
    /// Tickets that could not be re-read, and why (the sync went on without them).
    pub skipped: Vec<String>,
    pub seconds: f64,
    /// A whole pass over the working set, when it began and ended (unix seconds): the refresh
    /// counts it as its own.
    #[serde(skip)]
    pub whole_set: Option<(i64, i64)>,
}

pub type Progress<'a> = &'a (dyn Fn(SyncProgress) + Send + Sync);

pub(crate) struct Run<'a> {
    pub(crate) cache: &'a Cache,
    pub(crate) progress: Progress<'a>,
    pub(crate) cancel: &'a AtomicBool,
    pub(crate) report: SyncReport,
    pub(crate) started_unix: i64,
}

impl Run<'_> {
    pub(crate) fn check(&self) -> Result<()> {
        if self.cancel.load(Ordering::Relaxed) {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    pub(crate) fn tell(&self, phase: SyncPhase, resource: &str, pages: u32, items: u32) {
        (self.progress)(SyncProgress {
            phase,
            resource: resource.into(),
            pages,
            items,
            requests: self.report.requests,
            done: phase == SyncPhase::Done,
        });
    }

    /// Reads every page of a directory resource, writing each page in one transaction, then drops
    /// what Trengo no longer has.
    async fn directory<T, F, Fut, M>(
        &mut self,
        resource: &str,
        table: &str,
        fetch: F,
        map: M,
    ) -> Result<Vec<T>>
    where
        T: Clone,
        F: Fn(u64) -> Fut,
        Fut: std::future::Future<Output = trengo_unified::api::Result<ListPage<T>>>,
        M: Fn(&T) -> Put,
    {
        let mut all = vec![];
        let mut page = 1;
        loop {
            self.check()?;
            let pg = fetch(page).await.map_err(trengo_unified::Error::from)?;
            self.report.requests += 1;
            self.report.pages += 1;
            let now = Utc::now().timestamp();
            let mut tx = self.cache.pool().begin().await?;
            for item in &pg.data {
                map(item).write(&mut tx, now).await?;
            }
            tx.commit().await?;
            all.extend(pg.data.iter().cloned());
            self.tell(
                crate::sync::SyncPhase::Directory,
                resource,
                page as u32,
                all.len() as u32,
            );
            match pg.next_page(page) {
                Some(n) => page = n,
                None => break,
            }
        }
        let mut tx = self.cache.pool().begin().await?;
        self.report.removed += Cache::drop_unseen(&mut tx, table, self.started_unix).await? as u32;
        Cache::set_sync_state(
            &mut tx,
            resource,
            None,
            all.len() as u32,
            page as u32,
            Utc::now().timestamp(),
        )
        .await?;
        tx.commit().await?;
        Ok(all)
    }

    /// One page of tickets into the cache.
    pub(crate) async fn tickets_page(
        &mut self,
        pg: &ListPage<api::Ticket>,
        dir: &Directory,
        base: &str,
        seen: &mut HashSet<i64>,
        hwm: &mut Option<i64>,
    ) -> Result<()> {
        let now = Utc::now().timestamp();
        let mut tx = self.cache.pool().begin().await?;
        for t in &pg.data {
            if let Some(c) = &t.contact {
                Cache::put_contact(&mut tx, &mapping::contact(c, dir, false), now).await?;
                self.report.contacts += 1;
            }
            let ut = mapping::ticket(t, dir, base, false);
            Cache::put_ticket(&mut tx, &ut, true, now).await?;
            if seen.insert(t.id as i64) {
                self.report.tickets += 1;
            }
            if let Some(u) = ts(t.updated_at) {
                *hwm = Some(hwm.map_or(u, |h| h.max(u)));
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// A directory record to write.
enum Put {
    User(trengo_unified::User),
    Team(trengo_unified::Team),
    Tag(trengo_unified::Tag),
    Field(trengo_unified::Field),
    Channel {
        id: u64,
        name: String,
        kind: Option<String>,
        json: String,
    },
    TicketResult {
        id: u64,
        name: String,
    },
}

impl Put {
    async fn write(&self, c: &mut sqlx::SqliteConnection, now: i64) -> Result<()> {
        match self {
            Put::User(x) => Cache::put_user(c, x, now).await,
            Put::Team(x) => Cache::put_team(c, x, now).await,
            Put::Tag(x) => Cache::put_tag(c, x, now).await,
            Put::Field(x) => Cache::put_field(c, x, now).await,
            Put::Channel {
                id,
                name,
                kind,
                json,
            } => Cache::put_channel(c, *id, name, kind.as_deref(), json, now).await,
            Put::TicketResult { id, name } => Cache::put_ticket_result(c, *id, name, now).await,
        }
    }
}

/// A full or incremental sync (incremental when the cache has a high-water mark).
#[tracing::instrument(skip_all)]
pub async fn sync(
    cache: &Cache,
    unified: &Unified,
    opts: &SyncOptions,
    progress: Progress<'_>,
    cancel: &AtomicBool,
) -> Result<SyncReport> {
    let t0 = Instant::now();
    let started_unix = Utc::now().timestamp();
    let bg = unified.client().lane(opts.lane);
    let fg: Client = if opts.interactive_first {
        unified.client().lane(Lane::Interactive)
    } else {
        bg.clone()
    };
    let mut run = Run {
        cache,
        progress,
        cancel,
        report: SyncReport::default(),
        started_unix,
    };

    // 1. The directory: teams first, so users know their teams.
    read_directory(&mut run, &fg).await?;
    let dir = cache.directory().await?;
    unified.set_directory(dir.clone());
    let base = unified.client().base_url().to_string();
    if opts.directory_only {
        run.report.seconds = t0.elapsed().as_secs_f64();
        run.tell(crate::sync::SyncPhase::Done, "", run.report.pages, 0);
        return Ok(run.report);
    }

    // 2. The working set: every open and assigned ticket, newest first.
    let before: HashSet<i64> = cache.working_set_ids().await?.into_iter().collect();
    let old_hwm = cache.high_water("tickets").await?;
    let mut seen = HashSet::new();
    let mut hwm = None;
    let mut first = true;
    for status in [api::TicketStatus::Open, api::TicketStatus::Assigned] {
        let q = TicketQuery {
            status: Some(status.clone()),
            ..Default::default()
        };
        let mut page = 1;
        loop {
            run.check()?;
            let client = if first { &fg } else { &bg };
            first = false;
            let pg = client
                .tickets(&q, page)
                .await
                .map_err(trengo_unified::Error::from)?;
            run.report.requests += 1;
            run.report.pages += 1;
            run.tickets_page(&pg, &dir, &base, &mut seen, &mut hwm)
                .await?;
            run.tell(
                crate::sync::SyncPhase::Tickets,
                &format!("tickets ({})", status.as_str().to_lowercase()),
                page as u32,
                seen.len() as u32,
            );
            match pg.next_page(page) {
                Some(n) => page = n,
                None => break,
            }
        }
    }
    // The newest tickets of any status: a fixed number of pages on a first sync; afterwards until
    // the pages are older than what the last sync saw (with two minutes of overlap).
    let overlap_from = old_hwm.map(|h| h - trengo_unified::OVERLAP_SECS);
    let mut page = 1;
    loop {
        run.check()?;
        let pg = bg
            .tickets(&TicketQuery::default(), page)
            .await
            .map_err(trengo_unified::Error::from)?;
        run.report.requests += 1;
        run.report.pages += 1;
        run.tickets_page(&pg, &dir, &base, &mut seen, &mut hwm)
            .await?;
        run.tell(
            crate::sync::SyncPhase::Tickets,
            "tickets (recent)",
            page as u32,
            seen.len() as u32,
        );
        let still_new = match overlap_from {
            None => (page as u32) < opts.recent_pages,
            Some(from) => pg
                .data
                .iter()
                .any(|t| ts(t.updated_at.or(t.created_at)).is_some_and(|u| u >= from)),
        };
        match pg.next_page(page) {
            Some(n) if still_new => page = n,
            _ => break,
        }
    }

    // 3. What left the working set: marked, and re-read a bounded number per sync (those left
    // over wait for the next sync, the longest waiting first).
    let left: Vec<i64> = before.difference(&seen).copied().collect();
    run.report.left_working_set = left.len() as u32;
    cache.mark_left_working_set(&left).await?;
    check_leavers(&mut run, &bg, &dir, &base, opts.max_leaver_checks).await?;
    run.report.whole_set = Some((started_unix, Utc::now().timestamp()));

    let mut tx = cache.pool().begin().await?;
    Cache::set_sync_state(
        &mut tx,
        "tickets",
        hwm.or(old_hwm),
        seen.len() as u32,
        run.report.pages,
        Utc::now().timestamp(),
    )
    .await?;
    tx.commit().await?;
    // Fresh statistics for the query planner (cheap; it only analyzes what changed a lot).
    sqlx::query("PRAGMA optimize=0x10002")
        .execute(cache.pool())
        .await?;
    run.report.seconds = t0.elapsed().as_secs_f64();
    run.tell(
        crate::sync::SyncPhase::Done,
        "",
        run.report.pages,
        seen.len() as u32,
    );
    Ok(run.report)
}

/// The directory, page by page into the cache: teams first, so users know their teams; then
/// users (whose zones hint at Trengo's), tags, fields, channels and ticket results.
async fn read_directory(run: &mut Run<'_>, fg: &Client) -> Result<()> {
    let teams = run
        .directory(
            "teams",
            "teams",
            |p| fg.teams(p),
            |t: &api::Team| Put::Team(mapping::team(t, false)),
        )
        .await?;
    let mut user_teams: std::collections::HashMap<u64, Vec<u64>> = Default::default();
    for t in &teams {
        for m in t.member_ids() {
            user_teams.entry(m).or_default().push(t.id);
        }
    }
    let ut_dir = Directory {
        user_teams,
        ..Directory::default()
    };
    let users = run
        .directory(
            "users",
            "users",
            |p| fg.users(p),
            |x: &api::User| Put::User(mapping::user(x, &ut_dir, false)),
        )
        .await?;
    // The zone most users keep is preferred where Trengo's clock fits several.
    fg.set_zone_hint_from(&users);
    run.directory(
        "tags",
        "tags",
        |p| fg.labels(p),
        |x: &api::Label| Put::Tag(mapping::tag(x, false)),
    )
    .await?;
    run.directory(
        "fields",
        "fields",
        |p| fg.custom_fields(p),
        |x: &api::CustomField| Put::Field(mapping::field(x, false)),
    )
    .await?;
    run.directory(
        "channels",
        "channels",
        |p| fg.channels(p),
        |x: &api::Channel| Put::Channel {
            id: x.id,
            name: x.display_name(),
            kind: x.kind.clone(),
            // Only what the app shows: a channel's other fields may hold its configuration.
            json: serde_json::json!({"id": x.id, "name": x.name, "title": x.title, "type": x.kind})
                .to_string(),
        },
    )
    .await?;
    run.directory(
        "ticket_results",
        "ticket_results",
        |p| fg.ticket_results(p),
        |x: &api::TicketResult| Put::TicketResult {
            id: x.id,
            name: x.name.clone(),
        },
    )
    .await?;
    Ok(())
}

/// Re-reads up to `max` tickets that left the working set (the longest waiting first): one still
/// open stays, one deleted in Trengo leaves the cache, one that cannot be read is reported.
pub(crate) async fn check_leavers(
    run: &mut Run<'_>,
    bg: &Client,
    dir: &Directory,
    base: &str,
    max: u32,
) -> Result<()> {
    let cache = run.cache;
    let to_check = cache.tickets_to_check(max).await?;
    for (i, id) in to_check.iter().enumerate() {
        run.check()?;
        let r = bg.ticket(*id as u64).await;
        run.report.requests += 1;
        match r {
            Ok(t) => {
                // Still open (it moved between pages while the lists were read): it stays.
                let open = matches!(
                    t.status,
                    api::TicketStatus::Open | api::TicketStatus::Assigned
                );
                let mut tx = cache.pool().begin().await?;
                Cache::put_ticket(
                    &mut tx,
                    &mapping::ticket(&t, dir, base, false),
                    open,
                    Utc::now().timestamp(),
                )
                .await?;
                tx.commit().await?;
            }
            // Deleted in Trengo: it leaves the cache.
            Err(trengo_unified::api::Error::NotFound { .. }) => {
                cache.delete_ticket(*id).await?;
                run.report.deleted += 1;
            }
            // Trengo can't be reached, refuses the token or holds every lane: the sync stops, as
            // for any page.
            Err(
                e @ (ApiError::Network { .. }
                | ApiError::Timeout { .. }
                | ApiError::RateLimited { .. }
                | ApiError::Unauthorized { .. }),
            ) => return Err(trengo_unified::Error::from(e).into()),
            // This ticket alone (403, a server error, an unreadable answer …): reported, and the
            // sync goes on; a server error is asked again next time, the rest is not.
            Err(e) => {
                tracing::warn!(ticket = id, error = %e, "a ticket that left the working set could not be re-read");
                run.report.skipped.push(format!("#{id}: {e}"));
                if !matches!(e, ApiError::Server { .. }) {
                    cache.checked(*id).await?;
                }
            }
        }
        run.tell(
            crate::sync::SyncPhase::Leavers,
            "tickets (left)",
            i as u32 + 1,
            to_check.len() as u32,
        );
    }

    Ok(())
}

/// Where the contact index is: a pass over Trengo's contact list, page by page, resumed where it
/// stopped (in the cache's settings).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ContactPass {
    /// Passes so far; contacts carry the pass that last saw them.
    pub pass: i64,
    /// The next page to read (1 when a pass starts).
    pub next_page: u64,
    pub started_at: Option<i64>,
    /// Contacts the running pass has read.
    pub seen: u32,
    /// When a pass last read the whole list.
    pub complete_at: Option<i64>,
    /// Contacts that pass saw.
    pub total: Option<u32>,
}

/// The contact index as the status bar, `directory` and enrichment show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ContactIndex {
    /// Contacts in the cache with their fields.
    pub indexed: u32,
    /// A pass has read Trengo's whole contact list: a contact not in the index does not exist
    /// (or was made after that pass; new tickets bring theirs).
    pub complete: bool,
    /// Contacts the last complete pass saw.
    pub total: Option<u32>,
    /// The running pass: contacts read so far.
    pub pass_seen: u32,
    /// RFC 3339.
    pub complete_at: Option<String>,
}

impl ContactPass {
    /// Whether the index wants reading at `now`: a pass is under way, or none ended yet, or the
    /// last complete one is older than [`CONTACTS_EVERY`].
    pub(crate) fn wanted(&self, now: i64) -> bool {
        self.seen > 0
            || self.next_page > 1
            || self
                .complete_at
                .is_none_or(|t| now - t >= CONTACTS_EVERY.as_secs() as i64)
    }

    pub(crate) async fn load(cache: &Cache) -> Result<ContactPass> {
        Ok(cache
            .setting("contact_index")
            .await?
            .unwrap_or(ContactPass {
                pass: 1,
                next_page: 1,
                ..ContactPass::default()
            }))
    }
}

impl Cache {
    pub async fn contact_index(&self) -> Result<ContactIndex> {
        let p = ContactPass::load(self).await?;
        let indexed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts")
            .fetch_one(self.pool())
            .await?;
        Ok(ContactIndex {
            indexed: indexed as u32,
            complete: p.complete_at.is_some(),
            total: p.total,
            pass_seen: p.seen,
            complete_at: crate::cache::iso(p.complete_at),
        })
    }
}

/// Reads up to `max_pages` pages of Trengo's contact list into the index, from where the last call
/// stopped; a pass that reaches the end marks the index complete and drops the contacts no pass
/// has seen since (deleted in Trengo). Returns the pages read.
#[tracing::instrument(skip_all)]
pub(crate) async fn contacts_pass(
    cache: &Cache,
    client: &Client,
    dir: &Directory,
    max_pages: u32,
    cancel: &AtomicBool,
    progress: &(dyn Fn(&ContactPass) + Send + Sync),
) -> Result<u32> {
    let mut p = ContactPass::load(cache).await?;
    let mut pages = 0;
    while pages < max_pages {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        let now = Utc::now().timestamp();
        let started = *p.started_at.get_or_insert(now);
        let pg = client
            .contacts(None, p.next_page)
            .await
            .map_err(trengo_unified::Error::from)?;
        pages += 1;
        let mut tx = cache.pool().begin().await?;
        for c in &pg.data {
            Cache::put_contact(&mut tx, &mapping::contact(c, dir, false), now).await?;
            sqlx::query("UPDATE contacts SET seen_pass = ? WHERE id = ?")
                .bind(p.pass)
                .bind(c.id as i64)
                .execute(&mut *tx)
                .await?;
        }
        p.seen += pg.data.len() as u32;
        match pg.next_page(p.next_page) {
            Some(n) => p.next_page = n,
            None => {
                // The whole list is read: what no pass saw, and nothing else refreshed since the
                // pass began, is gone from Trengo.
                let gone: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM contacts WHERE seen_pass < ? AND synced_at <= ?",
                )
                .bind(p.pass)
                .bind(started)
                .fetch_all(&mut *tx)
                .await?;
                for id in gone {
                    sqlx::query("DELETE FROM contact_fields WHERE contact_id = ?")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM contacts WHERE id = ?")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                p.complete_at = Some(now);
                p.total = Some(p.seen);
                p.pass += 1;
                p.next_page = 1;
                p.seen = 0;
                p.started_at = None;
            }
        }
        sqlx::query("INSERT INTO settings (key, value) VALUES ('contact_index', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(serde_json::to_string(&p).unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        progress(&p);
        if p.next_page == 1 {
            break;
        }
    }
    Ok(pages)
}
