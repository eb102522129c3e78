"""One run of the command: its options, its output, what it is doing now
(so that an interruption is reported truly), and what every subcommand does
the same way: confirm, report each cluster's end, close with a summary."""

from __future__ import annotations

import logging
import re
import shlex
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TextIO

from .. import _clusupgrade
from .._winerror import ERROR_CLUSTER_UPGRADE_IN_PROGRESS
from ..errors import UpgradeTimeoutError
from ..phase import PhaseEvent
from ..simulator import Simulator
from ..target import Target
from .args import Options
from .codes import EXIT_OK, EXIT_RESTART, interrupted_code, worst
from .endings import Ending, restart_line
from .output import Console
from .records import Record, json_line, phase_record, result_record, summary_record
from .render import phase_line, restart_warning, table
from .signals import StopSignals, signal_name, signal_of
from .words import level_text, where

log = logging.getLogger("clusupgrade.cli")

Stage = Literal["setup", "prompt", "info", "check", "raise", "done"]
QUIET_STAGES: dict[Stage, str] = {
    "setup": "before the raise started",
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


def by_signal(signum: int) -> str:
    """A stop signal as people name it: Ctrl+C, Ctrl+Break, SIGTERM, SIGHUP."""
    if signum == signal.SIGINT:
        return "Ctrl+C"
    name = signal_name(signum)
    return "Ctrl+Break" if name == "SIGBREAK" else name


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
    endings: list[Ending] = field(default_factory=list)
    """Every cluster's end so far, in the order they ended."""

    def __post_init__(self) -> None:
        self.console.subject = names_text(self.options.names)
        self.console.plain_stdout = not self.options.json

    @property
    def simulated(self) -> bool:
        return self.options.simulate

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

    def phase(self, event: PhaseEvent, *, performed: bool, width: int | None = None) -> None:
        """One phase as it happens; nothing shown can leave the call."""

        def show() -> None:
            if self.options.json:
                self.emit(phase_record(event, performed=performed, simulated=self.simulated))
            else:
                self.console.say(phase_line(event, width))

        self.observe("a phase", show)

    # Each cluster's end, and the summary --------------------------------

    def ended(self, ending: Ending, lines: Sequence[str] | None = None) -> None:
        """Record, log and show one cluster's end: its result record, and
        `lines` (default: its message) for people."""
        self.endings.append(ending)
        level = logging.WARNING if ending.exit_code not in (0, 7) else logging.INFO
        subject = where(ending.cluster)
        log.log(level, "%s", ending.message if subject in ending.message else f"{subject}: {ending.message}")

        def show() -> None:
            self.emit(result_record(ending, simulated=self.simulated))
            if lines is not None:
                self.conclude(lines)
            elif ending.exit_code in (EXIT_OK, EXIT_RESTART):
                self.conclude([f"{ending.message}."])
            else:
                self.console.tell(f"clusupgrade: {ending.message}")
            rehearsal = self._rehearsal_hint(ending)
            if rehearsal:
                self.console.tell(rehearsal)
            if ending.restart_required:
                self.console.tell(restart_warning(ending.cluster))

        self.observe("a cluster's end", show)

    def _rehearsal_hint(self, ending: Ending) -> str | None:
        """In a rehearsal from an estate file, 5976 comes from the flag a
        stopped rehearsal left in its state file: the cluster log the
        advice names does not exist, --state reset clears it."""
        estate = self.options.estate
        if estate is None or ending.winerror != ERROR_CLUSTER_UPGRADE_IN_PROGRESS:
            return None
        return (f"clusupgrade: in this rehearsal the flag is kept in {estate.path.name}.state.json; to start "
                f"again from the file: clusupgrade {self.options.command} --simulate "
                f"{_shell_word(str(estate.path))} --state reset")

    def finish(self, *, table_view: bool, signum: int | None = None, message: str | None = None,
               order: Sequence[str | None] | None = None) -> int:
        """The closing summary, for one cluster or many; the exit code."""
        endings = self.endings
        if order is not None:
            rank = {name: i for i, name in enumerate(order)}
            endings = sorted(endings, key=lambda e: rank.get(e.cluster, len(rank)))
        code = interrupted_code(signum) if signum is not None else worst(e.exit_code for e in endings)
        signame = None if signum is None else signal_name(signum)

        def show() -> None:
            self.emit(summary_record(endings, command=self.options.command, simulated=self.simulated,
                                     exit_code=code, signal=signame, message=message))
            lines = []
            if table_view:
                lines = ["Summary:", *table(summary_rows(endings)), counts_line(endings) + "."]
            closing = restart_line(endings)
            if closing:
                lines.append(closing)
            self.conclude(lines)

        self.observe("the summary", show)
        return code

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

    def confirm(self, stdin: TextIO | None, rows: Sequence[tuple[str | None, int | None, int | None]]) -> bool:
        """Ask once for every cluster in `rows` (name, level before, level
        after); True when confirmed."""
        self.can_confirm(stdin)
        if self.options.yes:
            return True
        assert stdin is not None
        simulated = " (simulated)" if self.options.simulate else ""
        if len(rows) == 1:
            name, before, after = rows[0]
            question = (f"Raise the functional level of {where(name)}{simulated} from level {level_text(before)} "
                        f"to {level_text(after)}? This cannot be undone.\n")
        else:
            listed = "".join(f"  {name or '(local)'}: from level {level_text(before)} to {level_text(after)}\n"
                             for name, before, after in rows)
            question = f"Raise the functional level of these {len(rows)} clusters{simulated}? " \
                       f"This cannot be undone.\n{listed}"
        self.stage = "prompt"
        if not self.console.err.write(question + "Type 'yes' to go on: "):
            return False  # nobody saw the question
        try:
            answer = stdin.readline()
        except (OSError, ValueError):
            return False
        confirmed = answer.strip().lower() == "yes"
        log.info("%s: confirmation %s", names_text([r[0] for r in rows]), "given" if confirmed else "not given")
        return confirmed

    def quiet_interruption(self, exc: KeyboardInterrupt) -> int:
        """Say that a stop before any raise was sent changed nothing; the
        signal's number."""
        self.signals.quiet()
        signum = signal_of(exc)
        moment = QUIET_STAGES.get(self.stage, "before the raise started")
        lead = "\n" if self.stage == "prompt" else ""
        message = f"interrupted by {by_signal(signum)} {moment}; nothing was changed."
        self.console.tell(f"{lead}clusupgrade: {message}")
        log.warning("%s: %s", self.console.subject, message)
        return signum

    def first_ctrl_c(self, running: Callable[[], Sequence[str | None]], fleet: bool = False) -> Callable[[], None]:
        """What the first Ctrl+C during a raise says (from a signal handler:
        short, one write)."""

        def warn() -> None:
            names = running()
            who = names_text(names) if names else "the clusters"
            more = "; no more clusters will be started" if fleet else ""
            several = len(names) != 1
            text = (f"\nclusupgrade: a raise of {who} is under way and cannot be undone{more}. Still waiting for "
                    f"{'them' if several else 'it'}. Press Ctrl+C again to stop waiting (the "
                    f"{'clusters carry' if several else 'cluster carries'} on).\n")
            self.console.err.write(text)
            log.warning("%s: Ctrl+C during the raise: still waiting", who)

        return warn


def summary_rows(endings: Sequence[Ending]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [("cluster", "outcome", "level before", "level after", "duration")]
    for e in endings:
        before = "-" if e.level_before is None and e.outcome in ("not-started",) else level_cell(e.level_before)
        after = level_cell(e.level_after) if e.performed and e.outcome not in ("not-started", "skipped", "blocked",
                                                                               "not-ready", "not-confirmed") else "-"
        if e.stands == "unknown":  # a level read while the raise went on is not where it ended
            after = level_cell(None)
        took = "-" if e.duration is None else f"{e.duration:.2f} s"
        rows.append((e.cluster or "(local)", e.words, before, after, took))
    return rows


def level_cell(level: int | None) -> str:
    return "unknown" if level is None else str(level)


def counts_line(endings: Sequence[Ending]) -> str:
    counts: dict[str, int] = {}
    for e in endings:
        word = e.words.split(" (")[0]
        counts[word] = counts.get(word, 0) + 1
    return "; ".join(f"{n} {word}" for word, n in counts.items())


def _shell_word(text: str) -> str:
    """`text` as one word to paste: as it is when nothing in it needs
    quoting (a Windows path included), else quoted for PowerShell on
    Windows and for a POSIX shell elsewhere."""
    if re.fullmatch(r"[\w.:\\/+=@%-]+", text):
        return text
    return "'" + text.replace("'", "''") + "'" if sys.platform == "win32" else shlex.quote(text)


def note_simulator(name: str | None, target: Target, outcome: object) -> None:
    """Log what a simulated cluster's callbacks were answered: in a
    rehearsal, the proof that nothing but an explicit abort answers FALSE.
    Not after a timeout: that call was left running, as a cluster's would be."""
    if not isinstance(target, Simulator) or outcome is None or isinstance(outcome, UpgradeTimeoutError):
        return
    if not target.wait(5.0):
        return
    answers = ", ".join("TRUE" if answer else "FALSE" for answer in target.answers)
    log.info("%s (simulated): its callbacks were answered %s", where(name), answers or "nothing")
