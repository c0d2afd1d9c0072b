#!/usr/bin/env bash
# Builds the wheel with maturin, installs it into a virtual environment and
# runs the pytest suite against the installed package, not the source tree.
# Needs python3 with venv and pip, and PyPI (maturin, numpy, pytest).
# The environment is kept in target/python and reused; the wheel is built
# and installed again on every run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$root/target/python"
mkdir -p "$work"
if [ ! -x "$work/venv/bin/python" ]; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q --upgrade pip
    "$work/venv/bin/pip" install -q "maturin>=1.9,<2" "numpy<3" pytest
fi
# The Spark example's test (PySpark runs on the JDK 17 of the machine).
"$work/venv/bin/python" -c "import pyspark, pyarrow, pandas" 2>/dev/null ||
    "$work/venv/bin/pip" install -q pyspark "pandas<3" pyarrow
# The DuckDB and polars examples.
"$work/venv/bin/python" -c "import duckdb, polars" 2>/dev/null ||
    "$work/venv/bin/pip" install -q duckdb polars
rm -rf "$work/dist"
"$work/venv/bin/maturin" build --release --quiet -m "$here/Cargo.toml" -o "$work/dist"
"$work/venv/bin/pip" install -q --force-reinstall --no-deps "$work/dist"/tilmelding-*.whl

# The indexes the tests read: prepared by the caller (tests/python.rs, with
# the library) in $TILMELDING_PREPARED, or built here with the CLI.
if [ -n "${TILMELDING_PREPARED:-}" ]; then
    data="$TILMELDING_PREPARED"
else
    data="$work/data"
    mkdir -p "$data"
    cargo build --quiet --release -p tilmelding-cli --manifest-path "$root/Cargo.toml"
    cli="$root/target/release/tilmelding"
    export TILMELDING_CLI="$cli"
    as_of=2026-11-22T06:00:00+01:00
    "$cli" build --catalog "$root/tests/data/catalog.toml" --contacts "$root/tests/data/contacts.csv" \
        --as-of "$as_of" -o "$data/fixture.tlm" >/dev/null
    printf 'id;status\n0101901234;closed\n' >"$data/next.csv"
    "$cli" build --catalog "$root/tests/data/catalog.toml" --contacts "$data/next.csv" \
        --as-of 2001-09-09T01:46:40Z -o "$data/next.tlm" >/dev/null
    "$cli" generate --out "$data/generated" --citizens 20000 --companies 3000 --seed 3 >/dev/null
    "$cli" build --catalog "$data/generated/catalog.toml" --contacts "$data/generated/contacts.csv" \
        --as-of "$as_of" -o "$data/generated.tlm" >/dev/null
fi

cd "$work"
TILMELDING_ROOT="$root" TILMELDING_DATA="$data" \
    "$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$here/tests" "$@"
