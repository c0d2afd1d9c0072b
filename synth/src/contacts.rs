//! The synthetic contact register: citizens and companies.

use super::*;

/// SplitMix64 finaliser.
#[inline]
pub(super) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A bijection of 0..1000 chosen by `key`: a keyed 10-bit permutation, cycle-walked into range.
#[inline]
pub(super) fn permute_1000(key: u64, i: u32) -> u32 {
    let h = mix64(key);
    let a = (h as u32 & 1023) | 1;
    let b = (h >> 10) as u32 & 1023;
    let c = ((h >> 20) as u32 & 1023) | 1;
    let d = (h >> 30) as u32 & 1023;
    let mut x = i;
    loop {
        x = x.wrapping_mul(a).wrapping_add(b) & 1023;
        x ^= x >> 5;
        x = x.wrapping_mul(c).wrapping_add(d) & 1023;
        x ^= x >> 3;
        if x < 1000 {
            return x;
        }
    }
}

/// Age pyramid in 5-year bands: (first age of band, weight).
type Pyramid = [(u32, u32)];

/// Danish adults, roughly (thousands per 5-year band).
const AGES_GENERAL: [(u32, u32); 18] = [
    (15, 345),
    (20, 370),
    (25, 400),
    (30, 380),
    (35, 340),
    (40, 350),
    (45, 385),
    (50, 405),
    (55, 395),
    (60, 360),
    (65, 325),
    (70, 310),
    (75, 265),
    (80, 165),
    (85, 80),
    (90, 32),
    (95, 8),
    (100, 1),
];

/// Exempt for other reasons: mostly elderly.
const AGES_ELDERLY: [(u32, u32); 18] = [
    (15, 4),
    (20, 5),
    (25, 6),
    (30, 6),
    (35, 6),
    (40, 7),
    (45, 8),
    (50, 10),
    (55, 14),
    (60, 20),
    (65, 35),
    (70, 60),
    (75, 90),
    (80, 110),
    (85, 95),
    (90, 55),
    (95, 18),
    (100, 3),
];

/// Exempt because they left the country: working age.
const AGES_EMIGRANT: [(u32, u32); 12] = [
    (18, 20),
    (20, 60),
    (25, 110),
    (30, 110),
    (35, 85),
    (40, 60),
    (45, 45),
    (50, 35),
    (55, 25),
    (60, 20),
    (65, 15),
    (70, 8),
];

/// Deceased since the register started: old at death, some long ago.
const AGES_DECEASED: [(u32, u32); 20] = [
    (20, 2),
    (25, 2),
    (30, 3),
    (35, 3),
    (40, 4),
    (45, 6),
    (50, 9),
    (55, 14),
    (60, 20),
    (65, 30),
    (70, 45),
    (75, 60),
    (80, 75),
    (85, 80),
    (90, 65),
    (95, 45),
    (100, 25),
    (105, 10),
    (110, 4),
    (115, 1),
];

/// Precomputed per-pyramid weights, so a draw does not re-sum them.
struct AgeTable {
    starts: Vec<u32>,
    weights: Vec<u32>,
}

impl AgeTable {
    fn new(p: &Pyramid) -> AgeTable {
        AgeTable {
            starts: p.iter().map(|&(a, _)| a).collect(),
            weights: p.iter().map(|&(_, w)| w).collect(),
        }
    }
}

/// Relative-date context of one generation run.
struct Clock {
    today: i64,
    year: i32,
    month: u32,
    day: u32,
    min_birth: i64,
    max_birth: i64,
}

impl Clock {
    fn new(opts: &SynthOptions) -> Clock {
        let (y, m, d) = opts.reference_date;
        let (min_birth, max_birth) = cpr_day_bounds();
        Clock {
            today: reference_day(opts),
            year: y,
            month: u32::from(m),
            day: u32::from(d),
            min_birth,
            max_birth,
        }
    }

    /// A birth day of someone exactly `age` years old on the reference date.
    fn birth_for_age(&self, rng: &mut Gen, age: u32) -> i64 {
        let y = self.year - age as i32;
        let latest = anniversary(y, self.month, self.day);
        let earliest = anniversary(y - 1, self.month, self.day) + 1;
        rng.range(earliest, latest)
    }

    fn birth_from(&self, rng: &mut Gen, table: &AgeTable) -> i64 {
        let band = rng.weighted(&table.weights);
        let age = table.starts[band] + rng.below(5) as u32;
        self.clamp(self.birth_for_age(rng, age))
    }

    fn clamp(&self, day: i64) -> i64 {
        day.clamp(self.min_birth, self.max_birth)
    }
}

/// Seventh digit of a CPR number consistent with the birth year, `None` if unrepresentable.
fn seventh_digit(rng: &mut Gen, year: i32) -> Option<u32> {
    Some(match year {
        1858..=1899 => 5 + rng.below(4) as u32,
        1900..=1936 => rng.below(4) as u32,
        1937..=1999 => {
            if rng.ppm(80_000) {
                if rng.below(2) == 0 { 4 } else { 9 }
            } else {
                rng.below(4) as u32
            }
        }
        2000..=2036 => 4 + rng.below(6) as u32,
        2037..=2057 => 5 + rng.below(4) as u32,
        _ => return None,
    })
}

const STATUS: [&str; 4] = ["registered", "exempt", "closed", "unknown"];
const REG_NONE: &str = "";
const REG_AUTOMATIC: &str = "automatic";
const REG_VOLUNTARY: &str = "voluntary";
const REG_UNCONFIRMED: &str = "unconfirmed";
const REG_BEFORE_UNCONFIRMED: &str = "before_unconfirmed";
const REG_AWAITING: &str = "awaiting_registration";
const REG_LEFT: &str = "exempt_left_the_country";
const REG_OTHER: &str = "exempt_other_reason";

/// One generated line, before formatting.
struct Line {
    status: usize,
    registration: &'static str,
    start: Option<i64>,
    end: Option<i64>,
    nemsms: Option<bool>,
}

struct ContactsGen {
    rng: Gen,
    sampler: Gen,
    clock: Clock,
    general: AgeTable,
    elderly: AgeTable,
    emigrant: AgeTable,
    deceased: AgeTable,
    /// Serials issued per (birth day, replacement, seventh digit).
    cpr_issued: Vec<u16>,
    /// One bit per possible first seven CVR digits (1000000..=9999999).
    cvr_issued: Vec<u64>,
    seed_key: u64,
    cpr_count: u64,
    cvr_count: u64,
    sample_cpr: Vec<u64>,
    sample_cvr: Vec<u64>,
    old_start: i64,
    old_end: i64,
}

impl ContactsGen {
    fn new(opts: &SynthOptions) -> ContactsGen {
        let clock = Clock::new(opts);
        let days = (clock.max_birth - clock.min_birth + 1) as usize;
        ContactsGen {
            rng: Gen::new(opts.seed, Stream::Contacts),
            sampler: Gen::new(opts.seed, Stream::Sample),
            cpr_issued: vec![0; days * 20],
            cvr_issued: vec![0; 9_000_000 / 64 + 1],
            seed_key: mix64(opts.seed ^ 0x5EED_C0DE_0000_0000),
            clock,
            general: AgeTable::new(&AGES_GENERAL),
            elderly: AgeTable::new(&AGES_ELDERLY),
            emigrant: AgeTable::new(&AGES_EMIGRANT),
            deceased: AgeTable::new(&AGES_DECEASED),
            cpr_count: 0,
            cvr_count: 0,
            sample_cpr: Vec::new(),
            sample_cvr: Vec::new(),
            old_start: days_from_civil(1890, 1, 1),
            old_end: days_from_civil(1910, 12, 31),
        }
    }

    fn reservoir(sampler: &mut Gen, sample: &mut Vec<u64>, seen: u64, key: u64) {
        if sample.len() < SAMPLE {
            sample.push(key);
        } else {
            let j = sampler.below(seen);
            if (j as usize) < SAMPLE {
                sample[j as usize] = key;
            }
        }
    }

    /// Generates one citizen and appends its line to `buf`.
    fn citizen(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let rng = &mut self.rng;
        let clock = &self.clock;
        let r = rng.below(1_000_000);
        let (birth, line) = match r {
            // About to turn 15: registered, awaiting registration.
            0..=2_999 => {
                let fifteen = anniversary(clock.year - 15, clock.month, clock.day);
                let birth = clock.clamp(fifteen + rng.range(1, 90));
                let nemsms = if rng.ppm(500_000) { Some(false) } else { None };
                (birth, line(0, REG_AWAITING, None, None, nemsms))
            }
            // Closed: deceased.
            3_000..=12_999 => {
                let birth = if rng.ppm(50_000) {
                    rng.range(self.old_start, self.old_end)
                } else {
                    clock.birth_from(rng, &self.deceased)
                };
                (birth, line(2, REG_NONE, None, None, None))
            }
            // Unknown.
            13_000..=17_999 => (
                clock.birth_from(rng, &self.general),
                line(3, REG_NONE, None, None, None),
            ),
            // Exempt (about 256k of 5.9M).
            18_000..=60_999 => {
                let left = rng.ppm(200_000);
                let birth = if left {
                    clock.birth_from(rng, &self.emigrant)
                } else {
                    clock.birth_from(rng, &self.elderly)
                };
                let start = if rng.ppm(60_000) {
                    if rng.ppm(80_000) {
                        Some(clock.today + rng.range(1, 60))
                    } else {
                        Some(clock.today - rng.range(0, 3650))
                    }
                } else {
                    None
                };
                let nemsms = if rng.ppm(400_000) { Some(false) } else { None };
                let reg = if left { REG_LEFT } else { REG_OTHER };
                (birth, line(1, reg, start, None, nemsms))
            }
            // Registered.
            _ => {
                let birth = clock.birth_from(rng, &self.general);
                let q = rng.below(1_000_000);
                let reg = match q {
                    0..=7_499 => REG_UNCONFIRMED,
                    7_500..=10_999 => REG_BEFORE_UNCONFIRMED,
                    11_000..=100_999 => REG_VOLUNTARY,
                    _ => REG_AUTOMATIC,
                };
                let s = rng.below(1_000);
                let nemsms = match s {
                    0..=79 => Some(true),
                    80..=109 => None,
                    _ => Some(false),
                };
                (birth, line(0, reg, None, None, nemsms))
            }
        };

        // The CPR number: date, seventh digit from the century, three more serial digits. The
        // serials of one (date, seventh digit) are handed out through a seeded permutation of
        // 0..1000, so numbers are unique by construction without a set of all numbers.
        let (y, m, d) = civil_from_days(birth);
        let replacement = rng.ppm(1_000);
        let dd = if replacement { d + 60 } else { d };
        let yy = (y % 100) as u32;
        let day_slot =
            ((birth - self.clock.min_birth) as usize * 2 + usize::from(replacement)) * 10;
        let mut attempts = 0;
        let key = loop {
            let Some(d7) = seventh_digit(rng, y) else {
                return Err(other("birth date outside the CPR range"));
            };
            let slot = day_slot + d7 as usize;
            let issued = self.cpr_issued[slot];
            if issued < 1000 {
                self.cpr_issued[slot] = issued + 1;
                let serial =
                    d7 * 1000 + permute_1000(self.seed_key ^ slot as u64, u32::from(issued));
                break u64::from(dd) * 100_000_000
                    + u64::from(m) * 1_000_000
                    + u64::from(yy) * 10_000
                    + u64::from(serial);
            }
            attempts += 1;
            if attempts > 10_000 {
                return Err(other("a birth date ran out of CPR serial numbers"));
            }
        };
        let dash = rng.ppm(20_000);
        self.cpr_count += 1;
        Self::reservoir(&mut self.sampler, &mut self.sample_cpr, self.cpr_count, key);

        let serial = (key % 10_000) as u32;
        push2(buf, dd);
        push2(buf, m);
        push2(buf, yy);
        if dash {
            buf.push(b'-');
        }
        push4(buf, serial);
        write_fields(buf, &line);
        Ok(line.status)
    }

    /// Generates one company and appends its line to `buf`.
    fn company(&mut self, buf: &mut Vec<u8>) -> usize {
        let rng = &mut self.rng;
        let today = self.clock.today;
        let r = rng.below(1_000_000);
        let line = match r {
            // Time-limited exemption around the reference date.
            0..=9_999 => {
                let start = today + rng.range(-480, 120);
                let end = start + rng.range(30, 400);
                line(1, REG_OTHER, Some(start), Some(end), Some(false))
            }
            // Dissolved.
            10_000..=29_999 => line(2, REG_NONE, None, None, None),
            _ => {
                let s = rng.below(1_000);
                let nemsms = match s {
                    0..=2 => Some(true),
                    3..=29 => None,
                    _ => Some(false),
                };
                line(0, REG_AUTOMATIC, None, None, nemsms)
            }
        };
        let cvr = loop {
            let Some(cvr) = cvr_candidate(rng) else {
                continue;
            };
            // The check digit follows from the first seven, so a bitset of those suffices.
            let head = (cvr / 10 - 1_000_000) as usize;
            let (word, bit) = (head / 64, 1u64 << (head % 64));
            if self.cvr_issued[word] & bit == 0 {
                self.cvr_issued[word] |= bit;
                break cvr;
            }
        };
        let dk = rng.ppm(20_000);
        self.cvr_count += 1;
        Self::reservoir(
            &mut self.sampler,
            &mut self.sample_cvr,
            self.cvr_count,
            u64::from(cvr),
        );
        if dk {
            buf.extend_from_slice(b"DK");
        }
        push4(buf, cvr / 10_000);
        push4(buf, cvr % 10_000);
        write_fields(buf, &line);
        line.status
    }
}

fn line(
    status: usize,
    registration: &'static str,
    start: Option<i64>,
    end: Option<i64>,
    nemsms: Option<bool>,
) -> Line {
    Line {
        status,
        registration,
        start,
        end,
        nemsms,
    }
}

/// Seven random digits (first not 0) plus the modulus-11 check digit; `None` when the check
/// digit would be 10.
pub(super) fn cvr_candidate(rng: &mut Gen) -> Option<u32> {
    const WEIGHTS: [u32; 7] = [2, 7, 6, 5, 4, 3, 2];
    let head = 1_000_000 + rng.below(9_000_000) as u32;
    let mut rest = head;
    let mut sum = 0;
    for w in WEIGHTS.iter().rev() {
        sum += (rest % 10) * w;
        rest /= 10;
    }
    let check = (11 - sum % 11) % 11;
    (check < 10).then_some(head * 10 + check)
}

#[inline]
fn write_fields(buf: &mut Vec<u8>, line: &Line) {
    buf.push(b';');
    buf.extend_from_slice(STATUS[line.status].as_bytes());
    buf.push(b';');
    buf.extend_from_slice(line.registration.as_bytes());
    buf.push(b';');
    if let Some(day) = line.start {
        push_date(buf, day);
    }
    buf.push(b';');
    if let Some(day) = line.end {
        push_date(buf, day);
    }
    buf.push(b';');
    match line.nemsms {
        Some(true) => buf.extend_from_slice(b"true"),
        Some(false) => buf.extend_from_slice(b"false"),
        None => {}
    }
    buf.push(b'\n');
}

/// Lines between progress reports.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Size of the chunks handed from the generating thread to the writing one.
const CHUNK: usize = 1 << 20;

/// What the generating thread reports when it is done.
#[derive(Default)]
struct Produced {
    counts: [u64; 4],
    nemsms: u64,
    sample_cpr: Vec<u64>,
    sample_cvr: Vec<u64>,
}

/// Generates all lines (header first) in chunks of about [`CHUNK`] bytes and sends each with
/// the number of contacts it completes. Stops early, without error, if the receiver is gone.
fn produce(
    opts: &SynthOptions,
    chunks: mpsc::SyncSender<(Vec<u8>, u64)>,
    spare: mpsc::Receiver<Vec<u8>>,
) -> io::Result<Produced> {
    let total = opts.citizens + opts.companies;
    let mut generator = ContactsGen::new(opts);
    let mut produced = Produced::default();
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 256);
    buf.extend_from_slice(CONTACTS_HEADER.as_bytes());
    buf.push(b'\n');
    let (mut citizens_left, mut companies_left) = (opts.citizens, opts.companies);
    for written in 1..=total {
        let is_citizen = generator.rng.below(citizens_left + companies_left) < citizens_left;
        let line_start = buf.len();
        let status = if is_citizen {
            citizens_left -= 1;
            generator.citizen(&mut buf)?
        } else {
            companies_left -= 1;
            generator.company(&mut buf)
        };
        produced.counts[status] += 1;
        if buf[line_start..].ends_with(b";true\n") {
            produced.nemsms += 1;
        }
        if buf.len() >= CHUNK {
            let next = spare
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(CHUNK + 256));
            if chunks
                .send((std::mem::replace(&mut buf, next), written))
                .is_err()
            {
                return Ok(produced);
            }
            buf.clear();
        }
    }
    // The last chunk (possibly just the header) always goes out.
    let _ = chunks.send((buf, total));
    produced.sample_cpr = generator.sample_cpr;
    produced.sample_cvr = generator.sample_cvr;
    Ok(produced)
}

/// Writes the contact register extract (`contacts.csv` format) for `opts` into `out`.
///
/// Citizens and companies are interleaved in a random order. `progress(written, total)` is
/// called at the start, about every 64k lines and at the end. Lines are generated on a second
/// thread and handed over in 1 MiB chunks, so `out` need not be buffered; `out` and `progress`
/// are only used on the calling thread.
pub fn write_contacts(
    out: &mut dyn Write,
    opts: &SynthOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> io::Result<ContactsSummary> {
    check_options(opts)?;
    let total = opts.citizens + opts.companies;
    progress(0, total);
    let mut bytes = 0u64;
    let produced = thread::scope(|scope| -> io::Result<Produced> {
        let (chunks_tx, chunks_rx) = mpsc::sync_channel::<(Vec<u8>, u64)>(4);
        let (spare_tx, spare_rx) = mpsc::channel::<Vec<u8>>();
        let producer = scope.spawn(move || produce(opts, chunks_tx, spare_rx));
        let mut written_result = Ok(());
        let mut reported = 0u64;
        for (chunk, written) in chunks_rx.iter() {
            if let Err(e) = out.write_all(&chunk) {
                written_result = Err(e);
                break;
            }
            bytes += chunk.len() as u64;
            if written / PROGRESS_EVERY > reported / PROGRESS_EVERY && written < total {
                progress(written, total);
                reported = written;
            }
            let _ = spare_tx.send(chunk);
        }
        // Dropping the receiver stops the producer if writing failed.
        drop(chunks_rx);
        let produced = producer
            .join()
            .map_err(|_| other("contact generator thread panicked"))??;
        written_result?;
        Ok(produced)
    })?;
    out.flush()?;
    progress(total, total);
    Ok(ContactsSummary {
        citizens: opts.citizens,
        companies: opts.companies,
        registered: produced.counts[0],
        exempt: produced.counts[1],
        closed: produced.counts[2],
        unknown: produced.counts[3],
        nemsms: produced.nemsms,
        bytes,
        sample_cpr: produced.sample_cpr,
        sample_cvr: produced.sample_cvr,
    })
}
