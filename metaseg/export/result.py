"""Summaries of an export and of a dead-letter replay."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from metaseg.exceptions import ExportError
from metaseg.export.diff import LabelDiff
from metaseg.export.webhook import BatchOutcome


def _failure_lines(batches: list[BatchOutcome], limit: int = 3) -> list[str]:
    failed = [b for b in batches if not b.delivered]
    lines = [
        f"  batch {b.key[:12]}: {b.records} records, {b.attempts} attempt(s): {b.error}"
        for b in failed[:limit]
    ]
    if len(failed) > limit:
        lines.append(f"  ... and {len(failed) - limit} more failed batch(es)")
    return lines


@dataclass
class ExportResult:
    """What an export did.

    Attributes
    ----------
    target : str
        The target, without secrets.
    kind : {"file", "sql", "webhook"}
        The sink used.
    diff : LabelDiff
        The labels at the target before the export compared with the exported labels.
    dry_run : bool
        True when nothing was written.
    delivered : int
        Labels written or accepted by the receiver.
    failed : int
        Labels that could not be delivered (webhooks only; they are in ``dead_letter``).
    batches : list of BatchOutcome
        Per webhook batch, what happened.
    dead_letter : Path, optional
        The dead-letter file holding the failed batches, if any failed.
    written : bool
        False when the target was left untouched: a dry run, or a file or SQL table that
        already held these labels (then ``delivered`` is 0).

    Examples
    --------
    >>> import pandas as pd
    >>> from metaseg.export.diff import diff_labels
    >>> labels = pd.DataFrame({"customer_id": [1], "model_name": "m", "segment": "a/0"})
    >>> result = ExportResult("labels.csv", "file", diff_labels(None, labels), delivered=1)
    >>> result.ok
    True
    """

    target: str
    kind: str
    diff: LabelDiff
    dry_run: bool = False
    delivered: int = 0
    failed: int = 0
    batches: list[BatchOutcome] = field(default_factory=list)
    dead_letter: Path | None = None
    written: bool = True

    @property
    def ok(self) -> bool:
        """True when every label was delivered (always true for a dry run)."""
        return self.failed == 0

    @property
    def batches_failed(self) -> int:
        """Webhook batches that were not delivered."""
        return sum(not b.delivered for b in self.batches)

    def raise_for_failures(self) -> None:
        """Raise :class:`ExportError` when some labels were not delivered.

        Examples
        --------
        >>> import pandas as pd
        >>> from metaseg.export.diff import diff_labels
        >>> labels = pd.DataFrame({"customer_id": [1], "model_name": "m", "segment": "a/0"})
        >>> ExportResult("t", "file", diff_labels(None, labels), delivered=1).raise_for_failures()
        """
        if self.ok:
            return
        raise ExportError(
            f"{self.failed:,} label(s) in {self.batches_failed} batch(es) were not delivered "
            f"to {self.target}; they are in the dead-letter file {str(self.dead_letter)!r}. "
            f"Resend them once the receiver is back with: metaseg export --replay "
            f"{str(self.dead_letter)!r} (in Python: metaseg.export.replay_dead_letters(path))."
        )

    def __str__(self) -> str:
        if self.dry_run:
            head = f"Dry run for {self.target} ({self.kind}): nothing written."
        elif not self.written:
            head = (
                f"Export to {self.target} ({self.kind}): no change, nothing written "
                f"({self.diff.n_after:,} labels already there)."
            )
        else:
            head = (
                f"Export to {self.target} ({self.kind}): {self.delivered:,} labels delivered, "
                f"{self.failed:,} failed"
            )
            if self.batches:
                head += f" ({len(self.batches) - self.batches_failed}/{len(self.batches)} batches)"
            head += "."
        lines = [head, *_failure_lines(self.batches)]
        if self.dead_letter is not None and self.failed:
            lines.append(f"  dead letters: {self.dead_letter}")
        lines.append(str(self.diff))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"ExportResult(target={self.target!r}, kind={self.kind!r}, dry_run={self.dry_run}, "
            f"written={self.written}, delivered={self.delivered}, failed={self.failed}, diff={self.diff!r})"
        )


@dataclass
class ReplayResult:
    """What a dead-letter replay did.

    Attributes
    ----------
    path : Path
        The dead-letter file.
    delivered, failed : int
        Records delivered now, and records still undelivered (left in the file).
    batches : list of BatchOutcome
        Per batch, what happened.
    """

    path: Path
    delivered: int = 0
    failed: int = 0
    batches: list[BatchOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file is empty now."""
        return self.failed == 0

    def __str__(self) -> str:
        done = sum(b.delivered for b in self.batches)
        lines = [
            f"Replay of {self.path}: {self.delivered:,} records delivered, {self.failed:,} "
            f"still failing ({done}/{len(self.batches)} batches).",
            *_failure_lines(self.batches),
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"ReplayResult(path={str(self.path)!r}, delivered={self.delivered}, "
            f"failed={self.failed})"
        )
