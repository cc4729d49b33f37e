"""Tests of the code pattern parser and its vectorised matching."""

from __future__ import annotations

import re

import numpy as np
import pytest

from metaseg.rules.patterns import PatternSyntaxError, match_patterns, parse_pattern


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("51", [{5}, {1}]),
        ("[4-5][2-3]", [{4, 5}, {2, 3}]),
        ("5[1-3]", [{5}, {1, 2, 3}]),
        ("[245]", [{2, 4, 5}]),
        ("[1-24-5]3", [{1, 2, 4, 5}, {3}]),
        ("[3-3][1-5]", [{3}, {1, 2, 3, 4, 5}]),
        ("[0-9]", [set(range(10))]),
    ],
)
def test_parse_gives_allowed_digits_per_position(text, expected):
    pattern = parse_pattern(text)
    assert [set(p) for p in pattern.positions] == expected
    assert len(pattern) == len(expected)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "non-empty"),
        ("5*", "character 2 is '*'"),
        (".5", "character 1 is '.'"),
        ("[4-5", "not closed"),
        ("[]", "empty"),
        ("[5-1]", "runs backwards"),
        ("[4-]", "no end digit"),
        ("[4-5]]", "character 6 is ']'"),
        ("[a-c]", "inside a class"),
        ("(5|4)", "character 1 is '('"),
        ("^5$", "character 1 is '^'"),
        ("5 4", "character 2 is ' '"),
        ("[^5]", "inside a class"),
        ("\\d\\d", "character 1 is '\\\\'"),
    ],
)
def test_malformed_patterns_say_where(text, fragment):
    with pytest.raises(PatternSyntaxError, match=re.escape(fragment)):
        parse_pattern(text)


def test_non_text_pattern_is_refused():
    with pytest.raises(PatternSyntaxError):
        parse_pattern(45)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["[4-5][2-3]", "5[1-3]", "[1-2][1-2]", "33", "[135][24]"])
def test_matching_agrees_with_regular_expressions_on_codes(text):
    # The pattern subset has the same meaning as a regular expression on the code
    # string, which gives an independent reference for the vectorised matcher.
    rng = np.random.default_rng(0)
    r = rng.integers(1, 6, size=500)
    f = rng.integers(1, 6, size=500)
    codes = [f"{a}{b}" for a, b in zip(r, f, strict=True)]
    expected = np.array([re.fullmatch(text, c) is not None for c in codes])
    got = match_patterns([parse_pattern(text)], [r, f])
    assert got.dtype == bool
    np.testing.assert_array_equal(got, expected)
    assert 0 < got.sum() < len(got)


def test_a_list_of_patterns_is_a_union():
    r = np.array([5, 5, 4, 1])
    f = np.array([1, 5, 1, 1])
    got = match_patterns([parse_pattern("51"), parse_pattern("41")], [r, f])
    assert got.tolist() == [True, False, True, False]


def test_pattern_length_must_match_the_code():
    with pytest.raises(ValueError, match="2 positions but the code has 3"):
        match_patterns([parse_pattern("55")], [np.array([5])] * 3)


def test_zero_digit_matches_unscored_positions():
    r = np.array([0, 3])
    assert match_patterns([parse_pattern("0")], [r]).tolist() == [True, False]
