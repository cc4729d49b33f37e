"""Stable sub-segment identities: match a new segmentation's groups to the previous one's.

A CRM team names sub-segments and builds campaigns on their ids, so a refit must not
renumber a group that is still there. :func:`match_identities` pairs, inside each base
segment, every new sub-segment with at most one previous sub-segment:

1. Similarity. Where the two segmentations share at least ``min_common`` customers of
   the base segment, the similarity of a pair is the Jaccard index of their customer
   sets (method ``overlap``), counted over the customers both label. Otherwise it is
   the centre similarity ``exp(-d)``, ``d`` the root-mean-square difference of the
   profile means divided by the previous base segment's standard deviation of each
   fact (method ``centre``; see :mod:`metaseg.over_time._similarity`).
2. An optimal one-to-one assignment maximising the total similarity
   (:func:`scipy.optimize.linear_sum_assignment`); a pair below ``min_similarity`` is
   not a match.
3. A matched group keeps the previous id and its user-given name. A new group gets the
   next id above every id used so far in its base segment, by the previous model and,
   when it was itself relabelled, by every model before it, so a vanished id is never
   reused. Previous groups left without a partner are reported as vanished.

Noise (-1) stays -1. A base segment the new model did not split keeps its single
sub-segment 0 (the model numbers an unsplit segment 0 whatever happens).
:meth:`MetaSegmenter.with_identities <metaseg.model.MetaSegmenter.with_identities>`
applies the result to the new model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg.exceptions import ConfigError, DataError
from metaseg.over_time._similarity import centre_matrix, overlap_matrix

#: Columns of :attr:`IdentityMatch.table`.
MATCH_COLUMNS = (
    schema.BASE_SEGMENT,
    "new_sub_segment",
    "previous_sub_segment",
    "stable_sub_segment",
    "similarity",
    "method",
    "status",
)
#: Attribute in which a relabelled model remembers the highest id used per base segment.
MAX_IDS_ATTRIBUTE = "identity_max_ids_"


@dataclass(frozen=True)
class IdentityMatch:
    """How the sub-segments of a new segmentation map onto the previous one's.

    Attributes
    ----------
    table : DataFrame
        One row per new sub-segment and per vanished previous one (``MATCH_COLUMNS``):
        ``status`` is ``matched``, ``new``, ``vanished`` or ``unsplit`` (a base segment
        the new model left whole keeps id 0); ``method`` is ``overlap`` or ``centre``.
        Missing ids are ``<NA>``.
    relabel : dict of str to dict of int to int
        Per base segment, new canonical id -> stable id.
    names : dict of str to str
        User names to carry over, keyed by stable segment code.
    max_ids : dict of str to int
        Highest id ever used per base segment (previous and new), so that later
        matches never reuse a vanished id.
    fingerprint : tuple
        The new model's (segment, size) pairs when matched; guards against applying
        the match to another model or twice.
    """

    table: pd.DataFrame
    relabel: dict[str, dict[int, int]]
    names: dict[str, str] = field(default_factory=dict)
    max_ids: dict[str, int] = field(default_factory=dict)
    fingerprint: tuple[tuple[str, int], ...] = ()

    @property
    def vanished(self) -> pd.DataFrame:
        """The previous sub-segments that no new sub-segment continues."""
        return self.table[self.table["status"] == "vanished"].reset_index(drop=True)

    @property
    def new(self) -> pd.DataFrame:
        """The new sub-segments that continue no previous one."""
        return self.table[self.table["status"] == "new"].reset_index(drop=True)

    @property
    def is_identity(self) -> bool:
        """True when every sub-segment keeps its number and none appeared or vanished."""
        if self.table["status"].isin(["new", "vanished"]).any():
            return False
        return all(k == v for mapping in self.relabel.values() for k, v in mapping.items())

    def __str__(self) -> str:
        counts = self.table["status"].value_counts()
        head = ", ".join(f"{int(counts.get(s, 0))} {s}" for s in ("matched", "new", "vanished"))
        return f"IdentityMatch: {head}\n{self.table.to_string(index=False)}"


def match_identities(
    previous_model: Any,
    new_model: Any,
    facts: pd.DataFrame | None = None,
    *,
    min_similarity: float = 0.3,
    min_common: int = 30,
) -> IdentityMatch:
    """Match the new model's sub-segments to the previous model's, base segment by base segment.

    Parameters
    ----------
    previous_model : MetaSegmenter
        The segmentation whose ids and names must survive (e.g. the champion).
    new_model : MetaSegmenter
        The new fit.
    facts : DataFrame, optional
        Customers to label with both models for the overlap (both ``predict``). When
        omitted, the customers both models were fitted on are compared through their
        ``labels_``.
    min_similarity : float, default 0.3
        A pair less similar than this is not a match.
    min_common : int, default 30
        Fewest customers of a base segment both segmentations must label for the
        overlap to be used; below it the centre similarity is used.

    Returns
    -------
    IdentityMatch

    Raises
    ------
    ConfigError
        If a parameter is out of range or a model is not fitted.
    DataError
        If the customer ids of the two labellings cannot be compared.

    Examples
    --------
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> from metaseg.model import MetaSegmenter
    >>> customers, events, _ = make_shop(n_customers=1_500, seed=1)
    >>> facts = compute_facts(events, customers)
    >>> old = MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts)
    >>> new = MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts)
    >>> match_identities(old, new).is_identity
    True
    """
    _check_params(min_similarity, min_common)
    for what, model in (("previous_model", previous_model), ("new_model", new_model)):
        _check_model(what, model)
    prev_codes, new_codes = _common_codes(previous_model, new_model, facts)
    prev_summary, new_summary = previous_model.summary_, new_model.summary_
    prev_names = dict(getattr(previous_model.spec_, "names", {}) or {})
    used = dict(getattr(previous_model, MAX_IDS_ATTRIBUTE, {}) or {})
    prev_bases, new_bases = _base_of(prev_codes), _base_of(new_codes)

    rows: list[dict[str, Any]] = []
    relabel: dict[str, dict[int, int]] = {}
    names: dict[str, str] = {}
    max_ids: dict[str, int] = {}
    bases = list(
        dict.fromkeys([*new_summary[schema.BASE_SEGMENT], *prev_summary[schema.BASE_SEGMENT]])
    )
    for base in bases:
        prev_ids = _ids(prev_summary, base)
        new_ids = _ids(new_summary, base)
        highest = max([used.get(base, -1), *prev_ids], default=-1)
        in_prev = int((prev_bases == base).sum())
        in_new = int((new_bases == base).sum())
        method = "overlap" if min(in_prev, in_new) >= min_common else "centre"
        if method == "overlap":
            sim = overlap_matrix(prev_codes, new_codes, prev_ids, new_ids, base)
        else:
            sim = centre_matrix(
                _profile(previous_model, base), _profile(new_model, base), prev_ids, new_ids
            )
        unsplit = base in new_model.segments_ and not new_model.segments_[base].split
        pairs = _assign(sim, prev_ids, new_ids, min_similarity, unsplit)
        mapping: dict[int, int] = {}
        next_id = highest + 1
        for b, new_id in enumerate(new_ids):
            a = pairs.get(b)
            if unsplit:
                stable, status = 0, "matched" if a is not None and prev_ids[a] == 0 else "unsplit"
            elif a is not None:
                stable, status = prev_ids[a], "matched"
            else:
                stable, status, next_id = next_id, "new", next_id + 1
            mapping[new_id] = stable
            prev_id = prev_ids[a] if a is not None else None
            similarity = float(sim[a, b]) if a is not None else _best(sim, b)
            rows.append(_row(base, new_id, prev_id, stable, similarity, method, status))
            code = schema.segment_code(base, prev_id) if prev_id is not None else None
            if status == "matched" and code in prev_names:
                names[schema.segment_code(base, stable)] = prev_names[code]
        kept = set(mapping.values())
        for a, prev_id in enumerate(prev_ids):
            if prev_id not in kept:
                best = float(sim[a].max()) if sim.shape[1] else float("nan")
                rows.append(_row(base, None, prev_id, None, best, method, "vanished"))
        relabel[base] = mapping
        max_ids[base] = max([highest, *mapping.values()], default=-1)
    table = pd.DataFrame.from_records(rows, columns=list(MATCH_COLUMNS))
    for column in ("new_sub_segment", "previous_sub_segment", "stable_sub_segment"):
        table[column] = table[column].astype("Int64")
    table[schema.BASE_SEGMENT] = table[schema.BASE_SEGMENT].astype("str")
    return IdentityMatch(table, relabel, names, max_ids, new_model.fingerprint())


def _check_params(min_similarity: Any, min_common: Any) -> None:
    if (
        not isinstance(min_similarity, int | float)
        or isinstance(min_similarity, bool)
        or not 0.0 <= float(min_similarity) <= 1.0
    ):
        raise ConfigError(
            f"min_similarity must be a number in [0, 1], got {min_similarity!r}. "
            "0.3 keeps a group's id when about a third of its customers are shared."
        )
    if not isinstance(min_common, int) or isinstance(min_common, bool) or min_common < 1:
        raise ConfigError(f"min_common must be an integer >= 1, got {min_common!r}.")


def _check_model(what: str, model: Any) -> None:
    from metaseg.model import check_fitted

    check_fitted("match_identities", model, what)


def _common_codes(
    previous_model: Any, new_model: Any, facts: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray]:
    """Segment codes of the customers both labellings cover, aligned."""
    if facts is not None:
        prev = previous_model.predict(facts)[schema.SEGMENT].astype(str).to_numpy()
        new = new_model.predict(facts)[schema.SEGMENT].astype(str).to_numpy()
        return prev, new
    left = previous_model.labels_[[schema.CUSTOMER_ID, schema.SEGMENT]]
    right = new_model.labels_[[schema.CUSTOMER_ID, schema.SEGMENT]]
    try:
        joined = left.merge(right, on=schema.CUSTOMER_ID, how="inner", suffixes=("_p", "_n"))
    except ValueError:
        raise DataError(
            f"the customer_id of the previous model's labels "
            f"({left[schema.CUSTOMER_ID].dtype}) and the new model's "
            f"({right[schema.CUSTOMER_ID].dtype}) cannot be compared. Pass facts= to label "
            "the same customers with both models."
        ) from None
    return (
        joined[f"{schema.SEGMENT}_p"].astype(str).to_numpy(),
        joined[f"{schema.SEGMENT}_n"].astype(str).to_numpy(),
    )


def _base_of(codes: np.ndarray) -> np.ndarray:
    return np.asarray([c.rpartition("/")[0] for c in codes], dtype=object)


def _ids(summary: pd.DataFrame, base: str) -> list[int]:
    rows = summary[summary[schema.BASE_SEGMENT].astype(str) == base]
    return sorted(int(s) for s in rows[schema.SUB_SEGMENT] if int(s) != schema.NOISE)


def _profile(model: Any, base: str) -> pd.DataFrame:
    profiles = model.profiles_
    return profiles[profiles[schema.BASE_SEGMENT].astype(str) == base]


def _assign(
    sim: np.ndarray, prev_ids: list[int], new_ids: list[int], minimum: float, unsplit: bool
) -> dict[int, int]:
    """Optimal one-to-one pairs ``{new position: previous position}`` at least ``minimum``."""
    from scipy.optimize import linear_sum_assignment

    if not prev_ids or not new_ids:
        return {}
    if unsplit:  # the single group keeps 0; it continues previous 0 when similar enough
        if 0 in prev_ids and sim[prev_ids.index(0), 0] >= minimum:
            return {0: prev_ids.index(0)}
        return {}
    rows, cols = linear_sum_assignment(sim, maximize=True)
    return {int(b): int(a) for a, b in zip(rows, cols, strict=True) if sim[a, b] >= minimum}


def _best(sim: np.ndarray, column: int) -> float:
    return float(sim[:, column].max()) if sim.shape[0] else float("nan")


def _row(
    base: str,
    new_id: int | None,
    prev_id: int | None,
    stable: int | None,
    similarity: float,
    method: str,
    status: str,
) -> dict[str, Any]:
    return {
        schema.BASE_SEGMENT: base,
        "new_sub_segment": new_id,
        "previous_sub_segment": prev_id,
        "stable_sub_segment": stable,
        "similarity": similarity,
        "method": method,
        "status": status,
    }
