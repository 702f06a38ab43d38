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

impl App {
    /// The app's own cache file of the demo workspace, opened beside it (it waits up to 30 s for
    /// the app's writes): how a test sees what the app has done when the window does not say.
    pub async fn cache(&self) -> sqlx::SqlitePool {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(self.data.join("workspaces").join("demo.sqlite3"))
            .busy_timeout(Duration::from_secs(30));
        tokio::time::timeout(
            Duration::from_secs(30),
            sqlx::SqlitePool::connect_with(opts),
        )
        .await
        .expect("the app's cache opens within 30 s")
        .expect("the app's cache opens")
    }
}

pub async fn launch(extra_args: &[&str]) -> App {
    let data = std::env::temp_dir().join(format!("trengo-desk-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    launch_in(data, extra_args).await
}

/// Starts the app on the demo with its data in `data`, as it was left (a restart).
pub async fn launch_in(data: PathBuf, extra_args: &[&str]) -> App {
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
    // tauri-driver takes a moment to listen: a refused connection is asked again.
    let client = until_some(
        "a WebDriver session with the app",
        Duration::from_secs(10),
        || {
            // A session that never answers (an app stuck before its window) fails, not hangs.
            let mut builder = ClientBuilder::rustls().expect("tls");
            builder.capabilities(caps.clone());
            let url = format!("http://127.0.0.1:{port}");
            async move {
                match tokio::time::timeout(Duration::from_secs(60), builder.connect(&url)).await {
                    Ok(c) => c.ok(),
                    Err(_) => panic!("the app gave no WebDriver session within 60 s"),
                }
            }
        },
    )
    .await;
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

/// Polls `attempt` until it gives something, or panics after `limit` naming `what` (before
/// there is a window to take a screenshot of).
pub async fn until_some<T, F, Fut>(what: &str, limit: Duration, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let end = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = attempt().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < end,
            "no {what} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Polls until `check` holds, or saves a screenshot and panics after 30 s.
pub async fn until<F, Fut>(c: &Client, what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    until_within(c, what, Duration::from_secs(30), check).await
}

/// [`until`] with its own limit (for what waits on a poll interval).
pub async fn until_within<F, Fut>(c: &Client, what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = std::time::Instant::now() + limit;
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

/// Presses keys together (a chord such as Ctrl+K: `&[Key::Control.into(), 'k']`) through
/// WebDriver's keyboard, into whatever has the focus.
pub async fn chord(c: &Client, keys: &[char]) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut a = KeyActions::new("keyboard".into());
    for k in keys {
        a = a.then(KeyAction::Down { value: *k });
    }
    for k in keys.iter().rev() {
        a = a.then(KeyAction::Up { value: *k });
    }
    c.perform_actions(a).await.expect("keys pressed");
}

/// Types `text` key by key, as a person would (`\u{E007}` is Enter).
pub async fn type_keys(c: &Client, text: &str) {
    for k in text.chars() {
        chord(c, &[k]).await;
    }
}

/// Clicks with the mouse at a point of the window (CSS pixels from the viewport's top left), as a
/// person pointing at a chart's bar would.
pub async fn click_at(c: &Client, x: f64, y: f64) {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
    let a = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x: x.round(),
            y: y.round(),
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    c.perform_actions(a).await.expect("mouse clicked");
    c.release_actions().await.ok();
}
