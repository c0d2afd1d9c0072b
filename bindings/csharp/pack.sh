#!/usr/bin/env bash
# Packs the C# binding as a NuGet package (Tilmelding.nuspec) with the
# `nuget` Debian ships (apt-get install nuget):
#
#   bindings/csharp/pack.sh [LIBTILMELDING.so] [OUTDIR]
#
# The library defaults to target/release/libtilmelding.so (built if missing),
# the output to target/nuget/Tilmelding.<version>.nupkg.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
native=${1:-$root/target/release/libtilmelding.so}
out=${2:-$root/target/nuget}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
if [ ! -f "$native" ] && [ $# -eq 0 ]; then
    cargo build --quiet --release --locked -p tilmelding --manifest-path "$root/Cargo.toml"
fi
[ -f "$native" ] || { echo "pack.sh: no library at $native" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$here/Tilmelding.nuspec" "$here/Tilmelding.cs" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$stage/"
strip --strip-unneeded -o "$stage/libtilmelding.so" "$native"
mkdir -p "$out"
HOME=${HOME:-$stage} nuget pack "$stage/Tilmelding.nuspec" -BasePath "$stage" -OutputDirectory "$out" \
    -Properties "version=$version" -NoPackageAnalysis -NonInteractive -Verbosity quiet </dev/null
echo "$out/Tilmelding.$version.nupkg"
