"""Named parameters of a rules document and their ``{param: name}`` references.

A ``params`` block at the top of a document names thresholds once::

    params:
      new_max_tenure_days: 30
    segments:
      - name: new
        condition: {fact: tenure_days, op: "<=", value: {param: new_max_tenure_days}}

Before the document is validated every ``{param: name}`` mapping outside ``params`` is
replaced by the parameter's value, so the value is then checked exactly like a literal
(a text parameter compared with a numeric fact is a type error at the place of use).
A parameter value is a number, text, a boolean, a date or a list of those.
"""

from __future__ import annotations

import warnings
from typing import Any

from metaseg._messages import available, did_you_mean
from metaseg._yaml import format_location
from metaseg.exceptions import RuleError, RuleWarning
from metaseg.rules.conditions import check_name, check_scalar

_REF_KEY = "param"


def _is_ref(node: Any) -> bool:
    return isinstance(node, dict) and len(node) == 1 and _REF_KEY in node


def resolve_params(document: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``document`` with every ``{param: name}`` replaced by its value.

    Parameters
    ----------
    document : dict
        A rules document that passed :func:`metaseg.rules.limits.check_document`.

    Returns
    -------
    dict

    Raises
    ------
    RuleError
        If ``params`` is malformed or a reference names no parameter (with the YAML path
        and the closest parameter names).

    Warns
    -----
    RuleWarning
        If a parameter is never referenced.

    Examples
    --------
    >>> doc = {"params": {"days": 90},
    ...        "segments": [{"name": "a", "condition":
    ...                      {"fact": "recency_days", "op": "<=", "value": {"param": "days"}}}]}
    >>> resolve_params(doc)["segments"][0]["condition"]["value"]
    90
    """
    params = document.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise RuleError(
            f"rules params: expected a mapping of names to values, got "
            f"{type(params).__name__}; write e.g. params: {{active_days: 90}}."
        )
    for name, value in params.items():
        _check_param(name, value)
    used: set[str] = set()
    out = {
        key: (value if key == "params" else _substitute(value, (key,), params, used))
        for key, value in document.items()
    }
    unused = [name for name in params if name not in used]
    if unused:
        warnings.warn(
            f"rules params {unused} are defined but never used as {{param: name}}; "
            "remove them or reference them in a condition.",
            RuleWarning,
            stacklevel=2,
        )
    return out


def _check_param(name: Any, value: Any) -> None:
    try:
        check_name(name)
    except ValueError as exc:
        raise RuleError(f"rules params: parameter name {name!r} is invalid: {exc}.") from None
    items = value if isinstance(value, list) else [value]
    for i, item in enumerate(items):
        try:
            check_scalar(item)
        except ValueError as exc:
            loc = ("params", name, i) if isinstance(value, list) else ("params", name)
            raise RuleError(f"rules {format_location(loc)}: {exc}.") from None


def _substitute(node: Any, loc: tuple[Any, ...], params: dict[str, Any], used: set[str]) -> Any:
    if _is_ref(node):
        name = node[_REF_KEY]
        if not isinstance(name, str) or name not in params:
            shown = repr(name) if isinstance(name, str) else type(name).__name__
            hint = did_you_mean(name, params) if isinstance(name, str) else ""
            raise RuleError(
                f"rules {format_location((*loc, _REF_KEY))}: parameter {shown} is not "
                f"defined.{hint} Defined params: {available(params)}. Add it under 'params'."
            )
        used.add(name)
        value = params[name]
        return list(value) if isinstance(value, list) else value
    if isinstance(node, dict):
        return {k: _substitute(v, (*loc, k), params, used) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, (*loc, i), params, used) for i, v in enumerate(node)]
    return node
