//! The on-disk layout of an index file. `FORMAT.md` is the specification;
//! this module is its implementation, and the two change together.
//!
//! ```text
//! header (128 bytes) | section table (32 bytes a section) | sections, each 64-byte aligned
//! ```

pub(crate) mod hashed;
mod lanes;
mod lineage;
mod meta;
mod register;

pub(crate) use self::lineage::Lineage;
pub use self::meta::KindStats;
pub(crate) use self::meta::Meta;
pub(crate) use self::register::{
    BlockCheck, Code, Counts, KeyCheck, Probe, Register, checksum_and_counts, encode,
    encode_register, encode_window,
};

use sha2::{Digest, Sha256};

/// The first eight bytes of every index file. The high byte and the line
/// endings catch transfers that mangle binary files (as PNG's signature does).
pub(crate) const MAGIC: [u8; 8] = *b"\x89TLM\r\n\x1a\n";
/// Incompatible layout changes bump the major version; readers refuse other
/// majors. 2 put each key beside its code byte, in blocks of one cache line
/// found through a directory; 3 places the blocks by a hash of the key.
pub(crate) const FORMAT_MAJOR: u16 = 3;
/// Compatible additions (new optional sections) bump the minor version.
pub(crate) const FORMAT_MINOR: u16 = 0;
pub(crate) const HEADER_LEN: usize = 128;
pub(crate) const SECTION_ENTRY_LEN: usize = 32;
/// Every section starts at a multiple of this: a cache line, so that a
/// block of the register is one line of a mapping.
pub(crate) const ALIGN: usize = 64;
const HEADER_CRC_OFFSET: usize = HEADER_LEN - 4;

/// What a section holds. The numbers are part of the format and never
/// change meaning: 3, 4, 6 and 7 held format 1's registers (a roaring
/// bitmap and a code array per kind), 10 to 13 format 2's (fences and
/// blocks per kind); format 3 uses neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub(crate) enum SectionKind {
    /// postcard: crate version, catalog, statistics.
    Meta = 1,
    /// fst map: material ID -> material index.
    Materials = 2,
    /// Exemption windows of CPR contacts that have one.
    CprWindows = 5,
    /// Exemption windows of CVR contacts that have one.
    CvrWindows = 8,
    /// Optional: the base of a delta build, the newest `lastUpdated`.
    Lineage = 9,
    /// The packed CPR keys with their code bytes: a header line, then
    /// blocks of 64 bytes placed by a hash of the key.
    CprRegister = 14,
    /// The CVR numbers with their code bytes, laid out as `cpr_register`.
    CvrRegister = 15,
}

impl SectionKind {
    /// In the order the writer writes them.
    pub(crate) const ALL: [SectionKind; 7] = [
        SectionKind::Meta,
        SectionKind::Materials,
        SectionKind::CprRegister,
        SectionKind::CprWindows,
        SectionKind::CvrRegister,
        SectionKind::CvrWindows,
        SectionKind::Lineage,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            SectionKind::Meta => "meta",
            SectionKind::Materials => "materials",
            SectionKind::CprRegister => "cpr_register",
            SectionKind::CprWindows => "cpr_windows",
            SectionKind::CvrRegister => "cvr_register",
            SectionKind::CvrWindows => "cvr_windows",
            SectionKind::Lineage => "lineage",
        }
    }
}

/// What is wrong with an index file's bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Shorter than a header.
    #[error("the file is {len} bytes, too short for an index (a header alone is {HEADER_LEN})")]
    TooShort {
        /// File length.
        len: usize,
    },
    /// Not an index file.
    #[error("not a tilmelding index (wrong magic bytes)")]
    BadMagic,
    /// Written by an incompatible version.
    #[error(
        "index format {major}.{minor} is not supported: tilmelding {} reads format {FORMAT_MAJOR}.x; rebuild the index with this version of tilmelding",
        env!("CARGO_PKG_VERSION")
    )]
    UnsupportedVersion {
        /// Major version in the file.
        major: u16,
        /// Minor version in the file.
        minor: u16,
    },
    /// The header's checksum does not match.
    #[error("the header is corrupt (checksum mismatch)")]
    HeaderChecksum,
    /// The file is not as long as its header says: truncated or appended to.
    #[error(
        "the file is {actual} bytes but its header says {expected}: truncated or damaged in transfer"
    )]
    LengthMismatch {
        /// Length from the header.
        expected: u64,
        /// Actual length.
        actual: u64,
    },
    /// A header field has an impossible value.
    #[error("the header is invalid: {0}")]
    Header(&'static str),
    /// A section lies (partly) outside the file, overlaps another, or is misaligned.
    #[error("section {section} has an invalid position: {detail}")]
    SectionBounds {
        /// Section name or number.
        section: String,
        /// What is wrong.
        detail: &'static str,
    },
    /// A required section is missing or present twice.
    #[error("section {section} is {detail}")]
    SectionCount {
        /// Section name.
        section: &'static str,
        /// "missing" or "present more than once".
        detail: &'static str,
    },
    /// A section's checksum does not match its bytes.
    #[error("section {section} is corrupt (checksum {actual:08x}, expected {expected:08x})")]
    SectionChecksum {
        /// Section name.
        section: &'static str,
        /// Checksum in the section table.
        expected: u32,
        /// Checksum of the bytes.
        actual: u32,
    },
    /// A section's contents are invalid.
    #[error("section {section} is invalid: {detail}")]
    SectionContents {
        /// Section name.
        section: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The snapshot id does not match the contents (found by full verification).
    #[error("the snapshot id does not match the file's contents")]
    SnapshotMismatch,
}

/// The fixed-size header at the start of every index file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub major: u16,
    pub minor: u16,
    pub section_count: u32,
    pub build_time: i64,
    pub as_of: i64,
    pub materials: u32,
    pub groups: u32,
    pub sender_systems: u32,
    pub cpr_contacts: u64,
    pub cvr_contacts: u64,
    pub snapshot_id: [u8; 32],
    pub file_len: u64,
}

impl Header {
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..10].copy_from_slice(&self.major.to_le_bytes());
        b[10..12].copy_from_slice(&self.minor.to_le_bytes());
        b[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
        b[16..20].copy_from_slice(&self.section_count.to_le_bytes());
        // 20..24: flags, zero.
        b[24..32].copy_from_slice(&self.build_time.to_le_bytes());
        b[32..40].copy_from_slice(&self.as_of.to_le_bytes());
        b[40..44].copy_from_slice(&self.materials.to_le_bytes());
        b[44..48].copy_from_slice(&self.groups.to_le_bytes());
        b[48..52].copy_from_slice(&self.sender_systems.to_le_bytes());
        // 52..56: reserved, zero.
        b[56..64].copy_from_slice(&self.cpr_contacts.to_le_bytes());
        b[64..72].copy_from_slice(&self.cvr_contacts.to_le_bytes());
        b[72..104].copy_from_slice(&self.snapshot_id);
        b[104..112].copy_from_slice(&self.file_len.to_le_bytes());
        // 112..124: reserved, zero.
        let crc = crc32fast::hash(&b[..HEADER_CRC_OFFSET]);
        b[HEADER_CRC_OFFSET..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Header, FormatError> {
        let b = bytes
            .get(..HEADER_LEN)
            .ok_or(FormatError::TooShort { len: bytes.len() })?;
        if b[0..8] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        let major = u16_at(b, 8);
        let minor = u16_at(b, 10);
        if major != FORMAT_MAJOR {
            return Err(FormatError::UnsupportedVersion { major, minor });
        }
        if crc32fast::hash(&b[..HEADER_CRC_OFFSET]) != u32_at(b, HEADER_CRC_OFFSET) {
            return Err(FormatError::HeaderChecksum);
        }
        if u32_at(b, 12) as usize != HEADER_LEN {
            return Err(FormatError::Header("header length is not 128"));
        }
        if u32_at(b, 20) != 0 {
            return Err(FormatError::Header("unknown flags are set"));
        }
        if b[52..56].iter().chain(&b[112..124]).any(|&x| x != 0) {
            return Err(FormatError::Header("reserved bytes are not zero"));
        }
        let header = Header {
            major,
            minor,
            section_count: u32_at(b, 16),
            build_time: u64_at(b, 24) as i64,
            as_of: u64_at(b, 32) as i64,
            materials: u32_at(b, 40),
            groups: u32_at(b, 44),
            sender_systems: u32_at(b, 48),
            cpr_contacts: u64_at(b, 56),
            cvr_contacts: u64_at(b, 64),
            snapshot_id: b[72..104].try_into().expect("32 bytes"),
            file_len: u64_at(b, 104),
        };
        if header.file_len != bytes.len() as u64 {
            return Err(FormatError::LengthMismatch {
                expected: header.file_len,
                actual: bytes.len() as u64,
            });
        }
        Ok(header)
    }
}

/// Where a section lies, as read from (and checked against) the section table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Section {
    pub kind: u32,
    pub start: usize,
    pub end: usize,
    pub crc: u32,
}

/// Reads and checks the section table: every section inside the file, each
/// at the first 64-byte aligned offset after the table or the section before
/// it, zero padding between, nothing after the last.
/// Unknown section kinds are allowed (a newer minor version may add some).
pub(crate) fn read_sections(bytes: &[u8], header: &Header) -> Result<Vec<Section>, FormatError> {
    let count = header.section_count as usize;
    let table_end = count
        .checked_mul(SECTION_ENTRY_LEN)
        .and_then(|n| n.checked_add(HEADER_LEN))
        .filter(|&end| end <= bytes.len())
        .ok_or(FormatError::Header(
            "the section table does not fit in the file",
        ))?;
    let mut sections = Vec::with_capacity(count);
    let mut previous_end = table_end;
    for entry in bytes[HEADER_LEN..table_end].chunks_exact(SECTION_ENTRY_LEN) {
        let kind = u32_at(entry, 0);
        let bounds_error = |detail| FormatError::SectionBounds {
            section: section_name(kind),
            detail,
        };
        if u32_at(entry, 4) != 0 || u32_at(entry, 28) != 0 {
            return Err(bounds_error("reserved fields are not zero"));
        }
        let start = u64_at(entry, 8);
        let len = u64_at(entry, 16);
        let end = start
            .checked_add(len)
            .filter(|&end| end <= bytes.len() as u64)
            .ok_or_else(|| bounds_error("it extends past the end of the file"))?;
        if !start.is_multiple_of(ALIGN as u64) {
            return Err(bounds_error("it is not 64-byte aligned"));
        }
        // Sections follow each other with only the zero padding that aligns them,
        // so no byte of the file escapes the checksums.
        if start != align(previous_end) as u64 {
            return Err(bounds_error(
                "it does not start at the first aligned offset after the table or the section before it",
            ));
        }
        if bytes[previous_end..start as usize].iter().any(|&b| b != 0) {
            return Err(bounds_error("the padding before it is not zero"));
        }
        // Both fit in the file's length, so in usize.
        let (start, end) = (start as usize, end as usize);
        sections.push(Section {
            kind,
            start,
            end,
            crc: u32_at(entry, 24),
        });
        previous_end = end;
    }
    if previous_end != bytes.len() {
        return Err(FormatError::Header("bytes follow the last section"));
    }
    Ok(sections)
}

fn section_name(kind: u32) -> String {
    SectionKind::ALL
        .iter()
        .find(|k| **k as u32 == kind)
        .map_or_else(|| format!("#{kind}"), |k| k.name().to_owned())
}

/// The snapshot id: SHA-256 of the as-of time and everything after the header.
pub(crate) fn snapshot_id(as_of: i64, after_header: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(as_of.to_le_bytes());
    hasher.update(after_header);
    hasher.finalize().into()
}

/// The materials section: an fst map from each material ID to its index in
/// the catalog. The encoding is canonical, which lets a reader check the
/// section by building it again instead of trusting the fst's bytes.
pub(crate) fn materials_fst(catalog: &crate::Catalog) -> Result<Vec<u8>, fst::Error> {
    let mut ids: Vec<(&str, u64)> = (catalog.materials.iter().enumerate())
        .map(|(i, m)| (m.id.as_str(), i as u64))
        .collect();
    ids.sort_unstable();
    Ok(fst::Map::from_iter(ids)?.into_fst().into_inner())
}

/// Lays out an index file: header, section table, sections (64-byte aligned, zero padded).
pub(crate) fn assemble(mut header: Header, sections: &[(SectionKind, &[u8])]) -> Vec<u8> {
    let table_end = HEADER_LEN + sections.len() * SECTION_ENTRY_LEN;
    let total = sections
        .iter()
        .fold(table_end, |at, (_, s)| align(at) + s.len());
    let mut out = vec![0u8; total];
    let mut at = table_end;
    for (i, (kind, bytes)) in sections.iter().enumerate() {
        at = align(at);
        out[at..at + bytes.len()].copy_from_slice(bytes);
        let entry = &mut out[HEADER_LEN + i * SECTION_ENTRY_LEN..][..SECTION_ENTRY_LEN];
        entry[0..4].copy_from_slice(&(*kind as u32).to_le_bytes());
        entry[8..16].copy_from_slice(&(at as u64).to_le_bytes());
        entry[16..24].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
        entry[24..28].copy_from_slice(&crc32fast::hash(bytes).to_le_bytes());
        at += bytes.len();
    }
    header.section_count = sections.len() as u32;
    header.file_len = total as u64;
    header.snapshot_id = snapshot_id(header.as_of, &out[HEADER_LEN..]);
    out[..HEADER_LEN].copy_from_slice(&header.encode());
    out
}

fn align(at: usize) -> usize {
    at.next_multiple_of(ALIGN)
}

/// Asks the CPU to start loading the cache line holding `bytes[at]`, so that
/// a lookup a few steps later finds it there. A hint only: no effect on
/// results, nothing if `at` is out of bounds or the target has no prefetch.
#[inline(always)]
pub(crate) fn prefetch(bytes: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(byte) = bytes.get(at) {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch never faults and reads nothing into the program;
        // the pointer is in bounds of a live slice anyway. SSE is part of the
        // x86_64 baseline.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(byte).cast()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (bytes, at);
}

pub(crate) fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}
