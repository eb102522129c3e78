"""The clusupgrade command's exit codes, and which outcome earns which.

One code per kind of outcome, so that a script can tell "fix the cluster
first" from "could not reach it" from "it failed" without parsing text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from .._winerror import name_of
from ..errors import ClusapiUnavailableError, ClusterUpgradeError, UpgradeTimeoutError
from ..outcome import FIX_FIRST

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_NOT_READY: Final = 3
EXIT_UNREACHABLE: Final = 4
EXIT_NOT_CONFIRMED: Final = 5
EXIT_RESTART: Final = 7
"""Raised, and the cluster needs a restart (5975)."""
EXIT_UNKNOWN: Final = 8
"""Where the cluster stands is unknown: a raise was sent, and neither its
end nor a read of the cluster's level afterwards tells whether it moved."""
SIGNAL_BASE: Final = 128
"""An explicit request to stop exits 128 + the signal's number, as shells do."""

NOT_READY: Final = FIX_FIRST
"""Codes that mean "fix the cluster first" (outcome.FIX_FIRST): nothing was
changed."""

UNREACHABLE: Final = frozenset({1722, 1726, 1753})
"""RPC_S_SERVER_UNAVAILABLE, RPC_S_CALL_FAILED, EPT_S_NOT_REGISTERED."""

ACCESS_DENIED: Final = 5

SEVERITY: Final = (EXIT_FAILED, EXIT_UNKNOWN, EXIT_UNREACHABLE, EXIT_NOT_READY, EXIT_NOT_CONFIRMED, EXIT_RESTART,
                   EXIT_OK)
"""With several clusters, the code of the worst outcome, worst first: a call
that failed part-way needs a look first, then a cluster whose state is
unknown, then one that was never reached, one that is not ready yet, (the
raises not confirmed), and one that was raised but needs a restart."""

COUNTS_AS_FAILURE: Final = frozenset({EXIT_FAILED, EXIT_UNKNOWN, EXIT_UNREACHABLE})
"""What --max-failures counts: a raise that failed or timed out, one whose
outcome is unknown, a cluster that could not be reached.  A cluster that is
not ready (or blocked by its preflight) is not a failure: it refused before
anything was changed, which is what a preflight is for."""


def interrupted_code(signum: int) -> int:
    return SIGNAL_BASE + signum


EXIT_TABLE: Final = (
    (str(EXIT_OK), "raised, nothing to raise, or the check passed"),
    (str(EXIT_FAILED), "the call failed or timed out, or it succeeded but the level did not move"),
    (str(EXIT_USAGE), "usage error, nothing was changed (also: a raise with no terminal to confirm it on: add --yes)"),
    (str(EXIT_NOT_READY), "not ready, fix the cluster first: the cluster refused (5973, 5974, 5976, 5980, 5037, "
     "5050, 5070, 5072, 5073), or the preflight found a blocker"),
    (str(EXIT_UNREACHABLE), "unreachable (1722, 1726, 1753), access denied (5), or no clusapi.dll here"),
    (str(EXIT_NOT_CONFIRMED), "the confirmation was not given: nothing was changed"),
    (str(EXIT_RESTART), "raised, and the cluster needs a restart (5975): Stop-Cluster, then Start-Cluster"),
    (str(EXIT_UNKNOWN), "state unknown: a raise was sent and a read of the level afterwards did not tell"),
    ("128+n", "interrupted by signal n: 130 Ctrl+C, 143 SIGTERM, 129 SIGHUP, 149 Ctrl+Break"),
)
"""(code, meaning) for --help and the README."""


def exit_table_text() -> str:
    """The exit codes as --help shows them."""
    lines = ["exit codes:"]
    lines += [f"  {code:>5}  {meaning}" for code, meaning in EXIT_TABLE]
    lines.append("  Several clusters: the worst outcome's code, in the order 1, 8, 4, 3, 5, 7, 0.")
    lines.append("  A failed output (closed pipe, full disk) never changes the code.")
    return "\n".join(lines)


def code_name(code: int) -> str | None:
    """The symbolic name of a Win32 code, or None."""
    return name_of(code)


def error_outcome(err: ClusterUpgradeError) -> tuple[str, int]:
    """(outcome word, exit code) for a call that raised `err`."""
    if isinstance(err, UpgradeTimeoutError):
        return "timed-out", EXIT_FAILED
    if isinstance(err, ClusapiUnavailableError):
        return "no-clusapi", EXIT_UNREACHABLE
    if err.winerror in NOT_READY:
        return "not-ready", EXIT_NOT_READY
    if err.winerror in UNREACHABLE:
        return "unreachable", EXIT_UNREACHABLE
    if err.winerror == ACCESS_DENIED:
        return "access-denied", EXIT_UNREACHABLE
    return "failed", EXIT_FAILED


def worst(codes: Iterable[int]) -> int:
    """The exit code for several clusters' outcomes."""
    seen = set(codes)
    for code in SEVERITY:
        if code in seen:
            return code
    return EXIT_OK
