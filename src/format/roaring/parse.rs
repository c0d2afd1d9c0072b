//! Structural parsing ([`RoaringLayout::parse`]), content validation
//! ([`RoaringLayout::validate_contents`]) and what they report.

use super::container::{BITMAP_BYTES, Container, Kind, popcount, read_u16, read_u32, run_at};
use super::directory::Directory;
use super::{NO_CONTAINER, RoaringLayout};

/// Cookie of the format without run containers; followed by a `u32` count.
pub(super) const SERIAL_COOKIE_NO_RUNCONTAINER: u32 = 12346;
/// Low 16 bits of the cookie of the format that may hold run containers.
pub(super) const SERIAL_COOKIE: u32 = 12347;
/// With [`SERIAL_COOKIE`], the offset header is present from this many containers on.
const NO_OFFSET_THRESHOLD: usize = 4;
/// Non-run containers with more members than this are bitmaps.
const ARRAY_LIMIT: u32 = 4096;
/// There are at most 2^16 containers, one per key.
const MAX_CONTAINERS: usize = 1 << 16;

/// What is wrong with a serialized bitmap.
///
/// Byte offsets count from the start of the serialized bitmap; container
/// indexes count from 0 in serialized order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoaringError {
    /// The bytes end inside the cookie or the headers.
    #[error("roaring bitmap truncated: its header needs {needed} bytes, only {available} given")]
    Truncated {
        /// Bytes needed to read the header.
        needed: usize,
        /// Bytes given.
        available: usize,
    },
    /// The first four bytes are not a known cookie.
    #[error("not a roaring bitmap: unknown cookie {0:#010x} at byte 0")]
    BadCookie(u32),
    /// The `12346` cookie declares more than 65536 containers.
    #[error("roaring bitmap declares {count} containers at byte 4, more than the 65536 possible")]
    TooManyContainers {
        /// Declared container count.
        count: u32,
    },
    /// A container's key is not greater than the previous container's.
    #[error(
        "roaring bitmap container {container}: key {key} is not greater than the previous key {previous}"
    )]
    KeysNotIncreasing {
        /// Index of the offending container.
        container: usize,
        /// Its key.
        key: u16,
        /// The previous container's key.
        previous: u16,
    },
    /// The offset header does not give the byte where the container actually
    /// starts (containers must follow the headers back to back, in order).
    #[error(
        "roaring bitmap container {container}: offset header says byte {offset}, but the container starts at byte {expected}"
    )]
    BadOffset {
        /// Index of the offending container.
        container: usize,
        /// Offset given by the offset header.
        offset: u32,
        /// Offset where the container starts.
        expected: usize,
    },
    /// A container extends past the end of the bytes.
    #[error(
        "roaring bitmap container {container} at byte {offset} is truncated: it needs {needed} bytes, only {available} given"
    )]
    ContainerTruncated {
        /// Index of the offending container.
        container: usize,
        /// Byte offset where the container starts.
        offset: usize,
        /// Bytes needed to hold the container (its end offset).
        needed: usize,
        /// Bytes given.
        available: usize,
    },
    /// A container's header or contents are inconsistent.
    #[error("roaring bitmap container {container} at byte {offset} is invalid: {detail}")]
    InvalidContainer {
        /// Index of the offending container.
        container: usize,
        /// Byte offset where the container starts.
        offset: usize,
        /// What is wrong.
        detail: &'static str,
    },
    /// The declared cardinalities add up to more than `u32::MAX` members.
    #[error(
        "roaring bitmap has more than {} members (from container {container} on)",
        u32::MAX
    )]
    CardinalityOverflow {
        /// Index of the container at which the count overflows.
        container: usize,
    },
    /// Bytes follow the last container.
    #[error("roaring bitmap ends at byte {expected}, but {actual} bytes were given")]
    TrailingBytes {
        /// Serialized size according to the headers.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
}

impl RoaringLayout {
    /// Structural validation in O(number of containers): cookie, counts, keys
    /// strictly increasing, every offset/length in bounds with overflow-checked
    /// arithmetic, containers don't overlap and lie in order, the serialized
    /// length equals `bytes.len()` exactly (no trailing bytes), run containers'
    /// declared runs fit. Cardinality sum must fit `u32`.
    ///
    /// Containers must follow the headers back to back, and where an offset
    /// header is present each offset must be the container's actual start (all
    /// reference writers do this, and reference readers ignore the offsets, so
    /// this keeps our reading identical to theirs). A run container must
    /// declare at least one run and no more runs than members.
    ///
    /// Container contents are not validated; see
    /// [`RoaringLayout::validate_contents`]. They are read once, to build the
    /// rank directory that makes lookups touch one segment of a container
    /// (about a millisecond per million members). Never panics, whatever the
    /// bytes.
    pub fn parse(bytes: &[u8]) -> Result<RoaringLayout, RoaringError> {
        let available = bytes.len();
        let truncated = |needed: usize| RoaringError::Truncated { needed, available };

        let cookie = read_u32(bytes, 0).ok_or(truncated(4))?;
        // (container count, offset of the run-flag bitset, offset header present,
        // offset of the descriptive header)
        let (count, run_flags_at, has_offsets, descriptions_at) =
            if cookie == SERIAL_COOKIE_NO_RUNCONTAINER {
                let count = read_u32(bytes, 4).ok_or(truncated(8))?;
                if count as usize > MAX_CONTAINERS {
                    return Err(RoaringError::TooManyContainers { count });
                }
                (count as usize, None, true, 8)
            } else if cookie & 0xFFFF == SERIAL_COOKIE {
                let count = (cookie >> 16) as usize + 1;
                (
                    count,
                    Some(4),
                    count >= NO_OFFSET_THRESHOLD,
                    4 + count.div_ceil(8),
                )
            } else {
                return Err(RoaringError::BadCookie(cookie));
            };

        // count <= 65536, so none of this header arithmetic can overflow.
        let offsets_at = descriptions_at + 4 * count;
        let header_end = if has_offsets {
            offsets_at + 4 * count
        } else {
            offsets_at
        };
        if available < header_end {
            return Err(truncated(header_end));
        }

        let mut containers = Vec::with_capacity(count);
        let mut position = header_end;
        let mut total: u64 = 0;
        let mut previous_key: Option<u16> = None;
        for index in 0..count {
            let description = descriptions_at + 4 * index;
            let key = read_u16(bytes, description).ok_or(truncated(header_end))?;
            let card_minus_one = read_u16(bytes, description + 2).ok_or(truncated(header_end))?;
            if let Some(previous) = previous_key
                && key <= previous
            {
                return Err(RoaringError::KeysNotIncreasing {
                    container: index,
                    key,
                    previous,
                });
            }
            previous_key = Some(key);

            if has_offsets {
                let offset =
                    read_u32(bytes, offsets_at + 4 * index).ok_or(truncated(header_end))?;
                if offset as usize != position {
                    return Err(RoaringError::BadOffset {
                        container: index,
                        offset,
                        expected: position,
                    });
                }
            }
            let Ok(offset) = u32::try_from(position) else {
                // Only reachable with an offset header, whose u32 entries
                // would then not match (already reported above).
                return Err(RoaringError::BadOffset {
                    container: index,
                    offset: u32::MAX,
                    expected: position,
                });
            };

            let cardinality = u32::from(card_minus_one) + 1;
            let is_run = run_flags_at.is_some_and(|flags_at| {
                bytes
                    .get(flags_at + index / 8)
                    .is_some_and(|flags| flags & (1 << (index % 8)) != 0)
            });
            let (kind, size) = if is_run {
                let invalid = |detail| RoaringError::InvalidContainer {
                    container: index,
                    offset: position,
                    detail,
                };
                let n_runs = read_u16(bytes, position).ok_or(RoaringError::ContainerTruncated {
                    container: index,
                    offset: position,
                    needed: position.saturating_add(2),
                    available,
                })?;
                if n_runs == 0 {
                    return Err(invalid("run container with no runs"));
                }
                if u32::from(n_runs) > cardinality {
                    return Err(invalid("run container declares more runs than members"));
                }
                (Kind::Run, 2 + 4 * usize::from(n_runs))
            } else if cardinality > ARRAY_LIMIT {
                (Kind::Bitmap, BITMAP_BYTES)
            } else {
                (Kind::Array, 2 * cardinality as usize)
            };
            let end = match position.checked_add(size) {
                Some(end) if end <= available => end,
                _ => {
                    return Err(RoaringError::ContainerTruncated {
                        container: index,
                        offset: position,
                        needed: position.saturating_add(size),
                        available,
                    });
                }
            };

            let Ok(rank_base) = u32::try_from(total) else {
                return Err(RoaringError::CardinalityOverflow { container: index });
            };
            total += u64::from(cardinality);
            if total > u64::from(u32::MAX) {
                return Err(RoaringError::CardinalityOverflow { container: index });
            }

            containers.push(Container {
                offset,
                rank_base,
                key,
                card_minus_one,
                kind,
            });
            position = end;
        }

        if position != available {
            return Err(RoaringError::TrailingBytes {
                expected: position,
                actual: available,
            });
        }

        let table_len = containers
            .last()
            .map_or(0, |last| usize::from(last.key) + 1);
        let directories = containers
            .iter()
            .map(|container| match container.kind {
                Kind::Array => container.array(bytes).map(Directory::of_array),
                Kind::Bitmap => container.bitmap(bytes).map(Directory::of_bitmap),
                Kind::Run => None,
            })
            // Every container lies inside `bytes` (checked above).
            .map(Option::unwrap_or_default)
            .collect();
        let mut table = vec![NO_CONTAINER; table_len];
        for (index, container) in containers.iter().enumerate() {
            if let Some(slot) = table.get_mut(usize::from(container.key)) {
                // index < 65536: fits.
                *slot = index as u32;
            }
        }

        Ok(RoaringLayout {
            containers,
            directories,
            table,
            // Checked against u32::MAX in the loop.
            len: total as u32,
            byte_len: position,
        })
    }

    /// O(n) content validation (run by a full verify, not at open): arrays
    /// strictly increasing, bitmap containers' popcount equals the declared
    /// cardinality, runs sorted, non-overlapping and not adjacent (adjacent
    /// runs must be merged), within `u16`, and the sum of run lengths equals
    /// the declared cardinality.
    ///
    /// `bytes` must be the slice given to `parse`; other bytes may fail it.
    pub fn validate_contents(&self, bytes: &[u8]) -> Result<(), RoaringError> {
        for (index, container) in self.containers.iter().enumerate() {
            let invalid = |detail| RoaringError::InvalidContainer {
                container: index,
                offset: container.offset as usize,
                detail,
            };
            let outside = || invalid("container lies outside the given bytes");
            match container.kind {
                Kind::Array => {
                    let values = container.array(bytes).ok_or_else(outside)?;
                    // Without a branch per value, so that it vectorizes.
                    let mut increasing = true;
                    for pair in values.windows(4).step_by(2) {
                        let first = u16::from_le_bytes([pair[0], pair[1]]);
                        let second = u16::from_le_bytes([pair[2], pair[3]]);
                        increasing &= first < second;
                    }
                    if !increasing {
                        return Err(invalid("array values are not strictly increasing"));
                    }
                }
                Kind::Bitmap => {
                    let words = container.bitmap(bytes).ok_or_else(outside)?;
                    if popcount(words) != container.cardinality() {
                        return Err(invalid(
                            "bitmap population count differs from the declared cardinality",
                        ));
                    }
                }
                Kind::Run => {
                    let runs = container.runs(bytes).ok_or_else(outside)?;
                    let mut previous_end: Option<u16> = None;
                    let mut members: u64 = 0;
                    for index in 0..runs.len() / 4 {
                        let (start, length_minus_one) = run_at(runs, index).ok_or_else(outside)?;
                        let Some(end) = start.checked_add(length_minus_one) else {
                            return Err(invalid("run extends past 65535"));
                        };
                        if let Some(previous_end) = previous_end {
                            if start <= previous_end {
                                return Err(invalid("runs overlap or are not sorted"));
                            }
                            if start == previous_end + 1 {
                                return Err(invalid("runs are adjacent (not merged)"));
                            }
                        }
                        previous_end = Some(end);
                        members += u64::from(length_minus_one) + 1;
                    }
                    if members != u64::from(container.cardinality()) {
                        return Err(invalid(
                            "run lengths do not add up to the declared cardinality",
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
