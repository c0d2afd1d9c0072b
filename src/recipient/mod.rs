//! Recipient identifiers: CPR numbers (persons) and CVR numbers (companies).
//!
//! CPR numbers are personal data. Only `Display` of [`Cpr`] and [`Recipient`]
//! prints all ten digits, because that is the normalized form written to result
//! lines; `Debug`, [`Cpr::masked`], [`Recipient::masked`], every
//! [`RecipientError`] and [`mask_input`] never reveal a full CPR number.
//!
//! Parsing from numbers ([`Cpr::from_digits`], [`Recipient::from_number`]) and
//! from strings (`FromStr`) never allocates: they sit on the batch-lookup hot path.

use std::fmt;
use std::str::FromStr;

mod cpr;
mod cvr;

pub use self::cpr::Cpr;
pub use self::cvr::Cvr;
pub(crate) use self::cvr::{CVR_SUMS, SUMS_LEN};

use self::cpr::MaskedCpr;

/// Which register a recipient belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum RecipientKind {
    /// A person, identified by a CPR number.
    Cpr = 0,
    /// A company, identified by a CVR number.
    Cvr = 1,
}

impl RecipientKind {
    /// Both kinds, in `Ord` order.
    pub const ALL: [RecipientKind; 2] = [RecipientKind::Cpr, RecipientKind::Cvr];

    /// The register's name: `"CPR"` or `"CVR"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecipientKind::Cpr => "CPR",
            RecipientKind::Cvr => "CVR",
        }
    }

    /// A number as [`Recipient::from_number`] takes it, written with this
    /// kind's digits (ten for CPR, eight for CVR): the leading zeros an
    /// integer drops are put back, so that masking it for a message keeps the
    /// date part and hides the serial (`101901234` is `0101901234`).
    pub(crate) fn number_as_written(self, n: u64) -> String {
        match self {
            RecipientKind::Cpr => format!("{n:010}"),
            RecipientKind::Cvr => format!("{n:08}"),
        }
    }
}

impl fmt::Display for RecipientKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Why a string or number is not a valid recipient.
///
/// Carries no data, so neither its `Display` nor its `Debug` can contain the
/// rejected input. Use `mask_input` to quote the input safely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecipientError {
    /// The input was empty or only whitespace.
    Empty,
    /// Wrong length or characters for any accepted CPR or CVR form.
    Malformed,
    /// A CPR number whose date does not exist in the century its 7th digit gives.
    InvalidDate,
    /// A CVR number failing the modulus-11 check.
    InvalidCvrCheckDigit,
    /// A CVR number starting with 0 (fewer than 8 significant digits).
    CvrLeadingZero,
    /// A number too large to be a CPR (10 digits) or CVR (8 digits) number.
    OutOfRange,
}

impl fmt::Display for RecipientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecipientError::Empty => "empty recipient number",
            RecipientError::Malformed => {
                "malformed recipient number: expected a CPR number (DDMMYYSSSS or DDMMYY-SSSS) \
                 or a CVR number (8 digits, optionally prefixed by DK)"
            }
            RecipientError::InvalidDate => {
                "invalid CPR number: not a valid date in the century its 7th digit gives"
            }
            RecipientError::InvalidCvrCheckDigit => {
                "invalid CVR number: modulus-11 check digit does not match"
            }
            RecipientError::CvrLeadingZero => "invalid CVR number: must not start with 0",
            RecipientError::OutOfRange => {
                "number out of range for a CPR (10 digits) or CVR (8 digits) number"
            }
        })
    }
}

impl std::error::Error for RecipientError {}

/// Writes `value` as `buf.len()` zero-padded decimal digits.
fn put_digits(buf: &mut [u8], mut value: u32) {
    for b in buf.iter_mut().rev() {
        *b = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Pads an ASCII buffer through the formatter, so width/alignment flags work.
fn pad_ascii(f: &mut fmt::Formatter<'_>, buf: &[u8]) -> fmt::Result {
    f.pad(std::str::from_utf8(buf).map_err(|_| fmt::Error)?)
}

/// A letter recipient: a person (CPR) or a company (CVR).
///
/// `Display` is the normalized form (10 or 8 digits); `Debug` masks CPR numbers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Recipient {
    /// A person.
    Cpr(Cpr),
    /// A company.
    Cvr(Cvr),
}

impl Recipient {
    /// Which register the recipient belongs to.
    pub const fn kind(self) -> RecipientKind {
        match self {
            Recipient::Cpr(_) => RecipientKind::Cpr,
            Recipient::Cvr(_) => RecipientKind::Cvr,
        }
    }

    /// The key stored in the index: [`Cpr::packed`] or the CVR number.
    #[inline]
    pub const fn key(self) -> u32 {
        match self {
            Recipient::Cpr(cpr) => cpr.packed(),
            Recipient::Cvr(cvr) => cvr.number(),
        }
    }

    /// Inverse of [`Recipient::key`] given the kind; `None` unless the key is valid.
    pub const fn from_key(kind: RecipientKind, key: u32) -> Option<Recipient> {
        match kind {
            RecipientKind::Cpr => match Cpr::from_packed(key) {
                Some(cpr) => Some(Recipient::Cpr(cpr)),
                None => None,
            },
            RecipientKind::Cvr => match Cvr::new(key) {
                Ok(cvr) => Some(Recipient::Cvr(cvr)),
                Err(_) => None,
            },
        }
    }

    /// From a kind and a number: for CPR the ten digits as one integer, for
    /// CVR the 8-digit number. Used by batch lookups.
    ///
    /// # Errors
    /// As [`Cpr::from_digits`] or [`Cvr::new`].
    #[inline]
    pub const fn from_number(kind: RecipientKind, n: u64) -> Result<Recipient, RecipientError> {
        match kind {
            RecipientKind::Cpr => match Cpr::from_digits(n) {
                Ok(cpr) => Ok(Recipient::Cpr(cpr)),
                Err(e) => Err(e),
            },
            RecipientKind::Cvr => {
                if n > 99_999_999 {
                    return Err(RecipientError::OutOfRange);
                }
                match Cvr::new(n as u32) {
                    Ok(cvr) => Ok(Recipient::Cvr(cvr)),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Log-safe form: CPR masked as `DDMMYY-xxxx`, CVR in full.
    pub const fn masked(self) -> impl fmt::Display {
        MaskedRecipient(self)
    }
}

impl From<Cpr> for Recipient {
    fn from(cpr: Cpr) -> Self {
        Recipient::Cpr(cpr)
    }
}

impl From<Cvr> for Recipient {
    fn from(cvr: Cvr) -> Self {
        Recipient::Cvr(cvr)
    }
}

struct MaskedRecipient(Recipient);

impl fmt::Display for MaskedRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Recipient::Cpr(cpr) => fmt::Display::fmt(&MaskedCpr(cpr), f),
            Recipient::Cvr(cvr) => fmt::Display::fmt(&cvr, f),
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Cpr(cpr) => fmt::Display::fmt(cpr, f),
            Recipient::Cvr(cvr) => fmt::Display::fmt(cvr, f),
        }
    }
}

// Hand-written only so the shape matches a derive; masking comes from Cpr's Debug.
impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Cpr(cpr) => f.debug_tuple("Cpr").field(cpr).finish(),
            Recipient::Cvr(cvr) => f.debug_tuple("Cvr").field(cvr).finish(),
        }
    }
}

impl FromStr for Recipient {
    type Err = RecipientError;

    /// Accepts, after trimming ASCII whitespace: 10 digits or `DDMMYY-SSSS`
    /// (CPR); 8 digits, optionally prefixed by `DK`/`dk` and one optional
    /// space (CVR).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, n) = lex(s)?;
        Recipient::from_number(kind, n)
    }
}

/// All-ASCII-digit slice (at most 19 digits) as an integer.
const fn ascii_digits(bytes: &[u8]) -> Option<u64> {
    let mut value = 0u64;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + (b - b'0') as u64;
        i += 1;
    }
    Some(value)
}

/// Recognizes the accepted shapes without validating the number itself.
fn lex(s: &str) -> Result<(RecipientKind, u64), RecipientError> {
    let bytes = s.trim_ascii().as_bytes();
    if bytes.is_empty() {
        return Err(RecipientError::Empty);
    }
    let lexed = match bytes {
        [b'D', b'K', rest @ ..] | [b'd', b'k', rest @ ..] => {
            let digits = rest.strip_prefix(b" ").unwrap_or(rest);
            match digits.len() {
                8 => ascii_digits(digits).map(|n| (RecipientKind::Cvr, n)),
                _ => None,
            }
        }
        _ => match bytes.len() {
            8 => ascii_digits(bytes).map(|n| (RecipientKind::Cvr, n)),
            10 => ascii_digits(bytes).map(|n| (RecipientKind::Cpr, n)),
            11 if bytes[6] == b'-' => {
                match (ascii_digits(&bytes[..6]), ascii_digits(&bytes[7..])) {
                    (Some(ddmmyy), Some(serial)) => {
                        Some((RecipientKind::Cpr, ddmmyy * 10_000 + serial))
                    }
                    _ => None,
                }
            }
            _ => None,
        },
    };
    lexed.ok_or(RecipientError::Malformed)
}

/// Quotes any text from outside (a field of the extract, a material ID, a
/// recipient) for an error message: control characters replaced, at most
/// 40 characters, and masked with `mask_input` when it could hold a CPR
/// number or most of one (seven digits in a row, or ten in all). Dates and
/// ordinary IDs stay readable.
pub fn quote_for_message(text: &str) -> String {
    // Replaced, not escaped: `\0` followed by digits would read as a number.
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    let digits = text.chars().filter(|c| c.is_numeric()).count();
    let longest_run = text
        .split(|c: char| !c.is_numeric())
        .map(|run| run.chars().count())
        .max()
        .unwrap_or(0);
    if longest_run >= 7 || digits >= 10 {
        format!("\"{}\"", mask_input(&text))
    } else if text.chars().count() > 40 {
        format!("\"{}…\"", text.chars().take(39).collect::<String>())
    } else {
        format!("\"{text}\"")
    }
}

/// Masks raw, possibly invalid input so it can be quoted in an error message.
///
/// Keeps the first 6 digits seen and replaces every later digit by `x`, so a
/// CPR number keeps only its date part. Any Unicode numeric character counts
/// as a digit here (not only ASCII), so a CPR number typed in e.g. full-width
/// digits is masked too. Other characters are kept. The result is at most 40
/// characters: longer input is cut to 39 and `…` appended.
pub fn mask_input(raw: &str) -> String {
    const MAX_CHARS: usize = 40;
    const KEPT_DIGITS: usize = 6;
    let truncated = raw.chars().nth(MAX_CHARS).is_some();
    let take = if truncated { MAX_CHARS - 1 } else { MAX_CHARS };
    let mut out = String::with_capacity(raw.len().min(MAX_CHARS * 4));
    let mut digits = 0;
    for c in raw.chars().take(take) {
        if c.is_numeric() {
            digits += 1;
            out.push(if digits > KEPT_DIGITS { 'x' } else { c });
        } else {
            out.push(c);
        }
    }
    if truncated {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
