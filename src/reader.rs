//! [`Reader`]: an index file that is replaced every day while it is read.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::index::{FileIdentity, OpenError};
use crate::{Answer, Date, Index, LookupError, Recipient, RecipientKind};

/// A handle on an index *path* rather than a file: [`Reader::refresh`]
/// notices when the file has been replaced (renamed over), opens and fully
/// checks the new one, and swaps it in atomically.
///
/// Lookups in flight finish on the index they started with; an old index
/// (and its mapping) is released when the last lookup using it ends. A failed
/// refresh — a missing, truncated or corrupt new file — keeps the current
/// index serving and says why.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use tilmelding::{Date, Reader};
///
/// let reader = Arc::new(Reader::open("/srv/tilmelding/current.tlm")?);
/// let _refresher = reader.refresh_every(Duration::from_secs(60));
/// let answer = reader.lookup("100234", &"0101901234".parse()?, Date::today())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Reader {
    path: PathBuf,
    current: ArcSwap<Index>,
    /// Identity of the file behind `current`; the lock also makes refreshes one at a time.
    identity: Mutex<FileIdentity>,
    max_age: Mutex<Option<Duration>>,
}

/// What [`Reader::refresh`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refresh {
    /// The file is the one already open.
    Unchanged,
    /// A new file was opened, checked and swapped in.
    Replaced {
        /// Snapshot id of the index that was replaced (hex).
        old_snapshot: String,
        /// Snapshot id of the index now serving (hex).
        new_snapshot: String,
    },
}

impl Reader {
    /// Opens the index at `path` (as [`Index::open`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Reader, OpenError> {
        let path = path.as_ref().to_owned();
        let (index, identity) = open_identified(&path)?;
        Ok(Reader {
            path,
            current: ArcSwap::from_pointee(index),
            identity: Mutex::new(identity),
            max_age: Mutex::new(None),
        })
    }

    /// The path this reader follows.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The index serving now. Hold on to it to make several lookups (and read
    /// its metadata) against one snapshot.
    pub fn index(&self) -> Arc<Index> {
        self.current.load_full()
    }

    /// The index serving now, cheaply, for one lookup (no reference count
    /// traffic shared between threads).
    pub(crate) fn load(&self) -> arc_swap::Guard<Arc<Index>> {
        self.current.load()
    }

    /// Sets the maximum age of the list for the current index and every index
    /// a refresh swaps in (see [`Index::set_max_age`]).
    pub fn set_max_age(&self, max_age: Option<Duration>) {
        let mut guard = lock(&self.max_age);
        *guard = max_age;
        self.current.load().set_max_age(max_age);
    }

    /// [`Index::lookup`] on the index serving now.
    pub fn lookup(
        &self,
        material: &str,
        recipient: &Recipient,
        date: Date,
    ) -> Result<Answer, LookupError> {
        self.current.load().lookup(material, recipient, date)
    }

    /// [`Index::lookup_batch`] on the index serving now (one snapshot for the whole batch).
    pub fn lookup_batch(
        &self,
        material: &str,
        kind: RecipientKind,
        recipients: &[u64],
        date: Date,
        out: &mut [Result<Answer, LookupError>],
    ) -> Result<(), LookupError> {
        self.current
            .load()
            .lookup_batch(material, kind, recipients, date, out)
    }

    /// Checks whether the file at the path was replaced; if so opens it,
    /// checks it fully and swaps it in. On error the current index stays.
    pub fn refresh(&self) -> Result<Refresh, OpenError> {
        let mut identity = lock(&self.identity);
        let io_error = |source| OpenError::Io {
            path: self.path.clone(),
            source,
        };
        let file = File::open(&self.path).map_err(io_error)?;
        let candidate = FileIdentity::of(&file).map_err(io_error)?;
        if candidate == *identity {
            return Ok(Refresh::Unchanged);
        }
        let index = Index::open_file(&file, &self.path)?;
        // Held across the swap, so that a concurrent `set_max_age` applies
        // either to this index or before it is configured, never lost.
        let max_age = lock(&self.max_age);
        index.set_max_age(*max_age);
        let new_snapshot = index.metadata().snapshot_id_hex();
        let old = self.current.swap(Arc::new(index));
        drop(max_age);
        *identity = candidate;
        Ok(Refresh::Replaced {
            old_snapshot: old.metadata().snapshot_id_hex(),
            new_snapshot,
        })
    }

    /// Refreshes every `interval` on a background thread until the returned
    /// handle is dropped (or the reader is). Failed refreshes keep the current
    /// index; the last failure is kept in [`Refresher::last_error`].
    pub fn refresh_every(self: &Arc<Self>, interval: Duration) -> Refresher {
        let reader = Arc::downgrade(self);
        let stop = Arc::new(AtomicBool::new(false));
        let last_error = Arc::new(Mutex::new(None));
        let thread = {
            let stop = Arc::clone(&stop);
            let last_error = Arc::clone(&last_error);
            std::thread::Builder::new()
                .name("tilmelding-refresh".into())
                .spawn(move || refresh_loop(&reader, interval, &stop, &last_error))
                .expect("spawning the refresh thread")
        };
        Refresher {
            stop,
            thread: Some(thread),
            last_error,
        }
    }
}

fn refresh_loop(
    reader: &Weak<Reader>,
    interval: Duration,
    stop: &AtomicBool,
    last_error: &Mutex<Option<String>>,
) {
    let tick = Duration::from_millis(50).min(interval);
    let mut waited = Duration::ZERO;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(tick);
        waited += tick;
        if waited < interval {
            continue;
        }
        waited = Duration::ZERO;
        let Some(reader) = reader.upgrade() else {
            return;
        };
        *lock(last_error) = reader.refresh().err().map(|e| e.to_string());
    }
}

/// The background refresh started by [`Reader::refresh_every`]; stops when dropped.
pub struct Refresher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    last_error: Arc<Mutex<Option<String>>>,
}

impl Refresher {
    /// Why the most recent background refresh failed, if it did.
    pub fn last_error(&self) -> Option<String> {
        lock(&self.last_error).clone()
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn open_identified(path: &Path) -> Result<(Index, FileIdentity), OpenError> {
    let io_error = |source| OpenError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    let identity = FileIdentity::of(&file).map_err(io_error)?;
    Ok((Index::open_file(&file, path)?, identity))
}

/// A poisoned lock only means another thread panicked while holding it; the
/// data (an identity, a duration, a message) is still whole.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
