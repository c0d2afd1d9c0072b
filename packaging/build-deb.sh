#!/usr/bin/env bash
# Builds the Debian packages into target/debian/, from what
# packaging/install.sh stages (prefix /usr, the multiarch library directory):
#
#   tilmelding          the CLI, its man pages and completions, and a disabled
#                       daily rebuild (tilmelding-rebuild.service + .timer,
#                       configured in /etc/tilmelding/rebuild.conf)
#   libtilmelding0      the shared library, libtilmelding.so.0
#   libtilmelding-dev   the header, the .so link, the static library, tilmelding.pc
#
# Binaries are stripped, man pages compressed, dependencies computed by
# dpkg-shlibdeps; the packages are assembled with dpkg-deb. Needs dpkg-dev.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=/usr/lib/$multiarch
# Whoever builds and ships the packages maintains them: set DEB_MAINTAINER.
maintainer=${DEB_MAINTAINER:-tilmelding developers <tilmelding@packages.invalid>}
work=target/package/deb
out=target/debian
rm -rf "$work" && mkdir -p "$work" "$out"
stage=$work/stage
bash packaging/install.sh --prefix /usr --libdir "$libdir" --destdir "$stage" >/dev/null

strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/tilmelding" \
    "$stage$libdir/libtilmelding.so.$version"
strip --strip-debug --remove-section=.comment "$stage$libdir/libtilmelding.a"
gzip -9n "$stage"/usr/share/man/man1/*.1

# Moves `path` (relative to the stage) into package `pkg`.
take() {
    local pkg=$1 path=$2
    mkdir -p "$work/$pkg/$(dirname "$path")"
    mv "$stage/$path" "$work/$pkg/$path"
}
lib=libtilmelding$major
take "$lib" "$libdir/libtilmelding.so.$version"
take "$lib" "$libdir/libtilmelding.so.$major"
take libtilmelding-dev "$libdir/libtilmelding.so"
take libtilmelding-dev "$libdir/libtilmelding.a"
take libtilmelding-dev "$libdir/pkgconfig"
take libtilmelding-dev usr/include
take tilmelding usr/bin
take tilmelding usr/share/man
take tilmelding usr/share/bash-completion
take tilmelding usr/share/zsh
take tilmelding usr/share/fish
install -D -m 0644 packaging/systemd/tilmelding-rebuild.service "$work/tilmelding/lib/systemd/system/tilmelding-rebuild.service"
install -D -m 0644 packaging/systemd/tilmelding-rebuild.timer "$work/tilmelding/lib/systemd/system/tilmelding-rebuild.timer"
install -D -m 0755 packaging/rebuild "$work/tilmelding/usr/lib/tilmelding/rebuild"
install -D -m 0644 packaging/rebuild.conf "$work/tilmelding/etc/tilmelding/rebuild.conf"
leftover=$(find "$stage" -type f -o -type l)
[ -z "$leftover" ] || { echo "build-deb.sh: staged but in no package: $leftover" >&2; exit 1; }

# What dpkg-shlibdeps finds the binaries need (it wants a debian/control).
mkdir -p "$work/shlibdeps/debian"
printf 'Source: tilmelding\n\nPackage: tilmelding\nArchitecture: any\n' >"$work/shlibdeps/debian/control"
depends_of() {
    (cd "$work/shlibdeps" && dpkg-shlibdeps -O "$@" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
}
cli_depends=$(depends_of "$root/$work/tilmelding/usr/bin/tilmelding")
lib_depends=$(depends_of "$root/$work/$lib$libdir/libtilmelding.so.$version")

date=$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")
for pkg in tilmelding "$lib" libtilmelding-dev; do
    doc=$work/$pkg/usr/share/doc/$pkg
    install -D -m 0644 packaging/copyright "$doc/copyright"
    printf '%s (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
        "tilmelding" "$version" "$version" "$maintainer" "$date" | gzip -9n >"$doc/changelog.gz"
    chmod 0644 "$doc/changelog.gz"
    if [ -f "packaging/lintian/$pkg" ]; then
        install -D -m 0644 "packaging/lintian/$pkg" "$work/$pkg/usr/share/lintian/overrides/$pkg"
    fi
    mkdir -p "$work/$pkg/DEBIAN"
done

control() {
    local pkg=$1 section=$2 depends=$3 summary=$4 description=$5
    local size
    size=$(du -sk --exclude=DEBIAN "$work/$pkg" | cut -f1)
    {
        echo "Package: $pkg"
        echo "Source: tilmelding"
        echo "Version: $version"
        echo "Architecture: $arch"
        echo "Maintainer: $maintainer"
        echo "Installed-Size: $size"
        [ -z "$depends" ] || echo "Depends: $depends"
        echo "Section: $section"
        echo "Priority: optional"
        echo "Description: $summary"
        printf '%s\n' "$description" | fold -s -w 72 | sed 's/ *$//; s/^/ /'
    } >"$work/$pkg/DEBIAN/control"
}
about="tilmelding decides, for a letter of a material to a CPR or CVR number on a date, whether Digital Post, NemSMS or paper carries it, and why, from a compact memory-mapped index of Digital Post's complete subscription list."
control tilmelding utils "$cli_depends" "Digital Post subscription index: build, inspect and query" \
    "$about This package has the command: build the index from NgDP's contact register or a CSV extract, diff, verify and look up; and a daily rebuild as a systemd timer, disabled until configured."
control "$lib" libs "$lib_depends" "Digital Post subscription index: shared library" \
    "$about This package has the shared library with its C ABI."
control libtilmelding-dev libdevel "$lib (= $version)" "Digital Post subscription index: development files" \
    "$about This package has the C header, the static library and the pkg-config file."

# The shared library: its shlibs entry and the ldconfig trigger.
echo "libtilmelding $major $lib (>= $version)" >"$work/$lib/DEBIAN/shlibs"
echo "activate-noawait ldconfig" >"$work/$lib/DEBIAN/triggers"
# The CLI: the configuration is a conffile; systemd re-reads units.
echo /etc/tilmelding/rebuild.conf >"$work/tilmelding/DEBIAN/conffiles"
for script in postinst postrm; do
    cat >"$work/tilmelding/DEBIAN/$script" <<'EOF'
#!/bin/sh
set -e
# The units are installed disabled: enable the timer once
# /etc/tilmelding/rebuild.conf names the catalog and the extract.
if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
fi
EOF
    chmod 0755 "$work/tilmelding/DEBIAN/$script"
done

for pkg in tilmelding "$lib" libtilmelding-dev; do
    (cd "$work/$pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) \
        >"$work/$pkg/DEBIAN/md5sums"
    chmod 0644 "$work/$pkg/DEBIAN/md5sums" "$work/$pkg/DEBIAN/control"
    find "$work/$pkg" -type d -exec chmod 0755 {} +
    dpkg-deb --root-owner-group -Zxz --build "$work/$pkg" "$out/${pkg}_${version}_$arch.deb" >/dev/null
done
ls -1 "$out"/*_"$version"_"$arch".deb
