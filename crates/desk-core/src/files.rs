//! Files under the data directory are the lead's own: the cache holds customers' messages and
//! contact fields, the job records and the lookup sources. Folders are made 0700 and files 0600
//! (and made so where an older build left them wider), so no other local user reads them.

use std::path::Path;

use crate::error::Result;

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let m = std::fs::metadata(path)?;
    if m.permissions().mode() & 0o777 != mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// `dir` and its missing parents made; `dir` itself 0700.
pub fn private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o700)?;
    Ok(())
}

/// Options that make a new file 0600.
pub fn private_options() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// `path` opened for reading and writing, made (empty, 0600) if missing, 0600 if it was wider.
pub fn private_file_handle(path: &Path) -> Result<std::fs::File> {
    let f = private_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    set_mode(path, 0o600)?;
    Ok(f)
}

/// `path` made (empty, 0600) if missing, 0600 if it was wider. SQLite gives a database's `-wal`
/// and `-shm` files the database file's own permissions.
pub fn private_file(path: &Path) -> Result<()> {
    private_file_handle(path).map(drop)
}

/// `text` written to `path` whole or not at all (a 0600 file beside it, then renamed over it).
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Writes a file the lead asked for (a report, a chart) into their Downloads folder (else home,
/// else the temporary folder), named `<stem>-<local time>.<ext>`, and says where.
pub fn save_download(stem: &str, ext: &str, bytes: &[u8]) -> Result<std::path::PathBuf> {
    let dir = dirs::download_dir()
        .or_else(dirs::home_dir)
        .unwrap_or_else(std::env::temp_dir);
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let path = dir.join(format!("{stem}-{stamp}.{ext}"));
    std::fs::write(&path, bytes).map_err(|e| {
        crate::Error::Invalid(format!("{} could not be written: {e}", path.display()))
    })?;
    Ok(path)
}
