//! CVR numbers: the modulus-11 check, and [`Cvr`].

use std::fmt;
use std::str::FromStr;

use super::{RecipientError, RecipientKind, lex, pad_ascii, put_digits};

/// CVR modulus-11 weights, most significant digit first.
pub(super) const CVR_WEIGHTS: [u32; 8] = [2, 7, 6, 5, 4, 3, 2, 1];

/// The weighted digit sums of the first four and the last four digits of a
/// CVR number, for every value of those four digits: the check is two table
/// reads instead of eight divisions (2 x 10 KB). Three zero bytes follow
/// the 10,000 sums, so that a 32-bit read at any sum stays in the table (the
/// register's check reads them so, eight at a time).
pub(crate) static CVR_SUMS: [[u8; SUMS_LEN]; 2] = [cvr_sums(0), cvr_sums(4)];

/// The length of each table of [`CVR_SUMS`].
pub(crate) const SUMS_LEN: usize = 10_003;

/// Weighted sums of four digits with the weights from `CVR_WEIGHTS[first..]`.
const fn cvr_sums(first: usize) -> [u8; SUMS_LEN] {
    let mut sums = [0u8; SUMS_LEN];
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
        let sum = CVR_SUMS[0][(number / 10_000) as usize] as u32
            + CVR_SUMS[1][(number % 10_000) as usize] as u32;
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
