#!/usr/bin/env bash
# Installs the packages packaging/build-deb.sh wrote (as root), uses them
# from the installed files alone as a C developer and an operator would,
# checks them with lintian and systemd-analyze, and removes them: `dpkg -r`
# may leave the configuration file alone, `dpkg --purge` nothing.
#
#   packaging/test-deb.sh [--no-demo]
#
# Without lintian (apt-get install lintian) the lintian check is skipped,
# or fails under CI=true.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
demo=yes
[ "${1:-}" = "--no-demo" ] && demo=no
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
packages=(libtilmelding0 libtilmelding-dev tilmelding)
debs=()
for pkg in "${packages[@]}"; do
    debs+=("target/debian/${pkg}_${version}_$arch.deb")
done
work=$(mktemp -d)
installed=no
# A failed run does not leave the packages installed.
cleanup() {
    [ "$installed" = no ] || dpkg --purge "${packages[@]}" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "test-deb.sh: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "lintian"
if command -v lintian >/dev/null; then
    # Findings that are explained are overridden in packaging/lintian/.
    lintian --fail-on error,warning --info --display-info "${debs[@]}"
elif [ "${CI:-}" = true ]; then
    fail "lintian is not installed (CI=true: a missing tool is a failure)"
else
    echo "SKIPPED: lintian is not installed; install it with: apt-get install -y lintian"
fi

step "dpkg -i"
installed=yes
dpkg -i "${debs[@]}"
dpkg -L "${packages[@]}" | sort -u >"$work/installed"

step "the C library through pkg-config, from the installed header and library"
[ "$(pkg-config --modversion tilmelding)" = "$version" ] || fail "pkg-config has no tilmelding $version"
[ -e /usr/include/tilmelding.h ] || fail "no installed header"
soname=$(readelf -d "/usr/lib/$multiarch/libtilmelding.so.$version" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = "libtilmelding.so.${version%%.*}" ] || fail "the library's soname is '$soname'"
# shellcheck disable=SC2046
gcc -std=c99 -Wall -Wextra -pedantic -Werror examples/c/lookup.c $(pkg-config --cflags --libs tilmelding) \
    -o "$work/lookup"
readelf -d "$work/lookup" | grep -q "NEEDED.*\[libtilmelding.so.0\]" || fail "lookup does not need libtilmelding.so.0"
# shellcheck disable=SC2046
gcc -std=c99 -Wall -Wextra -pedantic -Werror examples/c/lookup.c $(pkg-config --cflags tilmelding) \
    "/usr/lib/$multiarch/libtilmelding.a" $(pkg-config --static --libs-only-l tilmelding | sed 's/-ltilmelding//') \
    -o "$work/lookup-static"
! readelf -d "$work/lookup-static" | grep -q libtilmelding || fail "lookup-static needs the shared library"
/usr/bin/tilmelding build --catalog tests/data/catalog.toml --contacts tests/data/contacts.csv \
    --as-of 2026-11-22T06:00:00+01:00 -o "$work/fixture.tlm" >/dev/null
recipients=(0101901234 DK12345674 3102901234 0202902345)
/usr/bin/tilmelding lookup "$work/fixture.tlm" --material 100 --date 2026-11-22 "${recipients[@]}" \
    | awk '{print $1, $2, $3}' >"$work/cli.txt"
for program in lookup lookup-static; do
    "$work/$program" "$work/fixture.tlm" 100 2026-11-22 "${recipients[@]}" | awk '{print $2, $3}' >"$work/$program.txt"
    awk '{print $2, $3}' "$work/cli.txt" | cmp - "$work/$program.txt" || fail "$program answers differently from the CLI"
done
grep -q "^0101901234 digital registered$" "$work/cli.txt" || fail "unexpected answers: $(cat "$work/cli.txt")"

step "the CLI, its man pages and completions"
[ "$(/usr/bin/tilmelding --version)" = "tilmelding $version" ] || fail "tilmelding --version"
for page in tilmelding tilmelding-build tilmelding-lookup tilmelding-diff; do
    zcat "/usr/share/man/man1/$page.1.gz" | grep -q '^\.TH' || fail "no man page $page"
done
bash -c 'source /usr/share/bash-completion/completions/tilmelding && complete -p tilmelding' >/dev/null \
    || fail "the bash completion does not load"
grep -q '#compdef tilmelding' /usr/share/zsh/vendor-completions/_tilmelding || fail "no zsh completion"
grep -q 'complete -c tilmelding' /usr/share/fish/vendor_completions.d/tilmelding.fish || fail "no fish completion"

step "the daily rebuild: systemd units and the rebuild script"
systemd-analyze verify /lib/systemd/system/tilmelding-rebuild.service /lib/systemd/system/tilmelding-rebuild.timer
for unit in tilmelding-rebuild.service tilmelding-rebuild.timer; do
    state=$(systemctl is-enabled "$unit" 2>/dev/null || true)
    case "$state" in enabled*) fail "$unit is enabled on installation" ;; esac
done
/usr/bin/tilmelding generate --out "$work/extract" --citizens 2000 --companies 300 >/dev/null
export TILMELDING_CATALOG=$work/extract/catalog.toml TILMELDING_CONTACTS=$work/extract/contacts.csv
export TILMELDING_INDEX=$work/service/index.tlm TILMELDING_MAX_CHANGE=2
mkdir -p "$work/service"
/usr/lib/tilmelding/rebuild | grep -q "the first build has no guard" || fail "the first rebuild"
first=$(/usr/bin/tilmelding info "$TILMELDING_INDEX" --json | grep -o '"snapshot_id": *"[0-9a-f]*"')
/usr/lib/tilmelding/rebuild >/dev/null || fail "the same extract again is refused"
head -n 1000 "$work/extract/contacts.csv" >"$work/truncated.csv"
if TILMELDING_CONTACTS=$work/truncated.csv /usr/lib/tilmelding/rebuild >"$work/refused.txt" 2>&1; then
    fail "a truncated extract was published"
fi
grep -q "guard" "$work/refused.txt" || fail "the refusal does not name the guard: $(cat "$work/refused.txt")"
[ "$(/usr/bin/tilmelding info "$TILMELDING_INDEX" --json | grep -o '"snapshot_id": *"[0-9a-f]*"')" = "$first" ] \
    || fail "the refused build replaced the index"

if [ "$demo" = yes ]; then
    step "tilmelding demo from /usr/bin"
    (cd "$work" && /usr/bin/tilmelding demo --dir "$work/demo") | tail -n 5
    rm -rf "$work/demo"
fi

step "dpkg -r leaves only the configuration; dpkg --purge leaves nothing"
dpkg -r "${packages[@]}"
kept=()
while read -r path; do
    if [ ! -d "$path" ] && { [ -L "$path" ] || [ -e "$path" ]; }; then
        kept+=("$path")
    fi
done <"$work/installed"
[ "${kept[*]}" = /etc/tilmelding/rebuild.conf ] || fail "left after dpkg -r: ${kept[*]:-nothing} (expected the conffile alone)"
dpkg --purge "${packages[@]}"
# Files and links must be gone; a directory may stay only if another
# package owns it or something else is in it.
left=()
while read -r path; do
    if [ -d "$path" ]; then # a directory, or a link to one (/lib -> usr/lib)
        if [ ! -L "$path" ] && [ -z "$(ls -A "$path")" ] && ! dpkg -S "$path" >/dev/null 2>&1; then
            left+=("$path/")
        fi
    elif [ -L "$path" ] || [ -e "$path" ]; then
        left+=("$path")
    fi
done <"$work/installed"
[ ${#left[@]} -eq 0 ] || fail "left after purge: ${left[*]}"
! pkg-config --exists tilmelding || fail "pkg-config still finds tilmelding"
echo "test-deb.sh: the packages install, work from the installed files, and remove cleanly"
