"""Property tests: any generated rule tree gives a boolean mask of the right length or a RuleError."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metaseg.exceptions import DataError, RuleError, RuleWarning
from metaseg.rules import RuleSegmenter, condition_mask
from metaseg.rules.conditions import FACT_OPS

FACTS = pd.DataFrame(
    {
        "recency_days": [1.0, np.nan, 30.0, 400.0, 90.0, 0.0],
        "frequency": pd.array([1, 2, None, 0, 7, 3], dtype="Int64"),
        "monetary": [10.0, 0.0, 5.5, np.nan, 1e6, -3.0],
        "region": ["north", None, "south", "north", "east", "west"],
        "tier": pd.Categorical(["a", "b", None, "a", "c", "b"]),
        "is_vip": pd.array([True, None, False, False, True, True], dtype="boolean"),
        "signup_at": pd.to_datetime(
            ["2024-01-01", None, "2023-06-30", "2020-02-29", "2024-06-29", "2024-07-01"], utc=True
        ),
        "age": pd.Series([25, None, 41, 33, None, 19], dtype=object),
        "nothing": pd.Series([None] * 6, dtype=object),
    }
)
AS_OF = pd.Timestamp("2024-06-30", tz="UTC")

fact_names = st.one_of(
    st.sampled_from([*FACTS.columns, "unknown_fact", "__class__", "1abc", "", "a.b"]),
    st.text(max_size=12),
)
ops = st.one_of(st.sampled_from([*FACT_OPS, "=>", "like", "", "IN"]), st.none(), st.integers())
scalars = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.booleans(),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC])),
    st.none(),
    st.sampled_from(["north", "a", "2024-01-01", "now"]),
)
values = st.one_of(scalars, st.lists(scalars, max_size=4))


plausible = st.one_of(
    st.integers(-5, 500),
    st.floats(-10.0, 1e4, allow_nan=False),
    st.sampled_from(["north", "south", "a", "b", "2024-01-01"]),
    st.booleans(),
    st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2025, 1, 1)),
)
KIND_VALUES = {
    "number": st.one_of(st.integers(-5, 500), st.floats(-10.0, 1e4, allow_nan=False)),
    "text": st.sampled_from(["north", "south", "east", "a", "b", "zzz"]),
    "bool": st.booleans(),
    "datetime": st.one_of(
        st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2025, 1, 1)),
        st.sampled_from(["2024-01-01", "2023-06-30T12:00:00"]),
    ),
    "empty": plausible,
}
FACT_KINDS = {
    "recency_days": "number",
    "frequency": "number",
    "monetary": "number",
    "age": "number",
    "region": "text",
    "tier": "text",
    "is_vip": "bool",
    "signup_at": "datetime",
    "nothing": "empty",
}
KIND_OPS = {
    "number": FACT_OPS[:9] + ("is_null", "not_null"),
    "text": ("==", "!=", "in", "not_in", "is_null", "not_null"),
    "bool": ("==", "!=", "is_null", "not_null"),
    "datetime": (
        "<",
        "<=",
        ">",
        ">=",
        "==",
        "between",
        "within_days",
        "older_than_days",
        "is_null",
    ),
    "empty": FACT_OPS,
}


@st.composite
def well_formed_leaves(draw):
    """Mostly meaningful conditions; now and then a mismatch, which must be a RuleError."""
    fact = draw(st.sampled_from(sorted(FACT_KINDS)))
    kind = FACT_KINDS[fact]
    sloppy = draw(st.integers(0, 9)) == 0
    op = draw(st.sampled_from(FACT_OPS if sloppy else KIND_OPS[kind]))
    value = plausible if sloppy else KIND_VALUES[kind]
    if op in ("is_null", "not_null"):
        return {"fact": fact, "op": op}
    if op in ("within_days", "older_than_days"):
        return {"fact": fact, "op": op, "value": draw(st.floats(0, 2000))}
    if op == "between":
        low, high = (
            sorted([draw(value), draw(value)], key=str)
            if sloppy
            else sorted([draw(st.integers(-5, 500)), draw(st.integers(-5, 500))])
        )
        if kind == "datetime" and not sloppy:
            low, high = sorted([draw(st.dates()), draw(st.dates())])
        return {"fact": fact, "op": op, "value": [low, high]}
    if op in ("in", "not_in"):
        return {"fact": fact, "op": op, "value": draw(st.lists(value, min_size=1, max_size=3))}
    return {"fact": fact, "op": op, "value": draw(value)}


@st.composite
def odd_leaves(draw):
    """Anything shaped roughly like a leaf: missing keys, odd names, odd values."""
    node = {}
    if draw(st.booleans()) or draw(st.booleans()):
        node["fact"] = draw(fact_names)
    if draw(st.integers(0, 9)) > 0:
        node["op"] = draw(ops)
    if draw(st.booleans()):
        node["value"] = draw(values)
    if draw(st.integers(0, 19)) == 0:
        node[draw(st.text(max_size=5))] = draw(scalars)
    return node


garbage = st.one_of(
    odd_leaves(), scalars, st.dictionaries(st.text(max_size=4), scalars, max_size=2)
)
# One leaf in twenty is malformed, so trees of a few leaves are mostly valid.
leaves = st.integers(0, 19).flatmap(lambda k: garbage if k == 0 else well_formed_leaves())

trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(lambda items: {"all": items}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda items: {"any": items}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda item: {"not": item}, children),
    ),
    max_leaves=8,
)


def test_any_tree_gives_a_mask_or_a_rule_error():
    outcomes: list[str] = []

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=True,  # the outcome counts below must not depend on the run
    )
    @given(tree=trees, n=st.integers(0, len(FACTS)), with_as_of=st.booleans())
    def check(tree, n, with_as_of):
        facts = FACTS.iloc[:n]
        try:
            mask = condition_mask(tree, facts, as_of=AS_OF if with_as_of else None)
        except RuleError as exc:
            assert str(exc)
            outcomes.append("error")
            return
        assert isinstance(mask, np.ndarray)
        assert mask.dtype == bool
        assert mask.shape == (n,)
        outcomes.append("mask")

    check()
    # the generator is not vacuous: it reaches both outcomes often
    assert outcomes.count("mask") > 50
    assert outcomes.count("error") > 50


segment_names = st.one_of(st.sampled_from(["s0", "other", "bad name", "R"]), st.text(max_size=6))


@st.composite
def documents(draw):
    doc = {
        "segments": [
            {
                "name": draw(segment_names) if draw(st.integers(0, 9)) == 0 else f"s{i}",
                "condition": draw(trees),
            }
            for i in range(draw(st.integers(0, 3)))
        ]
    }
    if draw(st.booleans()):
        doc["mode"] = draw(st.sampled_from(["priority", "tags", "overlap"]))
    if draw(st.booleans()):
        doc["scores"] = {
            "R": {
                "fact": draw(
                    st.one_of(*[st.sampled_from(["recency_days", "monetary"])] * 4, fact_names)
                ),
                "bins": draw(st.integers(2, 9) | st.integers(1, 10)),
                "direction": draw(st.sampled_from(["ascending", "descending"])),
                "ties": draw(st.sampled_from(["average", "min", "max", "dense", "first"])),
            }
        }
        doc["segments"].append(
            {
                "name": "scored",
                "condition": {
                    "code": "R",
                    "matches": draw(st.sampled_from(["1", "[1-2]", "5", "[3-5]", "[24]"]))
                    if draw(st.integers(0, 4))
                    else draw(st.text("12345[]-", max_size=4)),
                },
            }
        )
    return doc


def test_any_document_segments_every_customer_or_fails_clearly():
    outcomes: list[str] = []

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=True,  # the outcome counts below must not depend on the run
    )
    @given(doc=documents(), n=st.integers(0, len(FACTS)))
    def check(doc, n):
        facts = FACTS.iloc[:n]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuleWarning)
            try:
                seg = RuleSegmenter(rules=doc).fit(facts, as_of=AS_OF)
                labels = seg.predict(facts, as_of=AS_OF)
            except (RuleError, DataError) as exc:
                assert str(exc)
                outcomes.append("error")
                return
        assert len(labels) == n
        assert labels.index.equals(facts.index)
        if isinstance(labels, pd.Series):
            assert set(labels.astype(str)) <= set(seg.segments_)
            assert seg.coverage_.table["size"].sum() == n
        else:
            assert list(labels.columns) == list(seg.segments_)
            assert labels.dtypes.eq(bool).all()
        outcomes.append("segmented")

    check()
    assert outcomes.count("segmented") > 10
    assert outcomes.count("error") > 10
