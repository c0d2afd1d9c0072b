"""The Python row of `cargo bench --bench languages`: the same lookups as the
Rust row, through the installed `tilmelding` wheel, timed as a caller
writes them.

    python timing.py INDEX MATERIAL DATE NUMBERS.bin RECIPIENTS.txt

DATE is YYYYMMDD. Prints one JSON object per call (`text`: `Index.lookup`
in a plain loop, `batch`: one `Index.lookup_batch`) with the nanoseconds
per answer of one timed pass and a checksum of the answers of an untimed
pass before it, folded as the C row folds them.
"""

import datetime
import json
import sys
import time

import numpy as np

import tilmelding


def fold(results, channels, reasons):
    """The checksum the C and Rust rows print: the sum of result << 16 |
    channel << 8 | reason over the answers."""
    return int(
        (results.astype(np.uint64) << 16 | channels.astype(np.uint64) << 8 | reasons.astype(np.uint64)).sum()
    )


def measure(index, material, date, numbers, recipients):
    """The rows, as dicts."""
    channel_code = {name: code for code, name in enumerate(tilmelding.CHANNEL_NAMES)}
    reason_code = {name: code for code, name in enumerate(tilmelding.REASON_NAMES)}
    lookup = index.lookup
    answers = [lookup(material, r, date) for r in recipients]
    channels = np.array([channel_code[a.channel] for a in answers], dtype=np.uint8)
    reasons = np.array([reason_code[a.reason] for a in answers], dtype=np.uint8)
    text_sum = fold(np.zeros(len(answers), dtype=np.uint8), channels, reasons)
    start = time.perf_counter_ns()
    for r in recipients:
        lookup(material, r, date)
    text_ns = time.perf_counter_ns() - start

    batch = index.lookup_batch(material, "cpr", numbers, date)
    batch_sum = fold(batch.result, batch.channel, batch.reason)
    start = time.perf_counter_ns()
    index.lookup_batch(material, "cpr", numbers, date)
    batch_ns = time.perf_counter_ns() - start

    n = len(numbers)
    return [
        {"language": "Python", "call": "text", "ns": text_ns / n, "count": n, "checksum": text_sum},
        {"language": "Python", "call": "batch", "ns": batch_ns / n, "count": n, "checksum": batch_sum},
    ]


def main():
    path, material, day, numbers_path, recipients_path = sys.argv[1:]
    date = datetime.datetime.strptime(day, "%Y%m%d").date()
    numbers = np.fromfile(numbers_path, dtype="<u8")
    with open(recipients_path) as f:
        recipients = f.read().split()
    with tilmelding.Index.open(path) as index:
        for row in measure(index, material, date, numbers, recipients):
            print(json.dumps(row))


if __name__ == "__main__":
    main()
