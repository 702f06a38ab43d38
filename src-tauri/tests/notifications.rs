//! A real notification reaches a notification daemon on a D-Bus session bus. The daemon is our
//! own `org.freedesktop.Notifications` server, which records what it receives. Needs a session
//! bus: scripts/test.sh runs it under `dbus-run-session`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use trengo_desk_lib::notify::{show, Note};

/// App name, summary, body, actions, icon.
type Received = (String, String, String, Vec<String>, String);

#[derive(Clone, Default)]
struct Daemon {
    got: Arc<Mutex<Vec<Received>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Daemon {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut got = self.got.lock().unwrap();
        got.push((app_name, summary, body, actions, app_icon));
        got.len() as u32
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "actions".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "test-daemon".into(),
            "trengo-desk".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a D-Bus session bus: run by scripts/test.sh under dbus-run-session"]
async fn a_notification_reaches_the_daemon() {
    let daemon = Daemon::default();
    let _conn = zbus::connection::Builder::session()
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .serve_at("/org/freedesktop/Notifications", daemon.clone())
        .unwrap()
        .build()
        .await
        .unwrap();
    let note = Note {
        summary: "Assigned to you".into(),
        body: "Mara de Vries: Refund not received".into(),
        ticket_id: Some(desk_core::TicketId::new(318550001)),
        sla_view: None,
        filter: None,
    };
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        show(&note, false, || {}),
    )
    .await
    .expect("the daemon answers")
    .unwrap();
    let group = Note {
        summary: "12 new tickets in Billing".into(),
        body: "a\nb\nc".into(),
        ticket_id: None,
        sla_view: None,
        filter: None,
    };
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        show(&group, true, || {}),
    )
    .await
    .expect("the daemon answers")
    .unwrap();
    let got = daemon.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, "Trengo Desk");
    assert!(
        got[0].4.ends_with(".png") && std::path::Path::new(&got[0].4).exists(),
        "the app's icon: {}",
        got[0].4
    );
    assert_eq!(
        (got[0].1.as_str(), got[0].2.as_str()),
        ("Assigned to you", "Mara de Vries: Refund not received")
    );
    assert!(
        got[0].3.contains(&"default".to_string()),
        "a click opens the ticket: {:?}",
        got[0].3
    );
    assert_eq!(got[1].1, "12 new tickets in Billing");
    assert!(got[1].3.is_empty(), "a group opens nothing");

    // A group of SLA warnings opens the At risk view.
    let warning = Note {
        summary: "4 tickets in Billing breach within 15 min".into(),
        body: "#1 Refund (first reply due)".into(),
        ticket_id: None,
        sla_view: Some(desk_core::view::SlaFilter::AtRisk),
        filter: None,
    };
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        show(&warning, false, || {}),
    )
    .await
    .expect("the daemon answers")
    .unwrap();
    let warned = daemon.got.lock().unwrap().pop().unwrap();
    assert_eq!(warned.1, "4 tickets in Billing breach within 15 min");
    assert!(
        warned.3.contains(&"default".to_string()),
        "a click opens the view"
    );

    // A customer's name and subject are text, never markup the daemon would render (a message
    // whose HTML was turned into text may hold `<` again: `&lt;b&gt;` decodes to `<b>`).
    let hostile = Note {
        summary: "New in <b>Shipping & Returns</b>".into(),
        body: "<a href=\"https://evil.example\">Mara</a>: <img src=x> & <b>refund</b>".into(),
        ticket_id: Some(desk_core::TicketId::new(318550002)),
        sla_view: None,
        filter: None,
    };
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        show(&hostile, false, || {}),
    )
    .await
    .expect("the daemon answers")
    .unwrap();
    let got = daemon.got.lock().unwrap().clone();
    assert_eq!(
        got[2].1, "New in bShipping & Returns/b",
        "no tag in the summary"
    );
    assert_eq!(
        got[2].2,
        "&lt;a href=&quot;https://evil.example&quot;&gt;Mara&lt;/a&gt;: &lt;img src=x&gt; &amp; &lt;b&gt;refund&lt;/b&gt;"
    );
    assert!(!got[2].2.contains('<'));
}
