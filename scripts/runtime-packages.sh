#!/usr/bin/env bash
# Prints the Debian packages that hold the shared libraries a binary links (one per line), so
# the Dockerfile's runtime stage installs exactly those. Usage: scripts/runtime-packages.sh BINARY
source "$(dirname "${BASH_SOURCE[0]}")/lib/errtrap.sh"
ldd "$1" | awk '/=> \//{print $3}' | while read -r lib; do
  # Debian 12 ships some libraries under /lib and some under /usr/lib: ask for both spellings.
  dpkg -S "$lib" 2>/dev/null || dpkg -S "$(realpath "$lib")" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null ||
    { echo "runtime-packages: no package holds $lib" >&2; exit 1; }
done | cut -d: -f1 | sort -u
