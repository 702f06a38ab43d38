//! The macros service: macros saved per workspace (checked against it), exported and imported as
//! JSON, previewed and run on the open ticket or a selection as one job with one undo.

use serde::{Deserialize, Serialize};

use crate::actions::Action;
use crate::context::Context;
use crate::error::Result;
use crate::jobs::{JobPlan, JobView, Selection};
use crate::macros::{self, store, Macro, MacroStep, StoredMacro};

pub struct Macros<'a> {
    cx: &'a Context,
}

/// What running a macro would do, before anything is written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MacroPlan {
    #[serde(rename = "macro")]
    pub stored: StoredMacro,
    pub job: JobPlan,
    /// The first ticket's note with its placeholders filled, when the notes have any.
    pub example_note: Option<String>,
}

impl<'a> Macros<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Macros { cx }
    }

    /// The workspace's macros, in order (the first nine on the keys 1–9).
    pub async fn list(&self) -> Result<Vec<StoredMacro>> {
        let dir = self.cx.cache.directory().await?;
        store::list(&self.cx.cache, &dir).await
    }

    /// A macro by its name (any case) or id.
    pub async fn find(&self, which: &str) -> Result<StoredMacro> {
        let dir = self.cx.cache.directory().await?;
        store::find(&self.cx.cache, &dir, which).await
    }

    /// Saves a macro, checked first (an error names the macro and the step); one of the same
    /// name is replaced in its place.
    pub async fn save(&self, m: &Macro) -> Result<StoredMacro> {
        let dir = self.cx.cache.directory().await?;
        store::save(&self.cx.cache, &dir, m).await
    }

    pub async fn remove(&self, which: &str) -> Result<()> {
        let dir = self.cx.cache.directory().await?;
        store::remove(&self.cx.cache, &dir, which).await
    }

    /// Moves a macro to a place in the order (from 1); the keys follow the order.
    pub async fn place(&self, which: &str, to: u32) -> Result<Vec<StoredMacro>> {
        let dir = self.cx.cache.directory().await?;
        store::place(&self.cx.cache, &dir, which, to).await?;
        store::list(&self.cx.cache, &dir).await
    }

    /// Every macro as a JSON file (what `import` reads).
    pub async fn export(&self) -> Result<String> {
        let all: Vec<Macro> = self.list().await?.into_iter().map(|m| m.def).collect();
        Ok(serde_json::to_string_pretty(&all).unwrap_or_default())
    }

    /// Every macro as a JSON file in the Downloads folder; says where.
    pub async fn save_export(&self) -> Result<std::path::PathBuf> {
        crate::files::save_download(
            "trengo-desk-macros",
            "json",
            self.export().await?.as_bytes(),
        )
    }

    /// Saves every macro of a file, all checked first: one bad macro saves none.
    pub async fn import(&self, json: &str) -> Result<Vec<StoredMacro>> {
        let dir = self.cx.cache.directory().await?;
        let all = macros::parse(json, &dir)?;
        let mut out = vec![];
        for m in &all {
            out.push(store::save(&self.cx.cache, &dir, m).await?);
        }
        Ok(out)
    }

    /// The steps with the answers in, and each ticket's own notes where they have placeholders.
    async fn steps(
        &self,
        m: &StoredMacro,
        sel: &Selection,
        answers: &[String],
    ) -> Result<(Vec<Action>, Option<NoteFill>)> {
        let dir = self.cx.cache.directory().await?;
        let actions = m.def.actions(answers, &dir)?;
        if !macros::personal(&actions) {
            return Ok((actions, None));
        }
        let ids = super::Jobs::new(self.cx).ids_of(sel).await?;
        let me = self.cx.me().await.map(|u| u.name).unwrap_or_default();
        let fills = store::fills(&self.cx.cache, &dir, &ids, &me).await?;
        Ok((actions, Some(NoteFill { fills })))
    }

    /// What running the macro on `sel` would do (counts by the cache; each ticket is read fresh
    /// when the job runs). Nothing is written.
    pub async fn plan(
        &self,
        which: &str,
        sel: &Selection,
        answers: &[String],
    ) -> Result<MacroPlan> {
        let m = self.find(which).await?;
        let (actions, notes) = self.steps(&m, sel, answers).await?;
        let mut job = super::Jobs::new(self.cx).plan(sel, &actions).await?;
        job.title = format!("Macro {}: {}", m.def.name, job.title);
        let example_note = notes.and_then(|n| {
            let first = n.fills.values().min_by_key(|f| f.ticket_id)?;
            actions.iter().find_map(|a| match a {
                Action::AddNote { text, .. } => Some(macros::render(text, first)),
                _ => None,
            })
        });
        Ok(MacroPlan {
            stored: m,
            job,
            example_note,
        })
    }

    /// Records the macro's run on `sel` as one job (one undo takes every part back); run it
    /// like any job.
    pub async fn create(
        &self,
        which: &str,
        sel: &Selection,
        answers: &[String],
    ) -> Result<JobView> {
        let m = self.find(which).await?;
        let (actions, notes) = self.steps(&m, sel, answers).await?;
        let prefix = format!("Macro {}: ", m.def.name);
        let each = notes.map(|n| {
            move |id: u64, plan: &[Action]| -> Vec<Action> {
                let f = n.fills.get(&id).cloned().unwrap_or(macros::Fill {
                    ticket_id: id,
                    ..macros::Fill::default()
                });
                plan.iter()
                    .map(|a| match a {
                        Action::AddNote { text, note_id } => Action::AddNote {
                            text: macros::render(text, &f),
                            note_id: note_id.clone(),
                        },
                        other => other.clone(),
                    })
                    .collect()
            }
        });
        super::Jobs::new(self.cx)
            .create_named(
                sel,
                &actions,
                Some(&prefix),
                None,
                each.as_ref().map(|f| f as &super::jobs::PerTicket),
            )
            .await
    }

    /// The demo's two macros, once, on a workspace with none: "Refund done" and "Escalate".
    pub async fn seed_demo(&self) -> Result<()> {
        if store::demo_seeded(&self.cx.cache).await? {
            return Ok(());
        }
        let dir = self.cx.cache.directory().await?;
        let tag = |name: &str| {
            dir.labels
                .iter()
                .find(|(_, l)| l.0.eq_ignore_ascii_case(name))
                .map(|(id, _)| id.to_string())
        };
        let team = |name: &str| {
            dir.teams
                .iter()
                .find(|(_, t)| t.eq_ignore_ascii_case(name))
                .map(|(id, _)| id.to_string())
        };
        let step = |action: Action| MacroStep { action, ask: false };
        let mut out = vec![];
        if let Some(refund) = tag("refund") {
            out.push(Macro {
                name: "Refund done".into(),
                steps: vec![
                    step(Action::AddTag { tag_id: refund }),
                    step(Action::AddNote {
                        text: "Refund sent to {contact.name} by {me.name}.".into(),
                        note_id: None,
                    }),
                    step(Action::Close),
                ],
                then_next: true,
            });
        }
        if let (Some(esc), Some(team)) = (tag("escalated"), team("escalations")) {
            out.push(Macro {
                name: "Escalate".into(),
                steps: vec![
                    step(Action::AssignTeam { team_id: team }),
                    step(Action::AddTag { tag_id: esc }),
                    MacroStep {
                        action: Action::AddNote {
                            text: String::new(),
                            note_id: None,
                        },
                        ask: true,
                    },
                ],
                then_next: false,
            });
        }
        for m in &out {
            store::save(&self.cx.cache, &dir, m).await?;
        }
        if !out.is_empty() {
            store::mark_demo_seeded(&self.cx.cache).await?;
        }
        Ok(())
    }
}

/// Each ticket's placeholders' values.
struct NoteFill {
    fills: std::collections::HashMap<u64, macros::Fill>,
}
