//! # tilmelding
//!
//! Decides, for every letter a Danish public authority sends, whether it may
//! go through Digital Post, NemSMS or must go on paper — and why — from a
//! compact, immutable, memory-mapped index of Digital Post's complete
//! subscription list ("komplet liste").
//!
//! ## Overview
//!
//! - A [`Catalog`] (sender systems, subscription groups, materials; TOML) and
//!   the contact register extract (CSV, see [`ContactReader`]) go into [`build()`],
//!   which writes one index file (format in `FORMAT.md`).
//! - [`Index::open`] maps the file and checks it; [`Index::lookup`] answers
//!   `(material, recipient, date)` with an [`Answer`]: a [`Channel`] and a
//!   [`Reason`], following [the decision table](#the-decision-table)
//!   (`doc/decision.md` in the repository).
//! - [`Index::lookup_batch`] answers many recipients of one kind at once.
//!
//! ## Example
//!
//! ```
//! use tilmelding::{Catalog, Channel, Contact, Date, Index, IndexBuilder, Reason, Recipient, Status};
//!
//! let catalog = Catalog::from_toml(r#"
//!     [[sender_system]]
//!     id = "SYS-1"
//!     name = "Pasning ESDH"
//!     [[group]]
//!     id = "PASNING-P"
//!     name = "Meddelelser pasningsordning"
//!     audience = "private"
//!     active_from = 2021-11-30
//!     [[material]]
//!     id = "100234"
//!     name = "Tildeling af vuggestueplads"
//!     sender_system = "SYS-1"
//!     groups = ["PASNING-P"]
//! "#, "catalog.toml")?;
//!
//! let mut builder = IndexBuilder::new(catalog);
//! builder.add_contact("010190-1234".parse()?, Contact::new(Status::Registered));
//! builder.add_contact("020290-4321".parse()?, Contact::new(Status::Exempt));
//! let index = Index::from_bytes(builder.finish(0, 0, &mut |_| {}))?;
//!
//! let date: Date = "2026-11-22".parse()?;
//! let registered: Recipient = "0101901234".parse()?;
//! let answer = index.lookup("100234", &registered, date)?;
//! assert_eq!((answer.channel, answer.reason), (Channel::Digital, Reason::Registered));
//!
//! let exempt: Recipient = "0202904321".parse()?;
//! let answer = index.lookup("100234", &exempt, date)?;
//! assert_eq!((answer.channel, answer.reason), (Channel::Physical, Reason::Exempt));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Memory use
//!
//! The recipient data (per kind of recipient, blocks of one cache line that
//! hold up to 21 keys with their code bytes, placed by a hash of the key) is
//! read in place from the mapped file and shared by every process through
//! the page cache. Each open index holds in private memory only the catalog
//! and its decision rules (see [`Index::heap_size`]); a lookup computes its
//! block from the key and reads that one line of the file (the next one too
//! for about one key in nine, whose named block was full).
//!
//! ## Quirks
//!
//! - Replace an index file only by renaming a new file over it (as
//!   `tilmelding build` does). Truncating or rewriting a mapped file in place
//!   makes readers crash (SIGBUS) or answer from mixed data.
//! - A recipient listed twice in the extract is left out of the index (so it
//!   gets paper) and reported: there is no telling which line is right.
//! - CPR numbers are personal data: no error message or `Debug` output of this
//!   crate shows a full one (the serial is masked, `010190-xxxx`).
//!
#![doc = include_str!("../doc/decision.md")]
#![deny(missing_docs)]

// The unit tests of the C ABI share the integration tests' helpers, which
// name this crate `tilmelding`.
#[cfg(test)]
extern crate self as tilmelding;

// The integration tests' helpers, for the unit tests too: the C ABI's,
// and what a test does when the machine lacks something it needs.
#[cfg(test)]
#[path = "../tests/common/mod.rs"]
mod common;

mod builder;
mod catalog;
mod contact;
mod date;
mod decision;
mod diff;
mod extract;
mod ffi;
mod format;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod index;
mod memory;
mod reader;
mod recipient;

pub use builder::{
    BuildError, BuildOptions, BuildProgress, BuildReport, ERRORS_LISTED, Guard, IndexBuilder,
    build, build_delta, write_atomically,
};
pub use catalog::{Audience, Catalog, CatalogError, Material, MessageType};
pub use contact::{Contact, ContactRecord, Registration, Status};
pub use date::{Date, DateError};
pub use decision::{Answer, Channel, LookupError, Reason};
pub use diff::{CatalogDiff, Changes, Diff, KindDiff, State, diff};
pub use extract::{
    ContactAt, ContactError, ContactReader, ContactsFormat, ExtractError, LineError,
};
pub use format::{FormatError, KindStats};
pub use index::{Index, MaterialId, Metadata, OpenError};
pub use reader::{Reader, Refresh, Refresher};
pub use recipient::{Cpr, Cvr, Recipient, RecipientError, RecipientKind, quote_for_message};
