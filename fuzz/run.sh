#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 30) from its seeds and corpus.
# On stable Rust, cargo-fuzz needs RUSTC_BOOTSTRAP=1; no sanitizer is used
# (the code under test is safe Rust, where a bounds error panics anyway),
# which keeps the build quick. A crash leaves its input in fuzz/artifacts/:
# make it a test, and add it to fuzz/seeds/.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-30}
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2

# The `open` target starts from a real index built from the test fixture.
mkdir -p corpus/open
cargo run -q --manifest-path ../Cargo.toml -p tilmelding-cli -- build --catalog ../tests/data/catalog.toml \
    --contacts ../tests/data/contacts.csv --as-of 2026-11-22T06:00:00+01:00 \
    -o corpus/open/fixture.tlm >/dev/null

cargo fuzz build -O -s none
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in open blocks recipient contacts catalog differential ngdp; do
    mkdir -p "corpus/$target"
    seeds=()
    [ -d "seeds/$target" ] && seeds=("seeds/$target")
    echo "fuzzing $target for ${seconds}s"
    status=0
    cargo fuzz run -O -s none "$target" "corpus/$target" "${seeds[@]}" -- \
        -max_total_time="$seconds" -print_final_stats=0 >"$log" 2>&1 || status=$?
    grep -E "^Done|ERROR|panicked|SUMMARY" "$log" || tail -n 20 "$log"
    # cargo fuzz exits non-zero on a crash.
    test "$status" -eq 0
done
