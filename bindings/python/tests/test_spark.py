"""examples/spark/mailing.py in Spark local[2] over 1,000,000 generated
letters: every letter answered, and a sample checked against single
lookups and, when run-tests.sh is given the CLI, against `tilmelding lookup`."""

import collections
import datetime
import json
import os
import pathlib
import random
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tilmelding

ROOT = pathlib.Path(os.environ["TILMELDING_ROOT"])
DATA = pathlib.Path(os.environ["TILMELDING_DATA"])
CLI = os.environ.get("TILMELDING_CLI")
INDEX = DATA / "generated.tlm"
DAY = datetime.date(2026, 11, 22)
LETTERS = 1_000_000

sys.path.insert(0, str(ROOT / "examples/spark"))
sys.path.insert(0, str(ROOT / "benches/spark"))
import compare  # noqa: E402
import mailing  # noqa: E402


def letters(path):
    """1,000,000 letters: contacts of the register in every spelling, one in
    ten recipients unknown to it, a few invalid, over twenty materials."""
    rng = random.Random(7)
    ids = [l.split(";")[0] for l in (DATA / "generated/contacts.csv").read_text().splitlines()[1:]]
    materials = [
        l.split('"')[1]
        for l in (DATA / "generated/catalog.toml").read_text().splitlines()
        if l.startswith("id = ") and l.split('"')[1].isdigit()
    ][:20] + ["no-such-material"]
    recipients = []
    for i in range(LETTERS):
        r = rng.random()
        if r < 0.9:
            recipients.append(rng.choice(ids))
        elif r < 0.999:
            recipients.append(f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(0, 99):02d}{rng.randint(0, 9999):04d}")
        else:
            recipients.append("not a number")
    table = pa.table({
        "material": [materials[i % len(materials)] for i in range(LETTERS)],
        "recipient": recipients,
    })
    pq.write_table(table, path)


def test_a_mailing_on_spark(tmp_path):
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    source = tmp_path / "letters.parquet"
    letters(source)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("tilmelding-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    try:
        out = tmp_path / "decided.parquet"
        frame = spark.read.parquet(str(source))
        mailing.decide(frame, str(INDEX), DAY).write.mode("overwrite").parquet(str(out))

        # The benchmark's baseline (broadcast joins and the decision table
        # as SQL) answers every letter as the library does.
        pq.write_table(compare.contacts_table(DATA / "generated/contacts.csv"), tmp_path / "contacts.parquet")
        pq.write_table(compare.materials_table(DATA / "generated/catalog.toml"), tmp_path / "materials.parquet")
        joined = tmp_path / "joined.parquet"
        compare.decide_with_join(
            spark,
            frame,
            spark.read.parquet(str(tmp_path / "contacts.parquet")),
            spark.read.parquet(str(tmp_path / "materials.parquet")),
            DAY,
        ).write.mode("overwrite").parquet(str(joined))
    finally:
        spark.stop()
    assert compare.differences(out, joined) == 0

    decided = pq.read_table(out).to_pandas()
    assert len(decided) == LETTERS
    index = tilmelding.Index.open(INDEX)
    assert set(decided["snapshot_id"]) == {index.metadata["snapshot_id"]}
    answered = decided["error"].isna()
    assert answered.sum() > 0.5 * LETTERS
    assert set(decided.loc[~answered, "error"]) <= {"invalid_recipient", "unknown_material", "audience_mismatch"}
    # The decision table's order: an unknown material before an invalid recipient.
    invalid = decided[decided["recipient"] == "not a number"]
    unknown = invalid["material"] == "no-such-material"
    assert (invalid.loc[~unknown, "error"] == "invalid_recipient").all() and (~unknown).any()
    assert (invalid.loc[unknown, "error"] == "unknown_material").all() and unknown.any()

    sample = decided.sample(2000, random_state=1)
    for row in sample.itertuples():
        try:
            answer = index.lookup(row.material, row.recipient, DAY)
            expected = (answer.channel, answer.reason, None)
        except tilmelding.Error as error:
            expected = (None, None, error.code)
        assert (row.channel, row.reason, row.error) == expected, row

    if CLI:
        by_material = collections.defaultdict(list)
        for row in sample.itertuples():
            by_material[row.material].append(row)
        for material, rows in by_material.items():
            out = subprocess.run(
                [CLI, "lookup", str(INDEX), "--material", material, "--date", DAY.isoformat(), "--json", "--batch", "-"],
                input="\n".join(r.recipient for r in rows) + "\n", capture_output=True, text=True, check=True,
            ).stdout.splitlines()
            for row, line in zip(rows, out, strict=True):
                cli = json.loads(line)
                assert (row.channel, row.reason, row.error) == (cli.get("channel"), cli.get("reason"), cli.get("error")), (row, cli)
