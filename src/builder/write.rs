//! Writing an index file so that readers never see a partial one.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

use super::BuildError;
use crate::format::MAGIC;

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory (mode 0640 on Unix), fsync, rename over `path`, fsync of the
/// directory. Processes that have the old file mapped keep reading it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tilmelding-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Personal data: readable by the owner and the group the readers run as.
        builder.permissions(std::fs::Permissions::from_mode(0o640));
    }
    let mut temp = builder.tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) -> io::Result<()> {
    Ok(())
}

/// Refuses to replace a file that is not an index (a mistyped `-o contacts.csv`).
pub(super) fn check_overwrite(path: &Path, force: bool) -> Result<(), BuildError> {
    if force {
        return Ok(());
    }
    let mut file = match OpenOptions::new().read(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(BuildError::Output {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut magic = [0u8; 8];
    let is_index = file.read_exact(&mut magic).is_ok() && magic == MAGIC;
    let is_empty = file.metadata().map(|m| m.len() == 0).unwrap_or(false);
    if is_index || is_empty {
        Ok(())
    } else {
        Err(BuildError::WouldOverwrite {
            path: path.to_owned(),
        })
    }
}
