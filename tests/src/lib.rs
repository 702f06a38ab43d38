//! The end-to-end harness: start the real app through tauri-driver (which runs WebKitWebDriver,
//! which runs the app), reach its demo simulator, and clean every process up afterwards. Used by
//! `tests/e2e.rs` and the `app_bench` example.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The app under test: the debug build, or `TRENGO_DESK_APP` (the release build, the installed
/// package's `/usr/bin/trengo-desk`).
pub fn app_binary() -> PathBuf {
    if let Ok(p) = std::env::var("TRENGO_DESK_APP")
        .map(|p| p.trim().to_string())
        .map_err(drop)
        .and_then(|p| if p.is_empty() { Err(()) } else { Ok(p) })
    {
        return PathBuf::from(p);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let p = target.join("debug/trengo-desk");
    assert!(
        p.exists(),
        "build the app first: cargo build -p trengo-desk ({} is missing)",
        p.display()
    );
    p
}

pub fn artifacts() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e");
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub struct Driver(pub Child);

/// The processes below `pid`, children first.
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut children: std::collections::HashMap<u32, Vec<u32>> = Default::default();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        // The parent pid is the second field after the parenthesised command name.
        if let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|x| x.parse::<u32>().ok())
        {
            children.entry(ppid).or_default().push(p);
        }
    }
    let mut out = vec![];
    fn walk(p: u32, c: &std::collections::HashMap<u32, Vec<u32>>, out: &mut Vec<u32>) {
        for k in c.get(&p).into_iter().flatten() {
            walk(*k, c, out);
            out.push(*k);
        }
    }
    walk(pid, &children, &mut out);
    out
}

impl Drop for Driver {
    fn drop(&mut self) {
        // tauri-driver runs WebKitWebDriver, which runs the app: end them all.
        for p in descendants(self.0.id()) {
            let _ = Command::new("kill")
                .args(["-KILL", &p.to_string()])
                .status();
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct App {
    pub client: Client,
    /// The demo simulator's root URL (its admin API is under `/__sim`).
    pub sim: String,
    pub driver: Driver,
    pub data: PathBuf,
}

pub async fn launch(extra_args: &[&str]) -> App {
    // Two TLS back ends are linked; WebDriver here is plain HTTP, but rustls wants one chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (port, native, sim_port) = (free_port(), free_port(), free_port());
    let driver = Command::new("tauri-driver")
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tauri-driver on PATH (cargo install tauri-driver --version 2.1.0 --locked)");
    let driver = Driver(driver);
    let data = std::env::temp_dir().join(format!("trengo-desk-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut args: Vec<String> = [
        "--demo",
        "--demo-port",
        &sim_port.to_string(),
        "--data-dir",
        &data.to_string_lossy(),
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend(extra_args.iter().map(|a| a.to_string()));
    let caps = json!({
        "browserName": "wry",
        "tauri:options": {
            "application": app_binary(),
            "args": args,
        }
    });
    let caps: serde_json::Map<String, Value> = caps.as_object().unwrap().clone();
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let client = client.expect("a WebDriver session with the app");
    App {
        client,
        sim: format!("http://127.0.0.1:{sim_port}"),
        driver,
        data,
    }
}

pub async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    find(c, Locator::Css(css)).await
}

/// Waits up to 30 s for the element `at` finds, or saves a screenshot and panics.
pub async fn find(c: &Client, at: Locator<'_>) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(at)
        .await
    {
        Ok(e) => e,
        Err(e) => {
            if let Ok(png) = c.screenshot().await {
                let _ = std::fs::write(artifacts().join("failure.png"), png);
            }
            panic!("{at:?} did not appear: {e} (screenshot: target/e2e/failure.png)")
        }
    }
}

/// Waits for the element `at` finds, then clicks it.
pub async fn click(c: &Client, at: Locator<'_>) {
    find(c, at).await.click().await.unwrap();
}

/// Polls until `check` holds, or saves a screenshot and panics after 30 s.
pub async fn until<F, Fut>(c: &Client, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < end {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(artifacts().join("failure.png"), png);
    }
    panic!("timed out waiting for {what} (screenshot: target/e2e/failure.png)");
}
