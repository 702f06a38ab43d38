//! The commands the UI calls: each delegates to `Desk`. Expected outcomes (not connected yet,
//! offline while opening a ticket) are data; failures are `ApiError`.

use std::sync::Arc;

use desk_core::jobs::ActionDone;
use desk_core::view::*;
use desk_core::{
    DemoOptions, Desk, DeskConfig, ErrorCode, KeyringStore, OpenedTicket, SavedView, StatusView,
    Token, WorkspaceEntry, WorkspaceSettings,
};
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::error::{ApiError, Result};
use crate::events;
use crate::state::AppState;

/// Where the app is: connected to a workspace, or waiting to be.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "type")]
pub enum Session {
    /// First run, a revoked token, or signed out: show Connect.
    NeedsLogin {
        base_url: String,
        problem: Option<String>,
    },
    Ready {
        workspace: String,
        base_url: String,
        demo: bool,
        user: Option<UserItem>,
    },
}

async fn ready(desk: &Desk) -> Session {
    // Asked of Trengo once, then remembered; offline, the views that need it wait.
    let user = desk.me().await.ok();
    Session::Ready {
        workspace: desk.workspace().to_string(),
        base_url: desk.base_url().to_string(),
        demo: desk.is_demo(),
        user,
    }
}

/// Makes `desk` the open workspace and starts its background work.
async fn install(app: &AppHandle, st: &AppState, desk: Desk) -> Session {
    st.close().await;
    let desk = Arc::new(desk);
    let s = ready(&desk).await;
    *st.open.write().await = Some(events::start(app, desk));
    s
}

/// The session, opening the last workspace (or the demo) on the first call.
#[tauri::command]
#[specta::specta]
pub async fn session(app: AppHandle, st: State<'_, AppState>) -> Result<Session> {
    let mut tried = st.opening.lock().await;
    if let Some(bg) = st.open.read().await.clone() {
        return Ok(ready(bg.desk()).await);
    }
    let first = !*tried;
    *tried = true;
    if first && st.launch.demo {
        let desk = Desk::open_demo(
            st.launch.data_dir.clone(),
            DemoOptions {
                port: st.launch.demo_port,
                rate_limit: st.launch.demo_rate_limit,
                fresh: true,
            },
        )
        .await?;
        return Ok(install(&app, &st, desk).await);
    }
    // The workspace used last (each Trengo account has its own).
    let opened = Desk::open(DeskConfig {
        base_url: DeskConfig::default_base_url().into(),
        workspace: st.current_workspace(),
        data_dir: st.launch.data_dir.clone(),
        token: None,
        secrets: Arc::new(KeyringStore::new()),
        budget: None,
    })
    .await;
    let desk = match opened {
        Ok(d) => d,
        Err(desk_core::Error::NeedsLogin { why }) => {
            return Ok(Session::NeedsLogin {
                base_url: DeskConfig::default_base_url().into(),
                problem: why,
            })
        }
        Err(e) => return Err(e.into()),
    };
    if !desk.has_token() {
        let problem = Some(ApiError::from(desk_core::Error::NeedsLogin { why: None }).message);
        return Ok(Session::NeedsLogin {
            base_url: desk.base_url().to_string(),
            problem,
        });
    }
    Ok(install(&app, &st, desk).await)
}

/// Checks the token with Trengo, stores it in the OS keyring, and opens the workspace.
#[tauri::command]
#[specta::specta]
pub async fn connect(
    app: AppHandle,
    st: State<'_, AppState>,
    base_url: String,
    token: String,
) -> Result<Session> {
    let _one = st.opening.lock().await;
    let token = Token::new(token);
    if token.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Invalid,
            "Paste your personal access token (Trengo: Settings → Apps & Integrations → API).",
        ));
    }
    let (desk, _me) = Desk::sign_in(
        DeskConfig {
            base_url: base_url.clone(),
            workspace: None,
            data_dir: st.launch.data_dir.clone(),
            token: None,
            secrets: Arc::new(KeyringStore::new()),
            budget: None,
        },
        token,
    )
    .await?;
    Ok(install(&app, &st, desk).await)
}

/// The Trengo accounts this machine has connected to, the current one first.
#[tauri::command]
#[specta::specta]
pub async fn list_workspaces(st: State<'_, AppState>) -> Result<Vec<WorkspaceEntry>> {
    Ok(Desk::workspaces(st.launch.data_dir.as_deref()))
}

/// Opens another account's workspace (its token from the keyring; without one, Connect asks).
#[tauri::command]
#[specta::specta]
pub async fn switch_workspace(
    app: AppHandle,
    st: State<'_, AppState>,
    id: String,
) -> Result<Session> {
    let _one = st.opening.lock().await;
    let desk = Desk::open(DeskConfig {
        base_url: DeskConfig::default_base_url().into(),
        workspace: Some(id),
        data_dir: st.launch.data_dir.clone(),
        token: None,
        secrets: Arc::new(KeyringStore::new()),
        budget: None,
    })
    .await?;
    desk.make_current()?;
    if !desk.has_token() {
        st.close().await;
        return Ok(Session::NeedsLogin {
            base_url: desk.base_url().to_string(),
            problem: Some(format!(
                "Connect again to {}: its token is no longer in the keyring.",
                desk.workspace()
            )),
        });
    }
    Ok(install(&app, &st, desk).await)
}

#[tauri::command]
#[specta::specta]
pub async fn start_demo(app: AppHandle, st: State<'_, AppState>) -> Result<Session> {
    let _one = st.opening.lock().await;
    // The demo starts afresh on its own cache file: whatever is open stops writing to it first.
    st.close().await;
    let desk = Desk::open_demo(
        st.launch.data_dir.clone(),
        DemoOptions {
            port: st.launch.demo_port,
            rate_limit: st.launch.demo_rate_limit,
            fresh: true,
        },
    )
    .await?;
    Ok(install(&app, &st, desk).await)
}

/// Closes the open workspace (its token stays in the keyring) and shows Connect, to add another
/// account.
#[tauri::command]
#[specta::specta]
pub async fn close_workspace(st: State<'_, AppState>) -> Result<Session> {
    let _one = st.opening.lock().await;
    st.close().await;
    Ok(Session::NeedsLogin {
        base_url: DeskConfig::default_base_url().into(),
        problem: None,
    })
}

/// Moves the current workspace's cache aside when it cannot be opened (see the start screen);
/// returns where it went.
#[tauri::command]
#[specta::specta]
pub async fn move_cache_aside(st: State<'_, AppState>) -> Result<String> {
    let to = Desk::move_cache_aside(
        st.launch.data_dir.as_deref(),
        st.current_workspace().as_deref(),
    )?;
    Ok(to.display().to_string())
}

/// Forgets the token (the demo simply closes) and shows Connect.
#[tauri::command]
#[specta::specta]
pub async fn sign_out(st: State<'_, AppState>, forget_lookup_secrets: bool) -> Result<Session> {
    let _one = st.opening.lock().await;
    let desk = st.close().await;
    let base_url = match desk {
        Some(d) if !d.is_demo() => {
            d.logout(forget_lookup_secrets).await?;
            d.base_url().to_string()
        }
        _ => DeskConfig::default_base_url().to_string(),
    };
    Ok(Session::NeedsLogin {
        base_url,
        problem: None,
    })
}

#[tauri::command]
#[specta::specta]
pub async fn sync_now(st: State<'_, AppState>) -> Result<desk_core::RefreshReport> {
    Ok(st.background().await?.refresh_views_now().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn search(st: State<'_, AppState>, filter: TicketFilter) -> Result<SearchResult> {
    Ok(st.desk().await?.search(&filter).await?)
}

/// How fresh a view's tickets are.
#[tauri::command]
#[specta::specta]
pub async fn view_freshness(
    st: State<'_, AppState>,
    filter: TicketFilter,
) -> Result<desk_core::refresh::ViewFreshness> {
    Ok(st.desk().await?.view_freshness(&filter).await?)
}

/// A ticket from the cache alone.
#[tauri::command]
#[specta::specta]
pub async fn ticket(st: State<'_, AppState>, id: String) -> Result<TicketContext> {
    Ok(st.desk().await?.ticket_context(&id).await?)
}

/// A ticket read fresh from Trengo (its whole thread); offline, the cached one and why.
#[tauri::command]
#[specta::specta]
pub async fn open_ticket(st: State<'_, AppState>, id: String) -> Result<OpenedTicket> {
    Ok(st.desk().await?.open_ticket(&id).await?)
}

/// The saved views in the sidebar's order, each with its live count.
#[tauri::command]
#[specta::specta]
pub async fn saved_views(st: State<'_, AppState>) -> Result<Vec<SavedView>> {
    Ok(st.desk().await?.saved_views().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn save_view(
    st: State<'_, AppState>,
    name: String,
    filter: TicketFilter,
) -> Result<SavedView> {
    Ok(st.desk().await?.save_view(&name, &filter).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn rename_view(st: State<'_, AppState>, id: u32, name: String) -> Result<()> {
    Ok(st.desk().await?.rename_view(id, &name).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_view(st: State<'_, AppState>, id: u32) -> Result<()> {
    Ok(st.desk().await?.delete_view(id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn reorder_views(st: State<'_, AppState>, ids: Vec<u32>) -> Result<()> {
    Ok(st.desk().await?.reorder_views(&ids).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn directory(st: State<'_, AppState>) -> Result<DirectoryLists> {
    Ok(st.desk().await?.directory().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn status(st: State<'_, AppState>) -> Result<StatusView> {
    let bg = st.background().await?;
    Ok(bg.desk().status(bg.is_syncing()).await?)
}

/// Makes a tag in Trengo by name (the tag pickers' "Create tag"), or takes Trengo's of that name.
#[tauri::command]
#[specta::specta]
pub async fn create_tag(
    st: State<'_, AppState>,
    name: String,
    color: Option<String>,
) -> Result<desk_core::TagCreated> {
    Ok(st.desk().await?.create_tag(&name, color.as_deref()).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn add_tag(st: State<'_, AppState>, ticket: String, tag: String) -> Result<ActionDone> {
    Ok(st.desk().await?.add_tag(&ticket, &tag).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_tag(
    st: State<'_, AppState>,
    ticket: String,
    tag: String,
) -> Result<ActionDone> {
    Ok(st.desk().await?.remove_tag(&ticket, &tag).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn assign_team(
    st: State<'_, AppState>,
    ticket: String,
    team: String,
) -> Result<ActionDone> {
    Ok(st.desk().await?.assign_team(&ticket, &team).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn assign_user(
    st: State<'_, AppState>,
    ticket: String,
    user: String,
) -> Result<ActionDone> {
    Ok(st.desk().await?.assign_user(&ticket, &user).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn close_ticket(st: State<'_, AppState>, ticket: String) -> Result<ActionDone> {
    Ok(st.desk().await?.close(&ticket).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn reopen_ticket(st: State<'_, AppState>, ticket: String) -> Result<ActionDone> {
    Ok(st.desk().await?.reopen(&ticket).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn add_note(
    st: State<'_, AppState>,
    ticket: String,
    text: String,
) -> Result<desk_core::jobs::NoteAdded> {
    Ok(st.desk().await?.add_note(&ticket, &text).await?)
}

/// A new ticket for a contact, routed, tagged and filled in, as one job (undo deletes it while
/// nobody has touched it). Everything is checked before anything is sent.
#[tauri::command]
#[specta::specta]
pub async fn create_ticket(
    st: State<'_, AppState>,
    ticket: desk_core::jobs::NewTicket,
) -> Result<desk_core::jobs::TicketCreated> {
    Ok(st.desk().await?.create_ticket(&ticket).await?)
}

/// Sets a ticket field (by id) to a value checked against its type; empty clears it. A one-item
/// job: read first, undoable.
#[tauri::command]
#[specta::specta]
pub async fn set_ticket_field(
    st: State<'_, AppState>,
    ticket: String,
    field: String,
    value: String,
) -> Result<ActionDone> {
    Ok(st
        .desk()
        .await?
        .set_ticket_field(&ticket, &field, &value)
        .await?)
}

/// Sets a contact field (by id) the same way.
#[tauri::command]
#[specta::specta]
pub async fn set_contact_field(
    st: State<'_, AppState>,
    contact: String,
    field: String,
    value: String,
) -> Result<ActionDone> {
    Ok(st
        .desk()
        .await?
        .set_contact_field(&contact, &field, &value)
        .await?)
}

/// Opens one of the ticket's attachments in the default browser: only an address the ticket's
/// messages carry, on the workspace's host or Trengo's file hosts.
#[tauri::command]
#[specta::specta]
pub async fn open_attachment(
    app: AppHandle,
    st: State<'_, AppState>,
    ticket: String,
    url: String,
) -> Result<()> {
    let url = st.desk().await?.attachment_to_open(&ticket, &url).await?;
    open_url(&app, &url)
}

fn open_url(app: &AppHandle, url: &str) -> Result<()> {
    use tauri_plugin_opener::OpenerExt;
    app.opener().open_url(url, None::<&str>).map_err(|e| {
        ApiError::new(
            ErrorCode::Internal,
            format!("Could not start the browser: {e}"),
        )
    })
}

/// Opens the ticket in Trengo's web app, in the default browser. The address comes from the
/// cache, never from the page, and must be http(s).
#[tauri::command]
#[specta::specta]
pub async fn open_in_trengo(app: AppHandle, st: State<'_, AppState>, ticket: String) -> Result<()> {
    let ctx = st.desk().await?.ticket_context(&ticket).await?;
    let url = ctx
        .ticket_url
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "This ticket has no web address."))?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ApiError::new(
            ErrorCode::Invalid,
            "This ticket's web address is not http(s).",
        ));
    }
    open_url(&app, &url)
}

/// The workspace's settings (notifications, poll interval, my teams).
#[tauri::command]
#[specta::specta]
pub async fn get_settings(st: State<'_, AppState>) -> Result<WorkspaceSettings> {
    Ok(st.desk().await?.settings().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn save_settings(
    st: State<'_, AppState>,
    settings: WorkspaceSettings,
) -> Result<WorkspaceSettings> {
    let desk = st.desk().await?;
    desk.save_settings(&settings).await?;
    Ok(desk.settings().await?)
}

/// How many tickets were assigned to the user since they last looked: shown in the window title,
/// next to the tray icon, and where the desktop supports it as a badge on the app's icon.
#[tauri::command]
#[specta::specta]
pub async fn set_unseen(app: AppHandle, count: u32) -> Result<()> {
    use tauri::Manager;
    if let Some(w) = app.get_webview_window("main") {
        let title = if count == 0 {
            "Trengo Desk".to_string()
        } else {
            format!("Trengo Desk ({count} new)")
        };
        let _ = w.set_title(&title);
        let _ = w.set_badge_count(if count == 0 { None } else { Some(count as i64) });
    }
    crate::tray::set_unseen(&app, count);
    Ok(())
}
