"""Reading YAML: repeated keys, size and nesting limits, and aliases that stay allowed."""

from __future__ import annotations

import pytest

from metaseg._yaml import MAX_YAML_NESTING, check_nesting, load_yaml
from metaseg.exceptions import ConfigError, RuleError
from metaseg.rules import parse_rules


def test_a_repeated_key_names_both_lines():
    with pytest.raises(
        ConfigError, match=r"line 4, column 3: key 'c' appears twice.*lines 3 and 4"
    ):
        load_yaml("a: 1\nb:\n  c: 1\n  c: 2\n")


def test_a_repeated_key_on_one_line_is_refused():
    with pytest.raises(ConfigError, match=r"key 'x' appears twice.*both on line 1"):
        load_yaml("a: {x: 1, x: 2}")


def test_merge_keys_and_distinct_keys_stay_allowed():
    document = load_yaml("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  x: 3\n")
    assert document["d"] == {"x": 3, "y": 2}
    assert load_yaml("1: a\n'1': b\n") == {1: "a", "1": "b"}


def test_a_rules_file_with_a_repeated_segment_key_is_refused(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "segments:\n  - name: a\n    name: b\n    condition: {fact: x, op: is_null}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError, match=r"key 'name' appears twice.*lines 2 and 3"):
        parse_rules(rules)


def test_text_over_the_limit_is_refused():
    with pytest.raises(ConfigError, match="more than the limit of 10"):
        load_yaml("a: 1234567890", max_chars=10)


def test_nesting_limit():
    check_nesting(load_yaml("a: " + "[" * (MAX_YAML_NESTING - 1) + "]" * (MAX_YAML_NESTING - 1)))
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_yaml("a: " + "[" * MAX_YAML_NESTING + "]" * MAX_YAML_NESTING)
