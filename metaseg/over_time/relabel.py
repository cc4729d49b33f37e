"""Give a new model the stable ids of an :class:`~metaseg.over_time.IdentityMatch`.

The model is copied and only attributes it already has are rewritten, the way
:class:`~metaseg.model.MetaSegmenter` itself uses them: each split base segment's
``relabel`` (clusterer label -> sub-segment number, applied by ``predict``), then
``labels_``, ``summary_`` and ``profiles_`` (sub-segment numbers, codes and names) and
``spec_.names`` (the user names, now keyed by stable codes, so the next match carries
them on). The copy also remembers the highest id used per base segment
(``identity_max_ids_``) and the match itself (``identity_``).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg.exceptions import ConfigError
from metaseg.over_time.identity import MAX_IDS_ATTRIBUTE, IdentityMatch, fingerprint


def apply_identities(new_model: Any, match: IdentityMatch) -> Any:
    """Return a copy of ``new_model`` whose sub-segments carry the stable ids of ``match``.

    Parameters
    ----------
    new_model : MetaSegmenter
        The model passed as ``new_model`` to :func:`match_identities`.
    match : IdentityMatch

    Returns
    -------
    MetaSegmenter
        A relabelled copy: ``labels_``, ``summary_``, ``profiles_`` and ``predict`` use
        the stable ids; matched groups carry the previous user names. Rows of
        ``summary_`` and ``profiles_`` are sorted by base segment, then id (noise last).
        Sub-segments are then no longer numbered largest first.

    Raises
    ------
    ConfigError
        If ``match`` was computed for another model (or already applied).

    Examples
    --------
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> from metaseg.model import MetaSegmenter
    >>> from metaseg.over_time import match_identities
    >>> customers, events, _ = make_shop(n_customers=1_500, seed=1)
    >>> facts = compute_facts(events, customers)
    >>> old = MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts)
    >>> new = MetaSegmenter(n_bootstrap=0, random_state=1).fit(facts)
    >>> stable = apply_identities(new, match_identities(old, new))
    >>> bool((stable.predict(facts)["segment"] == stable.labels_["segment"]).all())
    True
    """
    if not isinstance(match, IdentityMatch):
        raise ConfigError(
            f"match must be the IdentityMatch returned by match_identities, got "
            f"{type(match).__name__}."
        )
    if fingerprint(new_model) != match.fingerprint:
        raise ConfigError(
            "match was computed for another model (its sub-segments and sizes differ from "
            "new_model's), or it was already applied. Call match_identities(previous_model, "
            "new_model) on this model and apply the result once."
        )
    model = copy.deepcopy(new_model)
    codes = _code_map(match.relabel)
    for base, mapping in match.relabel.items():
        seg = model.segments_.get(base)
        if seg is not None and seg.split:
            seg.relabel = {raw: mapping.get(canon, canon) for raw, canon in seg.relabel.items()}
    names = _names(model, match, codes)
    model.summary_ = _relabel_table(model.summary_, match.relabel, codes, names)
    model.profiles_ = _relabel_table(model.profiles_, match.relabel, codes, names)
    model.labels_ = _relabel_labels(model.labels_, match.relabel, codes, model.summary_)
    model.spec_ = model.spec_.model_copy(update={"names": names})
    setattr(model, MAX_IDS_ATTRIBUTE, dict(match.max_ids))
    model.identity_ = match
    return model


def _code_map(relabel: dict[str, dict[int, int]]) -> dict[str, str]:
    return {
        schema.segment_code(base, old): schema.segment_code(base, new)
        for base, mapping in relabel.items()
        for old, new in mapping.items()
    }


def _names(model: Any, match: IdentityMatch, codes: dict[str, str]) -> dict[str, str]:
    """Carried-over names, overridden by names the user gave the new fit itself."""
    own = {codes.get(code, code): name for code, name in (model.spec_.names or {}).items()}
    return {**match.names, **own}


def _new_subs(frame: pd.DataFrame, relabel: dict[str, dict[int, int]]) -> np.ndarray:
    base = frame[schema.BASE_SEGMENT].astype(str).to_numpy()
    sub = frame[schema.SUB_SEGMENT].to_numpy(dtype=np.int64)
    out = sub.copy()
    for name, mapping in relabel.items():
        in_base = base == name
        for old, new in mapping.items():
            out[in_base & (sub == old)] = new
    return out


def _relabel_table(
    frame: pd.DataFrame,
    relabel: dict[str, dict[int, int]],
    codes: dict[str, str],
    names: dict[str, str],
) -> pd.DataFrame:
    out = frame.copy()
    out[schema.SUB_SEGMENT] = _new_subs(frame, relabel)
    out[schema.SEGMENT] = out[schema.SEGMENT].map(lambda c: codes.get(c, c)).astype("str")
    if schema.SEGMENT_NAME in out.columns and names:
        given = out[schema.SEGMENT].map(names)
        out[schema.SEGMENT_NAME] = given.fillna(out[schema.SEGMENT_NAME]).astype("str")
    noise_last = (out[schema.SUB_SEGMENT] == schema.NOISE).astype(int).rename("_noise")
    order = pd.concat([out[schema.BASE_SEGMENT], noise_last, out[schema.SUB_SEGMENT]], axis=1)
    order = order.sort_values(list(order.columns), kind="stable").index
    return out.loc[order].reset_index(drop=True)


def _relabel_labels(
    labels: pd.DataFrame,
    relabel: dict[str, dict[int, int]],
    codes: dict[str, str],
    summary: pd.DataFrame,
) -> pd.DataFrame:
    out = labels.copy()
    out[schema.SUB_SEGMENT] = _new_subs(labels, relabel)
    out[schema.SEGMENT] = out[schema.SEGMENT].map(lambda c: codes.get(c, c)).astype("str")
    names = summary.set_index(schema.SEGMENT)[schema.SEGMENT_NAME]
    out[schema.SEGMENT_NAME] = out[schema.SEGMENT].map(names).fillna(out[schema.BASE_SEGMENT])
    return out
