//! Fresh before-states for a filter selection, 25 tickets a request: the Trengo ticket-list
//! queries a filter maps to (status, `users[]`, `labels[]`: the filters Trengo has; no team, no
//! text), and per query how many pages pay for themselves.
//!
//! The cache says where the job's tickets sit in Trengo's list (newest created first), so the job
//! reads only the pages that cover more of its tickets than single reads would cost. A ticket a
//! colleague moved off those pages meanwhile is read on its own.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use trengo_unified::api::model::TicketStatus;
use trengo_unified::api::TicketQuery;

use crate::cache::Cache;
use crate::error::Result;
use crate::view::{StatusFilter, TicketFilter};

/// Tickets per page of Trengo's list.
pub const PER_PAGE: usize = 25;

/// The list pages a job reads its tickets from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagePlan {
    pub queries: Vec<PageQuery>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageQuery {
    /// `OPEN` or `ASSIGNED`.
    pub status: String,
    pub users: Vec<u64>,
    pub labels: Vec<u64>,
    /// Pages 1..=pages are read.
    pub pages: u32,
}

impl PageQuery {
    pub fn to_api(&self) -> TicketQuery {
        TicketQuery {
            status: Some(self.status.parse().unwrap_or_else(|e| match e {})),
            users: self.users.clone(),
            labels: self.labels.clone(),
            ..TicketQuery::default()
        }
    }
}

impl PagePlan {
    pub fn pages(&self) -> u32 {
        self.queries.iter().map(|q| q.pages).sum()
    }
}

/// The statuses of Trengo's ticket list a filter's status covers; `None` when it reaches beyond
/// the open tickets (closed, spam, any).
pub(crate) fn list_statuses(f: &TicketFilter) -> Result<Option<&'static [TicketStatus]>> {
    Ok(match f.status.unwrap_or_default() {
        StatusFilter::Open => Some(&[TicketStatus::Open, TicketStatus::Assigned]),
        StatusFilter::Unassigned => Some(&[TicketStatus::Open]),
        StatusFilter::Assigned => Some(&[TicketStatus::Assigned]),
        _ => None,
    })
}

/// The pages that read `items` (a filter's tickets) most cheaply, with how many of the items they
/// are expected to cover; `None` when single reads are as cheap, or the cache cannot tell (its
/// working set is incomplete, or the filter reaches beyond the open tickets it holds).
pub async fn plan(
    cache: &Cache,
    f: &TicketFilter,
    items: &HashSet<u64>,
) -> Result<Option<(PagePlan, u32)>> {
    let Some(statuses) = list_statuses(f)? else {
        return Ok(None);
    };
    if !cache.freshness().await?.working_set_complete {
        return Ok(None);
    }
    let user: Option<i64> = f.assignee_id.as_deref().and_then(|a| a.trim().parse().ok());
    let label: Option<i64> = f.tag_id.as_deref().and_then(|a| a.trim().parse().ok());
    let mut plan = PagePlan::default();
    let mut covered = 0u32;
    for st in statuses {
        let mut sql =
            String::from("SELECT t.id FROM tickets t WHERE t.in_working_set = 1 AND t.status = ?");
        if user.is_some() {
            sql.push_str(" AND t.user_id = ?");
        }
        if label.is_some() {
            sql.push_str(" AND t.id IN (SELECT ticket_id FROM ticket_tags WHERE tag_id = ?)");
        }
        sql.push_str(" ORDER BY t.created_at DESC, t.id DESC");
        let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(st.as_str());
        if let Some(u) = user {
            q = q.bind(u);
        }
        if let Some(l) = label {
            q = q.bind(l);
        }
        let order = q.fetch_all(cache.pool()).await?;
        let positions: Vec<usize> = order
            .iter()
            .enumerate()
            .filter(|(_, id)| items.contains(&(**id as u64)))
            .map(|(p, _)| p)
            .collect();
        let (k, c) = best_pages(&positions);
        if k > 0 {
            covered += c;
            plan.queries.push(PageQuery {
                status: st.as_str().to_string(),
                users: user.map(|u| vec![u as u64]).unwrap_or_default(),
                labels: label.map(|l| vec![l as u64]).unwrap_or_default(),
                pages: k,
            });
        }
    }
    Ok((!plan.queries.is_empty()).then_some((plan, covered)))
}

/// How many pages to read, given the items' positions in the list (ascending): the count that
/// saves the most single reads, and how many items those pages cover.
fn best_pages(positions: &[usize]) -> (u32, u32) {
    let (mut best, mut best_k, mut best_c) = (0i64, 0u32, 0u32);
    let mut covered = 0u32;
    let mut i = 0;
    let last = positions.last().map(|p| p / PER_PAGE + 1).unwrap_or(0);
    for k in 1..=last {
        while i < positions.len() && positions[i] < k * PER_PAGE {
            covered += 1;
            i += 1;
        }
        // Saved: single reads no longer needed, less the pages read.
        let saved = covered as i64 - k as i64;
        if saved > best {
            (best, best_k, best_c) = (saved, k as u32, covered);
        }
    }
    (best_k, best_c)
}

#[cfg(test)]
mod tests {
    use super::best_pages;

    #[test]
    fn pages_are_read_only_while_they_pay() {
        // Every ticket of the first two pages is ours: both pages, all 50.
        let dense: Vec<usize> = (0..50).collect();
        assert_eq!(best_pages(&dense), (2, 50));
        // One of ours per page: single reads are as cheap.
        let sparse: Vec<usize> = (0..10).map(|i| i * 25).collect();
        assert_eq!(best_pages(&sparse), (0, 0));
        // Dense at the top, then a straggler far down: the straggler is read on its own.
        let mut mixed: Vec<usize> = (0..30).collect();
        mixed.push(2_000);
        assert_eq!(best_pages(&mixed), (2, 30));
        assert_eq!(best_pages(&[]), (0, 0));
    }
}
