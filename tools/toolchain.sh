# Sourced: makes .cache/toolchain, a Linux virtual environment with the
# packages tools/toolchain.txt pins (reinstalled when that file changes),
# and defines zig, which runs zig from it (`zig cc -target ...`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLCHAIN="$ROOT/.cache/toolchain"
_wanted="$(sha256sum "$ROOT/tools/toolchain.txt" | cut -d' ' -f1)"
if [ "$(cat "$TOOLCHAIN/.complete" 2>/dev/null)" != "$_wanted" ]; then
    echo "toolchain: installing $(grep -v '^#' "$ROOT/tools/toolchain.txt" | tr '\n' ' ')"
    rm -rf "$TOOLCHAIN"
    "${PYTHON:-python3}" -m venv "$TOOLCHAIN"
    "$TOOLCHAIN/bin/python" -m pip install -q -r "$ROOT/tools/toolchain.txt" >"$TOOLCHAIN/pip.log" 2>&1 || {
        cat "$TOOLCHAIN/pip.log" >&2
        exit 1
    }
    echo "$_wanted" >"$TOOLCHAIN/.complete"
fi
TOOLPY="$TOOLCHAIN/bin/python"

zig() {
    "$TOOLPY" -m ziglang "$@"
}
