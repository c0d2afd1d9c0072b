"""Decide a mass mailing on Spark: for every letter (material, recipient),
the channel and the reason, on every executor.

The index file is shipped to every executor with SparkContext.addFile; each
Python worker process opens it once (memory-mapped, shared by the workers of
a machine through the page cache) and answers whole Arrow batches with
`tilmelding.decide`: one `Index.lookup_batch` per material and kind of
recipient.

    spark-submit examples/spark/mailing.py --index index.tlm \\
        --letters letters.parquet --out decided.parquet [--date 2026-11-22]

Letters: a Parquet dataset with string columns `material` and `recipient`
(CPR `DDMMYYSSSS` or `DDMMYY-SSSS`, CVR `12345678` or `DK12345678`, as
`tilmelding lookup` reads them). Output:
the letters with `channel`, `reason` and `error` (the CLI's names; `error`
is null for an answer) and `snapshot_id`, the index the answers came from.
"""

import argparse
import datetime
import os

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
    """The answers for one Arrow batch of letters, as an Arrow batch:
    `tilmelding.decide` groups the letters by material and kind of
    recipient and answers each group with one `lookup_batch`."""
    import tilmelding

    decided = tilmelding.decide(
        index,
        batch.column("material").to_numpy(zero_copy_only=False),
        batch.column("recipient").to_numpy(zero_copy_only=False),
        date,
    )
    return pa.RecordBatch.from_arrays(
        [
            batch.column("material"),
            batch.column("recipient"),
            pa.array(decided.channel, type=pa.string()),
            pa.array(decided.reason, type=pa.string()),
            pa.array(decided.error, type=pa.string()),
            pa.array([decided.snapshot_id] * batch.num_rows, type=pa.string()),
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
    if date is None:
        # Resolved once, on the driver: one date for the whole mailing.
        import tilmelding

        date = tilmelding.today()

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
