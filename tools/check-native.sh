#!/usr/bin/env bash
# Proves the native code safe by running it, not by reading it:
#   debug     Debian's debug CPython (python3-dbg): the tests that drive the
#             C extension (-m native), with the reference-leak tests
#             (sys.gettotalrefcount) that need it;
#   asan      -fsanitize=address,undefined: the same tests, with
#             LeakSanitizer on in those it can scan (-m lsan), off in the
#             others (-m "native and not lsan");
#   valgrind  memcheck over the phase, cancel, validation and error tests
#             (-m valgrind).
# tests/suites.py is the one table of which test is in which of these, and
# says why; docs/ci.md, what each stage proves.  The command line and the
# pure-Python parts run in the Linux and Windows whole-suite runs only.
# Any report fails the run.  Usage: check-native.sh [debug] [asan] [valgrind]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=(debug asan valgrind)
PYTEST=(-m pytest -q -p no:cacheprovider)

apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

stage_debug() {
    apt_install python3-dbg python3-dev python3-venv
    local venv="$ROOT/.cache/venv-dbg"
    if [ ! -x "$venv/bin/python" ]; then
        /usr/bin/python3-dbg -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install -q pytest hypothesis "setuptools>=77" 2>&1 | grep -v -i warn || true
    bash tools/stage.sh "$venv/bin/python" build/dbg
    echo "check-native: debug interpreter ($("$venv/bin/python" -c 'import sys; print(sys.version.split()[0], sys.abiflags)'))"
    PYTHONPATH="$ROOT/build/dbg" "$venv/bin/python" -X dev "${PYTEST[@]}" -m native tests
}

stage_asan() {
    source "$ROOT/tools/venv.sh"
    local flags="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
    CLUSUPGRADE_CFLAGS="$flags" CLUSUPGRADE_LDFLAGS="-fsanitize=address,undefined" \
        bash tools/stage.sh "$VENV/bin/python" build/asan
    local supp="$ROOT/build/asan/lsan.supp"
    # CPython keeps much of its memory until exit by design; with two frames
    # of allocation context a leak is blamed on the function that called
    # malloc, so clusupgrade's own allocations are never suppressed.
    echo "leak:libpython3" >"$supp"
    local asan_env=(
        LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
        PYTHONMALLOC=malloc PYTHONPATH="$ROOT/build/asan"
    )
    local asan="exitcode=99:malloc_context_size=2:fast_unwind_on_malloc=1:detect_stack_use_after_return=0"
    # One pass per test: ASan+UBSan always, and LeakSanitizer as well in
    # the tests it can scan.  LeakSanitizer stops every thread at exit to
    # scan memory, and gives up with a fatal error when one is still
    # running: the tests that exit with calls in flight (in subprocesses)
    # run without it (native, not lsan, in tests/suites.py).
    echo "check-native: AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer"
    env "${asan_env[@]}" ASAN_OPTIONS="detect_leaks=1:$asan" \
        LSAN_OPTIONS="suppressions=$supp:print_suppressions=0" \
        "$VENV/bin/python" "${PYTEST[@]}" -m lsan tests
    echo "check-native: AddressSanitizer + UndefinedBehaviorSanitizer, the tests that exit with calls in flight"
    env "${asan_env[@]}" ASAN_OPTIONS="detect_leaks=0:$asan" "$VENV/bin/python" "${PYTEST[@]}" \
        -m "native and not lsan" tests
}

stage_valgrind() {
    apt_install valgrind
    source "$ROOT/tools/venv.sh"
    bash tools/stage.sh "$VENV/bin/python" build/valgrind
    local log="$ROOT/build/valgrind/memcheck.%p.log"
    rm -f "$ROOT"/build/valgrind/memcheck.*.log
    echo "check-native: valgrind memcheck"
    PYTHONMALLOC=malloc PYTHONPATH="$ROOT/build/valgrind" CLUSUPGRADE_STRESS_SCALE=0.05 \
        valgrind -q --log-file="$log" --errors-for-leak-kinds=none --trace-children=no \
        --suppressions="$ROOT/tools/valgrind.supp" \
        "$VENV/bin/python" "${PYTEST[@]}" -m valgrind tests
    python3 tools/valgrind_report.py "$ROOT"/build/valgrind/memcheck.*.log
}

for stage in "${STAGES[@]}"; do
    start=$SECONDS
    "stage_$stage"
    echo "check-native: $stage done in $((SECONDS - start))s"
done
