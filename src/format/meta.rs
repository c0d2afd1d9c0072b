//! The `meta` section: the catalog and the statistics of each kind of
//! recipient, postcard-encoded.

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
#[allow(unused_imports)] // for the docs of `KindStats`
use crate::contact::Status;

/// The small records stored in the `meta` section (postcard-encoded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Meta {
    pub crate_version: String,
    pub catalog: Catalog,
    pub stats: [KindStats; 2],
}

/// Counts of one kind of recipient, gathered when the index was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindStats {
    /// Recipients per [`Status`], in [`Status::ALL`] order.
    pub by_status: [u64; 4],
    /// Recipients whose registration is pending (unconfirmed, awaiting registration).
    pub pending: u64,
    /// Recipients subscribing to NemSMS.
    pub nemsms: u64,
    /// Recipients with a time-limited exemption.
    pub exemption_windows: u64,
}
