//! Iteration over the members, container by container.

use super::container::{Container, Kind, read_u16, read_u64_or_0, run_at};

/// Iterator over the members of one container.
pub(super) enum ContainerIter<'a> {
    /// Nothing left.
    Empty,
    /// Remaining array values.
    Array {
        /// High bits of the members.
        high: u32,
        /// Values not yet yielded (2 bytes each).
        values: std::slice::ChunksExact<'a, u8>,
    },
    /// Remaining bitmap words.
    Bitmap {
        /// High bits of the members.
        high: u32,
        /// Words not yet loaded (8 bytes each).
        words: std::slice::ChunksExact<'a, u8>,
        /// Low value of bit 0 of `word`.
        base: u32,
        /// Unyielded bits of the current word.
        word: u64,
    },
    /// Remaining runs.
    Run {
        /// High bits of the members.
        high: u32,
        /// Runs not yet started (4 bytes each).
        runs: std::slice::ChunksExact<'a, u8>,
        /// Next low value of the current run.
        next: u32,
        /// Last low value of the current run (`next > last` when done).
        last: u32,
    },
}

impl ContainerIter<'_> {
    /// Next member of this container, if any.
    #[inline]
    fn next(&mut self) -> Option<u32> {
        match self {
            ContainerIter::Empty => None,
            ContainerIter::Array { high, values } => {
                let value = read_u16(values.next()?, 0)?;
                Some(*high | u32::from(value))
            }
            ContainerIter::Bitmap {
                high,
                words,
                base,
                word,
            } => {
                while *word == 0 {
                    *word = read_u64_or_0(words.next()?, 0);
                    *base += 64;
                }
                let bit = word.trailing_zeros();
                *word &= *word - 1;
                // base <= 65472 and bit < 64: the sum fits in 16 bits.
                Some(*high | (*base + bit))
            }
            ContainerIter::Run {
                high,
                runs,
                next,
                last,
            } => {
                if *next > *last {
                    let (start, length_minus_one) = run_at(runs.next()?, 0)?;
                    *next = u32::from(start);
                    // Clamp a (malformed) run that passes 65535.
                    *last = (u32::from(start) + u32::from(length_minus_one)).min(0xFFFF);
                }
                let value = *high | *next;
                *next += 1;
                Some(value)
            }
        }
    }
}

/// Iterator over all members, container by container.
pub(super) struct Iter<'a> {
    /// The serialized bitmap.
    pub(super) bytes: &'a [u8],
    /// Containers not yet started.
    pub(super) containers: std::slice::Iter<'a, Container>,
    /// The container being iterated.
    pub(super) current: ContainerIter<'a>,
}

impl Iterator for Iter<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        loop {
            if let Some(value) = self.current.next() {
                return Some(value);
            }
            let container = self.containers.next()?;
            let high = container.high();
            self.current = match container.kind {
                Kind::Array => container
                    .array(self.bytes)
                    .map_or(ContainerIter::Empty, |values| ContainerIter::Array {
                        high,
                        values: values.chunks_exact(2),
                    }),
                Kind::Bitmap => {
                    container
                        .bitmap(self.bytes)
                        .map_or(ContainerIter::Empty, |words| {
                            let mut words = words.chunks_exact(8);
                            let word = words.next().map_or(0, |word| read_u64_or_0(word, 0));
                            ContainerIter::Bitmap {
                                high,
                                words,
                                base: 0,
                                word,
                            }
                        })
                }
                Kind::Run => container
                    .runs(self.bytes)
                    .map_or(ContainerIter::Empty, |runs| ContainerIter::Run {
                        high,
                        runs: runs.chunks_exact(4),
                        next: 1,
                        last: 0,
                    }),
            };
        }
    }
}
