//! Where an index's bytes live: the one place this crate maps a file.

use std::fs::File;
use std::time::SystemTime;

use crate::memory;

/// The bytes of an index: a file mapping, a file read into memory, or bytes
/// the caller handed over. An enum rather than one trait object so that the
/// common cases cost no indirect call per lookup.
pub(super) enum Storage {
    Map(memmap2::Mmap),
    /// The first `len` bytes of a private mapping ([`load_file`]).
    Loaded(memmap2::Mmap, usize),
    Other(Box<dyn AsRef<[u8]> + Send + Sync>),
}

impl Storage {
    #[inline(always)]
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Storage::Map(map) => map,
            Storage::Loaded(map, len) => &map[..*len],
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

/// Reads a whole file into private memory that the system may back with
/// huge pages ([`memory::huge`]), read-only once filled: [`Storage::Loaded`].
/// A mapping of the file has 4 KiB pages: the kernel grants file mappings
/// no huge pages.
pub(super) fn load_file(mut file: &File) -> std::io::Result<Storage> {
    use std::io::Read;
    let len = usize::try_from(file.metadata()?.len())
        .map_err(|_| std::io::Error::other("the file does not fit in memory"))?;
    let mut map = memory::huge(len)?;
    file.read_exact(&mut map[..len])?;
    // The file may have grown since its length was read: what was read is
    // then not the whole file, and its checks would say so less clearly.
    if file.read(&mut [0])? != 0 {
        return Err(std::io::Error::other(
            "the file grew while it was read; replace index files by renaming a new file over them",
        ));
    }
    Ok(Storage::Loaded(map.make_read_only()?, len))
}

/// Maps a file read-only, every page at once if `populate`. The one place
/// this crate maps a file.
pub(super) fn map_file(file: &File, populate: bool) -> std::io::Result<memmap2::Mmap> {
    // `populate` where one thread reads the file: opening reads every byte
    // for the checksums anyway, and one call that maps every page is cheaper
    // than a page fault per 64 KiB (national index: open 4.1 -> 3.8 ms, side
    // by side). Not where two threads read from the start
    // (`Index::open_verified`): they take the faults in parallel, which
    // beats one thread mapping every page before the second may start
    // (21.1 -> 20.6 ms, side by side).
    let mut options = memmap2::MmapOptions::new();
    if populate {
        options.populate();
    }
    // SAFETY: the mapping is read-only and lives as long as the `Index` that
    // owns it. Mutation by another process is the one hazard: truncating or
    // rewriting the file in place while it is mapped is undefined behaviour
    // (in practice SIGBUS or changed answers). The documented rule for
    // operators, followed by `tilmelding build`, is to replace index files only
    // by writing a new file and renaming it over the old one, which leaves
    // existing mappings of the old file intact.
    unsafe { options.map(file) }
}
