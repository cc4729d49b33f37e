"""Exporting labels to files, SQL tables and CRM webhooks, with a diff first.

The main entry points are :func:`export_labels`, which picks the sink from a path or
URI, :func:`diff_labels`, which says who was added, removed or moved between segments,
and :func:`replay_dead_letters`, which resends webhook batches that failed.

Examples
--------
>>> from metaseg.export import export_labels, diff_labels, replay_dead_letters
"""

from metaseg.export.api import export_labels, replay_dead_letters
from metaseg.export.diff import LabelDiff, diff_labels
from metaseg.export.result import ExportResult, ReplayResult
from metaseg.export.uri import Target, parse_target
from metaseg.export.validate import validate_labels
from metaseg.export.webhook import RetryPolicy, parse_retry_after, verify_signature

__all__ = [
    "ExportResult",
    "LabelDiff",
    "ReplayResult",
    "RetryPolicy",
    "Target",
    "diff_labels",
    "export_labels",
    "parse_retry_after",
    "parse_target",
    "replay_dead_letters",
    "validate_labels",
    "verify_signature",
]
