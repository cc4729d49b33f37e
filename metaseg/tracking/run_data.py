"""What a fit logs as MLflow params, metrics and tags, computed from the fitted model.

Pure functions: a fitted :class:`~metaseg.model.MetaSegmenter` in, plain dicts out.
Params are the resolved segmentation config flattened with dotted keys; metrics are
the overall metrics (``overall.<name>``) and the numeric per-base-segment metrics
(``segment.<name>.<metric>``), NaN left out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from metaseg.tracking.names import (
    TAG_AS_OF,
    TAG_N_CUSTOMERS,
    TAG_SEGMENT_ALGORITHM,
    TAG_SEGMENT_DECISION,
    TAG_SEGMENT_FEATURES,
    overall_key,
    safe_key,
    segment_key,
)

#: MLflow's limits on a param value and a key.
MAX_PARAM_LENGTH = 6000
MAX_KEY_LENGTH = 250
_TRUNCATED = "... (truncated; the full value is in config/segmentation.yaml)"


def flatten_params(document: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten a nested mapping into dotted keys with string values MLflow accepts.

    Lists are JSON-encoded; an empty mapping becomes ``"{}"``; values longer than
    MLflow's limit are cut and say so; keys lose characters MLflow refuses.

    Examples
    --------
    >>> flatten_params({"default": {"algorithm": "kmeans", "params": {}},
    ...                 "windows": [7, 30], "random_state": None})
    {'default.algorithm': 'kmeans', 'default.params': '{}', 'windows': '[7, 30]', 'random_state': 'None'}
    """
    out: dict[str, str] = {}
    for key, value in document.items():
        name = safe_key(f"{prefix}{key}")[:MAX_KEY_LENGTH]
        if isinstance(value, Mapping) and value:
            out.update(flatten_params(value, prefix=f"{name}."))
            continue
        if isinstance(value, Mapping):
            text = "{}"
        elif isinstance(value, list | tuple):
            text = json.dumps(list(value), default=str)
        else:
            text = str(value)
        if len(text) > MAX_PARAM_LENGTH:
            text = text[: MAX_PARAM_LENGTH - len(_TRUNCATED)] + _TRUNCATED
        out[name] = text
    return out


def fit_params(model: Any) -> dict[str, str]:
    """The resolved segmentation config of a fitted model as MLflow params."""
    return flatten_params(model.spec_.model_dump(mode="json"))


def _number(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def fit_metrics(model: Any) -> dict[str, float]:
    """Overall and per-base-segment metrics of a fitted model (numeric, finite only).

    Examples
    --------
    >>> class Fitted:  # the two attributes fit_metrics reads
    ...     overall_metrics_ = {"noise_share": 0.0, "stability_min": float("nan")}
    ...     metrics_ = pd.DataFrame({"split": [True], "algorithm": ["kmeans"]},
    ...                             index=pd.Index(["dormant"], name="base_segment"))
    >>> fit_metrics(Fitted())
    {'overall.noise_share': 0.0, 'segment.dormant.split': 1.0}
    """
    out: dict[str, float] = {}
    for name, value in model.overall_metrics_.items():
        number = _number(value)
        if number is not None:
            out[overall_key(str(name))] = number
    frame: pd.DataFrame = model.metrics_
    for segment, row in frame.iterrows():
        for metric, value in row.items():
            number = _number(value)
            if number is not None:
                out[segment_key(str(segment), str(metric))] = number
    out.update(_clv_metrics(getattr(model, "clv_", None)))
    return out


def _clv_metrics(clv: Any) -> dict[str, float]:
    """The fitted potential-value parameters (``clv.bgnbd.r``, ``clv.gamma_gamma.p``, ...)."""
    out: dict[str, float] = {}
    for part in ("bgnbd", "gamma_gamma"):
        fitted = getattr(clv, f"{part}_", None)
        if fitted is None:
            continue
        values = {
            **fitted.params_,
            "log_likelihood": fitted.log_likelihood,
            "n_customers": fitted.n_customers,
        }
        for name, value in values.items():
            number = _number(value)
            if number is not None:
                out[f"clv.{part}.{name}"] = number
    return out


def fit_tags(model: Any) -> dict[str, str]:
    """Tags describing the fitted model: as-of date, size, and per base segment its
    algorithm, the features it was clustered on and why it was split or not."""
    tags: dict[str, str] = {}
    as_of = getattr(model, "as_of_", None)
    if as_of is not None:
        tags[TAG_AS_OF] = pd.Timestamp(as_of).isoformat()
    tags[TAG_N_CUSTOMERS] = str(len(model.labels_))
    for segment, algorithm in model.metrics_["algorithm"].items():
        tags[f"{TAG_SEGMENT_ALGORITHM}{safe_key(segment)}"] = str(algorithm)
    for segment, fitted in getattr(model, "segments_", {}).items():
        features = list(getattr(fitted, "features", None) or [])
        if features:
            tags[f"{TAG_SEGMENT_FEATURES}{safe_key(segment)}"] = ", ".join(features)[:5_000]
    for segment, reason in model.metrics_["reason"].items():
        if isinstance(reason, str) and reason:
            tags[f"{TAG_SEGMENT_DECISION}{safe_key(segment)}"] = reason[:5_000]
    return tags
