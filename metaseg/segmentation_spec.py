"""The typed configuration of a segmentation: how each base segment is sub-segmented.

A :class:`SegmentationSpec` names the rules (a preset, a YAML path, YAML text or a
mapping), a default :class:`SubSegmentSpec` and per-base-segment overrides. It is the
``segmentation:`` block of a metaseg YAML config and the keyword arguments of
:class:`metaseg.model.MetaSegmenter`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from metaseg._messages import did_you_mean
from metaseg._yaml import config_error_from_pydantic
from metaseg.cluster import AutoGaussianMixture, AutoKMeans, DensityClusterer
from metaseg.exceptions import ConfigError
from metaseg.features import FeatureSpec

Algorithm = Literal["gmm", "kmeans", "hdbscan", "none"]


def _estimator_params(estimator: type) -> tuple[str, ...]:
    """The constructor arguments of a clusterer, except the segmentation-wide seed."""
    signature = inspect.signature(estimator.__init__)
    return tuple(name for name in signature.parameters if name not in ("self", "random_state"))


#: Parameters each algorithm accepts in ``params``: the estimators' own arguments.
ALGORITHM_PARAMS: dict[str, tuple[str, ...]] = {
    "gmm": _estimator_params(AutoGaussianMixture),
    "kmeans": _estimator_params(AutoKMeans),
    "hdbscan": _estimator_params(DensityClusterer),
    "none": (),
}


class SubSegmentSpec(BaseModel):
    """How one base segment is split into sub-segments.

    Parameters
    ----------
    algorithm : {"gmm", "kmeans", "hdbscan", "none"}, default="gmm"
        ``gmm`` is :class:`metaseg.cluster.AutoGaussianMixture` (a Gaussian mixture whose
        number of components, one included, is chosen by ICL),
        ``kmeans`` is :class:`metaseg.cluster.AutoKMeans` (k chosen automatically),
        ``hdbscan`` is :class:`metaseg.cluster.DensityClusterer`, ``none`` keeps the
        base segment whole (one sub-segment 0).
    features : FeatureSpec
        The features and their preprocessing (see :class:`metaseg.features.FeatureSpec`).
    params : dict
        Parameters of the algorithm, e.g. ``{"k_min": 2, "k_max": 6}``.
    fit_on : {"segment", "shared"}, default="segment"
        ``segment`` learns the featurizer and the clusterer from the base segment's own
        customers. ``shared`` learns them once from the customers of every base segment
        whose spec is this same one (``fit_on: shared`` in ``default`` pools all the
        segments that use the default), and each base segment's sub-segments are the
        shared groups found among its customers, numbered by size inside it. Use it when
        the groups cut across the base segments, as needs do: a one-order customer shows
        one or two categories, but customers with many orders show which categories go
        together, and a shared fit lets the first be placed by what the second reveal.

    Examples
    --------
    >>> SubSegmentSpec(algorithm="kmeans", features={"features": "basket"},
    ...                params={"k_max": 5}).params
    {'k_max': 5}
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    algorithm: Algorithm = "gmm"
    features: FeatureSpec = Field(default_factory=lambda: FeatureSpec(features="core"))
    params: dict[str, Any] = Field(default_factory=dict)
    fit_on: Literal["segment", "shared"] = "segment"

    @field_validator("params")
    @classmethod
    def _known_params(cls, params: dict[str, Any], info: Any) -> dict[str, Any]:
        algorithm = info.data.get("algorithm", "gmm")
        allowed = ALGORITHM_PARAMS.get(algorithm, ())
        for name in params:
            if name == "random_state":
                raise ValueError(
                    "random_state is set once for the whole segmentation "
                    "(MetaSegmenter(random_state=...)), not per segment"
                )
            if name not in allowed:
                raise ValueError(
                    f"unknown parameter {name!r} for algorithm {algorithm!r}."
                    f"{did_you_mean(name, allowed)} Allowed: {', '.join(allowed) or 'none'}"
                )
        return params


class SegmentationSpec(BaseModel):
    """The whole ``segmentation:`` block of a config.

    Parameters
    ----------
    rules : str or dict
        A preset name (``lifecycle``, ``rfm``, ``rfm_textbook``, ``value_tiers``,
        ``demographic``), a path to a rules YAML file, YAML text, or the rules document
        as a mapping; ``{preset: lifecycle, params: {hesitant_cart_min_days: 0}}`` is a
        preset with some of its named thresholds changed.
    default : SubSegmentSpec
        Used for every base segment without an entry in ``segments``.
    segments : dict of str to SubSegmentSpec
        Per-base-segment overrides, keyed by base segment name.
    min_segment_size : int
        Base segments with fewer customers are not split (default 200).
    max_fit_rows : int
        Clusterers are fitted on a seeded sample of at most this many customers per
        base segment; every customer is then assigned (default 50,000).
    n_bootstrap : int
        Bootstrap refits per base segment for the stability score (0 disables it).
    stability_sample_size : int
        Customers per bootstrap refit (default 2,000).
    metrics_sample_size : int
        Rows used for silhouette (quadratic) per base segment (default 4,000).
    names : dict of str to str
        User names for sub-segments keyed by segment code, e.g. ``{"dormant/0": "Whales"}``.
    random_state : int, optional
        Seed of every stochastic step.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: str | dict[str, Any] = "lifecycle"
    default: SubSegmentSpec = Field(default_factory=SubSegmentSpec)
    segments: dict[str, SubSegmentSpec] = Field(default_factory=dict)
    min_segment_size: int = Field(default=200, ge=2)
    max_fit_rows: int = Field(default=50_000, ge=100)
    n_bootstrap: int = Field(default=3, ge=0, le=100)
    stability_sample_size: int = Field(default=2_000, ge=50)
    metrics_sample_size: int = Field(default=4_000, ge=50)
    names: dict[str, str] = Field(default_factory=dict)
    random_state: int | None = 0

    def for_segment(self, name: str) -> SubSegmentSpec:
        """Return the spec that applies to base segment ``name``."""
        return self.segments.get(name, self.default)


def coerce_segmentation_spec(
    spec: SegmentationSpec | Mapping[str, Any], *, what: str = "segmentation"
) -> SegmentationSpec:
    """Validate a mapping into a :class:`SegmentationSpec`, with YAML-path errors."""
    if isinstance(spec, SegmentationSpec):
        return spec
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{what} must be a mapping of settings, got {type(spec).__name__}: {spec!r}"
        )
    try:
        return SegmentationSpec.model_validate(dict(spec))
    except ValidationError as exc:
        raise config_error_from_pydantic(exc, what=what) from None
