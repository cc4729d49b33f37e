"""Combined rule models: the base segment is the product of two presets' segments.

``rules: {combine: [lifecycle, value_tiers]}`` segments every customer by each preset on
its own (each learns its own cut points, once, on the fit data) and names the base
segment after both: ``active-top_value``.

Separator
    :data:`SEPARATOR`, ``-``. Segment names allow only letters, digits, ``_`` and ``-``
    (:func:`metaseg.rules.conditions.check_name`), so the ``·`` of a display name cannot
    be used; ``_`` already joins words inside preset names (``top_value``). A combined
    preset whose segment names contain ``-`` is refused, so a name always splits back
    into its two parts.

Small cells (the stated policy)
    A cell of the grid with fewer than ``min_cell_size`` fit customers (default
    :data:`MIN_CELL_SIZE`; empty cells always) is merged into its row's remainder,
    ``<first preset segment>-<remainder>`` (``remainder`` defaults to ``other``, so
    ``churned-other``). Which cells merge is decided once, at fit, and kept for scoring:
    a cell that was merged at fit stays merged, a kept cell keeps its name even if it is
    small in later data. If the second preset has a segment called like the remainder,
    the merged cells join that cell. The remainder is never merged further, whatever its
    size. Set ``min_cell_size: 0`` to keep every non-empty cell.

Coverage
    :attr:`CombinedRuleSegmenter.grid_` is the grid of fit customers before merging (rows:
    the first preset's segments, columns: the second's, in priority order, catch-alls
    last); it sums to the customers. ``coverage_`` is the usual
    :class:`~metaseg.rules.coverage.Coverage` of the combined segments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from metaseg import schema
from metaseg._messages import available, did_you_mean
from metaseg._yaml import config_error_from_pydantic
from metaseg.data.report import DataReport
from metaseg.exceptions import RuleError
from metaseg.rules.conditions import check_name
from metaseg.rules.coverage import Coverage
from metaseg.rules.presets import PRESET_NAMES
from metaseg.rules.segmenter import RuleSegmenter

#: Joins the two presets' segment names into the combined base segment's name.
SEPARATOR: Final = "-"
#: Cells with fewer fit customers merge into their row's remainder.
MIN_CELL_SIZE: Final = 30


class CombineSpec(BaseModel):
    """The ``rules: {combine: [...]}`` document.

    Parameters
    ----------
    combine : list
        Two presets, each a name (``lifecycle``) or ``{preset: name, params: {...}}``.
    min_cell_size : int
        Cells with fewer fit customers merge into ``<first segment>-<remainder>``.
    remainder : str
        The second half of the merged cells' name.

    Examples
    --------
    >>> CombineSpec(combine=["lifecycle", "value_tiers"]).parts
    ('lifecycle', 'value_tiers')
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    combine: tuple[str | dict[str, Any], str | dict[str, Any]]
    min_cell_size: int = Field(default=MIN_CELL_SIZE, ge=0)
    remainder: str = "other"

    @field_validator("combine")
    @classmethod
    def _presets(cls, value: tuple[Any, ...]) -> tuple[Any, ...]:
        names = [item if isinstance(item, str) else item.get("preset") for item in value]
        for name in names:
            if name not in PRESET_NAMES:
                raise ValueError(
                    f"preset {name!r} does not exist.{did_you_mean(str(name), PRESET_NAMES)} "
                    f"Presets: {available(PRESET_NAMES)}"
                )
        if names[0] == names[1]:
            raise ValueError(f"combine names {names[0]!r} twice; combine two different presets")
        return value

    @field_validator("remainder")
    @classmethod
    def _remainder(cls, value: str) -> str:
        check_name(value)
        if SEPARATOR in value:
            raise ValueError(f"remainder {value!r} must not contain {SEPARATOR!r}")
        return value

    @property
    def parts(self) -> tuple[str, str]:
        """The two presets' names."""
        a, b = (item if isinstance(item, str) else str(item["preset"]) for item in self.combine)
        return a, b


def is_combine(rules: Any) -> bool:
    """Whether a rules value is a ``{combine: [...]}`` document.

    Examples
    --------
    >>> is_combine({"combine": ["rfm", "value_tiers"]}), is_combine("rfm")
    (True, False)
    """
    return isinstance(rules, Mapping) and "combine" in rules


def parse_combine(rules: Any) -> CombineSpec:
    """Validate a ``{combine: [...]}`` document.

    Raises
    ------
    RuleError
        If it does not name two different presets, or a key or value is invalid.
    """
    if isinstance(rules, CombineSpec):
        return rules
    try:
        return CombineSpec.model_validate(dict(rules))
    except ValidationError as exc:
        raise RuleError(
            str(config_error_from_pydantic(exc, what="rules"))
            + " Write e.g. rules: {combine: [lifecycle, value_tiers], min_cell_size: 30}."
        ) from None


def rule_segmenter(rules: Any) -> RuleSegmenter | CombinedRuleSegmenter:
    """The unfitted rule model for a ``rules`` value: combined or single.

    Examples
    --------
    >>> type(rule_segmenter({"combine": ["lifecycle", "value_tiers"]})).__name__
    'CombinedRuleSegmenter'
    >>> type(rule_segmenter("rfm")).__name__
    'RuleSegmenter'
    """
    if is_combine(rules) or isinstance(rules, CombineSpec):
        return CombinedRuleSegmenter(rules=rules)
    return RuleSegmenter(rules=rules)


class CombinedRuleSegmenter(BaseEstimator):
    """Base segments that are the product of two presets' segments.

    Parameters
    ----------
    rules : dict or CombineSpec
        ``{"combine": [first, second], "min_cell_size": 30, "remainder": "other"}``;
        validated in :meth:`fit`.

    Attributes
    ----------
    parts_ : tuple of RuleSegmenter
        The two presets, each fitted on its own (its own cut points).
    segments_ : tuple of str
        Combined segments: row by row in the first preset's order, the kept cells in the
        second preset's order, then the row's remainder when a cell merged into it. The
        last one holds the two catch-alls' customers (or their row's remainder).
    merged_ : dict of str to str
        Each merged cell and the remainder it went to.
    grid_ : DataFrame
        Fit customers per cell before merging (rows: first preset, columns: second).
    coverage_ : Coverage
        Sizes of the combined segments on the fit data.
    required_facts_ : tuple of str
        Facts either preset reads.
    cut_points_ : dict of str to ndarray
        ``<preset>.<score>`` -> the cut points that preset learned.
    report_ : DataReport
        Both presets' reports.
    as_of_ : Timestamp or None

    Examples
    --------
    >>> seg = CombinedRuleSegmenter(rules={"combine": ["lifecycle", "value_tiers"]})
    >>> seg.rules["combine"][0]
    'lifecycle'

    Fitted on facts (see ``tests/rules/test_combine.py``), ``seg.fit_predict(facts)``
    gives segments such as ``active-top_value`` and ``seg.grid_`` the grid.
    """

    def __init__(self, *, rules: Any) -> None:
        self.rules = rules

    def fit(
        self, facts: pd.DataFrame, y: Any = None, *, as_of: Any = None
    ) -> CombinedRuleSegmenter:
        """Fit both presets and decide which cells merge.

        Raises
        ------
        RuleError
            If the document is invalid or a preset's segment name contains the separator.
        """
        spec = parse_combine(self.rules)
        parts = tuple(RuleSegmenter(rules=item).fit(facts, as_of=as_of) for item in spec.combine)
        for name, part in zip(spec.parts, parts, strict=True):
            if part.spec_.mode == "tags":
                raise RuleError(
                    f"rules combine: preset {name!r} uses mode: tags; only presets with one "
                    "segment per customer (priority mode) can be combined."
                )
            clash = [s for s in part.segments_ if SEPARATOR in s]
            if clash:
                raise RuleError(
                    f"rules combine: preset {name!r} has segment(s) {clash} with "
                    f"{SEPARATOR!r}, which joins the combined names; rename them."
                )
        first, second = (part.predict(facts, as_of=as_of) for part in parts)
        grid = pd.crosstab(
            pd.Categorical(first, categories=list(parts[0].segments_)),
            pd.Categorical(second, categories=list(parts[1].segments_)),
            dropna=False,
        )
        grid.index.name, grid.columns.name = spec.parts
        merged: dict[str, str] = {}
        segments: list[str] = []
        for row in grid.index:
            rest = _join(row, spec.remainder)
            for column in grid.columns:
                cell = _join(row, column)
                if grid.loc[row, column] < max(spec.min_cell_size, 1) and cell != rest:
                    merged[cell] = rest
                else:
                    segments.append(cell)
            if any(target == rest for target in merged.values()) and rest not in segments:
                segments.append(rest)
        self.spec_combine_ = spec
        self.parts_ = parts
        self.merged_ = merged
        self.segments_ = tuple(segments)
        self.grid_ = grid.astype("int64")
        self.required_facts_ = tuple(dict.fromkeys(f for p in parts for f in p.required_facts_))
        self.cut_points_ = {
            f"{name}.{score}": points
            for name, part in zip(spec.parts, parts, strict=True)
            for score, points in part.cut_points_.items()
        }
        self.report_ = DataReport().extend(parts[0].report_).extend(parts[1].report_)
        self.as_of_ = parts[0].as_of_
        self.coverage_ = self._coverage(self._combine(first, second, facts.index))
        return self

    def _combine(self, first: pd.Series, second: pd.Series, index: pd.Index) -> pd.Series:
        names = (first.astype(str) + SEPARATOR + second.astype(str)).to_numpy(dtype=object)
        names = np.asarray([self.merged_.get(n, n) for n in names], dtype=object)
        unknown = sorted(set(names) - set(self.segments_))
        if unknown:  # pragma: no cover - every cell is kept or merged at fit
            raise RuleError(f"combined segments {unknown} were not seen at fit.")
        categorical = pd.Categorical(names, categories=list(self.segments_))
        return pd.Series(categorical, index=index, name=schema.BASE_SEGMENT)

    def _coverage(self, segments: pd.Series) -> Coverage:
        size = segments.value_counts(sort=False).reindex(list(self.segments_), fill_value=0)
        table = pd.DataFrame(
            {"size": size.to_numpy(dtype="int64")},
            index=pd.Index(list(self.segments_), name="segment"),
        )
        n = len(segments)
        table.insert(1, "share", table["size"] / n if n else np.nan)
        empty = tuple(s for s, k in zip(self.segments_[:-1], table["size"], strict=False) if k == 0)
        return Coverage(table=table, overlaps=None, empty=empty, n_customers=n, mode="priority")

    def predict(
        self, facts: pd.DataFrame, *, as_of: Any = None, report: DataReport | None = None
    ) -> pd.Series:
        """Each customer's combined base segment, with the cut points and merges of the fit.

        Returns
        -------
        Series
            Categorical, named ``base_segment``, indexed like ``facts``, with
            :attr:`segments_` as categories.
        """
        check_is_fitted(self, "parts_")
        first, second = (p.predict(facts, as_of=as_of, report=report) for p in self.parts_)
        return self._combine(first, second, facts.index)

    def fit_predict(self, facts: pd.DataFrame, y: Any = None, *, as_of: Any = None) -> pd.Series:
        """Fit on ``facts`` and return their segments (same as ``fit(facts).predict(facts)``)."""
        return self.fit(facts, as_of=as_of).predict(facts, as_of=as_of)

    def transform(self, facts: pd.DataFrame, *, as_of: Any = None) -> pd.DataFrame:
        """Each preset's segment (one column per preset) and the combined ``base_segment``."""
        check_is_fitted(self, "parts_")
        out = pd.DataFrame(index=facts.index)
        if schema.CUSTOMER_ID in facts.columns:
            out[schema.CUSTOMER_ID] = facts[schema.CUSTOMER_ID]
        parts = [p.predict(facts, as_of=as_of) for p in self.parts_]
        for name, segments in zip(self.spec_combine_.parts, parts, strict=True):
            out[name] = segments
        out[schema.BASE_SEGMENT] = self._combine(parts[0], parts[1], facts.index)
        return out

    def coverage(self, facts: pd.DataFrame, *, as_of: Any = None) -> Coverage:
        """Sizes of the combined segments on ``facts``."""
        return self._coverage(self.predict(facts, as_of=as_of))

    def grid(self, facts: pd.DataFrame, *, as_of: Any = None) -> pd.DataFrame:
        """Customers of ``facts`` per cell before merging, shaped like :attr:`grid_`."""
        check_is_fitted(self, "parts_")
        first, second = (p.predict(facts, as_of=as_of) for p in self.parts_)
        table = pd.crosstab(first, second, dropna=False).reindex(
            index=self.grid_.index, columns=self.grid_.columns, fill_value=0
        )
        table.index.name, table.columns.name = self.spec_combine_.parts
        return table.astype("int64")


def _join(first: str, second: str) -> str:
    return f"{first}{SEPARATOR}{second}"
