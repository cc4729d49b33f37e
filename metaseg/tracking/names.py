"""Names of everything metaseg writes to MLflow: metric keys, tags and artifact paths.

Logging, comparison, gates and the registry read and write MLflow through these names
only, so that a rename happens in one place. MLflow keys may contain letters, digits,
``_ - . /`` and spaces; :func:`safe_key` turns a base segment name into such a key.
"""

from __future__ import annotations

import re
from typing import Final

#: Prefix of the overall metrics (``overall.silhouette``).
OVERALL_PREFIX: Final = "overall."
#: Prefix of the per-base-segment metrics (``segment.dormant.stability``).
SEGMENT_PREFIX: Final = "segment."

# Run tags.
TAG_VERSION: Final = "metaseg.version"
TAG_GIT_COMMIT: Final = "metaseg.git_commit"
TAG_AS_OF: Final = "metaseg.as_of"
TAG_FACTS_DIGEST: Final = "metaseg.facts_digest"
TAG_EVENTS_DIGEST: Final = "metaseg.events_digest"
TAG_N_CUSTOMERS: Final = "metaseg.n_customers"
TAG_SEGMENT_ALGORITHM: Final = "metaseg.algorithm."  # + safe segment name
TAG_SEGMENT_DECISION: Final = "metaseg.decision."  # + safe segment name: split or not, why
TAG_LOCAL_DIR: Final = "metaseg.local_dir"
TAG_MODEL_ID: Final = "metaseg.model_id"
TAG_N_EDITS: Final = "metaseg.n_edits"  # edits made after the fit (merge, split, ...)
#: The edits made after the fit, oldest first (``MetaSegmenter.edits()``), as JSON.
EDITS_PATH: Final = "edits/edits.json"

# Model-version tags (and the run tag of the logged model's hash).
TAG_MODEL_SHA256: Final = "metaseg.model_sha256"
TAG_GATE_PREFIX: Final = "metaseg.gate."  # + gate name
TAG_GATES_PASSED: Final = "metaseg.gates_passed"
TAG_PROMOTED_AT: Final = "metaseg.promoted_at"
TAG_PROMOTED_BY: Final = "metaseg.promoted_by"
TAG_PROMOTED_ALIAS: Final = "metaseg.promoted_alias"

#: Overall metrics copied as tags onto a registered model version.
KEY_METRICS: Final = (
    "n_customers",
    "n_sub_segments",
    "silhouette",
    "noise_share",
    "stability_min",
    "catch_all_share",
    "smallest_sub_segment_share",
)

# Artifact paths inside a run (relative to the run's artifact root and to the local
# output folder, which has the same layout).
LABELS_PATH: Final = "labels/labels.parquet"
PROFILES_PARQUET_PATH: Final = "profiles/profiles.parquet"
PROFILES_CSV_PATH: Final = "profiles/profiles.csv"
#: The profile the names read, logged when some read a shared group (``fit_on: shared``).
NAME_EVIDENCE_PATH: Final = "profiles/name_evidence.csv"
SUMMARY_PATH: Final = "summary/sub_segments.csv"
SEGMENT_METRICS_PATH: Final = "summary/base_segments.csv"
K_SELECTION_PATH: Final = "summary/k_selection.csv"
OVERALL_METRICS_PATH: Final = "summary/overall_metrics.json"
CONFIG_PATH: Final = "config/config.yaml"
SPEC_PATH: Final = "config/segmentation.yaml"
DATA_REPORT_PATH: Final = "data_report/data_report.csv"
#: Sub-segment identities matched to the previous champion (when there was one).
IDENTITY_PATH: Final = "identity/matching.csv"
PLOTS_DIR: Final = "plots"
#: The segment report page (written by the ``report`` callback of ``log_fit``).
REPORT_PATH: Final = "report/segment_report.html"
#: The training labels of the fit, as the fitted model held them (no provenance): the
#: registered model leaves them out and records their sha256 (see training_state).
TRAINING_LABELS_PATH: Final = "training/fit_labels.parquet"
#: Local-only folder with the pickled segmenter (it travels inside the logged model).
LOCAL_MODEL_PATH: Final = "model/segmenter.joblib"

#: Name of the logged MLflow model and of its pickled segmenter artifact.
MODEL_NAME: Final = "model"
SEGMENTER_ARTIFACT: Final = "segmenter"
#: Name of the logged model's configuration artifact (input kinds, provenance, as-of).
CONFIG_ARTIFACT: Final = "config"
#: Local file of that artifact (inside the output folder; not uploaded on its own).
LOCAL_MODEL_CONFIG_PATH: Final = "model/pyfunc_config.json"
#: Run tag prefix of the features a base segment was clustered on.
TAG_SEGMENT_FEATURES: Final = "metaseg.features."  # + safe segment name

_UNSAFE = re.compile(r"[^\w.\- ]")


def safe_key(name: object) -> str:
    """Return ``name`` with every character MLflow refuses in a key replaced by ``_``.

    Examples
    --------
    >>> safe_key("big spenders (EU)")
    'big spenders _EU_'
    """
    return _UNSAFE.sub("_", str(name))


def overall_key(metric: str) -> str:
    """Return the MLflow key of an overall metric, e.g. ``overall.noise_share``."""
    return f"{OVERALL_PREFIX}{metric}"


def segment_key(segment: str, metric: str) -> str:
    """Return the MLflow key of a base segment's metric, e.g. ``segment.dormant.stability``.

    Examples
    --------
    >>> segment_key("dormant", "stability")
    'segment.dormant.stability'
    """
    return f"{SEGMENT_PREFIX}{safe_key(segment)}.{metric}"


def split_segment_key(key: str) -> tuple[str, str] | None:
    """Return ``(segment, metric)`` of a per-segment key, or None for any other key.

    The metric is the part after the last dot (metric names have no dots), so base
    segment names that contain dots survive.

    Examples
    --------
    >>> split_segment_key("segment.vip.gold.stability")
    ('vip.gold', 'stability')
    >>> split_segment_key("overall.silhouette") is None
    True
    """
    if not key.startswith(SEGMENT_PREFIX):
        return None
    rest = key[len(SEGMENT_PREFIX) :]
    segment, dot, metric = rest.rpartition(".")
    if not dot or not segment or not metric:
        return None
    return segment, metric
