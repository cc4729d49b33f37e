"""Segmentation over time: stable identities, drift and migration, campaign results.

- :func:`match_identities` / :func:`apply_identities`: a refit keeps the ids and names
  of the groups that are still there.
- :func:`drift_report` / :func:`log_drift`: do today's customers still fit the model?
- :func:`campaign_report`: conversion and lift of campaigns per segment.

MLflow and matplotlib are imported only by the functions that use them.
"""

from metaseg.over_time.campaigns import REPORT_COLUMNS, campaign_report
from metaseg.over_time.drift import (
    DriftReport,
    DriftThresholds,
    DriftWarning,
    FactReference,
    build_reference,
    drift_report,
)
from metaseg.over_time.identity import MATCH_COLUMNS, IdentityMatch, match_identities
from metaseg.over_time.log_drift import log_drift
from metaseg.over_time.relabel import apply_identities

__all__ = [
    "MATCH_COLUMNS",
    "REPORT_COLUMNS",
    "DriftReport",
    "DriftThresholds",
    "DriftWarning",
    "FactReference",
    "IdentityMatch",
    "apply_identities",
    "build_reference",
    "campaign_report",
    "drift_report",
    "log_drift",
    "match_identities",
]
