"""Code patterns: the small, safe pattern language segments use to match score codes.

A code is a string of score digits such as ``"45"`` (R=4, F=5). A pattern has exactly
one element per position of the code, and each element is either

* a literal digit, ``5``, or
* a character class of digits and digit ranges in brackets: ``[4-5]``, ``[245]``,
  ``[1-24-5]`` (``1-2`` then ``4-5``); no spaces.

So ``[4-5][2-3]`` matches R in {4, 5} and F in {2, 3}, and ``5[1-3]`` matches R = 5 and
F in {1, 2, 3}. Nothing else exists: no wildcards, repetition, alternation or anchors,
and user text is never handed to :mod:`re`. The parser below is a hand-written scanner,
and matching is vectorised, one lookup table per position over the score arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_DIGITS = "0123456789"


class PatternSyntaxError(ValueError):
    """A code pattern is malformed; the message says where and how to fix it."""


@dataclass(frozen=True)
class CodePattern:
    """A parsed code pattern: the digits allowed at each position.

    Parameters
    ----------
    text : str
        The pattern as written.
    positions : tuple of frozenset of int
        The allowed digits, one set per code position.

    Examples
    --------
    >>> p = parse_pattern("5[1-3]")
    >>> [sorted(s) for s in p.positions]
    [[5], [1, 2, 3]]
    """

    text: str
    positions: tuple[frozenset[int], ...]

    def __len__(self) -> int:
        return len(self.positions)


def parse_pattern(text: str) -> CodePattern:
    """Parse a code pattern such as ``"[4-5][2-3]"``.

    Parameters
    ----------
    text : str
        The pattern: literal digits and bracketed digit classes, one per position.

    Returns
    -------
    CodePattern

    Raises
    ------
    PatternSyntaxError
        If the text holds anything but digits, ``[``, ``]`` and ``-`` in the grammar
        above; the message gives the character position.

    Examples
    --------
    >>> [sorted(s) for s in parse_pattern("[4-5][245]").positions]
    [[4, 5], [2, 4, 5]]
    >>> parse_pattern("5*")
    Traceback (most recent call last):
    ...
    metaseg.rules.patterns.PatternSyntaxError: character 2 is '*'; a pattern holds only digits and classes such as [4-5] (one per code position)
    """
    if not isinstance(text, str) or not text:
        raise PatternSyntaxError("a pattern must be non-empty text such as '[4-5][2-3]' or '51'")
    positions: list[frozenset[int]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in _DIGITS:
            positions.append(frozenset({int(char)}))
            i += 1
        elif char == "[":
            allowed, i = _parse_class(text, i)
            positions.append(allowed)
        else:
            raise PatternSyntaxError(
                f"character {i + 1} is {char!r}; a pattern holds only digits and classes "
                "such as [4-5] (one per code position)"
            )
    return CodePattern(text=text, positions=tuple(positions))


def _parse_class(text: str, start: int) -> tuple[frozenset[int], int]:
    """Parse ``[...]`` starting at ``text[start] == "["``; return the digits and the next index."""
    allowed: set[int] = set()
    i = start + 1
    while True:
        if i >= len(text):
            raise PatternSyntaxError(
                f"the class opened at character {start + 1} is not closed; add ']'"
            )
        char = text[i]
        if char == "]":
            if not allowed:
                raise PatternSyntaxError(
                    f"the class at character {start + 1} is empty; list digits such as [4-5]"
                )
            return frozenset(allowed), i + 1
        if char not in _DIGITS:
            raise PatternSyntaxError(
                f"character {i + 1} is {char!r} inside a class; a class holds digits and "
                "ranges such as [245] or [1-3]"
            )
        low = int(char)
        if i + 1 < len(text) and text[i + 1] == "-":
            if i + 2 >= len(text) or text[i + 2] not in _DIGITS:
                raise PatternSyntaxError(
                    f"the range at character {i + 1} has no end digit; write it like 1-3"
                )
            high = int(text[i + 2])
            if high < low:
                raise PatternSyntaxError(
                    f"the range {low}-{high} at character {i + 1} runs backwards; "
                    f"write {high}-{low}"
                )
            allowed.update(range(low, high + 1))
            i += 3
        else:
            allowed.add(low)
            i += 1


def match_patterns(patterns: Sequence[CodePattern], scores: Sequence[np.ndarray]) -> np.ndarray:
    """Return a boolean mask: rows whose code matches at least one of ``patterns``.

    Parameters
    ----------
    patterns : sequence of CodePattern
        Patterns as long as ``scores``.
    scores : sequence of ndarray of int
        One integer array (values 0..9) per code position, all of the same length.

    Returns
    -------
    ndarray of bool

    Examples
    --------
    >>> r = np.array([5, 4, 1]); f = np.array([2, 5, 3])
    >>> match_patterns([parse_pattern("[4-5][2-3]")], [r, f]).tolist()
    [True, False, False]
    """
    n = len(scores[0]) if scores else 0
    out = np.zeros(n, dtype=bool)
    for pattern in patterns:
        if len(pattern) != len(scores):
            raise ValueError(
                f"pattern {pattern.text!r} has {len(pattern)} positions but the code has "
                f"{len(scores)}"
            )
        hit = np.ones(n, dtype=bool)
        for allowed, column in zip(pattern.positions, scores, strict=True):
            table = np.zeros(10, dtype=bool)
            table[sorted(allowed)] = True
            hit &= table[column]
        out |= hit
    return out
