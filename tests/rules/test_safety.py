"""Rules are data: injection payloads, oversized documents and hostile objects.

Every payload must end in a clear RuleError, and sentinels prove that nothing ran:
a module-level flag, an attribute on ``builtins`` and a file that a shell command
would have created.
"""

from __future__ import annotations

import ast
import builtins
import copy
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from metaseg.exceptions import RuleError, RuleWarning
from metaseg.rules import RuleSegmenter, condition_mask, parse_rules
from metaseg.rules.limits import (
    MAX_LIST_ITEMS,
    MAX_NESTING,
    MAX_RULES_CHARS,
    MAX_STRING_CHARS,
)

FIRED = False
RULES_SOURCE = Path(__file__).resolve().parents[2] / "metaseg" / "rules"


def _payloads(sentinel: Path) -> list[str]:
    module = __name__
    return [
        "__class__.__mro__",
        "__class__.__mro__[1].__subclasses__()",
        f"__import__('os').system('touch {sentinel}')",
        f"__import__('sys').modules['{module}'].__dict__.update(FIRED=True)",
        "__import__('builtins').__setattr__('METASEG_PWNED', True)",
        "@local_var",
        "@__builtins__",
        "recency_days > @threshold",
        "{0.__class__}",
        "{0.__class__.__init__.__globals__[os]}",
        "{fact.__class__.__base__.__subclasses__}",
        "%(recency_days)s",
        "lambda: __import__('os')",
        "(lambda f: f(f))(lambda f: f(f))",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        "{k: v for k, v in globals().items()}",
        "eval('1+1')",
        "exec('import os')",
        "compile('1', '<x>', 'eval')",
        "recency_days < 30 or __import__('os').system('id')",
        "recency_days; import os",
        "`recency_days`",
        "recency_days.__class__",
        "${jndi:ldap://example.invalid/a}",
        "{{7*7}}",
        "recency_days\x00",
        "../../etc/passwd",
    ]


def _facts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "recency_days": [1.0, 50.0, 400.0],
            "frequency": [3, 1, 1],
            "region": ["north", "south", "north"],
        }
    )


def _doc(condition=None, **top):
    condition = condition or {"fact": "recency_days", "op": "<", "value": 30}
    return {"segments": [{"name": "a", "condition": condition}], **top}


def _positions(payload: str) -> dict[str, dict]:
    return {
        "fact": _doc({"fact": payload, "op": "==", "value": 1}),
        "op": _doc({"fact": "recency_days", "op": payload, "value": 1}),
        "numeric value": _doc({"fact": "recency_days", "op": "<", "value": payload}),
        "segment name": {
            "segments": [{"name": payload, "condition": {"fact": "region", "op": "is_null"}}]
        },
        "catch_all": _doc(catch_all=payload),
        "mode": _doc(mode=payload),
        "pattern": _doc({"code": "R", "matches": payload}, scores={"R": {"fact": "frequency"}}),
        "code name": _doc({"code": payload, "matches": "5"}, scores={"R": {"fact": "frequency"}}),
        "score fact": _doc({"code": "R", "matches": "5"}, scores={"R": {"fact": payload}}),
        "score name": _doc({"code": "R", "matches": "5"}, scores={payload: {"fact": "frequency"}}),
        "param name": _doc(
            {"fact": "recency_days", "op": "<", "value": {"param": "n"}},
            params={payload: 1, "n": 3},
        ),
        "param reference": _doc(
            {"fact": "recency_days", "op": "<", "value": {"param": payload}}, params={"n": 30}
        ),
        "condition key": _doc({payload: "recency_days", "op": "<", "value": 1}),
        "whole document": payload,
    }


BENIGN = {
    "fact": "recency_days",
    "op": "<",
    "numeric value": 5,
    "segment name": "ok",
    "catch_all": "rest",
    "mode": "tags",
    "pattern": "1",
    "code name": "R",
    "score fact": "frequency",
    "score name": "R",
    "param name": "m",
    "param reference": "n",
    "condition key": "fact",
    "whole document": "segments: [{name: a, condition: {fact: frequency, op: '>', value: 0}}]",
}


def test_every_position_accepts_a_benign_value():
    # The control for the payload test: each position fails only because of the payload.
    facts = _facts()
    assert set(BENIGN) == set(_positions("x"))
    for position, value in BENIGN.items():
        doc = _positions(value)[position]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuleWarning)
            RuleSegmenter(rules=doc).fit(facts)


@pytest.fixture
def sentinel(tmp_path):
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "a payload ran a shell command"
    assert not hasattr(builtins, "METASEG_PWNED"), "a payload changed builtins"
    assert not FIRED, "a payload changed this module"


def unrefused(cases, attempt, error) -> list:
    """``(position, payload, why)`` of every case ``attempt`` does not refuse clearly.

    ``cases`` are ``(position, payload, argument)``; a case passes when
    ``attempt(argument)`` raises ``error`` with a message of sensible length.
    """
    failures = []
    for position, payload, argument in cases:
        try:
            attempt(argument)
        except error as exc:
            message = str(exc)
            if not message or len(message) > 3000:
                failures.append((position, payload, "unclear message"))
        except Exception as exc:  # any other outcome is a failure
            failures.append((position, payload, f"{type(exc).__name__}: {exc}"))
        else:
            failures.append((position, payload, "accepted"))
    return failures


def test_every_payload_in_every_position_is_a_rule_error(sentinel):
    facts = _facts()
    cases = [
        (position, payload, doc)
        for payload in _payloads(sentinel)
        for position, doc in _positions(payload).items()
    ]
    failures = unrefused(cases, lambda doc: RuleSegmenter(rules=doc).fit(facts), RuleError)
    assert len(cases) > 300
    assert failures == []


def test_payload_as_a_text_value_is_inert_data(sentinel):
    # Compared with a text attribute, a payload is just a string nobody has.
    facts = _facts()
    for payload in _payloads(sentinel):
        mask = condition_mask({"fact": "region", "op": "==", "value": payload}, facts)
        assert mask.tolist() == [False, False, False]
        mask = condition_mask({"fact": "region", "op": "not_in", "value": [payload]}, facts)
        assert mask.tolist() == [True, True, True]


@pytest.mark.parametrize(
    "text",
    [
        "segments: !!python/object/apply:os.system ['touch {sentinel}']",
        "segments:\n  - name: a\n    condition: !!python/object/new:builtins.eval ['1']",
        "segments: !!python/name:builtins.exec",
        "!!python/module:os\n",
    ],
)
def test_yaml_object_tags_are_refused(text, sentinel):
    with pytest.raises(RuleError, match="not valid YAML"):
        parse_rules(text.replace("{sentinel}", str(sentinel)))


def test_deeply_nested_yaml_text_is_refused(sentinel):
    depth = 5_000
    text = (
        "segments:\n  - name: a\n    condition: "
        + "{not: " * depth
        + "{fact: x, op: is_null}"
        + "}" * depth
        + "\n"
    )
    with pytest.raises(RuleError, match="nested too deeply"):
        parse_rules(text)


def test_deeply_nested_dict_is_refused(sentinel):
    node: dict = {"fact": "x", "op": "is_null"}
    for _ in range(10_000):
        node = {"not": node}
    with pytest.raises(RuleError, match="MAX_NESTING") as info:
        parse_rules(_doc(node))
    assert f"nested more than {MAX_NESTING}" in str(info.value)


def test_million_element_list_is_refused(sentinel):
    doc = _doc({"fact": "region", "op": "in", "value": ["north"] * 1_000_000})
    with pytest.raises(
        RuleError, match="segments\\[0\\].condition.value: a list of 1,000,000"
    ) as info:
        parse_rules(doc)
    assert f"{MAX_LIST_ITEMS:,}" in str(info.value)


def test_huge_strings_are_refused_without_echoing_them(sentinel):
    huge = "A" * 10_000_000
    for doc in (
        {
            "segments": [
                {"name": "a", "description": huge, "condition": {"fact": "x", "op": "is_null"}}
            ]
        },
        _doc({"fact": "region", "op": "==", "value": huge}),
        _doc({"fact": huge, "op": "is_null"}),
    ):
        with pytest.raises(RuleError, match="MAX_STRING_CHARS") as info:
            parse_rules(doc)
        assert len(str(info.value)) < 500
    with pytest.raises(RuleError, match="MAX_RULES_CHARS") as info:
        parse_rules("segments:\n" + "#" * (MAX_RULES_CHARS + 1))
    assert len(str(info.value)) < 500
    just_over = "x" * (MAX_STRING_CHARS + 1)
    with pytest.raises(RuleError, match="5,001 characters"):
        parse_rules(_doc({"fact": "region", "op": "==", "value": just_over}))


def test_huge_rules_file_is_refused_before_reading(tmp_path, sentinel):
    path = tmp_path / "big.yaml"
    path.write_text("a: 1\n" + "#" * MAX_RULES_CHARS, encoding="utf-8")
    with pytest.raises(RuleError, match="big.yaml"):
        parse_rules(path)


def test_yaml_alias_bomb_is_refused_quickly(sentinel):
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"l{i}: &l{i} [{refs}]")
    lines.append("segments: [{name: a, condition: {fact: x, op: in, value: *l9}}]")
    with pytest.raises(RuleError, match="MAX_NODES|Extra inputs|MAX_LIST_ITEMS"):
        parse_rules("\n".join(lines))


class _Hostile:
    """An object whose every hook would set the module flag if it were ever called."""

    def _fire(self, *args, **kwargs):
        sys.modules[__name__].FIRED = True
        return True

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _fire
    __repr__ = __str__ = __format__ = lambda self, *a: (_Hostile._fire(self), "x")[1]
    __hash__ = lambda self: 1  # noqa: E731
    __bool__ = __float__ = __index__ = __int__ = _fire


@pytest.mark.parametrize(
    "doc",
    [
        _doc({"fact": "recency_days", "op": "==", "value": _Hostile()}),
        _doc({"fact": "recency_days", "op": "in", "value": [1, _Hostile()]}),
        {"segments": [{"name": "a", "condition": {"fact": "x", "op": "is_null"}}], _Hostile(): 1},
        _Hostile(),
    ],
)
def test_python_objects_in_a_dict_are_refused_without_touching_them(doc, sentinel):
    with pytest.raises(RuleError):
        RuleSegmenter(rules=doc).fit(_facts())


def test_the_rules_package_never_calls_dynamic_evaluation():
    forbidden_calls = {"eval", "exec", "compile", "__import__", "query", "format", "format_map"}
    found = []
    for path in sorted(RULES_SOURCE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in forbidden_calls:
                    found.append(f"{path.name}:{node.lineno} {name}")
            if isinstance(node, ast.Attribute) and node.attr == "eval":
                found.append(f"{path.name}:{node.lineno} .eval")
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                if "re" in names:
                    found.append(f"{path.name}:{node.lineno} import re")
    assert len(list(RULES_SOURCE.glob("*.py"))) >= 8
    assert found == []


def test_documents_are_not_modified(sentinel):
    doc = _doc({"fact": "recency_days", "op": "<", "value": {"param": "n"}}, params={"n": 30})
    before = copy.deepcopy(doc)
    RuleSegmenter(rules=doc).fit(_facts())
    assert doc == before
