use super::cpr::*;
use super::cvr::CVR_WEIGHTS;
use super::*;
use proptest::prelude::*;

fn cpr(s: &str) -> Result<Cpr, RecipientError> {
    s.parse()
}

fn year_of(s: &str) -> i32 {
    cpr(s).unwrap().birth_date().0
}

#[test]
fn kind_display() {
    assert_eq!(RecipientKind::Cpr.to_string(), "CPR");
    assert_eq!(RecipientKind::Cvr.to_string(), "CVR");
    assert_eq!(RecipientKind::Cpr as u8, 0);
    assert_eq!(RecipientKind::Cvr as u8, 1);
    assert!(RecipientKind::Cpr < RecipientKind::Cvr);
}

#[test]
fn basic_cpr() {
    let c = cpr("0101901234").unwrap();
    assert_eq!(c.digits(), 101_901_234);
    assert_eq!(Cpr::from_digits(101_901_234), Ok(c));
    assert_eq!(Cpr::new(1, 1, 90, 1234), Ok(c));
    assert_eq!((c.day(), c.month(), c.yy(), c.serial()), (1, 1, 90, 1234));
    assert_eq!(c.birth_date(), (1990, 1, 1));
    assert!(!c.is_replacement());
    assert_eq!(c.packed(), ((90 * 12) * 92 + 1) * 10_000 + 1234);
    assert_eq!(c.to_string(), "0101901234");
    assert_eq!(format!("{:>12}", c), "  0101901234");
    assert_eq!(c.masked().to_string(), "010190-xxxx");
    assert_eq!(format!("{c:?}"), "Cpr(010190-xxxx)");
    assert_eq!(cpr("010190-1234"), Ok(c));
    assert_eq!(cpr("  010190-1234\n"), Ok(c));
}

#[test]
fn leap_days_per_century() {
    // 29 Feb YY=00: 1900 (d7 0-3) is not leap; 2000 (d7 4-9) is.
    for d7 in 0..=9u16 {
        let r = Cpr::new(29, 2, 0, d7 * 1000 + 17);
        if d7 <= 3 {
            assert_eq!(r, Err(RecipientError::InvalidDate), "d7={d7}");
        } else {
            assert_eq!(r.unwrap().birth_date(), (2000, 2, 29), "d7={d7}");
        }
    }
    assert_eq!(cpr("2902004000").unwrap().birth_date(), (2000, 2, 29));
    assert_eq!(cpr("2902005000").unwrap().birth_date(), (2000, 2, 29));
    assert_eq!(cpr("2902000000"), Err(RecipientError::InvalidDate));
    assert_eq!(cpr("290200-3999"), Err(RecipientError::InvalidDate));
    // 1896 via d7 5-8, 1996 via d7 0-3: both leap.
    assert_eq!(cpr("2902965000").unwrap().birth_date(), (1896, 2, 29));
    assert_eq!(cpr("2902968999").unwrap().birth_date(), (1896, 2, 29));
    assert_eq!(cpr("2902960000").unwrap().birth_date(), (1996, 2, 29));
    assert_eq!(cpr("2902964000").unwrap().birth_date(), (1996, 2, 29));
    assert_eq!(cpr("2902975000"), Err(RecipientError::InvalidDate));
    assert_eq!(cpr("2902044000").unwrap().birth_date(), (2004, 2, 29));
    assert_eq!(cpr("2902040000").unwrap().birth_date(), (1904, 2, 29));
    assert_eq!(cpr("2902364000").unwrap().birth_date(), (2036, 2, 29));
    assert_eq!(cpr("2902369000").unwrap().birth_date(), (2036, 2, 29));
    assert_eq!(cpr("2902564000").unwrap().birth_date(), (1956, 2, 29));
    assert_eq!(cpr("2902566000").unwrap().birth_date(), (2056, 2, 29));
    assert_eq!(cpr("2902057000"), Err(RecipientError::InvalidDate));
    assert_eq!(cpr("2802014000").unwrap().birth_date(), (2001, 2, 28));
    assert_eq!(cpr("3002004000"), Err(RecipientError::InvalidDate));
}

#[test]
fn century_edges_for_every_seventh_digit() {
    // (yy, expected year for d7 = 0..=9)
    let cases: [(u8, [i32; 10]); 8] = [
        (
            0,
            [1900, 1900, 1900, 1900, 2000, 2000, 2000, 2000, 2000, 2000],
        ),
        (
            36,
            [1936, 1936, 1936, 1936, 2036, 2036, 2036, 2036, 2036, 2036],
        ),
        (
            37,
            [1937, 1937, 1937, 1937, 1937, 2037, 2037, 2037, 2037, 1937],
        ),
        (
            57,
            [1957, 1957, 1957, 1957, 1957, 2057, 2057, 2057, 2057, 1957],
        ),
        (
            58,
            [1958, 1958, 1958, 1958, 1958, 1858, 1858, 1858, 1858, 1958],
        ),
        (
            96,
            [1996, 1996, 1996, 1996, 1996, 1896, 1896, 1896, 1896, 1996],
        ),
        (
            99,
            [1999, 1999, 1999, 1999, 1999, 1899, 1899, 1899, 1899, 1999],
        ),
        (
            1,
            [1901, 1901, 1901, 1901, 2001, 2001, 2001, 2001, 2001, 2001],
        ),
    ];
    for (yy, years) in cases {
        for d7 in 0..=9u16 {
            for serial in [d7 * 1000, d7 * 1000 + 999] {
                let c = Cpr::new(1, 6, yy, serial).unwrap();
                assert_eq!(
                    c.birth_date().0,
                    years[d7 as usize],
                    "yy={yy} serial={serial}"
                );
            }
        }
    }
    assert_eq!(year_of("0101364000"), 2036);
    assert_eq!(year_of("0101374000"), 1937);
    assert_eq!(year_of("0101369999"), 2036);
    assert_eq!(year_of("0101379999"), 1937);
    assert_eq!(year_of("0101575000"), 2057);
    assert_eq!(year_of("0101585000"), 1858);
    assert_eq!(year_of("0101578999"), 2057);
    assert_eq!(year_of("0101588999"), 1858);
    assert_eq!(year_of("0101583999"), 1958);
}

#[test]
fn valid_day_counts_per_century_group() {
    // Every date of 100 consecutive years exactly once per d7, twice with
    // replacement numbers. Years: d7 0-3 1900-1999 (24 leap years),
    // d7 4/9 1937-2036 (25), d7 5-8 1858-1899 and 2000-2057 (25).
    for d7 in 0..=9u16 {
        let mut count = 0u32;
        for yy in 0..=99u8 {
            for month in 0..=13u8 {
                for day in 0..=100u8 {
                    if Cpr::new(day, month, yy, d7 * 1000 + 5).is_ok() {
                        count += 1;
                    }
                }
            }
        }
        let leap_years = if d7 <= 3 { 24 } else { 25 };
        assert_eq!(count, 2 * (365 * 100 + leap_years), "d7={d7}");
    }
}

/// `Cpr::from_digits`, which reads its checks from tables, agrees with
/// `Cpr::new` on every day, month and two-digit year, with a serial of every
/// first digit (the century), and on the answer and the error alike.
#[test]
fn from_digits_agrees_with_new_on_every_date() {
    for ddmmyy in 0..1_000_000u32 {
        let (day, month, yy) = (ddmmyy / 10_000, ddmmyy / 100 % 100, ddmmyy % 100);
        for digit in 0..10 {
            let serial = digit * 1000 + ddmmyy % 1000;
            let digits = u64::from(ddmmyy) * 10_000 + u64::from(serial);
            assert_eq!(
                Cpr::from_digits(digits),
                Cpr::new(day as u8, month as u8, yy as u8, serial as u16),
                "{:?}",
                Cpr::new(day as u8, month as u8, yy as u8, serial as u16)
                    .map(|c| c.masked().to_string())
            );
        }
    }
    assert_eq!(
        Cpr::from_digits(10_000_000_000),
        Err(RecipientError::OutOfRange)
    );
}

/// Which packed keys of one day slot (`key / 10_000`: the keys of one
/// date as written) are CPR numbers, by blocks of 1,000 serials: bit `d`
/// is set if the keys `slot * 10_000 + d * 1000 ..= + 999` are valid (the
/// serial's first digit picks the century, so validity is the same within
/// a block). The definition the runs' table is tested against: ten CPR
/// numbers checked in full.
fn valid_serial_blocks(slot: u32) -> u16 {
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

/// The block rule agrees with `Cpr::from_packed` on the first and last key
/// of every block of every day slot, and beyond.
#[test]
fn valid_serial_blocks_agree_with_from_packed() {
    for slot in 0..(100 * 12 * DAY_SLOTS + 10) {
        let blocks = valid_serial_blocks(slot);
        for digit in 0..10 {
            for serial in [digit * 1000, digit * 1000 + 999] {
                let valid = Cpr::from_packed(slot * SERIALS + serial).is_some();
                assert_eq!(
                    blocks >> digit & 1 == 1,
                    valid,
                    "slot {slot}, serial {serial}"
                );
            }
        }
    }
}

/// The runs' table, built a month at a time, holds what
/// `valid_serial_blocks` gives for every day slot, and nothing past
/// them.
#[test]
fn possible_runs_are_the_valid_serial_blocks() {
    let runs = Cpr::possible_runs();
    let bit = |run: u32| {
        runs.get(run as usize / 32)
            .is_some_and(|w| w >> (run % 32) & 1 != 0)
    };
    let slots = 100 * 12 * DAY_SLOTS;
    for slot in 0..slots {
        let blocks = valid_serial_blocks(slot);
        for digit in 0..10 {
            assert_eq!(
                bit(slot * 10 + digit),
                blocks >> digit & 1 != 0,
                "slot {slot}"
            );
        }
    }
    assert!(runs.len() * 32 <= (slots * 10) as usize + 31);
    assert_ne!(runs.last(), Some(&0));
}

#[test]
fn possible_runs_agree_with_from_packed() {
    let runs = Cpr::possible_runs();
    let possible = |key: u32| {
        let run = (key / 1000) as usize;
        runs.get(run / 32).is_some_and(|w| w >> (run % 32) & 1 != 0)
    };
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let probes = (0..200_000).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 1_200_000_000) as u32
    });
    for key in probes.chain([0, 999, 1000, 101_901_234, 1_103_999_999, u32::MAX]) {
        assert_eq!(possible(key), Cpr::from_packed(key).is_some(), "{key}");
    }
}

#[test]
fn replacement_numbers() {
    let c = cpr("6101901234").unwrap();
    assert!(c.is_replacement());
    assert_eq!(c.day(), 61);
    assert_eq!(c.birth_date(), (1990, 1, 1));
    assert_eq!(c.to_string(), "6101901234");
    assert_eq!(c.masked().to_string(), "610190-xxxx");
    let c = cpr("910190-1234").unwrap();
    assert!(c.is_replacement());
    assert_eq!(c.birth_date(), (1990, 1, 31));
    // April has 30 days: 31 and 60+31 both invalid, 60+30 valid.
    assert_eq!(cpr("3104901234"), Err(RecipientError::InvalidDate));
    assert_eq!(cpr("9104901234"), Err(RecipientError::InvalidDate));
    assert_eq!(cpr("9004901234").unwrap().birth_date(), (1990, 4, 30));
    // 89 = 29 Feb replacement, only in leap years.
    assert_eq!(cpr("8902004000").unwrap().birth_date(), (2000, 2, 29));
    assert_eq!(cpr("8902000000"), Err(RecipientError::InvalidDate));
    assert_eq!(cpr("8902014000"), Err(RecipientError::InvalidDate));
    assert_eq!(cpr("8902965000").unwrap().birth_date(), (1896, 2, 29));
    assert_eq!(cpr("8802014000").unwrap().birth_date(), (2001, 2, 28));
    for day in [0u8, 32, 59, 60, 92, 99, 255] {
        assert_eq!(
            Cpr::new(day, 1, 90, 1234),
            Err(RecipientError::InvalidDate),
            "{day}"
        );
    }
}

#[test]
fn invalid_fields() {
    assert_eq!(Cpr::new(1, 0, 90, 1), Err(RecipientError::InvalidDate));
    assert_eq!(Cpr::new(1, 13, 90, 1), Err(RecipientError::InvalidDate));
    assert_eq!(Cpr::new(1, 1, 100, 1), Err(RecipientError::OutOfRange));
    assert_eq!(Cpr::new(1, 1, 90, 10_000), Err(RecipientError::OutOfRange));
    assert_eq!(cpr("0113901234"), Err(RecipientError::InvalidDate));
    assert_eq!(cpr("0100901234"), Err(RecipientError::InvalidDate));
    assert_eq!(
        Cpr::from_digits(10_000_000_000),
        Err(RecipientError::OutOfRange)
    );
    assert_eq!(Cpr::from_digits(u64::MAX), Err(RecipientError::OutOfRange));
    assert_eq!(Cpr::from_digits(0), Err(RecipientError::InvalidDate));
    assert_eq!(
        Cpr::from_digits(9_999_999_999),
        Err(RecipientError::InvalidDate)
    );
    // Modulus 11 is deliberately not checked for CPR.
    assert!(cpr("0101901235").is_ok());
    assert!(cpr("0101901236").is_ok());
}

#[test]
fn packed_extremes() {
    let min = Cpr::new(1, 1, 0, 0).unwrap();
    let max = Cpr::new(91, 12, 99, 9999).unwrap();
    assert_eq!(min.packed(), 10_000);
    assert_eq!(max.packed(), 1_103_999_999);
    assert_eq!(Cpr::from_packed(0), None);
    assert_eq!(Cpr::from_packed(9_999), None);
    assert_eq!(Cpr::from_packed(10_000), Some(min));
    assert_eq!(Cpr::from_packed(1_103_999_999), Some(max));
    assert_eq!(Cpr::from_packed(1_104_000_000), None);
    assert_eq!(Cpr::from_packed(u32::MAX), None);
}

#[test]
fn cvr_check_digits() {
    // 1*2+0*7+1*6+5*5+0*4+8*3+1*2+7*1 = 66 = 6*11
    assert_eq!(Cvr::new(10_150_817).map(Cvr::number), Ok(10_150_817));
    // 1*2+2*7+3*6+4*5+5*4+6*3+7*2 = 106, +4 = 110
    assert!(Cvr::new(12_345_674).is_ok());
    assert_eq!(
        Cvr::new(12_345_678),
        Err(RecipientError::InvalidCvrCheckDigit)
    );
    // 2*2 = 4, +7 = 11
    assert!(Cvr::new(20_000_007).is_ok());
    assert_eq!(
        Cvr::new(20_000_008),
        Err(RecipientError::InvalidCvrCheckDigit)
    );
    // 9*30 = 270 = 24*11 + 6
    assert_eq!(
        Cvr::new(99_999_999),
        Err(RecipientError::InvalidCvrCheckDigit)
    );
    // For each 7-digit prefix at most one last digit works (its weight is 1).
    for prefix in (1_000_000..10_000_000u32).step_by(7919) {
        let ok = (0..10)
            .filter(|d| Cvr::new(prefix * 10 + d).is_ok())
            .count();
        assert!(ok <= 1, "{prefix}");
    }
    assert_eq!(Cvr::new(0), Err(RecipientError::CvrLeadingZero));
    assert_eq!(Cvr::new(9_999_999), Err(RecipientError::CvrLeadingZero));
    assert_eq!(Cvr::new(100_000_000), Err(RecipientError::OutOfRange));
    assert_eq!(Cvr::new(u32::MAX), Err(RecipientError::OutOfRange));
    let c = Cvr::new(10_150_817).unwrap();
    assert_eq!(c.to_string(), "10150817");
    assert_eq!(format!("{c:?}"), "Cvr(10150817)");
}

#[test]
fn cvr_parsing() {
    let c = Cvr::new(10_150_817).unwrap();
    for s in [
        "10150817",
        "DK10150817",
        "DK 10150817",
        "dk10150817",
        "dk 10150817",
        " DK 10150817\t\n",
    ] {
        assert_eq!(s.parse::<Cvr>(), Ok(c), "{s:?}");
        assert_eq!(s.parse::<Recipient>(), Ok(Recipient::Cvr(c)), "{s:?}");
    }
    assert_eq!(
        "01234567".parse::<Cvr>(),
        Err(RecipientError::CvrLeadingZero)
    );
    assert_eq!(
        "DK01234567".parse::<Recipient>(),
        Err(RecipientError::CvrLeadingZero)
    );
    assert_eq!(
        "DK12345678".parse::<Cvr>(),
        Err(RecipientError::InvalidCvrCheckDigit)
    );
    for s in [
        "DK  10150817",
        "DK\t10150817",
        "Dk10150817",
        "dK10150817",
        "DK-10150817",
        "DK",
        "DK ",
        "DK 1015081",
        "DK 101508170",
        "DK0101901234",
        "10150817DK",
        "SE10150817",
    ] {
        assert_eq!(s.parse::<Cvr>(), Err(RecipientError::Malformed), "{s:?}");
        assert_eq!(
            s.parse::<Recipient>(),
            Err(RecipientError::Malformed),
            "{s:?}"
        );
    }
    assert_eq!("0101901234".parse::<Cvr>(), Err(RecipientError::Malformed));
    assert_eq!("10150817".parse::<Cpr>(), Err(RecipientError::Malformed));
    assert_eq!("DK10150817".parse::<Cpr>(), Err(RecipientError::Malformed));
}

#[test]
fn malformed_strings() {
    for s in ["", " ", "   ", "\t\n\r "] {
        assert_eq!(s.parse::<Recipient>(), Err(RecipientError::Empty), "{s:?}");
        assert_eq!(s.parse::<Cpr>(), Err(RecipientError::Empty), "{s:?}");
        assert_eq!(s.parse::<Cvr>(), Err(RecipientError::Empty), "{s:?}");
    }
    for s in [
        "abc",
        "01019O1234",
        "0101901234x",
        "x0101901234",
        "123456-123",
        "12345-61234",
        "0101901-234",
        "010190--1234",
        "010190 1234",
        "010190_1234",
        "-0101901234",
        "+101901234",
        "1",
        "1234567",
        "123456789",
        "12345678901",
        "0101901234 0101901234",
        "１２３４５６７８",
        "０１０１９０１２３４",
        "٠١٠١٩٠١٢٣٤",
        "\u{a0}0101901234",
    ] {
        assert_eq!(
            s.parse::<Recipient>(),
            Err(RecipientError::Malformed),
            "{s:?}"
        );
        assert_eq!(s.parse::<Cpr>(), Err(RecipientError::Malformed), "{s:?}");
        assert_eq!(s.parse::<Cvr>(), Err(RecipientError::Malformed), "{s:?}");
    }
}

#[test]
fn from_number_and_key() {
    let p = Recipient::from_number(RecipientKind::Cpr, 101_901_234).unwrap();
    assert_eq!(p.kind(), RecipientKind::Cpr);
    assert_eq!(p.to_string(), "0101901234");
    assert_eq!(Recipient::from_key(RecipientKind::Cpr, p.key()), Some(p));
    let c = Recipient::from_number(RecipientKind::Cvr, 10_150_817).unwrap();
    assert_eq!(c.kind(), RecipientKind::Cvr);
    assert_eq!(c.key(), 10_150_817);
    assert_eq!(c.to_string(), "10150817");
    assert_eq!(c.masked().to_string(), "10150817");
    assert_eq!(format!("{c:?}"), "Cvr(Cvr(10150817))");
    assert_eq!(Recipient::from_key(RecipientKind::Cvr, 10_150_817), Some(c));
    assert_eq!(Recipient::from_key(RecipientKind::Cvr, 12_345_678), None);
    assert_eq!(Recipient::from_key(RecipientKind::Cpr, 0), None);
    assert_eq!(
        Recipient::from_number(RecipientKind::Cvr, 1 << 40),
        Err(RecipientError::OutOfRange)
    );
    assert_eq!(
        Recipient::from_number(RecipientKind::Cvr, 100_000_000),
        Err(RecipientError::OutOfRange)
    );
    assert_eq!(
        Recipient::from_number(RecipientKind::Cvr, 1_234_567),
        Err(RecipientError::CvrLeadingZero)
    );
    assert_eq!(
        Recipient::from_number(RecipientKind::Cpr, 10_000_000_000),
        Err(RecipientError::OutOfRange)
    );
    assert_eq!(Recipient::from(Cvr::new(10_150_817).unwrap()), c);
    assert!(p < c, "CPR recipients order before CVR recipients");
}

#[test]
fn masking_never_leaks_cpr() {
    let raw = "0101901234";
    let c = cpr(raw).unwrap();
    let r = Recipient::Cpr(c);
    assert_eq!(format!("{r:?}"), "Cpr(Cpr(010190-xxxx))");
    assert_eq!(r.masked().to_string(), "010190-xxxx");
    let shown = [
        format!("{c:?}"),
        format!("{c:#?}"),
        format!("{r:?}"),
        format!("{r:#?}"),
        format!("{:?}", Some(r)),
        format!("{:?}", [c, c]),
        c.masked().to_string(),
        r.masked().to_string(),
        mask_input(raw),
        mask_input("010190-1234"),
    ];
    for s in &shown {
        assert!(!s.contains(raw) && !s.contains("1234"), "{s}");
    }
    let errors = [
        "0101901234x".parse::<Recipient>().unwrap_err(),
        "3102901234".parse::<Recipient>().unwrap_err(),
        "0101901234".parse::<Cvr>().unwrap_err(),
    ];
    for e in errors {
        for s in [e.to_string(), format!("{e:?}"), format!("{e:#?}")] {
            assert!(
                !s.contains(raw) && !s.contains("1234") && !s.contains("010190"),
                "{s}"
            );
        }
    }
    let wrapped: Result<Recipient, RecipientError> = raw.parse();
    assert!(!format!("{wrapped:?}").contains(raw));
}

#[test]
fn error_display() {
    let all = [
        RecipientError::Empty,
        RecipientError::Malformed,
        RecipientError::InvalidDate,
        RecipientError::InvalidCvrCheckDigit,
        RecipientError::CvrLeadingZero,
        RecipientError::OutOfRange,
    ];
    for e in all {
        let s = e.to_string();
        assert!(!s.is_empty());
        let _: &dyn std::error::Error = &e;
    }
    assert!(
        RecipientError::InvalidDate
            .to_string()
            .contains("century its 7th digit gives")
    );
}

#[test]
fn mask_input_examples() {
    assert_eq!(mask_input("0101901234"), "010190xxxx");
    assert_eq!(mask_input("010190-1234"), "010190-xxxx");
    assert_eq!(mask_input("DK 10150817"), "DK 101508xx");
    assert_eq!(mask_input("abc"), "abc");
    assert_eq!(mask_input(""), "");
    assert_eq!(mask_input("０１０１９０１２３４"), "０１０１９０xxxx");
    assert_eq!(mask_input("12 34 56 78 90"), "12 34 56 xx xx");
    let forty = "a".repeat(40);
    assert_eq!(mask_input(&forty), forty);
    let long = format!("{}0101901234", "é".repeat(40));
    let masked = mask_input(&long);
    assert_eq!(masked.chars().count(), 40);
    assert_eq!(masked, format!("{}…", "é".repeat(39)));
    let long = "0101901234".repeat(5);
    let masked = mask_input(&long);
    assert_eq!(masked.chars().count(), 40);
    assert!(masked.starts_with("010190xxxx"));
    assert!(masked.ends_with('…'));
}

/// Any valid CPR number, reached by clamping a random day into the month
/// of the century that the random serial selects.
fn valid_cpr() -> impl Strategy<Value = Cpr> {
    (0u8..100, 1u8..=12, 0u8..31, 0u16..10_000, any::<bool>()).prop_map(
        |(yy, month, raw_day, serial, replacement)| {
            // From the calendar rules, not from the table `Cpr::new` reads.
            let leap = is_leap(full_year(yy, serial));
            let days = DAYS_IN_MONTH[usize::from(month - 1)] + u8::from((month == 2) & leap);
            let day = 1 + raw_day % days;
            let day = if replacement {
                day + REPLACEMENT_OFFSET
            } else {
                day
            };
            Cpr::new(day, month, yy, serial).unwrap()
        },
    )
}

fn valid_cvr() -> impl Strategy<Value = Cvr> {
    (1_000_000u32..10_000_000).prop_filter_map("check digit would be 10", |prefix| {
        let sum: u32 = (0..7)
            .map(|i| prefix / 10u32.pow(6 - i) % 10 * CVR_WEIGHTS[i as usize])
            .sum();
        let check = (11 - sum % 11) % 11;
        (check < 10).then(|| Cvr::new(prefix * 10 + check).unwrap())
    })
}

fn cpr_key(c: Cpr) -> (u8, u8, u8, u16) {
    (c.yy(), c.month(), c.day(), c.serial())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn packed_round_trip(c in valid_cpr()) {
        prop_assert_eq!(Cpr::from_packed(c.packed()), Some(c));
        let expected = ((c.yy() as u32 * 12 + c.month() as u32 - 1) * 92 + c.day() as u32)
            * 10_000 + c.serial() as u32;
        prop_assert_eq!(c.packed(), expected);
        prop_assert_eq!(Recipient::from_key(RecipientKind::Cpr, c.packed()), Some(Recipient::Cpr(c)));
    }

    #[test]
    fn digits_round_trip(c in valid_cpr()) {
        prop_assert_eq!(Cpr::from_digits(c.digits()), Ok(c));
        prop_assert_eq!(Cpr::new(c.day(), c.month(), c.yy(), c.serial()), Ok(c));
        prop_assert_eq!(
            Recipient::from_number(RecipientKind::Cpr, c.digits()),
            Ok(Recipient::Cpr(c))
        );
        let (year, month, day) = c.birth_date();
        prop_assert_eq!(year % 100, c.yy() as i32);
        prop_assert!((1858..=2057).contains(&year));
        prop_assert_eq!(month, c.month());
        prop_assert_eq!(day + if c.is_replacement() { 60 } else { 0 }, c.day());
    }

    #[test]
    fn cpr_display_parse_round_trip(c in valid_cpr()) {
        let shown = c.to_string();
        prop_assert_eq!(shown.len(), 10);
        prop_assert_eq!(shown.parse::<Cpr>(), Ok(c));
        prop_assert_eq!(shown.parse::<Recipient>(), Ok(Recipient::Cpr(c)));
        prop_assert_eq!(Recipient::Cpr(c).to_string(), shown.clone());
        let dashed = format!("{}-{}", &shown[..6], &shown[6..]);
        prop_assert_eq!(dashed.parse::<Cpr>(), Ok(c));
        prop_assert_eq!(dashed.parse::<Recipient>(), Ok(Recipient::Cpr(c)));
    }

    #[test]
    fn cvr_display_parse_round_trip(c in valid_cvr()) {
        let shown = c.to_string();
        prop_assert_eq!(shown.parse::<Cvr>(), Ok(c));
        prop_assert_eq!(shown.parse::<Recipient>(), Ok(Recipient::Cvr(c)));
        prop_assert_eq!(format!("DK{shown}").parse::<Cvr>(), Ok(c));
        prop_assert_eq!(format!("dk {shown}").parse::<Recipient>(), Ok(Recipient::Cvr(c)));
        prop_assert_eq!(Recipient::Cvr(c).to_string(), shown);
        prop_assert_eq!(Recipient::from_number(RecipientKind::Cvr, c.number().into()), Ok(Recipient::Cvr(c)));
    }

    #[test]
    fn cvr_new_matches_rule(n in 10_000_000u32..100_000_000) {
        let weighted: u32 = n.to_string().bytes().zip(CVR_WEIGHTS)
            .map(|(b, w)| (b - b'0') as u32 * w).sum();
        prop_assert_eq!(Cvr::new(n).is_ok(), weighted.is_multiple_of(11));
    }

    #[test]
    fn packed_order_is_field_order(a in valid_cpr(), b in valid_cpr()) {
        prop_assert_eq!(a.cmp(&b), cpr_key(a).cmp(&cpr_key(b)));
        prop_assert_eq!(a.packed().cmp(&b.packed()), cpr_key(a).cmp(&cpr_key(b)));
    }

    #[test]
    fn from_digits_total(n in any::<u64>(), m in 0u64..10_000_000_000) {
        for x in [n, m] {
            if let Ok(c) = Cpr::from_digits(x) {
                prop_assert_eq!(c.digits(), x);
            }
            let _ = Recipient::from_number(RecipientKind::Cvr, x);
        }
    }

    #[test]
    fn from_packed_total(key in any::<u32>(), near in 0u32..1_110_000_000) {
        for k in [key, near] {
            if let Some(c) = Cpr::from_packed(k) {
                prop_assert_eq!(c.packed(), k);
            }
        }
    }

    #[test]
    fn from_str_total(s in "\\PC*", t in "[0-9dDkK \\-]{0,14}") {
        for x in [&s, &t] {
            if let Ok(r) = x.parse::<Recipient>() {
                // Anything accepted normalizes to a string that parses back.
                prop_assert_eq!(r.to_string().parse::<Recipient>(), Ok(r));
            }
            let _ = x.parse::<Cpr>();
            let _ = x.parse::<Cvr>();
        }
    }

    #[test]
    fn nothing_but_display_shows_a_cpr(c in valid_cpr()) {
        let full = c.to_string();
        let r = Recipient::Cpr(c);
        for s in [
            format!("{c:?}"),
            format!("{c:#?}"),
            format!("{r:?}"),
            format!("{r:#?}"),
            c.masked().to_string(),
            r.masked().to_string(),
            mask_input(&full),
        ] {
            prop_assert!(!s.contains(&full), "{}", s);
            let digit_count = s.chars().filter(char::is_ascii_digit).count();
            prop_assert!(digit_count <= 6, "{}", s);
        }
    }

    #[test]
    fn mask_input_bounds(s in "\\PC*", digits in "[0-9 \\-]{0,60}") {
        for x in [&s, &digits] {
            let m = mask_input(x);
            prop_assert!(m.chars().filter(|c| c.is_numeric()).count() <= 6, "{}", m);
            prop_assert!(m.chars().count() <= 40);
        }
    }
}
