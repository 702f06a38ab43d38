//! Who runs a job: a runner claims it (unless a live process holds it), keeps a heartbeat, and
//! each send first checks the claim is still its own (a lease).

use super::*;
use crate::error::{Error, Result};
use crate::jobs::decode;
use crate::jobs::model::{Action, JobState};
use chrono::Utc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use trengo_unified::api::SendGate;

impl Runner<'_> {
    pub(super) async fn claim(&self, job: i64, token: &str) -> Result<()> {
        let row: Option<crate::jobs::RunnerRow<String>> = sqlx::query_as(
            "SELECT state, runner_pid, runner_token, heartbeat_at FROM jobs WHERE id = ?",
        )
        .bind(job)
        .fetch_optional(&self.store.pool)
        .await?;
        let Some((state, pid, old, hb)) = row else {
            return Err(Error::NotFound(format!("there is no job {job}")));
        };
        let state = JobState::parse(&state)?;
        if old.is_some() && runner_alive(pid, hb) {
            return Err(Error::Invalid(format!(
                "job {job} is being run by another process (pid {}); wait for it or stop that process",
                pid.unwrap_or(0)
            )));
        }
        if state == JobState::Done {
            return Err(Error::Invalid(format!(
                "job {job} is finished; retry its failed items or undo it instead"
            )));
        }
        let undone: Option<i64> = sqlx::query_scalar("SELECT undone_by FROM jobs WHERE id = ?")
            .bind(job)
            .fetch_one(&self.store.pool)
            .await?;
        if let Some(u) = undone {
            return Err(Error::Invalid(format!(
                "job {job} was undone by job {u}; it does not run again"
            )));
        }
        let r = sqlx::query(
            "UPDATE jobs SET state = 'running', reason = NULL, finished_at = NULL, runner_pid = ?, runner_token = ?, heartbeat_at = ?,
             started_at = COALESCE(started_at, ?) WHERE id = ? AND runner_token IS ?",
        )
        .bind(std::process::id() as i64)
        .bind(token)
        .bind(now_ms())
        .bind(Utc::now().timestamp())
        .bind(job)
        .bind(old)
        .execute(&self.store.pool)
        .await?;
        if r.rows_affected() != 1 {
            return Err(Error::Invalid(format!(
                "job {job} was taken by another process just now"
            )));
        }
        if state == JobState::Cancelled {
            // Resuming a cancelled job: what was cancelled is pending again.
            sqlx::query("UPDATE job_items SET state = 'pending', reason = NULL WHERE job_id = ? AND state = 'cancelled'")
                .bind(job)
                .execute(&self.store.pool)
                .await?;
        }
        Ok(())
    }

    pub(super) async fn load_pending(&self, job: i64) -> Result<Vec<Item>> {
        type Row = (
            i64,
            i64,
            String,
            Option<String>,
            Option<String>,
            i64,
            i64,
            String,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT seq, ticket_id, plan, before, expect, step, in_flight, outcomes, requests FROM job_items WHERE job_id = ? AND state = 'pending' ORDER BY seq",
        )
        .bind(job)
        .fetch_all(&self.store.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (seq, t, plan, before, expect, step, in_flight, outcomes, requests) in rows {
            let plan: Vec<Action> = decode(job, "plan", &plan)?;
            let step = step as usize;
            if step > plan.len() {
                return Err(Error::Invalid(format!(
                    "job {job}'s item {seq} is at step {step} of a plan of {}; it was left as it is",
                    plan.len()
                )));
            }
            out.push(Item {
                seq,
                target: t as u64,
                plan,
                before: before
                    .map(|b| decode(job, "before-state", &b))
                    .transpose()?,
                expect: expect.map(|e| decode(job, "undo state", &e)).transpose()?,
                step,
                in_flight: in_flight != 0,
                outcomes: decode(job, "outcomes", &outcomes)?,
                conflicts: vec![],
                requests: requests as u32,
            });
        }
        Ok(out)
    }
}

/// Whether the process `pid` exists (Linux reads /proc; elsewhere unknown).
pub(crate) fn pid_alive(pid: i64) -> Option<bool> {
    if cfg!(target_os = "linux") {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // A zombie has died; only its exit status is left.
            Ok(s) => Some(
                s.rsplit_once(')')
                    .map(|(_, rest)| !matches!(rest.trim_start().chars().next(), Some('Z' | 'X')))
                    .unwrap_or(true),
            ),
            Err(_) => Some(false),
        }
    } else {
        None
    }
}

/// Whether a runner still holds its job: it said so within the lease, and its process lives. A
/// paused (stopped) process that outlives its lease loses the job. A heartbeat from the future
/// (the clock was set back since) vouches for nothing: it is bounded on read, not trusted for as
/// long as the clock was wrong.
pub(crate) fn runner_alive(pid: Option<i64>, heartbeat_ms: Option<i64>) -> bool {
    fresh_at(now_ms(), heartbeat_ms) && pid.and_then(pid_alive).unwrap_or(true)
}

/// Whether a heartbeat at `heartbeat_ms` is within the lease at `now`, on either side.
pub(crate) fn fresh_at(now: i64, heartbeat_ms: Option<i64>) -> bool {
    heartbeat_ms.is_some_and(|h| (now - h).abs() < lease_ms())
}

/// The runner's claim, proved again at the moment each request leaves: a compare-and-set on the
/// job's run token, which also renews the lease.
pub(super) struct Lease {
    pub(super) pool: sqlx::SqlitePool,
    pub(super) job: i64,
    pub(super) token: String,
    pub(super) lost: Arc<AtomicBool>,
}

impl SendGate for Lease {
    fn check(&self) -> futures::future::BoxFuture<'_, std::result::Result<(), String>> {
        Box::pin(async move {
            if self.lost.load(Ordering::Relaxed) {
                return Err(format!("job {} belongs to another process now", self.job));
            }
            let r =
                sqlx::query("UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND runner_token = ?")
                    .bind(now_ms())
                    .bind(self.job)
                    .bind(&self.token)
                    .execute(&self.pool)
                    .await;
            match r {
                Ok(r) if r.rows_affected() == 1 => Ok(()),
                Ok(_) => {
                    self.lost.store(true, Ordering::Relaxed);
                    Err(format!("job {} belongs to another process now", self.job))
                }
                Err(e) => Err(format!(
                    "job {}'s claim could not be checked: {e}",
                    self.job
                )),
            }
        })
    }
}
