//! The saved views service.

use crate::context::Context;
use crate::error::Result;
use crate::saved_views::*;
use crate::view::TicketFilter;

/// The lead's saved views.
pub struct Views<'a> {
    cx: &'a Context,
}

impl<'a> Views<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Views { cx }
    }

    /// The saved views in the sidebar's order, each with its count in the cache.
    pub async fn list(&self) -> Result<Vec<SavedView>> {
        let mut all = list(&self.cx.cache).await?;
        for v in all.iter_mut() {
            self.count_sla(v).await;
        }
        Ok(all)
    }

    /// Saves a filter as a named view (a name taken already, in any case, is refused).
    pub async fn save(&self, name: &str, filter: &TicketFilter) -> Result<SavedView> {
        let mut v = save(&self.cx.cache, name, filter).await?;
        self.count_sla(&mut v).await;
        Ok(v)
    }

    /// A view on the SLA (at risk, breached) counts what the radar says now, as its list does.
    async fn count_sla(&self, v: &mut SavedView) {
        if v.filter.sla.is_some() {
            let f = TicketFilter {
                limit: 1,
                offset: 0,
                ..v.filter.clone()
            };
            v.count = match super::Sla::new(self.cx).search(&f).await {
                Ok(r) => r.total,
                Err(_) => 0,
            };
        }
    }

    pub async fn rename(&self, id: u32, name: &str) -> Result<()> {
        rename(&self.cx.cache, id, name).await
    }

    pub async fn delete(&self, id: u32) -> Result<()> {
        delete(&self.cx.cache, id).await
    }

    /// Puts the saved views in the order of `ids` (the rest after them).
    pub async fn reorder(&self, ids: &[u32]) -> Result<()> {
        reorder(&self.cx.cache, ids).await
    }

    /// The saved view called `name`, in any case.
    pub async fn find(&self, name: &str) -> Result<SavedView> {
        find(&self.cx.cache, name).await
    }

    /// How fresh the tickets of a view are: each of them was read at most this long ago (or, where
    /// Trengo lists changes, has not changed since the last look).
    pub async fn freshness(&self, f: &TicketFilter) -> Result<crate::refresh::ViewFreshness> {
        crate::refresh::view_freshness(&self.cx.cache, f).await
    }
}
