#!/usr/bin/env bash
# Installs what a C developer and an operator need: libtilmelding.so with
# its soname (libtilmelding.so.0 until 1.0) and the usual symlinks,
# libtilmelding.a, include/tilmelding.h, a pkg-config file, and the CLI with
# its man pages and shell completions.
#
#   packaging/install.sh [--prefix /usr/local] [--libdir PREFIX/lib] [--destdir DIR]
#
# --destdir stages the files under DIR (for packaging), as `make install
# DESTDIR=` does. Builds in release mode first: the CLI as usual, the
# library again in target/package with the soname (a plain `cargo build`
# leaves libtilmelding.so without one, so that the examples and tests can
# link it in place).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=/usr/local
libdir=
destdir=
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=$2; shift 2 ;;
        --libdir) libdir=$2; shift 2 ;;
        --destdir) destdir=$2; shift 2 ;;
        *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
libdir=${libdir:-$prefix/lib}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
major=${version%%.*}

cd "$root"
cargo build --quiet --release --locked -p tilmelding-cli
# The shared and the static library, with the soname; rustc names the
# system libraries a static link needs (for Libs.private).
notes=$(cargo rustc --quiet --release --locked -p tilmelding --lib --crate-type cdylib,staticlib \
    --target-dir target/package -- -C "link-arg=-Wl,-soname,libtilmelding.so.$major" \
    --print native-static-libs 2>&1)
native=$(printf '%s\n' "$notes" | sed -n 's/.*native-static-libs: //p' | tail -n 1)
if [ -z "$native" ]; then
    # A fresh build prints nothing: the libraries the last one named.
    native=$(cat target/package/native-static-libs 2>/dev/null || true)
fi
[ -n "$native" ] || { echo "install.sh: rustc did not name the native static libraries" >&2; exit 1; }
printf '%s\n' "$native" >target/package/native-static-libs
cli=target/release/tilmelding
lib=target/package/release

d=$destdir
install -d "$d$prefix/bin" "$d$libdir/pkgconfig" "$d$prefix/include" "$d$prefix/share/man/man1" \
    "$d$prefix/share/bash-completion/completions" "$d$prefix/share/zsh/vendor-completions" \
    "$d$prefix/share/fish/vendor_completions.d"
install -m 0755 "$cli" "$d$prefix/bin/tilmelding"
install -m 0644 "$lib/libtilmelding.so" "$d$libdir/libtilmelding.so.$version"
ln -sf "libtilmelding.so.$version" "$d$libdir/libtilmelding.so.$major"
ln -sf "libtilmelding.so.$major" "$d$libdir/libtilmelding.so"
install -m 0644 "$lib/libtilmelding.a" "$d$libdir/libtilmelding.a"
install -m 0644 include/tilmelding.h "$d$prefix/include/tilmelding.h"
sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBDIR@|$libdir|" -e "s|@VERSION@|$version|" \
    -e "s|@NATIVE_STATIC_LIBS@|$native|" packaging/tilmelding.pc.in >"$d$libdir/pkgconfig/tilmelding.pc"
chmod 0644 "$d$libdir/pkgconfig/tilmelding.pc"
"$cli" manpages "$d$prefix/share/man/man1"
"$cli" completions bash >"$d$prefix/share/bash-completion/completions/tilmelding"
"$cli" completions zsh >"$d$prefix/share/zsh/vendor-completions/_tilmelding"
"$cli" completions fish >"$d$prefix/share/fish/vendor_completions.d/tilmelding.fish"
echo "installed tilmelding $version under $d$prefix (library in $d$libdir)"
