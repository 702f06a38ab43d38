//! The app on the demo workspace under Xvfb: cold start to the inbox listing tickets, memory after
//! opening ten tickets (PSS summed over the app and its WebKit processes, RSS beside it), and the
//! UI bundle's size.
//!
//!   bash scripts/ui.sh && cargo build -p trengo-desk
//!   WEBKIT_DISABLE_COMPOSITING_MODE=1 xvfb-run -a -s '-screen 0 1440x900x24' dbus-run-session -- \
//!     cargo run -p desk-e2e --example app_bench
//!
//! `TRENGO_DESK_APP=target/release/trengo-desk` measures the release build (scripts/package.sh).

use std::time::{Duration, Instant};

use desk_e2e::{descendants, launch, wait_for};
use fantoccini::Locator;

fn kib(path: &str, key: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn dir_size(dir: &std::path::Path) -> (u64, Vec<(String, u64)>) {
    let mut total = 0;
    let mut files = vec![];
    for e in walk(dir) {
        let n = std::fs::metadata(&e).map(|m| m.len()).unwrap_or(0);
        total += n;
        files.push((e.strip_prefix(dir).unwrap_or(&e).display().to_string(), n));
    }
    (total, files)
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let t = Instant::now();
    let app = launch(&[]).await;
    let session = t.elapsed();
    let c = &app.client;
    wait_for(c, "[data-ticket-id]").await;
    let listed = t.elapsed();
    println!("app: cold start to the inbox listing tickets: {:.2} s (the WebDriver session, which starts the app, took {:.2} s of it; Trengo's real 120/min)", listed.as_secs_f64(), session.as_secs_f64());

    // Open ten tickets, each with its thread read from Trengo.
    let mut opened = 0;
    let mut i = 0;
    while opened < 10 && i < 40 {
        let rows = c.find_all(Locator::Css("[data-ticket-id]")).await?;
        let Some(row) = rows.get(i) else { break };
        i += 1;
        let id = row.attr("data-ticket-id").await?.unwrap_or_default();
        if row.click().await.is_err() {
            continue;
        }
        let panel = c
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(&format!("article[aria-label='Ticket {id}']")))
            .await;
        if panel.is_ok() {
            c.wait()
                .at_most(Duration::from_secs(30))
                .for_element(Locator::Css("li.msg"))
                .await?;
            opened += 1;
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut pss = 0;
    let mut rss = 0;
    let mut parts = vec![];
    for pid in descendants(app.driver.0.id()) {
        let n = name(pid);
        if n.starts_with("WebKitWebDriver") || n == "tauri-driver" {
            continue;
        }
        let p = kib(&format!("/proc/{pid}/smaps_rollup"), "Pss:");
        let r = kib(&format!("/proc/{pid}/smaps_rollup"), "Rss:");
        pss += p;
        rss += r;
        parts.push(format!("{n} {} MB", p / 1024));
    }
    println!("app: memory after opening {opened} tickets: PSS {} MB, RSS {} MB, summed over the app and its WebKit processes ({})", pss / 1024, rss / 1024, parts.join(", "));

    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist");
    let (total, files) = dir_size(&dist);
    println!(
        "ui bundle: {} KB in {} files ({})",
        total / 1024,
        files.len(),
        files
            .iter()
            .map(|(f, n)| format!("{f} {:.1} KB", *n as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = app.client.clone().close().await;
    Ok(())
}
