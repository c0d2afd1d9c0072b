"""Decide a mass mailing on Spark: for every letter (material, recipient),
the channel and the reason, on every executor.

The index file is shipped to every executor with SparkContext.addFile; each
Python worker process opens it once (memory-mapped, shared by the workers of
a machine through the page cache) and answers whole Arrow batches with
`Index.lookup_batch`, one call per material and kind of recipient.

    spark-submit examples/spark/mailing.py --index index.tlm \\
        --letters letters.parquet --out decided.parquet [--date 2026-11-22]

Letters: a Parquet dataset with string columns `material` and `recipient`
(CPR `DDMMYYSSSS` or `DDMMYY-SSSS`, CVR `12345678` or `DK12345678`). Output:
the letters with `channel`, `reason` and `error` (the CLI's names; `error`
is null for an answer) and `snapshot_id`, the index the answers came from.
"""

import argparse
import datetime
import os

import numpy as np
import pyarrow as pa

OUTPUT = pa.schema(
    [
        ("material", pa.string()),
        ("recipient", pa.string()),
        ("channel", pa.string()),
        ("reason", pa.string()),
        ("error", pa.string()),
        ("snapshot_id", pa.string()),
    ]
)

# One open index per Python worker process, by file name.
_indexes = {}


def open_index(name):
    """The index shipped as `name`, opened once per worker process."""
    index = _indexes.get(name)
    if index is None:
        import tilmelding
        from pyspark import SparkFiles

        index = tilmelding.Index.open(SparkFiles.get(name))
        _indexes[name] = index
    return index


def decide_batch(index, batch, date):
    """The answers for one Arrow batch of letters, as an Arrow batch."""
    import tilmelding

    materials = batch.column("material").to_numpy(zero_copy_only=False).astype(str)
    recipients = batch.column("recipient").to_numpy(zero_copy_only=False).astype(str)
    n = len(recipients)
    # Digits only: CPR numbers may have a dash, CVR numbers a DK prefix.
    digits = np.char.replace(np.char.replace(np.char.upper(recipients), "DK", ""), "-", "")
    digits = np.char.strip(digits)
    length = np.char.str_len(digits)
    numeric = np.char.isdigit(digits)
    kinds = np.full(n, "", dtype=object)
    kinds[numeric & (length == 10)] = "cpr"
    kinds[numeric & (length == 8)] = "cvr"
    numbers = np.zeros(n, dtype=np.uint64)
    valid = kinds != ""
    numbers[valid] = digits[valid].astype(np.uint64)

    channel = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)
    error = np.full(n, "invalid_recipient", dtype=object)
    channel_names = np.array(tilmelding.CHANNEL_NAMES, dtype=object)
    reason_names = np.array(tilmelding.REASON_NAMES, dtype=object)
    for material in np.unique(materials):
        for kind in ("cpr", "cvr"):
            rows = np.flatnonzero((materials == material) & (kinds == kind))
            if rows.size == 0:
                continue
            try:
                answers = index.lookup_batch(material, kind, numbers[rows], date)
            except tilmelding.Error as failure:
                error[rows] = failure.code
                continue
            ok = answers.result == 0
            channel[rows[ok]] = channel_names[answers.channel[ok]]
            reason[rows[ok]] = reason_names[answers.reason[ok]]
            error[rows[ok]] = None
    snapshot = index.metadata["snapshot_id"]
    return pa.RecordBatch.from_arrays(
        [
            batch.column("material"),
            batch.column("recipient"),
            pa.array(channel, type=pa.string()),
            pa.array(reason, type=pa.string()),
            pa.array(error, type=pa.string()),
            pa.array([snapshot] * n, type=pa.string()),
        ],
        schema=OUTPUT,
    )


def decide(letters, index_path, date):
    """`letters` (a DataFrame of material, recipient) with the answers."""
    spark = letters.sparkSession
    spark.sparkContext.addFile(index_path)
    # The workers unpickle `batches` by reference to this module.
    spark.sparkContext.addPyFile(os.path.abspath(__file__))
    name = os.path.basename(index_path)

    def batches(iterator):
        index = open_index(name)
        for batch in iterator:
            yield decide_batch(index, batch, date)

    ddl = ", ".join(f"{field.name} string" for field in OUTPUT)
    return letters.select("material", "recipient").mapInArrow(batches, ddl)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--letters", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--date", type=datetime.date.fromisoformat, default=None)
    parser.add_argument("--master", default=None, help="e.g. local[2] (default: spark-submit's)")
    args = parser.parse_args()

    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("tilmelding-mailing")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    letters = spark.read.parquet(args.letters)
    decide(letters, os.path.abspath(args.index), args.date).write.mode("overwrite").parquet(args.out)
    spark.stop()


if __name__ == "__main__":
    main()
