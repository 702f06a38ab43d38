//! The CLI binary against the simulator over HTTP, as a script would use it.

use std::time::Duration;

use serde_json::Value;
use trengo_sim::{Sim, SimConfig, Size};

struct Env {
    sim: Sim,
    data: tempfile::TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

async fn env() -> Env {
    let sim = Sim::start(SimConfig {
        size: Size::Small,
        rate_limit: 1_000_000,
        anchor: Some(1_764_000_000),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    Env {
        sim,
        data: tempfile::tempdir().unwrap(),
    }
}

impl Env {
    async fn run_with(&self, token: Option<&str>, args: &[&str]) -> Run {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_trengo-desk-cli"));
        cmd.arg("--base-url")
            .arg(self.sim.base_url())
            .arg("--data-dir")
            .arg(self.data.path())
            .args(args);
        cmd.env_remove("TRENGO_TOKEN");
        if let Some(t) = token {
            cmd.env("TRENGO_TOKEN", t);
        }
        let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
            .await
            .expect("the CLI finishes")
            .expect("runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }

    async fn run(&self, args: &[&str]) -> Run {
        self.run_with(Some("demo-token"), args).await
    }
}

#[tokio::test]
async fn sync_search_look_and_act() {
    let e = env().await;
    let r = e.run(&["sync"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("Synced "), "{}", r.stdout);

    let team = e
        .sim
        .state()
        .world()
        .teams
        .values()
        .nth(1)
        .unwrap()
        .name
        .clone();
    let r = e.run(&["--json", "tickets", "--team", &team]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    let rows = v["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|t| t["team"]["name"] == team.as_str()));

    let id = rows[0]["id"].as_str().unwrap().to_string();
    let r = e.run(&["ticket", &id]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("Customer ID"),
        "the contact card: {}",
        r.stdout
    );
    assert!(r.stdout.contains("thread:"));

    let r = e.run(&["tag", &id, "--tag", "urgent"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let label = e
        .sim
        .state()
        .world()
        .labels
        .values()
        .find(|l| l.name == "urgent")
        .unwrap()
        .id;
    assert!(e.sim.state().world().tickets[&id.parse::<u64>().unwrap()]
        .label_ids
        .contains(&label));
    let r = e
        .run(&[
            "--json", "tickets", "--tag", "urgent", "--status", "any", "--limit", "500",
        ])
        .await;
    assert!(
        r.json()["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id.as_str()),
        "the cache knows at once"
    );

    let email = e
        .sim
        .state()
        .world()
        .users
        .values()
        .nth(3)
        .unwrap()
        .email
        .clone();
    assert_eq!(e.run(&["assign", &id, "--user", &email]).await.code, 0);
    assert_eq!(e.run(&["assign", &id, "--team", &team]).await.code, 0);
    assert_eq!(e.run(&["close", &id]).await.code, 0);
    assert_eq!(e.run(&["reopen", &id]).await.code, 0);
    assert_eq!(e.run(&["untag", &id, "--tag", "urgent"]).await.code, 0);
    let r = e.run(&["note", &id, "Called", "the", "customer"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let t = e.sim.state().world().tickets[&id.parse::<u64>().unwrap()].clone();
    assert_eq!(t.messages.last().unwrap().body, "Called the customer");
    assert!(!t.label_ids.contains(&label));

    let r = e.run(&["tag", &id, "--tag", "no-such-tag"]).await;
    assert_eq!(r.code, 5);
    assert!(r.stderr.contains("no tag \"no-such-tag\""), "{}", r.stderr);

    let r = e.run(&["directory"]).await;
    assert!(r.stdout.contains(&team));
}

#[tokio::test]
async fn unified_and_proxy() {
    let e = env().await;
    let r = e.run(&["unified", "list", "tickets", "--limit", "5"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["result"].as_array().unwrap().len(), 5);
    let cursor = v["next_cursor"].as_str().unwrap().to_string();
    let r = e
        .run(&[
            "unified", "list", "tickets", "--limit", "5", "--cursor", &cursor,
        ])
        .await;
    assert_eq!(r.code, 0);
    assert_ne!(r.json()["result"][0]["id"], v["result"][0]["id"]);
    let r = e
        .run(&[
            "unified", "list", "tickets", "--status", "closed", "--cursor", &cursor,
        ])
        .await;
    assert_eq!(r.code, 6, "a cursor from another query");
    assert!(
        r.stderr.contains("another query") || r.stderr.contains("other filters"),
        "{}",
        r.stderr
    );
    let r = e.run(&["unified", "list", "roles"]).await;
    assert!(r.json()["result"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == "supervisor"));
    let r = e.run(&["unified", "get", "users", "3601"]).await;
    assert_eq!(r.json()["name"], "Robin Jansen");
    let r = e.run(&["unified", "list", "nonsense"]).await;
    assert_eq!(r.code, 6);

    let r = e.run(&["proxy", "GET", "/users/me"]).await;
    assert_eq!(r.code, 0);
    assert_eq!(r.json()["data"]["id"], 3601);
    let r = e.run(&["proxy", "GET", "/tickets/1"]).await;
    assert_eq!(r.code, 6);
    assert!(r.stderr.contains("HTTP 404"));
    let r = e
        .run(&[
            "proxy",
            "POST",
            "/labels",
            "--data",
            "{\"name\": \"from-cli\"}",
        ])
        .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(e
        .sim
        .state()
        .world()
        .labels
        .values()
        .any(|l| l.name == "from-cli"));
}

#[tokio::test]
async fn tokens_offline_and_exit_codes() {
    let e = env().await;
    let r = e.run_with(None, &["sync"]).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("connect first"), "{}", r.stderr);
    let r = e.run_with(Some("wrong"), &["sync"]).await;
    assert_eq!(r.code, 7);
    assert!(r.stderr.contains("refused the token"), "{}", r.stderr);
    assert!(!r.stderr.contains("wrong"), "the token is never printed");

    assert_eq!(e.run(&["sync"]).await.code, 0);
    let id = e
        .sim
        .state()
        .world()
        .tickets
        .values()
        .next_back()
        .unwrap()
        .id
        .to_string();
    e.sim.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let r = e
        .run(&["--json", "tickets", "--text", "order", "--status", "any"])
        .await;
    assert_eq!(r.code, 0, "reading works offline: {}", r.stderr);
    let r = e.run(&["ticket", &id]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("offline"));
    let r = e.run(&["close", &id]).await;
    assert_eq!(r.code, 4);
    assert!(r.stderr.contains("can't be reached"), "{}", r.stderr);
}

#[tokio::test]
async fn watch_prints_a_line_per_new_assignment() {
    use tokio::io::AsyncBufReadExt;
    let e = env().await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_trengo-desk-cli"))
        .args(["--base-url", &e.sim.base_url(), "--data-dir"])
        .arg(e.data.path())
        .args(["watch", "--interval", "1"])
        .env("TRENGO_TOKEN", "demo-token")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    // Let the first poll learn what is there, then assign a ticket to me as a colleague would.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let id = e
        .sim
        .state()
        .world()
        .tickets
        .values()
        .find(|t| t.user_id.is_none())
        .unwrap()
        .id;
    let r = reqwest::Client::new()
        .post(format!("{}/__sim/assign", e.sim.root_url()))
        .json(&serde_json::json!({"ticket_id": id, "user_id": 3601}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("a line within a few polls")
        .unwrap()
        .unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["ticket_id"], id.to_string());
    assert_eq!(v["kind"], "me");
    assert!(
        tokio::time::timeout(Duration::from_millis(2_500), lines.next_line())
            .await
            .is_err(),
        "reported once"
    );
    child.kill().await.unwrap();
}
