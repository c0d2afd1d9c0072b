"""`tilmelding.decide` (a mailing of mixed materials and recipient texts)
against single lookups, and the DuckDB and polars examples
(examples/python/) against `decide`."""

import datetime
import os
import pathlib
import random
import subprocess
import sys

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tilmelding

ROOT = pathlib.Path(os.environ["TILMELDING_ROOT"])
DATA = pathlib.Path(os.environ["TILMELDING_DATA"])
FIXTURE = DATA / "fixture.tlm"
NEXT = DATA / "next.tlm"
GENERATED = DATA / "generated.tlm"
DAY = datetime.date(2026, 11, 22)

sys.path.insert(0, str(ROOT / "examples/python"))
import duckdb_decide  # noqa: E402
import polars_decide  # noqa: E402
from test_tilmelding import lookups  # noqa: E402


def single(index, material, recipient, day):
    """(channel, reason, error) of one `lookup`; a null is an empty text."""
    try:
        answer = index.lookup(material or "", recipient or "", day)
    except tilmelding.Error as error:
        return (None, None, error.code)
    return (answer.channel, answer.reason, None)


def table_rows():
    """The rows of tests/data/lookups.tsv without their expected answers."""
    return [(material, recipient, day) for material, recipient, day, _ in lookups()]


def mailing(count, seed):
    """Letters of the generated register: its materials (and unknown ones),
    its contacts in every spelling the parser takes and some it does not,
    strangers, numbers that are no CPR number, and nulls."""
    rng = random.Random(seed)
    ids = [line.split(";")[0] for line in (DATA / "generated/contacts.csv").read_text().splitlines()[1:]]
    index = tilmelding.Index.open(GENERATED)
    materials = [m for m in _catalog_ids() if m.isdigit()]
    materials = rng.sample(materials, 40) + ["no-such-material", ""]
    spellings = [
        lambda d: d,
        lambda d: f" {d}\t",
        lambda d: f"{d[:6]}-{d[6:]}" if len(d) == 10 else f"DK{d}",
        lambda d: f"dk {d}" if len(d) == 8 else f"{d[:4]}-{d[4:]}",
        lambda d: f"Dk{d}" if len(d) == 8 else f"{d[:6]}--{d[6:]}",
    ]
    letters = []
    for _ in range(count):
        material = rng.choice(materials)
        r = rng.random()
        if r < 0.8:
            digits = "".join(c for c in rng.choice(ids) if c.isdigit())
            recipient = rng.choice(spellings)(digits)
        elif r < 0.95:
            recipient = f"{rng.randint(1, 31):02d}{rng.randint(1, 13):02d}{rng.randint(0, 99):02d}{rng.randint(0, 9999):04d}"
        elif r < 0.98:
            recipient = rng.choice(["", "x", "DK", "123", "12345678901"])
        else:
            recipient = None
        if rng.random() < 0.01:
            material = None
        letters.append((material, recipient))
    index.close()
    return letters


def _catalog_ids():
    return [
        line.split('"')[1]
        for line in (DATA / "generated/catalog.toml").read_text().splitlines()
        if line.startswith("id = ")
    ]


def test_decide_answers_every_row_of_the_table_as_lookup_does():
    with tilmelding.Index.open(FIXTURE) as index:
        for day in sorted({day for _, _, day in table_rows()}):
            rows = [(m, r) for m, r, d in table_rows() if d == day]
            decided = tilmelding.decide(index, [m for m, _ in rows], [r for _, r in rows], day)
            for i, (material, recipient) in enumerate(rows):
                got = (decided.channel[i], decided.reason[i], decided.error[i])
                assert got == single(index, material, recipient, day), (material, day)


def test_decide_agrees_with_single_lookups_on_a_mixed_mailing():
    letters = mailing(30_000, seed=5)
    materials = np.array([m for m, _ in letters], dtype=object)
    recipients = np.array([r for _, r in letters], dtype=object)
    with tilmelding.Index.open(GENERATED) as index:
        decided = tilmelding.decide(index, materials, recipients, DAY)
        assert decided.snapshot_id == index.metadata["snapshot_id"]
        outcomes = set()
        for i, (material, recipient) in enumerate(letters):
            got = (decided.channel[i], decided.reason[i], decided.error[i])
            expected = single(index, material, recipient, DAY)
            assert got == expected, (i, material)
            outcomes.add(expected[1] or expected[2])
    # The mailing reaches every kind of outcome.
    assert {"registered", "exempt", "closed", "not_registered", "invalid_recipient", "unknown_material", "audience_mismatch"} <= outcomes
    # The caller's arrays are not changed.
    assert [m for m, _ in letters] == list(materials)


def test_decide_inputs_and_failures():
    with tilmelding.Index.open(FIXTURE) as index:
        empty = tilmelding.decide(index, [], [], DAY)
        assert len(empty.channel) == 0 and empty.channel.dtype == object
        # Lists, numpy str arrays and tuples alike; today when no date is given.
        as_list = tilmelding.decide(index, ["100"], ["0101901234"])
        as_numpy = tilmelding.decide(index, np.array(["100"]), np.array(["0101901234"]), tilmelding.today())
        assert list(as_list.channel) == list(as_numpy.channel) == ["digital"]
        with pytest.raises(ValueError, match="2 materials for 1 recipients"):
            tilmelding.decide(index, ["100", "100"], ["0101901234"], DAY)
        with pytest.raises(TypeError, match="a recipient is a str, not int"):
            tilmelding.decide(index, ["100"], [101901234], DAY)
    with tilmelding.Index.open(NEXT) as stale:
        stale.set_max_age(3600)
        with pytest.raises(tilmelding.StaleIndex):
            tilmelding.decide(stale, ["100"], ["0101901234"], DAY)
    reader = tilmelding.Reader.open(FIXTURE)
    decided = tilmelding.decide(reader, ["100", "200"], ["0101901234", "12345674"], DAY)
    assert decided.snapshot_id == reader.current().metadata["snapshot_id"]
    assert list(decided.reason) == ["registered", None]
    assert list(decided.error) == [None, "audience_mismatch"]


def test_parse_recipients_parses_as_lookup_does():
    kind, number = tilmelding.parse_recipients(
        ["0101901234", "010190-1234", " DK12345674 ", "dk 12345674", "Dk12345674", "0101-901234", "3213901234", None, ""]
    )
    assert list(kind) == [1, 1, 2, 2, 0, 0, 0, 0, 0]
    assert list(number) == [101901234, 101901234, 12345674, 12345674, 0, 0, 0, 0, 0]
    assert kind.dtype == np.uint8 and number.dtype == np.uint64


def letters_table(letters):
    return pa.table(
        {
            "i": pa.array(range(len(letters)), pa.int64()),
            "material": pa.array([m for m, _ in letters], pa.string()),
            "recipient": pa.array([r for _, r in letters], pa.string()),
        }
    )


def test_the_duckdb_function_answers_as_decide():
    letters = mailing(20_000, seed=6)
    con = duckdb.connect()
    with tilmelding.Index.open(GENERATED) as index:
        duckdb_decide.register(con, index, DAY)
        letters_arrow = letters_table(letters)  # noqa: F841 (read by DuckDB by name)
        rows = con.execute(
            "SELECT a.channel, a.reason, a.error FROM "
            "(SELECT i, tilmelding_decide(material, recipient) AS a FROM letters_arrow) ORDER BY i"
        ).fetchall()
        decided = tilmelding.decide(index, [m for m, _ in letters], [r for _, r in letters], DAY)
    assert rows == list(zip(decided.channel, decided.reason, decided.error))


def test_the_polars_expression_answers_as_decide():
    letters = mailing(20_000, seed=8)
    frame = pl.from_arrow(letters_table(letters)).drop("i")
    with tilmelding.Index.open(GENERATED) as index:
        eager = polars_decide.with_answers(frame, index, DAY)
        lazy = polars_decide.with_answers(frame.lazy(), index, DAY).collect()
        decided = tilmelding.decide(index, [m for m, _ in letters], [r for _, r in letters], DAY)
    assert eager.columns == ["material", "recipient", "channel", "reason", "error"]
    assert eager.equals(lazy)
    assert eager["channel"].to_list() == list(decided.channel)
    assert eager["reason"].to_list() == list(decided.reason)
    assert eager["error"].to_list() == list(decided.error)


def test_the_examples_run_as_scripts(tmp_path):
    letters = tmp_path / "letters.parquet"
    pq.write_table(letters_table([("100", "0101901234"), ("100", "x"), ("no", "0101901234"), (None, None)]).drop(["i"]), letters)
    run = lambda script: subprocess.run(  # noqa: E731
        [sys.executable, str(ROOT / "examples/python" / script), str(FIXTURE), str(letters), DAY.isoformat()],
        capture_output=True, text=True, check=True,
    ).stdout
    assert run("duckdb_decide.py").splitlines() == ["digital\t1", "error invalid_recipient\t1", "error unknown_material\t2"]
    table = run("polars_decide.py")
    assert "registered" in table and "invalid_recipient" in table and "shape: (4, 5)" in table
