"""Decide the letters of a polars DataFrame (or LazyFrame) with columns
`material` and `recipient`: `with_answers(letters, index)` adds `channel`,
`reason` and `error` (the CLI's names; `error` set for an unknown material,
an invalid recipient or an audience mismatch).

An expression over whole batches (`map_batches`): `tilmelding.decide`
answers each batch with one `lookup_batch` per material and kind of
recipient.

    python examples/python/polars_decide.py index.tlm letters.parquet [2026-11-22]

prints the letters of the Parquet file with their answers.
"""

import datetime
import sys

import polars as pl

import tilmelding

ANSWER = pl.Struct({"channel": pl.String, "reason": pl.String, "error": pl.String})


def answers(index, date=None):
    """An expression: the answer of each letter (`material`, `recipient`)
    as a struct of channel, reason and error, from `index` (an `Index` or a
    `Reader`) on `date` (None: today in Danish time)."""
    date = date or tilmelding.today()

    def decide(letters):
        decided = tilmelding.decide(
            index,
            letters.struct.field("material").to_numpy(),
            letters.struct.field("recipient").to_numpy(),
            date,
        )
        return pl.DataFrame(
            [pl.Series(name, getattr(decided, name).tolist(), dtype=pl.String) for name in ("channel", "reason", "error")]
        ).to_struct("answer")

    return pl.struct("material", "recipient").map_batches(decide, return_dtype=ANSWER)


def with_answers(letters, index, date=None):
    """`letters` with the columns channel, reason and error."""
    return letters.with_columns(answers(index, date).alias("answer")).unnest("answer")


def main():
    index_path, letters = sys.argv[1:3]
    date = datetime.date.fromisoformat(sys.argv[3]) if len(sys.argv) > 3 else None
    with tilmelding.Index.open(index_path) as index:
        print(with_answers(pl.scan_parquet(letters), index, date).collect())


if __name__ == "__main__":
    main()
