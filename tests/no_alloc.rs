//! A lookup allocates nothing: counted with a global allocator wrapper.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use tilmelding::{Date, Index, LookupError, Recipient, RecipientKind};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn lookups_and_batches_allocate_nothing() {
    let (_dir, path) = common::fixture_index();
    let index = Index::open(&path).unwrap();
    let date = Date::from_ymd(2026, 11, 22).unwrap();
    let queries: Vec<(String, Recipient)> = common::lookups()
        .into_iter()
        .filter_map(|l| Some((l.material, l.recipient.parse().ok()?)))
        .collect();
    let numbers = [101901234u64, 202902345, 3102901234, 707907890, 808908901];
    let mut out = vec![Err(LookupError::InvalidRecipient); numbers.len()];

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut answered = 0;
    for (material, recipient) in &queries {
        answered += usize::from(index.lookup(material, recipient, date).is_ok());
    }
    index
        .lookup_batch("100", RecipientKind::Cpr, &numbers, date, &mut out)
        .unwrap();
    let parsed: Result<Recipient, _> = "0101901234".parse();
    let after = ALLOCATIONS.load(Ordering::Relaxed);

    assert!(answered > 10 && parsed.is_ok());
    assert_eq!(after - before, 0, "lookups allocated");
}
