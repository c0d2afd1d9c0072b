//! Lookup speed on a generated dataset (a tenth of national scale, so that
//! `cargo test --benches` stays quick): single lookups in random and sorted
//! order, and batches.

#[path = "support/generated.rs"]
mod generated;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tilmelding::{Date, Index, LookupError, Recipient, RecipientKind};

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    index: Index,
    material: String,
    cpr: Vec<u64>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (data, path, index) = generated::index(dir.path(), 590_000, 80_000);
    let material = index
        .catalog()
        .materials
        .iter()
        .find(|m| m.group(tilmelding::Audience::Private).is_some())
        .unwrap()
        .id
        .clone();
    Fixture {
        _dir: dir,
        path,
        index,
        material,
        cpr: data.sample_cpr,
    }
}

fn lookups(c: &mut Criterion) {
    let f = fixture();
    let date = Date::from_ymd(2026, 6, 1).unwrap();
    let recipients: Vec<Recipient> = f
        .cpr
        .iter()
        .map(|&n| Recipient::from_number(RecipientKind::Cpr, n).unwrap())
        .collect();
    let mut sorted = recipients.clone();
    sorted.sort();

    let mut group = c.benchmark_group("lookup");
    group.throughput(Throughput::Elements(1));
    for (name, order) in [("random", &recipients), ("sorted", &sorted)] {
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % order.len();
                black_box(f.index.lookup(&f.material, &order[i], date))
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("lookup_batch");
    group.throughput(Throughput::Elements(f.cpr.len() as u64));
    let mut out = vec![Err(LookupError::InvalidRecipient); f.cpr.len()];
    group.bench_function("random", |b| {
        b.iter(|| {
            f.index
                .lookup_batch(&f.material, RecipientKind::Cpr, &f.cpr, date, &mut out)
                .unwrap();
            black_box(&out);
        })
    });
    group.finish();

    c.bench_function("open", |b| {
        b.iter_batched(
            || f.index.metadata().file_size,
            |_| black_box(Index::open(&f.path).unwrap()),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, lookups);
criterion_main!(benches);
