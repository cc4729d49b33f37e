"""Tests of parsing whole rules documents: sources, YAML errors, params, references."""

from __future__ import annotations

import warnings

import pytest

from metaseg.exceptions import RuleError, RuleWarning
from metaseg.rules.conditions import Compare
from metaseg.rules.spec import RuleSpec, ScoreSpec, parse_rules

TEXT = """
name: small
segments:
  - name: active
    description: Bought in the last 90 days.
    condition: {fact: recency_days, op: "<=", value: 90}
  - name: churned
    condition: {fact: recency_days, op: ">", value: 365}
"""


def _rules(*segments, **top):
    return {"segments": list(segments), **top}


def _seg(name, condition, **extra):
    return {"name": name, "condition": condition, **extra}


def _error(source) -> str:
    with pytest.raises(RuleError) as info:
        parse_rules(source)
    return str(info.value)


def test_text_file_dict_and_spec_give_the_same_rules(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(TEXT, encoding="utf-8")
    from_text = parse_rules(TEXT)
    assert from_text.segment_names == ("active", "churned")
    assert from_text.catch_all == "other"
    assert from_text.mode == "priority"
    assert from_text.segments[0].description == "Bought in the last 90 days."
    assert parse_rules(path) == from_text
    assert parse_rules(str(path)) == from_text
    assert parse_rules(from_text) is from_text
    assert parse_rules(from_text.model_dump(by_alias=True)) == from_text


def test_yaml_syntax_error_gives_file_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("segments:\n  - name: a\n    condition: {fact: x, op: '<'\n", encoding="utf-8")
    message = _error(path)
    assert "broken.yaml" in message
    assert "line 4" in message or "line 3" in message
    assert "column" in message


def test_missing_file_is_a_rule_error(tmp_path):
    assert "does not exist" in _error(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("rfmm", "Presets"),
        ("- a\n- b\n", "must be a mapping"),
        (42, "got int"),
        ({"segments": []}, "segments: List should have at least 1 item"),
        ({"segmets": []}, "segmets: Extra inputs"),
        (
            _rules(_seg("a", {"fact": "x", "op": "is_null"}), mode="overlap"),
            "mode: Input should be",
        ),
        (_rules(_seg("a b", {"fact": "x", "op": "is_null"})), "segments[0].name"),
        (_rules(_seg("a", {"fact": "x", "op": "is_null"}), catch_all="a"), "catch-all"),
        (
            _rules(
                _seg("a", {"fact": "x", "op": "is_null"}), _seg("a", {"fact": "y", "op": "is_null"})
            ),
            "segments[1].name: segment 'a' is defined twice",
        ),
    ],
)
def test_bad_documents(source, fragment):
    assert fragment in _error(source)


def test_error_path_reaches_deep_into_a_segment():
    doc = _rules(
        _seg("a", {"fact": "x", "op": "is_null"}),
        _seg("b", {"fact": "x", "op": "is_null"}),
        _seg("c", {"fact": "x", "op": "is_null"}),
        _seg(
            "d",
            {"all": [{"fact": "x", "op": "<", "value": 1}, {"fact": "x", "op": "~", "value": 1}]},
        ),
    )
    message = _error(doc)
    assert "segments[3].condition.all[1].op" in message
    assert "(got '~')" in message


def test_params_are_substituted_and_validated():
    doc = _rules(
        _seg("a", {"fact": "recency_days", "op": "<=", "value": {"param": "days"}}),
        _seg("b", {"fact": "region", "op": "in", "value": {"param": "regions"}}),
        _seg("c", {"fact": "x", "op": "between", "value": [{"param": "lo"}, {"param": "hi"}]}),
        params={"days": 90, "regions": ["north", "south"], "lo": 1, "hi": 30},
    )
    spec = parse_rules(doc)
    assert spec.segments[0].condition.value == 90
    assert spec.segments[1].condition.value == ["north", "south"]
    assert spec.segments[2].condition.value == (1, 30)
    assert spec.params["days"] == 90


def test_unknown_param_names_the_path_and_close_names():
    doc = _rules(
        _seg("a", {"fact": "recency_days", "op": "<=", "value": {"param": "active_dys"}}),
        params={"active_days": 90},
    )
    message = _error(doc)
    assert "segments[0].condition.value.param" in message
    assert "Did you mean 'active_days'" in message


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"bad name": 1}, "parameter name 'bad name' is invalid"),
        ({"x": None}, "params.x: a value may not be null"),
        ({"x": {"a": 1}}, "params.x: a value is a number"),
        ({"x": [1, None]}, "params.x[1]"),
        ([1, 2], "expected a mapping"),
    ],
)
def test_bad_params(params, fragment):
    doc = _rules(_seg("a", {"fact": "x", "op": "is_null"}), params=params)
    assert fragment in _error(doc)


def test_param_of_the_wrong_type_fails_where_it_is_used():
    doc = _rules(
        _seg("a", {"fact": "x", "op": "within_days", "value": {"param": "days"}}),
        params={"days": "thirty"},
    )
    message = _error(doc)
    assert "segments[0].condition.value" in message
    assert "number of days" in message


def test_unused_param_warns():
    doc = _rules(_seg("a", {"fact": "x", "op": "is_null"}), params={"spare": 3})
    with pytest.warns(RuleWarning, match="spare"):
        parse_rules(doc)


def test_used_params_do_not_warn():
    doc = _rules(_seg("a", {"fact": "x", "op": ">", "value": {"param": "n"}}), params={"n": 3})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse_rules(doc)


SCORES = {
    "R": {"fact": "recency_days", "direction": "descending"},
    "F": {"fact": "frequency", "bins": 3},
}


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        (
            _rules(
                _seg("a", {"code": "RFX", "matches": "55"}), scores=SCORES, codes={"RF": ["R", "F"]}
            ),
            "Did you mean 'RF'",
        ),
        (
            _rules(
                _seg("a", {"code": "RF", "matches": "5"}), scores=SCORES, codes={"RF": ["R", "F"]}
            ),
            "has 1 position(s)",
        ),
        (
            _rules(
                _seg("a", {"code": "RF", "matches": "54"}), scores=SCORES, codes={"RF": ["R", "F"]}
            ),
            "only takes 1..3",
        ),
        (
            _rules(
                _seg("a", {"code": "RF", "matches": "55"}), scores=SCORES, codes={"RF": ["R", "G"]}
            ),
            "codes.RF[1]: score 'G'",
        ),
        (
            _rules(_seg("a", {"code": "R", "matches": "5"}), scores=SCORES, codes={"R": ["R"]}),
            "codes.R: the name is already a score",
        ),
        (
            _rules(_seg("R", {"code": "R", "matches": "5"}), scores=SCORES),
            "scores.R: the name is already a segment",
        ),
        (
            _rules(_seg("a", {"code": "R", "matches": "5"}), scores={"customer_id": {"fact": "x"}}),
            "an output column",
        ),
        (
            _rules(
                _seg("a", {"not": {"code": "RF", "matches": ["55", "5"]}}),
                scores=SCORES,
                codes={"RF": ["R", "F"]},
            ),
            "segments[0].condition.not.matches",
        ),
    ],
)
def test_code_references_are_checked(doc, fragment):
    assert fragment in _error(doc)


def test_a_score_is_a_one_position_code():
    spec = parse_rules(_rules(_seg("a", {"code": "R", "matches": "[4-5]"}), scores=SCORES))
    assert spec.code_scores() == {"R": ["R"], "F": ["F"]}
    assert spec.required_facts == ("recency_days", "frequency")


@pytest.mark.parametrize(
    ("score", "fragment"),
    [
        ({"fact": "x", "bins": 1}, "greater than or equal to 2"),
        ({"fact": "x", "bins": 10}, "less than or equal to 9"),
        ({"fact": "x", "method": "fixed"}, "needs 'cuts'"),
        ({"fact": "x", "method": "fixed", "cuts": [3, 1]}, "increase strictly"),
        ({"fact": "x", "method": "fixed", "cuts": [1, 2], "bins": 5}, "make 3 bins"),
        ({"fact": "x", "method": "fixed", "cuts": [1], "ties": "first"}, "quantile scores only"),
        ({"fact": "x", "cuts": [1, 2]}, "method 'fixed'"),
        ({"fact": "x", "method": "fixed", "cuts": [1, float("inf")]}, "finite"),
        ({"fact": "x", "missing": 6}, "1..5 or 0"),
        ({"fact": "x", "missing": True}, "missing"),
        ({"fact": "x", "labels": ["a", "b"]}, "one label per score"),
        ({"fact": "x", "ties": "random"}, "ties: Input should be"),
        ({"fact": "x", "direction": "up"}, "direction: Input should be"),
        ({"fact": "x", "among": {"code": "R", "matches": "5"}}, "scores are computed before codes"),
    ],
)
def test_bad_scores(score, fragment):
    doc = _rules(_seg("a", {"code": "R", "matches": "1"}), scores={"R": score})
    message = _error(doc)
    assert "scores.R" in message
    assert fragment in message


def test_score_properties():
    assert ScoreSpec(fact="x").n_bins == 5
    assert ScoreSpec(fact="x", bins=3, missing="highest").missing_score == 3
    assert ScoreSpec(fact="x", missing=0).missing_score == 0
    assert ScoreSpec(fact="x", method="fixed", cuts=[1, 2, 3]).n_bins == 4


def test_unscored_digit_is_allowed_only_when_missing_is_zero():
    scores = {"R": {"fact": "x", "missing": 0}}
    parse_rules(_rules(_seg("a", {"code": "R", "matches": "0"}), scores=scores))
    assert "only takes 1..5" in _error(
        _rules(_seg("a", {"code": "R", "matches": "0"}), scores={"R": {"fact": "x"}})
    )


def test_facts_by_user_names_scores_and_segments():
    spec = parse_rules(
        _rules(
            _seg("a", {"code": "R", "matches": "5"}),
            _seg(
                "b",
                {"all": [{"fact": "age", "op": ">", "value": 1}, {"fact": "x", "op": "is_null"}]},
            ),
            scores={"R": {"fact": "x", "among": {"fact": "frequency", "op": ">", "value": 0}}},
        )
    )
    assert spec.facts_by_user() == {
        "x": ["score R", "segment a", "segment b"],
        "frequency": ["score R", "segment a"],
        "age": ["segment b"],
    }


def test_condition_objects_compare_by_value():
    a = parse_rules(TEXT).segments[0].condition
    assert isinstance(a, Compare)
    assert a == Compare(fact="recency_days", op="<=", value=90)


def test_rule_spec_built_in_python_is_checked_too():
    spec = RuleSpec.model_validate(
        _rules(_seg("a", {"fact": "x", "op": "is_null"}), _seg("a", {"fact": "x", "op": "is_null"}))
    )
    assert "defined twice" in _error(spec)
