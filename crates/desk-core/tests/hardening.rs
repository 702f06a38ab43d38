//! Bad input and hostile data against the simulator: each gets a clear error naming what was
//! wrong, nothing is lost or overwritten, and secrets stay where they belong.

mod common;

use std::sync::Arc;

use desk_core::enrich::{demo_source, HeaderSpec, SourceKind};
use desk_core::jobs::{Action, Selection};
use desk_core::view::TicketFilter;
use desk_core::{Desk, DeskConfig, ErrorCode, MemoryStore, SecretStore, Token};
use trengo_sim::{Faults, Size};
use trengo_unified::api::BudgetConfig;

fn all(status: &str) -> TicketFilter {
    TicketFilter {
        status: Some(desk_core::view::StatusFilter::parse(status).unwrap()),
        limit: 500,
        ..TicketFilter::default()
    }
}

#[tokio::test]
async fn an_unreadable_job_plan_is_an_error_that_names_the_job_and_is_left_as_it_is() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let id = *sim.state().world().tickets.keys().next().unwrap();
    let job = desk
        .jobs()
        .create(
            &Selection::Ids {
                ids: vec![id.to_string()],
            },
            &[Action::AddTag {
                tag_id: "1002".into(),
            }],
        )
        .await
        .unwrap();
    let db = common::db(&desk).await;
    sqlx::query("UPDATE job_items SET plan = '[{\"kind\": \"add_t' WHERE job_id = ?")
        .bind(job.id as i64)
        .execute(&db)
        .await
        .unwrap();
    let before = sim.state().mutations().len();
    let err = desk
        .jobs()
        .run(job.id, &|_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("job {}'s plan", job.id)) && err.contains("left as it is"),
        "{err}"
    );
    let err = desk
        .jobs()
        .items(job.id, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("job {}'s plan", job.id)), "{err}");
    let plan: String = sqlx::query_scalar("SELECT plan FROM job_items WHERE job_id = ?")
        .bind(job.id as i64)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(plan, "[{\"kind\": \"add_t", "nothing was overwritten");
    assert_eq!(sim.state().mutations().len(), before, "nothing was sent");
    assert_eq!(
        desk.jobs().get(job.id).await.unwrap().state.as_str(),
        "interrupted"
    );
}

#[tokio::test]
async fn trengos_status_words_work_in_any_case() {
    let (_sim, _dir, desk) = common::synced(Size::Small).await;
    let open = desk.tickets().search(&all("open")).await.unwrap().total;
    assert!(open > 0);
    assert_eq!(
        desk.tickets().search(&all("OPEN")).await.unwrap().total,
        open
    );
    assert_eq!(
        desk.tickets().search(&all("ASSIGNED")).await.unwrap().total,
        desk.tickets().search(&all("assigned")).await.unwrap().total
    );
    assert_eq!(
        desk.tickets().search(&all("Invalid")).await.unwrap().total,
        desk.tickets().search(&all("spam")).await.unwrap().total
    );
    // An unknown word is refused as the filter is read (the window's JSON, the CLI's --status).
    let e = desk_core::view::StatusFilter::parse("pending").unwrap_err();
    assert!(
        e.to_string().contains("OPEN, ASSIGNED, CLOSED and INVALID"),
        "{e}"
    );
}

#[tokio::test]
async fn a_data_dir_with_url_characters_is_a_plain_folder() {
    let sim = common::sim(Size::Small).await;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("a%20b?mode=ro#x");
    let desk = common::open(&sim, &dir).await;
    common::sync(&desk).await;
    assert!(
        desk.session().cache_path().starts_with(&dir),
        "{:?}",
        desk.session().cache_path()
    );
    assert!(desk.session().cache_path().exists());
    assert!(desk.tickets().search(&all("open")).await.unwrap().total > 0);
}

#[tokio::test]
async fn a_ticket_deleted_in_trengo_leaves_the_cache_and_one_refused_ticket_does_not_stop_sync() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let open: Vec<u64> = desk
        .tickets()
        .search(&all("open"))
        .await
        .unwrap()
        .rows
        .iter()
        .map(|r| r.id.parse().unwrap())
        .collect();
    // The oldest ones: not on the newest pages a sync reads, so only a re-read finds them.
    let mut open = open;
    open.sort_unstable();
    let (gone, hidden) = (open[0], open[1]);
    // In Trengo: one ticket deleted, another moved out of sight (closed, in a channel this
    // token may not read).
    sim.state().world().tickets.remove(&gone);
    {
        let mut w = sim.state().world();
        w.tickets.get_mut(&hidden).unwrap().status = trengo_sim::world::Status::Closed;
    }
    sim.state().set_faults(Faults {
        forbidden_tickets: vec![hidden],
        ..Faults::default()
    });
    let r = desk
        .sync()
        .run(&|_| {}, &std::sync::atomic::AtomicBool::new(false))
        .await
        .unwrap();
    assert_eq!(r.deleted, 1, "{r:?}");
    assert!(desk
        .tickets()
        .row(&gone.to_string())
        .await
        .unwrap()
        .is_none());
    assert!(desk.tickets().context(&gone.to_string()).await.is_err());
    assert_eq!(r.skipped.len(), 1, "{r:?}");
    assert!(
        r.skipped[0].contains(&hidden.to_string()) && r.skipped[0].contains("403"),
        "{r:?}"
    );
    // The next sync is not stopped by it either, and does not ask again.
    let before = sim.state().stats().requests;
    let r = desk
        .sync()
        .run(&|_| {}, &std::sync::atomic::AtomicBool::new(false))
        .await
        .unwrap();
    assert!(r.skipped.is_empty());
    assert!(sim.state().stats().requests > before);
}

/// A Desk whose secrets the test can look into.
async fn desk_with_store(
    sim: &trengo_sim::Sim,
    dir: &std::path::Path,
    store: Arc<MemoryStore>,
) -> Desk {
    let desk = Desk::open(DeskConfig {
        base_url: sim.base_url(),
        workspace: None,
        data_dir: Some(dir.to_path_buf()),
        token: Some(Token::new("demo-token")),
        secrets: store,
        budget: Some(BudgetConfig {
            limit: 1_000_000,
            ..BudgetConfig::default()
        }),
        read_only: false,
    })
    .await
    .unwrap();
    common::sync(&desk).await;
    desk
}

fn http_source(name: &str, url: &str, headers: Vec<HeaderSpec>) -> desk_core::enrich::SourceConfig {
    let mut s = demo_source("http://127.0.0.1:1");
    s.name = name.into();
    if let SourceKind::Http {
        url: u, headers: h, ..
    } = &mut s.kind
    {
        *u = url.into();
        *h = headers;
    }
    s
}

fn secret(name: &str) -> HeaderSpec {
    HeaderSpec {
        name: name.into(),
        value: None,
        secret: true,
    }
}

#[tokio::test]
async fn lookup_source_secrets_stay_secret_and_go_only_where_they_belong() {
    let sim = common::sim(Size::Small).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::default());
    let desk = desk_with_store(&sim, dir.path(), store.clone()).await;
    let key = |src: &str, h: &str| format!("lookup:{}:{src}:{h}", desk.session().workspace());

    // A secret header never travels in clear text off this machine.
    let e = desk
        .enrich()
        .save_source(
            &http_source(
                "CRM",
                "http://crm.example.com/c/{id}",
                vec![secret("X-Api-Key")],
            ),
            &[("X-Api-Key".into(), "k1".into())],
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("https only"), "{e}");
    assert!(store.get(&key("CRM", "X-Api-Key")).unwrap().is_none());

    // A header that carries a credential is a secret, however it was given: never in SQLite.
    let plain_auth = HeaderSpec {
        name: "Authorization".into(),
        value: Some("Bearer sk-live-123".into()),
        secret: false,
    };
    desk.enrich()
        .save_source(
            &http_source("CRM", "https://crm.example.com/c/{id}", vec![plain_auth]),
            &[],
        )
        .await
        .unwrap();
    let saved = desk.enrich().source("CRM").await.unwrap();
    let json = serde_json::to_string(&saved).unwrap();
    assert!(!json.contains("sk-live-123"), "{json}");
    assert_eq!(
        store
            .get(&key("CRM", "Authorization"))
            .unwrap()
            .unwrap()
            .expose(),
        "Bearer sk-live-123"
    );
    let db = common::db(&desk).await;
    let rows: Vec<String> = sqlx::query_scalar("SELECT json FROM enrich_sources")
        .fetch_all(&db)
        .await
        .unwrap();
    assert!(rows.iter().all(|r| !r.contains("sk-live-123")));

    // The same host on another port is elsewhere: the secret must be given again.
    let moved = http_source(
        "CRM",
        "https://crm.example.com:8443/c/{id}",
        vec![secret("Authorization")],
    );
    let e = desk.enrich().save_source(&moved, &[]).await.unwrap_err();
    assert!(e.to_string().contains("another host"), "{e}");

    // Removed: its keyring entries go too; a new source of the same name inherits nothing.
    store
        .set(&key("CRM", "X-Api-Key"), &Token::new("left over"))
        .unwrap();
    desk.enrich().remove_source("CRM").await.unwrap();
    assert!(desk.enrich().source("CRM").await.is_err());
    assert!(store.get(&key("CRM", "Authorization")).unwrap().is_none());
    let e = desk
        .enrich()
        .save_source(
            &http_source(
                "CRM",
                "https://crm.example.com/c/{id}",
                vec![secret("X-Api-Key")],
            ),
            &[],
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("give its value"), "{e}");
    assert_eq!(
        e.code(),
        ErrorCode::Invalid,
        "a leftover keyring value is not reused"
    );
}

/// Two Trengo accounts on one host: each has its own cache, token, sources and jobs, and a
/// workspace is chosen by its account, never by the host alone.
#[tokio::test]
async fn two_accounts_on_one_host_share_nothing() {
    let sim = trengo_sim::Sim::start(trengo_sim::SimConfig {
        size: Size::Small,
        rate_limit: 1_000_000,
        tokens: vec!["token-robin".into(), "token-sam".into()],
        ..trengo_sim::SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::default());
    let cfg = |workspace: Option<&str>, token: Option<&str>| DeskConfig {
        base_url: sim.base_url(),
        workspace: workspace.map(str::to_string),
        data_dir: Some(dir.path().to_path_buf()),
        token: token.map(Token::new),
        secrets: store.clone(),
        budget: Some(BudgetConfig {
            limit: 1_000_000,
            ..BudgetConfig::default()
        }),
        read_only: false,
    };
    let (robin, me) = Desk::sign_in(cfg(None, None), Token::new("token-robin"))
        .await
        .unwrap();
    assert_eq!(me.id, "3601");
    common::sync(&robin).await;
    let id = *sim.state().world().tickets.keys().next().unwrap();
    // Robin leaves a job unfinished.
    let job = robin
        .jobs()
        .create(
            &Selection::Ids {
                ids: vec![id.to_string()],
            },
            &[Action::Close],
        )
        .await
        .unwrap();
    let robin_ws = robin.session().workspace().to_string();
    let robin_cache = robin.session().cache_path().to_path_buf();
    drop(robin);

    let (sam, me) = Desk::sign_in(cfg(None, None), Token::new("token-sam"))
        .await
        .unwrap();
    assert_eq!(me.id, "3602");
    assert_ne!(sam.session().workspace(), robin_ws);
    assert_ne!(sam.session().cache_path(), robin_cache, "a cache file each");
    assert!(
        sam.jobs().list(10).await.unwrap().is_empty(),
        "Robin's job is not Sam's"
    );
    assert!(sam.jobs().resumable().await.unwrap().is_empty());
    assert!(
        sam.jobs().run(job.id, &|_| {}).await.is_err(),
        "nor can Sam run it"
    );
    assert_eq!(
        store
            .get(sam.session().workspace())
            .unwrap()
            .unwrap()
            .expose(),
        "token-sam"
    );
    assert_eq!(
        store.get(&robin_ws).unwrap().unwrap().expose(),
        "token-robin"
    );
    // Sam is now the current workspace; Robin's is one name away.
    assert_eq!(
        Desk::open(cfg(None, None))
            .await
            .unwrap()
            .session()
            .workspace(),
        sam.session().workspace()
    );
    drop(sam);
    let robin = Desk::open(cfg(Some("robin jansen"), None)).await.unwrap();
    assert_eq!(robin.session().workspace(), robin_ws);
    assert_eq!(robin.jobs().list(10).await.unwrap()[0].id, job.id);
    // A token from the environment opens its own account's workspace, and no other.
    drop(robin);
    let by_token = Desk::open(cfg(None, Some("token-robin"))).await.unwrap();
    assert_eq!(by_token.session().workspace(), robin_ws);
    drop(by_token);
    let e = Desk::open(cfg(Some(&robin_ws), Some("token-sam")))
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("not to workspace"), "{e}");
    assert_eq!(Desk::workspaces(Some(dir.path())).len(), 2);
    // Nothing Trengo did on the sim's side came from Sam for Robin's job.
    assert!(sim
        .state()
        .mutations()
        .iter()
        .all(|m| !m.path.contains(&format!("/tickets/{id}/close"))));
}

/// A cache from before workspaces were keyed by account becomes its user's workspace.
#[tokio::test]
async fn a_host_keyed_cache_becomes_its_accounts_workspace() {
    let sim = common::sim(Size::Small).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::default());
    let cfg = || DeskConfig {
        base_url: sim.base_url(),
        workspace: None,
        data_dir: Some(dir.path().to_path_buf()),
        token: None,
        secrets: store.clone(),
        budget: Some(BudgetConfig {
            limit: 1_000_000,
            ..BudgetConfig::default()
        }),
        read_only: false,
    };
    let (desk, _) = Desk::sign_in(cfg(), Token::new("demo-token"))
        .await
        .unwrap();
    common::sync(&desk).await;
    let id = desk.session().workspace().to_string();
    let path = desk.session().cache_path().to_path_buf();
    desk.shut().await;
    drop(desk);
    // The old layout: the file and the token under the host's name, no registry.
    let host = desk_core::host_id(&sim.base_url());
    let old = path.with_file_name(format!("{host}.sqlite3"));
    // With its write-ahead log, if the last connection left one.
    for suffix in ["", "-wal", "-shm"] {
        let from = format!("{}{suffix}", path.display());
        if std::path::Path::new(&from).exists() {
            std::fs::rename(&from, format!("{}{suffix}", old.display())).unwrap();
        }
    }
    std::fs::remove_file(dir.path().join("workspaces.json")).unwrap();
    let token = store.get(&id).unwrap().unwrap();
    store.delete(&id).unwrap();
    store.set(&host, &token).unwrap();

    let desk = Desk::open(cfg()).await.unwrap();
    assert_eq!(desk.session().workspace(), id);
    assert!(desk.session().has_token());
    assert!(!old.exists());
    assert!(store.get(&host).unwrap().is_none());
    assert!(
        desk.tickets().search(&all("open")).await.unwrap().total > 0,
        "its data came along"
    );
}

fn csv_source(name: &str, path: &str) -> desk_core::enrich::SourceConfig {
    let mut s = demo_source("http://127.0.0.1:1");
    s.name = name.into();
    s.kind = SourceKind::Csv {
        path: path.into(),
        key_column: "customer_id".into(),
    };
    s
}

/// A CSV source is a regular file of at most 50 MB, and an error quotes none of its content:
/// `/dev/zero` is not read until memory runs out, a FIFO does not hang the process, and a
/// secret file's first line does not come back in the error.
#[cfg(unix)]
#[tokio::test]
async fn a_csv_source_is_a_regular_file_and_its_errors_quote_nothing_of_it() {
    let (_sim, dir, desk) = common::synced(Size::Small).await;
    let secret_file = dir.path().join("credentials.txt");
    std::fs::write(&secret_file, "root:s3cr3t-passw0rd:0:0\nsecond line\n").unwrap();
    let fifo = dir.path().join("pipe.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for (path, expect) in [
        ("/dev/zero", "not a file"),
        (fifo.to_str().unwrap(), "not a file"),
        (dir.path().to_str().unwrap(), "not a file"),
        (secret_file.to_str().unwrap(), "no column \"customer_id\""),
    ] {
        let r = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            desk.enrich().save_source(&csv_source("File", path), &[]),
        )
        .await
        .unwrap_or_else(|_| panic!("{path}: the source is not read for ever"));
        let e = r.unwrap_err().to_string();
        assert!(e.contains(expect), "{path}: {e}");
        assert!(!e.contains("s3cr3t") && !e.contains("root:"), "{path}: {e}");
    }
}

/// A lookup goes nowhere on this machine, a private network or a link-local address (cloud
/// metadata) unless the lead allowed that host; a URL carries no credentials.
#[tokio::test]
async fn lookups_reach_no_private_host_unless_allowed_and_carry_no_credentials_in_urls() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let key = [(
        "X-Api-Key".to_string(),
        trengo_sim::DEFAULT_LOOKUP_KEY.to_string(),
    )];
    for (url, what) in [
        ("http://127.0.0.1:9/c/{id}", "this machine"),
        ("http://169.254.169.254/latest/meta-data/{id}", "link-local"),
        ("http://10.1.2.3:8080/c/{id}", "a private network"),
        ("http://[::1]:9/c/{id}", "this machine"),
        ("http://localhost:9/c/{id}", "this machine"),
    ] {
        let e = desk
            .enrich()
            .save_source(
                &http_source("Internal", url, vec![secret("X-Api-Key")]),
                &key,
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(what) && e.contains("allow-host"), "{url}: {e}");
    }
    for url in [
        "https://user:pass@crm.example.com/c/{id}",
        "https://crm.example.com/c/{id}?api_key=abc",
    ] {
        let e = desk
            .enrich()
            .save_source(&http_source("Creds", url, vec![]), &[])
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("secret header"), "{url}: {e}");
        assert!(!e.contains("pass@") && !e.contains("abc"), "{url}: {e}");
    }
    // Allowed, the simulator's customer system on this machine answers.
    let template = format!("{}/lookup/customers/{{id}}", sim.root_url());
    let src = http_source("CRM", &template, vec![secret("X-Api-Key")]);
    assert!(desk.enrich().save_source(&src, &key).await.is_err());
    desk.enrich().allow_host(&template).await.unwrap();
    desk.enrich().save_source(&src, &key).await.unwrap();
    let t = desk.enrich().test_source("CRM", "C-10001").await.unwrap();
    assert!(t.error.is_none(), "{t:?}");
    // A name that resolves to a private address is refused when it is looked up (the machine's
    // own name resolves to this machine or its private network).
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let host = host.trim();
    let port = sim.root_url().rsplit(':').next().unwrap().to_string();
    let private = match tokio::net::lookup_host((host, 0)).await {
        Ok(mut a) => a.any(|a| desk_core::enrich::source::private_ip(a.ip()).is_some()),
        Err(_) => false,
    };
    if !host.is_empty() && private {
        let url = format!("http://{host}:{port}/lookup/customers/{{id}}");
        // (No key: a secret never goes in clear text to another name; the name is refused first.)
        desk.enrich()
            .save_source(&http_source("By name", &url, vec![]), &[])
            .await
            .unwrap();
        let t = desk
            .enrich()
            .test_source("By name", "C-10001")
            .await
            .unwrap();
        assert!(
            t.error
                .as_deref()
                .is_some_and(|e| e.contains("resolves to")),
            "{t:?}"
        );
    }
}

/// A damaged list of workspaces is kept aside, not silently replaced: the app says where it is,
/// and the account's cache is found again at its next sign-in.
#[tokio::test]
async fn a_damaged_list_of_workspaces_is_kept_and_said() {
    let (sim, dir, desk) = common::synced(Size::Small).await;
    let workspace = desk.session().workspace().to_string();
    let cached = desk.tickets().search(&all("any")).await.unwrap().total;
    assert!(cached > 0);
    drop(desk);
    let list = dir.path().join("workspaces.json");
    std::fs::write(&list, "{\"current\": \"app.tren").unwrap();
    let e = common::try_open(&sim, dir.path(), None)
        .await
        .err()
        .expect("no workspace to open");
    let text = e.to_string();
    assert!(
        text.contains("kept as") && text.contains("workspaces.json.damaged-"),
        "{text}"
    );
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("workspaces.json.damaged-")
        })
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        std::fs::read_to_string(kept[0].path()).unwrap(),
        "{\"current\": \"app.tren",
        "kept as it was"
    );
    // Signed in again, the same account's cache, with its tickets, before any sync.
    let desk = common::open(&sim, dir.path()).await;
    assert_eq!(desk.session().workspace(), workspace);
    assert_eq!(
        desk.tickets().search(&all("any")).await.unwrap().total,
        cached
    );
}

/// Sign-out forgets the token; the lookup sources' secrets go too when the lead says so.
#[tokio::test]
async fn sign_out_removes_the_lookup_secrets_when_asked() {
    let sim = common::sim(Size::Small).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::default());
    let desk = desk_with_store(&sim, dir.path(), store.clone()).await;
    let template = format!("{}/lookup/customers/{{id}}", sim.root_url());
    desk.enrich().allow_host(&template).await.unwrap();
    let src = http_source("CRM", &template, vec![secret("X-Api-Key")]);
    let key = [(
        "X-Api-Key".to_string(),
        trengo_sim::DEFAULT_LOOKUP_KEY.to_string(),
    )];
    desk.enrich().save_source(&src, &key).await.unwrap();
    let lookup = format!("lookup:{}:CRM:X-Api-Key", desk.session().workspace());
    assert_eq!(desk.enrich().lookup_secret_count().await.unwrap(), 1);
    desk.session().logout(false).await.unwrap();
    assert!(store.get(&lookup).unwrap().is_some(), "kept when not asked");
    assert!(
        store.get(desk.session().workspace()).unwrap().is_none(),
        "the token is gone"
    );
    let desk = desk_with_store(&sim, dir.path(), store.clone()).await;
    desk.session().logout(true).await.unwrap();
    assert!(store.get(&lookup).unwrap().is_none(), "removed when asked");
}
