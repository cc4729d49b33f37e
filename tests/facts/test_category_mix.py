"""Category-mix facts: shares per top category, checked against a pandas computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg.exceptions import ConfigError, DataError
from metaseg.facts import compute_facts
from metaseg.facts.category_mix import column_name, mix_columns, parse_category_mix

from .conftest import AS_OF, random_events

BASIS = {
    "spend": ("purchase", lambda e: e["amount"]),
    "purchases": ("purchase", lambda e: pd.Series(1.0, index=e.index)),
    "views": ("view", lambda e: pd.Series(1.0, index=e.index)),
}


def _pandas_mix(
    events: pd.DataFrame, basis: str, top: int, uncategorised: str = "other"
) -> tuple[list[str], pd.DataFrame]:
    """Independent reference: top categories and each customer's shares."""
    kind, value = BASIS[basis]
    known = events[(events["timestamp"] <= AS_OF) & (events["event_type"] == kind)].copy()
    known["v"] = value(known).fillna(0.0)
    if uncategorised == "exclude":
        known = known.dropna(subset=["category"])
    totals = known.dropna(subset=["category"]).groupby("category")["v"].sum()
    totals = totals[totals > 0]
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    cats = [c for c, _ in ranked]
    per = known.groupby("customer_id")["v"].sum()
    shares = {}
    for c in cats:
        inside = known[known["category"] == c].groupby("customer_id")["v"].sum()
        shares[column_name(c)] = inside.reindex(per.index, fill_value=0.0) / per
    table = pd.DataFrame(shares)
    table["mix_other"] = 1.0 - table.sum(axis=1)
    table[per.reindex(table.index) == 0] = np.nan
    return cats, table


@pytest.mark.parametrize("uncategorised", ["other", "exclude"])
@pytest.mark.parametrize("basis", ["spend", "purchases", "views"])
@pytest.mark.parametrize("seed", [0, 1])
def test_shares_match_pandas(basis: str, seed: int, uncategorised: str) -> None:
    events = random_events(seed)
    assert events["category"].isna().mean() > 0.1  # uncategorised events to count or leave out
    mix = {"top": 3, "basis": basis, "uncategorised": uncategorised}
    facts = compute_facts(events, as_of=AS_OF, category_mix=mix)
    cats, want = _pandas_mix(events, basis, 3, uncategorised)
    record = facts.attrs["category_mix"]
    assert record["uncategorised"] == uncategorised
    assert record["categories"] == cats
    assert record["columns"] == [*map(column_name, cats), "mix_other"]
    got = facts.set_index("customer_id")[record["columns"]]
    want = want.reindex(got.index)  # customers without basis events: NaN
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), atol=1e-12, equal_nan=True)
    defined = got.dropna()
    np.testing.assert_allclose(defined.sum(axis=1), 1.0, atol=1e-12)
    # a customer without any basis event has NaN in every mix column, never 0
    missing = got.isna()
    assert (missing.all(axis=1) == missing.any(axis=1)).all()


def test_customer_without_basis_is_nan_and_listed_customers_too() -> None:
    events = random_events(2)
    customers = pd.DataFrame({"customer_id": [*events["customer_id"].unique(), 12345]})
    facts = compute_facts(
        events, customers, as_of=AS_OF, category_mix={"top": 2, "basis": "spend"}
    ).set_index("customer_id")
    columns = facts.attrs["category_mix"]["columns"]
    assert facts.loc[12345, columns].isna().all()  # no event at all
    assert facts.loc[900, columns].isna().all()  # only views: no spend
    assert facts.loc[900, "n_views"] > 0 and facts.loc[900, "gross_revenue"] == 0


def test_fixed_categories_give_the_same_columns_on_other_data() -> None:
    fit = compute_facts(random_events(0), as_of=AS_OF, category_mix={"top": 2})
    fixed = fit.attrs["category_mix"]
    other_events = random_events(5)
    relearned = compute_facts(other_events, as_of=AS_OF, category_mix={"top": 2})
    scored = compute_facts(
        other_events,
        as_of=AS_OF,
        category_mix={"top": 2, "categories": fixed["categories"]},
    )
    assert scored.attrs["category_mix"]["columns"] == fixed["columns"]
    # the same categories, whatever order they are listed in
    reordered = compute_facts(
        other_events,
        as_of=AS_OF,
        category_mix={"top": 2, "categories": fixed["categories"][::-1]},
    )
    for column in fixed["columns"]:
        pd.testing.assert_series_equal(scored[column], reordered[column])
    assert relearned.attrs["category_mix"]["categories"] != [] and set(
        scored.attrs["category_mix"]["columns"]
    ) == set(fixed["columns"])


def test_fixed_category_absent_from_data_gives_zero_shares() -> None:
    facts = compute_facts(
        random_events(0), as_of=AS_OF, category_mix={"categories": ["toys", "jewellery"]}
    )
    defined = facts["mix_other"].notna()
    assert (facts.loc[defined, "mix_jewellery"] == 0).all()
    assert facts.loc[defined, "mix_toys"].gt(0).any()


def test_bad_settings_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="basis"):
        parse_category_mix({"top": 3, "basis": "clicks"})
    with pytest.raises(ConfigError, match="top"):
        parse_category_mix({"top": 0})
    with pytest.raises(DataError, match="mix_home_garden"):
        mix_columns(["Home & Garden", "home garden"])
    with pytest.raises(DataError, match="mix_other"):
        mix_columns(["Other"])
    events = random_events(0, category=False)
    with pytest.raises(ConfigError, match="category column"):
        compute_facts(events, as_of=AS_OF, category_mix={"top": 3})
    no_categories = random_events(0)
    no_categories["category"] = None
    no_categories["category"] = no_categories["category"].astype("object")
    with pytest.raises(DataError, match="no spend event has a category"):
        compute_facts(no_categories, as_of=AS_OF, category_mix={"top": 3})


def test_quotes_in_category_values_are_data() -> None:
    events = random_events(0)
    events["category"] = events["category"].astype("object").replace({"toys": "kid's toys'; DROP"})
    facts = compute_facts(events, as_of=AS_OF, category_mix={"top": 4})
    assert "kid's toys'; DROP" in facts.attrs["category_mix"]["categories"]
    assert "mix_kid_s_toys_drop" in facts.columns


def test_excluding_uncategorised_events_changes_only_the_shares_they_were_in() -> None:
    events = random_events(4)
    counted = compute_facts(events, as_of=AS_OF, category_mix={"top": 2}).set_index("customer_id")
    mix = {"top": 2, "uncategorised": "exclude"}
    excluded = compute_facts(events, as_of=AS_OF, category_mix=mix).set_index("customer_id")
    columns = counted.attrs["category_mix"]["columns"]
    assert excluded.attrs["category_mix"]["columns"] == columns
    # only purchases without a category: 'other' counts them, 'exclude' has no composition
    uncategorised_only = pd.DataFrame(
        {
            "customer_id": [777, 777],
            "timestamp": pd.to_datetime(["2024-01-02", "2024-02-03"], utc=True),
            "event_type": ["purchase", "purchase"],
            "amount": [10.0, 5.0],
            "order_id": ["z1", "z2"],
            "category": pd.Categorical([None, None], categories=["toys"]),
        }
    )
    both = pd.concat(
        [events, uncategorised_only.astype(events.dtypes.to_dict())], ignore_index=True
    )
    counted = compute_facts(both, as_of=AS_OF, category_mix={"top": 2}).set_index("customer_id")
    excluded = compute_facts(both, as_of=AS_OF, category_mix=mix).set_index("customer_id")
    assert counted.loc[777, "mix_other"] == 1.0
    assert excluded.loc[777, columns].isna().all()
    # a customer whose basis all has categories gets the same shares either way
    per_customer = both[both["event_type"] == "purchase"].groupby("customer_id")["category"]
    fully = per_customer.apply(lambda c: c.notna().all())
    fully = [c for c in fully[fully].index if c in counted.index]
    assert fully
    pd.testing.assert_frame_equal(counted.loc[fully, columns], excluded.loc[fully, columns])
