"""Why a customer is in its segment: the rule, the scores, the features, the runner-up.

:func:`explain_customers` reads a fitted segmentation (``rules_``, ``profiles_``,
``predict`` and ``predict_proba``) and returns one readable row per customer. It is what
:meth:`metaseg.model.MetaSegmenter.explain` returns.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import preview
from metaseg.exceptions import ConfigError, DataError

__all__ = ["EXPLAIN_COLUMNS", "explain_customers"]

#: The columns of :func:`explain_customers`, in order.
EXPLAIN_COLUMNS = (
    schema.CUSTOMER_ID,
    schema.SEGMENT,
    schema.SEGMENT_NAME,
    "rule",
    "rule_facts",
    "scores",
    "features",
    "probability",
    "runner_up",
    "runner_up_probability",
    "margin",
)


def explain_customers(
    model: Any, customer_ids: Any, facts: pd.DataFrame, *, as_of: Any = None, top_n: int = 3
) -> pd.DataFrame:
    """One row per customer explaining its base segment and sub-segment.

    Parameters
    ----------
    model : MetaSegmenter
        Fitted.
    customer_ids : id or list of ids
        Customers of ``facts`` to explain, in the order wanted.
    facts : DataFrame
        Facts holding those customers.
    as_of : date-like, optional
        Reference time of the rules; defaults to ``facts.attrs["as_of"]``.
    top_n : int, default=3
        Features listed per customer.

    Returns
    -------
    DataFrame
        Columns :data:`EXPLAIN_COLUMNS`: ``rule`` is the base segment's rule that matched
        (its description and condition; the catch-all when none did), ``rule_facts``
        the values of the facts that rule reads, ``scores`` the customer's rule scores
        (e.g. ``R=5, F=3, M=4``); ``features`` the ``top_n`` features that most set the
        customer's sub-segment apart from its base segment (largest ``|std_diff|`` in
        ``profiles_``), each with the customer's own value and standardised difference
        from the base segment (``(value - parent mean) / parent std``) and the
        sub-segment's; ``probability`` the customer's soft membership of its
        sub-segment, ``runner_up`` the most probable other sub-segment of its base
        segment, ``margin`` the difference of the two probabilities (NaN when there is
        no other sub-segment, or the customer is noise).

    Raises
    ------
    DataError
        A customer id is not in ``facts``.
    """
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
        raise ConfigError(f"explain: top_n must be an integer >= 1, got {top_n!r}.")
    many = isinstance(customer_ids, list | tuple | pd.Series | np.ndarray | pd.Index)
    ids = list(dict.fromkeys(customer_ids if many else [customer_ids]))
    if not ids:
        raise DataError("explain: customer_ids is empty; give at least one customer id.")
    index = pd.Index(facts[schema.CUSTOMER_ID])
    position = index.get_indexer(ids)
    if (position < 0).any():
        missing = [i for i, p in zip(ids, position, strict=True) if p < 0]
        raise DataError(
            f"explain: {len(missing)} customer id(s) are not in facts: {preview(missing)}. "
            f"facts hold {len(index):,} customers, e.g. {preview(index[:3].tolist())}."
        )
    part = facts.iloc[position]
    labels = model.predict(part, as_of=as_of)
    proba = model.predict_proba(part, as_of=as_of)
    by_customer = dict(list(proba.groupby(schema.CUSTOMER_ID, sort=False)))
    # a combined rule model explains each of its presets' rules; a plain one its own
    sources = [_RuleSource(rules, part, as_of) for rules in _rule_parts(model.rules_)]
    profiles = model.profiles_
    records = []
    for row in range(len(part)):
        label = labels.iloc[row]
        base = str(label[schema.BASE_SEGMENT])
        code = str(label[schema.SEGMENT])
        matched = [source.rule(row, part.iloc[row]) for source in sources]
        rule = " × ".join(text for text, _ in matched)
        rule_facts = ", ".join(values for _, values in matched if values)
        scores = ", ".join(filter(None, (source.scores(row) for source in sources)))
        features = _features(profiles, code, part.iloc[row], base, top_n)
        mine = by_customer[label[schema.CUSTOMER_ID]]
        record = {
            schema.CUSTOMER_ID: label[schema.CUSTOMER_ID],
            schema.SEGMENT: code,
            schema.SEGMENT_NAME: label[schema.SEGMENT_NAME],
            "rule": rule,
            "rule_facts": rule_facts,
            "scores": scores,
            "features": features,
            **_runner_up(mine, code),
        }
        records.append(record)
    return pd.DataFrame.from_records(records, columns=list(EXPLAIN_COLUMNS))


def _rule_parts(rules: Any) -> list[Any]:
    """The fitted rule segmenters behind ``model.rules_`` (each preset of a combination)."""
    return list(getattr(rules, "parts_", [rules]))


class _RuleSource:
    """One fitted rule segmenter's segments and scores for the customers explained."""

    def __init__(self, rules: Any, part: pd.DataFrame, as_of: Any) -> None:
        self.segments = rules.predict(part, as_of=as_of)
        self.scored = rules.transform(part, as_of=as_of)
        self.by_name = {segment.name: segment for segment in rules.spec_.segments}
        self.score_names = list(rules.spec_.scores)

    def rule(self, row: int, values: pd.Series) -> tuple[str, str]:
        segment = str(self.segments.iloc[row])
        return _rule(self.by_name.get(segment), values, segment)

    def scores(self, row: int) -> str:
        return ", ".join(f"{name}={int(self.scored[name].iloc[row])}" for name in self.score_names)


def _rule(segment: Any, row: pd.Series, base: str) -> tuple[str, str]:
    """The rule's text and the values of the facts it reads."""
    from metaseg.rules.conditions import facts_read

    if segment is None:
        return f"{base}: no rule matched (catch-all)", ""
    condition = json.dumps(
        segment.condition.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
        separators=(", ", ": "),
    )
    text = f"{base}: {segment.description.strip()} {condition}".replace("  ", " ")
    values = ", ".join(
        f"{fact}={_value(row[fact])}"
        for fact in dict.fromkeys(facts_read(segment.condition))
        if fact in row.index
    )
    return text, values


def _value(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "NaN" if np.isnan(value) else f"{value:.4g}"
    return str(value)


def _features(profiles: pd.DataFrame, code: str, row: pd.Series, base: str, top_n: int) -> str:
    """The sub-segment's strongest features with the customer's own standardised value."""
    rows = profiles[profiles[schema.SEGMENT].astype(str) == code]
    rows = rows[rows["std_diff"].abs() > 0]
    rows = rows.reindex(rows["std_diff"].abs().sort_values(ascending=False, kind="stable").index)
    parts = []
    for _, feature in rows.head(top_n).iterrows():
        name = str(feature["feature"])
        value = pd.to_numeric(pd.Series([row.get(name)]), errors="coerce").iloc[0]
        std = float(feature["parent_std"])
        z = (float(value) - float(feature["parent_mean"])) / std if std > 0 else float("nan")
        own = "NaN" if np.isnan(z) else f"{z:+.2f} sd"
        typical = float(feature["std_diff"])
        parts.append(f"{name}={_value(float(value))} ({own} vs {base}; {code} {typical:+.2f})")
    return "; ".join(parts)


def _runner_up(mine: pd.DataFrame, code: str) -> dict[str, Any]:
    """Probability of the assigned sub-segment, the runner-up and the margin."""
    mine = mine.sort_values("probability", ascending=False, kind="stable")
    assigned = mine.loc[mine[schema.SEGMENT] == code, "probability"]
    others = mine[mine[schema.SEGMENT] != code]
    p = float(assigned.iloc[0]) if len(assigned) else float("nan")
    if others.empty:
        return {
            "probability": p,
            "runner_up": None,
            "runner_up_probability": float("nan"),
            "margin": float("nan"),
        }
    q = float(others["probability"].iloc[0])
    return {
        "probability": p,
        "runner_up": str(others[schema.SEGMENT].iloc[0]),
        "runner_up_probability": q,
        "margin": p - q,
    }
