//! What an index says about itself, and why one could not be opened.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::format::{FormatError, KindStats};

/// Facts about an index file, for `info` and audit logs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metadata {
    /// Format version `(major, minor)`.
    pub format_version: (u16, u16),
    /// Version of tilmelding that built the file.
    pub built_by: String,
    /// When the file was built (Unix seconds).
    pub build_time: i64,
    /// When the contact list was extracted (Unix seconds).
    pub as_of: i64,
    /// SHA-256 over the as-of time and the file's contents: names this snapshot in audit logs.
    pub snapshot_id: [u8; 32],
    /// Size of the file in bytes.
    pub file_size: u64,
    /// Number of sender systems.
    pub sender_systems: u32,
    /// Number of subscription groups.
    pub groups: u32,
    /// Number of materials.
    pub materials: u32,
    /// CPR recipients in the register.
    pub cpr: KindStats,
    /// CVR recipients in the register.
    pub cvr: KindStats,
    /// The snapshot id of the index this one was built on as a delta (the lineage).
    pub base_snapshot_id: Option<[u8; 32]>,
    /// The newest `lastUpdated` of the NgDP contacts in the index (Unix
    /// milliseconds): the point a delta download (`?lastUpdated=`) goes on from.
    pub newest_update: Option<i64>,
}

impl Metadata {
    /// The snapshot id as 64 lowercase hex digits.
    pub fn snapshot_id_hex(&self) -> String {
        hex(&self.snapshot_id)
    }

    /// The base's snapshot id (a delta build's lineage) as 64 lowercase hex digits.
    pub fn base_snapshot_id_hex(&self) -> Option<String> {
        self.base_snapshot_id.as_ref().map(|id| hex(id))
    }

    /// Number of CPR plus CVR recipients.
    pub fn contacts(&self) -> u64 {
        self.cpr.by_status.iter().chain(&self.cvr.by_status).sum()
    }

    /// The as-of time as a [`SystemTime`].
    pub fn as_of_time(&self) -> SystemTime {
        unix_to_system_time(self.as_of)
    }

    /// The build time as a [`SystemTime`].
    pub fn build_time(&self) -> SystemTime {
        unix_to_system_time(self.build_time)
    }
}

/// An index that could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The file could not be opened, read or mapped.
    #[error("{}: {source}", path.display())]
    Io {
        /// The index file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The bytes are not a valid index.
    #[error("{}: {source}", path.as_deref().map_or("<bytes>".into(), |p| p.display().to_string()))]
    Invalid {
        /// The index file, when opened from a file.
        path: Option<PathBuf>,
        /// What is wrong.
        #[source]
        source: FormatError,
    },
}

impl OpenError {
    /// The format problem, when the bytes were read but are not a valid index.
    pub fn format_error(&self) -> Option<&FormatError> {
        match self {
            OpenError::Invalid { source, .. } => Some(source),
            OpenError::Io { .. } => None,
        }
    }
}

/// `bytes` as lowercase hex digits.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

fn unix_to_system_time(seconds: i64) -> SystemTime {
    if seconds >= 0 {
        UNIX_EPOCH + Duration::from_secs(seconds as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
    }
}
