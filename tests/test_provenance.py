"""Provenance is stamped on labels by whoever knows it, never stored on the estimator."""

from __future__ import annotations

import pandas as pd

from metaseg import schema
from metaseg.provenance import Provenance, stamp_provenance


def test_a_fitted_model_labels_without_provenance_and_scoring_sets_the_time(shop_model, shop_facts):
    fitted, facts = shop_model, shop_facts
    assert fitted.labels_[[schema.MODEL_NAME, schema.RUN_ID]].isna().all().all()
    assert fitted.labels_[schema.SCORED_AT].isna().all()  # the fit scores nobody
    before = pd.Timestamp.now(tz="UTC")
    scored = fitted.predict(facts.head(50))
    assert scored[schema.MODEL_NAME].isna().all()
    assert (scored[schema.SCORED_AT] >= before).all()
    assert list(scored.columns) == list(schema.LABEL_COLUMNS)


def test_stamping_fills_the_columns_and_keeps_their_order(shop_model, shop_facts):
    fitted, facts = shop_model, shop_facts
    labels = fitted.predict(facts.head(10))
    when = pd.Timestamp("2026-01-31 08:00", tz="Europe/Paris")
    stamped = stamp_provenance(labels, Provenance("shop", 3, "abc"), scored_at=when)
    assert list(stamped.columns) == list(labels.columns)
    assert set(stamped[schema.MODEL_VERSION]) == {"3"}
    assert set(stamped[schema.RUN_ID]) == {"abc"}
    assert (stamped[schema.SCORED_AT] == pd.Timestamp("2026-01-31 07:00", tz="UTC")).all()
    # the input is left as it was
    assert labels[schema.MODEL_NAME].isna().all()
