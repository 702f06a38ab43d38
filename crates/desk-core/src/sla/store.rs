//! The SLA radar's tables: the lead's policies (in order), the warnings given, and the clock
//! facts of the open tickets as the cache knows them.

use trengo_unified::model as u;

use super::{field_key, Checked, ClockFacts, Names, Past, Radar, SlaPolicy};
use crate::cache::Cache;
use crate::error::{Error, Result};

/// The policies, in the lead's order.
pub async fn list(cache: &Cache) -> Result<Vec<SlaPolicy>> {
    let rows: Vec<(String, bool)> =
        sqlx::query_as("SELECT json, enabled FROM sla_policies ORDER BY position, id")
            .fetch_all(cache.pool())
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(j, on)| {
            let mut p: SlaPolicy = serde_json::from_str(&j).ok()?;
            p.enabled = on;
            Some(p)
        })
        .collect())
}

/// The policy called `name`, in any case.
pub async fn find(cache: &Cache, name: &str) -> Result<SlaPolicy> {
    list(cache)
        .await?
        .into_iter()
        .find(|p| p.name.trim().eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| Error::NotFound(format!("no SLA policy called {:?}", name.trim())))
}

/// Saves a checked policy: a new one goes last; one of the same name (in any case) is replaced
/// in its place when `replace`, else refused.
pub async fn save(cache: &Cache, p: &SlaPolicy, names: &Names<'_>, replace: bool) -> Result<()> {
    let checked = p.check(names)?;
    // IMMEDIATE: the write lock first (a read then a write in a deferred transaction fails at
    // once while the sync writes, instead of waiting its turn).
    let mut tx = cache.pool().begin_with("BEGIN IMMEDIATE").await?;
    put(&mut tx, p, &checked, replace).await?;
    tx.commit().await?;
    Ok(())
}

async fn put(
    c: &mut sqlx::SqliteConnection,
    p: &SlaPolicy,
    checked: &Checked,
    replace: bool,
) -> Result<()> {
    let stored = SlaPolicy {
        name: checked.name.clone(),
        ..p.clone()
    };
    let json = serde_json::to_string(&stored).unwrap_or_default();
    let now = chrono::Utc::now().timestamp();
    let had: Option<i64> = sqlx::query_scalar("SELECT id FROM sla_policies WHERE name = ?")
        .bind(&checked.name)
        .fetch_optional(&mut *c)
        .await?;
    match had {
        Some(_) if !replace => {
            return Err(Error::Invalid(format!(
            "an SLA policy called {:?} exists already: remove it first, or import with --replace",
            checked.name
        )))
        }
        Some(id) => {
            sqlx::query("UPDATE sla_policies SET name = ?, enabled = ?, json = ?, updated_at = ? WHERE id = ?")
                .bind(&checked.name)
                .bind(p.enabled)
                .bind(json)
                .bind(now)
                .bind(id)
                .execute(&mut *c)
                .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO sla_policies (position, name, enabled, json, updated_at)
                 VALUES ((SELECT COALESCE(MAX(position), 0) + 1 FROM sla_policies), ?, ?, ?, ?)",
            )
            .bind(&checked.name)
            .bind(p.enabled)
            .bind(json)
            .bind(now)
            .execute(&mut *c)
            .await?;
        }
    }
    Ok(())
}

pub async fn remove(cache: &Cache, name: &str) -> Result<()> {
    let n = sqlx::query("DELETE FROM sla_policies WHERE name = ?")
        .bind(name.trim())
        .execute(cache.pool())
        .await?
        .rows_affected();
    if n == 0 {
        return Err(Error::NotFound(format!(
            "no SLA policy called {:?}",
            name.trim()
        )));
    }
    Ok(())
}

pub async fn set_enabled(cache: &Cache, name: &str, on: bool) -> Result<()> {
    let n = sqlx::query("UPDATE sla_policies SET enabled = ? WHERE name = ?")
        .bind(on)
        .bind(name.trim())
        .execute(cache.pool())
        .await?
        .rows_affected();
    if n == 0 {
        return Err(Error::NotFound(format!(
            "no SLA policy called {:?}",
            name.trim()
        )));
    }
    Ok(())
}

/// Puts the policy called `name` at `position` (1 = first: it wins over the others).
pub async fn move_to(cache: &Cache, name: &str, position: u32) -> Result<()> {
    let mut names: Vec<String> = list(cache).await?.into_iter().map(|p| p.name).collect();
    let at = names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| Error::NotFound(format!("no SLA policy called {:?}", name.trim())))?;
    let n = names.remove(at);
    let to = (position.max(1) as usize - 1).min(names.len());
    names.insert(to, n);
    // IMMEDIATE: the write lock first (a read then a write in a deferred transaction fails at
    // once while the sync writes, instead of waiting its turn).
    let mut tx = cache.pool().begin_with("BEGIN IMMEDIATE").await?;
    for (i, n) in names.iter().enumerate() {
        sqlx::query("UPDATE sla_policies SET position = ? WHERE name = ?")
            .bind(i as i64 + 1)
            .bind(n)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Reads a policies file (a JSON list, as `export` writes it) and saves every policy, all checked
/// first: one bad policy saves none.
pub async fn import(cache: &Cache, json: &str, names: &Names<'_>, replace: bool) -> Result<u32> {
    let list: Vec<SlaPolicy> = serde_json::from_str(json).map_err(|e| {
        Error::Invalid(format!(
            "the SLA file is not a list of policies: {e} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let mut seen = std::collections::HashSet::new();
    let mut checked = vec![];
    for p in &list {
        let c = p.check(names)?;
        if !seen.insert(c.name.to_lowercase()) {
            return Err(Error::Invalid(format!(
                "SLA policy {:?} is in the file twice",
                c.name
            )));
        }
        checked.push(c);
    }
    // IMMEDIATE: the write lock first (a read then a write in a deferred transaction fails at
    // once while the sync writes, instead of waiting its turn).
    let mut tx = cache.pool().begin_with("BEGIN IMMEDIATE").await?;
    for (p, c) in list.iter().zip(&checked) {
        put(&mut tx, p, c, replace).await?;
    }
    tx.commit().await?;
    Ok(list.len() as u32)
}

/// The enabled policies, checked against the workspace as the cache knows it now. A policy whose
/// team or tag has gone is left out (and `problems` says which and why).
pub async fn radar(cache: &Cache) -> Result<(Radar, Vec<String>)> {
    let dir = cache.directory().await?;
    let names = Names { dir: &dir };
    let mut checked = vec![];
    let mut problems = vec![];
    for p in list(cache).await?.into_iter().filter(|p| p.enabled) {
        match p.check(&names) {
            Ok(c) => checked.push(c),
            Err(e) => problems.push(e.to_string()),
        }
    }
    Ok((Radar::new(checked), problems))
}

/// The clock facts of the open tickets (all of them, or those of `ids`).
pub async fn facts(cache: &Cache, radar: &Radar, ids: Option<&[i64]>) -> Result<Vec<ClockFacts>> {
    let only = match ids {
        Some(ids) => format!(
            "AND t.id IN (SELECT value FROM json_each('{}'))",
            serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
        ),
        None => String::new(),
    };
    let from = format!(
        "FROM tickets t INDEXED BY tickets_clock
         WHERE t.status_kind = 'open' AND t.in_working_set = 1 {only}"
    );
    Ok(clocks(cache, radar, &from, false)
        .await?
        .into_iter()
        .map(|(f, _)| f)
        .collect())
}

/// Every cached ticket's clock and what is known of its past (for replaying a draft policy).
pub async fn history(cache: &Cache, radar: &Radar) -> Result<Vec<(ClockFacts, Past)>> {
    clocks(cache, radar, "FROM tickets t", true).await
}

/// The clocks of the tickets `from` takes, with their past where `past` (else a default one).
/// One row holding every ticket as JSON: SQLite builds it in one pass (for the open ones, from
/// the clock index alone), and the pool hands over one value instead of 25,000 rows (each a trip
/// through the driver).
async fn clocks(
    cache: &Cache,
    radar: &Radar,
    from: &str,
    past: bool,
) -> Result<Vec<(ClockFacts, Past)>> {
    let past_columns = if past {
        "t.first_reply_at, t.closed_at, t.status_kind = 'open', t.paused_from"
    } else {
        "NULL, NULL, NULL, NULL"
    };
    let sql = format!(
        "SELECT COALESCE(json_group_array(json_array(t.id, t.created_at, t.team_id, t.channel_id,
                    t.waiting_since, t.replied, t.contact_id, t.paused_secs, t.user_id,
                    t.assigned_at, {past_columns})), '[]')
         {from}"
    );
    let json: String = sqlx::query_scalar(&sql).fetch_one(cache.pool()).await?;
    // Fixed-size rows: no allocation per ticket.
    let rows: Vec<[Option<i64>; 14]> = serde_json::from_str(&json)
        .map_err(|e| Error::Invalid(format!("the cache's ticket clocks could not be read: {e}")))?;
    let mut out = Vec::with_capacity(rows.len());
    let mut pasts = Vec::with_capacity(rows.len());
    let mut contacts = Vec::with_capacity(rows.len());
    for r in rows {
        let at = |i: usize| r[i];
        out.push(ClockFacts {
            id: at(0).unwrap_or_default(),
            created_at: at(1),
            team: at(2),
            channel: at(3),
            waiting_since: at(4),
            replied: at(5).map(|x| x != 0),
            paused_secs: at(7).unwrap_or_default(),
            user: at(8),
            assigned_at: at(9),
            ..Default::default()
        });
        contacts.push(at(6));
        pasts.push(Past {
            first_reply_at: at(10),
            closed_at: at(11),
            open: at(12).is_some_and(|x| x != 0),
            paused_from: at(13),
        });
    }
    complete(cache, radar, &mut out, &contacts).await?;
    Ok(out.into_iter().zip(pasts).collect())
}

/// The tags and field values the policies are scoped by, added to the tickets' clocks.
async fn complete(
    cache: &Cache,
    radar: &Radar,
    out: &mut [ClockFacts],
    contacts: &[Option<i64>],
) -> Result<()> {
    // Only the tags policies are scoped by, from the tag index.
    let tags = radar.tags();
    if !tags.is_empty() {
        let json: String = sqlx::query_scalar(
            "SELECT COALESCE(json_group_array(json_array(ticket_id, tag_id)), '[]') FROM ticket_tags
             WHERE tag_id IN (SELECT value FROM json_each(?))",
        )
        .bind(serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()))
        .fetch_one(cache.pool())
        .await?;
        let pairs: Vec<(i64, i64)> = serde_json::from_str(&json).unwrap_or_default();
        let mut by: std::collections::HashMap<i64, Vec<i64>> = Default::default();
        for (t, g) in pairs {
            by.entry(t).or_default().push(g);
        }
        for f in out.iter_mut() {
            if let Some(g) = by.remove(&f.id) {
                f.tags = g;
            }
        }
    }
    let fields = radar.fields();
    if !fields.is_empty() {
        field_values(cache, out, contacts, &fields).await?;
    }
    Ok(())
}

/// The values of the fields policies are scoped by, from the cached records: two reads in all
/// (the tickets', the contacts'), each taking only those fields out of the stored JSON.
async fn field_values(
    cache: &Cache,
    out: &mut [ClockFacts],
    contacts: &[Option<i64>],
    fields: &[(bool, String)],
) -> Result<()> {
    for contact in [false, true] {
        let names: Vec<&str> = fields
            .iter()
            .filter(|(c, _)| *c == contact)
            .map(|(_, n)| n.as_str())
            .collect();
        if names.is_empty() {
            continue;
        }
        let ids: Vec<i64> = if contact {
            let mut v: Vec<i64> = contacts.iter().flatten().copied().collect();
            v.sort_unstable();
            v.dedup();
            v
        } else {
            out.iter().map(|f| f.id).collect()
        };
        // [[id, {name: value, …}], …] with only the wanted names.
        let table = if contact { "contacts" } else { "ticket_json" };
        let json: String = sqlx::query_scalar(&format!(
            "SELECT COALESCE(json_group_array(json_array(r.id,
                      json((SELECT json_group_object(n.value, json_extract(r.json, '$.custom_fields.' || json_quote(n.value)))
                         FROM json_each(?2) n
                        WHERE json_type(r.json, '$.custom_fields.' || json_quote(n.value)) IS NOT NULL)))), '[]')
               FROM {table} r WHERE r.id IN (SELECT value FROM json_each(?1))"
        ))
        .bind(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
        .bind(serde_json::to_string(&names).unwrap_or_else(|_| "[]".into()))
        .fetch_one(cache.pool())
        .await?;
        let rows: Vec<(i64, std::collections::BTreeMap<String, u::FieldValue>)> =
            serde_json::from_str(&json).map_err(|e| {
                Error::Invalid(format!("the cache's field values could not be read: {e}"))
            })?;
        let by: std::collections::HashMap<i64, std::collections::BTreeMap<String, u::FieldValue>> =
            rows.into_iter().collect();
        for (f, cid) in out.iter_mut().zip(contacts) {
            let key = if contact { *cid } else { Some(f.id) };
            if let Some(values) = key.and_then(|k| by.get(&k)) {
                for (name, x) in values {
                    f.field_values.push((field_key(contact, name), x.as_text()));
                }
            }
        }
    }
    Ok(())
}

/// Records a warning; `false` when it was given before (by this process or another, before a
/// restart or not).
pub async fn mark_warned(cache: &Cache, ticket: i64, target: &str, due_at: i64) -> Result<bool> {
    let n = sqlx::query(
        "INSERT OR IGNORE INTO sla_warnings (ticket_id, target, due_at, warned_at) VALUES (?, ?, ?, ?)",
    )
    .bind(ticket)
    .bind(target)
    .bind(due_at)
    .bind(chrono::Utc::now().timestamp())
    .execute(cache.pool())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The demo's two example policies, off (a lead switches one on to see the radar work): the
/// enriched "Plan = Enterprise" customers get a quick promise around the clock, everyone else
/// a working-day one. Added only where the workspace has no policy yet.
pub(crate) async fn add_examples(cache: &Cache) -> Result<()> {
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sla_policies")
        .fetch_one(cache.pool())
        .await?;
    if have > 0 {
        return Ok(());
    }
    let workday = |d: &str| super::DayHours {
        day: d.into(),
        from: "09:00".into(),
        to: "17:00".into(),
    };
    let examples = [
        SlaPolicy {
            name: "Enterprise customers".into(),
            enabled: false,
            first_reply: Some(30),
            next_reply: Some(60),
            resolution: None,
            at_risk: super::AtRisk::Minutes(10),
            scope: super::SlaScope {
                field: Some(super::FieldIs {
                    name: "Plan".into(),
                    value: "Enterprise".into(),
                }),
                ..Default::default()
            },
            hours: None,
        },
        SlaPolicy {
            name: "Working days".into(),
            enabled: false,
            first_reply: Some(4 * 60),
            next_reply: Some(8 * 60),
            resolution: Some(5 * 8 * 60),
            at_risk: super::AtRisk::Percent(75),
            scope: Default::default(),
            hours: Some(super::BusinessHours {
                time_zone: "Europe/Amsterdam".into(),
                days: ["mon", "tue", "wed", "thu", "fri"]
                    .into_iter()
                    .map(workday)
                    .collect(),
                holidays: vec![
                    "2026-12-25".into(),
                    "2026-12-26".into(),
                    "2027-01-01".into(),
                ],
            }),
        },
    ];
    // Written as they are: the demo's directory is not synced yet, and each is checked again
    // when it is switched on or applied.
    for (i, p) in examples.iter().enumerate() {
        sqlx::query(
            "INSERT INTO sla_policies (position, name, enabled, json, updated_at) VALUES (?, ?, 0, ?, ?)",
        )
        .bind(i as i64 + 1)
        .bind(&p.name)
        .bind(serde_json::to_string(p).unwrap_or_default())
        .bind(chrono::Utc::now().timestamp())
        .execute(cache.pool())
        .await?;
    }
    Ok(())
}
