//! The lineage section (format 1.1, optional): where an index came from
//! beyond its own contents. 40 bytes: the snapshot id of the index a delta
//! was built on (32 zero bytes for none), and the newest `lastUpdated` of
//! the NgDP contacts it holds, in Unix milliseconds (`i64::MIN` for
//! unknown), little-endian.

use super::FormatError;

/// Length of the section.
pub(crate) const LINEAGE_LEN: usize = 40;

/// What the lineage section says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Lineage {
    /// The snapshot id of the base of a delta build.
    pub(crate) base: Option<[u8; 32]>,
    /// The newest `lastUpdated` of the contacts (Unix milliseconds).
    pub(crate) newest_update: Option<i64>,
}

impl Lineage {
    /// Whether there is anything to write.
    pub(crate) fn is_empty(&self) -> bool {
        self.base.is_none() && self.newest_update.is_none()
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(LINEAGE_LEN);
        out.extend_from_slice(&self.base.unwrap_or([0; 32]));
        out.extend_from_slice(&self.newest_update.unwrap_or(i64::MIN).to_le_bytes());
        out
    }

    pub(crate) fn decode(bytes: &[u8], name: &'static str) -> Result<Lineage, FormatError> {
        if bytes.len() != LINEAGE_LEN {
            return Err(FormatError::SectionContents {
                section: name,
                detail: format!("{} bytes, not {LINEAGE_LEN}", bytes.len()),
            });
        }
        let base: [u8; 32] = bytes[..32].try_into().expect("32 bytes");
        let newest = i64::from_le_bytes(bytes[32..].try_into().expect("8 bytes"));
        Ok(Lineage {
            base: (base != [0; 32]).then_some(base),
            newest_update: (newest != i64::MIN).then_some(newest),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_another_length() {
        for lineage in [
            Lineage::default(),
            Lineage {
                base: Some([7; 32]),
                newest_update: Some(1_759_305_600_000),
            },
            Lineage {
                base: None,
                newest_update: Some(-1),
            },
        ] {
            let bytes = lineage.encode();
            assert_eq!(bytes.len(), LINEAGE_LEN);
            assert_eq!(Lineage::decode(&bytes, "lineage"), Ok(lineage));
        }
        assert!(Lineage::decode(&[0; 39], "lineage").is_err());
    }
}
