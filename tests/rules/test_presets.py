"""The preset rule files on hand-built facts, and on the real Online Retail data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg._yaml import load_yaml
from metaseg.exceptions import RuleError, RuleWarning
from metaseg.rules import PRESET_NAMES, RuleSegmenter, parse_rules, preset_path

RFM_SEGMENTS = [
    "champions",
    "loyal_customers",
    "potential_loyalists",
    "new_customers",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
]


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_preset_parses_and_describes_its_segments(name):
    spec = parse_rules(name)
    assert spec == parse_rules(preset_path(name))
    assert spec.name == name
    assert all(segment.description for segment in spec.segments)


def test_rfm_grid_is_covered_exactly_once():
    # Every R, F cell 1..5 x 1..5 matches exactly one of the ten segments.
    spec = parse_rules("rfm")
    assert spec.segment_names == tuple(RFM_SEGMENTS)
    r, f = np.meshgrid(np.arange(1, 6), np.arange(1, 6))
    facts = pd.DataFrame({"R": r.ravel(), "F": f.ravel()})
    hits = np.zeros(len(facts), dtype=int)
    for segment in spec.segments:
        for pattern in segment.condition.patterns:
            ok = np.ones(len(facts), dtype=bool)
            for allowed, col in zip(pattern.positions, ["R", "F"], strict=True):
                ok &= facts[col].isin(list(allowed)).to_numpy()
            hits += ok
    assert hits.tolist() == [1] * 25


def _rfm_facts() -> pd.DataFrame:
    # Fifteen buyers and one customer who never bought. With 15 ranked customers the
    # rank scale 1..15 is cut at 3.8, 6.6, 9.4 and 12.2, so each score holds 3 ranks.
    # Recency: customers 1-3 are the most recent (R=5), 4-6 R=4, 7-9 R=3, 10-12 R=2,
    # 13-15 R=1. Frequency: the three 1s hold ranks 1-3 (F=1), the 2s ranks 4-6 (F=2),
    # the 3s ranks 7-9 (F=3), 5/6/7 ranks 10-12 (F=4), 10/12/20 ranks 13-15 (F=5).
    rows = [
        # id, recency, frequency, expected R F -> segment
        ("c01", 1.0, 10, "champions"),  # 5 5
        ("c02", 2.0, 1, "new_customers"),  # 5 1
        ("c03", 3.0, 2, "potential_loyalists"),  # 5 2
        ("c04", 10.0, 1, "promising"),  # 4 1
        ("c05", 11.0, 3, "potential_loyalists"),  # 4 3
        ("c06", 12.0, 5, "loyal_customers"),  # 4 4
        ("c07", 30.0, 3, "need_attention"),  # 3 3
        ("c08", 31.0, 1, "about_to_sleep"),  # 3 1
        ("c09", 32.0, 12, "loyal_customers"),  # 3 5
        ("c10", 100.0, 6, "at_risk"),  # 2 4
        ("c11", 101.0, 20, "cant_lose"),  # 2 5
        ("c12", 102.0, 2, "hibernating"),  # 2 2
        ("c13", 300.0, 2, "hibernating"),  # 1 2
        ("c14", 301.0, 3, "at_risk"),  # 1 3
        ("c15", 302.0, 7, "at_risk"),  # 1 4
        ("c16", np.nan, 0, "other"),  # never bought
    ]
    facts = pd.DataFrame(rows, columns=["customer_id", "recency_days", "frequency", "expected"])
    facts["monetary"] = np.where(facts["frequency"] > 0, facts["frequency"] * 40.0 + 5, 0.0)
    return facts


def test_rfm_preset_on_a_hand_checked_table():
    facts = _rfm_facts()
    seg = RuleSegmenter(rules="rfm").fit(facts.drop(columns="expected"))
    got = seg.predict(facts)
    assert got.tolist() == facts["expected"].tolist()
    frame = seg.transform(facts)
    assert frame["RF"].tolist()[:4] == ["55", "51", "52", "41"]
    assert frame["RF"].iloc[-1] == "00"  # unscored: never bought
    # cut points are the largest fit value of each score (ascending scale)
    assert seg.cut_points_["R"].tolist() == [3.0, 12.0, 32.0, 102.0]
    assert seg.cut_points_["F"].tolist() == [1.0, 2.0, 3.0, 7.0]
    assert seg.coverage_.empty == ()
    assert seg.coverage_.table.loc["other", "size"] == 1


def test_rfm_scores_new_customers_with_the_learned_cut_points():
    facts = _rfm_facts().drop(columns="expected")
    seg = RuleSegmenter(rules="rfm").fit(facts)
    new = pd.DataFrame(
        {
            "recency_days": [2.5, 2.5, 500.0, 20.0],
            "frequency": [15, 1, 30, 4],
            "monetary": [100.0, 10.0, 900.0, 50.0],
        }
    )
    # 2.5 <= 3 -> R=5; 15 > 7 -> F=5; 500 > 102 -> R=1; 20 in (12, 32] -> R=3; 4 in (3, 7] -> F=4
    assert seg.predict(new).tolist() == [
        "champions",
        "new_customers",
        "cant_lose",
        "loyal_customers",
    ]


def _lifecycle_facts() -> pd.DataFrame:
    nan = np.nan
    rows = [
        # tenure, carts, days_since_cart, recency, days_since_view, expected
        (30.0, 0, nan, 400.0, nan, "new"),  # tenure boundary 30 is new
        (30.01, 1, 1.0, nan, nan, "hesitant"),  # cart 1 day ago: lower boundary
        (100.0, 2, 30.0, 5.0, 1.0, "hesitant"),  # cart 30 days ago: upper boundary, beats active
        (100.0, 1, 0.5, 5.0, nan, "active"),  # cart less than a day ago is not hesitant
        (100.0, 1, 30.5, 90.0, nan, "active"),  # cart too old; recency 90 is active
        (100.0, 0, 5.0, 90.5, 30.0, "interested"),  # no cart since purchase; view 30 days ago
        (100.0, 0, nan, 90.5, 30.5, "dormant"),  # just past active, view too old
        (400.0, 0, nan, 365.0, nan, "dormant"),  # 365 is still dormant
        (400.0, 0, nan, 365.5, nan, "churned"),
        (200.0, 0, nan, nan, nan, "other"),  # no purchase, no view
        (200.0, 0, nan, nan, 10.0, "interested"),  # never bought, but viewing
        (nan, 0, nan, 10.0, nan, "active"),  # unknown tenure is not new
    ]
    columns = [
        "tenure_days",
        "carts_since_last_purchase",
        "days_since_last_cart",
        "recency_days",
        "days_since_last_view",
        "expected",
    ]
    return pd.DataFrame(rows, columns=columns)


def test_lifecycle_preset_covers_each_branch_and_boundary():
    facts = _lifecycle_facts()
    seg = RuleSegmenter(rules="lifecycle").fit(facts.drop(columns="expected"))
    assert seg.segments_ == (
        "new",
        "hesitant",
        "active",
        "interested",
        "dormant",
        "churned",
        "other",
    )
    assert seg.predict(facts).tolist() == facts["expected"].tolist()


def test_lifecycle_thresholds_are_parameters():
    document = load_yaml(preset_path("lifecycle"))
    assert document["params"] == {
        "new_max_tenure_days": 30,
        "hesitant_min_carts": 1,
        "hesitant_cart_min_days": 1,
        "hesitant_cart_max_days": 30,
        "active_max_recency_days": 90,
        "interested_max_view_days": 30,
        "dormant_max_recency_days": 365,
    }
    document["params"]["active_max_recency_days"] = 4
    facts = _lifecycle_facts()
    with pytest.warns(RuleWarning, match="'active'"):
        seg = RuleSegmenter(rules=document).fit(facts.drop(columns="expected"))
    got = seg.predict(facts)
    # recency 5 is no longer active: the cart-less one becomes dormant (> 4 and <= 365)
    assert got.iloc[3] == "dormant"
    assert got.iloc[11] == "dormant"


def test_a_preset_with_one_parameter_changed():
    facts = _lifecycle_facts()
    overridden = {"preset": "lifecycle", "params": {"hesitant_cart_min_days": 0}}
    seg = RuleSegmenter(rules=overridden).fit(facts.drop(columns="expected"))
    got = seg.predict(facts)
    # a cart half a day ago is now hesitant (it was active with the preset's 1 day) ...
    assert facts["expected"].iloc[3] == "active" and got.iloc[3] == "hesitant"
    # ... and nothing else moved: every other threshold is the preset's
    others = np.arange(len(facts)) != 3
    assert got[others].tolist() == facts["expected"][others].tolist()
    assert seg.spec_.name == "lifecycle"
    assert seg.spec_.params == {**parse_rules("lifecycle").params, "hesitant_cart_min_days": 0}
    # the same document written as YAML
    text = "preset: lifecycle\nparams: {hesitant_cart_min_days: 0}\n"
    assert parse_rules(text) == seg.spec_
    # no params: the preset itself
    assert parse_rules({"preset": "lifecycle"}) == parse_rules("lifecycle")


def test_a_preset_override_from_a_yaml_config():
    from metaseg.config import load_config

    config = load_config(
        "segmentation:\n"
        "  rules:\n"
        "    preset: lifecycle\n"
        "    params: {hesitant_cart_min_days: 0, active_max_recency_days: 4}\n"
    )
    facts = _lifecycle_facts()
    with pytest.warns(RuleWarning):  # 'active' holds nobody at 4 days
        got = RuleSegmenter(rules=config.segmentation.rules).fit(facts).predict(facts)
    assert got.iloc[3] == "hesitant" and got.iloc[11] == "dormant"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"preset": "lifecycle", "params": {"hesitant_min_days": 0}},
            r"params\.hesitant_min_days: preset 'lifecycle' has no parameter "
            r"'hesitant_min_days'\. Did you mean 'hesitant_cart_min_days'.*Known parameters: "
            r"\['active_max_recency_days', .*'new_max_tenure_days'\]",
        ),
        ({"preset": "rfm", "params": {"bins": 4}}, "preset 'rfm' has no parameter 'bins'.*none"),
        ({"preset": "lifecycl"}, "preset 'lifecycl' does not exist. Did you mean 'lifecycle'"),
        ({"preset": ["lifecycle"]}, "preset list does not exist"),
        (
            {"preset": "lifecycle", "segments": []},
            "may only hold 'preset' and 'params', got \\['segments'\\].*copy the preset",
        ),
        ({"preset": "lifecycle", "params": [1]}, "params: expected a mapping"),
        (
            {"preset": "lifecycle", "params": {"hesitant_cart_min_days": {"a": 1}}},
            r"params\.hesitant_cart_min_days",
        ),
    ],
)
def test_preset_overrides_are_checked(document, message):
    with pytest.raises(RuleError, match=message):
        parse_rules(document)


def test_value_tiers_rank_paying_customers_only():
    facts = pd.DataFrame({"monetary": [0.0, -5.0, np.nan, 10, 20, 30, 40, 50, 60, 70, 80]})
    seg = RuleSegmenter(rules="value_tiers").fit(facts)
    # eight payers, rank scale 1..8 cut at 2.75, 4.5, 6.25: two customers per tier
    expected = (
        ["no_value"] * 3
        + ["low_value"] * 2
        + ["mid_value"] * 2
        + ["high_value"] * 2
        + ["top_value"] * 2
    )
    assert seg.predict(facts).tolist() == expected
    assert seg.transform(facts)["V_label"].iloc[3:].astype(str).tolist() == [
        "low", "low", "mid", "mid", "high", "high", "top", "top",
    ]  # fmt: skip


def test_demographic_preset_on_hand_built_attributes():
    facts = pd.DataFrame(
        {
            "gender": ["F", "female", "M", "Male", "x", None, "F", "m", "W"],
            "age": [19.0, 20.0, 39.9, 40.0, 30.0, 30.0, np.nan, 75.0, 25.0],
        }
    )
    with pytest.warns(RuleWarning, match="women_30s"):  # several bands are empty
        seg = RuleSegmenter(rules="demographic").fit(facts)
    assert seg.predict(facts).tolist() == [
        "women_under_20",
        "women_20s",
        "men_30s",
        "men_40s",
        "other",  # unknown gender spelling
        "other",  # no gender
        "other",  # no age
        "men_60_plus",
        "other",  # "W" is not in female_values
    ]


def test_demographic_preset_names_missing_attributes_and_their_segments():
    facts = pd.DataFrame(
        {"recency_days": [1.0], "frequency": [2], "monetary": [3.0], "Country": ["UK"]}
    )
    with pytest.raises(RuleError) as info:
        RuleSegmenter(rules="demographic").fit(facts)
    message = str(info.value)
    assert "rules 'demographic'" in message
    assert "'gender' (used by segments 'women_under_20', 'women_20s'" in message
    assert "'age' (used by segments" in message
    assert "'Country'" in message  # shows what is there


def _online_retail_facts(shared_data) -> pd.DataFrame:
    raw = pd.read_parquet(
        shared_data / "online_retail" / "online_retail.parquet",
        columns=["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"],
    )
    raw = raw[raw["CustomerID"].notna()]
    raw = raw.assign(amount=raw["Quantity"] * raw["UnitPrice"])
    as_of = raw["InvoiceDate"].max() + pd.Timedelta(days=1)
    buys = raw[~raw["InvoiceNo"].str.startswith("C")]
    per = raw.groupby("CustomerID").agg(monetary=("amount", "sum"), Country=("Country", "first"))
    bought = buys.groupby("CustomerID").agg(
        last=("InvoiceDate", "max"), frequency=("InvoiceNo", "nunique")
    )
    facts = per.join(bought, how="left")
    facts["frequency"] = facts["frequency"].fillna(0).astype("int64")
    facts["recency_days"] = (as_of - facts["last"]).dt.total_seconds() / 86400
    return facts.drop(columns="last").reset_index(names="customer_id")


def test_presets_on_online_retail(shared_data):
    facts = _online_retail_facts(shared_data)
    seg = RuleSegmenter(rules="rfm").fit(facts)
    labels = seg.predict(facts)
    sizes = labels.value_counts()
    assert len(labels) == len(facts) == 4372
    assert seg.coverage_.empty == ()
    assert all(sizes[name] > 0 for name in RFM_SEGMENTS)
    never_bought = facts["frequency"] == 0
    assert (labels[never_bought] == "other").all()
    assert sizes["other"] == never_bought.sum()
    # champions bought more recently than anyone hibernating
    frame = seg.transform(facts)
    assert frame.loc[labels == "champions", "R"].eq(5).all()
    assert (
        facts.loc[labels == "champions", "recency_days"].max()
        < facts.loc[labels == "hibernating", "recency_days"].min()
    )
    with pytest.raises(RuleError, match="'gender'.*'age'"):
        RuleSegmenter(rules="demographic").fit(facts)
