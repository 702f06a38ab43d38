//! The token never appears in logs, errors or debug output. In a test binary of its own: its
//! thread's log subscriber must see every span, and no other test's thread can then have met the
//! client's callsites first (with no subscriber) and cached them as never wanted.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use trengo_api::Error;
use trengo_sim::{Faults, SimConfig};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_appears_nowhere() {
    const SECRET: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.top-secret-token";
    let sim = sim_with(SimConfig {
        tokens: vec![SECRET.into()],
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let c = client_for(&sim, SECRET, 100_000, Duration::from_secs(60));
    let mut texts = vec![format!("{c:?}")];
    c.me().await.unwrap();
    sim.state().set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let e = c.ticket(1).await.unwrap_err();
    texts.push(format!("{e} {e:?}"));
    sim.state().set_faults(Faults::default());
    let e = c.attach_label(1, 1).await.unwrap_err();
    texts.push(format!("{e} {e:?}"));
    let wrong = client_for(&sim, "not-the-token", 100, Duration::from_secs(60));
    let e = wrong.me().await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized { .. }));
    texts.push(format!("{e} {e:?}"));
    let r = c
        .raw(http::Method::GET, "/users/me", vec![], None)
        .await
        .unwrap();
    texts.push(format!("{r:?}"));
    texts.push(format!("{:?}", c.budget()));

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("trengo_request"), "spans were logged");
    assert!(logs.contains("/tickets/{id}"), "with the path template");
    for t in texts.iter().chain(std::iter::once(&logs)) {
        assert!(
            !t.contains("top-secret-token"),
            "the token leaked into: {t}"
        );
    }
}
