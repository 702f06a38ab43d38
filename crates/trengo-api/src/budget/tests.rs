//! Tests of the module above.

use super::*;

fn cfg(limit: u32, window_s: u64) -> BudgetConfig {
    BudgetConfig {
        limit,
        window: Duration::from_secs(window_s),
        reserve: Some(1),
        margin: Some(Duration::from_millis(100)),
        shared: None,
        sync_share_percent: 100,
    }
}

/// A request's round trip: granted, answered `latency` later with what the server counts.
async fn answered(b: &RequestBudget, lane: Lane, server: &mut Server, latency: Duration) {
    let p = b.acquire(lane).await;
    tokio::time::sleep(latency).await;
    let remaining = server.hit();
    b.observe(&p, Some(server.limit), remaining, Some(latency), None);
}

/// Laravel's fixed window, in virtual time: opened by the first hit.
struct Server {
    limit: u32,
    window: Duration,
    start: Option<Instant>,
    hits: u32,
    rejected: u32,
}

impl Server {
    fn new(limit: u32, window_s: u64) -> Server {
        Server {
            limit,
            window: Duration::from_secs(window_s),
            start: None,
            hits: 0,
            rejected: 0,
        }
    }

    fn hit(&mut self) -> Option<u32> {
        let now = Instant::now();
        if self
            .start
            .is_none_or(|s| now.duration_since(s) >= self.window)
        {
            self.start = Some(now);
            self.hits = 0;
        }
        if self.hits >= self.limit {
            self.rejected += 1;
            return Some(0);
        }
        self.hits += 1;
        Some(self.limit - self.hits)
    }
}

/// The background sync alone gets its share of each window and no more, however much it asks;
/// a bulk job running beside it gets the rest.
#[tokio::test(start_paused = true)]
async fn the_background_sync_never_takes_more_than_its_share() {
    let b = RequestBudget::new(BudgetConfig {
        sync_share_percent: 25,
        ..cfg(120, 60)
    });
    let server = Arc::new(Mutex::new(Server::new(120, 60)));
    let start = Instant::now();
    // Ten minutes of a sync that always has more to read.
    let sync_times = Arc::new(Mutex::new(vec![]));
    let (b2, s2, t2) = (b.clone(), server.clone(), sync_times.clone());
    let sync = tokio::spawn(async move {
        loop {
            let p = b2.acquire(Lane::Sync).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            let rem = s2.lock().unwrap().hit();
            b2.observe(&p, Some(120), rem, Some(Duration::from_millis(100)), None);
            t2.lock().unwrap().push(start.elapsed());
        }
    });
    tokio::time::sleep(Duration::from_secs(600)).await;
    let per_minute = |times: &[Duration]| {
        let mut m = [0u32; 10];
        for t in times.iter().filter(|t| t.as_secs() < 600) {
            m[(t.as_secs() / 60) as usize] += 1;
        }
        m
    };
    let alone = per_minute(&sync_times.lock().unwrap());
    let total: u32 = alone.iter().sum();
    // At most 30 requests in any window of the server's (one minute, opened by a request).
    let times = sync_times.lock().unwrap().clone();
    for (i, t) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|u| **u < *t + Duration::from_secs(60))
            .count();
        assert!(
            in_window <= 30,
            "{in_window} sync requests within a minute from {t:?}"
        );
    }
    assert!(
        (270..=300).contains(&total),
        "ten minutes of sync took {total} requests: {alone:?}"
    );

    // Now a bulk job beside it: the job gets what the sync leaves, and the sync no more.
    sync_times.lock().unwrap().clear();
    let t0 = start.elapsed();
    let mut bulk = 0;
    while start.elapsed() < t0 + Duration::from_secs(120) {
        let p = b.acquire(Lane::Bulk).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let rem = server.lock().unwrap().hit();
        b.observe(&p, Some(120), rem, Some(Duration::from_millis(50)), None);
        bulk += 1;
    }
    sync.abort();
    let synced = sync_times.lock().unwrap().len() as u32;
    assert!(
        synced <= 2 * 30 + 1,
        "the sync took {synced} in two minutes beside a job"
    );
    assert!(bulk >= 2 * 60, "the job got {bulk} requests in two minutes");
    assert_eq!(server.lock().unwrap().rejected, 0, "no 429");
}

#[tokio::test(start_paused = true)]
async fn a_window_is_used_at_the_servers_speed_and_never_overrun() {
    let b = RequestBudget::new(cfg(10, 10));
    let mut server = Server::new(10, 10);
    let start = Instant::now();
    let mut at = vec![];
    for _ in 0..30 {
        answered(&b, Lane::Bulk, &mut server, Duration::from_millis(50)).await;
        at.push(start.elapsed());
    }
    assert_eq!(server.rejected, 0, "no 429");
    // The first window's nine (limit − reserve) go at once, one answer after another.
    assert!(at[8] < Duration::from_millis(500), "{:?}", at[8]);
    // Then each window gives nine more: 30 requests need three windows and a bit.
    assert!(at[29] >= Duration::from_secs(30), "{at:?}");
    assert!(at[29] < Duration::from_secs(31), "{at:?}");
}

#[tokio::test(start_paused = true)]
async fn the_reserve_keeps_a_slot_for_a_click_while_the_background_fills_the_window() {
    let b = RequestBudget::new(cfg(10, 10));
    let mut server = Server::new(10, 10);
    for _ in 0..9 {
        answered(&b, Lane::Bulk, &mut server, Duration::from_millis(10)).await;
    }
    // The background is held now; a click goes at once.
    let b2 = b.clone();
    let bulk = tokio::spawn(async move { b2.acquire(Lane::Bulk).await });
    tokio::task::yield_now().await;
    let p = b.acquire(Lane::Interactive).await;
    assert_eq!(p.waited, Duration::ZERO);
    assert!(!bulk.is_finished());
    bulk.abort();
}

#[tokio::test(start_paused = true)]
async fn the_reserve_follows_the_clicks_and_goes_to_the_background_at_the_windows_end() {
    let c = BudgetConfig {
        reserve: None,
        ..cfg(120, 60)
    };
    let mut w = Window {
        limit: 120,
        ends: Some(60_000),
        fg_rate: Some(30.0),
        ..Window::default()
    };
    // At the window's start: room for 45 clicks (30 lately, and half again).
    assert_eq!(reserve_kept(&w, 0, &c), 45);
    // Half way: half of that.
    assert_eq!(reserve_kept(&w, 30_000, &c), 23);
    // Nothing known yet: a quarter of the window (a click every 2 s), released as it runs out.
    w.fg_rate = None;
    assert_eq!(reserve_kept(&w, 0, &c), 30);
    assert_eq!(reserve_kept(&w, 45_000, &c), 8);
    // No clicks lately: a tenth.
    w.fg_rate = Some(0.0);
    assert_eq!(reserve_kept(&w, 0, &c), 12);
    // In the last moments of the window, nothing is held back.
    assert_eq!(reserve_kept(&w, 59_000, &c), 0);
}

#[tokio::test(start_paused = true)]
async fn a_click_every_two_seconds_during_a_saturating_job_waits_at_most_a_moment() {
    // Trengo's real 120 a minute; a click every 2 s.
    let b = RequestBudget::new(BudgetConfig {
        reserve: None,
        margin: Some(Duration::from_millis(100)),
        ..cfg(120, 60)
    });
    let server = Arc::new(Mutex::new(Server::new(120, 60)));
    let bulk = {
        let (b, server) = (b.clone(), server.clone());
        tokio::spawn(async move {
            loop {
                let p = b.acquire(Lane::Bulk).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                let r = server.lock().unwrap().hit();
                b.observe(&p, Some(120), r, None, None);
            }
        })
    };
    let mut waits = vec![];
    for _ in 0..150 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let p = b.acquire(Lane::Interactive).await;
        waits.push(p.waited);
        let r = server.lock().unwrap().hit();
        b.observe(&p, Some(120), r, None, None);
    }
    bulk.abort();
    waits.sort();
    let p95 = waits[waits.len() * 95 / 100];
    assert!(p95 <= Duration::from_millis(500), "p95 {p95:?}: {waits:?}");
    assert_eq!(server.lock().unwrap().rejected, 0, "no 429");
    // And the background used most of what the clicks left.
    assert!(b.state().granted_total > 150 + 4 * 80, "{:?}", b.state());
}

#[tokio::test(start_paused = true)]
async fn a_429_holds_every_lane() {
    let b = RequestBudget::new(cfg(100, 60));
    let p = b.acquire(Lane::Interactive).await;
    b.observe(&p, None, Some(0), None, Some(Duration::from_secs(5)));
    let t = Instant::now();
    b.acquire(Lane::Interactive).await;
    assert!(t.elapsed() >= Duration::from_secs(5));
    assert_eq!(b.state().throttled_total, 1);
}

#[tokio::test(start_paused = true)]
async fn requests_from_elsewhere_slow_us_down() {
    let b = RequestBudget::new(cfg(10, 10));
    let p = b.acquire(Lane::Interactive).await;
    // Trengo says only 1 is left: 8 others were used elsewhere.
    b.observe(&p, Some(10), Some(1), None, None);
    assert_eq!(b.state().used_in_window, 9);
    let t = Instant::now();
    b.acquire(Lane::Bulk).await;
    assert!(
        t.elapsed() >= Duration::from_secs(9),
        "waited {:?}",
        t.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_window_opens_with_one_request_and_a_lost_one_lets_the_next_try() {
    let b = RequestBudget::new(cfg(10, 10));
    let first = b.acquire(Lane::Bulk).await;
    // Until the first answer, nobody else goes.
    let waiting = tokio::time::timeout(Duration::from_millis(100), b.acquire(Lane::Bulk)).await;
    assert!(waiting.is_err());
    // Its request got no answer (the connection broke): the next one probes.
    drop(first);
    let second = tokio::time::timeout(Duration::from_millis(100), b.acquire(Lane::Bulk)).await;
    assert!(second.is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_wait_leaves_the_queue() {
    let b = RequestBudget::new(cfg(1, 10));
    let p = b.acquire(Lane::Interactive).await;
    b.observe(&p, None, Some(0), None, None);
    let waiting = tokio::time::timeout(Duration::from_millis(10), b.acquire(Lane::Bulk)).await;
    assert!(waiting.is_err());
    assert_eq!(b.state().queued(), 0);
}

#[tokio::test(start_paused = true)]
async fn two_processes_on_one_file_share_the_window() {
    let dir = std::env::temp_dir().join(format!("budget-test-{}", std::process::id()));
    let file = dir.join("token.budget");
    let _ = std::fs::remove_file(&file);
    let shared = BudgetConfig {
        shared: Some(file.clone()),
        ..cfg(10, 10)
    };
    // Two budgets on one file stand for two processes.
    let a = RequestBudget::new(shared.clone());
    let b = RequestBudget::new(shared);
    let mut server = Server::new(10, 10);
    for _ in 0..5 {
        answered(&a, Lane::Bulk, &mut server, Duration::from_millis(10)).await;
    }
    for _ in 0..4 {
        answered(&b, Lane::Bulk, &mut server, Duration::from_millis(10)).await;
    }
    assert_eq!(a.state().used_in_window, 9);
    // Both are now held back: the window's background share is used.
    let t = Instant::now();
    answered(&a, Lane::Bulk, &mut server, Duration::from_millis(10)).await;
    assert!(t.elapsed() >= Duration::from_secs(9), "{:?}", t.elapsed());
    assert_eq!(server.rejected, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

fn shared_cfg(name: &str) -> (std::path::PathBuf, BudgetConfig) {
    let dir = std::env::temp_dir().join(format!("budget-{name}-{}", std::process::id()));
    let file = dir.join("token.budget");
    let _ = std::fs::remove_file(&file);
    let c = BudgetConfig {
        shared: Some(file),
        ..cfg(10, 10)
    };
    (dir, c)
}

/// A process whose clock runs an hour ahead (skewed, or the others were suspended) writes
/// window ends an hour off; another process waits at most a window, not the hour (before:
/// 3,544 s).
#[tokio::test(start_paused = true)]
async fn a_clock_an_hour_ahead_holds_no_other_process_for_long() {
    let (dir, c) = shared_cfg("ahead");
    let ahead = RequestBudget::new(c.clone());
    ahead
        .inner
        .jumped_ms
        .store(3_600_000, std::sync::atomic::Ordering::Relaxed);
    let other = RequestBudget::new(c);
    let mut server = Server::new(10, 10);
    for _ in 0..10 {
        answered(&ahead, Lane::Bulk, &mut server, Duration::from_millis(10)).await;
    }
    let t = Instant::now();
    answered(
        &other,
        Lane::Interactive,
        &mut server,
        Duration::from_millis(10),
    )
    .await;
    assert!(
        t.elapsed() <= Duration::from_secs(11),
        "held {:?} by another process's clock",
        t.elapsed()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A process that slept through a suspend (its monotonic clock an hour behind the wall clock)
/// catches up before it writes the shared window: its window's end is now's, not an hour
/// in the past (which let the others reopen a window the server still counts).
#[tokio::test(start_paused = true)]
async fn a_suspended_process_catches_up_with_the_wall_clock() {
    let (dir, c) = shared_cfg("suspend");
    let file = c.shared.clone().unwrap();
    let woke = RequestBudget::new(c);
    woke.inner
        .jumped_ms
        .store(-3_600_000, std::sync::atomic::Ordering::Relaxed);
    let mut server = Server::new(10, 10);
    answered(&woke, Lane::Bulk, &mut server, Duration::from_millis(10)).await;
    let w: Window = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let ends = w.ends.unwrap();
    let wall = system_ms();
    assert!(
        ends >= wall - 1_000 && ends <= wall + 11_000,
        "the window ends {} s from the wall clock's now",
        (ends - wall) / 1000
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn times_another_clock_wrote_are_bounded_on_read() {
    let c = cfg(10, 60);
    let mut w = Window {
        ends: Some(1_000 + 3_600_000),
        blocked_until: Some(1_000 + 7_200_000),
        probe: Some(1_000 + 3_600_000),
        ..Window::default()
    };
    bound(&mut w, 1_000, &c);
    assert_eq!(w.ends, Some(1_000 + 60_000 + 100));
    assert_eq!(w.blocked_until, Some(1_000 + 120_000));
    assert_eq!(w.probe, Some(1_000));
    // Times within reason stay as written.
    let mut w2 = Window {
        ends: Some(30_000),
        blocked_until: Some(5_000),
        probe: Some(500),
        ..Window::default()
    };
    let before = w2.clone();
    bound(&mut w2, 1_000, &c);
    assert_eq!(w2, before);
}

#[tokio::test(start_paused = true)]
async fn a_small_job_is_a_matter_of_seconds_and_a_large_one_of_windows() {
    let b = RequestBudget::new(BudgetConfig::default());
    // 47 requests fit Trengo's window: at the server's pace, 8 at a time.
    assert!(b.eta(47, 8) < Duration::from_secs(2), "{:?}", b.eta(47, 8));
    // 741 requests at 120 a minute: six more windows after the first.
    let big = b.eta(741, 8);
    assert!(
        big >= Duration::from_secs(360) && big < Duration::from_secs(420),
        "{big:?}"
    );
}

#[test]
fn same_token_same_budget() {
    let t = crate::Token::new("tok");
    let a = RequestBudget::for_token("http://x/api/v2", &t, BudgetConfig::default());
    let b = RequestBudget::for_token("http://x/api/v2/", &t, BudgetConfig::default());
    let c = RequestBudget::for_token(
        "http://x/api/v2",
        &crate::Token::new("other"),
        BudgetConfig::default(),
    );
    assert!(Arc::ptr_eq(&a.inner, &b.inner));
    assert!(!Arc::ptr_eq(&a.inner, &c.inner));
}

#[test]
fn the_rules_in_one_place() {
    let c = cfg(10, 10);
    let mut w = Window {
        limit: 10,
        ..Window::default()
    };
    // A new window: one probe, then wait for its answer.
    assert!(matches!(
        decide(&mut w, Lane::Bulk, 0, &c, 100),
        Turn::Go { probe: true, .. }
    ));
    assert_eq!(decide(&mut w, Lane::Bulk, 1, &c, 100), Turn::WaitForProbe);
    // Answered: the window ends at most a window (and the margin) after the answer.
    w.ends = Some(50 + 10_000 + 100);
    w.probe = None;
    for _ in 0..8 {
        assert!(matches!(
            decide(&mut w, Lane::Bulk, 60, &c, 100),
            Turn::Go { .. }
        ));
    }
    // 9 used: the background waits for the window's last 2% (then the reserve is its too), a
    // click does not wait.
    assert_eq!(
        decide(&mut w, Lane::Bulk, 60, &c, 100),
        Turn::WaitUntil(9_950)
    );
    assert!(matches!(
        decide(&mut w, Lane::Interactive, 60, &c, 100),
        Turn::Go { .. }
    ));
    assert_eq!(
        decide(&mut w, Lane::Interactive, 60, &c, 100),
        Turn::WaitUntil(10_150)
    );
    // After the end: a new window, opened by a probe.
    assert!(matches!(
        decide(&mut w, Lane::Bulk, 10_150, &c, 100),
        Turn::Go { probe: true, .. }
    ));
    assert_eq!(w.generation, 1);
    assert_eq!(w.fg_rate, Some(1.0));
}
