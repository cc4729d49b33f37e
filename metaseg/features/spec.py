"""The typed configuration of the features of one base segment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from metaseg._messages import available, did_you_mean
from metaseg._yaml import config_error_from_pydantic
from metaseg.exceptions import ConfigError
from metaseg.features.presets import PRESETS, expand_features


class FeatureSpec(BaseModel):
    """How to turn the facts of one base segment into a numeric matrix.

    Parameters
    ----------
    features : str or list of str
        A preset name (``rfm``, ``engagement``, ``basket``, ``behaviour``; see
        :mod:`metaseg.features.presets`) or a list of fact/attribute names, in which
        preset names are expanded in place.
    log1p : "auto", list of str or None
        Which numeric columns get ``sign(x) * log1p(|x|)`` (plain ``log1p`` for the
        non-negative values facts normally hold). ``"auto"`` picks the count and money
        facts by name (:func:`metaseg.features.presets.fact_kind`); a list names them;
        ``None`` (or ``"none"``) transforms nothing.
    scaling : {"standard", "robust", "none"}
        Scaler applied to the numeric columns after the log and the imputation:
        mean/standard deviation (the default: every column ends with unit variance,
        whatever its missing share), median/IQR (IQR divided by 1.349, the standard
        deviation's value for normal data; a column whose IQR is 0 is scaled by its
        standard deviation instead, so it never stays in raw units), or none. One-hot
        and missing-indicator columns are never scaled.
    max_categories : int
        A categorical column with more distinct values than this in the fit data is
        dropped (recorded in ``dropped_features_`` and warned about) rather than
        expanded into that many one-hot columns.
    near_constant_threshold : float
        A column whose most frequent value (missing counts as a value) covers at least
        this share of the fit rows is dropped and recorded; ``1.0`` drops only
        constant columns.
    max_missing_share : float
        A numeric column missing for more than this share of the fit rows is dropped
        and recorded: imputed, it would be one value for most rows and the rest would
        decide the clusters on their own.
    max_correlation : float or None
        Of two numeric columns whose Spearman correlation in the fit rows reaches this
        in absolute value, the later one is dropped and recorded as redundant; None
        keeps both.
    dequantize : bool
        Spread each whole-number count fact ``x`` over ``[x, x + 1)`` before the log,
        by a fixed offset drawn from a hash of the customer id and the column (the same
        customer always gets the same offset, at fit and at predict, in any row order).
        Counts with small values are otherwise a few stacked points that k-means
        separates as if they were groups. Needs the ``customer_id`` column (the index
        is used when it is absent).
    nan_policy : {"median", "zero", "indicator", "error"}
        Missing numeric values are replaced by the fit median, by zero, or by the fit
        median plus a 0/1 ``missingindicator_<column>`` column; ``"error"`` raises a
        :class:`~metaseg.exceptions.DataError` naming the column and the count. Missing
        categorical values become their own category (``"error"`` raises for them too).
    composition : {"hellinger", "clr"}
        How category-mix shares (``mix_*`` columns, the ``needs`` preset) are mapped:
        square roots (Hellinger distance) or centred log-ratios (zeros replaced by 0.001
        first); see :class:`~metaseg.features._transforms.CompositionTransformer`.

    Examples
    --------
    >>> spec = FeatureSpec(features=["rfm", "age"], scaling="standard")
    >>> spec.feature_names()
    ['recency_days', 'frequency', 'monetary', 'age']
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    features: str | list[str] = Field(min_length=1)
    log1p: Literal["auto"] | list[str] | None = "auto"
    scaling: Literal["standard", "robust", "none"] = "standard"
    max_categories: int = Field(default=10, ge=2)
    near_constant_threshold: float = Field(default=0.99, gt=0.5, le=1.0)
    max_missing_share: float = Field(default=0.5, gt=0.0, le=1.0)
    max_correlation: float | None = Field(default=0.95, gt=0.0, le=1.0)
    dequantize: bool = True
    nan_policy: Literal["median", "zero", "indicator", "error"] = "median"
    composition: Literal["hellinger", "clr"] = "hellinger"

    @field_validator("features")
    @classmethod
    def _known_preset(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, str) and value not in PRESETS:
            raise ValueError(
                f"{value!r} is not a preset.{did_you_mean(value, PRESETS)} Presets are "
                f"{available(PRESETS)}; give a single column as a list, e.g. [{value!r}]"
            )
        if isinstance(value, list):
            blank = [i for i, name in enumerate(value) if not str(name).strip()]
            if blank:
                raise ValueError(f"feature names must not be empty (position(s) {blank})")
        return value

    @field_validator("log1p", mode="before")
    @classmethod
    def _none_text(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lower() == "none":
            return None
        return value

    def feature_names(self, columns: Any = None) -> list[str]:
        """Return the facts this spec asks for, presets expanded, without duplicates;
        ``*`` entries are expanded against ``columns`` when given."""
        return expand_features(self.features, columns)[0]

    def feature_origin(self, columns: Any = None) -> dict[str, str]:
        """Return, for each fact that came from a preset, the preset's name."""
        return expand_features(self.features, columns)[1]


def coerce_spec(
    spec: FeatureSpec | Mapping[str, Any], *, what: str = "feature spec"
) -> FeatureSpec:
    """Return ``spec`` as a :class:`FeatureSpec`, validating a mapping (e.g. from YAML).

    Parameters
    ----------
    spec : FeatureSpec or mapping
        The spec, or its fields as a dict.
    what : str
        What the spec is, for error messages (e.g. ``"feature spec of segment 'dormant'"``).

    Raises
    ------
    ConfigError
        If a field is missing, unknown or invalid; every problem is listed.

    Examples
    --------
    >>> coerce_spec({"features": "rfm", "log1p": "none"}).log1p is None
    True
    """
    if isinstance(spec, FeatureSpec):
        return spec
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{what} must be a FeatureSpec or a mapping of its fields, got "
            f"{type(spec).__name__}: {spec!r:.80}. Example: {{'features': 'rfm'}}."
        )
    try:
        return FeatureSpec.model_validate(dict(spec))
    except ValidationError as exc:
        raise config_error_from_pydantic(exc, what=what) from None
