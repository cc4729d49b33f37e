"""transform, predict_proba and explain of a fitted segmentation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg import schema
from metaseg.exceptions import DataError
from metaseg.model import MetaSegmenter


@pytest.fixture(scope="module", params=["gmm", "kmeans", "hdbscan"])
def model(request, shop_facts):
    params = {"hdbscan": {"min_cluster_size": 0.05}}.get(request.param, {"k_max": 4})
    return MetaSegmenter(default={"algorithm": request.param, "params": params}, n_bootstrap=0).fit(
        shop_facts
    )


def test_predict_proba_is_tidy_sums_to_one_and_agrees_with_predict(model, shop_facts):
    proba = model.predict_proba(shop_facts)
    assert list(proba.columns) == [
        schema.CUSTOMER_ID,
        schema.BASE_SEGMENT,
        schema.SUB_SEGMENT,
        schema.SEGMENT,
        "probability",
    ]
    totals = proba.groupby(schema.CUSTOMER_ID, sort=False)["probability"].sum()
    assert np.allclose(totals, 1.0)
    assert totals.index.tolist() == shop_facts[schema.CUSTOMER_ID].tolist()
    # every candidate sub-segment is one of the customer's base segment
    labels = model.labels_.set_index(schema.CUSTOMER_ID)
    assert (
        proba[schema.BASE_SEGMENT].to_numpy()
        == labels.loc[proba[schema.CUSTOMER_ID], schema.BASE_SEGMENT].to_numpy()
    ).all()
    best = proba.loc[proba.groupby(schema.CUSTOMER_ID, sort=False)["probability"].idxmax()]
    agree = np.mean(
        best[schema.SEGMENT].to_numpy()
        == labels.loc[best[schema.CUSTOMER_ID], schema.SEGMENT].to_numpy()
    )
    algorithm = model.spec_.default.algorithm
    # mixtures and k-means: the most probable is the label; HDBSCAN's membership vector
    # and its approximate prediction mostly agree
    assert agree == 1.0 if algorithm != "hdbscan" else agree > 0.8


def test_transform_gives_distances_to_every_centre_of_the_base_segment(model, shop_facts):
    distances = model.transform(shop_facts)
    assert (distances["distance"].dropna() >= 0).all()
    n_subs = (
        model.summary_[model.summary_[schema.SUB_SEGMENT] >= 0].groupby(schema.BASE_SEGMENT).size()
    )
    per_customer = distances.groupby(schema.CUSTOMER_ID, sort=False)[schema.BASE_SEGMENT].agg(
        ["first", "size"]
    )
    assert (per_customer["size"].to_numpy() == n_subs.loc[per_customer["first"]].to_numpy()).all()
    if model.spec_.default.algorithm == "kmeans":
        nearest = distances.loc[
            distances.groupby(schema.CUSTOMER_ID, sort=False)["distance"].idxmin()
        ]
        agree = np.mean(
            nearest[schema.SEGMENT].to_numpy() == model.labels_[schema.SEGMENT].to_numpy()
        )
        assert agree > 0.97  # centres are the members' means, close to the k-means centres


def test_explain_reads_rule_features_and_runner_up(model, shop_facts):
    ids = shop_facts[schema.CUSTOMER_ID].iloc[[0, 5, 7]].tolist()
    table = model.explain(ids, shop_facts)
    assert table[schema.CUSTOMER_ID].tolist() == ids
    labels = model.labels_.set_index(schema.CUSTOMER_ID).loc[ids]
    assert table[schema.SEGMENT].tolist() == labels[schema.SEGMENT].tolist()
    for _, row in table.iterrows():
        base = row[schema.SEGMENT].rsplit("/", 1)[0]
        assert row["rule"].startswith(f"{base}:")
        if row["runner_up"] is not None:
            assert row["runner_up"].rsplit("/", 1)[0] == base
            assert row["margin"] == pytest.approx(row["probability"] - row["runner_up_probability"])
    split = table[table["features"] != ""]
    for _, row in split.iterrows():
        feature = row["features"].split("=")[0]
        value = shop_facts.set_index(schema.CUSTOMER_ID).loc[row[schema.CUSTOMER_ID], feature]
        assert f"{feature}={float(value):.4g}" in row["features"]


def test_explain_shows_rfm_scores_and_refuses_unknown_customers(shop_facts):
    model = MetaSegmenter(rules="rfm", n_bootstrap=0).fit(shop_facts)
    customer = shop_facts[schema.CUSTOMER_ID].iloc[3]
    row = model.explain(customer, shop_facts).iloc[0]
    scores = model.rules_.transform(shop_facts.iloc[[3]])
    assert row["scores"] == ", ".join(f"{n}={int(scores[n].iloc[0])}" for n in ("R", "F", "M"))
    with pytest.raises(DataError, match="not in facts: \\[-5\\]"):
        model.explain([customer, -5], shop_facts)


def test_explain_customer_value_is_its_standardised_difference(shop_facts):
    model = MetaSegmenter(
        default={"algorithm": "kmeans", "params": {"n_clusters": 3}}, n_bootstrap=0
    ).fit(shop_facts)
    customer = shop_facts[schema.CUSTOMER_ID].iloc[11]
    row = model.explain([customer], shop_facts, top_n=1).iloc[0]
    feature = row["features"].split("=")[0]
    profile = model.profiles_
    line = profile[
        (profile[schema.SEGMENT] == row[schema.SEGMENT]) & (profile["feature"] == feature)
    ].iloc[0]
    value = float(shop_facts.set_index(schema.CUSTOMER_ID).loc[customer, feature])
    z = (value - line["parent_mean"]) / line["parent_std"]
    assert f"({z:+.2f} sd vs" in row["features"]
    assert isinstance(pd.DataFrame(model.explain([customer], shop_facts)), pd.DataFrame)
