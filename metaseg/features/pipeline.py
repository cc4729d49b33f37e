"""The per-segment feature transformer: facts of one base segment → numeric matrix."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from metaseg import schema
from metaseg._messages import did_you_mean, preview
from metaseg.exceptions import ConfigError, DataError, DataQualityWarning, NoUsableFeaturesError
from metaseg.features import _column_checks, _transforms
from metaseg.features.presets import LOG1P_AUTO_KINDS, fact_kind
from metaseg.features.spec import FeatureSpec, coerce_spec


def signed_log1p(frame: pd.DataFrame, columns: Sequence[str] = ()) -> pd.DataFrame:
    """Return ``frame`` with ``sign(x) * log1p(|x|)`` applied to ``columns``.

    Equal to ``log1p`` for the non-negative values facts normally hold, and still defined
    for a negative ``monetary`` (refunds larger than purchases). Missing values stay missing.

    Examples
    --------
    >>> signed_log1p(pd.DataFrame({"a": [0.0, -1.0], "b": [3.0, 3.0]}), ["a"])["a"].round(3).tolist()
    [0.0, -0.693]
    """
    out = frame.copy()
    for name in columns:
        values = out[name].to_numpy(dtype="float64")
        out[name] = np.sign(values) * np.log1p(np.abs(values))
    return out


class SegmentFeaturizer(TransformerMixin, BaseEstimator):
    """Select, log-transform, impute, scale and one-hot encode the facts of one segment.

    ``fit`` is called on the customers of ONE base segment; the medians, scales and
    categories learnt there are applied by ``transform`` to any rows. The work is done by
    a scikit-learn ``ColumnTransformer`` (``column_transformer_``) with pandas output:

    * numeric columns: whole-number counts dequantised (``dequantize``, see
      :class:`~metaseg.features.FeatureSpec`) → :func:`signed_log1p` on the ``log1p``
      columns → ``SimpleImputer`` (median or zero) → ``StandardScaler`` /
      :class:`~metaseg.features._transforms.RobustUnitScaler` / nothing;
    * ``nan_policy="indicator"``: a ``MissingIndicator`` column
      ``missingindicator_<column>`` (0/1, not scaled) for each numeric column that had
      missing values at fit;
    * categorical columns: ``OneHotEncoder(handle_unknown="ignore")``, one 0/1 column per
      category seen at fit (``<column>_<category>``, missing values are the category
      ``nan``). Unseen categories become all-zero rows; :meth:`count_unseen` counts them
      and ``transform`` warns with a :class:`~metaseg.exceptions.DataQualityWarning`.

    Before that, ``fit`` drops constant, near-constant and high-cardinality columns,
    numeric columns missing for more than ``max_missing_share`` of the rows, and numeric
    columns redundant with an earlier one (Spearman correlation of at least
    ``max_correlation``), and records each in ``dropped_features_`` with the reason
    (high cardinality is also warned about, as it usually means a wrong column). Rows
    are never dropped.

    scikit-learn's ``parametrize_with_checks`` does not apply: its checks feed unnamed
    NumPy arrays, while this transformer selects facts by name from its spec, so every
    check would stop at the column lookup. The tests run the checks that do not depend on
    the data (clone, ``get_params``, no work in ``__init__``, ``NotFittedError``, repr).

    Parameters
    ----------
    spec : FeatureSpec or mapping
        The feature configuration; a mapping is validated in ``fit``.
    segment : str, optional
        The base segment this featurizer is fitted on, used in messages.

    Attributes
    ----------
    spec_ : FeatureSpec
        The validated spec.
    input_features_ : list of str
        The facts used, in spec order, after the drops (numeric first, then categorical).
    numeric_features_, categorical_features_ : list of str
        ``input_features_`` split by kind.
    log1p_features_ : list of str
        The numeric columns that get :func:`signed_log1p`.
    dropped_features_ : dict of str to str
        Each requested fact that was dropped, with the reason.
    dequantized_features_ : list of str
        The count columns spread over ``[x, x + 1)`` before the log.
    feature_names_out_ : ndarray of str
        The output columns, as ``get_feature_names_out()`` returns them.
    n_features_in_ : int
        Number of columns of the facts seen in ``fit`` (scikit-learn's meaning; the
        facts actually used are ``input_features_``).
    feature_names_in_ : ndarray of str
        Those columns' names.
    column_transformer_ : sklearn.compose.ColumnTransformer
        The fitted transformer doing the work.

    Examples
    --------
    >>> facts = pd.DataFrame({"frequency": [1, 2, 3, 10], "region": ["n", "s", "n", "s"]})
    >>> featurizer = SegmentFeaturizer(spec={"features": ["frequency", "region"]})
    >>> featurizer.fit_transform(facts).columns.tolist()
    ['frequency', 'region_n', 'region_s']
    >>> featurizer.log1p_features_
    ['frequency']
    """

    def __init__(self, *, spec: FeatureSpec | Mapping[str, Any], segment: str | None = None):
        self.spec = spec
        self.segment = segment

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def _where(self) -> str:
        return "features" if self.segment is None else f"features of segment {self.segment!r}"

    def fit(self, facts: pd.DataFrame, y: object = None) -> SegmentFeaturizer:
        """Learn the columns, drops, medians, scales and categories from one segment.

        Parameters
        ----------
        facts : DataFrame
            Facts of the customers of one base segment (one row per customer).
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        ConfigError
            If the spec is invalid or names a column that is missing, an identifier, a
            timestamp, or a categorical column in ``log1p``.
        DataError
            If ``facts`` is empty, holds infinite values, has missing values under
            ``nan_policy="error"``, or every feature was dropped.
        """
        return self._fit(facts, stacklevel=4)

    def fit_transform(self, facts: pd.DataFrame, y: object = None) -> pd.DataFrame:
        """Fit on ``facts`` and return their transformed matrix (see :meth:`fit`)."""
        # user code -> scikit-learn's set_output wrapper -> here -> _fit -> warning helper
        return self._fit(facts, stacklevel=5).transform(facts)

    def _fit(self, facts: pd.DataFrame, *, stacklevel: int) -> SegmentFeaturizer:
        where = self._where()
        spec = coerce_spec(self.spec, what=f"feature spec ({where})")
        # kinds of custom facts, as compute_facts records them
        custom_kinds = dict(getattr(facts, "attrs", {}).get("fact_kinds") or {})
        facts = _column_checks.check_frame(facts, where=where)
        if len(facts) == 0:
            raise DataError(f"{where}: cannot fit on an empty facts table (0 customers).")
        numeric, categorical = _column_checks.split_kinds(
            facts, spec.feature_names(), spec.feature_origin(), where=where
        )
        log_columns = self._log1p_columns(spec, numeric, categorical, custom_kinds, where=where)
        frame = _column_checks.prepare(facts, numeric, categorical, where=where)
        _column_checks.check_finite(frame, numeric, where=where)
        dropped = _column_checks.drop_reasons(
            frame,
            categorical,
            near_constant_threshold=spec.near_constant_threshold,
            max_categories=spec.max_categories,
        )
        numeric = [c for c in numeric if c not in dropped]
        dropped.update(_transforms.mostly_missing(frame, numeric, max_share=spec.max_missing_share))
        numeric = [c for c in numeric if c not in dropped]
        if spec.max_correlation is not None:
            dropped.update(
                _transforms.redundant_columns(frame, numeric, threshold=spec.max_correlation)
            )
            numeric = [c for c in numeric if c not in dropped]
        categorical = [c for c in categorical if c not in dropped]
        if not numeric and not categorical:
            raise NoUsableFeaturesError(
                f"{where}: every feature was dropped on these {len(facts):,} customers: "
                + "; ".join(f"{k!r} ({v})" for k, v in dropped.items())
                + ". Add features that vary inside this segment, or do not sub-segment it."
            )
        if spec.nan_policy == "error":
            _column_checks.check_no_missing(frame, [*numeric, *categorical], where=where)
        self._warn_high_cardinality(dropped, stacklevel=stacklevel)

        self.spec_ = spec
        self.numeric_features_ = numeric
        self.categorical_features_ = categorical
        self.input_features_ = [*numeric, *categorical]
        self.log1p_features_ = [c for c in log_columns if c in numeric]
        self.dropped_features_ = dropped
        self.dequantized_features_ = (
            [
                c
                for c in numeric
                if fact_kind(c, custom_kinds) == "count" and _transforms.integer_valued(frame[c])
            ]
            if spec.dequantize
            else []
        )
        self.n_features_in_ = facts.shape[1]
        self.feature_names_in_ = np.asarray(facts.columns, dtype=object)
        with_missing = [c for c in numeric if frame[c].isna().any()]
        transformer = self._build(spec, with_missing)
        transformer.fit(self._dequantized(facts, frame[self.input_features_]))
        self.column_transformer_ = transformer
        self.feature_names_out_ = np.asarray(transformer.get_feature_names_out(), dtype=object)
        return self

    def transform(self, facts: pd.DataFrame) -> pd.DataFrame:
        """Apply the fitted statistics to ``facts``; rows and index are kept.

        Parameters
        ----------
        facts : DataFrame
            Facts with at least the columns in ``input_features_``.

        Returns
        -------
        DataFrame
            float64 columns ``feature_names_out_``, indexed like ``facts``.

        Raises
        ------
        DataError
            If a column used at fit is missing, changed type, holds infinite values, or has
            missing values under ``nan_policy="error"``.
        """
        check_is_fitted(self, "column_transformer_")
        frame = self._prepared(facts)
        unseen = self._unseen(frame)
        if unseen:
            shown = ", ".join(f"{name!r}: {n:,}" for name, n in unseen.items())
            warnings.warn(
                f"{self._where()}: categories not seen at fit ({shown} rows); they are "
                "encoded as all-zero one-hot columns. Refit if these categories matter.",
                DataQualityWarning,
                stacklevel=3,  # user code -> scikit-learn's set_output wrapper -> here
            )
        out = self.column_transformer_.transform(self._dequantized(facts, frame))
        out = out.astype("float64")
        out.index = facts.index
        return out

    def count_unseen(self, facts: pd.DataFrame) -> dict[str, int]:
        """Count, per categorical column, the rows whose category was not seen at fit.

        A missing value counts as unseen when the fit data had none in that column.

        Returns
        -------
        dict of str to int
            Only the columns with at least one unseen value; empty when all were seen.
        """
        check_is_fitted(self, "column_transformer_")
        return self._unseen(self._prepared(facts))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Return the output column names (``input_features`` is ignored)."""
        check_is_fitted(self, "column_transformer_")
        return self.feature_names_out_.copy()

    # -- helpers ---------------------------------------------------------------------------

    def _dequantized(self, facts: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with every dequantised count moved by its customer's fixed offset."""
        if not self.dequantized_features_:
            return frame
        hashes = _transforms.id_hashes(facts.get(schema.CUSTOMER_ID, facts.index))
        out = frame.copy()
        for name in self.dequantized_features_:
            out[name] = out[name] + _transforms.offsets_from_hashes(hashes, name)
        return out

    def _prepared(self, facts: pd.DataFrame) -> pd.DataFrame:
        where = self._where()
        facts = _column_checks.check_frame(facts, where=where)
        missing = [c for c in self.input_features_ if c not in facts.columns]
        if missing:
            raise DataError(
                f"{where}: the facts lack column(s) {preview(missing)} used at fit"
                f"{did_you_mean(missing[0], facts.columns)} Pass facts computed the same "
                "way as the ones the featurizer was fitted on."
            )
        frame = _column_checks.prepare(
            facts, self.numeric_features_, self.categorical_features_, where=where
        )
        _column_checks.check_finite(frame, self.numeric_features_, where=where)
        if self.spec_.nan_policy == "error":
            _column_checks.check_no_missing(frame, self.input_features_, where=where)
        return frame

    def _unseen(self, frame: pd.DataFrame) -> dict[str, int]:
        if not self.categorical_features_:
            return {}
        encoder = self.column_transformer_.named_transformers_["categorical"]
        counts: dict[str, int] = {}
        for name, categories in zip(self.categorical_features_, encoder.categories_, strict=True):
            known = [c for c in categories if not pd.isna(c)]
            nan_known = len(known) < len(categories)
            values = frame[name]
            unseen = ~values.isin(known) & (values.notna() | (not nan_known))
            n_unseen = int(unseen.sum())
            if n_unseen:
                counts[name] = n_unseen
        return counts

    @staticmethod
    def _log1p_columns(
        spec: FeatureSpec,
        numeric: list[str],
        categorical: list[str],
        custom_kinds: dict[str, str],
        *,
        where: str,
    ) -> list[str]:
        if spec.log1p is None:
            return []
        if spec.log1p == "auto":
            return [c for c in numeric if fact_kind(c, custom_kinds) in LOG1P_AUTO_KINDS]
        for name in spec.log1p:
            if name in categorical:
                raise ConfigError(
                    f"{where}: log1p lists {name!r}, a categorical column; log1p applies "
                    "only to numeric columns. Remove it from 'log1p'."
                )
            if name not in numeric:
                raise ConfigError(
                    f"{where}: log1p lists {name!r}, which is not among the features "
                    f"{preview(numeric, limit=20)}.{did_you_mean(name, numeric)} Add it to "
                    "'features' or remove it from 'log1p'."
                )
        return list(spec.log1p)

    def _warn_high_cardinality(self, dropped: dict[str, str], *, stacklevel: int) -> None:
        high = {k: v for k, v in dropped.items() if v.startswith("high cardinality")}
        if high:
            shown = "; ".join(f"{k!r}: {v}" for k, v in high.items())
            warnings.warn(
                f"{self._where()}: dropped categorical column(s) with too many categories "
                f"({shown}). Raise max_categories or remove them from 'features'.",
                DataQualityWarning,
                stacklevel=stacklevel,
            )

    def _build(self, spec: FeatureSpec, with_missing: list[str]) -> ColumnTransformer:
        branches: list[tuple[str, Any, list[str]]] = []
        if self.numeric_features_:
            if spec.nan_policy == "zero":
                imputer = SimpleImputer(strategy="constant", fill_value=0.0)
            else:
                # np.median on each column's known values: the same statistic as
                # strategy="median", an order of magnitude faster on large segments
                imputer = SimpleImputer(strategy=np.median)
            scaler: Any = {
                "robust": _transforms.RobustUnitScaler(),
                "standard": StandardScaler(),
                "none": "passthrough",
            }[spec.scaling]
            log1p = FunctionTransformer(
                signed_log1p,
                kw_args={"columns": list(self.log1p_features_)},
                feature_names_out="one-to-one",
            )
            steps = [("log1p", log1p), ("impute", imputer), ("scale", scaler)]
            branches.append(("numeric", Pipeline(steps), list(self.numeric_features_)))
        if spec.nan_policy == "indicator" and with_missing:
            branches.append(("missing", MissingIndicator(features="all"), with_missing))
        if self.categorical_features_:
            encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
            branches.append(("categorical", encoder, list(self.categorical_features_)))
        transformer = ColumnTransformer(branches, remainder="drop", verbose_feature_names_out=False)
        return transformer.set_output(transform="pandas")
