//! Keeping the cache fresh: a whole sync, the steady refresh of the views, and the contact index
//! (one at a time per workspace).

use std::sync::atomic::{AtomicBool, Ordering};

use trengo_unified::api::Lane;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::sync::{self, Progress, SyncOptions, SyncReport};

/// Keeping the cache fresh: the sync, the steady refresh, and the contact index.
pub struct Syncer<'a> {
    cx: &'a Context,
}

impl<'a> Syncer<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Syncer { cx }
    }

    /// Syncs the directory and the working set (one sync at a time).
    pub async fn run(&self, progress: Progress<'_>, cancel: &AtomicBool) -> Result<SyncReport> {
        let first = self.cx.cache.freshness().await?.last_sync_at.is_none();
        self.run_with(
            SyncOptions {
                interactive_first: first,
                // Someone asked for it and waits: not the background's share.
                lane: Lane::Bulk,
                ..SyncOptions::default()
            },
            progress,
            cancel,
        )
        .await
    }

    /// Reads only the directory (users, teams, tags, fields, channels: a few requests), in the
    /// interactive lane: a command that needs a name the cache does not know yet.
    pub async fn directory(&self) -> Result<SyncReport> {
        self.run_with(
            SyncOptions {
                interactive_first: true,
                directory_only: true,
                ..SyncOptions::default()
            },
            &|_| {},
            &AtomicBool::new(false),
        )
        .await
    }

    async fn run_with(
        &self,
        opts: SyncOptions,
        progress: Progress<'_>,
        cancel: &AtomicBool,
    ) -> Result<SyncReport> {
        let u = self.cx.unified()?;
        self.cx.apply_sync_share().await?;
        let _one = self.cx.sync_lock.lock().await;
        let r = sync::sync(&self.cx.cache, &u, &opts, progress, cancel).await;
        if let Ok(SyncReport {
            whole_set: Some((started, ended)),
            ..
        }) = &r
        {
            crate::refresh::whole_set_read(&self.cx.cache, *started, *ended).await?;
        }
        match r {
            Err(Error::Trengo(e)) => self.cx.seen("the sync", Err(e)),
            other => {
                if other.is_ok() {
                    self.cx.online.store(true, Ordering::Relaxed);
                    if self.cx.demo_sim().is_some() {
                        // The demo's macros, once its tags and teams are known.
                        if let Err(e) = super::Macros::new(self.cx).seed_demo().await {
                            tracing::warn!(error = %e, "the demo's macros could not be saved");
                        }
                    }
                }
                other
            }
        }
    }

    /// One steady refresh of the tickets (see [`crate::refresh`]), after the directory when it is
    /// older than ten minutes: what a background loop calls every [`crate::refresh::REFRESH_EVERY`].
    pub async fn refresh(
        &self,
        slice: std::time::Duration,
        progress: Progress<'_>,
        cancel: &AtomicBool,
    ) -> Result<crate::refresh::RefreshReport> {
        self.refresh_with(
            crate::refresh::RefreshRequest {
                slice,
                ..Default::default()
            },
            progress,
            cancel,
        )
        .await
    }

    /// [`Desk::refresh`] as `req` says: the views (or changes) in the interactive lane when the
    /// lead waits on them (or the cache is empty), and how soon a whole pass may follow the last.
    pub async fn refresh_with(
        &self,
        req: crate::refresh::RefreshRequest,
        progress: Progress<'_>,
        cancel: &AtomicBool,
    ) -> Result<crate::refresh::RefreshReport> {
        let crate::refresh::RefreshRequest {
            slice,
            lead_waits,
            min_pass_gap,
        } = req;
        let u = self.cx.unified()?;
        self.cx.apply_sync_share().await?;
        // Only an empty list waits on the first pages; after that, even while the first pass is
        // under way, the views are background work within the share.
        let first = self.cx.cache.freshness().await?.tickets_cached == 0;
        let interactive = first || lead_waits;
        let dir_read: Option<i64> = sqlx::query_scalar(
            "SELECT last_complete_at FROM sync_state WHERE resource = 'channels'",
        )
        .fetch_optional(self.cx.cache.pool())
        .await?
        .flatten();
        let now = chrono::Utc::now().timestamp();
        if dir_read.is_none_or(|t| now - t >= crate::refresh::DIRECTORY_EVERY_SECS) {
            self.run_with(
                SyncOptions {
                    interactive_first: first,
                    directory_only: true,
                    ..SyncOptions::default()
                },
                progress,
                cancel,
            )
            .await?;
        } else if let Err(e) = super::Workload::new(self.cx)
            .read_availability_if_due(now)
            .await
        {
            // The board keeps what it last knew, and says when that was.
            tracing::warn!(error = %e, "who is online could not be read");
        }
        let me = self
            .cx
            .settings()
            .await?
            .user
            .and_then(|u| u.id.parse::<u64>().ok());
        // The saved views the list can ask for, in the sidebar's order, the first five.
        let saved = crate::saved_views::list(&self.cx.cache)
            .await?
            .iter()
            .take(5)
            .flat_map(|v| crate::refresh::trengo_queries(&v.filter))
            .collect();
        let opts = crate::refresh::RefreshOptions {
            slice,
            me,
            saved,
            min_pass_gap,
            interactive_views: interactive,
            ..Default::default()
        };
        let _one = self.cx.sync_lock.lock().await;
        let r = crate::refresh::refresh(&self.cx.cache, &u, &opts, progress, cancel).await;
        match r {
            Err(Error::Trengo(e)) => self.cx.seen("the refresh", Err(e)),
            other => {
                if other.is_ok() {
                    self.cx.online.store(true, Ordering::Relaxed);
                    if self.cx.demo_sim().is_some() {
                        // The demo's macros, once its tags and teams are known.
                        if let Err(e) = super::Macros::new(self.cx).seed_demo().await {
                            tracing::warn!(error = %e, "the demo's macros could not be saved");
                        }
                    }
                }
                other
            }
        }
    }

    /// How fresh the tickets are and how the workspace keeps them so.
    pub async fn freshness(&self) -> Result<crate::refresh::SyncFreshness> {
        crate::refresh::freshness(&self.cx.cache, self.cx.sync_share().await?).await
    }

    /// The age in seconds of each cached open ticket, youngest first.
    pub async fn open_ticket_ages(&self) -> Result<Vec<u32>> {
        crate::refresh::open_ticket_ages(&self.cx.cache).await
    }

    /// How far the contact index is.
    pub async fn contact_index(&self) -> Result<crate::sync::ContactIndex> {
        self.cx.cache.contact_index().await
    }

    /// Reads up to `max_pages` more pages of Trengo's contact list into the index (the sync
    /// lane; `lane` to go ahead of other background work when a lead waits on it). Returns the
    /// pages read.
    pub async fn index_contacts(
        &self,
        max_pages: u32,
        lane: Lane,
        progress: &(dyn Fn(&crate::sync::ContactIndex) + Send + Sync),
    ) -> Result<u32> {
        let u = self.cx.unified()?;
        let dir = self.cx.cache.directory().await?;
        let base = self.cx.cache.contact_index().await?;
        let tell = |p: &sync::ContactPass| {
            progress(&crate::sync::ContactIndex {
                indexed: base.indexed.max(p.seen),
                complete: p.complete_at.is_some(),
                total: p.total,
                pass_seen: p.seen,
                complete_at: crate::cache::iso(p.complete_at),
            })
        };
        let r = sync::contacts_pass(
            &self.cx.cache,
            &u.client().lane(lane),
            &dir,
            max_pages,
            &AtomicBool::new(false),
            &tell,
        )
        .await;
        match r {
            Err(Error::Trengo(e)) => self.cx.seen("reading the contacts", Err(e)),
            other => other,
        }
    }

    /// Reads the rest of the contact list (a lead waits on it: ahead of other background work).
    pub async fn finish_contact_index(
        &self,
        progress: &(dyn Fn(&crate::sync::ContactIndex) + Send + Sync),
    ) -> Result<crate::sync::ContactIndex> {
        loop {
            let ix = self.contact_index().await?;
            if ix.complete {
                return Ok(ix);
            }
            self.index_contacts(20, Lane::Bulk, progress).await?;
        }
    }
}
