//! The commands the UI calls: each delegates to `Desk`. Expected outcomes (not connected yet,
//! offline while opening a ticket) are data; failures are `ApiError`.

use desk_core::jobs::ActionDone;
use desk_core::launcher::Session;
use desk_core::view::*;
use desk_core::{
    ErrorCode, OpenedTicket, SavedView, StatusView, WorkspaceEntry, WorkspaceSettings,
};
use tauri::{AppHandle, State};

use crate::error::{ApiError, Result};
use crate::state::AppState;

/// The session, opening the last workspace (or the demo) on the first call.
#[tauri::command]
#[specta::specta]
pub async fn session(st: State<'_, AppState>) -> Result<Session> {
    st.launcher.session().await
}

/// Checks the token with Trengo, stores it in the OS keyring, and opens the workspace.
#[tauri::command]
#[specta::specta]
pub async fn connect(st: State<'_, AppState>, base_url: String, token: String) -> Result<Session> {
    st.launcher.connect(&base_url, token).await
}

/// The Trengo accounts this machine has connected to, the current one first.
#[tauri::command]
#[specta::specta]
pub async fn list_workspaces(st: State<'_, AppState>) -> Result<Vec<WorkspaceEntry>> {
    Ok(st.launcher.workspaces())
}

/// Opens another account's workspace (its token from the keyring; without one, Connect asks).
#[tauri::command]
#[specta::specta]
pub async fn switch_workspace(st: State<'_, AppState>, id: String) -> Result<Session> {
    st.launcher.switch(&id).await
}

#[tauri::command]
#[specta::specta]
pub async fn start_demo(st: State<'_, AppState>) -> Result<Session> {
    st.launcher.start_demo().await
}

/// Closes the open workspace (its token stays in the keyring) and shows Connect, to add another
/// account.
#[tauri::command]
#[specta::specta]
pub async fn close_workspace(st: State<'_, AppState>) -> Result<Session> {
    Ok(st.launcher.close_workspace().await)
}

/// Moves the current workspace's cache aside when it cannot be opened (see the start screen);
/// returns where it went.
#[tauri::command]
#[specta::specta]
pub async fn move_cache_aside(st: State<'_, AppState>) -> Result<String> {
    st.launcher.move_cache_aside()
}

/// Forgets the token (the demo simply closes) and shows Connect.
#[tauri::command]
#[specta::specta]
pub async fn sign_out(st: State<'_, AppState>, forget_lookup_secrets: bool) -> Result<Session> {
    st.launcher.sign_out(forget_lookup_secrets).await
}

#[tauri::command]
#[specta::specta]
pub async fn sync_now(st: State<'_, AppState>) -> Result<desk_core::RefreshReport> {
    Ok(st.background().await?.refresh_views_now().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn search(st: State<'_, AppState>, filter: TicketFilter) -> Result<SearchResult> {
    Ok(st.desk().await?.tickets().search(&filter).await?)
}

/// How fresh a view's tickets are.
#[tauri::command]
#[specta::specta]
pub async fn view_freshness(
    st: State<'_, AppState>,
    filter: TicketFilter,
) -> Result<desk_core::refresh::ViewFreshness> {
    Ok(st.desk().await?.views().freshness(&filter).await?)
}

/// A ticket from the cache alone.
#[tauri::command]
#[specta::specta]
pub async fn ticket(st: State<'_, AppState>, id: String) -> Result<TicketContext> {
    Ok(st.desk().await?.tickets().context(&id).await?)
}

/// A ticket read fresh from Trengo (its whole thread); offline, the cached one and why.
#[tauri::command]
#[specta::specta]
pub async fn open_ticket(st: State<'_, AppState>, id: String) -> Result<OpenedTicket> {
    Ok(st.desk().await?.tickets().open(&id).await?)
}

/// The saved views in the sidebar's order, each with its live count.
#[tauri::command]
#[specta::specta]
pub async fn saved_views(st: State<'_, AppState>) -> Result<Vec<SavedView>> {
    Ok(st.desk().await?.views().list().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn save_view(
    st: State<'_, AppState>,
    name: String,
    filter: TicketFilter,
) -> Result<SavedView> {
    Ok(st.desk().await?.views().save(&name, &filter).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn rename_view(st: State<'_, AppState>, id: u32, name: String) -> Result<()> {
    Ok(st.desk().await?.views().rename(id, &name).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_view(st: State<'_, AppState>, id: u32) -> Result<()> {
    Ok(st.desk().await?.views().delete(id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn reorder_views(st: State<'_, AppState>, ids: Vec<u32>) -> Result<()> {
    Ok(st.desk().await?.views().reorder(&ids).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn directory(st: State<'_, AppState>) -> Result<DirectoryLists> {
    Ok(st.desk().await?.directory().lists().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn status(st: State<'_, AppState>) -> Result<StatusView> {
    let bg = st.background().await?;
    Ok(bg.desk().session().status(bg.is_syncing()).await?)
}

/// Makes a tag in Trengo by name (the tag pickers' "Create tag"), or takes Trengo's of that name.
#[tauri::command]
#[specta::specta]
pub async fn create_tag(
    st: State<'_, AppState>,
    name: String,
    color: Option<String>,
) -> Result<desk_core::TagCreated> {
    let desk = st.desk().await?;
    Ok(desk.directory().create_tag(&name, color.as_deref()).await?)
}

/// The row as it will be once the action is done: the panel shows it while Trengo is asked.
#[tauri::command]
#[specta::specta]
pub async fn ticket_after(
    st: State<'_, AppState>,
    row: TicketRow,
    action: desk_core::jobs::Action,
) -> Result<TicketRow> {
    Ok(st.desk().await?.tickets().after(&row, &action).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn add_tag(st: State<'_, AppState>, ticket: String, tag: String) -> Result<ActionDone> {
    Ok(st.desk().await?.tickets().add_tag(&ticket, &tag).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_tag(
    st: State<'_, AppState>,
    ticket: String,
    tag: String,
) -> Result<ActionDone> {
    Ok(st.desk().await?.tickets().remove_tag(&ticket, &tag).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn assign_team(
    st: State<'_, AppState>,
    ticket: String,
    team: String,
) -> Result<ActionDone> {
    let desk = st.desk().await?;
    Ok(desk.tickets().assign_team(&ticket, &team).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn assign_user(
    st: State<'_, AppState>,
    ticket: String,
    user: String,
) -> Result<ActionDone> {
    let desk = st.desk().await?;
    Ok(desk.tickets().assign_user(&ticket, &user).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn close_ticket(st: State<'_, AppState>, ticket: String) -> Result<ActionDone> {
    Ok(st.desk().await?.tickets().close(&ticket).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn reopen_ticket(st: State<'_, AppState>, ticket: String) -> Result<ActionDone> {
    Ok(st.desk().await?.tickets().reopen(&ticket).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn spam_ticket(st: State<'_, AppState>, ticket: String) -> Result<ActionDone> {
    Ok(st.desk().await?.tickets().spam(&ticket).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn unspam_ticket(st: State<'_, AppState>, ticket: String) -> Result<ActionDone> {
    Ok(st.desk().await?.tickets().unspam(&ticket).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn add_note(
    st: State<'_, AppState>,
    ticket: String,
    text: String,
) -> Result<desk_core::jobs::NoteAdded> {
    Ok(st.desk().await?.tickets().add_note(&ticket, &text).await?)
}

/// A new ticket for a contact, routed, tagged and filled in, as one job (undo deletes it while
/// nobody has touched it). Everything is checked before anything is sent.
#[tauri::command]
#[specta::specta]
pub async fn create_ticket(
    st: State<'_, AppState>,
    ticket: desk_core::jobs::NewTicket,
) -> Result<desk_core::jobs::TicketCreated> {
    Ok(st.desk().await?.tickets().create_ticket(&ticket).await?)
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
    let desk = st.desk().await?;
    let tickets = desk.tickets();
    Ok(tickets.set_ticket_field(&ticket, &field, &value).await?)
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
    let desk = st.desk().await?;
    let tickets = desk.tickets();
    Ok(tickets.set_contact_field(&contact, &field, &value).await?)
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
    let desk = st.desk().await?;
    let url = desk.tickets().attachment_to_open(&ticket, &url).await?;
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
    let desk = st.desk().await?;
    open_url(&app, &desk.tickets().web_url(&ticket).await?)
}

/// The workspace's settings (notifications, poll interval, my teams).
#[tauri::command]
#[specta::specta]
pub async fn get_settings(st: State<'_, AppState>) -> Result<WorkspaceSettings> {
    Ok(st.desk().await?.session().settings().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn save_settings(
    st: State<'_, AppState>,
    settings: WorkspaceSettings,
) -> Result<WorkspaceSettings> {
    let desk = st.desk().await?;
    Ok(desk.session().save_settings(&settings).await?)
}

/// How many tickets were assigned to the user since they last looked: shown in the window title,
/// next to the tray icon, and where the desktop supports it as a badge on the app's icon.
#[tauri::command]
#[specta::specta]
pub async fn set_unseen(app: AppHandle, count: u32) -> Result<()> {
    crate::tray::show_unseen(&app, count);
    Ok(())
}
