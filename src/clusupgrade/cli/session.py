"""One run of the command: its options, its output, what it is doing now
(so that an interruption is reported truly), and what every subcommand does
the same way: confirm, report an error, say how it ended."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TextIO

from .. import _clusupgrade
from ..errors import ClusterUpgradeError, UpgradeTimeoutError
from ..simulator import Simulator
from ..target import Target
from .args import Options
from .codes import Verdict, error_verdict, interrupted_code
from .output import Console
from .render import Record, error_record, error_words, json_line, where
from .signals import StopSignals, signal_name, signal_of

log = logging.getLogger("clusupgrade.cli")

Stage = Literal["setup", "prompt", "info", "check", "raise", "done"]
QUIET_STAGES: dict[Stage, str] = {
    "setup": "before the call started",
    "prompt": "at the confirmation prompt",
    "info": "while reading the cluster's information",
    "check": "during the check",
}
"""Moments at which an interruption has certainly changed nothing."""


class NoTerminal(Exception):
    """Confirmation is needed and nobody can give it: a usage error."""


def names_text(names: Sequence[str | None]) -> str:
    """Every cluster, for log lines and messages."""
    if len(names) == 1:
        return where(names[0])
    return "clusters " + ", ".join(repr(n) if n else "(local)" for n in names)


def can_prompt(stdin: TextIO | None) -> bool:
    """Whether a person can answer on `stdin`.  None (``<&-``, pythonw, some
    scheduled tasks) cannot; on Windows NUL says it is a tty, so the console
    itself is asked."""
    if stdin is None:
        return False
    try:
        if not stdin.isatty():
            return False
    except (OSError, ValueError):
        return False
    return stdin is not sys.stdin or _clusupgrade.stdin_is_terminal()


@dataclass
class Session:
    console: Console
    options: Options
    signals: StopSignals
    stage: Stage = "setup"

    def __post_init__(self) -> None:
        self.console.subject = names_text(self.options.names)
        self.console.plain_stdout = not self.options.json

    # Output -----------------------------------------------------------

    def emit(self, record: Record) -> None:
        """One JSON record, with --json."""
        if self.options.json:
            self.console.out.write(json_line(record) + "\n")

    def show(self, text: str) -> None:
        """A line for people, without --json."""
        if not self.options.json:
            self.console.say(text)

    def observe(self, what: str, show: Callable[[], None]) -> None:
        """Run `show`; whatever it raises (but an explicit stop) is a failed
        output, never a reason to leave the call."""
        try:
            show()
        except Exception as exc:
            self.console.output_broke(what, exc)

    def conclude(self, lines: Sequence[str]) -> None:
        """The outcome for people: on stdout, and on stderr too once stdout
        has failed, so that it is seen somewhere."""
        for line in lines:
            self.show(line)
        if self.console.out.failed:
            for line in lines:
                self.console.tell(f"clusupgrade: {line}")

    # Steps ------------------------------------------------------------

    def can_confirm(self, stdin: TextIO | None) -> None:
        """Raise NoTerminal when confirmation is needed and nobody can give
        it: called before anything is sent."""
        if self.options.yes:
            return
        if self.options.names_from_stdin:
            raise NoTerminal("the cluster names were read from stdin, so it cannot confirm; add --yes")
        if not can_prompt(stdin):
            raise NoTerminal("refusing to raise the level without confirmation: stdin is not a terminal; add --yes")

    def confirm(self, stdin: TextIO | None, names: Sequence[str | None], known: str = "") -> bool:
        """Ask once for every cluster in `names`; True when confirmed.
        `known` is what the cluster said of the raise ("from level 11 to
        12"), for one cluster."""
        self.can_confirm(stdin)
        if self.options.yes:
            return True
        assert stdin is not None
        simulated = " (simulated)" if self.options.simulate else ""
        if len(names) == 1:
            question = f"Raise the functional level of {where(names[0])}{simulated}{known}? This cannot be undone.\n"
        else:
            listed = "".join(f"  {name}\n" for name in names)
            question = f"Raise the functional level of these {len(names)} clusters{simulated}? " \
                       f"This cannot be undone.\n{listed}"
        self.stage = "prompt"
        if not self.console.err.write(question + "Type 'yes' to go on: "):
            return False  # nobody saw the question
        try:
            answer = stdin.readline()
        except (OSError, ValueError):
            return False
        confirmed = answer.strip().lower() == "yes"
        log.info("%s: confirmation %s", names_text(names), "given" if confirmed else "not given")
        return confirmed

    def not_confirmed(self) -> None:
        self.console.tell("Not confirmed; nothing was changed.")
        self.emit({"event": "not-confirmed", "message": "Not confirmed; nothing was changed."})

    def failed(self, err: ClusterUpgradeError, performed: bool, extra: Record | None = None) -> Verdict:
        """Report a call that failed (its record, with `extra`, and its words
        on stderr); its verdict."""

        def show() -> None:
            self.emit({**error_record(err, performed), **(extra or {})})
            self.console.tell(f"clusupgrade: {error_words(err)}")

        self.observe("an error", show)
        return error_verdict(err)

    def interrupted(self, exc: KeyboardInterrupt, running: Sequence[str | None] = ()) -> int:
        """Say what an explicit stop did at this moment; its exit code."""
        self.signals.quiet()
        signum = signal_of(exc)
        by = "Ctrl+C" if signum == signal.SIGINT else signal_name(signum)
        changed: bool | None = False
        if not self.options.perform or self.stage in QUIET_STAGES:
            moment = QUIET_STAGES.get(self.stage, "")
            message = f"interrupted by {by}{' ' + moment if moment else ''}; nothing was changed."
        elif self.stage == "raise":
            changed = None
            who = running or self.options.names
            may = "the cluster" if len(who) == 1 else "a cluster that has started"
            message = (
                f"interrupted by {by} while raising the functional level of {names_text(who)}: later "
                f"phases are answered FALSE, but {may} may still finish the upgrade "
                "(Get-Cluster | Select ClusterFunctionalLevel shows it)."
            )
        else:
            changed = None
            message = f"interrupted by {by} after the call ended; its outcome is above and in the log."
        code = interrupted_code(signum)
        lead = "\n" if self.stage == "prompt" else ""
        self.console.tell(f"{lead}clusupgrade: {message}")
        log.warning("%s: %s", self.console.subject, message)
        self.emit({
            "event": "interrupted",
            "signal": signal_name(signum),
            "exit_code": code,
            "stage": self.stage,
            "changed": changed,
            "clusters": list(running or self.options.names),
            "message": message,
        })
        return code


def note_simulator(name: str | None, target: Target, outcome: object) -> None:
    """Log what a simulated cluster's callbacks were answered: in a
    rehearsal, the proof that only an explicit stop answers FALSE.  Not
    after a timeout: that call was left running, as a cluster's would be."""
    if not isinstance(target, Simulator) or outcome is None or isinstance(outcome, UpgradeTimeoutError):
        return
    if not target.wait(5.0):
        return
    answers = ", ".join("TRUE" if answer else "FALSE" for answer in target.answers)
    log.info("%s (simulated): its callbacks were answered %s", where(name), answers or "nothing")
