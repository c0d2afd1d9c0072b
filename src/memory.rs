//! Private memory that the system may back with huge pages: a loaded
//! index's bytes.
//!
//! A lookup's loads are random over megabytes. With 4 KiB pages each one
//! may miss the TLB as well as the cache, and with the caches cold the page
//! table walk is one more miss before the data's own.

/// Huge pages' size on x86-64 and most aarch64 systems: the unit that
/// [`huge`] rounds its memory up to.
pub(crate) const HUGE_PAGE: usize = 2 << 20;

/// Zeroed, writable, private memory of at least `len` bytes, page-aligned,
/// on huge pages where the system grants them: the length rounded up to a
/// multiple of [`HUGE_PAGE`] (which Linux also aligns to one) and advised,
/// before anything touches it. Where transparent huge pages are set to
/// `always` they come anyway; where `never`, or off Linux, the memory works
/// as it would with small pages.
pub(crate) fn huge(len: usize) -> std::io::Result<memmap2::MmapMut> {
    let len = len.div_ceil(HUGE_PAGE).max(1) * HUGE_PAGE;
    let map = memmap2::MmapOptions::new().len(len).map_anon()?;
    #[cfg(target_os = "linux")]
    {
        // Advice only: a system without transparent huge pages refuses it.
        let _ = map.advise(memmap2::Advice::HugePage);
    }
    Ok(map)
}
