"""A DuckDB function that decides letters: after `register(con, index)`,

    SELECT material, recipient, tilmelding_decide(material, recipient).channel
    FROM letters

A vectorized (Arrow) scalar UDF: DuckDB hands it whole chunks of the two
columns and `tilmelding.decide` answers each chunk with one `lookup_batch`
per material and kind of recipient. The result is a
STRUCT(channel, reason, error) of the CLI's names; `error` is set (and the
others null) for an unknown material, an invalid recipient or an audience
mismatch. A NULL material or recipient is an error too, not a NULL.

    python examples/python/duckdb_decide.py index.tlm letters.parquet [2026-11-22]

prints how many letters of the Parquet file (columns material, recipient)
go by each channel.
"""

import datetime
import sys

import duckdb
import pyarrow as pa

import tilmelding

try:
    from duckdb.sqltypes import VARCHAR
except ImportError:  # DuckDB before 1.4
    from duckdb.typing import VARCHAR

ANSWER = pa.struct([("channel", pa.string()), ("reason", pa.string()), ("error", pa.string())])


def register(con, index, date=None, name="tilmelding_decide"):
    """Registers `name(material, recipient)` on the connection `con`,
    answering from `index` (an `Index` or a `Reader`) on `date` (None:
    today in Danish time, fixed when registered)."""
    date = date or tilmelding.today()

    def decide(materials, recipients):
        decided = tilmelding.decide(
            index,
            materials.to_numpy(zero_copy_only=False),
            recipients.to_numpy(zero_copy_only=False),
            date,
        )
        return pa.StructArray.from_arrays(
            [pa.array(decided.channel, pa.string()), pa.array(decided.reason, pa.string()), pa.array(decided.error, pa.string())],
            fields=list(ANSWER),
        )

    answer = con.struct_type({"channel": VARCHAR, "reason": VARCHAR, "error": VARCHAR})
    con.create_function(name, decide, [VARCHAR, VARCHAR], answer, type="arrow", null_handling="special")


def main():
    index_path, letters = sys.argv[1:3]
    date = datetime.date.fromisoformat(sys.argv[3]) if len(sys.argv) > 3 else None
    con = duckdb.connect()
    with tilmelding.Index.open(index_path) as index:
        register(con, index, date)
        rows = con.execute(
            "SELECT coalesce(a.channel, 'error ' || a.error) AS outcome, count(*) AS letters FROM "
            "(SELECT tilmelding_decide(material, recipient) AS a FROM read_parquet(?)) GROUP BY outcome ORDER BY outcome",
            [letters],
        ).fetchall()
    for outcome, count in rows:
        print(f"{outcome}\t{count}")


if __name__ == "__main__":
    main()
