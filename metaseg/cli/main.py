"""Entry point of the ``metaseg`` command: argument parsing, logging and exit codes.

Exit codes: 0 ok, 2 usage or configuration error, 3 data error, 4 promotion refused
by a quality gate, 5 export failure, 6 tracking store unreachable, 1 anything else.
An error prints one summary line on stderr (``metaseg VERB: error: ...``), its details,
if any, on indented lines after it; ``--debug`` adds the traceback.

Only argparse and the standard library are imported here, so ``metaseg --help``
answers instantly; each verb imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from metaseg import __version__
from metaseg.cli import demo, drift, export, fit, promote, report, runs, score, validate

log = logging.getLogger("metaseg")

VERBS = (demo, validate, fit, runs, promote, score, export, drift, report)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with one sub-command per verb module."""
    parser = argparse.ArgumentParser(
        prog="metaseg",
        description=(
            "Customer segmentation by meta-grouping: rule segments first, "
            "machine-learned sub-segments inside each, tracked in MLflow."
        ),
    )
    parser.add_argument("--version", action="version", version=f"metaseg {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", "-q", action="store_true", help="only print results and errors")
    common.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for verb in VERBS:
        verb.add_parser(sub, parents=[common])
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one readable line on stderr (no source excerpt)."""
    print(f"warning: {message}", file=sys.stderr)


def _configure_logging(quiet: bool, debug: bool) -> None:
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False
    # MLflow and alembic announce every database migration at INFO; MLflow reads its
    # level from the environment when it is imported, later than this
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "DEBUG" if debug else "WARNING")
    for noisy in ("mlflow", "alembic"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)
    if not debug:
        import warnings

        warnings.showwarning = _show_warning
        if quiet:
            warnings.simplefilter("ignore")


def _error_text(text: str) -> str:
    r"""One summary line, then every detail line indented (so ``head -1`` tells the story).

    Examples
    --------
    >>> print(_error_text("metaseg fit: error: 2 problems:\n- a\n  - b"))
    metaseg fit: error: 2 problems:
      - a
      - b
    """
    first, *rest = text.splitlines() or [""]
    return "\n".join([first, *("  " + line.lstrip() for line in rest if line.strip())])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None:
        parser.print_help()
        return 2
    _configure_logging(args.quiet, args.debug)
    from metaseg.exceptions import MetasegError

    try:
        return int(args.run(args) or 0)
    except MetasegError as exc:
        if args.debug:
            traceback.print_exc()
        print(_error_text(f"metaseg {args.verb}: error: {exc}"), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"metaseg {args.verb}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure: one line, the traceback on --debug
        if args.debug:
            traceback.print_exc()
        text = (
            f"metaseg {args.verb}: unexpected error: {type(exc).__name__}: {exc} "
            "(run again with --debug for the traceback)"
        )
        print(_error_text(text), file=sys.stderr)
        return 1


def console() -> int:
    """The ``metaseg`` executable: :func:`main`, then a quick end of the process.

    Once the command is done, every object still alive is frozen (:func:`gc.freeze`),
    so the interpreter's last garbage collections at exit skip them: with MLflow,
    scikit-learn and pandas imported, those collections took 0.3-0.5 s of every command.
    The process ends right after, so nothing lives longer than it would have; ``atexit``
    handlers still run. Tests and notebooks call :func:`main`, which freezes nothing.
    """
    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console())
