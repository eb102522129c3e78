"""The clusupgrade command: check and raise clusters' functional level.

The rule every part of it keeps: a failure of the observer (a broken pipe,
a closed or full stdout, our own display code) never touches the cluster's
call; only an explicit request to stop (Ctrl+C, SIGTERM, SIGHUP, Ctrl+Break)
answers FALSE.  Exit codes: codes.EXIT_TABLE (also in --help).

- args: options and every check on them, before anything is sent;
- output, logfile: output that can fail without stopping anything;
- signals: stop signals as KeyboardInterrupt;
- session: what one run is doing, confirmation, interruptions;
- single (info, one cluster), fleet (several, via upgrade_many);
- render, cluster: what is shown; codes: exit codes.
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
from .codes import EXIT_OUTPUT_FAILED, EXIT_USAGE, SIGNAL_BASE, interrupted_code
from .logfile import Logging
from .output import Console
from .session import NoTerminal, Session
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
    return _final(console, code)


def _final(console: Console, code: int) -> int:
    """Output that failed wins over the outcome; an interruption over both."""
    return EXIT_OUTPUT_FAILED if console.failed and code < SIGNAL_BASE else code


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
    session = Session(console, options, signals)
    try:
        log.info("%s: clusupgrade %s (pid %d)", console.subject, " ".join(sys.argv[1:] if argv is None else argv),
                 os.getpid())
        code = _final(console, _dispatch(session, parser, stdin))
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
    except KeyboardInterrupt as exc:
        return session.interrupted(exc)


def _usage(console: Console, parser: argparse.ArgumentParser, message: str) -> int:
    """A usage error found after parsing: the subcommand's usage line, then why."""
    console.err.write(parser.format_usage())
    console.tell(f"{parser.prog}: error: {message}")
    return EXIT_USAGE
