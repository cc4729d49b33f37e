"""Quality gates: the thresholds a segmentation must meet before it becomes the champion.

Gates are evaluated from the metrics a run logged (``overall.*`` and
``segment.<name>.*``), so any logged run can be judged without refitting. Each gate
can be switched off with ``None``. :func:`evaluate_gates` is pure: metrics in,
one :class:`GateResult` per active gate out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from metaseg._yaml import config_error_from_pydantic
from metaseg.exceptions import ConfigError
from metaseg.tracking.names import overall_key, split_segment_key


class QualityGates(BaseModel):
    """Thresholds checked before an alias such as ``champion`` moves to a model version.

    Parameters
    ----------
    min_stability : float or None, default 0.6
        Every split base segment's bootstrap stability (mean adjusted Rand index) must
        reach this. A split segment without a stability (fitted with
        ``n_bootstrap=0``) fails the gate.
    max_noise_share : float or None, default 0.2
        Share of all customers left as noise (sub-segment -1) by density clustering.
    min_sub_segment_share : float or None, default 0.005
        Every machine-learned sub-segment must hold at least this share of all customers.
    min_sub_segment_size : int or None, default 50
        Every machine-learned sub-segment must hold at least this many customers.
    max_catch_all_share : float or None, default 0.5
        Share of customers no rule claimed (the catch-all base segment).
    min_silhouette : float or None, default None
        Customer-weighted silhouette over the split base segments (off by default).

    Examples
    --------
    >>> QualityGates(min_stability=0.7, min_sub_segment_size=None).max_noise_share
    0.2
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_stability: float | None = Field(default=0.6, ge=-1.0, le=1.0)
    max_noise_share: float | None = Field(default=0.2, ge=0.0, le=1.0)
    min_sub_segment_share: float | None = Field(default=0.005, ge=0.0, le=1.0)
    min_sub_segment_size: int | None = Field(default=50, ge=0)
    max_catch_all_share: float | None = Field(default=0.5, ge=0.0, le=1.0)
    min_silhouette: float | None = Field(default=None, ge=-1.0, le=1.0)


def coerce_gates(gates: QualityGates | Mapping[str, Any] | None) -> QualityGates:
    """Validate ``gates`` (None means the defaults; a mapping is the config's ``gates:``).

    Raises
    ------
    ConfigError
        Naming each unknown gate or bad threshold.

    Examples
    --------
    >>> coerce_gates({"min_stability": 0.5}).min_stability
    0.5
    """
    if gates is None:
        return QualityGates()
    if isinstance(gates, QualityGates):
        return gates
    if not isinstance(gates, Mapping):
        raise ConfigError(
            f"gates must be a QualityGates or a mapping such as {{'min_stability': 0.6}}, "
            f"got {type(gates).__name__}: {gates!r}."
        )
    try:
        return QualityGates.model_validate(dict(gates))
    except ValidationError as exc:
        raise config_error_from_pydantic(exc, what="gates") from None


@dataclass(frozen=True)
class GateResult:
    """The verdict of one gate.

    Attributes
    ----------
    name : str
        The gate (a field of :class:`QualityGates`).
    op : {">=", "<="}
        How ``value`` is compared with ``threshold``.
    threshold : float
    value : float or None
        The measured value; None when the run did not log what the gate needs.
    passed : bool
    detail : str
        Which base segments are responsible, or why nothing could be measured.
    """

    name: str
    op: Literal[">=", "<="]
    threshold: float
    value: float | None
    passed: bool
    detail: str = ""

    def __str__(self) -> str:
        shown = "not measured" if self.value is None else f"{self.value:.4g}"
        verdict = "passed" if self.passed else "FAILED"
        relation = self.op if self.passed or self.value is None else _negate(self.op)
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.name}: {shown} {relation} {self.threshold:g} {verdict}{extra}"

    def to_tag(self) -> str:
        """The JSON recorded as a model-version tag."""
        return json.dumps(
            {
                "value": self.value,
                "op": self.op,
                "threshold": self.threshold,
                "passed": self.passed,
                "detail": self.detail,
            },
            sort_keys=True,
        )


def _negate(op: str) -> str:
    return "<" if op == ">=" else ">"


def evaluate_gates(
    metrics: Mapping[str, float], gates: QualityGates | Mapping[str, Any] | None = None
) -> list[GateResult]:
    """Judge a run's logged metrics against the gates that are switched on.

    Parameters
    ----------
    metrics : mapping of str to float
        The run's metrics as logged by :func:`metaseg.tracking.log_fit`.
    gates : QualityGates or mapping, optional
        Thresholds (default :class:`QualityGates`).

    Returns
    -------
    list of GateResult
        One per active gate, in the order of :class:`QualityGates`' fields.

    Examples
    --------
    >>> metrics = {"overall.noise_share": 0.3, "overall.catch_all_share": 0.1}
    >>> [str(r) for r in evaluate_gates(metrics, {"min_stability": None,
    ...     "min_sub_segment_share": None, "min_sub_segment_size": None})]
    ['max_noise_share: 0.3 > 0.2 FAILED', 'max_catch_all_share: 0.1 <= 0.5 passed']
    """
    spec = coerce_gates(gates)
    split = _split_segments(metrics)
    n_customers = _finite(metrics.get(overall_key("n_customers")))
    results: list[GateResult] = []
    if spec.min_stability is not None:
        results.append(_stability_gate(spec.min_stability, split, metrics))
    if spec.max_noise_share is not None:
        results.append(_overall_gate("max_noise_share", "<=", spec.max_noise_share, metrics))
    if spec.min_sub_segment_share is not None:
        sizes = _smallest_sizes(split)
        shares = (
            None
            if n_customers is None or n_customers <= 0
            else {k: v / n_customers for k, v in sizes.items()}
        )
        results.append(
            _per_segment_gate("min_sub_segment_share", spec.min_sub_segment_share, shares, split)
        )
    if spec.min_sub_segment_size is not None:
        results.append(
            _per_segment_gate(
                "min_sub_segment_size",
                float(spec.min_sub_segment_size),
                _smallest_sizes(split),
                split,
            )
        )
    if spec.max_catch_all_share is not None:
        results.append(
            _overall_gate("max_catch_all_share", "<=", spec.max_catch_all_share, metrics)
        )
    if spec.min_silhouette is not None:
        results.append(_overall_gate("min_silhouette", ">=", spec.min_silhouette, metrics))
    return results


_OVERALL_METRIC = {
    "max_noise_share": "noise_share",
    "max_catch_all_share": "catch_all_share",
    "min_silhouette": "silhouette",
    "min_stability": "stability_min",
}


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _passes(value: float, op: str, threshold: float) -> bool:
    return value >= threshold if op == ">=" else value <= threshold


def _overall_gate(
    name: str, op: Literal[">=", "<="], threshold: float, metrics: Mapping[str, float]
) -> GateResult:
    key = overall_key(_OVERALL_METRIC[name])
    value = _finite(metrics.get(key))
    if value is None:
        return GateResult(name, op, threshold, None, False, f"the run logged no {key}")
    return GateResult(name, op, threshold, value, _passes(value, op, threshold))


def _split_segments(metrics: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """Per-segment metrics of the base segments that were split by a clusterer."""
    per: dict[str, dict[str, float]] = {}
    for key, value in metrics.items():
        parts = split_segment_key(key)
        if parts is not None:
            per.setdefault(parts[0], {})[parts[1]] = value
    return {name: m for name, m in per.items() if _finite(m.get("split")) == 1.0}


def _smallest_sizes(split: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    sizes = {}
    for name, m in split.items():
        share, size = _finite(m.get("smallest_share")), _finite(m.get("n_customers"))
        if share is not None and size is not None:
            sizes[name] = round(share * size)
    return sizes


def _worst(values: Mapping[str, float], threshold: float, fmt: str) -> str:
    below = sorted((v, k) for k, v in values.items() if v < threshold)
    return ", ".join(f"{k!r} {v:{fmt}}" for v, k in below[:5])


def _stability_gate(
    threshold: float, split: Mapping[str, Mapping[str, float]], metrics: Mapping[str, float]
) -> GateResult:
    name = "min_stability"
    if not split:
        overall = _finite(metrics.get(overall_key("stability_min")))
        if overall is not None:  # metrics logged without per-segment detail
            return GateResult(name, ">=", threshold, overall, overall >= threshold)
        return GateResult(name, ">=", threshold, None, True, "no base segment is split")
    measured = {k: v for k, m in split.items() if (v := _finite(m.get("stability"))) is not None}
    missing = sorted(set(split) - set(measured))
    if missing:
        value = min(measured.values()) if measured else None
        return GateResult(
            name,
            ">=",
            threshold,
            value,
            False,
            f"stability not measured for {', '.join(map(repr, missing[:5]))}; "
            "fit with n_bootstrap >= 1",
        )
    value = min(measured.values())
    passed = value >= threshold
    detail = "" if passed else "below: " + _worst(measured, threshold, ".3f")
    return GateResult(name, ">=", threshold, value, passed, detail)


def _per_segment_gate(
    name: str,
    threshold: float,
    values: Mapping[str, float] | None,
    split: Mapping[str, Mapping[str, float]],
) -> GateResult:
    if not split:
        return GateResult(name, ">=", threshold, None, True, "no base segment is split")
    if values is None or not values:
        return GateResult(name, ">=", threshold, None, False, "the run logged no sub-segment sizes")
    value = min(values.values())
    passed = value >= threshold
    fmt = ".0f" if name.endswith("size") else ".4f"
    detail = "" if passed else "smallest sub-segment in " + _worst(values, threshold, fmt)
    return GateResult(name, ">=", threshold, value, passed, detail)
