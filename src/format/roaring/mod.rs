//! Zero-copy reader for the standard Roaring bitmap portable serialization
//! format (<https://github.com/RoaringBitmap/RoaringFormatSpec>).
//!
//! A serialized bitmap usually lives inside a memory-mapped file that is owned
//! elsewhere, so nothing here borrows the bytes for longer than one call:
//! [`RoaringLayout::parse`] validates the structure once and builds a small,
//! owned directory of the containers, and every query takes the same bytes
//! again. Queries read the serialized containers in place and never allocate.
//!
//! # Format
//!
//! All integers are little-endian.
//!
//! * Cookie: either the `u32` `12346` (no run containers) followed by a `u32`
//!   container count, or a `u32` whose low 16 bits are `12347` and whose high
//!   16 bits are the container count minus one, followed by a bitset of
//!   `(count + 7) / 8` bytes that flags the run containers.
//! * Descriptive header: per container a `u16` key (the high 16 bits of its
//!   members) and a `u16` cardinality minus one. Keys strictly increase.
//! * Offset header: per container a `u32` byte offset from the start of the
//!   serialized bitmap. Present with the `12346` cookie, and with the `12347`
//!   cookie when there are at least 4 containers.
//! * Containers, back to back: a run container (flagged) is a `u16` run count
//!   and that many `(u16 start, u16 length - 1)` pairs; otherwise a container
//!   with more than 4096 members is a bitmap of 1024 `u64` words (8192 bytes),
//!   and a smaller one is an array of sorted `u16` values.
//!
//! An empty bitmap is the `12346` cookie with a count of 0 (8 bytes).
//!
//! # Validation levels
//!
//! [`RoaringLayout::parse`] checks everything that can be checked in time
//! proportional to the number of containers: it guarantees that every
//! container lies inside the bytes, so queries stay in bounds. It does not look
//! inside containers; [`RoaringLayout::validate_contents`] does that in time
//! proportional to the serialized size. On bytes that pass `parse` but fail
//! `validate_contents`, queries never panic, but their answers are unspecified.

use std::fmt;

mod container;
mod directory;
mod iter;
mod parse;

pub use self::directory::Probe;

use self::container::{
    Container, Kind, array_rank, bitmap_contains, bitmap_rank, find_run, run_rank,
};
use self::directory::Directory;
use self::iter::{ContainerIter, Iter};

/// Direct-table entry for a key that has no container.
const NO_CONTAINER: u32 = u32::MAX;

/// The parsed, validated directory of one serialized bitmap. Owns no bitmap data.
///
/// Build it with [`RoaringLayout::parse`], keep it next to the bytes (for
/// example beside a file mapping), and pass the same bytes to every query.
/// Queries given other bytes never panic, but their answers are unspecified.
///
/// Memory: 80 bytes per container (its directory entry and its rank
/// directory) plus a 4-byte direct-table entry per key up to the largest key
/// (up to 256 KiB); see [`RoaringLayout::heap_size`].
#[derive(Clone)]
pub struct RoaringLayout {
    /// Containers in serialized (key) order.
    containers: Vec<Container>,
    /// Rank directory per container, same order.
    directories: Vec<Directory>,
    /// `high16 -> index into containers`, or [`NO_CONTAINER`]; sized max key + 1.
    table: Vec<u32>,
    /// Total number of members.
    len: u32,
    /// Serialized size in bytes.
    byte_len: usize,
}

impl fmt::Debug for RoaringLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoaringLayout")
            .field("len", &self.len)
            .field("containers", &self.containers.len())
            .field("byte_len", &self.byte_len)
            .finish_non_exhaustive()
    }
}

impl RoaringLayout {
    /// Number of members.
    #[inline]
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the bitmap has no members.
    #[cfg_attr(not(any(test, fuzzing)), allow(dead_code))]
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Serialized size in bytes (equal to the length of the parsed bytes).
    #[cfg_attr(not(any(test, fuzzing)), allow(dead_code))]
    #[inline]
    pub fn byte_len(&self) -> usize {
        self.byte_len
    }

    /// Number of containers.
    #[cfg_attr(not(any(test, fuzzing)), allow(dead_code))]
    #[inline]
    pub fn container_count(&self) -> usize {
        self.containers.len()
    }

    /// Heap bytes used by this layout (for memory reporting): 16 bytes per
    /// container plus 4 bytes per key up to the largest key.
    pub fn heap_size(&self) -> usize {
        self.containers.capacity() * std::mem::size_of::<Container>()
            + self.directories.capacity() * std::mem::size_of::<Directory>()
            + self.table.capacity() * std::mem::size_of::<u32>()
    }

    /// Where `value` would be: its container and segment, from the heap
    /// directory alone. `None` if no container can hold it.
    #[inline(always)]
    pub fn probe(&self, value: u32) -> Option<Probe<'_>> {
        let index = *self.table.get((value >> 16) as usize)? as usize;
        // NO_CONTAINER (u32::MAX) is never a valid index, so `get` rejects it.
        let container = self.containers.get(index)?;
        let low = value as u16;
        let cardinality = container.cardinality();
        let (lo, hi) = match container.kind {
            Kind::Array => self.directories.get(index)?.array_segment(low, cardinality),
            Kind::Bitmap => (self.directories.get(index)?.bitmap_before(low), cardinality),
            Kind::Run => (0, cardinality),
        };
        Some(Probe {
            container,
            low,
            lo,
            hi,
        })
    }

    /// If `value` is a member, its rank: the number of members smaller than it
    /// (0-based position). This is the hot path.
    ///
    /// `bytes` must be the slice given to `parse`; with other bytes the answer
    /// is unspecified but it never panics. Never allocates.
    ///
    /// Cost after the heap directory ([`RoaringLayout::probe`]): an array
    /// container takes a branch-free count of 64 values around its segment
    /// (two or three cache lines; segments of more than 64 values, in arrays
    /// of more than 2048, are first halved); a bitmap container a popcount of
    /// at most 32 words; a run container a binary search plus a vectorized sum
    /// over up to half of its runs.
    #[inline]
    pub fn rank(&self, bytes: &[u8], value: u32) -> Option<u32> {
        self.rank_at(bytes, &self.probe(value)?)
    }

    /// Finishes a lookup that [`RoaringLayout::probe`] started: the rank of
    /// the probed value, if it is a member. Same rules as [`RoaringLayout::rank`].
    #[inline(always)]
    pub fn rank_at(&self, bytes: &[u8], probe: &Probe<'_>) -> Option<u32> {
        let container = probe.container;
        let within = match container.kind {
            Kind::Array => array_rank(container.array(bytes)?, probe.low, probe.lo, probe.hi),
            Kind::Bitmap => bitmap_rank(container.bitmap(bytes)?, probe.low, probe.lo),
            Kind::Run => run_rank(container.runs(bytes)?, container.cardinality(), probe.low),
        }?;
        container.rank_base.checked_add(within)
    }

    /// Whether any member lies in `lo..=hi`. `bytes` must be the slice given
    /// to `parse`; with other bytes the answer is unspecified but it never
    /// panics. Costs a binary search per container the range touches.
    pub fn any_in(&self, bytes: &[u8], lo: u32, hi: u32) -> bool {
        lo <= hi
            && (lo >> 16..=hi >> 16).any(|high| {
                let Some(container) = self
                    .table
                    .get(high as usize)
                    .and_then(|&index| self.containers.get(index as usize))
                else {
                    return false;
                };
                let from = if high == lo >> 16 { lo as u16 } else { 0 };
                let to = if high == hi >> 16 {
                    hi as u16
                } else {
                    u16::MAX
                };
                container.any_in(bytes, from, to)
            })
    }

    /// The high 16 bits of each container's members, in order.
    pub fn container_keys(&self) -> impl Iterator<Item = u32> + '_ {
        self.containers
            .iter()
            .map(|container| u32::from(container.key))
    }

    /// Membership. `bytes` must be the slice given to `parse`; with other
    /// bytes the answer is unspecified but it never panics.
    #[cfg_attr(not(any(test, fuzzing)), allow(dead_code))]
    #[inline]
    pub fn contains(&self, bytes: &[u8], value: u32) -> bool {
        let Some(probe) = self.probe(value) else {
            return false;
        };
        let container = probe.container;
        match container.kind {
            Kind::Array => self.rank_at(bytes, &probe).is_some(),
            Kind::Bitmap => container
                .bitmap(bytes)
                .is_some_and(|words| bitmap_contains(words, probe.low)),
            Kind::Run => container
                .runs(bytes)
                .is_some_and(|runs| find_run(runs, probe.low).is_some()),
        }
    }

    /// All members in increasing order. `bytes` must be the slice given to
    /// `parse`; with other bytes the values are unspecified (a container that
    /// lies outside them yields nothing) but it never panics.
    pub fn iter<'a>(&'a self, bytes: &'a [u8]) -> impl Iterator<Item = u32> + 'a {
        Iter {
            bytes,
            containers: self.containers.iter(),
            current: ContainerIter::Empty,
        }
    }
}

/// How `src/fuzzing.rs` reaches [`RoaringLayout`]: `format` re-exports only
/// [`Probe`] from this module.
#[cfg(fuzzing)]
impl Probe<'_> {
    /// [`RoaringLayout::parse`], for the fuzz entry points.
    pub fn parse_layout(bytes: &[u8]) -> Result<RoaringLayout, parse::RoaringError> {
        RoaringLayout::parse(bytes)
    }
}

#[cfg(test)]
mod tests;
