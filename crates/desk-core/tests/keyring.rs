//! The real OS keyring (Secret Service on Linux). Needs a D-Bus session with an unlocked
//! keyring, so it is ignored by a plain `cargo test`; scripts/test.sh runs it under
//! `dbus-run-session` with gnome-keyring.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use desk_core::{Desk, DeskConfig, KeyringStore, SecretStore, Token};
use trengo_sim::{Sim, SimConfig, Size};

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh under dbus-run-session"]
fn the_keyring_round_trips_a_secret() {
    let store = KeyringStore::with_service("trengo-desk-test");
    store.delete("ws-1").unwrap();
    assert!(store.get("ws-1").unwrap().is_none());
    store.set("ws-1", &Token::new("secret-1")).unwrap();
    store.set("ws-2", &Token::new("secret-2")).unwrap();
    assert_eq!(store.get("ws-1").unwrap().unwrap().expose(), "secret-1");
    assert_eq!(
        store.get("ws-2").unwrap().unwrap().expose(),
        "secret-2",
        "one entry per workspace"
    );
    store.set("ws-1", &Token::new("secret-1b")).unwrap();
    assert_eq!(store.get("ws-1").unwrap().unwrap().expose(), "secret-1b");
    store.delete("ws-1").unwrap();
    store.delete("ws-2").unwrap();
    assert!(store.get("ws-1").unwrap().is_none());
}

#[tokio::test]
#[ignore = "needs a Secret Service: run by scripts/test.sh under dbus-run-session"]
async fn a_login_survives_a_restart_through_the_keyring() {
    let sim = Sim::start(SimConfig {
        size: Size::Small,
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = || DeskConfig {
        base_url: sim.base_url(),
        workspace: None,
        data_dir: Some(dir.path().to_path_buf()),
        token: None,
        secrets: Arc::new(KeyringStore::new()),
        budget: None,
        read_only: false,
    };
    let open = || async { Desk::open(cfg()).await.unwrap() };
    let (desk, _) = Desk::sign_in(cfg(), Token::new("demo-token"))
        .await
        .unwrap();
    desk.session().logout(false).await.unwrap();
    assert!(!desk.session().has_token());
    let (desk, _) = Desk::sign_in(cfg(), Token::new("demo-token"))
        .await
        .unwrap();
    drop(desk);
    // A new process would find the token in the keyring.
    let again = open().await;
    assert!(again.session().has_token());
    again
        .sync()
        .run(&|_| {}, &AtomicBool::new(false))
        .await
        .unwrap();
    assert_eq!(
        KeyringStore::new()
            .get(again.session().workspace())
            .unwrap()
            .unwrap()
            .expose(),
        "demo-token"
    );
    again.session().logout(false).await.unwrap();
    assert!(KeyringStore::new()
        .get(again.session().workspace())
        .unwrap()
        .is_none());
}
