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
/// rejected input. Use [`mask_input`] to quote the input safely.
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

/// Days per month in a common year; February is fixed up by [`days_in_month`].
const DAYS_IN_MONTH: [u8; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/// Replacement numbers ("erstatningspersonnummer") add this to the day.
const REPLACEMENT_OFFSET: u8 = 60;
/// Day slots in the packed key: 1..=91 used, 0 unused.
const DAY_SLOTS: u32 = 92;
const SERIALS: u32 = 10_000;

// The calendar arithmetic below avoids branches on the number: parsing a
// batch of CPR numbers would otherwise mispredict on every other leap-year or
// century test, and those stalls cost more than the arithmetic.

const fn is_leap(year: u16) -> bool {
    // `&` and `|`, not `&&` and `||`: evaluated without a branch.
    year.is_multiple_of(4) & (!year.is_multiple_of(100) | year.is_multiple_of(400))
}

/// By the serial's first digit (the 7th digit): the last two-digit year of
/// the first century, the first century, and the century after that year.
const CENTURIES: [(u16, u16, u16); 10] = [
    (99, 1900, 1900),
    (99, 1900, 1900),
    (99, 1900, 1900),
    (99, 1900, 1900),
    (36, 2000, 1900),
    (57, 2000, 1800),
    (57, 2000, 1800),
    (57, 2000, 1800),
    (57, 2000, 1800),
    (36, 2000, 1900),
];

/// Full year from the two-digit year and the serial's first digit (the 7th digit).
/// `yy` must be <= 99 and `serial` <= 9999.
const fn full_year(yy: u8, serial: u16) -> u16 {
    let yy = yy as u16;
    let (last, first, then) = CENTURIES[(serial / 1000) as usize];
    (if yy <= last { first } else { then }) + yy
}

/// Whether February has 29 days in the year a CPR number names, by the
/// serial's first digit and the two-digit year: checking a number reads one
/// byte instead of working out the century and testing divisibility.
const LEAP: [[bool; 100]; 10] = {
    let mut table = [[false; 100]; 10];
    let mut digit = 0;
    while digit < 10 {
        let mut yy = 0;
        while yy < 100 {
            table[digit][yy] = is_leap(full_year(yy as u8, digit as u16 * 1000));
            yy += 1;
        }
        digit += 1;
    }
    table
};

/// Days in `month` (1..=12) of the year that the two-digit year `yy`
/// (<= 99) names with `serial` (<= 9999).
const fn days_in_month(yy: u8, serial: u16, month: u8) -> u8 {
    let leap = LEAP[(serial / 1000) as usize][yy as usize];
    DAYS_IN_MONTH[(month - 1) as usize] + ((month == 2) & leap) as u8
}

/// A validated CPR number (Danish personal identification number).
///
/// Holds the packed key (see [`Cpr::packed`]), so it is 4 bytes and orders by
/// (YY, MM, DD, SSSS) — not chronologically, since the century depends on SSSS.
///
/// `Display` gives the ten digits `DDMMYYSSSS`; `Debug` is masked
/// (`Cpr(DDMMYY-xxxx)`) so an accidental `{:?}` in a log never leaks it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cpr(u32);

impl Cpr {
    /// From the ten digits `DDMMYYSSSS` read as one integer (so `0101901234`
    /// is `101_901_234`).
    ///
    /// # Errors
    /// [`RecipientError::OutOfRange`] for more than ten digits,
    /// [`RecipientError::InvalidDate`] if the date does not exist.
    #[inline]
    pub const fn from_digits(n: u64) -> Result<Cpr, RecipientError> {
        if n >= 10_000_000_000 {
            return Err(RecipientError::OutOfRange);
        }
        // Below 10^6 after this split, so the rest is cheap u32 arithmetic.
        let ddmmyy = (n / 10_000) as u32;
        let serial = (n % 10_000) as u16;
        Cpr::new(
            (ddmmyy / 10_000) as u8,
            (ddmmyy / 100 % 100) as u8,
            (ddmmyy % 100) as u8,
            serial,
        )
    }

    /// From day (1..=31, or 61..=91 for replacement numbers), month, two-digit
    /// year and serial, fully validated.
    ///
    /// # Errors
    /// [`RecipientError::OutOfRange`] if `yy > 99` or `serial > 9999`,
    /// [`RecipientError::InvalidDate`] if the date does not exist in the
    /// century given by the serial's first digit.
    #[inline]
    pub const fn new(day: u8, month: u8, yy: u8, serial: u16) -> Result<Cpr, RecipientError> {
        if yy > 99 || serial > 9999 {
            return Err(RecipientError::OutOfRange);
        }
        if month == 0 || month > 12 {
            return Err(RecipientError::InvalidDate);
        }
        let real_day = if day > REPLACEMENT_OFFSET {
            day - REPLACEMENT_OFFSET
        } else {
            day
        };
        if real_day == 0 || real_day > days_in_month(yy, serial, month) {
            return Err(RecipientError::InvalidDate);
        }
        let slot = (yy as u32 * 12 + (month as u32 - 1)) * DAY_SLOTS + day as u32;
        Ok(Cpr(slot * SERIALS + serial as u32))
    }

    /// Packed key: `((YY*12 + MM-1)*92 + DD)*10000 + SSSS`.
    ///
    /// Bijective on valid CPR numbers, at most `1_103_999_999`, and ordered by
    /// (YY, MM, DD, SSSS).
    pub const fn packed(self) -> u32 {
        self.0
    }

    /// Inverse of [`Cpr::packed`]; `None` unless `key` encodes a valid CPR number.
    pub const fn from_packed(key: u32) -> Option<Cpr> {
        let serial = (key % SERIALS) as u16;
        let rest = key / SERIALS;
        let day = (rest % DAY_SLOTS) as u8;
        let rest = rest / DAY_SLOTS;
        let month = (rest % 12) as u8 + 1;
        let yy = rest / 12;
        if yy > 99 {
            return None;
        }
        match Cpr::new(day, month, yy as u8, serial) {
            Ok(cpr) => Some(cpr),
            Err(_) => None,
        }
    }

    /// Which packed keys of one day slot (`key / 10_000`: the keys of one
    /// date as written) are CPR numbers, by blocks of 1,000 serials: bit `d`
    /// is set if the keys `slot * 10_000 + d * 1000 ..= + 999` are valid (the
    /// serial's first digit picks the century, so validity is the same within
    /// a block). Checks a set of keys a block at a time; agrees with
    /// [`Cpr::from_packed`] on every key.
    pub(crate) const fn valid_serial_blocks(slot: u32) -> u16 {
        let day = (slot % DAY_SLOTS) as u8;
        let rest = slot / DAY_SLOTS;
        let month = (rest % 12) as u8 + 1;
        let yy = rest / 12;
        if yy > 99 {
            return 0;
        }
        let mut blocks = 0;
        let mut digit = 0;
        while digit < 10 {
            if Cpr::new(day, month, yy as u8, digit * 1000).is_ok() {
                blocks |= 1 << digit;
            }
            digit += 1;
        }
        blocks
    }

    /// The ten digits `DDMMYYSSSS` as one integer (inverse of [`Cpr::from_digits`]).
    pub const fn digits(self) -> u64 {
        self.day() as u64 * 100_000_000
            + self.month() as u64 * 1_000_000
            + self.yy() as u64 * 10_000
            + self.serial() as u64
    }

    /// Day as written: 1..=31, or 61..=91 for replacement numbers.
    pub const fn day(self) -> u8 {
        (self.0 / SERIALS % DAY_SLOTS) as u8
    }

    /// Month, 1..=12.
    pub const fn month(self) -> u8 {
        (self.0 / SERIALS / DAY_SLOTS % 12) as u8 + 1
    }

    /// Two-digit year as written, 0..=99.
    pub const fn yy(self) -> u8 {
        (self.0 / SERIALS / DAY_SLOTS / 12) as u8
    }

    /// Serial number (the last four digits), 0..=9999.
    pub const fn serial(self) -> u16 {
        (self.0 % SERIALS) as u16
    }

    /// True for replacement numbers ("erstatningspersonnummer", day 61..=91).
    pub const fn is_replacement(self) -> bool {
        self.day() > REPLACEMENT_OFFSET
    }

    /// `(year, month, day)` with the century resolved and the replacement
    /// offset removed.
    pub const fn birth_date(self) -> (i32, u8, u8) {
        let day = self.day();
        let day = if day > REPLACEMENT_OFFSET {
            day - REPLACEMENT_OFFSET
        } else {
            day
        };
        (
            full_year(self.yy(), self.serial()) as i32,
            self.month(),
            day,
        )
    }

    /// Log-safe form that displays as `DDMMYY-xxxx`.
    pub const fn masked(self) -> impl fmt::Display {
        MaskedCpr(self)
    }
}

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

struct MaskedCpr(Cpr);

impl fmt::Display for MaskedCpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = *b"DDMMYY-xxxx";
        put_digits(&mut buf[..6], (self.0.digits() / 10_000) as u32);
        pad_ascii(f, &buf)
    }
}

impl fmt::Display for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 10];
        put_digits(&mut buf[..6], (self.digits() / 10_000) as u32);
        put_digits(&mut buf[6..], self.serial().into());
        pad_ascii(f, &buf)
    }
}

impl fmt::Debug for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cpr")
            .field(&format_args!("{}", self.masked()))
            .finish()
    }
}

impl FromStr for Cpr {
    type Err = RecipientError;

    /// Accepts `DDMMYYSSSS` or `DDMMYY-SSSS`, surrounded by optional ASCII whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match lex(s)? {
            (RecipientKind::Cpr, n) => Cpr::from_digits(n),
            (RecipientKind::Cvr, _) => Err(RecipientError::Malformed),
        }
    }
}

/// CVR modulus-11 weights, most significant digit first.
const CVR_WEIGHTS: [u32; 8] = [2, 7, 6, 5, 4, 3, 2, 1];

/// The weighted digit sums of the first four and the last four digits of a
/// CVR number, for every value of those four digits: the check is two table
/// reads instead of eight divisions (2 x 10 KB).
const CVR_HIGH_SUMS: [u8; 10_000] = cvr_sums(0);
const CVR_LOW_SUMS: [u8; 10_000] = cvr_sums(4);

/// Weighted sums of four digits with the weights from `CVR_WEIGHTS[first..]`.
const fn cvr_sums(first: usize) -> [u8; 10_000] {
    let mut sums = [0u8; 10_000];
    let mut n = 0;
    while n < 10_000 {
        let digits = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10];
        let mut sum = 0;
        let mut i = 0;
        while i < 4 {
            sum += digits[i] as u32 * CVR_WEIGHTS[first + i];
            i += 1;
        }
        // At most 9 * (2 + 7 + 6 + 5) = 180.
        sums[n] = sum as u8;
        n += 1;
    }
    sums
}

/// A validated CVR number (Danish company registration number).
///
/// `Display` gives the 8 digits without prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cvr(u32);

impl Cvr {
    /// From the 8-digit number: no leading zero, modulus-11 check must pass.
    ///
    /// # Errors
    /// [`RecipientError::OutOfRange`] for more than 8 digits,
    /// [`RecipientError::CvrLeadingZero`] for fewer,
    /// [`RecipientError::InvalidCvrCheckDigit`] if the check fails.
    pub const fn new(number: u32) -> Result<Cvr, RecipientError> {
        if number > 99_999_999 {
            return Err(RecipientError::OutOfRange);
        }
        if number < 10_000_000 {
            return Err(RecipientError::CvrLeadingZero);
        }
        let sum = CVR_HIGH_SUMS[(number / 10_000) as usize] as u32
            + CVR_LOW_SUMS[(number % 10_000) as usize] as u32;
        if !sum.is_multiple_of(11) {
            return Err(RecipientError::InvalidCvrCheckDigit);
        }
        Ok(Cvr(number))
    }

    /// The 8-digit number.
    pub const fn number(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Cvr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 8];
        put_digits(&mut buf, self.0);
        pad_ascii(f, &buf)
    }
}

impl FromStr for Cvr {
    type Err = RecipientError;

    /// Accepts 8 digits, optionally prefixed by `DK` or `dk` and one optional
    /// space, surrounded by optional ASCII whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match lex(s)? {
            (RecipientKind::Cvr, n) => Cvr::new(n as u32),
            (RecipientKind::Cpr, _) => Err(RecipientError::Malformed),
        }
    }
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
/// 40 characters, and masked with [`mask_input`] when it could hold a CPR
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
