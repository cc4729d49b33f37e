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
    p.add_argument("--config", help="YAML config whose gates section sets the thresholds")
    p.add_argument(
        "--gate",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a gate threshold, e.g. --gate max_noise_share=0.3 (none: gate off)",
    )
    p.add_argument("--tracking-uri", dest="tracking_uri", help="MLflow tracking URI")
    p.set_defaults(run=run)


def parse_gates(items: list[str]) -> dict[str, float | None]:
    """Parse ``NAME=VALUE`` gate overrides; ``none`` switches a gate off.

    Examples
    --------
    >>> parse_gates(["max_noise_share=0.3", "min_silhouette=none"])
    {'max_noise_share': 0.3, 'min_silhouette': None}
    """
    from metaseg.exceptions import ConfigError

    gates: dict[str, float | None] = {}
    for item in items:
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not name:
            raise ConfigError(f"--gate {item!r}: expected NAME=NUMBER, e.g. max_noise_share=0.3")
        if value.lower() == "none":
            gates[name] = None
            continue
        try:
            gates[name] = float(value)
        except ValueError:
            raise ConfigError(
                f"--gate {item!r}: {value!r} is not a number; use e.g. {name}=0.3 or {name}=none"
            ) from None
    return gates


def run(args: argparse.Namespace) -> int:
    """Promote and print each gate's result."""
    from pathlib import Path

    from metaseg.config import load_config
    from metaseg.tracking import coerce_gates, promote

    base = load_config(Path(args.config)).gates if args.config else coerce_gates(None)
    gates = coerce_gates({**base.model_dump(), **parse_gates(args.gate)})
    result = promote(
        args.name, args.version, alias=args.alias, gates=gates, tracking_uri=args.tracking_uri
    )
    print(result)
    return 0
