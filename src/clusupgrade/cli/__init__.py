"""The clusupgrade command: check and raise clusters' functional level.

The rules every part of it keeps: the command line never answers FALSE to
a cluster (it never aborts a raise; a stop only stops waiting); a failure
of the observer (a broken pipe, a closed or full stdout, our own display
code) never touches the cluster's call nor the exit code; once a call has
returned, its outcome is shown and logged.  Exit codes: codes.EXIT_TABLE
(also in --help).

- args: options and every check on them, before anything is sent;
- output, logfile: output that can fail without stopping anything;
- signals: stop signals as KeyboardInterrupt (the first Ctrl+C of a raise
  only warns);
- session: what one run is doing, confirmation, each cluster's end, the summary;
- single (info, one cluster), fleet (several, via upgrade_many);
- settle: after a stop or a failed raise, where the cluster stands;
- endings, records: outcomes and JSON records (pure); render, words,
  cluster: what is shown; codes: exit codes.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from . import args as cli_args
from . import fleet as cli_fleet
from . import single as cli_single
from .codes import EXIT_USAGE, interrupted_code
from .endings import Ending
from .logfile import Logging
from .output import Console
from .session import NoTerminal, Session, by_signal
from .signals import StopSignals, signal_of

log = logging.getLogger("clusupgrade.cli")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    console = Console(sys.stdout, sys.stderr)
    with StopSignals() as signals:
        try:
            code = _main(argv, console, signals)
        except KeyboardInterrupt as exc:  # before there is a session: nothing was sent
            signals.quiet()
            console.tell("clusupgrade: interrupted before anything was sent; nothing was changed.")
            code = interrupted_code(signal_of(exc))
    console.out.flush()  # what argparse printed (--help) is flushed here, or fails here
    return code


def _main(argv: Sequence[str] | None, console: Console, signals: StopSignals) -> int:
    stdin = sys.stdin
    try:
        options, parser = cli_args.parse(argv, stdin)
    except SystemExit as done:  # argparse: --help, --version, or a usage error it printed
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    try:
        logs = Logging(console, verbose=options.verbose, log_file=options.log_file)
    except OSError as exc:
        return _usage(console, parser, f"--log-file: cannot open {str(options.log_file)!r}: {exc.strerror or exc}")
    if options.command == "info":
        console.then = ""
    session = Session(console, options, signals)
    try:
        log.info("%s: clusupgrade %s (pid %d)", console.subject, " ".join(sys.argv[1:] if argv is None else argv),
                 os.getpid())
        code = _dispatch(session, parser, stdin)
        log.info("%s: exit code %d%s", console.subject, code,
                 f" (output failed: {'; '.join(console.failures())})" if console.failed else "")
        return code
    finally:
        logs.close()


def _dispatch(session: Session, parser: argparse.ArgumentParser, stdin: TextIO | None) -> int:
    options = session.options
    try:
        if options.command == "info":
            return cli_single.info(session)
        if options.fleet:
            return cli_fleet.run(session, stdin)
        return cli_single.call(session, stdin)
    except NoTerminal as exc:
        return _usage(session.console, parser, str(exc))
    except KeyboardInterrupt as exc:  # before a raise was sent (the raise handles its own)
        signum = session.quiet_interruption(exc)
        ended = {e.cluster for e in session.endings}
        for name in options.names:
            if name not in ended:
                session.ended(Ending(name, "interrupted", interrupted_code(signum),
                                     f"interrupted by {by_signal(signum)}; nothing was changed", options.perform,
                                     raised=False), [])
        return session.finish(table_view=False, signum=signum)


def _usage(console: Console, parser: argparse.ArgumentParser, message: str) -> int:
    """A usage error found after parsing: the subcommand's usage line, then why."""
    console.err.write(parser.format_usage())
    console.tell(f"{parser.prog}: error: {message}")
    return EXIT_USAGE
