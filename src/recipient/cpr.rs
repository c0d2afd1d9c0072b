//! CPR numbers: the calendar rules a number must follow, and [`Cpr`].

use std::fmt;
use std::str::FromStr;

use super::{RecipientError, RecipientKind, lex, pad_ascii, put_digits};

/// Days per month in a common year; February is fixed up by [`days_in_month`].
pub(super) const DAYS_IN_MONTH: [u8; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/// Replacement numbers ("erstatningspersonnummer") add this to the day.
pub(super) const REPLACEMENT_OFFSET: u8 = 60;
/// Day slots in the packed key: 1..=91 used, 0 unused.
pub(super) const DAY_SLOTS: u32 = 92;
pub(super) const SERIALS: u32 = 10_000;

// The calendar arithmetic below avoids branches on the number: parsing a
// batch of CPR numbers would otherwise mispredict on every other leap-year or
// century test, and those stalls cost more than the arithmetic.

pub(super) const fn is_leap(year: u16) -> bool {
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
pub(super) const fn full_year(yy: u8, serial: u16) -> u16 {
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

/// Set in a [`DAY_MONTH`] entry whose day and month can make a date.
const A_DATE: u16 = 1 << 15;
/// Set in a [`DAY_MONTH`] entry of 29 February (or its replacement day),
/// a date only in a leap year.
const LEAP_DAY: u16 = 1 << 14;
/// The part of the packed key a [`DAY_MONTH`] entry holds.
const SLOT_BITS: u16 = LEAP_DAY - 1;

/// By `DDMM`, the first four digits read as one number: [`A_DATE`] if some
/// year has that day and month (replacement days included), [`LEAP_DAY`] if
/// only leap years do, and the day and month's part of the packed key,
/// `(MM - 1) * 92 + DD`. 20 KB, read by [`Cpr::from_digits`].
const DAY_MONTH: &[u16; 10_000] = &{
    let mut table = [0u16; 10_000];
    let mut day = 1;
    while day < 100 {
        let mut month = 1;
        while month <= 12 {
            let real_day = if day > REPLACEMENT_OFFSET as usize {
                day - REPLACEMENT_OFFSET as usize
            } else {
                day
            };
            let days = DAYS_IN_MONTH[month - 1] as usize + (month == 2) as usize;
            if real_day >= 1 && real_day <= days {
                let leap_day = if month == 2 && real_day == 29 {
                    LEAP_DAY
                } else {
                    0
                };
                let slot = ((month - 1) * DAY_SLOTS as usize + day) as u16;
                table[day * 100 + month] = A_DATE | leap_day | slot;
            }
            month += 1;
        }
        day += 1;
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
        let serial = (n % 10_000) as u32;
        let (ddmm, yy) = ((ddmmyy / 100) as usize, (ddmmyy % 100) as usize);
        // What [`Cpr::new`] checks, in two table reads and without a branch
        // but the one on the answer (a batch checks millions).
        let day_month = DAY_MONTH[ddmm];
        let leap = LEAP[(serial / 1000) as usize][yy];
        if (day_month & A_DATE == 0) | ((day_month & LEAP_DAY != 0) & !leap) {
            return Err(RecipientError::InvalidDate);
        }
        let slot = yy as u32 * 12 * DAY_SLOTS + (day_month & SLOT_BITS) as u32;
        Ok(Cpr(slot * SERIALS + serial))
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

    /// Which runs of 1,000 packed keys are CPR numbers: bit `i % 32` of
    /// word `i / 32` is set if the keys `1000 i ..= 1000 i + 999` are (the
    /// serial's first digit picks the century, so all the keys of a run are
    /// CPR numbers or none is); no word past the last such run.
    /// 138 KiB, computed once for the process: a register's keys come in
    /// the order of their hash, so each is checked alone, and a bit read is
    /// the cheapest check.
    pub(crate) fn possible_runs() -> &'static [u32] {
        static RUNS: std::sync::OnceLock<Box<[u32]>> = std::sync::OnceLock::new();
        RUNS.get_or_init(|| {
            let months = 100 * 12;
            let runs_per_slot = SERIALS / 1000;
            // One word more than the runs take, for the last run's ten bits
            // to be written to two words as every other's are.
            let runs = months * DAY_SLOTS * runs_per_slot;
            let mut words = vec![0u32; runs.div_ceil(32) as usize + 1];
            for month_index in 0..months {
                let (yy, month) = ((month_index / 12) as u8, (month_index % 12) as u8 + 1);
                // For each day of the month (0 for none), the blocks of
                // 1,000 serials whose century's month has the day.
                let mut blocks = [0u64; 32];
                for digit in 0..runs_per_slot {
                    let days = days_in_month(yy, (digit * 1000) as u16, month);
                    for day in &mut blocks[1..=usize::from(days)] {
                        *day |= 1 << digit;
                    }
                }
                for day in 0..DAY_SLOTS {
                    let real = if day > REPLACEMENT_OFFSET as u32 {
                        day - REPLACEMENT_OFFSET as u32
                    } else {
                        day
                    };
                    let valid = blocks.get(real as usize).copied().unwrap_or(0);
                    // Ten bits from run `run` on, over at most two words.
                    let run = ((month_index * DAY_SLOTS + day) * runs_per_slot) as usize;
                    let bits = valid << (run % 32);
                    words[run / 32] |= bits as u32;
                    words[run / 32 + 1] |= (bits >> 32) as u32;
                }
            }
            let used = words.iter().rposition(|&w| w != 0).map_or(0, |i| i + 1);
            words.truncate(used);
            words.into_boxed_slice()
        })
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

pub(super) struct MaskedCpr(pub(super) Cpr);

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
