#!/usr/bin/env bash
# Usage: scripts/install.sh [--prefix DIR] [TARBALL]
# Installs an oserve release tarball the way Homebrew does: the keg goes to
# DIR/lib/oserve/<version>/ (bin/oserve and libexec/), and DIR/bin/oserve links to it.
# DIR defaults to /usr/local; TARBALL to the newest dist/oserve-*.tar.xz. A TARBALL.sha256
# beside it is checked first.
set -euo pipefail

prefix=/usr/local
tarball=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "install.sh: unknown option $1" >&2; exit 2 ;;
    *) tarball="$1"; shift ;;
  esac
done
if [ -z "$tarball" ]; then
  tarball=$(ls -t "$(dirname "$0")"/../dist/oserve-*.tar.xz 2>/dev/null | head -n 1 || true)
  [ -n "$tarball" ] || { echo "install.sh: no tarball given and none in dist/ (run npm run release)" >&2; exit 2; }
fi
[ -f "$tarball" ] || { echo "install.sh: no such tarball: $tarball" >&2; exit 2; }

if [ -f "$tarball.sha256" ]; then
  expected=$(cut -d' ' -f1 < "$tarball.sha256")
  actual=$(sha256sum "$tarball" | cut -d' ' -f1)
  [ "$expected" = "$actual" ] || { echo "install.sh: sha256 mismatch for $tarball" >&2; exit 1; }
fi

keg=$(tar -tf "$tarball" | sed -n '1s|/.*||p')               # oserve-<version>
version=${keg#oserve-}
target="$prefix/lib/oserve/$version"
mkdir -p "$prefix/bin" "$prefix/lib/oserve"
rm -rf "$target"
tmp=$(mktemp -d "$prefix/lib/oserve/.install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xf "$tarball" -C "$tmp"
mv "$tmp/$keg" "$target"
ln -sfn "$target/bin/oserve" "$prefix/bin/oserve"
echo "installed oserve $version: $prefix/bin/oserve -> $target/bin/oserve"
