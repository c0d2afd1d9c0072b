//! Where an index's bytes live: the one place this crate maps a file.

use std::fs::File;
use std::time::SystemTime;

/// The bytes of an index: a file mapping, or bytes the caller handed over.
/// An enum rather than one trait object so that the common case, a mapping,
/// costs no indirect call per lookup.
pub(super) enum Storage {
    Map(memmap2::Mmap),
    Other(Box<dyn AsRef<[u8]> + Send + Sync>),
}

impl Storage {
    #[inline(always)]
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Storage::Map(map) => map,
            Storage::Other(bytes) => (**bytes).as_ref(),
        }
    }
}

/// What identifies a file at a path: a rename over the path gives a new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileIdentity {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    device: u64,
    #[cfg(unix)]
    inode: u64,
}

impl FileIdentity {
    pub(crate) fn of(file: &File) -> std::io::Result<FileIdentity> {
        let meta = file.metadata()?;
        Ok(FileIdentity {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            device: std::os::unix::fs::MetadataExt::dev(&meta),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(&meta),
        })
    }
}

/// Maps a file read-only, every page at once. The one place this crate
/// maps a file.
pub(super) fn map_file(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the mapping is read-only and lives as long as the `Index` that
    // owns it. Mutation by another process is the one hazard: truncating or
    // rewriting the file in place while it is mapped is undefined behaviour
    // (in practice SIGBUS or changed answers). The documented rule for
    // operators, followed by `tilmelding build`, is to replace index files only
    // by writing a new file and renaming it over the old one, which leaves
    // existing mappings of the old file intact.
    //
    // Populated: opening reads every byte for the checksums anyway, and one
    // call that maps every page is cheaper than a page fault per 64 KiB
    // (national index: open 4.1 -> 3.8 ms, side by side).
    unsafe { memmap2::MmapOptions::new().populate().map(file) }
}
