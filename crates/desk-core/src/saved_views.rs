//! Saved views: a lead's named filters (text, status, team, tag, assignee), in the sidebar with a
//! live count from the cache, and `tickets --view NAME` in the CLI. They live in the workspace's
//! cache, so each account has its own.

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::view::TicketFilter;

/// A saved view with how many cached tickets match it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SavedView {
    pub id: u32,
    pub name: String,
    /// The filter, without paging.
    pub filter: TicketFilter,
    pub count: u32,
}

/// A view's name: trimmed, not empty, at most 60 characters, one line.
pub(crate) fn clean_name(name: &str) -> Result<String> {
    crate::view::one_line_name(name, "a saved view", "view", 60)
}

/// The filter as stored: no paging, and nothing that would not apply (checked by a count).
pub(crate) fn stored(filter: &TicketFilter) -> TicketFilter {
    let blank = |s: &Option<String>| s.as_ref().filter(|v| !v.trim().is_empty()).cloned();
    TicketFilter {
        status: filter.status,
        team_id: blank(&filter.team_id),
        tag_id: blank(&filter.tag_id),
        assignee_id: blank(&filter.assignee_id),
        text: blank(&filter.text).map(|t| t.trim().to_string()),
        sla: filter.sla,
        sort: filter.sort,
        channel_id: blank(&filter.channel_id),
        period: filter.period.clone(),
        offset: 0,
        limit: 0,
    }
}

pub(crate) async fn taken(pool: &SqlitePool, name: &str, other_than: Option<u32>) -> Result<()> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM saved_views WHERE name = ? COLLATE NOCASE")
            .bind(name)
            .fetch_optional(pool)
            .await?;
    match id {
        Some(id) if Some(id as u32) != other_than => Err(Error::Invalid(format!(
            "a view named {name:?} exists already: pick another name, or delete that one first"
        ))),
        _ => Ok(()),
    }
}

/// Every saved view in the sidebar's order, each with its count.
pub async fn list(cache: &Cache) -> Result<Vec<SavedView>> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, filter FROM saved_views ORDER BY position, id")
            .fetch_all(cache.pool())
            .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, name, filter) in rows {
        let filter: TicketFilter = serde_json::from_str(&filter).map_err(|e| {
            Error::Invalid(format!(
                "the saved view {name:?} in the local cache cannot be read ({e}); delete it and save it again"
            ))
        })?;
        // A view whose team or tag is gone counts nothing rather than failing the sidebar.
        let count = cache.count(&filter).await.unwrap_or(0);
        out.push(SavedView {
            id: id as u32,
            name,
            filter,
            count,
        });
    }
    Ok(out)
}

/// Saves `filter` as a new view named `name`, last in the sidebar.
pub async fn save(cache: &Cache, name: &str, filter: &TicketFilter) -> Result<SavedView> {
    let name = clean_name(name)?;
    let filter = stored(filter);
    // A filter the cache cannot run (an unknown status word) is refused now, not in the sidebar.
    let count = cache.count(&filter).await?;
    let pool = cache.pool();
    taken(pool, &name, None).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO saved_views (name, position, filter)
         VALUES (?, (SELECT COALESCE(MAX(position), 0) + 1 FROM saved_views), ?) RETURNING id",
    )
    .bind(&name)
    .bind(serde_json::to_string(&filter).expect("a filter serializes"))
    .fetch_one(pool)
    .await?;
    Ok(SavedView {
        id: id as u32,
        name,
        filter,
        count,
    })
}

pub(crate) async fn must_exist(pool: &SqlitePool, id: u32) -> Result<()> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM saved_views WHERE id = ?")
        .bind(id as i64)
        .fetch_one(pool)
        .await?;
    if n == 0 {
        return Err(Error::NotFound(format!("there is no saved view {id}")));
    }
    Ok(())
}

pub async fn rename(cache: &Cache, id: u32, name: &str) -> Result<()> {
    let name = clean_name(name)?;
    let pool = cache.pool();
    must_exist(pool, id).await?;
    taken(pool, &name, Some(id)).await?;
    sqlx::query("UPDATE saved_views SET name = ? WHERE id = ?")
        .bind(&name)
        .bind(id as i64)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn delete(cache: &Cache, id: u32) -> Result<()> {
    let pool = cache.pool();
    must_exist(pool, id).await?;
    sqlx::query("DELETE FROM saved_views WHERE id = ?")
        .bind(id as i64)
        .execute(pool)
        .await?;
    Ok(())
}

/// Puts the views in the order of `ids`; views it leaves out keep their order after them.
pub async fn reorder(cache: &Cache, ids: &[u32]) -> Result<()> {
    let mut tx = cache.pool().begin().await?;
    let all: Vec<i64> = sqlx::query_scalar("SELECT id FROM saved_views ORDER BY position, id")
        .fetch_all(&mut *tx)
        .await?;
    if let Some(bad) = ids.iter().find(|i| !all.contains(&(**i as i64))) {
        return Err(Error::NotFound(format!("there is no saved view {bad}")));
    }
    let rest = all.iter().filter(|i| !ids.contains(&(**i as u32)));
    for (pos, id) in ids
        .iter()
        .map(|i| *i as i64)
        .chain(rest.copied())
        .enumerate()
    {
        sqlx::query("UPDATE saved_views SET position = ? WHERE id = ?")
            .bind(pos as i64 + 1)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The view called `name` (any case), for the CLI.
pub async fn find(cache: &Cache, name: &str) -> Result<SavedView> {
    let views = list(cache).await?;
    let wanted = name.trim();
    views
        .iter()
        .find(|v| v.name.to_lowercase() == wanted.to_lowercase())
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = views.iter().map(|v| v.name.as_str()).collect();
            Error::NotFound(if names.is_empty() {
                format!("there is no saved view {wanted:?}: none is saved in this workspace yet")
            } else {
                format!(
                    "there is no saved view {wanted:?}; saved: {}",
                    names.join(", ")
                )
            })
        })
}
