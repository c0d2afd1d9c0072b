#!/usr/bin/env python3
"""Chart and table of `cargo bench --bench compare`, from criterion's output.

Reads target/criterion/compare_*/*/new/{estimates,benchmark}.json (the median
point estimates, and the throughput to turn a batch into time per recipient)
and writes an SVG bar chart, log scale, one panel per group; with --table it
also prints the Markdown table of BENCHMARKS.md, with every row's ratio to
this index, and the one-shot measurements from compare_facts.json.

    python3 scripts/chart.py                       # writes doc/benchmarks.svg
    python3 scripts/chart.py --table               # and prints the tables

Python 3.11 standard library only.
"""

import argparse
import json
import math
import sys
from html import escape
from pathlib import Path

# Group, title, unit, baseline (the row every ratio is taken against).
PANELS = [
    ("compare_single_random", "Single lookup, random order", "ns", "tilmelding"),
    ("compare_single_sorted", "Single lookup, sorted order", "ns", "tilmelding"),
    ("compare_loop_random", "Single lookups in a plain loop, random order, warm (per lookup)", "ns", "tilmelding"),
    ("compare_cold_random", "Single lookups in a plain loop, random order, cold: 2,000 after each eviction (per lookup)", "ns", "tilmelding"),
    ("compare_batch_random", "Batch of 1,000,000, random order (per recipient)", "ns", "tilmelding"),
    ("compare_batch_sorted", "Batch of 1,000,000, sorted order (per recipient)", "ns", "tilmelding"),
    ("compare_open", "Open the index (warm page cache)", "ms", "tilmelding_open"),
    ("compare_load", "Build or load from the CSV extract", "ms", "tilmelding_build"),
]

# Row labels, in the order the rows are shown.
LABELS = {
    "tilmelding": "tilmelding (Rust, lookup_material)",
    "tilmelding_open": "Index::open (header, bounds, CRCs)",
    "tilmelding_open_then_verify": "Index::open, then Index::verify",
    "tilmelding_open_verified": "Index::open_verified (open and verify at once)",
    "tilmelding_build": "tilmelding build (CSV -> .tlm)",
    "tilmelding_loaded": "tilmelding (Rust, lookup_material, Index::load: huge pages)",
    "tilmelding_material_by_id": "tilmelding (Rust, lookup by material ID)",
    "tilmelding_from_number": "tilmelding (Rust, check number + lookup_material)",
    "tilmelding_from_text": "tilmelding (Rust, parse text + lookup)",
    "tilmelding_number_order": "tilmelding, sorted as CPR numbers",
    "c_abi_tlm_lookup": "C ABI tlm_lookup (text)",
    "c_abi_tlm_lookup_number": "C ABI tlm_lookup_number (resolved material, number)",
    "c_abi_tlm_lookup_batch": "C ABI tlm_lookup_batch",
    "csv_read_only": "reading the CSV only (ContactReader)",
    "hashmap_std": "std HashMap<u64, u8> (SipHash)",
    "hashmap_fx": "FxHashMap<u64, u8> (rustc-hash)",
    "sorted_vec": "sorted Vec + binary search",
    "fst_map": "fst::Map",
    "sqlite": "SQLite (rusqlite, in memory)",
    "memory_floor": "floor: 1 random byte read, buffer as large as the index",
}


def load(criterion: Path) -> dict[str, list[tuple[str, float]]]:
    """{group: [(function, median in the panel's unit per element)]}, in file order."""
    groups: dict[str, list[tuple[str, float]]] = {}
    for group, _title, unit, _baseline in PANELS:
        rows = []
        for bench in sorted((criterion / group).glob("*/new/benchmark.json")):
            meta = json.loads(bench.read_text())
            estimates = json.loads((bench.parent / "estimates.json").read_text())
            median_ns = estimates["median"]["point_estimate"]
            elements = (meta.get("throughput") or {}).get("Elements") or 1
            value = median_ns / elements
            rows.append((meta["function_id"], value / 1e6 if unit == "ms" else value))
        if rows:
            order = list(LABELS)
            rows.sort(key=lambda r: (order.index(r[0]) if r[0] in order else len(order), r[0]))
            groups[group] = rows
    return groups


def fmt(value: float, unit: str) -> str:
    if value >= 100:
        return f"{value:,.0f} {unit}"
    if value >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


def svg(groups: dict[str, list[tuple[str, float]]]) -> str:
    width, label_w, bar_w, row_h = 960, 300, 500, 20
    out, y = [], 40
    out.append(
        f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">'
        "tilmelding vs. the alternatives (median, log scale; shorter is faster)</text>"
    )
    for group, title, unit, _baseline in PANELS:
        rows = groups.get(group)
        if not rows:
            continue
        values = [v for _, v in rows]
        lo = 10 ** math.floor(math.log10(min(values)))
        hi = 10 ** math.ceil(math.log10(max(values)))
        if hi <= lo:
            hi = lo * 10
        span = math.log10(hi) - math.log10(lo)

        def x_of(v: float) -> float:
            return label_w + bar_w * (math.log10(v) - math.log10(lo)) / span

        y += 18
        out.append(f'<text x="10" y="{y}" font-size="14" font-weight="bold">{escape(title)}</text>')
        y += 8
        top = y
        for name, value in rows:
            mine = name.startswith(("tilmelding", "c_abi"))
            reference = name in ("memory_floor", "csv_read_only")
            colour = "#c8102e" if mine else ("#999999" if reference else "#4a6fa5")
            x1 = x_of(value)
            out.append(
                f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">'
                f"{escape(LABELS.get(name, name))}</text>"
            )
            out.append(
                f'<rect x="{label_w}" y="{y + 3}" width="{max(x1 - label_w, 1):.1f}" '
                f'height="{row_h - 6}" fill="{colour}"/>'
            )
            out.append(f'<text x="{x1 + 4:.1f}" y="{y + 14}" font-size="11">{fmt(value, unit)}</text>')
            y += row_h
        decade = lo
        while decade <= hi * 1.0001:
            x = x_of(decade)
            out.append(
                f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{y}" stroke="#000" '
                'stroke-opacity="0.15"/>'
            )
            out.append(
                f'<text x="{x:.1f}" y="{y + 12}" text-anchor="middle" font-size="10" '
                f'fill="#555">{decade:,g} {unit}</text>'
            )
            decade *= 10
        y += 22
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y + 10}" '
        f'viewBox="0 0 {width} {y + 10}" font-family="sans-serif">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(out) + "\n</svg>\n"
    )


def table(groups: dict[str, list[tuple[str, float]]]) -> str:
    lines = ["| benchmark | implementation | median | ratio to this index |", "|---|---|---:|---:|"]
    for group, title, unit, baseline in PANELS:
        rows = dict(groups.get(group, []))
        base = rows.get(baseline)
        for name, value in groups.get(group, []):
            ratio = f"{value / base:.2f}x" if base else "-"
            if name == baseline:
                ratio = "**1.00x**"
            lines.append(f"| {title} | {LABELS.get(name, name)} | {fmt(value, unit)} | {ratio} |")
    return "\n".join(lines)


def facts_table(facts: dict) -> str:
    mb = 1 << 20
    lines = [
        "| what | time (one run) | resident memory kept | peak resident memory | heap kept | peak heap |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in ["build", "csv_read_only", "hashmap_std", "hashmap_fx", "sorted_vec", "fst_map", "sqlite"]:
        f = facts.get(name)
        if not f:
            continue
        label = LABELS.get("tilmelding_build" if name == "build" else name, name)
        heap = f["heap_bytes"] + f.get("sqlite_memory_used", 0)
        peak_heap = f["peak_heap_bytes"] + f.get("sqlite_memory_highwater", 0)
        # A build or a plain read keeps nothing: only its peak matters.
        keeps = name not in ("build", "csv_read_only")
        rss = f"{f['rss_kb'] / 1024:.1f} MB" if keeps else "-"
        heap_kept = f"{heap / mb:.1f} MB" if keeps else "-"
        lines.append(
            f"| {label} | {f['seconds']:.2f} s | {rss} | {f['peak_rss_kb'] / 1024:.0f} MB "
            f"| {heap_kept} | {peak_heap / mb:.0f} MB |"
        )
    lines += [
        "",
        "| opening process | open | open, then verify | open_verified | private memory (open) "
        "| private memory (after verify) | shared (page cache) | heap kept "
        "| `Index::heap_size` |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label in [
        ("open_first_process", "first process to map the file"),
        ("open_second_process", "another process, file already mapped"),
    ]:
        f = facts.get(name)
        if f:
            lines.append(
                f"| {label} | {f['open_ms']:.1f} ms | {f['open_verify_ms']:.0f} ms "
                f"| {f['open_verified_ms']:.0f} ms "
                f"| {f['private_kb_open'] / 1024:.2f} MB | {f['private_kb_verify'] / 1024:.2f} MB "
                f"| {f['shared_kb_verify'] / 1024:.1f} MB | {f['heap_bytes'] / mb:.2f} MB "
                f"| {f['heap_size'] / mb:.2f} MB |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--criterion", type=Path, default=Path("target/criterion"))
    parser.add_argument("--out", type=Path, default=Path("doc/benchmarks.svg"))
    parser.add_argument("--table", action="store_true", help="print the Markdown tables")
    args = parser.parse_args()
    groups = load(args.criterion)
    if not groups:
        print(f"no compare_* results under {args.criterion}: run `cargo bench --bench compare`",
              file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(svg(groups))
    print(f"wrote {args.out}", file=sys.stderr)
    if args.table:
        print(table(groups))
        facts = args.criterion / "compare_facts.json"
        if facts.exists():
            print()
            print(facts_table(json.loads(facts.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
