//! This index side by side with what a user would otherwise pick: a
//! `HashMap` (std and a fast hash), a sorted `Vec` with binary search, an
//! `fst::Map` and SQLite, on the same generated register, the same queries
//! and in the same run. BENCHMARKS.md has the results and how to read them.
//!
//! `cargo bench --bench compare` runs at national scale (5.9 M citizens,
//! 0.8 M companies, 1 M queries, about 10 minutes on 2 cores);
//! `cargo test --benches` runs every benchmark once on 20,000 citizens.
//! `TILMELDING_BENCH_CITIZENS`, `TILMELDING_BENCH_COMPANIES` and
//! `TILMELDING_BENCH_QUERIES` override the sizes.
//!
//! What is compared: the index answers the full question
//! (`lookup_material`: membership, code byte and the decision table); each
//! alternative maps the recipient's key (`Recipient::key()` widened to `u64`,
//! the kind in bit 32) to a contact code byte read from the same CSV with the
//! same `ContactReader`, followed by a trivial branch. The alternatives
//! therefore do less work per lookup than the index.
//!
//! Memory is measured in child processes of this binary (`probe`), so that
//! each number is one process's own: resident memory before and after, peak
//! resident memory, and the heap counted by the allocator below.

#[path = "support/evict.rs"]
mod evict;
#[path = "support/capi.rs"]
mod ffi;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::ffi::CString;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, SamplingMode, Throughput};
use rusqlite::{Connection, OptionalExtension};
use rustc_hash::FxHashMap;
use serde_json::{Value, json};
use tilmelding::{Answer, BuildOptions, Channel, Date, Index, LookupError, Reason, Recipient};
use tilmelding::{Contact, ContactReader};
use tilmelding::{RecipientKind, Status};
use tilmelding_synth::{self as synth, SynthOptions, SynthSummary};

// ---------------------------------------------------------------------------
// Heap accounting: every allocation of this process goes through here, so a
// probe knows the exact heap a structure holds and the peak while building it.
// Lookups allocate nothing, so the counting costs them nothing.

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn counted(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counters are only statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        counted(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        counted(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        counted(new_size);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// ---------------------------------------------------------------------------
// Sizes.

const NATIONAL_CITIZENS: u64 = 5_900_000;
const PROBE: &str = "TILMELDING_BENCH_PROBE";
const DATE: (i32, u8, u8) = (2026, 1, 1);

struct Config {
    citizens: u64,
    companies: u64,
    queries: usize,
    /// `cargo bench` (criterion passes `--bench`), not `cargo test --benches`.
    full: bool,
}

fn config() -> Config {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let var = |name: &str, default: u64| {
        std::env::var(name).map_or(default, |v| {
            v.replace('_', "")
                .parse()
                .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
        })
    };
    let citizens = var(
        "TILMELDING_BENCH_CITIZENS",
        if full { NATIONAL_CITIZENS } else { 20_000 },
    );
    Config {
        citizens,
        companies: var("TILMELDING_BENCH_COMPANIES", citizens * 8 / 59),
        queries: var(
            "TILMELDING_BENCH_QUERIES",
            if full { 1_000_000 } else { 10_000 },
        ) as usize,
        full,
    }
}

// ---------------------------------------------------------------------------
// The alternatives, each loaded from the extract with tilmelding's own reader.

/// The key the alternatives store: `Recipient::key()` widened, kind in bit 32
/// (CPR and CVR keys overlap).
#[inline]
fn wide_key(r: &Recipient) -> u64 {
    (r.kind() as u64) << 32 | u64::from(r.key())
}

/// A contact's status, registration and NemSMS flag in one byte.
fn code(c: &Contact) -> u8 {
    c.status as u8 | (c.registration as u8) << 2 | u8::from(c.nemsms) << 5
}

/// The alternatives' stand-in for the decision table: a single branch.
#[inline]
fn channel_of(code: Option<u8>) -> u8 {
    match code {
        Some(c) if c & 0b11 == Status::Registered as u8 => b'D',
        _ => b'F',
    }
}

fn read_contacts(csv: &Path, mut each: impl FnMut(u64, u8)) {
    let mut reader = ContactReader::open(csv).expect("the extract opens");
    while let Some(next) = reader.next_record() {
        let (_, record) = next
            .expect("readable")
            .expect("the generated extract is valid");
        each(wide_key(&record.recipient), code(&record.contact));
    }
}

fn load_hashmap_std(csv: &Path) -> HashMap<u64, u8> {
    let mut map = HashMap::new();
    read_contacts(csv, |k, c| {
        map.insert(k, c);
    });
    map
}

fn load_hashmap_fx(csv: &Path) -> FxHashMap<u64, u8> {
    let mut map = FxHashMap::default();
    read_contacts(csv, |k, c| {
        map.insert(k, c);
    });
    map
}

fn sorted_pairs(csv: &Path) -> Vec<(u64, u8)> {
    let mut pairs = Vec::new();
    read_contacts(csv, |k, c| pairs.push((k, c)));
    pairs.sort_unstable_by_key(|&(k, _)| k);
    pairs
}

/// Keys and codes in two arrays (9 bytes per contact), binary search.
struct SortedVec {
    keys: Vec<u64>,
    codes: Vec<u8>,
}

impl SortedVec {
    fn load(csv: &Path) -> SortedVec {
        let (keys, codes) = sorted_pairs(csv).into_iter().unzip();
        SortedVec { keys, codes }
    }

    #[inline]
    fn get(&self, key: u64) -> Option<u8> {
        self.keys.binary_search(&key).ok().map(|i| self.codes[i])
    }
}

fn load_fst(csv: &Path) -> fst::Map<Vec<u8>> {
    let mut builder = fst::MapBuilder::memory();
    for (k, c) in sorted_pairs(csv) {
        builder.insert(k.to_be_bytes(), u64::from(c)).unwrap();
    }
    fst::Map::new(builder.into_inner().unwrap()).unwrap()
}

fn load_sqlite(csv: &Path) -> Connection {
    let mut db = Connection::open_in_memory().unwrap();
    db.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         CREATE TABLE c (key INTEGER PRIMARY KEY, code INTEGER NOT NULL);",
    )
    .unwrap();
    let tx = db.transaction().unwrap();
    {
        let mut insert = tx
            .prepare("INSERT INTO c (key, code) VALUES (?1, ?2)")
            .unwrap();
        read_contacts(csv, |k, c| {
            insert.execute((k as i64, c)).unwrap();
        });
    }
    tx.commit().unwrap();
    db
}

const SQLITE_SELECT: &str = "SELECT code FROM c WHERE key = ?1";

fn sqlite_get(select: &mut rusqlite::Statement<'_>, key: u64) -> Option<u8> {
    select
        .query_row([key as i64], |row| row.get::<_, u8>(0))
        .optional()
        .unwrap()
}

// ---------------------------------------------------------------------------
// Probes: one measurement in a fresh child process of this binary.

fn proc_kb(file: &str, field: &str) -> u64 {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .find_map(|line| {
            let rest = line.strip_prefix(field)?.strip_prefix(':')?;
            rest.trim().trim_end_matches(" kB").trim().parse().ok()
        })
        .unwrap_or(0)
}

/// Anonymous and file-backed private memory of this process, in kB.
fn private_kb() -> (u64, u64) {
    let f = "/proc/self/smaps_rollup";
    (
        proc_kb(f, "Private_Clean") + proc_kb(f, "Private_Dirty"),
        proc_kb(f, "Shared_Clean"),
    )
}

fn run_probe(what: &str) {
    let path = |name: &str| PathBuf::from(std::env::var(name).unwrap());
    let rss_before = proc_kb("/proc/self/status", "VmRSS");
    let live_before = LIVE.load(Ordering::Relaxed);
    PEAK.store(live_before, Ordering::Relaxed);
    let started = Instant::now();
    let mut extra = json!({});
    // Keep what was loaded alive until the resident memory is read.
    let kept: Box<dyn std::any::Any> = match what {
        "open" => {
            let file = path("TILMELDING_BENCH_INDEX");
            let (private, shared) = private_kb();
            let index = Index::open(&file).unwrap();
            let opened = started.elapsed();
            let (private_open, shared_open) = private_kb();
            index.verify().unwrap();
            let (private_verify, shared_verify) = private_kb();
            let open_verify = started.elapsed();
            // Once more as one call, in the same process.
            let again = Instant::now();
            drop(Index::open_verified(&file).unwrap());
            extra = json!({
                "open_ms": opened.as_secs_f64() * 1e3,
                "open_verify_ms": open_verify.as_secs_f64() * 1e3,
                "open_verified_ms": again.elapsed().as_secs_f64() * 1e3,
                "private_kb_open": private_open - private,
                "shared_kb_open": shared_open - shared,
                "private_kb_verify": private_verify - private,
                "shared_kb_verify": shared_verify - shared,
                "heap_size": index.heap_size(),
            });
            Box::new(index)
        }
        "build" => {
            let report = tilmelding::build(
                &path("TILMELDING_BENCH_CATALOG"),
                &[path("TILMELDING_BENCH_CSV")],
                &path("TILMELDING_BENCH_INDEX"),
                &BuildOptions::default(),
                &mut |_| {},
            )
            .unwrap();
            extra = json!({ "file_size": report.file_size, "contacts": report.contacts });
            Box::new(())
        }
        "csv_read_only" => {
            let mut n = 0u64;
            read_contacts(&path("TILMELDING_BENCH_CSV"), |_, _| n += 1);
            Box::new(n)
        }
        "hashmap_std" => Box::new(load_hashmap_std(&path("TILMELDING_BENCH_CSV"))),
        "hashmap_fx" => Box::new(load_hashmap_fx(&path("TILMELDING_BENCH_CSV"))),
        "sorted_vec" => Box::new(SortedVec::load(&path("TILMELDING_BENCH_CSV"))),
        "fst_map" => Box::new(load_fst(&path("TILMELDING_BENCH_CSV"))),
        "sqlite" => {
            let db = load_sqlite(&path("TILMELDING_BENCH_CSV"));
            // SAFETY: plain statistics calls into the linked SQLite library.
            let (used, peak) = unsafe {
                (
                    rusqlite::ffi::sqlite3_memory_used(),
                    rusqlite::ffi::sqlite3_memory_highwater(0),
                )
            };
            extra = json!({ "sqlite_memory_used": used, "sqlite_memory_highwater": peak });
            Box::new(db)
        }
        other => panic!("unknown probe {other}"),
    };
    let elapsed = started.elapsed();
    let mut report = json!({
        "probe": what,
        "seconds": elapsed.as_secs_f64(),
        "rss_kb": proc_kb("/proc/self/status", "VmRSS").saturating_sub(rss_before),
        "peak_rss_kb": proc_kb("/proc/self/status", "VmHWM"),
        "heap_bytes": LIVE.load(Ordering::Relaxed).saturating_sub(live_before),
        "peak_heap_bytes": PEAK.load(Ordering::Relaxed).saturating_sub(live_before),
    });
    report
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    println!("{report}");
    drop(kept);
}

fn probe(what: &str, env: &[(&str, &Path)]) -> Value {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.env(PROBE, what);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "probe {what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = String::from_utf8(output.stdout).unwrap();
    serde_json::from_str(line.trim()).unwrap()
}

// ---------------------------------------------------------------------------
// The dataset and the queries.

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// One query set in one order, in the forms the APIs take.
struct Queries {
    recipients: Vec<Recipient>,
    numbers: Vec<u64>,
    texts: Vec<String>,
    c_texts: Vec<CString>,
}

impl Queries {
    fn new(recipients: Vec<Recipient>) -> Queries {
        let texts: Vec<String> = recipients.iter().map(Recipient::to_string).collect();
        Queries {
            numbers: texts.iter().map(|t| t.parse().unwrap()).collect(),
            c_texts: texts
                .iter()
                .map(|t| CString::new(t.as_str()).unwrap())
                .collect(),
            texts,
            recipients,
        }
    }
}

/// `queries` CPR numbers: 90% drawn without replacement from the register
/// (every status, as often as the register has it), 10% valid CPR numbers
/// of people born on a day someone in the register was, but not in it.
fn queries(csv: &Path, count: usize) -> (Queries, Queries, Vec<u64>) {
    let mut keys = Vec::new();
    read_contacts(csv, |k, _| {
        if k >> 32 == RecipientKind::Cpr as u64 {
            keys.push(k as u32);
        }
    });
    let mut rng = SplitMix(2026);
    let hits = (count - count / 10).min(keys.len());
    for i in 0..hits {
        let j = i + rng.below(keys.len() - i);
        keys.swap(i, j);
    }
    let mut chosen: Vec<u32> = keys[..hits].to_vec();
    keys.sort_unstable();
    while chosen.len() < count {
        let near = keys[rng.below(keys.len())];
        let key = near - near % 10_000 + rng.below(10_000) as u32;
        let valid = Recipient::from_key(RecipientKind::Cpr, key).is_some();
        if valid && keys.binary_search(&key).is_err() {
            chosen.push(key);
        }
    }
    for i in (1..chosen.len()).rev() {
        chosen.swap(i, rng.below(i + 1));
    }
    let random: Vec<Recipient> = chosen
        .iter()
        .map(|&k| Recipient::from_key(RecipientKind::Cpr, k).unwrap())
        .collect();
    let mut sorted = random.clone();
    sorted.sort_unstable();
    let random = Queries::new(random);
    let mut by_number = random.numbers.clone();
    by_number.sort_unstable();
    (random, Queries::new(sorted), by_number)
}

struct Fixture {
    _dir: tempfile::TempDir,
    data: SynthSummary,
    index_path: PathBuf,
    index: Index,
    material: String,
    date: Date,
    random: Queries,
    sorted: Queries,
    by_number: Vec<u64>,
    facts: serde_json::Map<String, Value>,
}

fn fixture(config: &Config) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let options = SynthOptions {
        citizens: config.citizens,
        companies: config.companies,
        ..SynthOptions::default()
    };
    let started = Instant::now();
    let data = synth::generate(dir.path(), &options, &mut |_, _| {}).unwrap();
    eprintln!(
        "compare: generated {} citizens, {} companies ({} MB of CSV) in {:.1?}",
        data.citizens,
        data.companies,
        data.contacts_bytes >> 20,
        started.elapsed()
    );
    let index_path = dir.path().join("index.tlm");
    let csv = data.contacts_path.as_path();
    let mut facts = serde_json::Map::new();
    let build = probe(
        "build",
        &[
            ("TILMELDING_BENCH_CATALOG", &data.catalog_path),
            ("TILMELDING_BENCH_CSV", csv),
            ("TILMELDING_BENCH_INDEX", &index_path),
        ],
    );
    facts.insert("build".into(), build);
    // The first process to map the file, then a second one while this
    // process holds it mapped: its pages are then shared, as in production.
    let index_env: [(&str, &Path); 1] = [("TILMELDING_BENCH_INDEX", &index_path)];
    facts.insert("open_first_process".into(), probe("open", &index_env));
    let index = Index::open(&index_path).unwrap();
    facts.insert("open_second_process".into(), probe("open", &index_env));
    for name in [
        "csv_read_only",
        "hashmap_std",
        "hashmap_fx",
        "sorted_vec",
        "fst_map",
        "sqlite",
    ] {
        eprintln!("compare: loading {name} in a child process");
        facts.insert(name.into(), probe(name, &[("TILMELDING_BENCH_CSV", csv)]));
    }

    let date = Date::from_ymd(DATE.0, DATE.1, DATE.2).unwrap();
    let (random, sorted, by_number) = queries(csv, config.queries);
    // A material whose whole decision runs: certificate valid, group active,
    // Digital Post; the first such for a registered recipient.
    let material = index
        .catalog()
        .materials
        .iter()
        .map(|m| m.id.clone())
        .find(|id| {
            random.recipients.iter().take(1000).any(|r| {
                index.lookup(id, r, date)
                    == Ok(Answer {
                        channel: Channel::Digital,
                        reason: Reason::Registered,
                    })
            })
        })
        .expect("a Digital Post material for citizens");
    let mut mix = std::collections::BTreeMap::<String, u64>::new();
    for r in &random.recipients {
        let answer = index.lookup(&material, r, date).unwrap();
        *mix.entry(format!("{}/{}", answer.channel, answer.reason))
            .or_default() += 1;
    }
    facts.insert("answers".into(), json!(mix));
    facts.insert(
        "dataset".into(),
        json!({
            "citizens": data.citizens,
            "companies": data.companies,
            "contacts_csv_bytes": data.contacts_bytes,
            "materials": data.materials,
            "queries": config.queries,
            "material": material,
            "date": date.to_string(),
            "index_file_size": index.metadata().file_size,
            "index_contacts": index.metadata().contacts(),
        }),
    );
    Fixture {
        _dir: dir,
        data,
        index_path,
        index,
        material,
        date,
        random,
        sorted,
        by_number,
        facts,
    }
}

// ---------------------------------------------------------------------------
// Benchmarks.

/// Answers `queries` one per iteration, cycling through them in their order.
fn single<Q, O>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    queries: &[Q],
    mut answer: impl FnMut(&Q) -> O,
) {
    let mut i = 0;
    group.bench_function(name, |b| {
        b.iter(|| {
            let q = &queries[i];
            i = if i + 1 == queries.len() { 0 } else { i + 1 };
            answer(black_box(q))
        })
    });
}

/// Lookups per measured chunk with a cold cache: as many as the C loop of
/// the issue that asked for the cold rows evicted the cache before.
const COLD_CHUNK: usize = 2_000;

/// A caller's plain loop of independent single lookups: each measured
/// iteration answers `chunk` consecutive queries (cycling through them) in
/// one `for` loop, after `evictor` (if any) has emptied the caches.
fn looped<Q, O>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    queries: &[Q],
    chunk: usize,
    evictor: Option<&evict::Evictor>,
    mut answer: impl FnMut(&Q) -> O,
) {
    let mut at = 0;
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                if let Some(evictor) = evictor {
                    evictor.evict();
                }
                let chunk = &queries[at..at + chunk];
                at = if at + 2 * chunk.len() > queries.len() {
                    0
                } else {
                    at + chunk.len()
                };
                let start = Instant::now();
                for q in chunk {
                    black_box(answer(black_box(q)));
                }
                total += start.elapsed();
            }
            total
        })
    });
}

/// Checks that an alternative answers like the std `HashMap`, and that the
/// index finds exactly the recipients the `HashMap` has, so that no row of
/// the comparison measures a structure that answers something else.
fn agree(f: &Fixture, reference: &HashMap<u64, u8>, mut get: impl FnMut(u64) -> Option<u8>) {
    let id = f.index.material(&f.material).unwrap();
    for r in f.random.recipients.iter().take(10_000) {
        let code = reference.get(&wide_key(r)).copied();
        assert_eq!(get(wide_key(r)), code);
        let answer = f.index.lookup_material(id, r, f.date).unwrap();
        let listed = code.is_some_and(|c| c & 0b11 != Status::Unknown as u8);
        assert_eq!(answer.reason != Reason::NotRegistered, listed);
    }
}

/// The alternatives' batch: the same numbers `lookup_batch` takes, checked
/// and packed the same way, then one `get` each.
fn batch_via(numbers: &[u64], out: &mut [u8], get: impl Fn(u64) -> Option<u8>) {
    for (number, slot) in numbers.iter().zip(out) {
        *slot = match Recipient::from_number(RecipientKind::Cpr, *number) {
            Ok(r) => channel_of(get(wide_key(&r))),
            Err(_) => 0,
        };
    }
}

/// A lower bound for any structure larger than the caches: one byte read at
/// a position as random as the key (or in key order, for sorted queries), in
/// a buffer as large as the index file.
struct Floor(Vec<u8>);

impl Floor {
    #[inline]
    fn read(&self, key: u64) -> u8 {
        let at = (u128::from(key) * self.0.len() as u128 / (1u128 << 31)) as usize;
        self.0[at % self.0.len()]
    }
}

fn key_for_floor(r: &Recipient, scramble: bool) -> u64 {
    let key = u64::from(r.key());
    if scramble {
        key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33
    } else {
        key
    }
}

fn compare(c: &mut Criterion, config: &Config) {
    let f = fixture(config);
    let csv = f.data.contacts_path.as_path();
    let (index, date) = (&f.index, f.date);
    let id = index.material(&f.material).unwrap();
    // The same file read into private memory on huge pages (Index::load).
    let loaded = Index::load(&f.index_path).unwrap();
    assert_eq!(loaded.material(&f.material), Some(id));
    for r in &f.random.recipients {
        assert_eq!(
            loaded.lookup_material(id, r, date),
            index.lookup_material(id, r, date)
        );
    }
    let std_map = load_hashmap_std(csv);
    let fx_map = load_hashmap_fx(csv);
    let sorted_vec = SortedVec::load(csv);
    let fst_map = load_fst(csv);
    let db = load_sqlite(csv);
    let floor = Floor(vec![1; f.index.metadata().file_size as usize]);
    agree(&f, &std_map, |k| fx_map.get(&k).copied());
    agree(&f, &std_map, |k| sorted_vec.get(k));
    agree(&f, &std_map, |k| {
        fst_map.get(k.to_be_bytes()).map(|c| c as u8)
    });
    let mut select = db.prepare(SQLITE_SELECT).unwrap();
    agree(&f, &std_map, |k| sqlite_get(&mut select, k));
    drop(select);

    let c_path = CString::new(f.index_path.to_str().unwrap()).unwrap();
    let c_material = CString::new(f.material.as_str()).unwrap();
    let mut handle = std::ptr::null_mut();
    // SAFETY: a NUL-terminated path and a pointer to write the handle to.
    let opened = unsafe { ffi::tlm_index_open(c_path.as_ptr(), &mut handle) };
    assert_eq!(opened, ffi::TLM_OK);
    let c_date = date.yyyymmdd();
    let mut c_material_number = 0;
    // SAFETY: the open handle, a NUL-terminated ID, a pointer to write to.
    let resolved =
        unsafe { ffi::tlm_index_material(handle, c_material.as_ptr(), &mut c_material_number) };
    assert_eq!(resolved, ffi::TLM_OK);
    let no_answer = ffi::tlm_answer {
        result: ffi::TLM_OK,
        channel: 0,
        reason: 0,
        reserved: 0,
    };

    for (order, q) in [("random", &f.random), ("sorted", &f.sorted)] {
        let mut group = c.benchmark_group(format!("compare_single_{order}"));
        group
            .throughput(Throughput::Elements(1))
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        let r = &q.recipients;
        let scramble = order == "random";
        single(&mut group, "tilmelding", r, |r| {
            index.lookup_material(id, r, date)
        });
        single(&mut group, "tilmelding_loaded", r, |r| {
            loaded.lookup_material(id, r, date)
        });
        single(&mut group, "tilmelding_material_by_id", r, |r| {
            index.lookup(&f.material, r, date)
        });
        single(&mut group, "tilmelding_from_number", &q.numbers, |n| {
            let recipient = Recipient::from_number(RecipientKind::Cpr, *n).unwrap();
            index.lookup_material(id, &recipient, date)
        });
        single(&mut group, "tilmelding_from_text", &q.texts, |t| {
            let recipient: Recipient = t.parse().unwrap();
            index.lookup(&f.material, &recipient, date)
        });
        single(&mut group, "c_abi_tlm_lookup", &q.c_texts, |t| {
            let mut out = no_answer;
            // SAFETY: the open handle, NUL-terminated strings, an answer to write.
            let result = unsafe {
                ffi::tlm_index_lookup(handle, c_material.as_ptr(), t.as_ptr(), c_date, &mut out)
            };
            (result, out)
        });
        single(&mut group, "c_abi_tlm_lookup_number", &q.numbers, |n| {
            let mut out = no_answer;
            let kind = ffi::TLM_RECIPIENT_CPR;
            // SAFETY: the open handle and an answer to write.
            let result = unsafe {
                ffi::tlm_index_lookup_number(handle, c_material_number, kind, *n, c_date, &mut out)
            };
            (result, out)
        });
        single(&mut group, "hashmap_std", r, |r| {
            channel_of(std_map.get(&wide_key(r)).copied())
        });
        single(&mut group, "hashmap_fx", r, |r| {
            channel_of(fx_map.get(&wide_key(r)).copied())
        });
        single(&mut group, "sorted_vec", r, |r| {
            channel_of(sorted_vec.get(wide_key(r)))
        });
        single(&mut group, "fst_map", r, |r| {
            channel_of(fst_map.get(wide_key(r).to_be_bytes()).map(|c| c as u8))
        });
        let mut select = db.prepare(SQLITE_SELECT).unwrap();
        single(&mut group, "sqlite", r, |r| {
            channel_of(sqlite_get(&mut select, wide_key(r)))
        });
        single(&mut group, "memory_floor", r, |r| {
            floor.read(key_for_floor(r, scramble))
        });
        group.finish();
    }

    // The same random single lookups as a caller's plain loop: over all the
    // queries (warm: only the lookups themselves evict anything), and in
    // chunks after the caches were emptied (cold, as a server that does
    // other work between letters sees it).
    let evictor = evict::Evictor::new();
    let q = &f.random;
    for (group_name, chunk, evictor) in [
        ("compare_loop_random", q.recipients.len(), None),
        (
            "compare_cold_random",
            COLD_CHUNK.min(q.recipients.len()),
            Some(&evictor),
        ),
    ] {
        let mut group = c.benchmark_group(group_name);
        group
            .throughput(Throughput::Elements(chunk as u64))
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_secs(if evictor.is_some() { 1 } else { 3 }));
        let r = &q.recipients;
        looped(&mut group, "tilmelding", r, chunk, evictor, |r| {
            index.lookup_material(id, r, date)
        });
        looped(&mut group, "tilmelding_loaded", r, chunk, evictor, |r| {
            loaded.lookup_material(id, r, date)
        });
        looped(
            &mut group,
            "tilmelding_from_number",
            &q.numbers,
            chunk,
            evictor,
            |n| {
                let recipient = Recipient::from_number(RecipientKind::Cpr, *n).unwrap();
                index.lookup_material(id, &recipient, date)
            },
        );
        looped(
            &mut group,
            "c_abi_tlm_lookup_number",
            &q.numbers,
            chunk,
            evictor,
            |n| {
                let mut out = no_answer;
                let kind = ffi::TLM_RECIPIENT_CPR;
                // SAFETY: the open handle and an answer to write.
                let result = unsafe {
                    ffi::tlm_index_lookup_number(
                        handle,
                        c_material_number,
                        kind,
                        *n,
                        c_date,
                        &mut out,
                    )
                };
                (result, out)
            },
        );
        looped(&mut group, "hashmap_std", r, chunk, evictor, |r| {
            channel_of(std_map.get(&wide_key(r)).copied())
        });
        looped(&mut group, "hashmap_fx", r, chunk, evictor, |r| {
            channel_of(fx_map.get(&wide_key(r)).copied())
        });
        looped(&mut group, "sorted_vec", r, chunk, evictor, |r| {
            channel_of(sorted_vec.get(wide_key(r)))
        });
        looped(&mut group, "fst_map", r, chunk, evictor, |r| {
            channel_of(fst_map.get(wide_key(r).to_be_bytes()).map(|c| c as u8))
        });
        let mut select = db.prepare(SQLITE_SELECT).unwrap();
        looped(&mut group, "sqlite", r, chunk, evictor, |r| {
            channel_of(sqlite_get(&mut select, wide_key(r)))
        });
        looped(&mut group, "memory_floor", r, chunk, evictor, |r| {
            floor.read(key_for_floor(r, true))
        });
        group.finish();
    }
    drop(evictor);

    let n = f.random.numbers.len();
    let mut answers = vec![Err(LookupError::InvalidRecipient); n];
    let mut c_answers = vec![no_answer; n];
    let mut codes = vec![0u8; n];
    for (order, q) in [("random", &f.random), ("sorted", &f.sorted)] {
        let mut group = c.benchmark_group(format!("compare_batch_{order}"));
        group
            .throughput(Throughput::Elements(n as u64))
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        let numbers = &q.numbers;
        let scramble = order == "random";
        let mut batch = |name: &str, numbers: &[u64], run: &mut dyn FnMut(&[u64])| {
            group.bench_function(name, |b| b.iter(|| run(black_box(numbers))));
        };
        batch("tilmelding", numbers, &mut |numbers| {
            let kind = RecipientKind::Cpr;
            index
                .lookup_batch(&f.material, kind, numbers, date, &mut answers)
                .unwrap();
            black_box(&answers);
        });
        if order == "sorted" {
            batch("tilmelding_number_order", &f.by_number, &mut |numbers| {
                let kind = RecipientKind::Cpr;
                index
                    .lookup_batch(&f.material, kind, numbers, date, &mut answers)
                    .unwrap();
                black_box(&answers);
            });
        }
        batch("c_abi_tlm_lookup_batch", numbers, &mut |numbers| {
            // SAFETY: the open handle, a NUL-terminated ID, `numbers.len()`
            // numbers and as many answers to write.
            let result = unsafe {
                ffi::tlm_index_lookup_batch(
                    handle,
                    c_material.as_ptr(),
                    ffi::TLM_RECIPIENT_CPR,
                    numbers.as_ptr(),
                    numbers.len(),
                    c_date,
                    c_answers.as_mut_ptr(),
                )
            };
            assert_eq!(result, ffi::TLM_OK);
            black_box(&c_answers);
        });
        batch("hashmap_std", numbers, &mut |numbers| {
            batch_via(numbers, &mut codes, |k| std_map.get(&k).copied());
            black_box(&codes);
        });
        batch("hashmap_fx", numbers, &mut |numbers| {
            batch_via(numbers, &mut codes, |k| fx_map.get(&k).copied());
            black_box(&codes);
        });
        batch("sorted_vec", numbers, &mut |numbers| {
            batch_via(numbers, &mut codes, |k| sorted_vec.get(k));
            black_box(&codes);
        });
        batch("fst_map", numbers, &mut |numbers| {
            batch_via(numbers, &mut codes, |k| {
                fst_map.get(k.to_be_bytes()).map(|c| c as u8)
            });
            black_box(&codes);
        });
        batch("memory_floor", numbers, &mut |numbers| {
            batch_via(numbers, &mut codes, |k| {
                Some(floor.read(if scramble {
                    k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33
                } else {
                    k & 0xFFFF_FFFF
                }))
            });
            black_box(&codes);
        });
        group.finish();
    }
    // SAFETY: the handle from tlm_index_open, used by nothing after this.
    unsafe { ffi::tlm_index_close(handle) };
    drop((
        std_map, fx_map, sorted_vec, fst_map, floor, answers, c_answers,
    ));

    let mut group = c.benchmark_group("compare_open");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("tilmelding_open", |b| {
        b.iter_batched(
            || (),
            |()| Index::open(&f.index_path).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("tilmelding_open_then_verify", |b| {
        b.iter_batched(
            || (),
            |()| {
                let index = Index::open(&f.index_path).unwrap();
                index.verify().unwrap();
                index
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("tilmelding_open_verified", |b| {
        b.iter_batched(
            || (),
            |()| Index::open_verified(&f.index_path).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    // Loading from the extract: seconds each at national scale, so ten
    // samples of one load each (criterion warns that it cannot meet its
    // measurement time; that is expected).
    let mut group = c.benchmark_group("compare_load");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    let out = f._dir.path().join("rebuilt.tlm");
    group.bench_function("tilmelding_build", |b| {
        b.iter(|| {
            let options = BuildOptions::default();
            tilmelding::build(&f.data.catalog_path, &[csv], &out, &options, &mut |_| {}).unwrap()
        })
    });
    group.bench_function("csv_read_only", |b| {
        b.iter(|| {
            let mut n = 0u64;
            read_contacts(csv, |_, _| n += 1);
            n
        })
    });
    group.bench_function("hashmap_std", |b| {
        b.iter_with_large_drop(|| load_hashmap_std(csv))
    });
    group.bench_function("hashmap_fx", |b| {
        b.iter_with_large_drop(|| load_hashmap_fx(csv))
    });
    group.bench_function("sorted_vec", |b| {
        b.iter_with_large_drop(|| SortedVec::load(csv))
    });
    group.bench_function("fst_map", |b| b.iter_with_large_drop(|| load_fst(csv)));
    group.bench_function("sqlite", |b| b.iter_with_large_drop(|| load_sqlite(csv)));
    group.finish();

    report(&f, config);
}

/// Prints the one-shot measurements and, under `cargo bench`, saves them
/// next to criterion's for `scripts/chart.py`.
fn report(f: &Fixture, config: &Config) {
    let facts = Value::Object(f.facts.clone());
    if config.full {
        println!(
            "compare: facts {}",
            serde_json::to_string_pretty(&facts).unwrap()
        );
        // Where criterion writes: CRITERION_HOME, or the target directory's `criterion`.
        let dir = std::env::var_os("CRITERION_HOME").map_or_else(
            || {
                let target = std::env::var_os("CARGO_TARGET_DIR");
                target
                    .map_or_else(
                        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
                        PathBuf::from,
                    )
                    .join("criterion")
            },
            PathBuf::from,
        );
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("compare_facts.json"),
            serde_json::to_string_pretty(&facts).unwrap(),
        )
        .unwrap();
    }
}

fn main() {
    if let Ok(what) = std::env::var(PROBE) {
        run_probe(&what);
        return;
    }
    let config = config();
    let mut criterion = Criterion::default().configure_from_args();
    compare(&mut criterion, &config);
    criterion.final_summary();
}
