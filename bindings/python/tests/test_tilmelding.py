"""The installed `tilmelding` package against the test data: every row of
tests/data/lookups.tsv, every error, batches against single lookups, a
Reader following a replaced file under threads, and fork. run-tests.sh
builds the wheel and installs it; the indexes these tests read are in
$TILMELDING_DATA."""

import datetime
import multiprocessing
import os
import pathlib
import shutil
import subprocess
import threading

import numpy as np
import pytest

import tilmelding

ROOT = pathlib.Path(os.environ["TILMELDING_ROOT"])
DATA = pathlib.Path(os.environ["TILMELDING_DATA"])
CLI = os.environ.get("TILMELDING_CLI")
FIXTURE = DATA / "fixture.tlm"
# 0101901234 closed, the list as of 2001.
NEXT = DATA / "next.tlm"
GENERATED = DATA / "generated.tlm"
DAY = datetime.date(2026, 11, 22)
# The CPR numbers the tests use, which no message may show.
CPRS = ["0101901234", "3213901234", "1103851234", "0202902345"]


def lookups():
    rows = []
    for line in (ROOT / "tests/data/lookups.tsv").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        material, recipient, day, expected = line.split("\t")
        rows.append((material, recipient, datetime.date.fromisoformat(day), expected))
    return rows


def text(index, material, recipient, day):
    """`channel reason`, or `error code`, as the table and the CLI write it."""
    try:
        answer = index.lookup(material, recipient, day)
    except tilmelding.Error as error:
        return f"error {error.code}"
    return f"{answer.channel} {answer.reason}"


def assert_no_cpr(message):
    for cpr in CPRS:
        assert cpr not in message and f"{cpr[:6]}-{cpr[6:]}" not in message, message


def test_the_installed_package_is_tested():
    assert "site-packages" in tilmelding.__file__, tilmelding.__file__
    assert tilmelding.__version__
    assert (pathlib.Path(tilmelding.__file__).parent / "py.typed").exists()


@pytest.mark.parametrize("material,recipient,day,expected", lookups())
def test_every_row_of_the_table(material, recipient, day, expected):
    with tilmelding.Index.open(FIXTURE) as index:
        assert text(index, material, recipient, day) == expected


@pytest.mark.skipif(CLI is None, reason="run by run-tests.sh alone, which builds the CLI")
def test_the_cli_agrees_on_today():
    index = tilmelding.Index.open(str(FIXTURE))
    out = subprocess.run(
        [CLI, "lookup", str(FIXTURE), "--material", "100", "0101901234", "12345674"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    assert [text(index, "100", "0101901234", None), text(index, "100", "12345674", None)] == [
        f"{out[1]} {out[2]}", f"{out[4]} {out[5]}"
    ]


def test_errors_are_classes_with_codes_and_masked_messages():
    index = tilmelding.Index.open(FIXTURE)
    cases = [
        (lambda: index.lookup("nope", "0101901234", DAY), tilmelding.UnknownMaterial, "unknown_material"),
        (lambda: index.lookup("100", "3213901234", DAY), tilmelding.InvalidRecipient, "invalid_recipient"),
        (lambda: index.lookup("200", "12345674", DAY), tilmelding.AudienceMismatch, "audience_mismatch"),
        (lambda: index.lookup_batch("nope", "cpr", [101901234], DAY), tilmelding.UnknownMaterial, "unknown_material"),
        (lambda: index.lookup_batch("200", "cvr", [12345674], DAY), tilmelding.AudienceMismatch, "audience_mismatch"),
    ]
    for call, kind, code in cases:
        with pytest.raises(kind) as caught:
            call()
        assert isinstance(caught.value, tilmelding.Error)
        assert caught.value.code == code
        assert_no_cpr(str(caught.value))
    index.set_max_age(3600)
    with pytest.raises(tilmelding.StaleIndex) as caught:
        index.lookup("100", "0101901234", DAY)
    assert caught.value.code == "stale_index"
    index.set_max_age(None)
    assert text(index, "100", "0101901234", DAY) == "digital registered"
    with pytest.raises(ValueError):
        index.lookup_batch("100", "ssn", [1])
    with pytest.raises(TypeError):
        index.lookup("100", "0101901234", "2026-11-22")


def test_open_failures(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        tilmelding.Index.open(tmp_path / "missing.tlm")
    assert "missing.tlm" in str(caught.value)
    assert isinstance(caught.value, OSError)
    bad = tmp_path / "bad.tlm"
    data = bytearray(FIXTURE.read_bytes())
    data[-1] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(tilmelding.CorruptIndex) as caught:
        tilmelding.Index.open(bad)
    assert caught.value.code == "corrupt_index"
    assert "bad.tlm" in str(caught.value)


def test_full_verification():
    with tilmelding.Index.open(FIXTURE, verify=True) as index:
        index.verify()
    # Changed and resealed (tests/python.rs): opens, fails verification.
    resealed = DATA / "resealed.tlm"
    with tilmelding.Index.open(resealed) as index:
        with pytest.raises(tilmelding.CorruptIndex) as caught:
            index.verify()
        assert caught.value.code == "corrupt_index"
        assert str(caught.value).startswith("verification failed: ")
        assert "snapshot" in str(caught.value)
    with pytest.raises(tilmelding.CorruptIndex) as caught:
        tilmelding.Index.open(resealed, verify=True)
    assert "resealed.tlm" in str(caught.value) and "snapshot" in str(caught.value)
    with pytest.raises(TypeError):
        tilmelding.Index.open(FIXTURE, True)


def test_a_loaded_index_answers_without_its_file(tmp_path):
    copy = tmp_path / "to-load.tlm"
    shutil.copyfile(FIXTURE, copy)
    mapped = tilmelding.Index.open(FIXTURE)
    with tilmelding.Index.load(copy) as loaded:
        copy.unlink()
        assert loaded.metadata["snapshot_id"] == mapped.metadata["snapshot_id"]
        for recipient in CPRS:
            assert text(loaded, "100", recipient, DAY) == text(mapped, "100", recipient, DAY)
        numbers = [101901234, 202902345, 3213901234]
        batches = [index.lookup_batch("100", "cpr", numbers, DAY) for index in (loaded, mapped)]
        for field in ("channel", "reason", "result"):
            assert [getattr(batch, field).tolist() for batch in batches] == [
                getattr(batches[1], field).tolist()
            ] * 2
    with pytest.raises(FileNotFoundError) as caught:
        tilmelding.Index.load(copy)
    assert "to-load.tlm" in str(caught.value)


def test_metadata_close_and_names():
    index = tilmelding.Index.open(FIXTURE)
    m = index.metadata
    assert len(m["snapshot_id"]) == 64
    assert m["as_of"] == datetime.datetime(2026, 11, 22, 5, tzinfo=datetime.timezone.utc)
    assert m["counts"]["cpr"] == 7 and m["counts"]["cvr"] == 2
    assert m["format_version"].startswith("3.")
    assert tilmelding.CHANNEL_NAMES == ["none", "digital", "nemsms", "physical"]
    assert tilmelding.REASON_NAMES[0] == "none" and "no_nemsms" in tilmelding.REASON_NAMES
    with index:
        pass
    with pytest.raises(ValueError):
        index.lookup("100", "0101901234", DAY)
    assert "closed" in repr(index)


def generated_numbers():
    numbers = []
    lines = (DATA / "generated/contacts.csv").read_text().splitlines()[1:]
    for line in lines:
        digits = "".join(c for c in line.split(";")[0] if c.isdigit())
        if len(digits) == 10:
            numbers.append(int(digits))
    # Strangers, and numbers that are no CPR number.
    return numbers[:3000] + [101700000 + n for n in range(200)] + [0, 3213901234, 9999999999]


def test_batch_agrees_with_single_lookups():
    index = tilmelding.Index.open(GENERATED)
    materials = [
        line.split('"')[1]
        for line in (DATA / "generated/catalog.toml").read_text().splitlines()
        if line.startswith("id = ") and line.split('"')[1].isdigit()
    ][:12]
    numbers = np.array(generated_numbers(), dtype=np.uint64)
    checked = 0
    for material in materials:
        try:
            batch = index.lookup_batch(material, "cpr", numbers, DAY)
        except tilmelding.AudienceMismatch:
            continue
        assert len(batch) == len(numbers)
        assert batch.channel.dtype == np.uint8 and batch.result.dtype == np.uint8
        for i, number in enumerate(numbers.tolist()):
            single = text(index, material, f"{number:010d}", DAY)
            if batch.result[i]:
                assert batch.result[i] == 7 and single == "error invalid_recipient", (material, i)
            else:
                names = f"{tilmelding.CHANNEL_NAMES[batch.channel[i]]} {tilmelding.REASON_NAMES[batch.reason[i]]}"
                assert names == single, (material, number)
            checked += 1
        # Any integer sequence, and a non-contiguous array, give the same.
        again = index.lookup_batch(material, "cpr", numbers.tolist(), DAY)
        assert np.array_equal(again.reason, batch.reason)
        strided = index.lookup_batch(material, "cpr", np.repeat(numbers, 2)[::2], DAY)
        assert np.array_equal(strided.reason, batch.reason)
    assert checked > 6000


def test_threads_share_an_index():
    index = tilmelding.Index.open(GENERATED)
    numbers = np.array(generated_numbers(), dtype=np.uint64)
    catalog = (DATA / "generated/catalog.toml").read_text().splitlines()
    materials = [l.split('"')[1] for l in catalog if l.startswith("id = ") and l.split('"')[1].isdigit()]
    for material in materials:
        try:
            expected = index.lookup_batch(material, "cpr", numbers, DAY).reason
            break
        except tilmelding.Error:
            continue
    results = []

    def work():
        for _ in range(20):
            results.append(np.array_equal(index.lookup_batch(material, "cpr", numbers, DAY).reason, expected))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results and all(results)


def _child_lookup(args):
    path, recipient = args
    return text(_FORKED_INDEX, "100", recipient, DAY)


_FORKED_INDEX = None


def test_fork_after_open():
    global _FORKED_INDEX
    _FORKED_INDEX = tilmelding.Index.open(FIXTURE)
    recipients = ["0101901234", "0202902345", "12345674", "0303903456"]
    expected = [text(_FORKED_INDEX, "100", r, DAY) for r in recipients]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        got = pool.map(_child_lookup, [(FIXTURE, r) for r in recipients])
    assert got == expected


def test_a_reader_follows_a_replaced_file_under_threads(tmp_path):
    live = tmp_path / "live.tlm"
    shutil.copy(FIXTURE, live)
    reader = tilmelding.Reader.open(live)
    assert text(reader, "100", "0101901234", DAY) == "digital registered"
    stop = threading.Event()
    seen = set()

    def work():
        while not stop.is_set():
            seen.add(text(reader, "100", "0101901234", DAY))
            reader.lookup_batch("100", "cpr", [101901234], DAY)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    assert reader.refresh() is False
    # Replaced as `tilmelding build` does it: a new file renamed over the path.
    shutil.copy(NEXT, tmp_path / "next.tlm")
    os.rename(tmp_path / "next.tlm", live)
    assert reader.refresh() is True
    stop.set()
    for t in threads:
        t.join()
    assert seen <= {"digital registered", "physical closed"}
    assert text(reader, "100", "0101901234", DAY) == "physical closed"
    assert text(reader.current(), "100", "0101901234", DAY) == "physical closed"
    # A broken file renamed over the path: the refresh fails and the index stays.
    broken = tmp_path / "broken.tlm"
    broken.write_bytes(b"not an index")
    os.rename(broken, live)
    with pytest.raises(tilmelding.CorruptIndex):
        reader.refresh()
    assert text(reader, "100", "0101901234", DAY) == "physical closed"
    reader.refresh_every(0.05)
    import time

    deadline = time.time() + 5
    while reader.refresh_error is None and time.time() < deadline:
        time.sleep(0.05)
    assert reader.refresh_error and "live.tlm" in reader.refresh_error
    reader.refresh_every(None)


def test_the_benchmark_timer_answers_as_lookup():
    """benches/languages/timing.py (the Python row of `cargo bench --bench
    languages`) folds the same answers as single lookups do."""
    import sys

    sys.path.insert(0, str(ROOT / "benches/languages"))
    import timing

    numbers = np.array(generated_numbers()[:2000], dtype=np.uint64)
    texts = [f"{n:010d}" for n in numbers]
    kind, _ = tilmelding.parse_recipients(texts)
    numbers, texts = numbers[kind == 1], [t for t, k in zip(texts, kind) if k == 1]
    index = tilmelding.Index.open(GENERATED)
    for material in (line.split('"')[1] for line in (DATA / "generated/catalog.toml").read_text().splitlines() if line.startswith("id = ")):
        try:
            index.lookup(material, texts[0], DAY)
            break
        except tilmelding.Error:
            continue
    expected = 0
    for text in texts:
        answer = index.lookup(material, text, DAY)
        expected += tilmelding.CHANNEL_NAMES.index(answer.channel) << 8 | tilmelding.REASON_NAMES.index(answer.reason)
    rows = timing.measure(index, material, DAY, numbers, texts)
    assert [(r["call"], r["checksum"], r["count"]) for r in rows] == [("text", expected, len(texts)), ("batch", expected, len(texts))]
    assert all(r["ns"] > 0 for r in rows)
