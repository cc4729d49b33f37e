"""Whole-day durations: every duration fact counted like pandas' ``Timedelta.days``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg.config import load_config
from metaseg.exceptions import ConfigError
from metaseg.facts import compute_facts, describe_facts
from metaseg.facts.registry import DURATION_FACTS, duration_units

from .conftest import AS_OF, random_customers, random_events


def _days_in_pandas(
    events: pd.DataFrame, customers: pd.DataFrame, frequency: pd.Series
) -> pd.DataFrame:
    """Each duration fact as a ``Timedelta`` back from ``as_of``, from the events directly."""
    known = events[events["timestamp"] <= AS_OF]
    ids = sorted(set(known["customer_id"]) | set(customers["customer_id"]))
    out = pd.DataFrame(index=pd.Index(ids))

    def last_of(kind: str | None) -> pd.Series:
        rows = known if kind is None else known[known["event_type"] == kind]
        return rows.groupby("customer_id")["timestamp"].max().reindex(out.index)

    out["recency_days"] = AS_OF - last_of("purchase")
    out["days_since_last_event"] = AS_OF - last_of(None)
    out["days_since_last_cart"] = AS_OF - last_of("add_to_cart")
    out["days_since_last_view"] = AS_OF - last_of("view")
    signup = customers.set_index("customer_id")["signup_at"].reindex(out.index)
    first = known.groupby("customer_id")["timestamp"].min().reindex(out.index)
    out["tenure_days"] = (AS_OF - signup.fillna(first)).where(~(signup > AS_OF))
    buys = known[known["event_type"] == "purchase"].groupby("customer_id")["timestamp"]
    span = (buys.max() - buys.min()).reindex(out.index)
    orders = frequency.reindex(out.index)
    out["mean_days_between_orders"] = (span / (orders - 1)).where(orders >= 2)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_whole_days_equal_timedelta_days_for_every_duration_fact(seed):
    events = random_events(seed)
    customers = random_customers(events, seed)
    fractional = compute_facts(events, customers, as_of=AS_OF)
    whole = compute_facts(events, customers, as_of=AS_OF, durations="whole_days")
    assert whole.attrs["durations"] == dict.fromkeys(DURATION_FACTS, "whole_days")
    assert fractional.attrs["durations"] == dict.fromkeys(DURATION_FACTS, "fractional")
    deltas = _days_in_pandas(events, customers, fractional.set_index("customer_id")["frequency"])
    whole = whole.set_index("customer_id")
    fractional = fractional.set_index("customer_id")
    assert set(DURATION_FACTS) == set(deltas.columns)
    on_a_day_boundary = 0
    for name in DURATION_FACTS:
        expected = deltas[name].dt.days.astype("float64")
        got = whole[name].reindex(deltas.index)
        np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy(), err_msg=name)
        assert whole[name].dtype == "float64"
        # and it is the fractional value rounded down
        np.testing.assert_array_equal(whole[name], np.floor(fractional[name] + 1e-9), name)
        on_a_day_boundary += int((fractional[name] == whole[name]).sum())
    # the generated events put many timestamps exactly on whole days before as_of
    assert on_a_day_boundary > 50
    # the other facts do not change
    others = [c for c in whole.columns if c not in DURATION_FACTS]
    pd.testing.assert_frame_equal(whole[others], fractional[others])


#: Custom duration facts: a ``days_since`` aggregate and a difference of two timestamps.
CUSTOM_DURATIONS = {
    "days_since_view": {"aggregate": "days_since", "event_type": "view"},
    "last_view": {"aggregate": "last_time", "event_type": "view"},
    "view_span": {"difference": ["last_view", "first_seen"]},
}


@pytest.mark.parametrize("seed", [0, 1])
def test_custom_duration_facts_follow_the_durations_setting(seed):
    events = random_events(seed)
    known = events[events["timestamp"] <= AS_OF]
    views = known[known["event_type"] == "view"].groupby("customer_id")["timestamp"].max()
    first = known.groupby("customer_id")["timestamp"].min()
    want_since = (AS_OF - views).dt.days.astype("float64")
    want_span = (views - first.reindex(views.index)).dt.days.astype("float64")
    for durations in ("whole_days", {"days_since_view": "whole_days", "view_span": "whole_days"}):
        facts = compute_facts(events, as_of=AS_OF, custom=CUSTOM_DURATIONS, durations=durations)
        assert facts.attrs["durations"]["days_since_view"] == "whole_days"
        got = facts.set_index("customer_id")
        np.testing.assert_array_equal(got.loc[want_since.index, "days_since_view"], want_since)
        np.testing.assert_array_equal(got.loc[want_span.index, "view_span"], want_span)
    fractional = compute_facts(events, as_of=AS_OF, custom=CUSTOM_DURATIONS)
    assert fractional.attrs["durations"]["days_since_view"] == "fractional"
    assert (fractional["days_since_view"] % 1 > 0).any()
    # only duration facts take a convention
    with pytest.raises(ConfigError, match="durations.last_view: 'last_view' is not a duration"):
        compute_facts(
            events, as_of=AS_OF, custom=CUSTOM_DURATIONS, durations={"last_view": "whole_days"}
        )


def test_whole_days_round_down_one_microsecond_before_a_day():
    stamps = AS_OF - pd.to_timedelta(["0us", "1us", "86399999999us", "1D", "1D 1us", "3650D 1us"])
    events = pd.DataFrame(
        {
            "customer_id": range(len(stamps)),
            "timestamp": stamps,
            "event_type": "purchase",
            "amount": 1.0,
        }
    )
    facts = compute_facts(events, as_of=AS_OF, durations="whole_days")
    assert facts["recency_days"].tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 3650.0]
    assert facts["recency_days"].tolist() == [float((AS_OF - s).days) for s in stamps]


def test_durations_per_fact():
    events = random_events(3)
    per_fact = compute_facts(events, as_of=AS_OF, durations={"recency_days": "whole_days"})
    fractional = compute_facts(events, as_of=AS_OF)
    assert per_fact.attrs["durations"]["recency_days"] == "whole_days"
    assert per_fact.attrs["durations"]["tenure_days"] == "fractional"
    np.testing.assert_array_equal(per_fact["recency_days"], np.floor(fractional["recency_days"]))
    assert (per_fact["recency_days"] != fractional["recency_days"]).any()
    for name in set(DURATION_FACTS) - {"recency_days"}:
        np.testing.assert_array_equal(per_fact[name], fractional[name], name)


def test_describe_facts_states_the_convention():
    table = describe_facts((30,), durations={"recency_days": "whole_days"}).set_index("name")
    assert table.loc["recency_days", "description"].endswith(
        "Whole days, rounded down like pandas Timedelta.days."
    )
    assert table.loc["tenure_days", "description"].endswith("Fractional days (seconds / 86,400).")
    assert "days" not in table.loc["frequency", "description"].split(".")[-1]
    default = describe_facts((30,)).set_index("name")
    durations = default.loc[list(DURATION_FACTS), "description"]
    assert durations.str.endswith("Fractional days (seconds / 86,400).").all()


@pytest.mark.parametrize(
    ("durations", "message"),
    [
        ("whole", r"durations must be one of \['fractional', 'whole_days'\], got 'whole'"),
        (
            {"recency": "whole_days"},
            "durations.recency: 'recency' is not a duration fact. Did you mean 'recency_days'",
        ),
        ({"frequency": "whole_days"}, "'frequency' is not a duration fact"),
        ({"recency_days": "floor"}, "durations.recency_days must be one of"),
        (3, "durations must be 'fractional' or 'whole_days' or a mapping"),
    ],
)
def test_bad_durations_are_refused(durations, message):
    with pytest.raises(ConfigError, match=message):
        duration_units(durations)
    with pytest.raises(ConfigError, match=message):
        compute_facts(random_events(0), as_of=AS_OF, durations=durations)


def test_durations_in_the_facts_section_of_a_config():
    config = load_config("facts:\n  durations: whole_days\n")
    assert config.facts.durations == "whole_days"
    per_fact = load_config("facts:\n  durations: {recency_days: whole_days}\n")
    assert per_fact.facts.durations == {"recency_days": "whole_days"}
    assert load_config({}).facts.durations == "fractional"
    with pytest.raises(ConfigError, match="facts.durations.*recency.*not a duration fact"):
        load_config("facts:\n  durations: {recency: whole_days}\n")


def test_a_job_computes_the_facts_with_the_configured_durations():
    from metaseg.jobs import Inputs, build_facts

    events = random_events(4)
    config = load_config("facts:\n  windows: [30]\n  durations: {recency_days: whole_days}\n")
    facts = build_facts(Inputs(events, None), config, as_of=AS_OF)
    assert facts.attrs["durations"]["recency_days"] == "whole_days"
    expected = compute_facts(events, as_of=AS_OF, windows=(30,), durations="whole_days")
    np.testing.assert_array_equal(facts["recency_days"], expected["recency_days"])
    assert (facts["tenure_days"] % 1 != 0).any()  # the others stay fractional
