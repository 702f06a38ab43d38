//! The directory of an open workspace: users, teams, tags and fields, found by name in the cache,
//! and a new tag made in Trengo.

use serde::{Deserialize, Serialize};
use trengo_unified::api::{Client, Lane};
use trengo_unified::mapping;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::view::{one_line_name, DirectoryLists, Freshness, Named};

/// Users, teams, tags and fields: found by name in the cache; a new tag made in Trengo.
pub struct Directory<'a> {
    cx: &'a Context,
}

impl<'a> Directory<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Directory { cx }
    }

    /// A team by name (case-insensitive) or id, from the cache.
    pub async fn find_team(&self, name: &str) -> Result<Option<Named>> {
        self.cx.cache.find_team(name).await
    }

    /// A tag by name (case-insensitive) or id, from the cache.
    pub async fn find_tag(&self, name: &str) -> Result<Option<Named>> {
        self.cx.cache.find_tag(name).await
    }

    /// Makes a tag in Trengo (the tag pickers' "Create tag"), or takes the one a colleague made
    /// under that name since the last sync: Trengo's list decides, not the cache. The colour is
    /// `#rrggbb`, or one picked from the name.
    pub async fn create_tag(&self, name: &str, color: Option<&str>) -> Result<TagCreated> {
        let name = tag_name_of(name)?;
        let color = match color {
            Some(c) => tag_color_of(c)?,
            None => tag_color_for(&name),
        };
        let u = self.cx.unified()?;
        let client = u.client().lane(Lane::Interactive);
        let existing = self
            .cx
            .seen("reading Trengo's tags", find_label(&client, &name).await)?;
        let (label, created) = match existing {
            Some(l) => (l, false),
            None => match client.create_label(&name, Some(&color)).await {
                Ok(l) => (l, true),
                // Made by someone else between the read and the write: that one it is.
                Err(e) if e.status() == Some(422) => {
                    match self
                        .cx
                        .seen("reading Trengo's tags", find_label(&client, &name).await)?
                    {
                        Some(l) => (l, false),
                        None => return Err(trengo_unified::Error::from(e).into()),
                    }
                }
                Err(e) => {
                    return self
                        .cx
                        .seen("creating the tag", Err(trengo_unified::Error::from(e)))
                }
            },
        };
        let tag = mapping::tag(&label, false);
        self.cx.cache.put_tag_now(&tag).await?;
        Ok(TagCreated {
            tag: Named {
                id: tag.id,
                name: tag.name,
            },
            created,
        })
    }

    /// A user by email (or id), from the cache.
    pub async fn find_user(&self, email: &str) -> Result<Option<Named>> {
        self.cx.cache.find_user(email).await
    }

    pub async fn lists(&self) -> Result<DirectoryLists> {
        self.cx.cache.directory_lists().await
    }

    pub async fn freshness(&self) -> Result<Freshness> {
        self.cx.cache.freshness().await
    }
}

/// A tag made (or found under that name) in Trengo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TagCreated {
    pub tag: Named,
    /// False when Trengo already had a tag of that name (in any case).
    pub created: bool,
}

/// A new tag's name: trimmed, one line, 1 to 50 characters.
fn tag_name_of(name: &str) -> Result<String> {
    one_line_name(name, "a tag", "tag", 50)
}

/// A colour as Trengo takes it: `#rrggbb`.
fn tag_color_of(c: &str) -> Result<String> {
    let c = c.trim();
    let hex = c.strip_prefix('#').unwrap_or(c);
    if hex.len() == 6 && hex.chars().all(|x| x.is_ascii_hexdigit()) {
        Ok(format!("#{}", hex.to_ascii_lowercase()))
    } else {
        Err(Error::Invalid(format!(
            "the colour {c:?} is not of the form #rrggbb"
        )))
    }
}

/// A colour from the name, the same each time: tags made in a row do not all look alike.
fn tag_color_for(name: &str) -> String {
    const COLOURS: [&str; 10] = [
        "#ed5565", "#fc6e51", "#ffce54", "#a0d468", "#48cfad", "#4fc1e9", "#5d9cec", "#ac92ec",
        "#ec87c0", "#656d78",
    ];
    let h = name
        .to_lowercase()
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    COLOURS[h as usize % COLOURS.len()].to_string()
}

/// Trengo's label of this name (any case), reading its pages.
async fn find_label(
    client: &Client,
    name: &str,
) -> std::result::Result<Option<trengo_unified::api::model::Label>, trengo_unified::Error> {
    let mut page = 1;
    loop {
        let pg = client.labels(page).await?;
        let next = pg.next_page(page);
        if let Some(l) = pg
            .data
            .into_iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
        {
            return Ok(Some(l));
        }
        match next {
            Some(n) if n > page && n <= 200 => page = n,
            _ => return Ok(None),
        }
    }
}
