"""``metaseg export``: send a labels file to a file, SQL table or webhook, diff first."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from metaseg.cli._common import step

if TYPE_CHECKING:
    import pandas as pd


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register the ``export`` verb."""
    p = sub.add_parser(
        "export",
        parents=parents,
        help="export labels to a file, SQL table or webhook",
        description=(
            "Export a labels table (Parquet or CSV written by 'metaseg score') to a target chosen "
            "by URI: a .csv/.parquet path, sqlite:///file.db?table=T, postgresql://..., or an "
            "https:// webhook (http:// only to localhost). The diff against the previous export "
            "to that target is printed first."
        ),
    )
    p.add_argument("--labels", help="labels file (.parquet or .csv)")
    p.add_argument("--to", help="target path or URI")
    p.add_argument("--dry-run", action="store_true", help="print the diff only; write nothing")
    p.add_argument("--batch-size", type=int, default=100, help="webhook batch size (default 100)")
    p.add_argument(
        "--secret-env",
        default="METASEG_WEBHOOK_SECRET",
        help="environment variable holding the webhook signing secret",
    )
    p.add_argument("--replay", metavar="DEAD_LETTER", help="resend a webhook dead-letter file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Export (or replay) and print the diff and the delivery summary."""
    from metaseg.exceptions import ConfigError
    from metaseg.export import export_labels, replay_dead_letters

    if args.replay:
        if not Path(args.replay).is_file():
            raise ConfigError(
                f"--replay {args.replay!r}: no such dead-letter file; failed webhook batches are "
                "written to the path printed by the export that failed."
            )
        result = replay_dead_letters(args.replay, secret_env=args.secret_env)
        print(result)
        return 0 if result.ok else 5
    if not args.labels or not args.to:
        raise ConfigError("export needs --labels FILE and --to TARGET (or --replay DEAD_LETTER).")
    labels = read_labels(args.labels)
    with step(args, "exporting", total=len(labels)) as bar:
        result = export_labels(
            labels,
            args.to,
            dry_run=args.dry_run,
            batch_size=args.batch_size,
            secret_env=args.secret_env,
            progress=bar.update,
        )
    print(result)
    result.raise_for_failures()
    return 0


def read_labels(path: str) -> pd.DataFrame:
    """Read a labels table written by ``metaseg score``, ids exactly as stored.

    See :func:`metaseg.export.files.read_labels_file`: CSV columns are read as text and
    Parquet columns keep their stored type, so ``"0000001"`` stays ``"0000001"``.
    """
    from metaseg.export.files import read_labels_file

    return read_labels_file(path)
