"""The command line: subcommands, their options, and every check on them.

Every argument is checked here, before the confirmation prompt and before
anything reaches a cluster.  Messages name the option as the user typed it
and end with the subcommand's usage line (argparse's ``error()``); a Python
parameter name never shows.
"""

from __future__ import annotations

import argparse
import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

from .. import _clusupgrade, _validate, textfile
from ..estate import EXAMPLE_PREFIX, Estate, EstateError, example_path, examples, load_estate
from ..estatetie import STATE_MODES
from ..fleet import MAX_PARALLEL
from ..phase import Phase
from ..simulator import MAX_DELAY, SCENARIOS, Simulator
from ..target import Target
from .cluster import DEFAULT_DELAY, SimSettings, file_scripts_raise, model_of, simulated
from .codes import exit_table_text
from .words import where

T = TypeVar("T")
Scoped = tuple[str | None, T]
"""A simulation setting for every cluster (None) or for one (its name)."""

MAX_TIMEOUT = 7 * 86400.0
"""A week: no raise takes longer, and a larger number is a typo."""
SIMULATED = "simulated"
"""The name of the simulated cluster when --cluster is not given."""
DEFAULT_PARALLEL = 8


def version_text() -> str:
    from .. import __version__

    return f"clusupgrade {__version__} (cluster backend: {_clusupgrade.CLUSAPI})"


# --------------------------------------------------------------------------
# Values.  Each raises ValueError with words for people; argparse puts
# "argument --option:" in front.


def cluster_name(text: str) -> str:
    if not text:
        raise ValueError("a cluster name must not be empty (leave --cluster out for the local cluster)")
    if text.isspace():
        raise ValueError(f"{text!r} is only spaces, not a cluster name")
    if any(c.isspace() for c in text):
        raise ValueError(f"{text!r} contains a space; a cluster name has none")
    if "," in text:
        raise ValueError(f"{text!r} contains a comma; give one cluster name at a time")
    return _validate.cluster_name(text, "a cluster name")


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not {what}") from None
    if math.isnan(value):
        raise ValueError(f"{text!r} is not {what}")
    return value


def timeout(text: str) -> float:
    seconds = _number(text, "a number of seconds")
    if seconds <= 0:  # -0.0 too
        raise ValueError(
            f"must be more than 0 seconds, got {text!r}: a call abandoned the instant it starts helps "
            "no one (leave --timeout out for no limit)"
        )
    if seconds > MAX_TIMEOUT:
        raise ValueError(f"must be at most {MAX_TIMEOUT:.0f} seconds (a week), got {text!r}")
    return seconds


def delay(text: str) -> float:
    seconds = _number(text, "a number of seconds")
    if not 0 <= seconds <= MAX_DELAY:
        raise ValueError(f"must be from 0 to {MAX_DELAY:.0f} seconds, got {text!r}")
    return seconds


def _integer(text: str, low: int, high: int, what: str) -> int:
    try:
        value = int(text, 16) if text.strip().lower().startswith("0x") else int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not {what}") from None
    if not low <= value <= high:
        raise ValueError(f"must be from {low} to {high}, got {text!r}")
    return value


def win32_code(text: str) -> int:
    return _integer(text, 0, _validate.MAX_DWORD, "a Win32 error code")


def phase_count(text: str) -> int:
    try:
        return _integer(text, 0, len(Phase), "a number of phases")
    except ValueError as exc:
        raise ValueError(f"{exc} (a simulated upgrade reports {len(Phase)} phases)") from None


def level(text: str) -> int:
    return _integer(text, 1, 0xFFFF, "a functional level")


def parallel(text: str) -> int:
    return _integer(text, 1, MAX_PARALLEL, "a number of clusters")


def failures(text: str) -> int:
    return _integer(text, 1, 2**31 - 1, "a number of failures")


def scoped(parse: Callable[[str], T]) -> Callable[[str], Scoped[T]]:
    """VALUE for every cluster, or NAME=VALUE for one."""

    def parse_scoped(text: str) -> Scoped[T]:
        name, sep, value = text.rpartition("=")
        if not sep:
            return None, parse(value)
        if not name:
            raise ValueError(f"{text!r} has no cluster name before '='")
        return cluster_name(name), parse(value)

    return parse_scoped


def unscoped(parse: Callable[[str], T]) -> Callable[[str], Scoped[T]]:
    """VALUE for the one cluster (info)."""

    def parse_unscoped(text: str) -> Scoped[T]:
        return None, parse(text)

    return parse_unscoped


def _argparse_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """`parse` with its ValueError turned into argparse's error message."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


# --------------------------------------------------------------------------
# The parser.

FORMATTER = argparse.RawDescriptionHelpFormatter


class Parser(argparse.ArgumentParser):
    """argparse's parser, with a help or usage text that cannot be written
    (`clusupgrade --help | true`) ignored, as CPython's own argparse does
    from 3.11.7 on: 3.11.2 (Debian 12's) lets BrokenPipeError out of
    print_help() with a traceback.  Subparsers are made of the same class."""

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        try:
            super()._print_message(message, file)
        except OSError:
            pass


def _wrap(text: str) -> str:
    return "\n\n".join(textwrap.fill(" ".join(p.split()), 79) for p in text.strip().split("\n\n"))


DESCRIPTION = """
Check and raise a Windows Server failover cluster's functional level, the last
step of a Cluster OS Rolling Upgrade, phase by phase. Add --simulate to
rehearse on a simulated cluster, on any machine.
"""
TOP_EXAMPLES = """
examples:
  clusupgrade info --simulate
  clusupgrade check --simulate --scenario not-upgraded
  clusupgrade run --simulate --yes
"""
RUN_DESCRIPTION = """
Raise the functional level of one or more clusters by one level. This cannot
be undone. Each cluster is checked first (nothing to raise, not ready or
blocked: not raised), then it asks, unless --yes. During a raise, a first
Ctrl+C keeps waiting; a second stops waiting (the cluster carries on).
"""
RUN_EXAMPLES = """
examples:
  clusupgrade run --simulate --yes                rehearse on a simulated cluster
  clusupgrade run --cluster hv-cluster            raise one cluster, after a prompt
  clusupgrade run --clusters-from prod.txt --yes --json --max-failures 1
"""
CHECK_DESCRIPTION = """
Ask one or more clusters whether their functional level can be raised.
Changes nothing. Each cluster is read as well (a preflight): ready or not,
the level a raise would reach, and each blocker, naming the node and the
remedy.
"""
CHECK_EXAMPLES = """
examples:
  clusupgrade check --simulate --scenario node-paused
  clusupgrade check --cluster hv-cluster
  clusupgrade check --clusters-from prod.txt --json
"""
INFO_DESCRIPTION = """
Show what a cluster says about itself: its name, functional level, versions
and nodes. Changes nothing.
"""
INFO_EXAMPLES = """
examples:
  clusupgrade info --simulate
  clusupgrade info --cluster hv-cluster --json
"""


def _add_output(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument("--json", action="store_true", help="one JSON object per line on stdout, nothing else")
    group.add_argument(
        "-v", "--verbose", action="store_true", help="show the log on stderr (each line names its cluster)"
    )
    group.add_argument(
        "--log-file", metavar="PATH", type=Path, help="append the log to PATH (a transcript)"
    )


def _add_clusters(parser: argparse.ArgumentParser, *, several: bool) -> None:
    group = parser.add_argument_group("clusters")
    name = _argparse_type(cluster_name)
    if not several:
        group.add_argument("--cluster", metavar="NAME", type=name, action="append",
                           help="the cluster's name (default: the local cluster)")
        parser.add_argument_group("the call").add_argument(
            "--timeout", metavar="S", type=_argparse_type(timeout), help="stop waiting for the cluster after S seconds"
        )
        return
    group.add_argument("--cluster", metavar="NAME", type=name, action="append",
                       help="a cluster's name; repeat for several (default: the local cluster)")
    group.add_argument("--clusters-from", metavar="FILE", action="append",
                       help="read cluster names from FILE, one a line ('#' starts a comment; UTF-8, or UTF-16 "
                       "with a BOM); '-' reads stdin; may be given more than once")
    group.add_argument("--all-clusters", action="store_true",
                       help="with --simulate FILE: every cluster the estate file describes")
    call = parser.add_argument_group("the call")
    call.add_argument("--timeout", metavar="S", type=_argparse_type(timeout),
                      help="stop waiting for a call after S seconds (it goes on)")
    if parser.prog.endswith(" run"):
        call.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
        call.add_argument("--ignore-blockers", action="store_true",
                          help="raise despite the preflight's blockers")
        call.add_argument("--force", action="store_true", help=argparse.SUPPRESS)
    fleet = parser.add_argument_group("several clusters")
    fleet.add_argument("--max-parallel", metavar="N", type=_argparse_type(parallel), default=DEFAULT_PARALLEL,
                       help=f"at most N calls at once ({DEFAULT_PARALLEL})")
    fleet.add_argument("--max-failures", metavar="N", type=_argparse_type(failures),
                       help="stop starting clusters after N failures")
    if parser.prog.endswith(" run"):
        fleet.add_argument("--check-first", action="store_true",
                           help="raise none unless every cluster is ready")
        fleet.add_argument("--only-ready", action="store_true",
                           help="with --check-first: raise the ready ones anyway")


def _add_simulation(parser: argparse.ArgumentParser, *, call: bool) -> None:
    """--simulate and what describes the simulated cluster: for check and
    run VALUE for every cluster or NAME=VALUE for one, for info VALUE."""
    group = parser.add_argument_group(
        "simulation", "VALUE applies to every simulated cluster, NAME=VALUE to one" if call else None
    )
    group.add_argument("--simulate", metavar="FILE", nargs="?", const=True, default=False,
                       help=f"use {'simulated clusters' if call else 'a simulated cluster'} instead of clusapi.dll; "
                       "with FILE, the clusters an estate file describes (docs/rehearsal.md), or "
                       f"example:NAME for one shipped with clusupgrade ({', '.join(examples())})")
    group.add_argument("--state", choices=STATE_MODES, default=None,
                       help="with --simulate FILE: keep the levels and in-progress flags between commands "
                       "beside FILE (keep, the default), forget them and start from FILE (reset), or read "
                       "them and write nothing (read-only, the default for example:NAME)")

    def option(flag: str, metavar: str, parse: Callable[[str], object], helptext: str) -> None:
        convert = scoped(parse) if call else unscoped(parse)
        group.add_argument(flag, metavar=f"[NAME=]{metavar}" if call else metavar, action="append",
                           type=_argparse_type(convert), help=helptext)

    option("--scenario", "SCENARIO", _scenario, f"a named simulated cluster: {', '.join(SCENARIOS)} (ready)")
    option("--level", "N", level, "the simulated cluster's functional level (the scenario's; ready: 11)")
    option("--delay", "S", delay, f"seconds between simulated phases, and before a simulated read answers "
           f"({DEFAULT_DELAY})")
    if not call:
        return
    option("--fail-code", "CODE", win32_code,
           "the Win32 code the simulated check (check) or raise (run) ends with, whatever the model says "
           "(default: the model decides; run's preflight always asks the model)")
    option("--fail-after", "K", phase_count, "the simulated check or raise fails after K phases")


def _scenario(text: str) -> str:
    if text not in SCENARIOS:
        raise ValueError(f"{text!r} is not a scenario; choose from {', '.join(SCENARIOS)}")
    return text


def build() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser, and each subcommand's parser by name."""
    epilog = exit_table_text()
    parser = Parser(
        prog="clusupgrade", description=_wrap(DESCRIPTION),
        epilog=TOP_EXAMPLES.strip("\n") + "\n\n" + epilog + "\n\nSee 'clusupgrade COMMAND --help'.",
        formatter_class=FORMATTER, allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=version_text())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    subparsers: dict[str, argparse.ArgumentParser] = {}
    for name, helptext, description, sample in (
        ("info", "show the cluster's name, versions, functional level and nodes", INFO_DESCRIPTION, INFO_EXAMPLES),
        ("check", "ask whether the level can be raised (changes nothing)", CHECK_DESCRIPTION, CHECK_EXAMPLES),
        ("run", "raise the functional level (cannot be undone)", RUN_DESCRIPTION, RUN_EXAMPLES),
    ):
        subparsers[name] = sub.add_parser(
            name, help=helptext, description=_wrap(description),
            epilog=sample.strip("\n") + "\n\nExit codes: 'clusupgrade --help'.",
            formatter_class=FORMATTER, allow_abbrev=False,
        )
    info, check, run = subparsers["info"], subparsers["check"], subparsers["run"]
    _add_clusters(info, several=False)
    for call in (check, run):
        _add_clusters(call, several=True)
    for each in (info, check, run):
        _add_output(each)
    _add_simulation(info, call=False)
    for call in (check, run):
        _add_simulation(call, call=True)
    return parser, subparsers


# --------------------------------------------------------------------------
# From argparse's namespace to checked options.


@dataclass(frozen=True)
class Options:
    """A command line, checked."""

    command: str
    names: tuple[str | None, ...]
    """The clusters, in order; (None,) for the local cluster."""
    json: bool = False
    verbose: bool = False
    log_file: Path | None = None
    timeout: float | None = None
    simulate: bool = False
    sim: dict[str, SimSettings] = field(default_factory=dict)
    yes: bool = False
    ignore_blockers: bool = False
    check_first: bool = False
    only_ready: bool = False
    max_parallel: int = DEFAULT_PARALLEL
    max_failures: int | None = None
    names_from_stdin: bool = False
    estate: Estate[Simulator] | None = None
    """The estate file of --simulate FILE."""

    @property
    def perform(self) -> bool:
        return self.command == "run"

    @property
    def fleet(self) -> bool:
        """Several clusters, or a run that checks first: the fleet view."""
        return len(self.names) > 1 or self.check_first

    def target(self, name: str | None) -> Target:
        if not self.simulate:
            return name
        assert name is not None
        return simulated(name, self.sim.get(name, SimSettings()), self.estate, command=self.command)

    def scripted(self, name: str | None) -> bool:
        """--fail-code or --fail-after (or the estate file) decide this
        simulated cluster's call."""
        if not self.simulate or name is None:
            return False
        return self.sim.get(name, SimSettings()).scripted or file_scripts_raise(self.estate, name)

    def model(self, name: str | None, target: Target) -> Target:
        """What run's preflight asks: `target` itself, or for a simulated
        cluster whose raise is scripted, the same cluster without the
        script (its model)."""
        if name is None or not self.scripted(name):
            return target
        return model_of(name, self.sim.get(name, SimSettings()), self.estate)


class Invalid(Exception):
    """An argument that argparse's types cannot judge alone."""


Listed = tuple[str, str]
"""(a cluster name, where it was given: "--cluster" or "--clusters-from FILE, line N")"""


def _read_text(source: str, stdin: TextIO | None) -> tuple[str, str]:
    """(the text of --clusters-from `source`, how to name it)."""
    if source == "-":
        if stdin is None:
            raise Invalid("--clusters-from -: there is no stdin to read names from")
        buffer = getattr(stdin, "buffer", None)
        try:
            text = textfile.decode(buffer.read(), "stdin") if buffer is not None else stdin.read()
        except ValueError as exc:
            raise Invalid(f"--clusters-from {exc}") from None
        return text, "stdin"
    try:
        data = Path(source).read_bytes()
    except OSError as exc:
        raise Invalid(f"--clusters-from: cannot read {source!r}: {exc.strerror or exc}") from None
    try:
        return textfile.decode(data, repr(source)), repr(source)
    except ValueError as exc:
        raise Invalid(f"--clusters-from {exc}") from None


def _read_names(source: str, stdin: TextIO | None) -> list[Listed]:
    text, origin = _read_text(source, stdin)
    names = []
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            names.append((cluster_name(entry), f"--clusters-from {origin}, line {number}"))
        except ValueError as exc:
            raise Invalid(f"--clusters-from {origin}, line {number}: {exc}") from None
    if not names:
        raise Invalid(f"--clusters-from {origin}: no cluster names in it")
    return names


def _distinct(listed: list[Listed]) -> None:
    """No cluster twice: names ignore case, and a short name beside its
    FQDN (hv1 and hv1.contoso.com) is most likely the same cluster."""
    seen: dict[str, Listed] = {}
    for name, origin in listed:
        key = name.casefold()
        if key in seen:
            first, where_first = seen[key]
            raise Invalid(f"cluster {name!r} is listed twice ({where_first}: {first!r}; {origin}: {name!r}); "
                          "cluster names are not case-sensitive")
        seen[key] = (name, origin)
    for key, (name, origin) in seen.items():
        short = key.split(".", 1)[0]
        if short != key and short in seen:
            other, where_other = seen[short]
            raise Invalid(f"{other!r} ({where_other}) and {name!r} ({origin}) are most likely the same cluster "
                          "(a short name and its FQDN): list it once")


def _names(ns: argparse.Namespace, stdin: TextIO | None, estate: Estate[Simulator] | None) -> tuple[str | None, ...]:
    listed: list[Listed] = [(name, "--cluster") for name in ns.cluster or []]
    for source in getattr(ns, "clusters_from", None) or []:
        listed += _read_names(source, stdin)
    if getattr(ns, "all_clusters", False):
        if estate is None:
            raise Invalid("--all-clusters needs --simulate FILE: it means every cluster the estate file describes")
        if listed:
            raise Invalid("--all-clusters selects every cluster of the estate file: leave out --cluster and "
                          "--clusters-from")
        listed = [(name, "--all-clusters") for name in estate.names]
    if ns.command == "info" and len(listed) > 1:
        raise Invalid("info shows one cluster; --cluster is given more than once")
    _distinct(listed)
    if estate is not None:
        return _estate_names(ns, estate, listed)
    if listed:
        return tuple(name for name, _ in listed)
    return (SIMULATED,) if ns.simulate else (None,)


def _estate_names(ns: argparse.Namespace, estate: Estate[Simulator], listed: list[Listed]) -> tuple[str, ...]:
    """The selected clusters of the estate file, as the file spells them."""
    has = ", ".join(estate.names)
    if not listed:
        if len(estate.names) == 1:
            return estate.names
        how = "--cluster NAME" if ns.command == "info" else "--cluster NAME, --clusters-from FILE or --all-clusters"
        raise Invalid(f"{ns.simulate} describes {len(estate.names)} clusters; choose with {how}: {has}")
    names = []
    for name, origin in listed:
        try:
            names.append(estate.lookup(name))
        except EstateError:
            raise Invalid(f"{origin}: {ns.simulate} has no cluster named {name!r}; it has: {has}") from None
    return tuple(names)


def _estate(ns: argparse.Namespace) -> Estate[Simulator] | None:
    """The estate file of --simulate FILE, checked, with its state opened
    as --state says; None for plain --simulate (or none)."""
    source = ns.simulate
    state = getattr(ns, "state", None)
    if not isinstance(source, str):
        if state is not None:
            raise Invalid("--state applies only with --simulate FILE: the built-in simulated cluster keeps no state")
        return None
    if getattr(ns, "scenario", None):
        raise Invalid("--scenario describes a built-in simulated cluster; with --simulate FILE the file "
                      "describes the clusters (the scenarios are shipped as example:NAME files)")
    if source.startswith(EXAMPLE_PREFIX):
        name = source[len(EXAMPLE_PREFIX):]
        if state not in (None, "read-only"):
            raise Invalid(f"--state {state}: {source} is shipped with clusupgrade and keeps no state; copy it "
                          "to rehearse with state kept (docs/rehearsal.md)")
        try:
            path = example_path(name)
        except EstateError as exc:
            raise Invalid(f"--simulate {source}: {exc}") from None
        state = "read-only"
    else:
        path = Path(source)
    try:
        return load_estate(path, state=state or "keep")
    except EstateError as exc:
        message = str(exc).replace("(state='read-only', --state read-only)", "(--state read-only)")
        raise Invalid(f"--simulate: {message}") from None


SIM_OPTIONS = (("--delay", "delay", "delay"), ("--fail-code", "fail_code", "status"),
               ("--fail-after", "fail_after", "fail_after"), ("--scenario", "scenario", "scenario"),
               ("--level", "level", "level"))
"""(option, argparse's attribute, SimSettings field) for the scoped settings."""


def _sim(ns: argparse.Namespace, names: Sequence[str | None]) -> dict[str, SimSettings]:
    """Each simulated cluster's settings, from VALUE and NAME=VALUE options."""
    by_key = {name.casefold(): name for name in names if name is not None}
    settings: dict[str, dict[str, object]] = {name: {} for name in by_key.values()}
    for option, attribute, key in SIM_OPTIONS:
        given: list[Scoped[object]] = getattr(ns, attribute, None) or []
        if given and not ns.simulate:
            raise Invalid(f"{option} applies only with --simulate")
        scopes = [None if scope is None else scope.casefold() for scope, _ in given]
        twice = next((scope for scope in scopes if scopes.count(scope) > 1), False)
        if twice is not False:
            raise Invalid(f"{option} is given twice for {'every cluster' if twice is None else repr(twice)}")
        # VALUE first, so that NAME=VALUE wins whatever the order.
        for scope, value in sorted(given, key=lambda item: item[0] is not None):
            targets = list(settings.values())
            if scope is not None:
                name = by_key.get(scope.casefold())
                if name is None:
                    listed = ", ".join(repr(n) for n in by_key.values())
                    raise Invalid(f"{option} {scope}=...: {scope!r} is not one of the clusters ({listed})")
                targets = [settings[name]]
            for values in targets:
                values[key] = value
    return {name: SimSettings(**values) for name, values in settings.items()}  # type: ignore[arg-type]


def _fits(name: str, settings: SimSettings, estate: Estate[Simulator] | None, command: str) -> None:
    """The simulated cluster's settings checked before anything runs, and
    --fail-after said as the option it is: a fault comes after at most as
    many phases as the call reports.  --level is not held to the nodes:
    the build rule binds estate files only (a level an option gives may
    rehearse a cluster that a file could not describe)."""
    fail_after = settings.fail_after
    try:
        # Built without --fail-after first, so that its range is said as the
        # option's; with no --fail-after that build is the whole check.
        plain = simulated(name, replace(settings, fail_after=None), estate, command=command)
        if fail_after is None:
            return
        call, phases = ("check", plain.check_phases) if command == "check" else ("raise", plain.phases)
        if fail_after > len(phases):
            raise Invalid(f"--fail-after {fail_after}: the simulated {call} of {where(name)} reports "
                          f"{len(phases)} phases; give 0 to {len(phases)}")
        simulated(name, settings, estate, command=command)
    except EstateError as exc:
        raise Invalid(f"--simulate: {exc}") from None


def _options(ns: argparse.Namespace, stdin: TextIO | None) -> Options:
    estate = _estate(ns)
    names = _names(ns, stdin, estate)
    run = ns.command == "run"
    if run and ns.force:
        raise Invalid("--force is not an option of clusupgrade: to skip the confirmation (what -Force does in "
                      "PowerShell), use --yes; to raise despite the preflight's blockers, --ignore-blockers")
    if run and ns.only_ready and not ns.check_first:
        raise Invalid("--only-ready needs --check-first")
    sim = _sim(ns, names)
    for name, settings in sim.items():  # checked before anything runs
        _fits(name, settings, estate, ns.command)
    return Options(
        command=ns.command,
        names=names,
        json=ns.json,
        verbose=ns.verbose,
        log_file=ns.log_file,
        timeout=getattr(ns, "timeout", None),
        simulate=bool(ns.simulate),
        estate=estate,
        sim=sim,
        yes=run and ns.yes,
        ignore_blockers=run and ns.ignore_blockers,
        check_first=run and ns.check_first,
        only_ready=run and ns.only_ready,
        max_parallel=getattr(ns, "max_parallel", DEFAULT_PARALLEL),
        max_failures=getattr(ns, "max_failures", None),
        names_from_stdin="-" in (getattr(ns, "clusters_from", None) or []),
    )


def parse(argv: Sequence[str] | None, stdin: TextIO | None) -> tuple[Options, argparse.ArgumentParser]:
    """Checked options and the subcommand's parser (for its usage line).
    Raises SystemExit (after argparse's message) on any mistake."""
    parser, subparsers = build()
    ns, extra = parser.parse_known_args(argv)
    command_parser = subparsers[ns.command]
    try:
        if extra:  # argparse would report them with the top-level usage line
            raise Invalid(f"unrecognized arguments: {' '.join(extra)}")
        return _options(ns, stdin), command_parser
    except Invalid as exc:
        command_parser.error(str(exc))
