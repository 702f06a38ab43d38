//! The real app under Xvfb, driven over WebDriver (tauri-driver + WebKitWebDriver), on the demo
//! workspace. Run by scripts/test.sh:
//!   xvfb-run -a dbus-run-session -- cargo test -p desk-e2e -- --ignored
//! It needs the app built (`cargo build -p trengo-desk`) and `tauri-driver` on PATH.

use std::time::Duration;

use desk_e2e::{artifacts, launch, until, wait_for};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

async fn rows_text(c: &Client) -> Vec<String> {
    let mut out = vec![];
    for r in c
        .find_all(Locator::Css("[data-ticket-id]"))
        .await
        .unwrap_or_default()
    {
        out.push(r.text().await.unwrap_or_default());
    }
    out
}

/// A record's id by name, asked of the simulator as a client would (first page).
async fn id_by_name(http: &reqwest::Client, sim: &str, resource: &str, name: &str) -> Value {
    let page: Value = http
        .get(format!("{sim}/api/v2/{resource}?page=1"))
        .bearer_auth("demo-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("no {resource} {name}"))["id"]
        .clone()
}

#[tokio::test]
#[ignore = "needs a display and tauri-driver: run by scripts/test.sh under xvfb-run"]
async fn triage_a_ticket_in_the_demo_workspace() {
    let app = launch(&["--demo-rate-limit", "6000"]).await;
    let c = &app.client;
    let http = reqwest::Client::new();

    // The inbox lists seeded tickets.
    wait_for(c, "[data-ticket-id]").await;
    assert!(!rows_text(c).await.is_empty());

    // Filter by a team from the sidebar.
    let billing = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath("//nav//button[.//span[text()='Billing']]"))
        .await
        .unwrap();
    billing.click().await.unwrap();
    // Every listed ticket is Billing's, as the simulator knows it.
    let billing_id = id_by_name(&http, &app.sim, "teams", "Billing").await;
    until(c, "only Billing tickets", || async {
        let Ok(h) = c
            .find(Locator::Css("section[aria-label='Tickets'] h1"))
            .await
        else {
            return false;
        };
        if h.text().await.unwrap_or_default() != "Billing" {
            return false;
        }
        let mut ids = vec![];
        for r in c
            .find_all(Locator::Css("[data-ticket-id]"))
            .await
            .unwrap_or_default()
        {
            ids.push(
                r.attr("data-ticket-id")
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
            );
        }
        if ids.is_empty() {
            return false;
        }
        // A row re-rendered between finding and reading has no id: look again.
        if ids.iter().any(String::is_empty) {
            return false;
        }
        for id in ids.iter().take(10) {
            let Ok(r) = http
                .get(format!("{}/__sim/tickets/{id}", app.sim))
                .send()
                .await
            else {
                return false;
            };
            let t: Value = r.json().await.unwrap_or_default();
            if t["team_id"] != billing_id {
                return false;
            }
        }
        true
    })
    .await;

    // Open a ticket: the contact's fields and the thread show.
    let first = wait_for(c, "[data-ticket-id]").await;
    let id = first.attr("data-ticket-id").await.unwrap().unwrap();
    first.click().await.unwrap();
    let panel = wait_for(c, "article.ticket").await;
    until(c, "the contact card and thread", || async {
        // WebDriver reads text as rendered (headings are upper-cased by CSS).
        let t = panel.text().await.unwrap_or_default().to_lowercase();
        t.contains("customer id") && t.contains("conversation") && t.contains("plan")
    })
    .await;
    assert!(
        !c.find_all(Locator::Css("li.msg")).await.unwrap().is_empty(),
        "messages show"
    );

    // Add a tag by typing its name.
    c.find(Locator::Css("button[aria-label='Add a tag']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let input = wait_for(c, "input[aria-label='Add a tag']").await;
    input.send_keys("urgent").await.unwrap();
    input.send_keys("\u{E007}").await.unwrap(); // Enter
    until(c, "the toast", || async {
        c.find(Locator::XPath(
            "//*[contains(text(), 'urgent') and contains(text(), 'added')]",
        ))
        .await
        .is_ok()
    })
    .await;

    // The simulator's mutation log shows the attach, once, applied.
    let urgent = id_by_name(&http, &app.sim, "labels", "urgent").await;
    let log: Value = http
        .get(format!("{}/__sim/mutations", app.sim))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let attaches: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["path"] == format!("/tickets/{id}/labels") && m["body"]["label_id"] == urgent)
        .collect();
    assert_eq!(attaches.len(), 1, "one attach: {log}");
    assert_eq!(attaches[0]["applied"], true);
    // The list shows the chip.
    let row_css = format!("[data-ticket-id=\"{id}\"]");
    until(c, "the chip in the list", || async {
        let Ok(row) = c.find(Locator::Css(&row_css)).await else {
            return false;
        };
        // The chips' own text (WebDriver's rendered text skips clipped cells in WebKitGTK).
        for chip in row
            .find_all(Locator::Css(".chip"))
            .await
            .unwrap_or_default()
        {
            if chip
                .prop("textContent")
                .await
                .ok()
                .flatten()
                .is_some_and(|t| t.trim() == "urgent")
            {
                return true;
            }
        }
        false
    })
    .await;
    let png = c.screenshot().await.unwrap();
    std::fs::write(artifacts().join("inbox.png"), png).unwrap();

    // A contact whose name is HTML shows as text and runs nothing.
    let evil = "<img src=x onerror=alert(1)>";
    let r = http
        .post(format!("{}/__sim/inbound", app.sim))
        .json(&json!({"identifier": "xss@example.com", "contact_name": evil, "subject": "XSS check", "message": "<script>alert(2)</script> hello", "channel_id": 801}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    c.find(Locator::XPath("//nav//button[text()='All open']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("footer button.sync"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let search = c
        .find(Locator::Css("input[aria-label='Search tickets']"))
        .await
        .unwrap();
    until(c, "the new ticket in a search", || async {
        let _ = search.clear().await;
        let _ = search.send_keys("XSS check").await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        rows_text(c).await.iter().any(|r| r.contains("XSS check"))
    })
    .await;
    wait_for(c, "[data-ticket-id]").await.click().await.unwrap();
    let name = wait_for(c, "[data-testid='contact-name']").await;
    until(c, "the contact's name as text", || async {
        name.text().await.unwrap_or_default() == evil
    })
    .await;
    assert!(
        c.find_all(Locator::Css("img")).await.unwrap().is_empty(),
        "no <img> was made from data"
    );
    assert!(c.get_alert_text().await.is_err(), "no alert ran");
    // Messages are HTML in Trengo: shown as plain text, their markup dropped, never run.
    let body = c
        .find(Locator::Css("li.msg .body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body.trim(), "alert(2) hello");
    assert!(
        c.find_all(Locator::Css("article script"))
            .await
            .unwrap()
            .is_empty(),
        "no <script> was made from data"
    );
    let png = c.screenshot().await.unwrap();
    std::fs::write(artifacts().join("xss.png"), png).unwrap();

    // Notification settings open in a dialog and close again.
    c.find(Locator::XPath(
        "//nav//button[text()='Notifications & settings']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let dialog = wait_for(c, "[role='dialog']").await;
    until(c, "the settings", || async {
        dialog
            .text()
            .await
            .unwrap_or_default()
            .contains("Quiet hours")
    })
    .await;
    std::fs::write(
        artifacts().join("settings.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.find(Locator::XPath(
        "//div[@role='dialog']//button[text()='Cancel']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    until(c, "the dialog to close", || async {
        c.find(Locator::Css("[role='dialog']")).await.is_err()
    })
    .await;

    // Ending the session closes the app; the driver's process group goes with `app`.
    let _ = app.client.clone().close().await;
}
