//! The macros table: saved by name, kept in the lead's order.

use trengo_unified::mapping::Directory;

use super::{Macro, StoredMacro, KEYED};
use crate::cache::Cache;
use crate::error::{Error, Result};

fn key_of(name: &str) -> String {
    name.trim().to_lowercase()
}

fn stored(id: i64, position: usize, body: &str, dir: &Directory) -> Result<StoredMacro> {
    let def: Macro = serde_json::from_str(body)
        .map_err(|e| Error::Invalid(format!("saved macro {id} could not be read: {e}")))?;
    Ok(StoredMacro {
        id: id as u32,
        key: (position < KEYED).then_some(position as u32 + 1),
        steps: def.describe(dir),
        asks: def.asks(dir),
        def,
    })
}

/// Every macro, in order.
pub async fn list(cache: &Cache, dir: &Directory) -> Result<Vec<StoredMacro>> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, body FROM macros ORDER BY position, id")
            .fetch_all(cache.pool())
            .await?;
    rows.iter()
        .enumerate()
        .map(|(i, (id, body))| stored(*id, i, body, dir))
        .collect()
}

/// A macro by its name (any case) or its id.
pub async fn find(cache: &Cache, dir: &Directory, which: &str) -> Result<StoredMacro> {
    let all = list(cache, dir).await?;
    let w = which.trim();
    all.iter()
        .find(|m| key_of(&m.def.name) == key_of(w))
        .or_else(|| {
            w.strip_prefix('#')
                .unwrap_or(w)
                .parse::<u32>()
                .ok()
                .and_then(|n| all.iter().find(|m| m.id == n))
        })
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|m| m.def.name.as_str()).collect();
            Error::NotFound(if names.is_empty() {
                format!("there is no macro {w:?}: none is saved yet (macros add)")
            } else {
                format!("there is no macro {w:?} (saved: {})", names.join(", "))
            })
        })
}

/// Saves a macro, checked first; one of the same name is replaced in its place, a new one goes
/// last.
pub async fn save(cache: &Cache, dir: &Directory, m: &Macro) -> Result<StoredMacro> {
    m.check(dir)?;
    let m = Macro {
        name: m.name.trim().to_string(),
        ..m.clone()
    };
    let body = serde_json::to_string(&m).unwrap_or_default();
    sqlx::query(
        "INSERT INTO macros (name, name_key, body, position, updated_at)
         VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(position), 0) + 1 FROM macros), ?4)
         ON CONFLICT(name_key) DO UPDATE SET name = excluded.name, body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(&m.name)
    .bind(key_of(&m.name))
    .bind(&body)
    .bind(chrono::Utc::now().timestamp())
    .execute(cache.pool())
    .await?;
    find(cache, dir, &m.name).await
}

pub async fn remove(cache: &Cache, dir: &Directory, which: &str) -> Result<()> {
    let m = find(cache, dir, which).await?;
    sqlx::query("DELETE FROM macros WHERE id = ?")
        .bind(m.id as i64)
        .execute(cache.pool())
        .await?;
    Ok(())
}

/// Moves a macro to a place in the order (from 1): its key follows.
pub async fn place(cache: &Cache, dir: &Directory, which: &str, to: u32) -> Result<()> {
    let m = find(cache, dir, which).await?;
    let mut ids: Vec<i64> = list(cache, dir)
        .await?
        .iter()
        .map(|x| x.id as i64)
        .collect();
    ids.retain(|i| *i != m.id as i64);
    let at = (to.max(1) as usize - 1).min(ids.len());
    ids.insert(at, m.id as i64);
    let mut tx = cache.pool().begin().await?;
    for (i, id) in ids.iter().enumerate() {
        sqlx::query("UPDATE macros SET position = ? WHERE id = ?")
            .bind(i as i64 + 1)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether the demo's macros were saved (once: a lead who removes them keeps them removed).
pub async fn demo_seeded(cache: &Cache) -> Result<bool> {
    let one: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM sync_state WHERE resource = 'macros_demo_seed'")
            .fetch_optional(cache.pool())
            .await?;
    Ok(one.is_some())
}

pub async fn mark_demo_seeded(cache: &Cache) -> Result<()> {
    sqlx::query(
        "INSERT OR REPLACE INTO sync_state (resource, last_complete_at, items) VALUES ('macros_demo_seed', ?, 0)",
    )
    .bind(chrono::Utc::now().timestamp())
    .execute(cache.pool())
    .await?;
    Ok(())
}

/// What the notes' placeholders are filled from, per ticket, as the cache has it.
pub async fn fills(
    cache: &Cache,
    dir: &Directory,
    ids: &[u64],
    me: &str,
) -> Result<std::collections::HashMap<u64, super::Fill>> {
    let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    type Row = (i64, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.id, t.subject, c.name, c.email FROM tickets t LEFT JOIN contacts c ON c.id = t.contact_id
          WHERE t.id IN (SELECT value FROM json_each(?))",
    )
    .bind(&json)
    .fetch_all(cache.pool())
    .await?;
    let fields: std::collections::HashMap<u64, std::collections::BTreeMap<String, String>> = cache
        .ticket_field_values(ids, dir)
        .await?
        .into_iter()
        .collect();
    let mut out = std::collections::HashMap::new();
    for id in ids {
        let row = rows.iter().find(|r| r.0 as u64 == *id);
        let by_label = fields
            .get(id)
            .map(|f| {
                f.iter()
                    .filter_map(|(fid, v)| {
                        dir.field_by_id(fid)
                            .map(|d| (d.label.to_lowercase(), v.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.insert(
            *id,
            super::Fill {
                ticket_id: *id,
                subject: row.and_then(|r| r.1.clone()).unwrap_or_default(),
                contact_name: row.and_then(|r| r.2.clone()).unwrap_or_default(),
                contact_email: row.and_then(|r| r.3.clone()).unwrap_or_default(),
                me: me.to_string(),
                fields: by_label,
            },
        );
    }
    Ok(out)
}
