"""The clusupgrade command's exit codes, and which outcome earns which.

One code per kind of outcome, so that a script can tell "fix the cluster
first" from "could not reach it" from "it failed" without parsing text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
EXIT_OUTPUT_FAILED: Final = 6
SIGNAL_BASE: Final = 128
"""An explicit request to stop exits 128 + the signal's number, as shells do."""

NOT_READY: Final = FIX_FIRST
"""Codes that mean "fix the cluster first" (outcome.FIX_FIRST): nothing was
changed."""

UNREACHABLE: Final = frozenset({1722, 1726, 1753})
"""RPC_S_SERVER_UNAVAILABLE, RPC_S_CALL_FAILED, EPT_S_NOT_REGISTERED."""

ACCESS_DENIED: Final = 5

SEVERITY: Final = (EXIT_FAILED, EXIT_UNREACHABLE, EXIT_NOT_READY, EXIT_OK)
"""With several clusters, the code of the worst outcome, worst first: a call
that failed part-way needs a look before one that never reached its cluster,
and that before a cluster that is not ready yet."""


def interrupted_code(signum: int) -> int:
    return SIGNAL_BASE + signum


EXIT_TABLE: Final = (
    (str(EXIT_OK), "success; 5975 too: the level WAS raised, and the cluster (not a node) needs a restart: "
     "Stop-Cluster, then Start-Cluster (downtime)"),
    (str(EXIT_FAILED), "the call failed or timed out, or it succeeded but the level did not move"),
    (str(EXIT_USAGE), "usage error, nothing was sent (also: no terminal to confirm on, add --yes)"),
    (str(EXIT_NOT_READY), "not ready, fix the cluster first: a blocker the preflight found, or 5973, 5974, 5976, 5050, "
     "5070, 5072, 5073, 5980, 5037"),
    (str(EXIT_UNREACHABLE), "unreachable (1722, 1726, 1753), access denied (5), or no clusapi.dll here"),
    (str(EXIT_NOT_CONFIRMED), "the confirmation was not given: nothing was changed"),
    (str(EXIT_OUTPUT_FAILED), "output failed (broken pipe, closed stdout, disk full); the call ran to its end"),
    (str(SIGNAL_BASE + 2), "interrupted by Ctrl+C (SIGINT)"),
    (str(SIGNAL_BASE + 15), "interrupted by SIGTERM"),
    (str(SIGNAL_BASE + 1), "interrupted by SIGHUP (POSIX)"),
    (str(SIGNAL_BASE + 21), "interrupted by Ctrl+Break (Windows: SIGBREAK)"),
)
"""(code, meaning) for --help and the README."""


def exit_table_text() -> str:
    """The exit codes as --help shows them."""
    lines = ["exit codes:"]
    lines += [f"  {code:>3}  {meaning}" for code, meaning in EXIT_TABLE]
    lines.append("  With several clusters: the worst outcome's code (1, then 4, then 3).")
    lines.append("  Output failed wins over the outcome; an interruption wins over both.")
    return "\n".join(lines)


@dataclass(frozen=True)
class Verdict:
    """What one cluster's call came to."""

    outcome: str
    """A word for scripts: "ready", "raised", "not-ready", "failed", ..."""
    exit_code: int
    sentence: str
    """The same for people, naming the cluster."""

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK


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


def error_verdict(err: ClusterUpgradeError) -> Verdict:
    outcome, code = error_outcome(err)
    return Verdict(outcome, code, str(err))


def worst(codes: Iterable[int]) -> int:
    """The exit code for several clusters' outcomes."""
    seen = set(codes)
    for code in SEVERITY:
        if code in seen:
            return code
    return EXIT_OK
