"""Run the examples of README.md and docs/*.md as written (test-only code).

Used by tests/test_docs.py (which compares) and tools/docs-refresh.py
(which rewrites the expected output from what the program printed).

What a Markdown file holds, and what is done with it:

- a ```python block runs in a fresh namespace of its own, with stdout
  captured; when a ```text block follows it (only blank lines between),
  that block is its expected output;
- a ```console block with a ``$ clusupgrade`` line is a transcript (a
  console block of other commands only, such as Salt's, is not run; one
  that mixes them is an error): ``$ clusupgrade ARGS`` lines run the
  command line (a line ending in a backslash continues on the next), and the
  lines up to the next ``$`` are its stdout (stderr, where the command says
  why a call failed, is not part of a transcript, as in
  tests/test_cli_docs.py; a mismatch shows it); ``$ echo $?`` is followed
  by the exit code of
  the command before.  Each block runs in a temporary directory holding a
  copy of the estate files the package ships, so ``--simulate
  four-node.toml`` works as written and its state file stays there;
- a ```powershell block is checked line by line against the remedy table
  (clusupgrade.remedies.CMDLETS): every cmdlet must be in it and use only
  its parameters;
- ``<!-- docs-test: skip (reason) -->`` right before a block skips it; the
  reason is required.

Where a real cluster is named (a name, or None for the local cluster), a
simulated one stands in: `install()` replaces clusupgrade.target.resolve,
and every module that imported it, by one that maps the name to a fresh
`clusupgrade.Simulator(name=...)` (the same object for the same name while
one example runs).  The package itself has no such switch.  The names the
docs use have scenarios (DOCS_CLUSTERS): "hv-b" has a paused node,
"sql-c" nothing to raise; any other name is a cluster ready to raise.

Timings differ from run to run: `mask()` replaces seconds ("0.40 s",
"[   1.20 s]") and JSON durations before comparing, and squeezes runs of
spaces (table columns widen with the numbers).  A fleet's phase lines
arrive in the order its threads run: each run of consecutive phase lines is
compared sorted, and the whole output of a command naming several clusters
(``--cluster`` more than once, ``--clusters-from``) is compared as a sorted
list of lines: what is said is checked, not the order threads said it in.
Why several clusters: their lines come from several threads.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import linecache
import os
import pkgutil
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests import procstart  # every test's process starts go through it (tests/test_retry.py)

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))

SKIP = re.compile(r"^<!--\s*docs-test:\s*skip\s*(?:\((?P<reason>[^)]*)\))?\s*-->\s*$")
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[A-Za-z0-9_+-]*)\s*$")

DOCS_CLUSTERS: dict[str, dict[str, Any]] = {
    "hv-b": {"scenario": "node-paused"},
    "sql-c": {"scenario": "nothing-to-do"},
}
"""Scenario of the simulated cluster standing in for a name the docs use;
any other name is the default simulator (ready to raise)."""

STAND_IN_DELAY = 0.1
"""Seconds between the phases of a stand-in: fast, yet the elapsed times a
refresh writes into the docs read like a cluster's, not all 0.00 s."""

LOCAL = "local-cluster"
"""The name of the simulator standing in for the local cluster (None)."""


# --------------------------------------------------------------------------
# Reading Markdown.


@dataclass
class Block:
    path: Path
    line: int
    """1-based line of the opening fence."""
    lang: str
    text: str
    end: int
    """1-based line of the closing fence."""
    skip: str | None = None
    """The reason given in a skip marker, "" when none was given."""
    output: Block | None = None
    """For a python block: the ```text block that follows it."""
    indent: int = 0
    """Spaces before the fence (a block inside a list item)."""

    @property
    def where(self) -> str:
        path = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{path}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Every fenced block of `path`, python blocks paired with their output."""
    lines = path.read_text(encoding="utf-8").split("\n")
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        indent = len(m.group("indent"))  # a block inside a list item is indented
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        if j >= len(lines):
            raise ValueError(f"{path}:{start + 1}: a fence that is never closed")
        skip = None
        k = start - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        if k >= 0 and (s := SKIP.match(lines[k].strip())):
            skip = (s.group("reason") or "").strip()
        body = [line[min(indent, len(line) - len(line.lstrip(" "))) :] for line in lines[start + 1 : j]]
        found.append(Block(path, start + 1, m.group("lang"), "\n".join(body), j + 1, skip, indent=indent))
        i = j + 1
    for before, after in zip(found, found[1:], strict=False):
        gap = lines[before.end : after.line - 1]
        if before.lang == "python" and after.lang == "text" and not any(x.strip() for x in gap):
            before.output = after
    return found


def all_blocks(lang: str) -> list[Block]:
    return [b for path in DOC_FILES if path.exists() for b in blocks(path) if b.lang == lang]


def is_transcript(block: Block) -> bool:
    """A ```console block is a clusupgrade transcript when one of its
    commands is ``$ clusupgrade``; others (a Salt master's, say) are shown,
    not run."""
    return block.lang == "console" and any(
        line.startswith("$ clusupgrade") for line in block.text.split("\n")
    )


def transcripts() -> list[Block]:
    return [b for b in all_blocks("console") if is_transcript(b)]


# --------------------------------------------------------------------------
# Masking what differs from run to run.

_SECONDS = re.compile(r"\[\s*\d+(?:\.\d+)?\s*s\]|\b\d+(?:\.\d+)?\s?s\b")
_JSON_DURATION = re.compile(r'"duration":\s*[-+0-9.eE]+')
_PHASE_LINE = re.compile(r"\] step \d+ of \d+:")


def mask(text: str, *, unordered: bool = False) -> str:
    """`text` with timings masked, spaces squeezed, fleets' phase lines
    sorted; `unordered`: every line sorted (the output of several clusters
    at once, whose lines arrive in the order their threads run)."""
    out: list[str] = []
    run: list[str] = []
    for line in text.rstrip("\n").split("\n"):
        line = _JSON_DURATION.sub('"duration": #', line)
        line = _SECONDS.sub(lambda m: "[# s]" if m.group(0).startswith("[") else "# s", line)
        line = re.sub(r" {2,}", "  ", line.rstrip())
        if _PHASE_LINE.search(line):
            run.append(line)
            continue
        out += sorted(run)
        run = []
        out.append(line)
    out += sorted(run)
    return "\n".join(sorted(out) if unordered else out)


def several_clusters(command: list[str]) -> bool:
    """Whether a command line drives several clusters at once."""
    return command.count("--cluster") > 1 or "--clusters-from" in command


# --------------------------------------------------------------------------
# A simulator where a real cluster is named (test-only).


class Stand:
    """The simulators standing in for real clusters during one example."""

    def __init__(self) -> None:
        self.clusters: dict[str, Any] = {}

    def simulator(self, name: str | None) -> Any:
        import clusupgrade

        key = (name or LOCAL).casefold()
        if key not in self.clusters:
            settings = dict(DOCS_CLUSTERS.get(key, {}))
            scenario = settings.pop("scenario", None)
            given = {"name": name or LOCAL, "delay": STAND_IN_DELAY, **settings}
            self.clusters[key] = (
                clusupgrade.Simulator.scenario(scenario, **given) if scenario else clusupgrade.Simulator(**given)
            )
        return self.clusters[key]


def _import_all() -> None:
    """Import every clusupgrade module, so that each one that imported
    `resolve` is found (a module that cannot import here, such as a Salt
    extension without Salt, is left out)."""
    import clusupgrade

    for info in pkgutil.walk_packages(clusupgrade.__path__, "clusupgrade."):
        if info.name.endswith("__main__"):
            continue  # running it would run the command line
        with contextlib.suppress(Exception):
            importlib.import_module(info.name)


def install(stand: Stand, setattr_: Callable[[object, str, object], None]) -> None:
    """Replace clusupgrade.target.resolve, wherever it was imported, by one
    that puts a simulator of `stand` where a real cluster is named.
    `setattr_` is monkeypatch.setattr in the tests (undone after each)."""
    _import_all()
    from clusupgrade import target

    original = target.resolve

    def resolve(cluster: object) -> Any:
        name, simulator = original(cluster)  # validates as the package does
        if simulator is not None:
            return name, simulator
        sim = stand.simulator(name)
        return sim.name, sim

    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("clusupgrade") and getattr(module, "resolve", None) is original:
            setattr_(module, "resolve", resolve)


# --------------------------------------------------------------------------
# Running python blocks.


def run_python(block: Block, stand: Stand) -> str:
    """Run `block` in a fresh namespace; what it printed."""
    # The block's own lines, at their line numbers in the file, so that a
    # traceback shows the example's source where it failed.
    source = "\n" * block.line + block.text + "\n"
    filename = str(block.path)
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    code = compile(source, filename, "exec")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {"__name__": "__docs__"})  # noqa: S102 - the docs' own examples
    return out.getvalue()


# --------------------------------------------------------------------------
# Running console transcripts.


@dataclass
class Step:
    command: list[str]
    """argv after "clusupgrade", or ["echo", "$?"]."""
    shown: str
    """The command as written (with its continuation lines)."""
    expected: str
    actual: str = ""
    """What the command wrote on stdout."""
    stderr: str = ""
    code: int | None = None


@dataclass
class Transcript:
    block: Block
    steps: list[Step] = field(default_factory=list)

    def actual_text(self) -> str:
        """The block as the program printed it, for refresh and reports."""
        parts: list[str] = []
        for step in self.steps:
            parts.append(step.shown)
            if step.actual:
                parts.append(step.actual.rstrip("\n"))
        return "\n".join(parts)


def parse_transcript(block: Block) -> Transcript:
    transcript = Transcript(block)
    lines = block.text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("$ "):
            raise ValueError(f"{block.where}: a transcript must start with a '$ ' line, not {line!r}")
        shown = [line]
        while shown[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            shown.append(lines[i])
        joined = " ".join(part.rstrip("\\").strip() for part in shown)[2:]
        argv = shlex.split(joined)
        if argv == ["echo", "$?"]:
            command = argv
        elif argv and argv[0] == "clusupgrade":
            command = argv[1:]
        else:
            raise ValueError(f"{block.where}: only '$ clusupgrade ...' and '$ echo $?' lines run, not {joined!r}")
        i += 1
        output: list[str] = []
        while i < len(lines) and not lines[i].startswith("$ "):
            output.append(lines[i])
            i += 1
        transcript.steps.append(Step(command, "\n".join(shown), "\n".join(output)))
    return transcript


SHIM = """
import sys
from tests import docs_runner
docs_runner.install(docs_runner.Stand(), setattr)
from clusupgrade.cli import main
sys.exit(main(sys.argv[1:]))
"""
"""The child that runs one command: the command line, with a simulator
standing in where a real cluster is named."""


def shipped_estates() -> list[Path]:
    import clusupgrade

    folder = Path(clusupgrade.__file__).resolve().parent / "estates"
    return sorted(folder.glob("*.toml")) if folder.is_dir() else []


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="clusupgrade-docs-") as tmp:
        for estate in shipped_estates():
            shutil.copy(estate, tmp)
        yield Path(tmp)


def run_transcript(block: Block, timeout: float = 120.0) -> Transcript:
    """Run every command of `block`; each step gets its actual output."""
    transcript = parse_transcript(block)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env["COLUMNS"] = "100"
    last: int | None = None
    with scratch() as cwd:
        for step in transcript.steps:
            if step.command == ["echo", "$?"]:
                step.actual = f"{last}\n"
                step.code = 0
                continue
            proc = procstart.run(
                [sys.executable, "-c", SHIM, *step.command],
                cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, timeout=timeout, check=False,
            )
            step.actual = proc.stdout
            step.stderr = proc.stderr
            step.code = last = proc.returncode
    return transcript


# --------------------------------------------------------------------------
# PowerShell lines.

_CMDLET = re.compile(r"^[A-Z][a-z]+-[A-Za-z]+$")
OTHER_COMMANDS = frozenset({"clusupgrade", "pip", "python", "py", "salt-pip", "salt", "salt-run", "salt-call"})
"""Commands that are not cmdlets and may appear in a ```powershell block."""


def _segments(line: str) -> list[list[str]]:
    """The pipeline's commands, each as its tokens (quotes respected)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars="|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    segments: list[list[str]] = [[]]
    for token in lexer:
        if token == "|":
            segments.append([])
        else:
            segments[-1].append(token)
    return [s for s in segments if s]


def powershell_problems(block: Block, table: dict[str, frozenset[str]]) -> list[str]:
    """Each cmdlet of `block` not in `table`, or given a parameter it lacks."""
    problems: list[str] = []
    known = {name.casefold(): (name, params) for name, params in table.items()}
    for offset, raw in enumerate(block.text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{block.where.rsplit(':', 1)[0]}:{block.line + offset}"
        for tokens in _segments(line):
            command = tokens[0]
            if not _CMDLET.match(command):
                if command not in OTHER_COMMANDS:
                    problems.append(f"{where}: {command!r} is neither a cmdlet nor a command the docs may use")
                continue
            if command.casefold() not in known:
                problems.append(f"{where}: {command} is not in clusupgrade.remedies.CMDLETS")
                continue
            name, params = known[command.casefold()]
            allowed = {p.casefold() for p in params}
            for token in tokens[1:]:
                if token.startswith("-") and len(token) > 1 and not token[1:2].isdigit():
                    param = token[1:].split(":", 1)[0]
                    if param.casefold() not in allowed:
                        problems.append(f"{where}: {name} has no parameter -{param} (it takes {sorted(params)})")
    return problems


def remedy_table() -> dict[str, frozenset[str]]:
    """clusupgrade.remedies.CMDLETS (the truth branch's table)."""
    remedies = importlib.import_module("clusupgrade.remedies")
    table: dict[str, frozenset[str]] = remedies.CMDLETS
    return table
