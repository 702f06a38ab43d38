//! Merging duplicate tickets of one contact: likely duplicates suggested from the cache, each
//! ticket read fresh for the side-by-side preview, and the merge run as a job that reads both
//! again and refuses where either changed since. Trengo cannot undo a merge (the source is
//! deleted), and the preview says so.

use serde::{Deserialize, Serialize};
use trengo_unified::api::Lane;

use super::Tickets;
use crate::actions::{merge_mark, Action, TicketState};
use crate::error::{Error, Result};
use crate::jobs::{ItemSeed, JobView};
use crate::view::TicketRow;

/// How far apart two tickets of a contact may have been made to count as likely duplicates.
pub const DUPLICATE_WINDOW_SECS: i64 = 14 * 86_400;

/// One ticket as the merge preview read it from Trengo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MergeSide {
    pub id: crate::TicketId,
    pub subject: Option<String>,
    pub contact: Option<String>,
    pub status: crate::view::TicketStatus,
    pub team: Option<String>,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// What the merge checks is unchanged when it runs.
    pub seen: String,
}

/// A merge, read fresh and shown side by side before anything is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MergePreview {
    /// The ticket that stays.
    pub target: MergeSide,
    /// The tickets merged into it (Trengo deletes them).
    pub sources: Vec<MergeSide>,
    pub warning: String,
}

fn words(s: &str) -> std::collections::HashSet<String> {
    crate::rules::fold(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2 && !matches!(*w, "the" | "and" | "for" | "re" | "fw" | "fwd"))
        .map(String::from)
        .collect()
}

/// Whether two subjects are alike: half of the shorter's words in the other, or either empty.
pub fn similar(a: &str, b: &str) -> bool {
    let (x, y) = (words(a), words(b));
    if x.is_empty() || y.is_empty() {
        return true;
    }
    let common = x.intersection(&y).count();
    common * 2 >= x.len().min(y.len())
}

impl Tickets<'_> {
    /// Likely duplicates of a ticket, from the cache: the same contact's other open tickets made
    /// within two weeks of it, with a similar subject (or none).
    pub async fn duplicates(&self, ticket: &str) -> Result<Vec<TicketRow>> {
        let id = crate::context::ticket_num(ticket)? as i64;
        let ids = self
            .cx
            .cache
            .same_contact_open(id, DUPLICATE_WINDOW_SECS)
            .await?;
        let rows = self.cx.cache.rows_by_ids(&ids).await?;
        let me = self.cx.cache.rows_by_ids(&[id]).await?;
        let subject = me
            .first()
            .and_then(|r| r.subject.clone())
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter(|r| similar(&subject, r.subject.as_deref().unwrap_or("")))
            .collect())
    }

    async fn side(&self, id: u64) -> Result<(MergeSide, Option<u64>)> {
        let u = self.cx.unified()?;
        let c = u.client().lane(Lane::Interactive);
        let t = self.cx.seen(
            "reading the ticket to merge",
            c.ticket(id).await.map_err(trengo_unified::Error::from),
        )?;
        let dir = self.cx.cache.directory().await?;
        let s = TicketState::from_api(&t);
        let contact = t.contact_ref();
        Ok((
            MergeSide {
                id: id.into(),
                subject: t.subject.clone(),
                contact: t.contact.as_ref().and_then(|k| k.name.clone()),
                status: crate::view::TicketStatus::parse(&s.status),
                team: s.team.map(|x| crate::actions::team_name(&dir, x)),
                assignee: s.user.map(|x| crate::actions::user_name(&dir, x)),
                tags: s
                    .tags
                    .iter()
                    .map(|x| crate::actions::tag_name(&dir, *x))
                    .collect(),
                created_at: t.created_at.map(|x| x.to_rfc3339()),
                updated_at: t.updated_at.map(|x| x.to_rfc3339()),
                seen: merge_mark(&t),
            },
            contact,
        ))
    }

    /// Reads the ticket that stays and each one to merge into it fresh from Trengo, for the
    /// preview; refuses tickets of another contact. Nothing is written.
    pub async fn merge_preview(&self, target: &str, sources: &[String]) -> Result<MergePreview> {
        let t = crate::context::ticket_num(target)?;
        if sources.is_empty() {
            return Err(Error::Invalid(
                "choose at least one ticket to merge into it".into(),
            ));
        }
        let (target, contact) = self.side(t).await?;
        let mut out = vec![];
        for s in sources {
            let n = crate::context::ticket_num(s)?;
            if n == t {
                return Err(Error::Invalid(format!("#{n} cannot be merged into itself")));
            }
            if out.iter().any(|x: &MergeSide| x.id == n.to_string()) {
                continue;
            }
            let (side, theirs) = self.side(n).await?;
            if theirs != contact {
                return Err(Error::Invalid(format!(
                    "#{n} is another contact's ticket ({}); only one contact's tickets are merged",
                    side.contact.as_deref().unwrap_or("unknown")
                )));
            }
            out.push(side);
        }
        let n = out.len();
        Ok(MergePreview {
            warning: format!(
                "Trengo cannot undo a merge: {} deleted and {} messages move to #{}. Each ticket is read again first; one that changed since this preview is not merged.",
                if n == 1 {
                    format!("#{} is", out[0].id)
                } else {
                    format!("{n} tickets are")
                },
                if n == 1 { "its" } else { "their" },
                target.id
            ),
            target,
            sources: out,
        })
    }

    /// Runs a previewed merge as one job: the sources one after another into the target, each
    /// only while both are as the preview saw them.
    pub async fn merge(&self, p: &MergePreview) -> Result<JobView> {
        let target = crate::context::ticket_num(&p.target.id)?;
        let plan: Vec<Action> = p
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| Action::Merge {
                source_id: s.id.to_string(),
                target_seen: (i == 0).then(|| p.target.seen.clone()),
                source_seen: s.seen.clone(),
            })
            .collect();
        let ids: Vec<String> = p.sources.iter().map(|s| format!("#{}", s.id)).collect();
        crate::services::Jobs::new(self.cx)
            .create_items(
                format!("Merge {} into #{target}", ids.join(", ")),
                format!("#{target} and {}", ids.join(", ")),
                vec![ItemSeed {
                    target,
                    plan,
                    expect: None,
                }],
                None,
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn subjects_alike() {
        assert!(super::similar(
            "Refund for order 5012",
            "Re: refund order 5012"
        ));
        assert!(super::similar("", "Anything"));
        assert!(!super::similar(
            "Refund for order 5012",
            "Login does not work"
        ));
    }
}
