//! Pacing, retries and faults against the simulator over HTTP.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures::{StreamExt, TryStreamExt};
use trengo_api::{Client, ClientConfig, Error, Lane, RetryPolicy, TicketQuery, Token};
use trengo_sim::{Faults, SimConfig, Size};

#[tokio::test]
async fn a_429_burst_is_waited_out() {
    let sim = fast_sim().await;
    let c = fast_client(&sim);
    sim.state().set_faults(Faults {
        burst_429: 3,
        ..Faults::default()
    });
    let t = Instant::now();
    let me = c.me().await.expect("succeeds after the burst");
    assert_eq!(me.id, 3601);
    assert!(
        t.elapsed() >= Duration::from_secs(3),
        "Retry-After: 1 obeyed three times: {:?}",
        t.elapsed()
    );
    assert_eq!(c.budget().state().throttled_total, 3);
}

#[tokio::test]
async fn steady_load_over_three_windows_provokes_no_429() {
    let sim = sim_with(SimConfig {
        size: Size::Small,
        rate_limit: 20,
        window: Duration::from_secs(2),
        ..SimConfig::default()
    })
    .await;
    // The client starts with the wrong limit and learns Trengo's from the headers.
    let c = client_for(&sim, "demo-token", 25, Duration::from_secs(2)).lane(Lane::Bulk);
    let id = *sim.state().world().tickets.keys().next().unwrap();
    let results: Vec<_> = futures::stream::iter(0..60)
        .map(|i| {
            let c = c.clone();
            async move { c.attach_label(id, 1001 + (i % 10)).await }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    assert!(results.iter().all(Result::is_ok));
    let stats = sim.state().stats();
    assert_eq!(stats.rate_limited, 0, "no 429 in steady state");
    assert_eq!(
        c.budget().state().limit,
        20,
        "learned from X-RateLimit-Limit"
    );
}

#[tokio::test]
async fn idempotent_calls_survive_5xx_and_dropped_connections() {
    let sim = fast_sim().await;
    let c = fast_client(&sim).lane(Lane::Bulk);
    sim.state().set_faults(Faults {
        error_rate: 0.10,
        drop_before_rate: 0.025,
        drop_after_rate: 0.025,
        seed: 7,
        ..Faults::default()
    });
    let ids: Vec<u64> = sim.state().world().tickets.keys().copied().collect();
    let label = 1004;
    let work: Vec<(u64, bool)> = (0..500)
        .map(|i| (ids[i % ids.len()], !(150..300).contains(&i)))
        .collect();
    let results: Vec<_> = futures::stream::iter(work.iter().copied())
        .map(|(id, attach)| {
            let c = c.clone();
            async move {
                if attach {
                    c.attach_label(id, label).await
                } else {
                    c.ticket(id).await.map(drop)
                }
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    let stats = sim.state().stats();
    assert!(
        stats.injected.values().sum::<u64>() > 40,
        "faults were injected: {:?}",
        stats.injected
    );
    let w = sim.state().world();
    assert!(
        ids.iter()
            .all(|id| w.tickets[id].label_ids.contains(&label)),
        "every ticket got the label"
    );
    assert!(ids.iter().all(|id| w.tickets[id]
        .label_ids
        .iter()
        .filter(|l| **l == label)
        .count()
        == 1));
}

#[tokio::test]
async fn a_lost_note_is_an_unknown_outcome_never_a_duplicate() {
    let sim = fast_sim().await;
    let c = fast_client(&sim);
    let id = *sim.state().world().tickets.keys().next().unwrap();
    let before = sim.state().world().tickets[&id].messages.len();

    sim.state().set_faults(Faults {
        drop_after_rate: 1.0,
        ..Faults::default()
    });
    let err = c
        .post_message(id, "only once", true, &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnknownOutcome { .. }), "{err:?}");
    assert!(err
        .to_string()
        .contains("check in Trengo before trying again"));
    assert_eq!(
        sim.state().world().tickets[&id].messages.len(),
        before + 1,
        "applied once, not repeated"
    );

    sim.state().set_faults(Faults {
        error_rate: 1.0,
        seed: 3,
        ..Faults::default()
    });
    let err = c.post_message(id, "again", true, &[]).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnknownOutcome { .. } | Error::Server { status: 500, .. }
        ),
        "{err:?}"
    );
    let writes = sim
        .state()
        .mutations()
        .iter()
        .filter(|m| m.path.ends_with("/messages"))
        .count();
    assert_eq!(writes, 2, "each note was sent exactly once");

    // Not sent at all (nothing listening): safe to repeat, then a network error.
    sim.stopped().await;
    let mut cfg = ClientConfig::new(sim.base_url(), Token::new("demo-token"));
    cfg.retry = RetryPolicy {
        max_attempts: 2,
        base_backoff: Duration::from_millis(10),
        ..RetryPolicy::default()
    };
    let err = Client::new(cfg)
        .unwrap()
        .post_message(id, "x", true, &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Network { .. }), "{err:?}");
}

#[tokio::test]
async fn malformed_answers_to_reads_are_retried() {
    let sim = fast_sim().await;
    let c = fast_client(&sim);
    sim.state().set_faults(Faults {
        malformed_rate: 0.5,
        seed: 11,
        ..Faults::default()
    });
    let all: Vec<_> = c
        .all_tickets(&TicketQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 150);
    assert!(
        sim.state()
            .stats()
            .injected
            .get("malformed")
            .copied()
            .unwrap_or(0)
            > 0
    );
}

#[tokio::test]
async fn timeouts_say_so() {
    let sim = sim_with(SimConfig {
        faults: Faults {
            latency_ms: 1_000,
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .await;
    let mut cfg = ClientConfig::new(sim.base_url(), Token::new("demo-token"));
    cfg.timeout = Duration::from_millis(200);
    cfg.retry = RetryPolicy {
        max_attempts: 2,
        base_backoff: Duration::from_millis(10),
        ..RetryPolicy::default()
    };
    let err = Client::new(cfg).unwrap().me().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("did not answer"));
}

#[tokio::test]
async fn interactive_call_behind_200_bulk_calls_starts_within_a_slot() {
    // 60 per 6 s.
    let sim = sim_with(SimConfig {
        size: Size::Small,
        rate_limit: 60,
        window: Duration::from_secs(6),
        ..SimConfig::default()
    })
    .await;
    let c = client_for(&sim, "demo-token", 60, Duration::from_secs(6));
    let bulk = c.lane(Lane::Bulk);
    let id = *sim.state().world().tickets.keys().next().unwrap();
    let mut handles = vec![];
    for i in 0..200u64 {
        let b = bulk.clone();
        handles.push(tokio::spawn(async move {
            b.attach_label(id, 1001 + i % 10).await
        }));
    }
    // The window's background share (three quarters, while nothing is known of the user's
    // clicks) goes at the server's speed; the rest waits.
    assert!(
        sim.state()
            .until(Duration::from_secs(5), |s| s.stats().requests >= 40)
            .await
    );
    let st = c.budget().state();
    assert!(st.granted_total >= 40, "{st:?}");
    assert!(
        st.queued_bulk > 100,
        "the rest of the bulk calls are queued: {st:?}"
    );
    let t = Instant::now();
    c.me().await.unwrap();
    let waited = t.elapsed();
    // The reserve kept for the user: the request itself; behind the queue it would be about 20 s.
    assert!(
        waited < Duration::from_millis(400),
        "interactive waited {waited:?}"
    );
    for h in handles {
        h.abort();
    }
}
