"""RuleSegmenter: base segments from declarative rules, with the scikit-learn contract."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from metaseg import schema
from metaseg._messages import available, close_matches, preview
from metaseg.data.report import DataReport
from metaseg.exceptions import DataError, RuleError, RuleWarning
from metaseg.rules.conditions import check_name
from metaseg.rules.coverage import Coverage, assign_first, coverage_from_masks
from metaseg.rules.evaluate import EvalContext, as_timestamp, column_type, evaluate
from metaseg.rules.scores import (
    apply_cut_points,
    code_strings,
    learn_cut_pairs,
    learn_cut_points,
)
from metaseg.rules.spec import RuleSpec, ScoreSpec, check_references, parse_rules

_STEP = "RuleSegmenter"


class RuleSegmenter(BaseEstimator):
    """Assign each customer a base segment from YAML rules.

    Parameters
    ----------
    rules : str, Path, dict or RuleSpec
        A preset name (``"rfm"``, ``"rfm_textbook"``, ``"lifecycle"``, ``"value_tiers"``,
        ``"demographic"``), a path to a rules YAML file, YAML text, the document as a
        dict (``{"preset": "lifecycle", "params": {...}}`` changes named thresholds of a
        preset) or a parsed :class:`~metaseg.rules.spec.RuleSpec`. Validated in
        :meth:`fit`.
    catch_all : str, optional
        Name of the segment of customers no rule matched; overrides the document's
        ``catch_all`` (default ``"other"``).

    Attributes
    ----------
    spec_ : RuleSpec
        The parsed rules.
    segments_ : tuple of str
        Segment names in priority order, then the catch-all.
    required_facts_ : tuple of str
        Every fact the scores and conditions read.
    cut_points_ : dict of str to ndarray
        Per score, the value thresholds learned from the fit data (or the fixed cuts).
    cut_keys_ : dict of str to ndarray
        Per ``ties: first`` score, the ``tie_break`` value (by default the customer id)
        of each cut point's edge customer: with ``cut_points_`` they form the (value,
        key) cut pairs. A customer whose value equals a cut value exactly takes the
        lower score when its key is at most the edge customer's, else the higher one
        (see :mod:`metaseg.rules.scores`).
    missing_counts_ : dict of str to int
        Per score, fit customers whose fact was missing or outside ``among`` (they got the
        ``missing`` score).
    coverage_ : Coverage
        Segment sizes on the fit data.
    report_ : DataReport
        What was done to the fit data (missing facts given a score).
    as_of_ : Timestamp or None
        The as-of date used during fit.

    Examples
    --------
    >>> facts = pd.DataFrame({"recency_days": [3.0, 40.0, 400.0, np.nan]})
    >>> seg = RuleSegmenter(rules='''
    ... segments:
    ...   - name: active
    ...     description: Bought in the last 90 days.
    ...     condition: {fact: recency_days, op: "<=", value: 90}
    ...   - name: churned
    ...     description: Last purchase over a year ago.
    ...     condition: {fact: recency_days, op: ">", value: 365}
    ... ''')
    >>> seg.fit_predict(facts).tolist()
    ['active', 'active', 'churned', 'other']
    """

    def __init__(self, *, rules: Any, catch_all: str | None = None) -> None:
        self.rules = rules
        self.catch_all = catch_all

    # ------------------------------------------------------------------ fitting
    def fit(self, facts: pd.DataFrame, y: Any = None, *, as_of: Any = None) -> RuleSegmenter:
        """Parse the rules, check the facts and learn the quantile cut points.

        Parameters
        ----------
        facts : DataFrame
            One row per customer (see the facts contract in CONTRIBUTING.md).
        y : ignored
        as_of : date-like, optional
            Reference time of ``within_days`` / ``older_than_days``; defaults to
            ``facts.attrs["as_of"]``.

        Returns
        -------
        self

        Raises
        ------
        RuleError
            If the rules are invalid, read facts the table lacks, or compare values of the
            wrong type.
        DataError
            If ``facts`` is not a non-empty DataFrame, or a quantile score's fact is
            missing for every customer.

        Warns
        -----
        RuleWarning
            If a segment matched no customer of the fit data.
        """
        spec = self._spec()
        _check_frame(facts, "fit")
        if len(facts) == 0:
            raise DataError(
                "facts has no rows; fit needs customers to learn score cut points and "
                "coverage. Check the as-of date and the input events."
            )
        _check_required(spec, facts)
        stamp = _resolve_as_of(as_of, facts)
        report = DataReport()
        cut_points: dict[str, np.ndarray] = {}
        cut_keys: dict[str, np.ndarray] = {}
        missing: dict[str, int] = {}
        for name, (values, outside) in _score_inputs(spec, facts, stamp).items():
            score = spec.scores[name]
            if score.method == "fixed":
                cut_points[name] = np.asarray(score.cuts, dtype="float64")
            else:
                keys = _tie_keys(facts, name, score, values) if score.ties == "first" else None
                try:
                    if keys is not None:
                        cut_points[name], cut_keys[name] = learn_cut_pairs(
                            values, keys, bins=score.n_bins
                        )
                    else:
                        cut_points[name] = learn_cut_points(
                            values, bins=score.n_bins, ties=score.ties
                        )
                except DataError:
                    raise DataError(
                        f"score {name!r}: fact {score.fact!r} is missing (or outside 'among') "
                        f"for all {len(facts):,} customers, so no quantile cut points can be "
                        "learned; use fixed 'cuts' or a fact with values."
                    ) from None
            missing[name] = int(np.isnan(values).sum())
            _record(report, f"{_STEP}.fit", name, score, missing[name] - outside, outside)
        _, masks = _apply(spec, cut_points, facts, as_of, cut_keys=cut_keys)
        coverage = coverage_from_masks(masks, spec.segment_names, spec.catch_all, mode=spec.mode)
        self.spec_ = spec
        self.segments_ = (*spec.segment_names, spec.catch_all)
        self.required_facts_ = spec.required_facts
        self.cut_points_ = cut_points
        self.cut_keys_ = cut_keys
        self.missing_counts_ = missing
        self.report_ = report
        self.as_of_ = stamp
        self.coverage_ = coverage
        _warn_empty(coverage)
        return self

    def _spec(self) -> RuleSpec:
        spec = parse_rules(self.rules)
        if self.catch_all is not None:
            try:
                check_name(self.catch_all)
            except ValueError as exc:
                raise RuleError(f"catch_all={self.catch_all!r} is invalid: {exc}.") from None
            spec = spec.model_copy(update={"catch_all": self.catch_all})
            check_references(spec)
        return spec

    # --------------------------------------------------------------- applying
    def _cut_keys(self) -> dict[str, np.ndarray]:
        # models fitted before cut pairs existed have no ties: first scores with keys
        return getattr(self, "cut_keys_", {})

    def _prepare(self, facts: pd.DataFrame, what: str) -> None:
        check_is_fitted(self)
        _check_frame(facts, what)
        _check_required(self.spec_, facts)

    def predict(
        self, facts: pd.DataFrame, *, as_of: Any = None, report: DataReport | None = None
    ) -> pd.Series | pd.DataFrame:
        """Return each customer's base segment, using the cut points learned in fit.

        Parameters
        ----------
        facts : DataFrame
            One row per customer.
        as_of : date-like, optional
            Reference time of relative-time conditions; defaults to
            ``facts.attrs["as_of"]``.
        report : DataReport, optional
            Receives a count of customers whose score fact was missing.

        Returns
        -------
        Series or DataFrame
            Priority mode: a categorical Series named ``base_segment``, indexed like
            ``facts``, with the segments in priority order and the catch-all last as
            categories. Tags mode: a boolean DataFrame with one column per segment and a
            catch-all column for customers with no tag.
        """
        self._prepare(facts, "predict")
        _, masks = _apply(
            self.spec_, self.cut_points_, facts, as_of, report, cut_keys=self._cut_keys()
        )
        return self._assemble(facts, masks)

    def transform(
        self, facts: pd.DataFrame, *, as_of: Any = None, report: DataReport | None = None
    ) -> pd.DataFrame:
        """Return the scores, the codes and the segment (or tags) of every customer.

        The frame is indexed like ``facts``; ``customer_id`` comes first when ``facts`` has
        it, then one int column per score (and ``<score>_label`` when the score has
        labels), one text column per code, then ``base_segment`` (priority mode) or the
        membership columns (tags mode).
        """
        self._prepare(facts, "transform")
        scores, masks = _apply(
            self.spec_, self.cut_points_, facts, as_of, report, cut_keys=self._cut_keys()
        )
        out = pd.DataFrame(index=facts.index)
        if schema.CUSTOMER_ID in facts.columns:
            out[schema.CUSTOMER_ID] = facts[schema.CUSTOMER_ID]
        for name, values in scores.items():
            out[name] = values
            labels = self.spec_.scores[name].labels
            if labels is not None:
                out[f"{name}_label"] = pd.Categorical.from_codes(
                    values.astype("int64") - 1, categories=labels, ordered=True
                )
        for name, parts in self.spec_.codes.items():
            out[name] = pd.array(code_strings([scores[p] for p in parts]), dtype="str")
        assigned = self._assemble(facts, masks)
        if isinstance(assigned, pd.Series):
            out[schema.BASE_SEGMENT] = assigned
        else:
            for column in assigned.columns:
                out[column] = assigned[column]
        return out

    def fit_predict(
        self, facts: pd.DataFrame, y: Any = None, *, as_of: Any = None
    ) -> pd.Series | pd.DataFrame:
        """Fit on ``facts`` and return their segments (same as ``fit(facts).predict(facts)``)."""
        return self.fit(facts, as_of=as_of).predict(facts, as_of=as_of)

    def fit_transform(
        self, facts: pd.DataFrame, y: Any = None, *, as_of: Any = None
    ) -> pd.DataFrame:
        """Fit on ``facts`` and return :meth:`transform` of them."""
        return self.fit(facts, as_of=as_of).transform(facts, as_of=as_of)

    def coverage(self, facts: pd.DataFrame, *, as_of: Any = None) -> Coverage:
        """Segment sizes, shares, overlaps (tags mode) and empty segments on ``facts``.

        Warns
        -----
        RuleWarning
            If a segment holds no customer of ``facts``.
        """
        self._prepare(facts, "coverage")
        _, masks = _apply(self.spec_, self.cut_points_, facts, as_of, cut_keys=self._cut_keys())
        result = coverage_from_masks(
            masks, self.spec_.segment_names, self.spec_.catch_all, mode=self.spec_.mode
        )
        _warn_empty(result)
        return result

    def _assemble(self, facts: pd.DataFrame, masks: list[np.ndarray]) -> pd.Series | pd.DataFrame:
        spec = self.spec_
        if spec.mode == "tags":
            frame = pd.DataFrame(
                {name: mask for name, mask in zip(spec.segment_names, masks, strict=True)},
                index=facts.index,
            )
            none = ~np.vstack(masks).any(axis=0) if masks else np.ones(len(facts), dtype=bool)
            frame[spec.catch_all] = none
            return frame
        stacked = np.vstack(masks) if masks else np.zeros((0, len(facts)), dtype=bool)
        codes = assign_first(stacked)
        categorical = pd.Categorical.from_codes(codes, categories=list(self.segments_))
        return pd.Series(categorical, index=facts.index, name=schema.BASE_SEGMENT)


def _check_frame(facts: Any, what: str) -> None:
    if not isinstance(facts, pd.DataFrame):
        raise DataError(
            f"RuleSegmenter.{what} needs the facts table as a pandas DataFrame, got "
            f"{type(facts).__name__}; build it with metaseg.facts.compute_facts."
        )
    duplicated = facts.columns[facts.columns.duplicated()].unique()
    if len(duplicated):
        raise DataError(
            f"facts has duplicated column names {list(map(str, duplicated))}; give each "
            "column a unique name."
        )


def _check_required(spec: RuleSpec, facts: pd.DataFrame) -> None:
    columns = [str(c) for c in facts.columns]
    missing = {
        fact: users for fact, users in spec.facts_by_user().items() if fact not in facts.columns
    }
    if not missing:
        return
    parts = []
    for fact, users in missing.items():
        close = close_matches(fact, columns)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        parts.append(f"{fact!r} (used by {_describe_users(users)}{hint})")
    rules = f"rules {spec.name!r}" if spec.name else "the rules"
    raise RuleError(
        f"{rules} read facts the facts table does not have: {'; '.join(parts)}. Available "
        f"columns: {available(columns)}. Add these attributes (for example through the "
        "customers table) or use rules that do not need them."
    )


def _describe_users(users: list[str]) -> str:
    """``["score R", "segment a", "segment b"]`` → ``"score R; segments 'a', 'b'"``."""
    out = []
    for kind in ("score", "segment"):
        names = [u.split(" ", 1)[1] for u in users if u.startswith(kind + " ")]
        if names:
            label = kind if len(names) == 1 else kind + "s"
            out.append(f"{label} {preview(names, limit=12)[1:-1]}")
    return "; ".join(out)


def _apply(
    spec: RuleSpec,
    cut_points: dict[str, np.ndarray],
    facts: pd.DataFrame,
    as_of: Any,
    report: DataReport | None = None,
    *,
    cut_keys: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
    """Score ``facts`` with the given cut points (and the keys of ``ties: first`` cut
    pairs) and evaluate every segment's condition."""
    stamp = _resolve_as_of(as_of, facts)
    kinds: dict[str, str] = {}
    inputs = _score_inputs(spec, facts, stamp, kinds)
    if report is not None:
        for name, (values, outside) in inputs.items():
            n_missing = int(np.isnan(values).sum()) - outside
            _record(report, f"{_STEP}.predict", name, spec.scores[name], n_missing, outside)
    cut_keys = {} if cut_keys is None else cut_keys
    scores = {}
    for name, (values, _) in inputs.items():
        keys = None
        if name in cut_keys:
            keys = _tie_keys(facts, name, spec.scores[name], values, like=cut_keys[name])
        scores[name] = apply_cut_points(
            values,
            cut_points[name],
            keys=keys,
            cut_keys=cut_keys.get(name),
            descending=spec.scores[name].direction == "descending",
            missing_score=spec.scores[name].missing_score,
        )
    codes = {name: [scores[part] for part in parts] for name, parts in spec.code_scores().items()}
    masks = []
    for i, segment in enumerate(spec.segments):
        ctx = EvalContext(
            facts, as_of=stamp, codes=codes, where=f"segment {segment.name!r}", _kinds=kinds
        )
        masks.append(evaluate(segment.condition, ctx, ("segments", i, "condition")))
    return scores, masks


def _score_inputs(
    spec: RuleSpec,
    facts: pd.DataFrame,
    stamp: pd.Timestamp | None,
    kinds: dict[str, str] | None = None,
) -> dict[str, tuple[np.ndarray, int]]:
    """Per score: the fact as float64 with NaN outside ``among``, and how many were outside."""
    kinds = {} if kinds is None else kinds
    out: dict[str, tuple[np.ndarray, int]] = {}
    for name, score in spec.scores.items():
        column = facts[score.fact]
        kind = column_type(column)
        if kind not in ("number", "empty"):
            raise RuleError(
                f"rules scores.{name}.fact: fact {score.fact!r} holds {kind} (dtype "
                f"{column.dtype}); a score needs numbers. Score a numeric fact such as "
                "recency_days or monetary."
            )
        if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(
            column.dtype
        ):
            column = pd.to_numeric(pd.Series(np.asarray(column, dtype=object)))
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        outside = 0
        if score.among is not None:
            ctx = EvalContext(facts, as_of=stamp, where=f"score {name!r}", _kinds=kinds)
            keep = evaluate(score.among, ctx, ("scores", name, "among"))
            outside = int((~keep & ~np.isnan(values)).sum())
            values = np.where(keep, values, np.nan)
        out[name] = (values, outside)
    return out


def _tie_keys(
    facts: pd.DataFrame,
    name: str,
    score: ScoreSpec,
    values: np.ndarray,
    like: np.ndarray | None = None,
) -> np.ndarray:
    """The ``tie_break`` column of a ``ties: first`` score as numbers or text.

    ``like`` holds the keys learned in fit: the column must still hold the same kind.
    """
    column_name = score.tie_break
    where = f"rules scores.{name}.tie_break"
    if column_name not in facts.columns:
        raise RuleError(
            f"{where}: score {name!r} uses ties: first, which orders equal "
            f"{score.fact} values by column {column_name!r}, but the facts have no such "
            f"column. Available columns: {available(map(str, facts.columns))}. Keep "
            f"{column_name!r} in the facts, set tie_break to another column or use ties: min."
        )
    column = facts[column_name]
    kind = column_type(column)
    if kind not in ("number", "text", "empty"):
        raise RuleError(
            f"{where}: column {column_name!r} holds {kind} (dtype {column.dtype}); the key "
            "that orders equal values must hold numbers or text, such as customer_id."
        )
    needed = ~np.isnan(values)
    absent = column.isna().to_numpy() & needed
    if absent.any():
        raise DataError(
            f"score {name!r}: {int(absent.sum()):,} customers with a {score.fact} value have "
            f"no {column_name!r} (ties: first orders equal values by it), e.g. rows "
            f"{preview(facts.index[absent].tolist())}. Fill {column_name!r} or use ties: min."
        )
    if not needed.any():  # nothing to order: no key is read
        return np.full(len(column), np.nan)
    if kind == "number":
        keys = column.to_numpy(dtype="float64", na_value=np.nan)
        if pd.api.types.is_integer_dtype(column.dtype):
            keys = column.to_numpy(dtype="int64", na_value=0)
    else:
        keys = np.asarray(column.astype("str").to_numpy(na_value=""), dtype=object)
    if like is not None and (like.dtype == object) != (keys.dtype == object):
        held = "text" if like.dtype == object else "numbers"
        raise DataError(
            f"score {name!r}: column {column_name!r} holds {kind} here but held {held} when "
            f"the rules were fit; give it the type it had at fit time (ties: first compares "
            "it with the keys of the learned cut points)."
        )
    return keys


def _record(
    report: DataReport, step: str, name: str, score: ScoreSpec, n_missing: int, outside: int
) -> None:
    given = f"given score {name}={score.missing_score}"
    report.add(step, "info", f"missing {score.fact} {given}", rows=n_missing, column=score.fact)
    report.add(step, "info", f"outside 'among' of score {name}, {given}", rows=outside)


def _resolve_as_of(as_of: Any, facts: pd.DataFrame) -> pd.Timestamp | None:
    if as_of is not None:
        return as_timestamp(as_of)
    stored = facts.attrs.get(schema.AS_OF)
    return None if stored is None else as_timestamp(stored, "facts.attrs['as_of']")


def _warn_empty(coverage: Coverage) -> None:
    if coverage.empty:
        warnings.warn(
            f"segments {list(coverage.empty)} hold none of the {coverage.n_customers:,} "
            "customers; check their conditions and thresholds (in priority mode an earlier "
            "segment may take all of their customers, see the 'matched' column of coverage).",
            RuleWarning,
            stacklevel=3,
        )
