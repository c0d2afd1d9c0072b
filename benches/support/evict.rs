//! A cold cache for the benchmarks: what a server that does other work
//! between lookups sees.

use std::hint::black_box;

/// Bytes to read to empty the caches: twice the largest cache of CPU 0 (at
/// least 64 MiB); `TILMELDING_BENCH_EVICT_MB` overrides.
pub fn evict_bytes() -> usize {
    let llc = last_level_cache().unwrap_or(32 << 20);
    std::env::var("TILMELDING_BENCH_EVICT_MB").map_or((2 * llc).max(64 << 20), |mb| {
        mb.parse::<usize>()
            .expect("TILMELDING_BENCH_EVICT_MB is a number")
            << 20
    })
}

/// Size of the largest cache of CPU 0, from sysfs (`None` elsewhere).
fn last_level_cache() -> Option<usize> {
    (0..8)
        .filter_map(|i| {
            let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{i}");
            let size = std::fs::read_to_string(format!("{dir}/size")).ok()?;
            let size = size.trim();
            let digits = size.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            let n: usize = digits.parse().ok()?;
            Some(match &size[digits.len()..] {
                "K" => n << 10,
                "M" => n << 20,
                "G" => n << 30,
                _ => n,
            })
        })
        .max()
}

/// Takes everything the benchmark holds out of the caches (and the TLB) by
/// reading one word of every line of a buffer of [`evict_bytes`].
#[allow(dead_code)]
pub struct Evictor(Vec<u64>);

#[allow(dead_code)]
impl Evictor {
    pub fn new() -> Evictor {
        Evictor((0..evict_bytes() as u64 / 8).collect())
    }

    pub fn evict(&self) {
        let sum = (self.0.iter().step_by(8)).fold(0u64, |sum, &w| sum.wrapping_add(w));
        black_box(sum);
    }
}
