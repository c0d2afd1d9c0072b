//! Calendar dates, stored as the index stores them: days since 1970-01-01.

use std::cell::Cell;
use std::fmt;
use std::str::FromStr;

/// A calendar date (proleptic Gregorian, years 1..=9999).
///
/// Stored as a day number so that the comparisons a lookup makes are
/// integer comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

/// Why a date could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// The text is not of the form `YYYY-MM-DD`.
    #[error("not a date of the form YYYY-MM-DD")]
    Malformed,
    /// Year, month or day out of range, or a day the month does not have.
    #[error("no such date (year 1..=9999, month 1..=12, day within the month)")]
    OutOfRange,
}

const DAYS_1970: i32 = days_from_civil(1970, 1, 1);

impl Date {
    /// The earliest date there is; before every other date.
    pub const MIN: Date = Date(days_from_civil(1, 1, 1) - DAYS_1970);
    /// The latest date there is; after every other date.
    pub const MAX: Date = Date(days_from_civil(9999, 12, 31) - DAYS_1970);

    /// The date `year-month-day`, checked.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        if !(1..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
        {
            return Err(DateError::OutOfRange);
        }
        Ok(Date(days_from_civil(year, month, day) - DAYS_1970))
    }

    /// The date written as the integer `YYYYMMDD` (as the C ABI takes it).
    pub fn from_yyyymmdd(value: i32) -> Result<Date, DateError> {
        if value < 0 {
            return Err(DateError::OutOfRange);
        }
        Date::from_ymd(
            value / 10_000,
            (value / 100 % 100) as u8,
            (value % 100) as u8,
        )
    }

    /// The date `days` days after 1970-01-01, if it lies within years 1..=9999.
    pub fn from_days(days: i32) -> Option<Date> {
        (Date::MIN.0..=Date::MAX.0)
            .contains(&days)
            .then_some(Date(days))
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days(self) -> i32 {
        self.0
    }

    /// `(year, month, day)`.
    pub fn ymd(self) -> (i32, u8, u8) {
        civil_from_days(self.0 + DAYS_1970)
    }

    /// The date as the integer `YYYYMMDD`.
    pub fn yyyymmdd(self) -> i32 {
        let (y, m, d) = self.ymd();
        y * 10_000 + i32::from(m) * 100 + i32::from(d)
    }

    /// Today's date in Danish time (Europe/Copenhagen), the default date of a lookup.
    ///
    /// Cheap enough to call for every lookup: each thread remembers the
    /// current Danish day's bounds and only consults the time-zone rules
    /// again when the clock leaves them.
    pub fn today() -> Date {
        thread_local! {
            /// [start, end) of the current Danish day in Unix seconds, and its date.
            static TODAY: Cell<(i64, i64, i32)> = const { Cell::new((0, 0, 0)) };
        }
        let now = jiff::Timestamp::now();
        let second = now.as_second();
        let (start, end, days) = TODAY.get();
        if start <= second && second < end {
            return Date(days);
        }
        let tz = jiff::tz::TimeZone::get("Europe/Copenhagen").unwrap_or(jiff::tz::TimeZone::UTC);
        let zoned = now.to_zoned(tz);
        let today = Date::from_jiff(zoned.date());
        // Days are 23 to 25 hours long around daylight saving changes.
        let bounds = zoned.start_of_day().and_then(|start| {
            let end = zoned.tomorrow()?.start_of_day()?;
            Ok((start.timestamp().as_second(), end.timestamp().as_second()))
        });
        if let Ok((start, end)) = bounds {
            TODAY.set((start, end, today.0));
        }
        today
    }

    pub(crate) fn from_jiff(date: jiff::civil::Date) -> Date {
        // jiff dates lie within -9999..=9999; clamp the (never used) negative years.
        Date::from_ymd(i32::from(date.year()), date.month() as u8, date.day() as u8)
            .unwrap_or(Date::MIN)
    }
}

// In the index a date is its day number; decoding checks the range so that
// nothing read from a file can make date arithmetic overflow.
impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i32(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let days = i32::deserialize(deserializer)?;
        Date::from_days(days)
            .ok_or_else(|| serde::de::Error::custom(format!("day number {days} is out of range")))
    }
}

impl FromStr for Date {
    type Err = DateError;

    /// Parses exactly `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Date, DateError> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateError::Malformed);
        }
        let num = |r: std::ops::Range<usize>| -> Result<i32, DateError> {
            b[r].iter().try_fold(0i32, |acc, &c| {
                if c.is_ascii_digit() {
                    Ok(acc * 10 + i32::from(c - b'0'))
                } else {
                    Err(DateError::Malformed)
                }
            })
        };
        Date::from_ymd(num(0..4)?, num(5..7)? as u8, num(8..10)? as u8)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

pub(crate) fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub(crate) fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's `days_from_civil`, counted from 0000-03-01.
const fn days_from_civil(year: i32, month: u8, day: u8) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe
}

const fn civil_from_days(days: i32) -> (i32, u8, u8) {
    let era = days.div_euclid(146_097);
    let doe = days - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_bounds() {
        assert_eq!(Date::from_ymd(1970, 1, 1).unwrap().days(), 0);
        assert_eq!(Date::from_ymd(1969, 12, 31).unwrap().days(), -1);
        assert_eq!(Date::MIN.ymd(), (1, 1, 1));
        assert_eq!(Date::MAX.ymd(), (9999, 12, 31));
        assert_eq!(Date::from_days(Date::MAX.days() + 1), None);
    }

    #[test]
    fn agrees_with_jiff_on_every_day_1800_to_2100() {
        let mut day = jiff::civil::date(1800, 1, 1);
        let end = jiff::civil::date(2100, 12, 31);
        let mut expected = Date::from_ymd(1800, 1, 1).unwrap().days();
        while day <= end {
            let ours = Date::from_jiff(day);
            assert_eq!(ours.days(), expected, "{day}");
            assert_eq!(ours.to_string(), day.to_string());
            day = day.tomorrow().unwrap();
            expected += 1;
        }
    }

    #[test]
    fn parses_strictly() {
        assert_eq!("2024-02-29".parse::<Date>().unwrap().ymd(), (2024, 2, 29));
        assert_eq!("2023-02-29".parse::<Date>(), Err(DateError::OutOfRange));
        assert_eq!("1900-02-29".parse::<Date>(), Err(DateError::OutOfRange));
        for bad in [
            "",
            "2024-1-01",
            "2024/01/01",
            "20240101",
            "2024-01-01T00",
            "２０２４-01-01",
        ] {
            assert_eq!(bad.parse::<Date>(), Err(DateError::Malformed), "{bad:?}");
        }
        assert_eq!("0000-01-01".parse::<Date>(), Err(DateError::OutOfRange));
    }

    #[test]
    fn today_is_the_danish_date_and_stays_cached() {
        let tz = jiff::tz::TimeZone::get("Europe/Copenhagen").unwrap();
        let expected = Date::from_jiff(jiff::Timestamp::now().to_zoned(tz).date());
        let first = Date::today();
        let second = Date::today();
        // Around midnight the day may change between the calls.
        assert!(first == expected || first.days() == expected.days() + 1);
        assert!(second == first || second.days() == first.days() + 1);
    }

    #[test]
    fn yyyymmdd_round_trip() {
        let d = Date::from_yyyymmdd(20261122).unwrap();
        assert_eq!(d.to_string(), "2026-11-22");
        assert_eq!(d.yyyymmdd(), 20261122);
        assert!(Date::from_yyyymmdd(20261131).is_err());
        assert!(Date::from_yyyymmdd(-20261122).is_err());
        assert!(Date::from_yyyymmdd(0).is_err());
    }
}
