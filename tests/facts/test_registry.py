"""The fact registry matches the facts contract in CONTRIBUTING.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from metaseg.facts import FACTS, describe_facts, fact_columns

CONTRIBUTING = Path(__file__).resolve().parents[2] / "CONTRIBUTING.md"


def _contract_names() -> list[str]:
    """Fact names of the "Facts" table of CONTRIBUTING.md, windows expanded to 7 and 30."""
    text = CONTRIBUTING.read_text(encoding="utf-8")
    section = text.split("### Facts", 1)[1].split("###", 1)[0]
    names = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        for name in re.findall(r"`([a-z_{}0-9]+)`", line.split("|")[1]):
            names.extend(name.replace("{w}", str(w)) for w in ((7, 30) if "{w}" in name else (0,)))
    return names


def test_every_contract_fact_is_computed_and_nothing_else():
    assert sorted(_contract_names()) == sorted(fact_columns((7, 30)))


def test_describe_facts_lists_every_column_with_kind_and_description():
    table = describe_facts(windows=(7, 30))
    assert table.columns.tolist() == ["name", "kind", "description"]
    assert table["name"].tolist() == fact_columns((7, 30))
    assert table["name"].is_unique
    assert set(table["kind"]) == {"count", "duration", "money", "ratio", "timestamp"}
    assert table["description"].str.len().min() > 10
    assert not table["description"].str.contains("{w}", regex=False).any()
    row = table.set_index("name").loc["revenue_30d"]
    assert row["kind"] == "money" and "30 days" in row["description"]


def test_defaults_follow_the_kinds():
    for fact in FACTS:
        if fact.kind == "count":
            assert fact.default_if_empty == 0, fact.name
        elif fact.kind in ("duration", "ratio", "timestamp"):
            assert fact.default_if_empty is None, fact.name


def test_describe_facts_validates_windows():
    with pytest.raises(ValueError, match="windows"):
        describe_facts(windows=(0,))
