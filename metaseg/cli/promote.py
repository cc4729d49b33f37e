"""``metaseg promote``: move an alias to a registered version if the quality gates pass."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register the ``promote`` verb."""
    p = sub.add_parser(
        "promote",
        parents=parents,
        help="promote a registered version (quality gates first)",
        description=(
            "Move an alias (default champion) to a registered model version if every quality "
            "gate passes; a refusal exits with code 4 and lists the failed gates."
        ),
    )
    p.add_argument("name", help="registered model name")
    p.add_argument("version", help="model version")
    p.add_argument("--alias", default="champion", help="alias to move (default champion)")
    p.add_argument(
        "--gate",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a quality gate threshold, e.g. --gate max_noise_share=0.3",
    )
    p.add_argument("--tracking-uri", dest="tracking_uri", help="MLflow tracking URI")
    p.set_defaults(run=run)


def parse_gates(items: list[str]) -> dict[str, float]:
    """Parse ``NAME=VALUE`` gate overrides.

    Examples
    --------
    >>> parse_gates(["max_noise_share=0.3"])
    {'max_noise_share': 0.3}
    """
    from metaseg.exceptions import ConfigError

    gates: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            gates[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise ConfigError(f"--gate {item!r}: expected NAME=NUMBER, e.g. max_noise_share=0.3")
    return gates


def run(args: argparse.Namespace) -> int:
    """Promote and print each gate's result."""
    from metaseg.tracking import promote

    result = promote(
        args.name,
        args.version,
        alias=args.alias,
        gates=parse_gates(args.gate) or None,
        tracking_uri=args.tracking_uri,
    )
    print(result)
    return 0
