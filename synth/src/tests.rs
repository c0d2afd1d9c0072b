use super::contacts::{cvr_candidate, permute_1000};
use super::*;
use std::collections::{HashMap, HashSet};

const REF: (i32, u32, u32) = (2026, 1, 1);

fn small(seed: u64) -> SynthOptions {
    SynthOptions {
        citizens: 50_000,
        companies: 3_000,
        seed,
        reference_date: (2026, 1, 1),
    }
}

fn contacts(opts: &SynthOptions) -> (Vec<u8>, ContactsSummary) {
    let mut out = Vec::new();
    let summary = write_contacts(&mut out, opts, &mut |_, _| {}).unwrap();
    (out, summary)
}

fn catalog(opts: &SynthOptions) -> (String, CatalogSummary) {
    let mut out = Vec::new();
    let summary = write_catalog(&mut out, opts).unwrap();
    (String::from_utf8(out).unwrap(), summary)
}

// --- independent reference implementations -------------------------------------------

fn leap(y: i32) -> bool {
    y % 400 == 0 || (y % 100 != 0 && y % 4 == 0)
}

fn month_len(y: i32, m: u32) -> u32 {
    [
        31,
        if leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][m as usize - 1]
}

/// Days since 1800-01-01, by counting.
fn ordinal(y: i32, m: u32, d: u32) -> i64 {
    let mut n = 0i64;
    for yy in 1800..y {
        n += if leap(yy) { 366 } else { 365 };
    }
    for mm in 1..m {
        n += i64::from(month_len(y, mm));
    }
    n + i64::from(d) - 1
}

fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = s[0..4].parse().ok()?;
    let m: u32 = s[5..7].parse().ok()?;
    let d: u32 = s[8..10].parse().ok()?;
    ((1..=12).contains(&m) && d >= 1 && d <= month_len(y, m)).then_some((y, m, d))
}

struct Cpr {
    value: u64,
    birth: (i32, u32, u32),
    d7: u32,
    replacement: bool,
}

/// Validates a CPR number by the century rules; returns its value and birth date.
fn check_cpr(id: &str) -> Option<Cpr> {
    let digits: String = match id.len() {
        10 => id.to_string(),
        11 if id.as_bytes()[6] == b'-' => format!("{}{}", &id[..6], &id[7..]),
        _ => return None,
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |a: usize, b: usize| digits[a..b].parse::<u32>().unwrap();
    let (dd, mm, yy, d7) = (num(0, 2), num(2, 4), num(4, 6), num(6, 7));
    let year = match d7 {
        0..=3 => 1900 + yy,
        4 | 9 if yy <= 36 => 2000 + yy,
        4 | 9 => 1900 + yy,
        _ if yy <= 57 => 2000 + yy,
        _ => 1800 + yy,
    } as i32;
    let (day, replacement) = if dd > 60 {
        (dd - 60, true)
    } else {
        (dd, false)
    };
    if !(1..=12).contains(&mm) || day == 0 || day > month_len(year, mm) {
        return None;
    }
    Some(Cpr {
        value: digits.parse().unwrap(),
        birth: (year, mm, day),
        d7,
        replacement,
    })
}

fn check_cvr(id: &str) -> Option<u64> {
    let digits = id.strip_prefix("DK").unwrap_or(id);
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.starts_with('0') {
        return None;
    }
    let sum: u32 = digits
        .bytes()
        .zip([2, 7, 6, 5, 4, 3, 2, 1])
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    sum.is_multiple_of(11).then(|| digits.parse().unwrap())
}

fn age_on(birth: (i32, u32, u32), on: (i32, u32, u32)) -> i32 {
    on.0 - birth.0 - i32::from((on.1, on.2) < (birth.1, birth.2))
}

// --- contacts ----------------------------------------------------------------------------

struct Parsed {
    citizens: u64,
    companies: u64,
    status: HashMap<(bool, String), u64>,
    registration: HashMap<(bool, String), u64>,
    nemsms_true: HashMap<(bool, String), u64>,
    values: HashSet<u64>,
    cpr_values: HashSet<u64>,
    cvr_values: HashSet<u64>,
    d7_by_century: HashSet<(i32, u32)>,
    replacements: u64,
    dashed: u64,
    dk: u64,
    company_windows: (u64, u64, u64),
}

/// Parses and validates every line; panics on the first violation.
fn parse_contacts(text: &str, reference: (i32, u32, u32)) -> Parsed {
    let mut lines = text.split_inclusive('\n');
    assert_eq!(lines.next(), Some(format!("{CONTACTS_HEADER}\n").as_str()));
    let mut p = Parsed {
        citizens: 0,
        companies: 0,
        status: HashMap::new(),
        registration: HashMap::new(),
        nemsms_true: HashMap::new(),
        values: HashSet::new(),
        cpr_values: HashSet::new(),
        cvr_values: HashSet::new(),
        d7_by_century: HashSet::new(),
        replacements: 0,
        dashed: 0,
        dk: 0,
        company_windows: (0, 0, 0),
    };
    let today = ordinal(reference.0, reference.1, reference.2);
    for line in lines {
        let line = line.strip_suffix('\n').expect("every line ends with \\n");
        assert!(!line.contains('\r'));
        let f: Vec<&str> = line.split(';').collect();
        assert_eq!(f.len(), 6, "{line}");
        let (id, status, reg, start, end, nemsms) = (f[0], f[1], f[2], f[3], f[4], f[5]);
        let is_cpr = !id.starts_with("DK") && id.len() != 8;
        let value = if is_cpr {
            let cpr = check_cpr(id).unwrap_or_else(|| panic!("invalid CPR {id}"));
            p.citizens += 1;
            p.dashed += u64::from(id.len() == 11);
            p.replacements += u64::from(cpr.replacement);
            p.d7_by_century.insert((cpr.birth.0 / 100, cpr.d7));
            let age = age_on(cpr.birth, reference);
            if reg == "awaiting_registration" {
                assert_eq!(age, 14, "{id}");
                let (y, m, d) = (reference.0 - 15, reference.1, reference.2);
                let fifteen = ordinal(y, m, d.min(month_len(y, m)));
                let b = ordinal(cpr.birth.0, cpr.birth.1, cpr.birth.2);
                assert!(b > fifteen && b <= fifteen + 92, "{id}");
            } else {
                assert!(age >= 15, "{id} is {age}");
            }
            assert!(age <= 140, "{id}");
            assert!(p.cpr_values.insert(cpr.value));
            cpr.value
        } else {
            let cvr = check_cvr(id).unwrap_or_else(|| panic!("invalid CVR {id}"));
            p.companies += 1;
            p.dk += u64::from(id.starts_with("DK"));
            assert!(p.cvr_values.insert(cvr));
            cvr
        };
        assert!(p.values.insert(value), "duplicate {id}");
        let allowed_reg: &[&str] = match status {
            "registered" if is_cpr => &[
                "automatic",
                "voluntary",
                "unconfirmed",
                "before_unconfirmed",
                "awaiting_registration",
            ],
            "registered" => &["automatic", "voluntary"],
            "exempt" => &["exempt_left_the_country", "exempt_other_reason"],
            "closed" | "unknown" => &[""],
            other => panic!("status {other}"),
        };
        assert!(allowed_reg.contains(&reg), "{line}");
        let start = (!start.is_empty()).then(|| parse_date(start).expect(start));
        let end = (!end.is_empty()).then(|| parse_date(end).expect(end));
        if status != "exempt" {
            assert!(start.is_none() && end.is_none(), "{line}");
        }
        if let (Some(s), Some(e)) = (start, end) {
            assert!(s <= e, "{line}");
        }
        if !is_cpr && status == "exempt" {
            let (s, e) = (start.expect("company window"), end.expect("company window"));
            let (s, e) = (ordinal(s.0, s.1, s.2), ordinal(e.0, e.1, e.2));
            if e < today {
                p.company_windows.0 += 1;
            } else if s > today {
                p.company_windows.2 += 1;
            } else {
                p.company_windows.1 += 1;
            }
        }
        assert!(["true", "false", ""].contains(&nemsms), "{line}");
        *p.status.entry((is_cpr, status.to_string())).or_default() += 1;
        *p.registration.entry((is_cpr, reg.to_string())).or_default() += 1;
        if nemsms == "true" {
            assert!(status == "registered", "{line}");
            *p.nemsms_true
                .entry((is_cpr, status.to_string()))
                .or_default() += 1;
        }
    }
    p
}

fn share(map: &HashMap<(bool, String), u64>, cpr: bool, key: &str, total: u64) -> f64 {
    *map.get(&(cpr, key.to_string())).unwrap_or(&0) as f64 / total as f64
}

#[test]
fn contacts_are_deterministic_per_seed() {
    let (a, _) = contacts(&small(7));
    let (b, _) = contacts(&small(7));
    let (c, _) = contacts(&small(8));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn catalog_is_deterministic_per_seed() {
    assert_eq!(catalog(&small(7)).0, catalog(&small(7)).0);
    assert_ne!(catalog(&small(7)).0, catalog(&small(8)).0);
}

#[test]
fn contacts_are_valid_unique_and_realistic() {
    let opts = small(7);
    let (bytes, summary) = contacts(&opts);
    assert_eq!(summary.bytes, bytes.len() as u64);
    let text = String::from_utf8(bytes).expect("UTF-8");
    let p = parse_contacts(&text, REF);
    assert_eq!((p.citizens, p.companies), (opts.citizens, opts.companies));
    assert_eq!(
        (summary.citizens, summary.companies),
        (p.citizens, p.companies)
    );

    let n = p.citizens;
    let s = |k| share(&p.status, true, k, n);
    assert!(
        (0.92..0.96).contains(&s("registered")),
        "{}",
        s("registered")
    );
    assert!((0.035..0.05).contains(&s("exempt")), "{}", s("exempt"));
    assert!((0.007..0.013).contains(&s("closed")), "{}", s("closed"));
    assert!((0.003..0.008).contains(&s("unknown")), "{}", s("unknown"));
    let r = |k| share(&p.registration, true, k, n);
    assert!((0.002..0.0045).contains(&r("awaiting_registration")));
    assert!(r("automatic") > 0.8 && r("voluntary") > 0.05);
    let pending = r("unconfirmed") + r("before_unconfirmed");
    assert!((0.006..0.015).contains(&pending), "{pending}");
    assert!(r("exempt_left_the_country") > 0.0 && r("exempt_other_reason") > 0.02);
    let registered = *p.status.get(&(true, "registered".into())).unwrap() as f64;
    let nemsms = *p.nemsms_true.get(&(true, "registered".into())).unwrap() as f64;
    assert!((0.06..0.10).contains(&(nemsms / registered)));

    let m = p.companies;
    let c = |k| share(&p.status, false, k, m);
    assert!((0.95..0.99).contains(&c("registered")));
    assert!((0.004..0.02).contains(&c("exempt")));
    assert!((0.01..0.03).contains(&c("closed")));
    let (ended, current, future) = p.company_windows;
    assert!(
        ended > 0 && current > 0 && future > 0,
        "{:?}",
        p.company_windows
    );

    // Every century rule is exercised, plus the written variants.
    for expected in [
        (18, 5),
        (19, 0),
        (19, 4),
        (19, 9),
        (20, 4),
        (20, 5),
        (20, 9),
    ] {
        let hit = p.d7_by_century.iter().any(|&(cent, d7)| {
            cent == expected.0 && (d7 == expected.1 || (expected.1 == 5 && (5..=8).contains(&d7)))
        });
        assert!(
            hit,
            "no CPR with century {}xx and d7 {}",
            expected.0, expected.1
        );
    }
    assert!(p.replacements > 0 && p.replacements < n / 200);
    assert!(p.dashed > n / 100 && p.dashed < n / 25, "{}", p.dashed);
    assert!(p.dk > 0 && p.dk < m / 20);

    // Summary counts and samples.
    assert_eq!(
        summary.registered + summary.exempt + summary.closed + summary.unknown,
        n + m
    );
    let count = |cpr, k: &str| p.status.get(&(cpr, k.to_string())).copied().unwrap_or(0);
    assert_eq!(
        summary.exempt,
        count(true, "exempt") + count(false, "exempt")
    );
    assert_eq!(
        summary.closed,
        count(true, "closed") + count(false, "closed")
    );
    assert_eq!(summary.nemsms, p.nemsms_true.values().sum::<u64>());
    assert_eq!(summary.sample_cpr.len(), (n as usize).min(SAMPLE));
    assert_eq!(summary.sample_cvr.len(), (m as usize).min(SAMPLE));
    assert!(summary.sample_cpr.iter().all(|v| p.cpr_values.contains(v)));
    assert!(summary.sample_cvr.iter().all(|v| p.cvr_values.contains(v)));
}

#[test]
fn leap_day_reference_date_and_other_seed() {
    let opts = SynthOptions {
        citizens: 20_000,
        companies: 2_000,
        seed: 12_345,
        reference_date: (2028, 2, 29),
    };
    let (bytes, _) = contacts(&opts);
    let p = parse_contacts(std::str::from_utf8(&bytes).unwrap(), (2028, 2, 29));
    assert_eq!(p.values.len(), 22_000);
}

#[test]
fn sample_is_capped_and_uniform_looking() {
    let opts = SynthOptions {
        citizens: SAMPLE as u64 + 50_000,
        companies: 10,
        seed: 3,
        reference_date: (2026, 1, 1),
    };
    let mut calls = Vec::new();
    let mut out = io::sink();
    let s = write_contacts(&mut out, &opts, &mut |w, t| calls.push((w, t))).unwrap();
    assert_eq!(s.sample_cpr.len(), SAMPLE);
    assert_eq!(s.sample_cvr.len(), 10);
    let distinct: HashSet<_> = s.sample_cpr.iter().collect();
    assert_eq!(distinct.len(), SAMPLE);
    let total = opts.citizens + opts.companies;
    assert_eq!(calls.first(), Some(&(0, total)));
    assert_eq!(calls.last(), Some(&(total, total)));
    assert!(calls.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(calls.len() >= 3);
}

#[test]
fn serial_permutation_is_a_bijection() {
    for key in [0u64, 1, 42, u64::MAX] {
        let seen: HashSet<u32> = (0..1000).map(|i| permute_1000(key, i)).collect();
        assert_eq!(seen.len(), 1000);
        assert!(seen.iter().all(|&x| x < 1000));
    }
}

#[test]
fn calendar_round_trips() {
    for day in days_from_civil(1850, 1, 1)..days_from_civil(2060, 12, 31) {
        let (y, m, d) = civil_from_days(day);
        assert_eq!(days_from_civil(y, m, d), day);
        assert_eq!(ordinal(y, m, d) - ordinal(1970, 1, 1), day, "{y}-{m}-{d}");
    }
}

#[test]
fn cvr_candidates_pass_modulus_11() {
    let mut rng = Gen::new(9, Stream::Contacts);
    let mut ok = 0;
    for _ in 0..10_000 {
        if let Some(c) = cvr_candidate(&mut rng) {
            assert!(check_cvr(&c.to_string()).is_some(), "{c}");
            ok += 1;
        }
    }
    assert!(ok > 8_500);
}

// --- catalog -----------------------------------------------------------------------------

/// A tiny parser for exactly the catalog format: `[[table]]` headers and `key = value`.
fn parse_catalog(text: &str) -> Vec<(String, HashMap<String, String>)> {
    let mut tables: Vec<(String, HashMap<String, String>)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
            tables.push((name.to_string(), HashMap::new()));
            continue;
        }
        let (k, v) = line.split_once(" = ").expect(line);
        let table = &mut tables.last_mut().expect("key before table").1;
        assert!(
            table.insert(k.to_string(), v.to_string()).is_none(),
            "{line}"
        );
    }
    tables
}

fn unquote(v: &str) -> String {
    let inner = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .expect(v);
    assert!(!inner.contains('"') && !inner.contains('\\'));
    inner.to_string()
}

#[test]
fn catalog_references_resolve_and_shares_hold() {
    let opts = small(7);
    let (text, summary) = catalog(&opts);
    assert_eq!(summary.bytes, text.len() as u64);
    let tables = parse_catalog(&text);
    let today = ordinal(REF.0, REF.1, REF.2);
    let date = |v: &str| {
        let (y, m, d) = parse_date(v).expect(v);
        ordinal(y, m, d)
    };

    let mut systems = HashSet::new();
    let (mut expired, mut undated, mut valid) = (0, 0, 0);
    let mut groups: HashMap<String, (String, i64)> = HashMap::new();
    let mut material_ids = Vec::new();
    let (mut two, mut nemsms, mut mandatory) = (0, 0, 0);
    let mut used_groups = HashSet::new();
    for (kind, t) in &tables {
        match kind.as_str() {
            "sender_system" => {
                assert!(systems.insert(unquote(&t["id"])));
                assert!(!unquote(&t["name"]).is_empty());
                match t.get("certificate_expires") {
                    None => undated += 1,
                    Some(v) if date(v) < today => expired += 1,
                    Some(_) => valid += 1,
                }
            }
            "group" => {
                let audience = unquote(&t["audience"]);
                assert!(audience == "private" || audience == "erhverv");
                assert!(!unquote(&t["name"]).is_empty());
                let from = date(&t["active_from"]);
                assert!(groups.insert(unquote(&t["id"]), (audience, from)).is_none());
            }
            "material" => {
                let id = unquote(&t["id"]);
                assert!(!id.is_empty());
                assert!(!unquote(&t["name"]).is_empty());
                assert!(systems.contains(&unquote(&t["sender_system"])));
                let list = t["groups"]
                    .strip_prefix('[')
                    .and_then(|l| l.strip_suffix(']'));
                let ids: Vec<String> = list.unwrap().split(", ").map(unquote).collect();
                assert!(ids.len() == 1 || ids.len() == 2, "{id}");
                let audiences: HashSet<&String> = ids
                    .iter()
                    .map(|g| &groups.get(g).unwrap_or_else(|| panic!("group {g}")).0)
                    .collect();
                assert_eq!(
                    audiences.len(),
                    ids.len(),
                    "{id}: two groups of one audience"
                );
                used_groups.extend(ids.iter().cloned());
                two += usize::from(ids.len() == 2);
                let kind = unquote(&t["message_type"]);
                assert!(kind == "digitalpost" || kind == "nemsms");
                let is_mandatory = match t["mandatory"].as_str() {
                    "true" => true,
                    "false" => false,
                    other => panic!("mandatory = {other}"),
                };
                assert!(!(is_mandatory && kind == "nemsms"), "{id}");
                nemsms += usize::from(kind == "nemsms");
                mandatory += usize::from(is_mandatory);
                material_ids.push(id);
            }
            other => panic!("table {other}"),
        }
    }
    assert_eq!(material_ids, summary.material_ids);
    let unique: HashSet<&String> = material_ids.iter().collect();
    assert_eq!(unique.len(), material_ids.len());
    assert!(
        material_ids
            .iter()
            .any(|id| !id.bytes().all(|b| b.is_ascii_digit()))
    );
    assert!(
        material_ids
            .iter()
            .filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
            .count()
            > 1900
    );
    assert_eq!(summary.sender_systems as usize, systems.len());
    assert_eq!(summary.groups as usize, groups.len());
    assert_eq!(summary.materials as usize, material_ids.len());
    assert_eq!(
        (systems.len(), groups.len(), material_ids.len()),
        (12, GROUPS, MATERIALS)
    );
    assert!(
        expired >= 1 && undated >= 1 && valid >= 8,
        "{expired} {undated} {valid}"
    );
    assert_eq!(
        used_groups.len(),
        groups.len(),
        "every group has a material"
    );

    let n = material_ids.len() as f64;
    let frac = |x: usize| x as f64 / n;
    assert!((0.18..0.32).contains(&frac(two)), "{}", frac(two));
    assert!((0.03..0.08).contains(&frac(nemsms)), "{}", frac(nemsms));
    assert!(
        (0.015..0.05).contains(&frac(mandatory)),
        "{}",
        frac(mandatory)
    );
    let private = groups.values().filter(|g| g.0 == "private").count() as f64;
    assert!((0.5..0.7).contains(&(private / groups.len() as f64)));
    let future = groups.values().filter(|g| g.1 > today).count();
    assert!(future >= 1 && future < groups.len() / 10, "{future}");
}

#[test]
fn generate_writes_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("nested").join("out");
    let opts = SynthOptions {
        citizens: 5_000,
        companies: 500,
        seed: 1,
        reference_date: (2026, 1, 1),
    };
    let mut last = (0, 0);
    let s = generate(&target, &opts, &mut |w, t| last = (w, t)).unwrap();
    assert_eq!(last, (5_500, 5_500));
    assert_eq!(s.catalog_path, target.join(CATALOG_FILE));
    assert_eq!(s.contacts_path, target.join(CONTACTS_FILE));
    let csv = fs::read(&s.contacts_path).unwrap();
    assert_eq!(s.contacts_bytes, csv.len() as u64);
    assert_eq!(csv.iter().filter(|&&b| b == b'\n').count(), 5_501);
    assert_eq!(csv, contacts(&opts).0);
    assert_eq!(
        fs::read_to_string(&s.catalog_path).unwrap(),
        catalog(&opts).0
    );
    assert_eq!((s.citizens, s.companies), (5_000, 500));
    assert_eq!(
        (s.materials, s.groups, s.sender_systems),
        (2_000, 1_000, 12)
    );
    assert_eq!(s.material_ids.len(), 2_000);
    assert_eq!((s.sample_cpr.len(), s.sample_cvr.len()), (5_000, 500));
    let names: Vec<_> = fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

/// A writer that fails after `left` bytes.
struct Failing {
    left: usize,
}

impl Write for Failing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("disk full"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_errors_are_returned_without_hanging() {
    let opts = SynthOptions {
        citizens: 400_000,
        companies: 10_000,
        ..small(1)
    };
    let err = write_contacts(&mut Failing { left: 3 << 20 }, &opts, &mut |_, _| {}).unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    let err = write_catalog(&mut Failing { left: 100 }, &opts).unwrap_err();
    assert_eq!(err.to_string(), "disk full");
}

#[test]
fn empty_register_is_just_a_header() {
    let opts = SynthOptions {
        citizens: 0,
        companies: 0,
        ..SynthOptions::default()
    };
    let (bytes, s) = contacts(&opts);
    assert_eq!(bytes, format!("{CONTACTS_HEADER}\n").into_bytes());
    assert!(s.sample_cpr.is_empty() && s.sample_cvr.is_empty());
}

#[test]
fn bad_options_are_rejected() {
    let bad = [
        SynthOptions {
            reference_date: (2026, 2, 29),
            ..small(1)
        },
        SynthOptions {
            reference_date: (2026, 13, 1),
            ..small(1)
        },
        SynthOptions {
            reference_date: (2026, 1, 0),
            ..small(1)
        },
        SynthOptions {
            reference_date: (1900, 1, 1),
            ..small(1)
        },
        SynthOptions {
            citizens: MAX_CITIZENS + 1,
            ..small(1)
        },
        SynthOptions {
            companies: MAX_COMPANIES + 1,
            ..small(1)
        },
    ];
    for opts in bad {
        let err = write_contacts(&mut io::sink(), &opts, &mut |_, _| {}).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{opts:?}");
        let err = write_catalog(&mut io::sink(), &opts).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let dir = tempfile::tempdir().unwrap();
        let err = generate(dir.path(), &opts, &mut |_, _| {}).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
    let defaults = SynthOptions::default();
    assert_eq!(
        (defaults.citizens, defaults.companies, defaults.seed),
        (5_900_000, 800_000, 1)
    );
    assert_eq!(defaults.reference_date, (2026, 1, 1));
}
