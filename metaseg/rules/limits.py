"""Size limits of a rules document, and the check that enforces them before parsing.

Rules come from users, so a document is treated as untrusted data. Before pydantic
sees it, :func:`check_document` walks it once, without recursion, and refuses anything
that is not plain YAML data or that exceeds one of the limits below. Every refusal is a
:class:`~metaseg.exceptions.RuleError` that gives the YAML path of the offending part.

Limits
------
MAX_RULES_CHARS
    Characters in a rules text or bytes in a rules file (1,000,000).
MAX_STRING_CHARS
    Characters in any one string of the document, descriptions included (5,000).
MAX_NAME_CHARS
    Characters in a segment, score, code or parameter name (64).
MAX_FACT_NAME_CHARS
    Characters in a fact (column) name (128).
MAX_LIST_ITEMS
    Items in any one list, for example the values of an ``in`` condition (10,000).
MAX_NESTING
    Nested mappings and lists, counted from the top of the document (64).
MAX_CONDITION_DEPTH
    Nested ``all`` / ``any`` / ``not`` levels in one segment's condition (24).
MAX_NODES
    Mappings, lists and scalars in the whole document (200,000).
MAX_SEGMENTS
    Segments in one document (200).
MAX_BINS
    Score values 1..N (9), so that every score is one digit of a code.
MAX_CODE_LENGTH
    Scores combined into one code (9).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from metaseg import schema
from metaseg._yaml import format_location
from metaseg.exceptions import RuleError

MAX_RULES_CHARS: Final = 1_000_000
MAX_STRING_CHARS: Final = 5_000
MAX_NAME_CHARS: Final = 64
MAX_FACT_NAME_CHARS: Final = schema.MAX_COLUMN_NAME_CHARS
MAX_LIST_ITEMS: Final = 10_000
MAX_NESTING: Final = 64
MAX_CONDITION_DEPTH: Final = 24
MAX_NODES: Final = 200_000
MAX_SEGMENTS: Final = 200
MAX_BINS: Final = 9
MAX_CODE_LENGTH: Final = 9

#: Scalar types a rules document may hold: what ``yaml.safe_load`` produces.
PLAIN_SCALARS: Final = (str, bool, int, float, dt.date, dt.datetime, type(None))


def check_text_size(n_chars: int, where: str) -> None:
    """Refuse a rules text or file longer than :data:`MAX_RULES_CHARS`.

    Examples
    --------
    >>> check_text_size(120, "<text>")
    """
    if n_chars > MAX_RULES_CHARS:
        raise RuleError(
            f"rules {where} has {n_chars:,} characters, more than the limit of "
            f"{MAX_RULES_CHARS:,} (metaseg.rules.limits.MAX_RULES_CHARS); a rules document "
            "this large is almost certainly a mistake: split it or shorten long lists."
        )


def check_document(document: Any) -> None:
    """Walk a parsed rules document and refuse non-plain data or oversized parts.

    The walk is iterative (a deeply nested document cannot exhaust the stack) and stops
    at the first problem, so a document that expands into billions of nodes through YAML
    aliases is refused after :data:`MAX_NODES` nodes.

    Parameters
    ----------
    document : object
        The output of ``yaml.safe_load`` or a dict written in Python.

    Raises
    ------
    RuleError
        Naming the YAML path of the first part that breaks a limit or is not plain data.

    Examples
    --------
    >>> check_document({"segments": [{"name": "a", "condition": {"fact": "x", "op": "is_null"}}]})
    >>> check_document({"segments": [object()]})
    Traceback (most recent call last):
    ...
    metaseg.exceptions.RuleError: rules segments[0]: found a value of type 'object'; a rules document may only hold mappings, lists, text, numbers, booleans, dates and nulls.
    """
    stack: list[tuple[Any, tuple[Any, ...]]] = [(document, ())]
    seen = 0
    while stack:
        node, loc = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise RuleError(
                f"rules document has more than {MAX_NODES:,} parts "
                "(metaseg.rules.limits.MAX_NODES); YAML aliases that repeat large "
                "lists expand like this. Write the rules out plainly and keep them short."
            )
        if len(loc) > MAX_NESTING:
            raise RuleError(
                f"rules {format_location(loc[:MAX_NESTING])}: nested more than {MAX_NESTING} "
                "levels deep (metaseg.rules.limits.MAX_NESTING); flatten the condition, "
                "for example one 'all' list instead of nested 'all' blocks."
            )
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    shown = short_repr(key) if isinstance(key, PLAIN_SCALARS) else "an object"
                    raise RuleError(
                        f"rules {format_location(loc)}: key {shown} ({type(key).__name__}) is "
                        "not text; write keys as plain words such as 'fact' or 'op'."
                    )
                _check_string(key, (*loc, key))
                stack.append((value, (*loc, key)))
        elif isinstance(node, list | tuple):
            if len(node) > MAX_LIST_ITEMS:
                raise RuleError(
                    f"rules {format_location(loc)}: a list of {len(node):,} items, more than "
                    f"the limit of {MAX_LIST_ITEMS:,} (metaseg.rules.limits.MAX_LIST_ITEMS); "
                    "for long value lists put the attribute into the facts table instead."
                )
            stack.extend((item, (*loc, i)) for i, item in enumerate(node))
        elif isinstance(node, str):
            _check_string(node, loc)
        elif not isinstance(node, PLAIN_SCALARS):
            raise RuleError(
                f"rules {format_location(loc)}: found a value of type "
                f"{type(node).__name__!r}; a rules document may only hold mappings, lists, text, numbers, booleans, dates "
                "and nulls."
            )


def _check_string(text: str, loc: tuple[Any, ...]) -> None:
    if len(text) > MAX_STRING_CHARS:
        raise RuleError(
            f"rules {format_location(loc)}: a text of {len(text):,} characters, more than "
            f"the limit of {MAX_STRING_CHARS:,} (metaseg.rules.limits.MAX_STRING_CHARS); "
            "shorten it."
        )


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, so messages never echo huge input.

    Examples
    --------
    >>> short_repr("x" * 100, limit=10)
    "'xxxxxx..."
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
