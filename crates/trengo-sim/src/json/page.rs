//! Trengo's page envelopes: the simple one (`links`, `meta`) and Laravel's length-aware one
//! (`total`, `last_page`, page links).

use serde::Serialize;

#[derive(Serialize)]
pub struct Links {
    first: String,
    last: Option<String>,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Serialize)]
pub struct MetaLink {
    url: Option<String>,
    label: String,
    active: bool,
}

#[derive(Serialize)]
pub struct Meta {
    current_page: u64,
    from: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_page: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<Vec<MetaLink>>,
    path: String,
    per_page: u64,
    to: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
}

#[derive(Serialize)]
pub struct Envelope<T> {
    data: Vec<T>,
    links: Links,
    meta: Meta,
}

/// Laravel's links carry only `page`: other query parameters are not kept, so a client must not
/// follow `links.next` blindly for a filtered list.
pub(crate) fn page_url(path: &str, page: u64) -> String {
    format!("{path}?page={page}")
}

/// The simple envelope (tickets, contacts, messages): no `last_page`, no `total`, `links.last` null.
/// The only end signal is `links.next == null`.
pub fn simple<T>(
    path: String,
    page: u64,
    per_page: u64,
    data: Vec<T>,
    has_more: bool,
) -> Envelope<T> {
    let n = data.len() as u64;
    let from = (n > 0).then_some((page - 1) * per_page + 1);
    Envelope {
        links: Links {
            first: page_url(&path, 1),
            last: None,
            prev: (page > 1).then(|| page_url(&path, page - 1)),
            next: has_more.then(|| page_url(&path, page + 1)),
        },
        meta: Meta {
            current_page: page,
            from,
            last_page: None,
            links: None,
            per_page,
            to: from.map(|f| f + n - 1),
            total: None,
            path,
        },
        data,
    }
}

/// The length-aware envelope (labels, users, teams, custom fields, …).
pub fn length_aware<T>(
    path: String,
    page: u64,
    per_page: u64,
    data: Vec<T>,
    total: u64,
) -> Envelope<T> {
    let n = data.len() as u64;
    let last_page = total.div_ceil(per_page).max(1);
    let from = (n > 0).then_some((page - 1) * per_page + 1);
    let mut links = vec![MetaLink {
        url: (page > 1).then(|| page_url(&path, page - 1)),
        label: "&laquo; Previous".into(),
        active: false,
    }];
    for p in 1..=last_page {
        links.push(MetaLink {
            url: Some(page_url(&path, p)),
            label: p.to_string(),
            active: p == page,
        });
    }
    links.push(MetaLink {
        url: (page < last_page).then(|| page_url(&path, page + 1)),
        label: "Next &raquo;".into(),
        active: false,
    });
    Envelope {
        links: Links {
            first: page_url(&path, 1),
            last: Some(page_url(&path, last_page)),
            prev: (page > 1).then(|| page_url(&path, page - 1)),
            next: (page < last_page).then(|| page_url(&path, page + 1)),
        },
        meta: Meta {
            current_page: page,
            from,
            last_page: Some(last_page),
            links: Some(links),
            per_page,
            to: from.map(|f| f + n - 1),
            total: Some(total),
            path,
        },
        data,
    }
}
