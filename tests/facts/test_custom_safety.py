"""Custom facts are data: the injection corpus in every position a definition has.

Names, columns and windows carrying a payload are refused with a ConfigError before
any SQL exists; text values carrying one are bound parameters, compared as plain text.
Sentinels (see tests/rules/test_safety.py) prove that nothing ran.
"""

from __future__ import annotations

import builtins
import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from metaseg.exceptions import ConfigError, DataQualityWarning
from metaseg.facts import compute_facts

from .conftest import AS_OF


def _rules_safety_module():
    """The rules' injection corpus (tests/rules/test_safety.py), loaded by path."""
    path = Path(__file__).resolve().parents[1] / "rules" / "test_safety.py"
    name = "metaseg_rules_safety_corpus"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


test_safety = _rules_safety_module()

#: SQL payloads on top of the rules' corpus.
SQL_PAYLOADS = [
    "x'; DROP TABLE events; --",
    'x"; DROP TABLE events; --',
    "x` FROM events; --",
    "1 OR 1=1",
    "' OR '1'='1",
    "x') UNION SELECT customer_id FROM events --",
    "$as_of_us",
    ":as_of_us",
    "$custom_0",
    "ev.u0",
    "category /* comment */",
    "category -- comment",
    "x\nUNION SELECT 1",
    "toys\n",
    "x\x00y",
    "COPY events TO '/tmp/pwned.csv'",
    "read_csv('/etc/passwd')",
]


def _corpus(sentinel: Path) -> list[str]:
    return [*test_safety._payloads(sentinel), *SQL_PAYLOADS]


def _events() -> pd.DataFrame:
    t = AS_OF - pd.Timedelta(days=1)
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "timestamp": [t, t, t],
            "event_type": ["purchase", "view", "purchase"],
            "amount": [10.0, float("nan"), 5.0],
            "category": ["toys", "toys", "books"],
        }
    )


def _positions(payload) -> dict[str, dict]:
    where = {"column": "category", "op": "==", "value": "toys"}
    keys = (
        {  # YAML keys are text
            "fact name": {payload: {"aggregate": "count"}},
            "condition key": {"f": {"aggregate": "count", "where": {payload: "category"}}},
        }
        if isinstance(payload, str)
        else {}
    )
    return {
        **keys,
        "where column": {"f": {"aggregate": "count", "where": {**where, "column": payload}}},
        "of column": {"f": {"aggregate": "sum", "of": payload}},
        "window": {"f": {"aggregate": "count", "window_days": payload}},
        "aggregate": {"f": {"aggregate": payload}},
        "op": {"f": {"aggregate": "count", "where": {**where, "op": payload}}},
        "ratio operand": {"f": {"ratio": [payload, "n_views"]}},
        "difference operand": {"f": {"difference": ["n_views", payload]}},
        "kind": {"f": {"aggregate": "sum", "of": "amount", "kind": payload}},
    }


BENIGN = {
    "fact name": "toys",
    "where column": "category",
    "of column": "amount",
    "window": 30,
    "aggregate": "count",
    "op": "!=",
    "ratio operand": "n_purchases",
    "difference operand": "n_purchases",
    "kind": "money",
    "condition key": "any",
}


@pytest.fixture
def sentinel(tmp_path):
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "a payload ran a shell command"
    assert not hasattr(builtins, "METASEG_PWNED"), "a payload changed builtins"
    assert not test_safety.FIRED, "a payload changed a module"
    assert not Path("/tmp/pwned.csv").exists(), "a payload ran SQL"


def test_every_position_accepts_a_benign_value():
    # the control: each position below fails only because of the payload
    assert set(BENIGN) == set(_positions("x"))
    for position, value in BENIGN.items():
        custom = _positions(value)[position]
        if position == "condition key":
            custom = {
                "f": {
                    "aggregate": "count",
                    "where": {"any": [{"column": "category", "op": "==", "value": "toys"}]},
                }
            }
        facts = compute_facts(_events(), as_of=AS_OF, windows=(30,), custom=custom)
        assert len(facts) == 2, position


def test_every_payload_in_every_position_is_a_config_error(sentinel):
    events = _events()
    cases = [
        (position, payload, custom)
        for payload in [*_corpus(sentinel), 10**9, -1, 2.5, ["category"]]
        for position, custom in _positions(payload).items()
    ]
    failures = test_safety.unrefused(
        cases,
        lambda custom: compute_facts(events, as_of=AS_OF, windows=(30,), custom=custom),
        ConfigError,
    )
    assert len(cases) > 400
    assert failures == []


def test_payloads_as_text_values_are_inert_data(sentinel):
    """Bound as parameters, payloads are strings no event has: no match, nothing run."""
    events = _events()
    for payload in _corpus(sentinel):
        if "\x00" in payload:
            continue  # refused: text values hold no NUL characters
        custom = {
            "eq": {
                "aggregate": "count",
                "where": {"column": "category", "op": "==", "value": payload},
            },
            "other": {
                "aggregate": "count",
                "where": {"column": "category", "op": "not_in", "value": [payload]},
            },
            "typed": {"aggregate": "count", "event_type": payload},
            "prefix": {
                "aggregate": "count",
                "where": {"column": "category", "op": "starts_with", "value": payload},
            },
        }
        # an event type no event has is warned about, as a likely typo
        with pytest.warns(DataQualityWarning, match="which no event has"):
            facts = compute_facts(events, as_of=AS_OF, windows=(30,), custom=custom)
        assert facts["eq"].tolist() == [0, 0], payload
        assert facts["other"].tolist() == [2, 1], payload
        assert facts["typed"].tolist() == [0, 0] and facts["prefix"].tolist() == [0, 0]
    # the events are untouched
    pd.testing.assert_frame_equal(events, _events())
