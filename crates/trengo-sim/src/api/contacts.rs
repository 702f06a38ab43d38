//! The contacts' endpoints: list and search, one contact, made on a channel, changed, its
//! custom fields and notes.

use super::*;
use crate::gate::Caller;
use crate::json::{self};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::Extension;
use serde_json::Value;

pub(crate) async fn contacts(
    State(st): St,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Params::parse(q);
    let term = q
        .get("term")
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty());
    let page = q.page();
    let w = st.world();
    let keep = |c: &&Contact| {
        term.as_deref().is_none_or(|term| {
            contains_ci(&c.name, term)
                || c.email.as_deref().is_some_and(|e| contains_ci(e, term))
                || c.phone.as_deref().is_some_and(|p| contains_ci(p, term))
                || contains_ci(&c.identifier, term)
        })
    };
    let skip = ((page - 1) * PER_PAGE) as usize;
    let found: Vec<&Contact> = w
        .contacts
        .values()
        .rev()
        .filter(keep)
        .skip(skip)
        .take(PER_PAGE as usize + 1)
        .collect();
    let has_more = found.len() > PER_PAGE as usize;
    let data = found
        .into_iter()
        .take(PER_PAGE as usize)
        .map(|c| json::contact(&w, c, false))
        .collect();
    ok_json(json::simple(
        list_path(&headers, "/contacts"),
        page,
        PER_PAGE,
        data,
        has_more,
    ))
}

pub(crate) async fn contact(
    State(st): St,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let id = id_of("Contact", &id)?;
    let _ = q; // `include=notes` changes nothing: a show carries `notes` anyway, as captured.
    let w = st.world();
    ok_json(json::contact(&w, w.contact(id)?, true))
}

pub(crate) async fn create_contact(
    State(st): St,
    Path(channel): Path<String>,
    body: Bytes,
) -> ApiResult {
    let channel = id_of("Channel", &channel)?;
    let b = Body::parse(&body);
    let identifier = b.str("identifier")?;
    let name = b.opt_str("name")?;
    let mut w = st.world();
    let id = w.contact_for_identifier(channel, &identifier, name.as_deref())?;
    ok_json(json::contact(&w, &w.contacts[&id], false))
}

pub(crate) async fn update_contact(
    State(st): St,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = id_of("Contact", &id)?;
    let b = Body::parse(&body);
    let name = b.str("name")?;
    let groups = match b.present("contact_group_ids") {
        None => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|v| {
                    v.as_u64().ok_or_else(|| {
                        SimError::invalid(
                            "contact_group_ids",
                            "The contact group ids must be integers.",
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => {
            return Err(SimError::invalid(
                "contact_group_ids",
                "The contact group ids must be an array.",
            )
            .into())
        }
    };
    let mut w = st.world();
    w.contact(id)?;
    let c = w.contacts.get_mut(&id).expect("checked");
    c.name = name;
    if let Some(g) = groups {
        c.group_ids = g;
    }
    ok_json(json::contact(&w, &w.contacts[&id], true))
}

pub(crate) async fn contact_custom_field(
    State(st): St,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = id_of("Contact", &id)?;
    let (field, value) = field_value(&Body::parse(&body))?;
    st.world().set_contact_field(id, field, value)?;
    ok_empty()
}

/// `POST /contacts/{id}/notes` `{note}`: answered as captured, `{id, contact, user, body,
/// created_at}` with the author and the contact as they are now.
pub(crate) async fn create_contact_note(
    State(st): St,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = id_of("Contact", &id)?;
    let note = Body::parse(&body).str("note")?;
    let now = st.now();
    let mut w = st.world();
    let note_id = w.add_contact_note(id, note, c.user_id, now)?;
    ok_json(json::contact_note(&w, id, note_id))
}
