"""Segmentation over time: stable identities, drift and migration, campaign results.

- :func:`match_identities`: a refit keeps the ids and names of the groups that are still
  there (applied with :meth:`metaseg.model.MetaSegmenter.with_identities`).
- :func:`drift_report`: do today's customers still fit the model? (logged to MLflow by
  :func:`metaseg.tracking.log_drift`)
- :func:`campaign_report`: conversion and lift of campaigns per segment.

Pure computation: nothing here reads or writes files, MLflow or plots.
"""

from metaseg.fact_reference import FactReference, build_reference
from metaseg.over_time.campaigns import REPORT_COLUMNS, campaign_report
from metaseg.over_time.drift import (
    DriftReport,
    DriftThresholds,
    DriftWarning,
    drift_report,
)
from metaseg.over_time.identity import MATCH_COLUMNS, IdentityMatch, match_identities

__all__ = [
    "MATCH_COLUMNS",
    "REPORT_COLUMNS",
    "DriftReport",
    "DriftThresholds",
    "DriftWarning",
    "FactReference",
    "IdentityMatch",
    "build_reference",
    "campaign_report",
    "drift_report",
    "match_identities",
]
