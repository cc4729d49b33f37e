"""The fitted segmentation: rules, then machine-learned sub-segments inside each rule segment.

:class:`MetaSegmenter` only composes the stages — :mod:`metaseg.rules` (base segments),
:mod:`metaseg.features` (one preprocessing per base segment), :mod:`metaseg.cluster`
(one clusterer per base segment) and :mod:`metaseg.profile` (profiles and names) — and
keeps what a CRM team needs: the labels table, the profiles, the metrics and the
stability of every base segment.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from metaseg import schema
from metaseg._messages import preview
from metaseg._progress import track
from metaseg._texts import repeated_texts
from metaseg.exceptions import ClusteringWarning, ConfigError, DataError
from metaseg.facts.category_mix import recorded_settings

# the helpers live in their own modules; the names other modules, tests and old pickles
# (``metaseg.model.FittedSegment``) read from here stay importable from here
from metaseg.fitted_segment import FittedSegment as FittedSegment
from metaseg.fitted_segment import apply_relabel as apply_relabel
from metaseg.model_inputs import FITTED_ATTRIBUTES as FITTED_ATTRIBUTES
from metaseg.model_inputs import _check_facts, _facts_of, _resolve_as_of
from metaseg.model_inputs import canonical_row_order as canonical_row_order
from metaseg.model_inputs import check_feature_columns as check_feature_columns
from metaseg.model_inputs import check_fitted as check_fitted
from metaseg.model_inputs import is_events as is_events
from metaseg.segment_fit import SEGMENT_METRICS as SEGMENT_METRICS
from metaseg.segment_fit import (
    SharedFit,
    _distances,
    _feature_columns,
    _fit_segment,
    _k_selection,
    _overall_metrics,
    _probabilities,
    _segment_featurizer,
    _segment_metrics,
    _size_order,
    _stability,
    fit_shared,
    segment_profiles,
    shared_group_profiles,
    shared_pools,
)
from metaseg.segment_fit import base_profile as base_profile
from metaseg.segment_fit import sub_segment_centres as sub_segment_centres
from metaseg.segmentation_spec import (
    SegmentationSpec,
    SubSegmentSpec,
    coerce_segmentation_spec,
)

#: Fitted attributes with one row per fit customer: kept by a fitted model in memory,
#: left out of the scoring copy a registered model carries (:meth:`MetaSegmenter.for_scoring`)
#: and logged to the run instead.
TRAINING_STATE = ("labels_",)


#: The defaults of the segmentation block, so the estimator and a config never disagree.
_DEFAULTS: dict[str, Any] = {
    name: field.default
    for name, field in SegmentationSpec.model_fields.items()
    if field.default_factory is None
}


class MetaSegmenter(BaseEstimator):
    """Rule segments first, machine-learned sub-segments inside each one.

    Parameters
    ----------
    rules : str or dict, default="lifecycle"
        A preset name, a rules YAML path or text, or the rules as a mapping.
    default : SubSegmentSpec or dict, optional
        How base segments without an entry in ``segments`` are split (default
        :class:`~metaseg.cluster.AutoGaussianMixture` with k in [1, 8] chosen by ICL on
        the ``core`` feature preset).
    segments : dict of str to SubSegmentSpec or dict, optional
        Per-base-segment algorithm, features and parameters.
    min_segment_size : int, default=200
        Smaller base segments are not split (one sub-segment 0; the reason is recorded).
    max_fit_rows : int, default=50_000
        Clusterers are fitted on a seeded sample of at most this many customers per base
        segment, then every customer is assigned.
    n_bootstrap : int, default=3
        Bootstrap refits per base segment for ``stability_`` (0 disables it).
    stability_sample_size : int, default=2_000
        Customers drawn per bootstrap refit.
    metrics_sample_size : int, default=4_000
        Customers used for the silhouette of each base segment.
    names : dict of str to str, optional
        User names of sub-segments keyed by segment code (``{"dormant/0": "Whales"}``).
    random_state : int or None, default=0
        Seed of every stochastic step: same seed, same labels.

    Attributes
    ----------
    spec_ : SegmentationSpec
        The validated configuration with every default resolved.
    rules_ : RuleSegmenter
        The fitted rules (quantile cut points learned on the fit data).
    segments_ : dict of str to FittedSegment
        Featurizer, clusterer and canonical numbering of each base segment.
    labels_ : DataFrame
        The labels table (``metaseg.schema.LABEL_COLUMNS``) of the fit customers.
    profiles_ : DataFrame
        One row per (base segment, sub-segment, feature): means, medians, lift and
        standardised difference against the parent base segment.
    summary_ : DataFrame
        One row per sub-segment: size, shares, top features and name (built from
        :meth:`name_evidence`).
    shared_profiles_ : DataFrame
        The groups of every shared fit (``fit_on: shared``) against their pool, with
        ``profiles_``' columns; the base segment is the pool (``"champions +
        loyal_customers"``), groups numbered by size in it. Empty without a shared fit.
    shared_groups_ : dict of str to str
        Segment code -> code of the shared group it is part of (its name reads the
        group); empty without a shared fit.
    metrics_ : DataFrame
        One row per base segment (``SEGMENT_METRICS``).
    overall_metrics_ : dict
        Metrics over all customers (sizes, catch-all share, noise share, weighted
        silhouette, minimum stability, ...).
    stability_ : Series
        Bootstrap stability (mean adjusted Rand index) per base segment.
    k_selection_ : DataFrame
        The evidence behind every automatic k, indexed by (base segment, k), k = 1
        included: the criteria, the inertia, the gap statistic and which k was chosen.
        ``metrics_["reason"]`` says in words why each segment was split or not.
    feature_columns_ : list of str
        Every fact or attribute the model reads (rules and features).
    as_of_ : Timestamp or None
        The as-of date of the fit facts.
    drift_reference_ : FactReference
        Histograms of the facts the model reads, over all fit customers and per base
        segment: the reference of :func:`metaseg.over_time.drift_report`.
    clv_ : CLVModel or None
        The potential-value model given to :meth:`fit` (part of the pickled, logged and
        hash-checked model); None without one.
    identity_ : IdentityMatch, optional
        Set by :meth:`with_identities` when sub-segment ids were matched to a previous
        segmentation's.
    identity_max_ids_ : dict, optional
        Highest sub-segment id ever used per base segment (ids are never reused).

    Notes
    -----
    scikit-learn's ``parametrize_with_checks`` does not apply: the input is a facts table
    whose named columns (``customer_id``, the facts the rules and features read) carry the
    meaning, while those checks feed unnamed numeric arrays. The contract they check
    (``__init__`` only stores, ``clone``, ``get_params``/``set_params``, ``NotFittedError``)
    is tested directly; the clusterers inside pass ``parametrize_with_checks``.

    Examples
    --------
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> customers, events, truth = make_shop(n_customers=3_000, seed=1)
    >>> facts = compute_facts(events, customers)
    >>> model = MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts)
    >>> model.labels_.columns[:4].tolist()
    ['customer_id', 'base_segment', 'sub_segment', 'segment']
    """

    def __init__(
        self,
        *,
        rules: str | dict[str, Any] = _DEFAULTS["rules"],
        default: SubSegmentSpec | dict[str, Any] | None = None,
        segments: dict[str, SubSegmentSpec | dict[str, Any]] | None = None,
        min_segment_size: int = _DEFAULTS["min_segment_size"],
        max_fit_rows: int = _DEFAULTS["max_fit_rows"],
        n_bootstrap: int = _DEFAULTS["n_bootstrap"],
        stability_sample_size: int = _DEFAULTS["stability_sample_size"],
        metrics_sample_size: int = _DEFAULTS["metrics_sample_size"],
        names: dict[str, str] | None = None,
        random_state: int | None = _DEFAULTS["random_state"],
    ) -> None:
        self.rules = rules
        self.default = default
        self.segments = segments
        self.min_segment_size = min_segment_size
        self.max_fit_rows = max_fit_rows
        self.n_bootstrap = n_bootstrap
        self.stability_sample_size = stability_sample_size
        self.metrics_sample_size = metrics_sample_size
        self.names = names
        self.random_state = random_state

    # ----------------------------------------------------------------- config
    @classmethod
    def from_config(cls, spec: SegmentationSpec | dict[str, Any]) -> MetaSegmenter:
        """Build a segmenter from a ``segmentation:`` config block (validated)."""
        resolved = coerce_segmentation_spec(spec)
        return cls(**{name: getattr(resolved, name) for name in cls._get_param_names()})

    def _resolve_spec(self) -> SegmentationSpec:
        # None means "use the default" for the containers, but random_state=None is a choice
        optional = ("default", "segments", "names")
        params = {
            k: v
            for k, v in self.get_params(deep=False).items()
            if v is not None or k not in optional
        }
        if isinstance(params.get("default"), SubSegmentSpec):
            params["default"] = params["default"].model_dump()
        if "segments" in params:
            params["segments"] = {
                k: v.model_dump() if isinstance(v, SubSegmentSpec) else v
                for k, v in params["segments"].items()
            }
        return coerce_segmentation_spec(params, what="MetaSegmenter parameters")

    # -------------------------------------------------------------------- fit
    def fit(
        self,
        facts: Any,
        y: Any = None,
        *,
        as_of: Any = None,
        customers: Any = None,
        progress: bool | Callable[[str], None] | None = None,
        clv: Any = None,
    ) -> MetaSegmenter:
        """Learn rules cut points, then features and clusterers inside each base segment.

        Parameters
        ----------
        facts : DataFrame, pyarrow.Table or polars.DataFrame
            One row per customer (see :func:`metaseg.facts.compute_facts`), with
            ``customer_id``; or the standard events (``timestamp`` and ``event_type``
            columns), whose facts are then computed as of ``as_of`` (default: the latest
            event). ``input_kind_`` records which it was.
        y : ignored
        as_of : date-like, optional
            Reference time; defaults to ``facts.attrs["as_of"]``.
        customers : DataFrame, optional
            With events only: the customers table joined to their facts.
        progress : bool or callable, optional
            A bar over the base segments: None (default) shows it in notebooks and
            terminals only, True / False always / never; a callable is called with each
            base segment's name instead (see :mod:`metaseg._progress`).
        clv : CLVModel, optional
            The fitted potential-value model whose facts (``p_alive``, ``clv_{h}d``, ...)
            ``facts`` holds (:func:`metaseg.clv.add_clv_facts`); kept as ``clv_`` so
            scoring computes them with the same model.

        Returns
        -------
        self
        """
        from metaseg.fact_reference import build_reference
        from metaseg.rules import rule_segmenter

        facts, kind = _facts_of(facts, customers, as_of, None, "fit")
        _check_facts(facts)
        spec = self._resolve_spec()
        as_of = _resolve_as_of(facts, as_of)
        # every step below sees the customers in one canonical order, so the row order
        # of the input never changes the labels; labels_ comes back in the input order
        order = canonical_row_order(facts[schema.CUSTOMER_ID])
        given = facts
        if not np.array_equal(order, np.arange(order.size)):
            # facts already sorted by id (as compute_facts returns them) are not copied
            facts = facts.iloc[order]
        rules = rule_segmenter(spec.rules).fit(facts, as_of=as_of)
        if getattr(getattr(rules, "spec_", None), "mode", "priority") == "tags":
            raise ConfigError(
                "rules: MetaSegmenter needs one base segment per customer, but the rules use "
                "mode: tags. Remove 'mode: tags' (first matching segment wins)."
            )
        check_feature_columns(spec, facts, rules.segments_)
        base = rules.predict(facts, as_of=as_of)
        base_values = np.asarray(base.astype(str))
        rng = np.random.default_rng(spec.random_state)

        fitted: dict[str, FittedSegment] = {}
        sub = np.zeros(len(facts), dtype=np.int64)
        rows_of: dict[str, np.ndarray] = {}
        matrices: dict[str, np.ndarray] = {}
        fit_rows: dict[str, int] = {}
        pools = shared_pools(spec, list(rules.segments_), base_values)
        shared: dict[str, SharedFit] = {}  # by base segment; one object per pool
        for name in track(rules.segments_, "sub-segmenting", progress, owner="fit"):
            rows = np.flatnonzero(base_values == name)
            rows_of[name] = rows
            seed = int(rng.integers(0, 2**31 - 1))
            if name in pools:
                members, pool_rows = pools[name]
                fitted_pool = next((shared[m] for m in members if m in shared), None)
                if fitted_pool is None:  # the pool's first segment fits it, with its seed
                    fitted_pool = fit_shared(members, facts.iloc[pool_rows], spec, seed)
                shared[name] = fitted_pool
            seg, X = _fit_segment(name, facts.iloc[rows], spec, seed, shared.get(name))
            own_rows = (
                shared[name].fit_rows if name in shared else min(len(rows), spec.max_fit_rows)
            )
            fit_rows[name] = own_rows if seg.split else 0
            if seg.split:
                raw = np.asarray(seg.clusterer.predict(X), dtype=np.int64)
                seg.relabel = _size_order(raw, getattr(seg.clusterer, "n_clusters_", 0))
                sub[rows] = apply_relabel(raw, seg.relabel)
                matrices[name] = X
            if X is not None:
                seg.centre_ids, seg.centres = sub_segment_centres(X, sub[rows])
            fitted[name] = seg

        self.spec_ = spec
        self.rules_ = rules
        self.segments_ = fitted
        self.as_of_ = as_of
        self.clv_ = clv
        self.feature_columns_ = _feature_columns(rules, fitted)
        self.n_features_in_ = len(self.feature_columns_)
        self.drift_reference_ = build_reference(
            facts, [c for c in self.feature_columns_ if c != schema.CUSTOMER_ID], base_values
        )
        self.profiles_ = segment_profiles(facts, base_values, sub, rows_of, fitted)
        self.shared_profiles_, groups = shared_group_profiles(
            facts, shared, pools, fitted, self.profiles_.iloc[:0]
        )
        present = set(self.profiles_[schema.SEGMENT])
        self.shared_groups_ = {code: g for code, g in groups.items() if code in present}
        # unknown codes in names are refused there, with the list of existing codes
        self.summary_ = self._summary(spec.names or None)
        self.stability_ = _stability(fitted, matrices, sub, rows_of, spec, shared)
        self.metrics_ = _segment_metrics(fitted, matrices, sub, rows_of, fit_rows, spec)
        self.metrics_["stability"] = self.stability_.reindex(self.metrics_.index)
        self.k_selection_ = _k_selection(fitted)
        self.overall_metrics_ = _overall_metrics(self.metrics_, sub, len(facts), rules)
        back = np.empty_like(order)
        back[order] = np.arange(order.size)
        # the fit labels no customer at a moment in time: scored_at stays empty
        self.labels_ = self._labels(given, base_values[back], sub[back], as_of, scored_at=pd.NaT)
        self.input_kind_ = kind
        self.fact_windows_ = tuple(facts.attrs.get("windows") or ()) or None
        # the category-mix categories of the fit, fixed for scoring
        self.fact_category_mix_ = facts.attrs.get("category_mix")
        self.edits_: list[dict[str, Any]] = []
        return self

    def fit_predict(
        self, facts: Any, y: Any = None, *, as_of: Any = None, customers: Any = None
    ) -> pd.DataFrame:
        """Fit and return the labels table of the fit customers."""
        return self.fit(facts, as_of=as_of, customers=customers).labels_

    # ---------------------------------------------------------------- predict
    def predict(self, facts: Any, *, as_of: Any = None, customers: Any = None) -> pd.DataFrame:
        """Label customers with the learned cut points, scalers, clusterers and edits.

        Parameters
        ----------
        facts : DataFrame, pyarrow.Table or polars.DataFrame
            One row per customer with at least the columns in ``feature_columns_``; or
            the standard events, whose facts are computed as of ``as_of`` (default: the
            latest event) with the fact windows of the fit. ``attrs["input_kind"]`` of
            the result says which it got.
        as_of : date-like, optional
            Reference time; defaults to ``facts.attrs["as_of"]``.
        customers : DataFrame, optional
            With events only: the customers table.

        Returns
        -------
        DataFrame
            The labels table, one row per customer in the order of ``facts``.
        """
        check_is_fitted(self, "segments_")
        facts, kind = _facts_of(
            facts,
            customers,
            as_of,
            self._windows(),
            "predict",
            self._category_mix(),
            clv=getattr(self, "clv_", None),
        )
        _check_facts(facts)
        as_of = _resolve_as_of(facts, as_of)
        base = self.rules_.predict(facts, as_of=as_of)
        base_values = np.asarray(base.astype(str))
        sub = np.zeros(len(facts), dtype=np.int64)
        for name, seg in self.segments_.items():
            rows = np.flatnonzero(base_values == name)
            if rows.size:
                # unseen categories are encoded as all-zero and counted in a
                # DataQualityWarning by the segment's featurizer
                sub[rows] = seg.assign(facts.iloc[rows])
        labels = self._labels(facts, base_values, sub, as_of, scored_at=pd.Timestamp.now(tz="UTC"))
        labels.attrs["input_kind"] = kind
        return labels

    def _windows(self) -> tuple[int, ...] | None:
        return getattr(self, "fact_windows_", None)

    def _category_mix(self) -> dict[str, Any] | None:
        fitted = getattr(self, "fact_category_mix_", None)
        if fitted is None:
            return None
        return recorded_settings(fitted)

    # ------------------------------------------------------------------ views
    def _labels(
        self,
        facts: pd.DataFrame,
        base: np.ndarray,
        sub: np.ndarray,
        as_of: pd.Timestamp | None,
        *,
        scored_at: Any,
    ) -> pd.DataFrame:
        """The labels table; provenance stays empty (see :mod:`metaseg.provenance`)."""
        names = self.summary_.set_index(schema.SEGMENT)[schema.SEGMENT_NAME]
        # a few distinct (base, sub) pairs: their texts are made once and repeated
        base_codes, bases = pd.factorize(np.asarray(base, dtype=object))
        subs = np.asarray(sub, dtype=np.int64)
        low = int(subs.min(initial=0))
        stride = int(subs.max(initial=0)) - low + 1
        pair_codes, pairs = pd.factorize(base_codes * stride + (subs - low))
        pair_base = [bases[p // stride] for p in pairs]
        codes = [
            schema.segment_code(b, p % stride + low) for b, p in zip(pair_base, pairs, strict=True)
        ]
        named = [names.get(code, np.nan) for code in codes]
        labels_of = [b if pd.isna(n) else n for b, n in zip(pair_base, named, strict=True)]
        labels = pd.DataFrame(
            {
                schema.CUSTOMER_ID: facts[schema.CUSTOMER_ID].to_numpy(),
                schema.BASE_SEGMENT: repeated_texts(pair_base, pair_codes),
                schema.SUB_SEGMENT: sub,
                schema.SEGMENT: repeated_texts(codes, pair_codes),
                schema.SEGMENT_NAME: repeated_texts(labels_of, pair_codes),
            }
        )
        labels[schema.MODEL_NAME] = None
        labels[schema.MODEL_VERSION] = None
        labels[schema.RUN_ID] = None
        labels[schema.AS_OF] = as_of
        labels[schema.SCORED_AT] = pd.Series(
            scored_at, index=labels.index, dtype="datetime64[us, UTC]"
        )
        return labels

    def fingerprint(self) -> tuple[tuple[str, int], ...]:
        """The (segment code, size) pairs of the fitted sub-segments, in ``summary_`` order.

        Two fits with the same sub-segments and sizes have the same fingerprint; an
        :class:`~metaseg.over_time.IdentityMatch` remembers the one it was computed for.
        """
        check_is_fitted(self, "summary_")
        summary = self.summary_
        return tuple(
            zip(summary[schema.SEGMENT].astype(str), summary["size"].astype(int), strict=True)
        )

    def with_identities(self, match: Any) -> MetaSegmenter:
        """Return a copy whose sub-segments carry the stable ids and names of ``match``.

        Each split base segment's numbering (applied by :meth:`predict`), ``labels_``,
        ``summary_`` and ``profiles_`` are renumbered; the names carried over by the
        match, overridden by names this fit was given, become both the ``names``
        parameter and ``spec_.names`` (keyed by the stable codes), so the next match
        carries them on. ``identity_`` keeps the match and ``identity_max_ids_`` the
        highest id used per base segment.

        Parameters
        ----------
        match : IdentityMatch
            From :func:`metaseg.over_time.match_identities` (previous model, this model).

        Returns
        -------
        MetaSegmenter
            A new fitted model; this one is left as it is. Rows of ``summary_`` and
            ``profiles_`` are sorted by base segment, then id (noise last), and
            sub-segments are no longer numbered largest first.

        Raises
        ------
        ConfigError
            If ``match`` is not an identity match, or was computed for another model
            (or this copy already has it applied).

        Examples
        --------
        >>> from metaseg.datasets import make_shop
        >>> from metaseg.facts import compute_facts
        >>> from metaseg.over_time import match_identities
        >>> customers, events, _ = make_shop(n_customers=1_500, seed=1)
        >>> facts = compute_facts(events, customers)
        >>> old = MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts)
        >>> new = MetaSegmenter(n_bootstrap=0, random_state=1).fit(facts)
        >>> stable = new.with_identities(match_identities(old, new))
        >>> bool((stable.predict(facts)["segment"] == stable.labels_["segment"]).all())
        True
        """
        import copy

        from metaseg.edits import Renumber
        from metaseg.renumber import code_map, renumbered_labels, renumbered_table

        relabel = getattr(match, "relabel", None)
        if not isinstance(relabel, dict) or not hasattr(match, "fingerprint"):
            raise ConfigError(
                f"match must be the IdentityMatch returned by match_identities, got "
                f"{type(match).__name__}."
            )
        if self.fingerprint() != match.fingerprint:
            raise ConfigError(
                "match was computed for another model (its sub-segments and sizes differ "
                "from this one's), or it was already applied. Call "
                "match_identities(previous_model, this_model) and apply the result once."
            )
        codes = code_map(relabel)
        own = {codes.get(code, code): name for code, name in (self.spec_.names or {}).items()}
        names = {**match.names, **own}
        model = copy.deepcopy(self)
        for base, mapping in relabel.items():
            seg = model.segments_.get(base)
            if seg is not None and seg.split:
                if getattr(seg, "steps", None):
                    # edited: the new numbers apply after the edits' own ids
                    seg.steps.append(Renumber(dict(mapping)))
                else:
                    seg.relabel = {
                        raw: mapping.get(canon, canon) for raw, canon in seg.relabel.items()
                    }
                seg.centre_ids = tuple(mapping.get(i, i) for i in seg.centre_ids)
        model.summary_ = renumbered_table(self.summary_, relabel, names)
        model.profiles_ = renumbered_table(self.profiles_, relabel, names)
        model.shared_groups_ = {
            codes.get(code, code): group
            for code, group in getattr(self, "shared_groups_", {}).items()
        }
        model.labels_ = renumbered_labels(self.labels_, relabel, model.summary_)
        model.names = dict(names) or None
        model.spec_ = self.spec_.model_copy(update={"names": names})
        model.identity_max_ids_ = dict(match.max_ids)
        model.identity_ = match
        return model

    # ------------------------------------------------------------------ edits
    def set_params(self, **params: Any) -> MetaSegmenter:
        """Set parameters; on a fitted model ``names=`` renames its sub-segments at once.

        The other parameters take effect at the next :meth:`fit`, as in scikit-learn.
        ``names`` replaces the user names (codes left out get their automatic name back)
        in ``summary_``, ``labels_`` and what :meth:`predict` returns from now on, and is
        recorded in ``edits_``.

        Raises
        ------
        ConfigError
            A code in ``names`` is not a sub-segment of the fitted model (the message
            lists them).
        """
        renaming = "names" in params and hasattr(self, "segments_")
        if renaming:
            names = self._checked_names(params["names"] or {}, "set_params(names=...)")
        super().set_params(**params)
        if renaming:
            self._apply_names(names)
            self.edits_ = [*self.edits(), {"edit": "rename", "via": "set_params", "names": names}]
        return self

    def edits(self) -> list[dict[str, Any]]:
        """The edits made since the fit, oldest first (JSON-ready; logged to MLflow)."""
        check_is_fitted(self, "segments_")
        return [dict(edit) for edit in getattr(self, "edits_", [])]

    def rename(self, names: dict[str, str]) -> MetaSegmenter:
        """Return a copy whose sub-segments listed in ``names`` carry those names.

        Parameters
        ----------
        names : dict of str to str
            Segment code -> name (``{"dormant/0": "Sleeping whales"}``); other names stay.

        Returns
        -------
        MetaSegmenter
            A new fitted model; ``predict`` returns the new names at once.

        Raises
        ------
        ConfigError
            An unknown code (the message lists the known ones) or an empty name.

        Examples
        --------
        >>> from metaseg.datasets import make_shop
        >>> from metaseg.facts import compute_facts
        >>> customers, events, _ = make_shop(n_customers=1_500, seed=1)
        >>> facts = compute_facts(events, customers)
        >>> model = MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts)
        >>> code = model.summary_["segment"].iloc[0]
        >>> renamed = model.rename({code: "Our best"})
        >>> labels = renamed.predict(facts)
        >>> labels.loc[labels["segment"] == code, "segment_name"].unique().tolist()
        ['Our best']
        """
        check_is_fitted(self, "segments_")
        given = self._checked_names(names, "rename")
        model = self._copy()
        model._apply_names({**(self.spec_.names or {}), **given})
        model.edits_.append({"edit": "rename", "names": given})
        return model

    def merge(self, segments: list[str], facts: Any, *, name: str | None = None) -> MetaSegmenter:
        """Return a copy in which the sub-segments ``segments`` are one.

        The merged sub-segment keeps the smallest id of the list; the other ids are no
        longer used. Only that base segment's labels, profile, summary and metrics are
        recomputed; its stability is set to NaN (it measured the partition before).

        Parameters
        ----------
        segments : list of str
            Two or more codes of one base segment (``["dormant/1", "dormant/3"]``).
        facts : DataFrame
            The facts the model was fitted on (its profiles are recomputed from them).
        name : str, optional
            A name for the merged sub-segment.

        Raises
        ------
        ConfigError
            Unknown codes (the known ones are listed), codes of different base
            segments, fewer than two codes, or noise (-1: use :meth:`reassign_noise`).
        DataError
            ``facts`` are not the fit customers.
        """
        from metaseg.edits import Merge

        check_is_fitted(self, "segments_")
        base, ids = self._parse_codes(segments, "merge", at_least=2)
        if schema.NOISE in ids:
            raise ConfigError(
                f"merge: {schema.segment_code(base, schema.NOISE)} is noise, not a sub-segment; "
                "move noise customers with reassign_noise(facts, strategy=...)."
            )
        into = min(ids)
        model = self._copy()
        model.segments_[base].steps.append(Merge(ids=tuple(i for i in ids if i != into), into=into))
        into_code = schema.segment_code(base, into)
        model._refresh(base, self._training_facts(facts, "merge"), new_names={into_code: name})
        model.edits_.append(
            {"edit": "merge", "segments": list(segments), "into": into_code, "name": name}
        )
        return model

    def split(
        self,
        segment: str,
        facts: Any,
        *,
        k: int | None = None,
        algorithm: str | None = None,
        random_state: int | None = None,
    ) -> MetaSegmenter:
        """Return a copy in which sub-segment ``segment`` is cut into ``k`` pieces.

        Only the customers of ``segment`` are refitted, in their base segment's feature
        space (its featurizer, fitted at fit time). The largest piece keeps the id; the
        others get ids never used before in that base segment. Other sub-segments keep
        their ids and customers.

        Parameters
        ----------
        segment : str
            The code of the sub-segment (``"active/0"``); a base segment left whole is
            ``"<base>/0"``.
        facts : DataFrame
            The facts the model was fitted on.
        k : int, optional
            Number of pieces (>= 2). None chooses k automatically (and refuses when the
            clusterer finds no structure).
        algorithm : {"gmm", "kmeans"}, optional
            Default: the base segment's own algorithm when it is one of these, else
            ``"kmeans"``.
        random_state : int, optional
            Seed of the refit (default: the model's ``random_state``): same seed, same
            pieces.

        Raises
        ------
        ConfigError
            Unknown code, noise, a base segment without features (not clustered), a bad
            ``k`` or ``algorithm``.
        DataError
            ``facts`` are not the fit customers, or the pieces could not be found.
        """
        from metaseg._params import check_choice, check_int
        from metaseg.cluster import AutoGaussianMixture, AutoKMeans
        from metaseg.edits import Split

        check_is_fitted(self, "segments_")
        base, (sid,) = self._parse_codes([segment], "split", at_least=1)
        if sid == schema.NOISE:
            raise ConfigError(
                f"split: {segment!r} is noise, not a sub-segment; move noise customers with "
                "reassign_noise(facts, strategy=...) first."
            )
        if k is not None:
            k = check_int("split", "k", k, minimum=2, hint="Use k=2 or more, or None (automatic).")
        algorithm_now = self.segments_[base].algorithm
        default = algorithm_now if algorithm_now in ("gmm", "kmeans") else "kmeans"
        algorithm = check_choice("split", "algorithm", algorithm or default, ("gmm", "kmeans"))
        seed = self.spec_.random_state if random_state is None else random_state
        fit_facts = self._training_facts(facts, "split")
        rows = np.flatnonzero(self.labels_[schema.BASE_SEGMENT].astype(str).to_numpy() == base)
        model = self._copy()
        seg = model.segments_[base]
        if seg.featurizer is None:  # left whole before featurizing: featurize it now
            seg.featurizer = _segment_featurizer(self.spec_, base, fit_facts.iloc[rows])
            seg.features = list(seg.featurizer.input_features_)
        if not seg.split:
            seg.algorithm = algorithm
        X = seg.matrix(fit_facts.iloc[rows])
        members = X[self.labels_[schema.SUB_SEGMENT].to_numpy()[rows] == sid]
        if len(members) > self.spec_.max_fit_rows:
            pick = np.random.default_rng(seed).choice(
                len(members), size=self.spec_.max_fit_rows, replace=False
            )
            members_fit = members[np.sort(pick)]
        else:
            members_fit = members
        kind = AutoKMeans if algorithm == "kmeans" else AutoGaussianMixture
        params: dict[str, Any] = {"n_clusters": k} if k is not None else {}
        if len(members_fit) <= 1000:
            params["sample_size"] = max(len(members_fit), (k or 8) + 1)
        clusterer = kind(**params, random_state=seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ClusteringWarning)
            clusterer.fit(members_fit)
        if clusterer.n_clusters_ < 2:
            raise DataError(
                f"split: {segment!r} ({len(members):,} customers) could not be split: "
                f"{clusterer.decision_}. Pass k= to force a number of pieces."
            )
        for w in caught:
            warnings.warn(f"split {segment!r}: {w.message}", w.category, stacklevel=2)
        raw = np.asarray(clusterer.predict(members), dtype=np.int64)
        order = _size_order(raw, clusterer.n_clusters_)
        start = self._next_id(base)
        relabel = {c: sid if rank == 0 else start + rank - 1 for c, rank in order.items()}
        seg.steps.append(Split(sid, clusterer, relabel))
        model._refresh(base, fit_facts)
        pieces = sorted(set(relabel.values()))
        model.edits_.append(
            {
                "edit": "split",
                "segment": segment,
                "k": int(clusterer.n_clusters_),
                "algorithm": algorithm,
                "random_state": seed,
                "into": [schema.segment_code(base, i) for i in pieces],
            }
        )
        return model

    def reassign_noise(
        self, facts: Any, *, strategy: str = "nearest", segments: list[str] | None = None
    ) -> MetaSegmenter:
        """Return a copy in which noise customers (-1, HDBSCAN) join a sub-segment.

        Parameters
        ----------
        facts : DataFrame
            The facts the model was fitted on.
        strategy : {"nearest", "probable"}, default="nearest"
            ``"nearest"``: the sub-segment with the nearest centre (mean feature row of
            its customers, see :meth:`transform`). ``"probable"``: the sub-segment of
            largest soft membership (:meth:`predict_proba`: HDBSCAN's membership vector).
        segments : list of str, optional
            Base segments to treat (default: every one holding noise).

        Raises
        ------
        ConfigError
            Unknown strategy or base segment.
        DataError
            No noise to reassign, or ``facts`` are not the fit customers.
        """
        from metaseg._messages import did_you_mean
        from metaseg._params import check_choice
        from metaseg.edits import NOISE_STRATEGIES, ReassignNoise

        check_is_fitted(self, "segments_")
        check_choice("reassign_noise", "strategy", strategy, NOISE_STRATEGIES)
        noisy = self.labels_.loc[
            self.labels_[schema.SUB_SEGMENT] == schema.NOISE, schema.BASE_SEGMENT
        ]
        with_noise = [name for name in self.segments_ if name in set(noisy.astype(str))]
        chosen = with_noise if segments is None else list(segments)
        for name in chosen:
            if name not in self.segments_:
                raise ConfigError(
                    f"reassign_noise: no base segment is called {name!r}."
                    f"{did_you_mean(name, self.segments_)} Base segments: "
                    f"{', '.join(self.segments_)}."
                )
        chosen = [name for name in chosen if name in with_noise]
        if not chosen:
            raise DataError(
                "reassign_noise: no noise customer (sub_segment -1) in "
                f"{'the model' if segments is None else preview(list(segments))}; nothing to "
                "reassign."
            )
        fit_facts = self._training_facts(facts, "reassign_noise")
        model = self._copy()
        moved = {}
        for name in chosen:
            seg = model.segments_[name]
            step = ReassignNoise(strategy, tuple(seg.centre_ids), seg.centres)
            seg.steps.append(step)
            moved[name] = int((noisy.astype(str) == name).sum())
            model._refresh(name, fit_facts)
        model.edits_.append({"edit": "reassign_noise", "strategy": strategy, "moved": moved})
        return model

    # ------------------------------------------------------------ persistence
    def for_scoring(self, training_digests: dict[str, str] | None = None) -> MetaSegmenter:
        """A copy that holds what scoring needs and no per-customer state.

        It predicts, explains, transforms and gives membership exactly as this model,
        and keeps the spec, names, profiles, metrics, drift reference and edit history
        (all sized by segments and features, not by customers). It leaves out
        ``labels_`` (one row per fit customer) and the clusterers' per-fit-row arrays.
        :func:`metaseg.tracking.log_fit` registers this copy and logs the training
        labels to the run; :meth:`with_training_labels` puts them back (for edits, the
        report, drift and identity matching on labels).

        Parameters
        ----------
        training_digests : dict of str to str, optional
            sha256 of each training artifact logged beside the model, by artifact path;
            kept as ``training_digests_`` to verify them when they are fetched back.

        Examples
        --------
        >>> from metaseg.datasets import make_shop
        >>> from metaseg.facts import compute_facts
        >>> customers, events, _ = make_shop(n_customers=2_000, seed=1)
        >>> facts = compute_facts(events, customers)
        >>> model = MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts)
        >>> lean = model.for_scoring()
        >>> hasattr(lean, "labels_"), lean.n_fit_customers_ == len(model.labels_)
        (False, True)
        >>> bool((lean.predict(facts)["segment"] == model.labels_["segment"]).all())
        True
        """
        check_is_fitted(self, "segments_")
        model = copy.copy(self)
        model.__dict__ = {k: v for k, v in self.__dict__.items() if k not in TRAINING_STATE}
        model.segments_ = {name: seg.for_scoring() for name, seg in self.segments_.items()}
        model.n_fit_customers_ = (
            len(self.labels_) if "labels_" in self.__dict__ else self.n_fit_customers_
        )
        model.training_digests_ = dict(training_digests or {})
        model.edits_ = self.edits()
        return model

    def with_training_labels(self, labels: pd.DataFrame) -> MetaSegmenter:
        """A copy of a scoring copy with its training labels back (``labels_``).

        Parameters
        ----------
        labels : DataFrame
            The labels of the fit customers, as :meth:`for_scoring` left them out (see
            :meth:`metaseg.tracking.LoadedModel.training_labels`).

        Raises
        ------
        DataError
            ``labels`` is not a labels table of ``n_fit_customers_`` rows.
        """
        check_is_fitted(self, "segments_")
        missing = [c for c in schema.LABEL_COLUMNS if c not in getattr(labels, "columns", ())]
        if not isinstance(labels, pd.DataFrame) or missing:
            raise DataError(
                "with_training_labels: labels must be the labels table of the fit, got "
                f"{type(labels).__name__}"
                + (f" without the columns {preview(missing)}." if missing else ".")
            )
        expected = getattr(self, "n_fit_customers_", None)
        if expected is not None and len(labels) != expected:
            raise DataError(
                f"with_training_labels: the model was fitted on {expected:,} customers but "
                f"labels has {len(labels):,} rows; pass the training labels logged with it."
            )
        model = copy.copy(self)
        model.__dict__ = dict(self.__dict__)
        model.labels_ = labels
        model.edits_ = self.edits()
        return model

    def __getattr__(self, name: str) -> Any:
        # only called for a missing attribute: say why a scoring copy has no labels_
        if name in TRAINING_STATE and "training_digests_" in self.__dict__:
            raise AttributeError(
                f"{name} is not part of a model loaded for scoring (it holds no per-customer "
                "state); get the training labels with LoadedModel.training_labels(), or the "
                "model with them with LoadedModel.full_model()."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # ------------------------------------------------------- edit machinery
    def _copy(self) -> MetaSegmenter:
        model = copy.deepcopy(self)
        model.edits_ = self.edits()
        return model

    def _codes(self) -> list[str]:
        return self.summary_[schema.SEGMENT].astype(str).tolist()

    def _unknown_code(self, code: Any, what: str) -> ConfigError:
        from metaseg._messages import did_you_mean

        codes = self._codes()
        return ConfigError(
            f"{what}: {code!r} is not a sub-segment of this model.{did_you_mean(str(code), codes)} "
            f"Known: {preview(codes, limit=40)}."
        )

    def _parse_codes(self, codes: Any, what: str, *, at_least: int) -> tuple[str, list[int]]:
        if isinstance(codes, str) or not isinstance(codes, list | tuple):
            codes = [codes] if at_least == 1 else codes
        if not isinstance(codes, list | tuple) or len(codes) < at_least:
            raise ConfigError(
                f"{what}: give a list of at least {at_least} segment codes such as "
                f"['dormant/1', 'dormant/3'], got {codes!r}."
            )
        known = set(self._codes())
        parsed: list[tuple[str, int]] = []
        for code in codes:
            if str(code) not in known:
                raise self._unknown_code(code, what)
            base, _, number = str(code).rpartition("/")
            parsed.append((base, int(number)))
        bases = sorted({b for b, _ in parsed})
        if len(bases) > 1:
            raise ConfigError(
                f"{what}: sub-segments of one base segment only, got {list(codes)} (base "
                f"segments {bases}). Merge inside one base segment at a time."
            )
        ids = list(dict.fromkeys(i for _, i in parsed))
        if len(ids) < at_least:
            raise ConfigError(f"{what}: the codes {list(codes)} repeat; give distinct ones.")
        return bases[0], ids

    def _checked_names(self, names: Any, what: str) -> dict[str, str]:
        if not isinstance(names, dict):
            raise ConfigError(
                f"{what}: names must be a mapping of segment code to name, got "
                f"{type(names).__name__}."
            )
        known = set(self._codes())
        for code, value in names.items():
            if str(code) not in known:
                raise self._unknown_code(code, what)
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(
                    f"{what}: the name of {code!r} must be a non-empty string, got {value!r}."
                )
        return {str(code): value for code, value in names.items()}

    def _apply_names(self, names: dict[str, str]) -> None:
        """Recompute the summary's names with ``names`` and carry them to the labels."""
        known = set(self.profiles_[schema.SEGMENT].astype(str))
        names = {code: value for code, value in names.items() if code in known}
        self.summary_ = self._summary(names or None)
        self.labels_ = self._named(self.labels_)
        self.names = dict(names) or None
        self.spec_ = self.spec_.model_copy(update={"names": names})

    def _summary(self, names: dict[str, str] | None) -> pd.DataFrame:
        """``summary_`` of the current profiles, named from :meth:`name_evidence`."""
        from metaseg.profile import segment_summary

        return segment_summary(self.profiles_, names=names, evidence=self.name_evidence())

    def _named(self, labels: pd.DataFrame) -> pd.DataFrame:
        lookup = self.summary_.set_index(schema.SEGMENT)[schema.SEGMENT_NAME]
        out = labels.copy()
        out[schema.SEGMENT_NAME] = (
            out[schema.SEGMENT].map(lookup).fillna(out[schema.BASE_SEGMENT]).astype("str")
        )
        return out

    def _training_facts(self, facts: Any, what: str) -> pd.DataFrame:
        """``facts`` in the order of ``labels_``, refused unless they are the fit customers."""
        facts, _ = _facts_of(
            facts,
            None,
            self.as_of_,
            self._windows(),
            what,
            self._category_mix(),
            clv=getattr(self, "clv_", None),
        )
        _check_facts(facts)
        ids = self.labels_[schema.CUSTOMER_ID]
        position = pd.Index(facts[schema.CUSTOMER_ID]).get_indexer(ids)
        missing = position < 0
        if missing.any() or len(facts) != len(ids):
            extra = len(facts) - int((~missing).sum())
            raise DataError(
                f"{what}: facts must be the facts the model was fitted on "
                f"({len(ids):,} customers); {int(missing.sum()):,} of them are missing "
                f"(e.g. {preview(ids[missing].head(3).tolist())}) and {extra:,} others are "
                "extra. Pass the same facts as to fit."
            )
        out = facts.iloc[position]
        out.attrs = dict(facts.attrs)
        return out

    def _next_id(self, base: str) -> int:
        """The first sub-segment id never used in ``base`` (ids are never reused)."""
        from metaseg.edits import Merge, Renumber, Split

        seg = self.segments_[base]
        used = [*seg.relabel.values(), 0]
        used.append(getattr(self, "identity_max_ids_", {}).get(base, 0))
        for step in seg.steps:
            if isinstance(step, Merge):
                used.extend([*step.ids, step.into])
            elif isinstance(step, Split):
                used.extend(step.relabel.values())
            elif isinstance(step, Renumber):
                used.extend(step.mapping.values())
        return int(max(used)) + 1

    def _refresh(
        self, base: str, facts: pd.DataFrame, new_names: dict[str, str | None] | None = None
    ) -> None:
        """Recompute base segment ``base``'s labels, centres, profile, names and metrics."""

        seg = self.segments_[base]
        in_base = self.labels_[schema.BASE_SEGMENT].astype(str).to_numpy() == base
        rows = np.flatnonzero(in_base)
        part = facts.iloc[rows]
        X = seg.matrix(part)
        sub = seg.assign_matrix(X)
        seg.centre_ids, seg.centres = sub_segment_centres(X, sub)
        labels = self.labels_.copy()
        all_sub = labels[schema.SUB_SEGMENT].to_numpy(dtype=np.int64).copy()
        all_sub[rows] = sub
        labels[schema.SUB_SEGMENT] = all_sub
        labels[schema.SEGMENT] = (
            labels[schema.BASE_SEGMENT].astype(str) + "/" + labels[schema.SUB_SEGMENT].astype(str)
        ).astype("str")
        profile = base_profile(part, base, sub, seg.features, len(facts))
        kept = self.profiles_[self.profiles_[schema.BASE_SEGMENT].astype(str) != base]
        order = {name: i for i, name in enumerate(self.segments_)}
        profiles = pd.concat([kept, profile], ignore_index=True)
        rank = profiles[schema.BASE_SEGMENT].astype(str).map(order)
        self.profiles_ = profiles.iloc[np.argsort(rank.to_numpy(), kind="stable")].reset_index(
            drop=True
        )
        # an edited base segment's sub-segments are no longer the shared groups: from
        # now on they are named from their own profile
        self.shared_groups_ = {
            code: group
            for code, group in getattr(self, "shared_groups_", {}).items()
            if code.rpartition("/")[0] != base
        }
        names = dict(self.spec_.names or {})
        for code, value in (new_names or {}).items():
            if value is not None:
                names[code] = value
        self.labels_ = labels
        self._apply_names(names)
        metrics = _segment_metrics(
            {base: seg}, {base: X}, sub, {base: np.arange(len(sub))}, {base: len(sub)}, self.spec_
        )
        row = metrics.loc[base]
        for column in (
            "n_sub_segments",
            "silhouette",
            "calinski_harabasz",
            "davies_bouldin",
            "noise_share",
            "smallest_share",
            "largest_share",
        ):
            self.metrics_.loc[base, column] = row[column]
        self.metrics_.loc[base, "split"] = seg.split
        self.metrics_.loc[base, "algorithm"] = seg.algorithm if seg.split else "none"
        self.feature_columns_ = _feature_columns(self.rules_, self.segments_)
        self.n_features_in_ = len(self.feature_columns_)
        self.metrics_.loc[base, "stability"] = np.nan
        self.stability_ = self.metrics_["stability"].rename("stability")
        self.overall_metrics_ = _overall_metrics(self.metrics_, all_sub, len(labels), self.rules_)

    # ------------------------------------------------------------ explanation
    def transform(self, facts: Any, *, as_of: Any = None) -> pd.DataFrame:
        """Distances of each customer to the centres of its base segment's sub-segments.

        A centre is the mean feature row of a sub-segment's fit customers, in its base
        segment's feature space (the standardised features of ``features``), for every
        algorithm, edits included. For k-means it is (close to) the k-means centre; for
        a Gaussian mixture the mean of the customers it assigned; for HDBSCAN, whose
        clusters need not be round, a summary of where a sub-segment lies, not how
        HDBSCAN decides: the nearest centre need not be the assigned sub-segment, and
        noise customers (-1) have distances to every centre.

        Returns
        -------
        DataFrame
            Tidy: one row per (customer, sub-segment of its base segment), in the order
            of ``facts``, with ``customer_id``, ``base_segment``, ``sub_segment``,
            ``segment`` and ``distance`` (NaN for a base segment that was not featurized).
        """
        return self._per_segment(facts, as_of, "transform", _distances, "distance")

    def predict_proba(self, facts: Any, *, as_of: Any = None) -> pd.DataFrame:
        """Soft membership of each customer in the sub-segments of its base segment.

        Per algorithm: a Gaussian mixture's posterior; k-means' softmax of the negative
        squared distances to its centres with a temperature calibrated on the training
        rows (:meth:`metaseg.cluster.AutoKMeans.predict_proba`); HDBSCAN's membership
        vectors (:meth:`metaseg.cluster.DensityClusterer.predict_proba`). Merged
        sub-segments add their probabilities; the pieces of a split share their parent's
        probability by the refit's own membership. A base segment not split has one row
        of probability 1.

        Returns
        -------
        DataFrame
            Tidy: one row per (customer, sub-segment of its base segment), in the order
            of ``facts``, with ``customer_id``, ``base_segment``, ``sub_segment``,
            ``segment`` and ``probability`` (a customer's rows sum to 1).
        """
        return self._per_segment(facts, as_of, "predict_proba", _probabilities, "probability")

    def explain(
        self, customer_ids: Any, facts: Any, *, as_of: Any = None, top_n: int = 3
    ) -> pd.DataFrame:
        """Why customers are in their segment: rule, scores, features, runner-up.

        Parameters
        ----------
        customer_ids : id or list of ids
            Customers to explain (rows of ``facts``).
        facts : DataFrame
            Facts holding those customers (the fit facts or newer ones).
        as_of : date-like, optional
            Reference time; defaults to ``facts.attrs["as_of"]``.
        top_n : int, default=3
            Features listed per customer.

        Returns
        -------
        DataFrame
            One row per customer; see :func:`metaseg.explain.explain_customers`.
        """
        from metaseg.explain import explain_customers

        check_is_fitted(self, "segments_")
        facts, _ = _facts_of(
            facts,
            None,
            as_of,
            self._windows(),
            "explain",
            self._category_mix(),
            clv=getattr(self, "clv_", None),
        )
        _check_facts(facts)
        return explain_customers(self, customer_ids, facts, as_of=as_of, top_n=top_n)

    def _per_segment(
        self, facts: Any, as_of: Any, what: str, kernel: Callable[..., Any], value: str
    ) -> pd.DataFrame:
        check_is_fitted(self, "segments_")
        facts, _ = _facts_of(
            facts,
            None,
            as_of,
            self._windows(),
            what,
            self._category_mix(),
            clv=getattr(self, "clv_", None),
        )
        _check_facts(facts)
        as_of = _resolve_as_of(facts, as_of)
        base = np.asarray(self.rules_.predict(facts, as_of=as_of).astype(str))
        parts = []
        for name, seg in self.segments_.items():
            rows = np.flatnonzero(base == name)
            if rows.size == 0:
                continue
            ids, values = kernel(seg, facts.iloc[rows])
            n_ids = len(ids)
            parts.append(
                pd.DataFrame(
                    {
                        "_row": np.repeat(rows, n_ids),
                        schema.BASE_SEGMENT: name,
                        schema.SUB_SEGMENT: np.tile(np.asarray(ids, dtype=np.int64), rows.size),
                        value: values.reshape(-1),
                    }
                )
            )
        if not parts:
            empty = pd.DataFrame(
                {
                    schema.CUSTOMER_ID: facts[schema.CUSTOMER_ID].iloc[:0],
                    schema.BASE_SEGMENT: pd.Series(dtype="str"),
                    schema.SUB_SEGMENT: pd.Series(dtype="int64"),
                    schema.SEGMENT: pd.Series(dtype="str"),
                    value: pd.Series(dtype="float64"),
                }
            )
            return empty
        out = pd.concat(parts, ignore_index=True)
        out = out.sort_values(["_row", schema.SUB_SEGMENT], kind="stable", ignore_index=True)
        out.insert(0, schema.CUSTOMER_ID, facts[schema.CUSTOMER_ID].to_numpy()[out["_row"]])
        out[schema.SEGMENT] = (
            out[schema.BASE_SEGMENT].astype(str) + "/" + out[schema.SUB_SEGMENT].astype(str)
        ).astype("str")
        return out[
            [schema.CUSTOMER_ID, schema.BASE_SEGMENT, schema.SUB_SEGMENT, schema.SEGMENT, value]
        ]

    def summary_text(self) -> str:
        """A fixed-width text table of the base and sub-segments (terminals and logs)."""
        from metaseg.display import segmentation_text

        return segmentation_text(self)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        """Jupyter display: the table of segments once fitted, the parameters before."""
        from metaseg.display import segmentation_html, segmentation_text

        if not hasattr(self, "segments_"):
            return super()._repr_mimebundle_(**kwargs)
        return {"text/plain": segmentation_text(self), "text/html": segmentation_html(self)}

    def __str__(self) -> str:
        if not hasattr(self, "segments_"):
            return super().__str__()
        return self.summary_text()

    def summary(self) -> pd.DataFrame:
        """One row per sub-segment: size, shares, name and the base segment's key metrics."""
        check_is_fitted(self, "segments_")
        keep = ["algorithm", "silhouette", "noise_share", "stability"]
        return self.summary_.merge(
            self.metrics_[keep], left_on="base_segment", right_index=True, how="left"
        )

    def name_evidence(self) -> pd.DataFrame:
        """The profile rows each sub-segment's automatic name is built from.

        For a sub-segment of a base segment fitted alone, its rows of ``profiles_``
        (against its base segment). For one of a shared fit (``fit_on: shared``), its
        group's rows of ``shared_profiles_``: the whole group against the pooled base
        segments, so the group carries one name in each of them. ``shared_groups_``
        says which group each such sub-segment is part of; once a base segment is edited
        (:meth:`merge`, :meth:`split`, :meth:`reassign_noise`), its sub-segments are no
        longer the groups and are named from their own rows again.

        Returns
        -------
        DataFrame
            :func:`metaseg.profile.name_evidence`'s table: ``profiles_``' columns and
            rows, plus ``named_from`` (the code of the rows the name reads). Pass it to
            :func:`metaseg.profile.verify_names` with ``summary_`` to check the names.

        Examples
        --------
        >>> from metaseg.datasets import make_shop
        >>> from metaseg.facts import compute_facts
        >>> from metaseg.profile import verify_names
        >>> customers, events, _ = make_shop(n_customers=1_500, seed=1)
        >>> model = MetaSegmenter(n_bootstrap=0, random_state=0).fit(compute_facts(events))
        >>> evidence = model.name_evidence()
        >>> bool((evidence["named_from"] == evidence["segment"]).all())  # no shared fit
        True
        >>> verify_names(evidence, model.summary_, names=model.spec_.names).empty
        True
        """
        from metaseg.profile import name_evidence

        check_is_fitted(self, "segments_")
        return name_evidence(
            self.profiles_,
            getattr(self, "shared_profiles_", None),
            getattr(self, "shared_groups_", None),
        )

    def report(self, path: str | Path, **options: Any) -> Path:
        """Write the segment report, one self-contained HTML page, to ``path``.

        For every base segment and sub-segment: size and share, the name and the numbers
        behind it, the profile against the parent, example customers and stability; with
        ``previous=`` (the champion's labels) the migration since then, with
        ``campaigns=`` (a :func:`metaseg.over_time.campaign_report` table) the campaign
        results. See :func:`metaseg.report.write_report` for every option.

        Examples
        --------
        >>> model.report("segments.html", title="Shop segments")  # doctest: +SKIP
        PosixPath('segments.html')
        """
        from metaseg.report import write_report

        check_is_fitted(self, "segments_")
        return write_report(self, path, **options)


def segment(
    events: Any,
    customers: Any = None,
    *,
    rules: str | dict[str, Any] = _DEFAULTS["rules"],
    as_of: Any = None,
    windows: Any = None,
    random_state: int | None = _DEFAULTS["random_state"],
    **params: Any,
) -> MetaSegmenter:
    """From events to a fitted segmentation in one call.

    Computes the customers' facts (:func:`metaseg.facts.compute_facts`) and fits a
    :class:`MetaSegmenter` on them.

    Parameters
    ----------
    events : DataFrame, pyarrow.Table, polars.DataFrame, or Parquet path(s)
        The standard events (``customer_id``, ``timestamp``, ``event_type``,
        ``amount``, ...).
    customers : DataFrame, optional
        ``customer_id`` plus attributes.
    rules : str or dict, default="lifecycle"
        A preset name (``"rfm"``, ``"lifecycle"``, ...), a rules YAML path or text.
    as_of : date-like, optional
        Facts are computed as of this moment (default: the latest event).
    windows : iterable of int, optional
        Fact windows in days (default 7, 30, 90, 365).
    random_state : int or None, default=0
        Seed of every stochastic step.
    **params
        Any other :class:`MetaSegmenter` parameter (``default``, ``segments``,
        ``n_bootstrap``, ``names``, ...).

    Returns
    -------
    MetaSegmenter
        Fitted; ``labels_`` holds every customer's segment.

    Examples
    --------
    >>> import metaseg
    >>> customers, events, _ = metaseg.make_shop(n_customers=1_500, seed=1)
    >>> model = metaseg.segment(events, customers, rules="rfm", n_bootstrap=0)
    >>> model.input_kind_, len(model.labels_) == customers["customer_id"].nunique()
    ('events', True)
    """
    from metaseg._frames import as_pandas
    from metaseg.facts import compute_facts

    options: dict[str, Any] = {} if windows is None else {"windows": windows}
    table = None if customers is None else as_pandas(customers, "customers")
    facts = compute_facts(events, table, as_of=as_of, **options)
    model = MetaSegmenter(rules=rules, random_state=random_state, **params)
    model.fit(facts)
    model.input_kind_ = "events"
    return model
