"""Does a fitted segmentation still fit today's customers?

:func:`drift_report` compares, for one model:

* each fact the model reads, today against the customers it was fitted on: the
  population stability index over everybody and inside each base segment
  (:mod:`metaseg.fact_reference`);
* the share of every sub-segment then (``model.labels_``) and now
  (``model.predict(facts_now)``), with the catch-all and noise shares;
* optionally, where customers moved since the last exported labels (a migration
  matrix, previous segment in rows, today's in columns);

and raises a :class:`DriftWarning` for each sign that the model no longer fits.

The model does not keep its training facts, so the reference is given as
``reference_facts`` (the facts it was fitted on), or read from a
``drift_reference_`` attribute holding a :class:`FactReference` when the model has
one (see :func:`metaseg.fact_reference.build_reference`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import available, preview
from metaseg.alignment import align_labels, migration_table
from metaseg.exceptions import ConfigError, DataError, DriftWarning
from metaseg.fact_reference import EVERYONE, FactReference, build_reference, psi

PSI_COLUMNS = ("fact", "population", "psi", "level", "n_reference", "n_now")
SHARE_COLUMNS = (
    schema.BASE_SEGMENT,
    schema.SUB_SEGMENT,
    schema.SEGMENT,
    schema.SEGMENT_NAME,
    "n_then",
    "share_then",
    "n_now",
    "share_now",
    "change",
)


@dataclass(frozen=True)
class DriftThresholds:
    """When a drift report warns.

    Parameters
    ----------
    psi_moderate, psi_major : float, default 0.1 and 0.25
        PSI levels read as a moderate and a major shift; a fact with a major shift
        over everybody triggers a warning.
    catch_all_growth : float, default 0.05
        Warn when the catch-all base segment's share of customers grew by more than this.
    noise_growth : float, default 0.05
        Warn when the share of customers left as noise grew by more than this.
    """

    psi_moderate: float = 0.1
    psi_major: float = 0.25
    catch_all_growth: float = 0.05
    noise_growth: float = 0.05

    def __post_init__(self) -> None:
        for name in ("psi_moderate", "psi_major", "catch_all_growth", "noise_growth"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"thresholds.{name} must be a number >= 0, got {value!r}.")
        if self.psi_major < self.psi_moderate:
            raise ConfigError(
                f"thresholds.psi_major ({self.psi_major}) must be >= psi_moderate "
                f"({self.psi_moderate})."
            )

    def level(self, value: float) -> str:
        """``stable``, ``moderate`` or ``major`` (``unknown`` for NaN)."""
        if not np.isfinite(value):
            return "unknown"
        if value >= self.psi_major:
            return "major"
        return "moderate" if value >= self.psi_moderate else "stable"


@dataclass(frozen=True)
class DriftReport:
    """What changed between a model's fit and today.

    Attributes
    ----------
    psi : DataFrame
        ``PSI_COLUMNS``: one row per (fact, population), population ``(all)`` or a base
        segment, sorted by PSI (largest first) within ``(all)`` then the base segments.
    shares : DataFrame
        ``SHARE_COLUMNS``: one row per sub-segment seen then or now.
    migration : DataFrame or None
        Customers per (previous segment, today's segment), previous in rows; None
        without ``previous_labels``.
    overall : dict
        ``n_then``, ``n_now``, ``catch_all`` (its name), ``catch_all_share_then/now``,
        ``noise_share_then/now``, ``psi_max`` and, with previous labels,
        ``n_common``, ``n_only_previous``, ``n_only_now``, ``moved_share``.
    warnings : list of str
        Each reason to doubt the model, also raised as :class:`DriftWarning`.
    skipped : dict of str to str
        Facts not compared, with the reason.
    """

    psi: pd.DataFrame
    shares: pd.DataFrame
    migration: pd.DataFrame | None
    overall: dict[str, Any]
    warnings: list[str]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing warned."""
        return not self.warnings

    def table(self) -> pd.DataFrame:
        """The PSI of every fact over everybody, one row per fact (largest first)."""
        everyone = self.psi[self.psi["population"] == EVERYONE]
        return everyone.drop(columns="population").reset_index(drop=True)

    def metrics(self) -> dict[str, float]:
        """Numbers worth tracking over time (MLflow metric names)."""
        out = {
            f"drift.{k}": float(v)
            for k, v in self.overall.items()
            if isinstance(v, int | float | np.number) and not isinstance(v, bool)
        }
        for row in self.table().itertuples(index=False):
            out[f"psi.{row.fact}"] = float(row.psi)
        for row in self.shares.itertuples(index=False):
            out[f"share_now.{row.segment}"] = float(row.share_now)
        out["drift.n_warnings"] = float(len(self.warnings))
        return out

    def __str__(self) -> str:
        o = self.overall
        lines = [
            f"DriftReport: {o['n_then']:,} customers at fit, {o['n_now']:,} now; "
            f"catch-all {o['catch_all']!r} {o['catch_all_share_then']:.1%} -> "
            f"{o['catch_all_share_now']:.1%}, noise {o['noise_share_then']:.1%} -> "
            f"{o['noise_share_now']:.1%}",
        ]
        lines += [f"  warning: {w}" for w in self.warnings] or ["  no warning"]
        if len(self.psi):
            lines += ["Population stability index (everybody):", _indent(self.table())]
        shown = self.shares.drop(columns=[schema.SEGMENT_NAME])
        lines += ["Sub-segment shares then and now:", _indent(shown)]
        if self.migration is not None:
            lines += [
                f"Migration since the previous labels ({o['n_common']:,} customers in both, "
                f"{o['moved_share']:.1%} moved; {o['n_only_previous']:,} only before, "
                f"{o['n_only_now']:,} only now):",
                _indent(self.migration),
            ]
        if self.skipped:
            lines.append(
                "Not compared: " + "; ".join(f"{k} ({v})" for k, v in self.skipped.items())
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return f"<pre>{_escape(str(self))}</pre>"


def drift_report(
    model: Any,
    facts_now: pd.DataFrame,
    *,
    reference_facts: pd.DataFrame | None = None,
    previous_labels: pd.DataFrame | None = None,
    thresholds: DriftThresholds | dict[str, float] | None = None,
    n_bins: int = 10,
    warn: bool = True,
) -> DriftReport:
    """Compare today's customers with the ones a model was fitted on.

    Parameters
    ----------
    model : MetaSegmenter
        A fitted segmentation (``load_champion(name).model`` for a registered one).
    facts_now : DataFrame
        Today's facts (see :func:`metaseg.facts.compute_facts`).
    reference_facts : DataFrame, optional
        The facts the model was fitted on. Needed for the PSI unless the model has a
        ``drift_reference_``; without either, the PSI table is empty and
        ``skipped`` says why.
    previous_labels : DataFrame, optional
        The last exported labels (``customer_id`` and ``segment``) for the migration.
    thresholds : DriftThresholds or dict, optional
        When to warn (defaults of :class:`DriftThresholds`).
    n_bins : int, default 10
        Quantile bins per numeric fact.
    warn : bool, default True
        Also raise each warning as a :class:`DriftWarning`.

    Returns
    -------
    DriftReport

    Raises
    ------
    ConfigError
        If a threshold or ``n_bins`` is invalid or the model is not fitted.
    DataError
        If a table lacks a column the model reads or ``previous_labels`` is malformed.

    Examples
    --------
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> from metaseg.model import MetaSegmenter
    >>> customers, events, _ = make_shop(n_customers=1_500, seed=1)
    >>> facts = compute_facts(events, customers)
    >>> model = MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts)
    >>> report = drift_report(model, facts, reference_facts=facts)
    >>> report.ok, float(report.table()["psi"].max())
    (True, 0.0)
    """
    limits = _thresholds(thresholds)
    _check_fitted(model)
    columns = [c for c in model.feature_columns_ if c != schema.CUSTOMER_ID]
    _check_columns("facts_now", facts_now, columns)
    labels_now = model.predict(facts_now)
    base_now = labels_now[schema.BASE_SEGMENT].astype(str).to_numpy()

    reference = getattr(model, "drift_reference_", None)
    skipped: dict[str, str] = {}
    if reference_facts is not None:
        _check_columns("reference_facts", reference_facts, columns)
        base_ref = model.predict(reference_facts)[schema.BASE_SEGMENT].astype(str).to_numpy()
        reference = build_reference(reference_facts, columns, base_ref, n_bins=n_bins)
    if isinstance(reference, FactReference):
        psi_table = _psi_table(reference, facts_now, base_now, limits)
        skipped.update(reference.skipped)
    else:
        psi_table = pd.DataFrame({c: pd.Series(dtype=object) for c in PSI_COLUMNS})
        skipped["every fact"] = "no reference: pass reference_facts= (the facts of the fit)"

    then = model.labels_
    shares = _shares(then, labels_now)
    catch_all = str(model.rules_.segments_[-1])
    overall: dict[str, Any] = {
        "n_then": len(then),
        "n_now": len(labels_now),
        "catch_all": catch_all,
        "catch_all_share_then": _share(then[schema.BASE_SEGMENT].astype(str) == catch_all),
        "catch_all_share_now": _share(pd.Series(base_now) == catch_all),
        "noise_share_then": _share(then[schema.SUB_SEGMENT] == schema.NOISE),
        "noise_share_now": _share(labels_now[schema.SUB_SEGMENT] == schema.NOISE),
        "psi_max": float(psi_table.loc[psi_table["population"] == EVERYONE, "psi"].max())
        if len(psi_table)
        else float("nan"),
    }
    migration = None
    if previous_labels is not None:
        migration, counts = _migration(previous_labels, labels_now)
        overall.update(counts)
    found = _warnings(overall, shares, psi_table, limits)
    if warn:
        for message in found:
            warnings.warn(message, DriftWarning, stacklevel=2)
    return DriftReport(psi_table, shares, migration, overall, found, skipped)


# ------------------------------------------------------------------ helpers
def _thresholds(value: Any) -> DriftThresholds:
    if value is None:
        return DriftThresholds()
    if isinstance(value, DriftThresholds):
        return value
    if isinstance(value, dict):
        known = set(DriftThresholds.__dataclass_fields__)
        unknown = [k for k in value if k not in known]
        if unknown:
            raise ConfigError(
                f"thresholds: unknown key(s) {preview(unknown)}; known: {available(known)}."
            )
        return DriftThresholds(**value)
    raise ConfigError(
        f"thresholds must be a DriftThresholds or a dict, got {type(value).__name__}."
    )


def _check_fitted(model: Any) -> None:
    if not hasattr(model, "segments_") or not hasattr(model, "feature_columns_"):
        raise ConfigError(
            f"model must be a fitted MetaSegmenter, got {type(model).__name__}. Fit it, or "
            "load a registered one with metaseg.tracking.load_champion(name).model."
        )


def _check_columns(what: str, facts: Any, columns: list[str]) -> None:
    if not isinstance(facts, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame of facts, got {type(facts).__name__}.")
    missing = [c for c in [schema.CUSTOMER_ID, *columns] if c not in facts.columns]
    if missing:
        raise DataError(
            f"{what} lack the fact(s) {preview(missing)} that the model reads; they have "
            f"{available(map(str, facts.columns), limit=40)}. Compute them with the same "
            "facts settings (windows) as the fit."
        )


def _psi_table(
    reference: FactReference, facts: pd.DataFrame, base: np.ndarray, limits: DriftThresholds
) -> pd.DataFrame:
    rows = []
    for (fact, population), hist in reference.histograms.items():
        if fact not in facts.columns:
            continue
        values = facts[fact] if population == EVERYONE else facts[fact][base == population]
        value = psi(hist, values)
        rows.append((fact, population, value, limits.level(value), hist.n, len(values)))
    table = pd.DataFrame.from_records(rows, columns=list(PSI_COLUMNS))
    table["_all"] = table["population"] != EVERYONE
    table = table.sort_values(["_all", "population", "psi"], ascending=[True, True, False])
    return table.drop(columns="_all").reset_index(drop=True)


def _share(mask: pd.Series) -> float:
    return float(mask.mean()) if len(mask) else 0.0


def _shares(then: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    keys = [schema.BASE_SEGMENT, schema.SUB_SEGMENT, schema.SEGMENT]
    a = then.groupby(keys, observed=True).size().rename("n_then")
    b = now.groupby(keys, observed=True).size().rename("n_now")
    table = pd.concat([a, b], axis=1).fillna(0).astype("int64").reset_index()
    names = pd.concat([then, now])[[schema.SEGMENT, schema.SEGMENT_NAME]]
    names = names.drop_duplicates(schema.SEGMENT).set_index(schema.SEGMENT)[schema.SEGMENT_NAME]
    table[schema.SEGMENT_NAME] = table[schema.SEGMENT].map(names).astype("str")
    table["share_then"] = table["n_then"] / max(len(then), 1)
    table["share_now"] = table["n_now"] / max(len(now), 1)
    table["change"] = table["share_now"] - table["share_then"]
    table["_noise"] = table[schema.SUB_SEGMENT] == schema.NOISE
    table = table.sort_values([schema.BASE_SEGMENT, "_noise", schema.SUB_SEGMENT])
    return table[list(SHARE_COLUMNS)].reset_index(drop=True)


def _migration(previous: Any, now: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    aligned = align_labels(previous, now, names=("previous_labels", "labels now"))
    matrix = migration_table(aligned).rename_axis(index="previous", columns="now")
    before = aligned.column(schema.SEGMENT, 0).astype(str)
    after = aligned.column(schema.SEGMENT, 1).astype(str)
    counts = {
        "n_common": aligned.n_common,
        "n_only_previous": aligned.n_only_first,
        "n_only_now": aligned.n_only_second,
        "moved_share": float((before != after).mean()) if aligned.n_common else 0.0,
    }
    return matrix, counts


def _warnings(
    overall: dict[str, Any], shares: pd.DataFrame, psi_table: pd.DataFrame, limits: DriftThresholds
) -> list[str]:
    out = []
    grew = overall["catch_all_share_now"] - overall["catch_all_share_then"]
    if grew > limits.catch_all_growth:
        out.append(
            f"the catch-all base segment {overall['catch_all']!r} grew from "
            f"{overall['catch_all_share_then']:.1%} to {overall['catch_all_share_now']:.1%} of "
            f"customers (more than +{limits.catch_all_growth:.0%}); the rules no longer "
            "describe today's customers — review them and refit."
        )
    grew = overall["noise_share_now"] - overall["noise_share_then"]
    if grew > limits.noise_growth:
        out.append(
            f"the share of customers left as noise grew from {overall['noise_share_then']:.1%} "
            f"to {overall['noise_share_now']:.1%} (more than +{limits.noise_growth:.0%}); "
            "refit the density clusterers."
        )
    emptied = shares[(shares["n_then"] > 0) & (shares["n_now"] == 0)]
    emptied = emptied[emptied[schema.SUB_SEGMENT] != schema.NOISE]
    if len(emptied):
        out.append(
            f"{len(emptied)} sub-segment(s) held customers at fit and are empty now: "
            f"{preview(emptied[schema.SEGMENT].tolist())}; refit the model."
        )
    if len(psi_table):
        major = psi_table[(psi_table["population"] == EVERYONE) & (psi_table["level"] == "major")]
        if len(major):
            shown = [f"{f} ({v:.2f})" for f, v in zip(major["fact"], major["psi"], strict=True)]
            out.append(
                f"{len(major)} fact(s) shifted a lot since the fit (PSI >= "
                f"{limits.psi_major:g}): {preview(shown)}; the cut points and scalers may no "
                "longer fit — refit the model."
            )
    return out


def _indent(frame: pd.DataFrame) -> str:
    text = frame.to_string(index=isinstance(frame.index, pd.Index) and frame.index.name is not None)
    return "\n".join("  " + line for line in text.splitlines())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
