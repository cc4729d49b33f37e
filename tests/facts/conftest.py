"""Generated standard events with the edge cases the facts must get right."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

AS_OF = pd.Timestamp("2024-06-30 12:00", tz="UTC")
WINDOWS = (7, 30, 90, 365)
DAY = 86_400
EVENT_TYPES = np.array(["purchase", "view", "add_to_cart", "refund", "wishlist"])


def random_events(
    seed: int,
    *,
    n_events: int = 600,
    n_customers: int = 40,
    order_id: bool = True,
    category: bool = True,
    id_kind: str = "int",
    type_dtype: str = "str",
) -> pd.DataFrame:
    """Random standard events around ``AS_OF``, plus hand-placed edge cases.

    Times are whole hours so that ties are common, about 5 % of the events fall exactly
    on ``AS_OF`` or on a window boundary, and about 3 % come after ``AS_OF``. Special
    customers: 900 only views, 901 only refunds, 902 refunds larger than purchases,
    903 only events after ``AS_OF``, 904 a cart at the same time as its last purchase
    and one after it, 905 an unknown event type only.
    """
    rng = np.random.default_rng(seed)
    customer = rng.integers(0, n_customers, n_events)
    seconds_before = rng.integers(0, 500, n_events) * DAY + rng.integers(0, 3, n_events) * 3600
    boundary = rng.random(n_events) < 0.05
    seconds_before[boundary] = rng.choice([0, *(w * DAY for w in WINDOWS)], boundary.sum())
    after = rng.random(n_events) < 0.03
    seconds_before[after] = -rng.integers(1, 10 * DAY, after.sum())
    kind = rng.choice(EVENT_TYPES, n_events, p=[0.3, 0.3, 0.2, 0.1, 0.1])
    amount = np.where(np.isin(kind, ["purchase", "refund"]), rng.gamma(2.0, 20.0, n_events), np.nan)
    amount[rng.random(n_events) < 0.03] = np.nan
    orders = np.array([f"o{k}" for k in rng.integers(0, 60, n_events)], dtype=object)
    orders[(kind != "purchase") | (rng.random(n_events) < 0.1)] = None
    categories = rng.choice(
        np.array(["toys", "books", "garden", "food", None], dtype=object), n_events
    )

    special = [
        (900, 3, "view", np.nan, None, "toys", 5 * DAY),
        (900, 3, "view", np.nan, None, None, 0),
        (901, 1, "refund", 12.5, None, None, 40 * DAY),
        (902, 1, "purchase", 10.0, "p1", "food", 100 * DAY),
        (902, 1, "refund", 25.0, "p1", None, 30 * DAY),
        (903, 1, "purchase", 99.0, "q1", "toys", -2 * DAY),
        (903, 1, "view", np.nan, None, "toys", -3600),
        (904, 1, "purchase", 30.0, "r1", "books", 10 * DAY),
        (904, 1, "add_to_cart", np.nan, None, "books", 10 * DAY),
        (904, 1, "add_to_cart", np.nan, None, "books", 9 * DAY),
        (905, 1, "wishlist", np.nan, None, None, 2 * DAY),
    ]
    extra = pd.DataFrame(
        [row for cid, times, *rest, before in special for row in [(cid, *rest, before)] * times],
        columns=["customer_id", "event_type", "amount", "order_id", "category", "before"],
    )
    frame = pd.DataFrame(
        {
            "customer_id": np.concatenate([customer, extra["customer_id"]]),
            "before": np.concatenate([seconds_before, extra["before"]]),
            "event_type": np.concatenate([kind, extra["event_type"]]),
            "amount": np.concatenate([amount, extra["amount"]]),
            "order_id": np.concatenate([orders, extra["order_id"].to_numpy(dtype=object)]),
            "category": np.concatenate([categories, extra["category"].to_numpy(dtype=object)]),
        }
    )
    frame["timestamp"] = AS_OF - pd.to_timedelta(frame.pop("before"), unit="s")
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    if id_kind == "str":
        frame["customer_id"] = ("c" + frame["customer_id"].astype(str)).astype("str")
    frame["event_type"] = frame["event_type"].astype(type_dtype)
    frame["order_id"] = frame["order_id"].astype("str")
    frame["category"] = frame["category"].astype("category")
    columns = ["customer_id", "timestamp", "event_type", "amount"]
    columns += ["order_id"] * order_id + ["category"] * category
    return frame[columns]


def random_customers(events: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Customers: most ids of ``events`` plus three without events, with attributes.

    ``signup_at`` is missing for some and after ``AS_OF`` for some.
    """
    rng = np.random.default_rng(seed)
    ids = pd.Series(events["customer_id"].unique())
    kept = ids[rng.random(len(ids)) < 0.8]
    if pd.api.types.is_integer_dtype(ids):
        new = pd.Series([5000, 5001, 5002], dtype=ids.dtype)
    else:
        new = pd.Series(["n5000", "n5001", "n5002"], dtype=ids.dtype)
    all_ids = pd.concat([kept, new], ignore_index=True)
    days = rng.integers(-30, 900, len(all_ids))
    signup = AS_OF - pd.to_timedelta(days, unit="D")
    signup = signup.where(rng.random(len(all_ids)) > 0.2)
    return pd.DataFrame(
        {
            "customer_id": all_ids,
            "signup_at": signup,
            "age": rng.integers(18, 80, len(all_ids)),
            "region": pd.Series(rng.choice(["north", "south"], len(all_ids)), dtype="str"),
        }
    )


@pytest.fixture
def make_events() -> Callable[..., pd.DataFrame]:
    """The :func:`random_events` generator."""
    return random_events


@pytest.fixture
def make_customers() -> Callable[..., pd.DataFrame]:
    """The :func:`random_customers` generator."""
    return random_customers
