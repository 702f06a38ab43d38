//! The directory's endpoints: the token's user, users, teams, labels (made, changed and
//! deleted), custom fields and channels.

use super::*;
use crate::gate::Caller;
use crate::json::{self};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::Extension;
use serde_json::json;

pub(crate) async fn me(State(st): St, Extension(c): Extension<Caller>) -> ApiResult {
    let w = st.world();
    ok_json(json!({"data": json::user(w.user(c.user_id)?)}))
}

pub(crate) async fn users(State(st): St, headers: HeaderMap, RawQuery(q): RawQuery) -> ApiResult {
    let w = st.world();
    paged(
        &headers,
        "/users",
        &Params::parse(q),
        PER_PAGE,
        w.users.values().map(json::user).collect(),
    )
}

pub(crate) async fn user(State(st): St, Path(id): Path<String>) -> ApiResult {
    let w = st.world();
    ok_json(json!({"data": json::user(w.user(id_of("User", &id)?)?)}))
}

pub(crate) async fn teams(State(st): St, headers: HeaderMap, RawQuery(q): RawQuery) -> ApiResult {
    let w = st.world();
    paged(
        &headers,
        "/teams",
        &Params::parse(q),
        PER_PAGE,
        w.teams.values().map(|t| json::team(&w, t)).collect(),
    )
}

pub(crate) async fn team(State(st): St, Path(id): Path<String>) -> ApiResult {
    let w = st.world();
    ok_json(json::team(&w, w.team(id_of("Team", &id)?)?))
}

pub(crate) async fn labels(State(st): St, headers: HeaderMap, RawQuery(q): RawQuery) -> ApiResult {
    let w = st.world();
    let mut all: Vec<&Label> = w.labels.values().collect();
    all.sort_by_key(|l| (l.sort_order, l.id));
    paged(
        &headers,
        "/labels",
        &Params::parse(q),
        PER_PAGE,
        all.into_iter().map(json::label).collect(),
    )
}

pub(crate) async fn label(State(st): St, Path(id): Path<String>) -> ApiResult {
    let w = st.world();
    ok_json(json::label(w.label(id_of("Label", &id)?)?))
}

pub(crate) fn valid_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit())
}

pub(crate) async fn create_label(State(st): St, body: Bytes) -> ApiResult {
    let b = Body::parse(&body);
    let name = b.str("name")?;
    let color = b.opt_str("color")?.unwrap_or_else(|| "#656d78".into());
    if !valid_color(&color) {
        return Err(SimError::invalid("color", "The color format is invalid.").into());
    }
    let mut w = st.world();
    if w.labels
        .values()
        .any(|l| l.name.eq_ignore_ascii_case(&name))
    {
        return Err(SimError::invalid("name", "The name has already been taken.").into());
    }
    w.next_id.label += 1;
    let id = w.next_id.label;
    let sort_order = w.labels.len() as u32;
    w.labels.insert(
        id,
        Label {
            id,
            slug: slug(&name),
            name,
            color,
            sort_order,
            archived: false,
        },
    );
    ok_json(json::label(&w.labels[&id]))
}

pub(crate) async fn update_label(State(st): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let id = id_of("Label", &id)?;
    let b = Body::parse(&body);
    let name = b.opt_str("name")?;
    let color = b.opt_str("color")?;
    if color.as_deref().is_some_and(|c| !valid_color(c)) {
        return Err(SimError::invalid("color", "The color format is invalid.").into());
    }
    let mut w = st.world();
    w.label(id)?;
    if let Some(n) = &name {
        if w.labels
            .values()
            .any(|l| l.id != id && l.name.eq_ignore_ascii_case(n))
        {
            return Err(SimError::invalid("name", "The name has already been taken.").into());
        }
    }
    let l = w.labels.get_mut(&id).expect("checked");
    if let Some(n) = name {
        l.slug = slug(&n);
        l.name = n;
    }
    if let Some(c) = color {
        l.color = c;
    }
    if let Some(a) = b.0.get("archived") {
        l.archived = a.as_bool().unwrap_or(a.as_u64() == Some(1));
    }
    ok_json(json::label(l))
}

pub(crate) async fn delete_label(State(st): St, Path(id): Path<String>) -> ApiResult {
    let id = id_of("Label", &id)?;
    let mut w = st.world();
    w.label(id)?;
    w.labels.remove(&id);
    for t in w.tickets.values_mut() {
        t.label_ids.retain(|l| *l != id);
    }
    ok_empty()
}

pub(crate) async fn custom_fields(
    State(st): St,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let w = st.world();
    // A small resource: everything on one page of 999.
    paged(
        &headers,
        "/custom_fields",
        &Params::parse(q),
        999,
        w.fields.values().map(json::custom_field).collect(),
    )
}

pub(crate) async fn channels(
    State(st): St,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let w = st.world();
    paged(
        &headers,
        "/channels",
        &Params::parse(q),
        999,
        w.channels.values().map(json::channel).collect(),
    )
}
