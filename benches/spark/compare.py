"""The same mailing decided on Spark two ways, side by side in one run:

- `library`: examples/spark/mailing.py, the index shipped to the executors
  and answered per Arrow batch with `Index.lookup_batch`;
- `join`: the way a data engineer writes it without the library: the
  contact list (Parquet, from the CSV extract) and the materials as
  DataFrames, both broadcast-joined to the letters, the decision table as a
  SQL `CASE` (`decide_with_join`, every step of doc/decision.md).

    python benches/spark/compare.py --catalog catalog.toml \\
        --contacts contacts.csv --index index.tlm --letters 5000000 \\
        --work /tmp/spark-compare [--rounds 3] [--memory 8g]

Each round runs each job in a fresh `local[2]` Spark process (driver and
executor in one JVM, Python workers beside it), alternating, and samples
the memory of that process tree (JVM + Python driver and workers, as
proportional set size) every 50 ms. Prints the median time of the job
(from reading the letters to the written Parquet), the letters per second,
the peak memory, and how many letters the two answered differently. Needs the venv of
bindings/python/run-tests.sh (the wheel, PySpark, pyarrow) and a JDK 17.
"""

import argparse
import datetime
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time
import tomllib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DAY = datetime.date(2026, 11, 22)

# The decision table (doc/decision.md) as SQL over the letters joined with
# the materials and the contact list; the outcome is "channel reason" or
# "! error".
DECISION = """
WITH normalized AS (
  SELECT material, recipient, trim(replace(replace(upper(recipient), 'DK', ''), '-', '')) AS digits
  FROM letters
), typed AS (
  SELECT *, CASE WHEN digits RLIKE '^[0-9]{10}$' THEN 'private'
                 WHEN digits RLIKE '^[0-9]{8}$' THEN 'erhverv' END AS audience
  FROM normalized
), decided AS (
  SELECT /*+ BROADCAST(m), BROADCAST(c) */ t.material, t.recipient,
    CASE
      WHEN m.material IS NULL THEN '! unknown_material'
      WHEN t.audience IS NULL THEN '! invalid_recipient'
      WHEN (CASE t.audience WHEN 'private' THEN m.private_from ELSE m.erhverv_from END) IS NULL
        THEN '! audience_mismatch'
      WHEN m.certificate_expires IS NOT NULL AND DATE '{day}' > m.certificate_expires
        THEN 'physical sender_certificate_expired'
      WHEN DATE '{day}' < (CASE t.audience WHEN 'private' THEN m.private_from ELSE m.erhverv_from END)
        THEN 'physical group_not_active'
      WHEN c.id IS NULL OR c.status = 'unknown' THEN 'physical not_registered'
      WHEN c.status = 'closed' THEN 'physical closed'
      WHEN c.registration IN ('unconfirmed', 'before_unconfirmed', 'awaiting_registration')
        THEN 'physical pending_registration'
      WHEN c.status = 'exempt'
           AND (c.exemption_start IS NULL OR DATE '{day}' >= c.exemption_start)
           AND (c.exemption_end IS NULL OR DATE '{day}' <= c.exemption_end)
        THEN IF(m.mandatory AND NOT m.nemsms, 'digital mandatory_despite_exemption', 'physical exempt')
      WHEN m.nemsms THEN IF(coalesce(c.nemsms, false), 'nemsms registered', 'physical no_nemsms')
      ELSE 'digital registered'
    END AS outcome
  FROM typed t
  LEFT JOIN materials m ON t.material = m.material
  LEFT JOIN contacts c ON t.digits = c.id
)
SELECT material, recipient,
       IF(outcome LIKE '!%', NULL, split(outcome, ' ')[0]) AS channel,
       IF(outcome LIKE '!%', NULL, split(outcome, ' ')[1]) AS reason,
       IF(outcome LIKE '!%', split(outcome, ' ')[1], NULL) AS error
FROM decided
"""


def materials_table(catalog):
    """One row per material: its groups' activation dates per audience,
    its sender's certificate expiry, NemSMS and mandatory."""
    with open(catalog, "rb") as f:
        parsed = tomllib.load(f)
    systems = {s["id"]: s.get("certificate_expires") for s in parsed.get("sender_system", [])}
    groups = {g["id"]: g for g in parsed.get("group", [])}
    rows = []
    for m in parsed.get("material", []):
        by_audience = {groups[g]["audience"]: groups[g]["active_from"] for g in m.get("groups", [])}
        rows.append(
            {
                "material": m["id"],
                "private_from": by_audience.get("private"),
                "erhverv_from": by_audience.get("erhverv"),
                "certificate_expires": systems[m["sender_system"]],
                "nemsms": m.get("message_type", "digitalpost") == "nemsms",
                "mandatory": m.get("mandatory", False),
            }
        )
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("material", pa.string()),
                ("private_from", pa.date32()),
                ("erhverv_from", pa.date32()),
                ("certificate_expires", pa.date32()),
                ("nemsms", pa.bool_()),
                ("mandatory", pa.bool_()),
            ]
        ),
    )


def contacts_table(csv):
    """The CSV extract as a table: id (digits only), status, registration,
    the exemption window and nemsms (empty cells null)."""
    types = {
        "id": pa.string(),
        "status": pa.string(),
        "registration": pa.string(),
        "exemption_start": pa.date32(),
        "exemption_end": pa.date32(),
        "nemsms": pa.bool_(),
    }
    table = pacsv.read_csv(
        csv,
        parse_options=pacsv.ParseOptions(delimiter=";"),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )
    # The extract spells numbers as people do (DDMMYY-SSSS, DK12345678):
    # the join key is the digits, as the letters' are.
    ids = pc.utf8_upper(table.column("id"))
    for spelling in ("DK", "-"):
        ids = pc.replace_substring(ids, spelling, "")
    return table.set_column(0, "id", pc.utf8_trim_whitespace(ids))


def decide_with_join(spark, letters, contacts, materials, date):
    """`letters` (material, recipient) decided with SQL over broadcast joins
    of `contacts` and `materials` (DataFrames of the tables above)."""
    letters.createOrReplaceTempView("letters")
    contacts.createOrReplaceTempView("contacts")
    materials.createOrReplaceTempView("materials")
    return spark.sql(DECISION.replace("{day}", date.isoformat()))


def letters_table(contacts, materials, count, seed=7):
    """`count` letters over twenty materials (and one unknown): 90% to
    contacts of the register, CPR numbers with or without a dash and CVR
    numbers with or without DK, 10% to valid CPR numbers it does not hold,
    0.1% not a number."""
    rng = np.random.default_rng(seed)
    ids = contacts.column("id").to_pylist()
    chosen = rng.integers(0, len(ids), count).tolist()
    spelled = (rng.random(count) < 0.3).tolist()
    draw = rng.random(count).tolist()
    stranger = rng.integers([1, 1, 0, 0], [29, 13, 100, 10000], (count, 4)).tolist()
    recipients = []
    for i in range(count):
        if draw[i] >= 0.999:
            recipients.append("not a number")
        elif draw[i] >= 0.9:
            recipients.append("%02d%02d%02d%04d" % tuple(stranger[i]))
        else:
            r = ids[chosen[i]]
            if spelled[i]:
                r = r[:6] + "-" + r[6:] if len(r) == 10 else "DK" + r
            recipients.append(r)
    known = materials.column("material").to_pylist()
    names = [m for m in known if m.isdigit()][:20] + ["no-such-material"]
    return pa.table(
        {
            "material": np.array(names, dtype=object)[np.arange(count) % len(names)],
            "recipient": pa.array(recipients, type=pa.string()),
        }
    )


def job(args):
    """One job in this process (`--job library|join`): prints its time."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName(f"tilmelding-compare-{args.job}")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", args.memory)
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.autoBroadcastJoinThreshold", "-1")
        .getOrCreate()
    )
    work = pathlib.Path(args.work)
    out = work / f"decided-{args.job}.parquet"
    started = time.perf_counter()
    letters = spark.read.parquet(str(work / "letters.parquet"))
    if args.job == "library":
        sys.path.insert(0, str(ROOT / "examples/spark"))
        import mailing

        decided = mailing.decide(letters, str(pathlib.Path(args.index).resolve()), DAY).drop("snapshot_id")
    else:
        contacts = spark.read.parquet(str(work / "contacts.parquet"))
        materials = spark.read.parquet(str(work / "materials.parquet"))
        decided = decide_with_join(spark, letters, contacts, materials, DAY)
    decided.write.mode("overwrite").parquet(str(out))
    print(json.dumps({"job": args.job, "seconds": time.perf_counter() - started}))
    spark.stop()


def tree_pss(pid):
    """Proportional set size (bytes) of `pid` and all its descendants, split
    into (the JVM, the rest: Python's driver and workers). PSS divides a
    page shared by n processes among them: the workers forked from one
    daemon, the index mapped by each, and a helper the JVM forks, are
    counted once in all."""
    children = {}
    pss = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                name, rest = f.read().rsplit(")", 1)
            with open(f"/proc/{entry}/smaps_rollup") as f:
                kb = next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, IndexError, ValueError, StopIteration):
            continue
        pss[int(entry)] = (name.endswith("(java"), kb * 1024)
        children.setdefault(int(rest.split()[1]), []).append(int(entry))
    jvm, other, todo = 0, 0, [pid]
    while todo:
        p = todo.pop()
        java, size = pss.get(p, (False, 0))
        if java:
            jvm += size
        else:
            other += size
        todo.extend(children.get(p, []))
    return jvm, other


def measure(args, name):
    """Runs one job in a fresh process: (seconds, peak PSS of the process
    tree, of the JVM, of the rest), in bytes."""
    command = [sys.executable, __file__, "--job", name, "--work", args.work, "--index", args.index, "--memory", args.memory]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak = peak_jvm = peak_other = 0
    while child.poll() is None:
        jvm, other = tree_pss(child.pid)
        peak, peak_jvm, peak_other = max(peak, jvm + other), max(peak_jvm, jvm), max(peak_other, other)
        time.sleep(0.05)
    out = child.stdout.read()
    if child.returncode != 0:
        raise SystemExit(f"{name}: exit {child.returncode} with spark.driver.memory={args.memory}")
    return json.loads(out.strip().splitlines()[-1])["seconds"], peak, peak_jvm, peak_other


def differences(first, second):
    """How many letters the decided Parquet datasets `first` and `second`
    answer differently (compared as multisets of letter and answer)."""
    keys = ["material", "recipient", "channel", "reason", "error"]
    tables = []
    for path in (first, second):
        t = pq.read_table(path, columns=keys)
        t = t.group_by(keys, use_threads=True).aggregate([([], "count_all")])
        tables.append(t.sort_by([(k, "ascending") for k in keys]))
    if tables[0].equals(tables[1]):
        return 0
    first, second = (dict(zip(zip(*(t[k].to_pylist() for k in keys)), t["count_all"].to_pylist())) for t in tables)
    return sum(abs(first.get(k, 0) - second.get(k, 0)) for k in first.keys() | second.keys()) // 2


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog")
    parser.add_argument("--contacts")
    parser.add_argument("--index", required=True)
    parser.add_argument("--letters", type=int, default=5_000_000)
    parser.add_argument("--work", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory", default="8g", help="spark.driver.memory for both jobs")
    parser.add_argument("--jobs", default="library,join", help="which jobs to run, in turn")
    parser.add_argument("--job", choices=["library", "join"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        return job(args)

    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    contacts = contacts_table(args.contacts)
    pq.write_table(contacts, work / "contacts.parquet")
    materials = materials_table(args.catalog)
    pq.write_table(materials, work / "materials.parquet")
    prepared = time.perf_counter() - started
    pq.write_table(letters_table(contacts, materials, args.letters), work / "letters.parquet")
    print(
        f"{contacts.num_rows:,} contacts ({os.path.getsize(work / 'contacts.parquet'):,} bytes of Parquet, "
        f"written in {prepared:.1f} s), index {os.path.getsize(args.index):,} bytes; {args.letters:,} letters"
    )

    results = {name: [] for name in args.jobs.split(",")}
    for _ in range(args.rounds):
        for name in results:
            results[name].append(measure(args, name))
    print("| job | seconds (median) | letters per second | peak memory (PSS): all | the JVM | Python |")
    print("|---|---:|---:|---:|---:|---:|")
    mib = lambda b: f"{b / 2**20:,.0f} MiB"  # noqa: E731
    for name, runs in results.items():
        seconds = statistics.median(r[0] for r in runs)
        peaks = [max(r[i] for r in runs) for i in (1, 2, 3)]
        print(f"| {name} | {seconds:.1f} | {args.letters / seconds:,.0f} | {' | '.join(mib(p) for p in peaks)} |")
    if set(results) == {"library", "join"}:
        ratio = statistics.median(r[0] for r in results["join"]) / statistics.median(r[0] for r in results["library"])
        print(f"join / library time: {ratio:.2f}x")
        different = differences(work / "decided-library.parquet", work / "decided-join.parquet")
        print(f"letters answered differently: {different:,}")

if __name__ == "__main__":
    main()
