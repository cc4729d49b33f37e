"""The rules document: pydantic models of the YAML, and the one function that parses it.

A rules document looks like this (see ``configs/*.yaml`` for complete presets)::

    name: lifecycle
    description: Where each customer is in their life with the shop.
    mode: priority          # first matching segment wins; "tags": overlapping memberships
    catch_all: other        # customers no segment matched
    params:                 # named thresholds, used as {param: name} values
      active_days: 90
    scores:                 # optional: facts turned into 1..N scores
      R: {fact: recency_days, bins: 5, direction: descending}
      F: {fact: frequency, bins: 5, ties: first}
    codes:                  # optional: scores joined into code strings
      RF: [R, F]
    segments:               # in priority order
      - name: champions
        description: Bought recently and often.
        condition: {code: RF, matches: "5[4-5]"}
      - name: active
        description: Bought in the last 90 days.
        condition: {fact: recency_days, op: "<=", value: {param: active_days}}

A document may also name a preset and change some of its named parameters, without
copying it: ``{preset: lifecycle, params: {hesitant_cart_min_days: 0}}``.

:func:`parse_rules` accepts a path, YAML text, a preset name, a dict or a
:class:`RuleSpec`, and every mistake becomes a :class:`~metaseg.exceptions.RuleError`
with the YAML path of the problem (``segments[3].condition.all[1].op``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    model_validator,
)

from metaseg import schema
from metaseg._messages import available, did_you_mean
from metaseg._yaml import config_error_from_pydantic, format_location, load_yaml
from metaseg.exceptions import ConfigError, RuleError
from metaseg.rules.conditions import (
    CodeMatch,
    Condition,
    FactName,
    Name,
    Untagged,
    depth,
    facts_read,
    walk,
)
from metaseg.rules.limits import (
    MAX_BINS,
    MAX_CODE_LENGTH,
    MAX_CONDITION_DEPTH,
    MAX_SEGMENTS,
    check_document,
    check_text_size,
    short_repr,
)
from metaseg.rules.params import resolve_params
from metaseg.rules.presets import PRESET_NAMES, expand_preset, preset_path

#: Column names of the segmenter's output that scores and codes may not take.
RESERVED_NAMES: Final = (schema.CUSTOMER_ID, schema.BASE_SEGMENT)
DEFAULT_BINS: Final = 5


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"a cut point is a number, not {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError("a cut point must be finite")
    return float(value)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScoreSpec(_Model):
    """How one fact becomes a score 1..N (see :mod:`metaseg.rules.scores`).

    Fields: ``fact``; ``method`` (``quantile``, learned in fit, or ``fixed``); ``bins``
    (2..9, default 5) or ``cuts`` (fixed, strictly increasing); ``direction``
    (``ascending`` or ``descending``); ``ties`` (``average``, ``min``, ``max``,
    ``dense``, ``first``; quantile only; ``first`` splits equal values at a bin edge by
    ``tie_break``, the column that orders them, ``customer_id`` by default, like
    ``pd.qcut(values.rank(method="first"), bins)`` on facts sorted by that column);
    ``missing`` (the score of a missing fact:
    ``lowest`` = 1, ``highest`` = N, a number 1..N, or 0 = unscored, which no pattern
    digit 1..N matches); ``among`` (an optional condition: quantiles are learned among
    the customers it holds for, and the others get the ``missing`` score, e.g. rank
    recency among buyers only); ``labels`` (optional names of the scores 1..N, lowest
    first, shown in ``transform`` as ``<score>_label``).

    Examples
    --------
    >>> ScoreSpec(fact="recency_days", direction="descending").n_bins
    5
    >>> ScoreSpec(fact="monetary", method="fixed", cuts=[100, 1000]).n_bins
    3
    """

    fact: FactName
    description: str = ""
    method: Literal["quantile", "fixed"] = "quantile"
    bins: StrictInt | None = Field(default=None, ge=2, le=MAX_BINS)
    cuts: list[Annotated[Any, AfterValidator(_finite)]] | None = Field(
        default=None, min_length=1, max_length=MAX_BINS - 1
    )
    direction: Literal["ascending", "descending"] = "ascending"
    ties: Literal["average", "min", "max", "dense", "first"] = "average"
    tie_break: FactName = schema.CUSTOMER_ID
    missing: Literal["lowest", "highest"] | StrictInt = "lowest"
    among: Condition | None = None
    labels: list[Name] | None = None

    @property
    def n_bins(self) -> int:
        """Number of score values."""
        if self.method == "fixed" and self.cuts is not None:
            return len(self.cuts) + 1
        return self.bins or DEFAULT_BINS

    @property
    def missing_score(self) -> int:
        """The score given to a missing fact (0 = unscored)."""
        if self.missing == "lowest":
            return 1
        if self.missing == "highest":
            return self.n_bins
        return int(self.missing)

    @model_validator(mode="after")
    def _consistent(self) -> ScoreSpec:
        if self.method == "fixed":
            if self.cuts is None:
                raise ValueError("method 'fixed' needs 'cuts', e.g. cuts: [30, 90, 180]")
            if any(b <= a for a, b in zip(self.cuts, self.cuts[1:], strict=False)):
                raise ValueError(f"cuts must increase strictly, got {self.cuts}")
            if self.bins is not None and self.bins != len(self.cuts) + 1:
                raise ValueError(
                    f"bins={self.bins} but {len(self.cuts)} cuts make {len(self.cuts) + 1} "
                    "bins; drop 'bins' or fix it"
                )
            if "ties" in self.model_fields_set:
                raise ValueError("'ties' applies to quantile scores only; drop it")
        elif self.cuts is not None:
            raise ValueError(
                "'cuts' are for method 'fixed'; set method: fixed or drop 'cuts' to learn quantiles"
            )
        if "tie_break" in self.model_fields_set and self.ties != "first":
            raise ValueError(
                f"'tie_break' orders equal values for ties: first only, but ties is "
                f"{self.ties!r}; set ties: first or drop tie_break"
            )
        if isinstance(self.missing, bool) or (
            isinstance(self.missing, int) and not 0 <= self.missing <= self.n_bins
        ):
            raise ValueError(
                f"missing must be 'lowest', 'highest', a score 1..{self.n_bins} or 0 "
                f"(unscored), got {self.missing!r}"
            )
        if self.labels is not None and len(self.labels) != self.n_bins:
            raise ValueError(
                f"labels has {len(self.labels)} entries but the score has {self.n_bins} "
                "values; give one label per score, lowest first"
            )
        return self


class SegmentSpec(_Model):
    """One segment: a name, a description and the condition its members satisfy."""

    name: Name
    description: str = ""
    condition: Condition


class RuleSpec(_Model):
    """A parsed, validated rules document.

    Examples
    --------
    >>> spec = parse_rules({"segments": [
    ...     {"name": "active", "condition": {"fact": "recency_days", "op": "<=", "value": 90}}]})
    >>> spec.segment_names, spec.catch_all
    (('active',), 'other')
    """

    name: str = ""
    description: str = ""
    mode: Literal["priority", "tags"] = "priority"
    catch_all: Name = "other"
    params: dict[Name, Any] = Field(default_factory=dict)
    scores: dict[Name, ScoreSpec] = Field(default_factory=dict)
    codes: dict[Name, list[Name]] = Field(default_factory=dict)
    segments: list[SegmentSpec] = Field(min_length=1, max_length=MAX_SEGMENTS)

    @property
    def segment_names(self) -> tuple[str, ...]:
        """Segment names in priority order (without the catch-all)."""
        return tuple(s.name for s in self.segments)

    def code_scores(self) -> dict[str, list[str]]:
        """Score names of every code; each score is also a code of one position."""
        out = {name: [name] for name in self.scores}
        out.update({name: list(parts) for name, parts in self.codes.items()})
        return out

    def facts_by_user(self) -> dict[str, list[str]]:
        """Map each fact the rules read to the scores and segments that read it.

        Examples
        --------
        >>> spec = parse_rules({"scores": {"R": {"fact": "recency_days"}},
        ...     "segments": [{"name": "a", "condition": {"code": "R", "matches": "5"}},
        ...                  {"name": "b", "condition": {"fact": "age", "op": ">", "value": 1}}]})
        >>> spec.facts_by_user()
        {'recency_days': ['score R', 'segment a'], 'age': ['segment b']}
        """
        users: dict[str, list[str]] = {}
        code_scores = self.code_scores()
        for name, score in self.scores.items():
            users.setdefault(score.fact, []).append(f"score {name}")
            if score.ties == "first" and score.tie_break != schema.CUSTOMER_ID:
                users.setdefault(score.tie_break, []).append(f"score {name}")
            for fact in facts_read(score.among) if score.among is not None else []:
                users.setdefault(fact, [])
                if f"score {name}" not in users[fact]:
                    users[fact].append(f"score {name}")
        for segment in self.segments:
            for fact in facts_read(segment.condition):
                users.setdefault(fact, []).append(f"segment {segment.name}")
            for _, node in walk(segment.condition):
                if isinstance(node, CodeMatch):
                    for score in code_scores.get(node.code, []):
                        spec = self.scores[score]
                        among = facts_read(spec.among) if spec.among is not None else []
                        for fact in (spec.fact, *among):
                            label = f"segment {segment.name}"
                            if label not in users[fact]:
                                users[fact].append(label)
        return users

    @property
    def required_facts(self) -> tuple[str, ...]:
        """Every fact the scores and conditions read, in order of first use."""
        return tuple(self.facts_by_user())

    def conditions(self) -> list[tuple[tuple[Any, ...], str, Any]]:
        """Every condition tree with its YAML location and owner (score ``among`` first)."""
        out: list[tuple[tuple[Any, ...], str, Any]] = [
            (("scores", name, "among"), f"score {name!r}", score.among)
            for name, score in self.scores.items()
            if score.among is not None
        ]
        out.extend(
            (("segments", i, "condition"), f"segment {segment.name!r}", segment.condition)
            for i, segment in enumerate(self.segments)
        )
        return out


def parse_rules(source: Any, *, what: str = "rules document") -> RuleSpec:
    """Parse and validate a rules document.

    Parameters
    ----------
    source : str, Path, dict or RuleSpec
        A preset name (``"rfm"``, ``"rfm_textbook"``, ``"lifecycle"``, ``"value_tiers"``,
        ``"demographic"``), a path to a YAML file, YAML text, the document as a dict, or
        a parsed spec. A document ``{preset: name, params: {...}}`` is that preset with
        some of its named parameters changed (see :mod:`metaseg.rules.presets`).
    what : str
        What the document is, for messages.

    Returns
    -------
    RuleSpec

    Raises
    ------
    RuleError
        With the file, line and column of a YAML syntax error, or the YAML path of an
        invalid, unsafe or inconsistent part.

    Examples
    --------
    >>> spec = parse_rules('''
    ... segments:
    ...   - name: churned
    ...     condition: {fact: recency_days, op: ">", value: 365}
    ... ''')
    >>> spec.segments[0].condition.op
    '>'
    >>> spec = parse_rules({"preset": "lifecycle", "params": {"hesitant_cart_min_days": 0}})
    >>> spec.params["hesitant_cart_min_days"], spec.params["hesitant_cart_max_days"]
    (0, 30)
    """
    if isinstance(source, RuleSpec):
        check_references(source)
        return source
    document = _load(source, what)
    if not isinstance(document, dict):
        hint = f" Presets: {available(PRESET_NAMES)}." if isinstance(document, str) else ""
        raise RuleError(
            f"{what} must be a mapping with a 'segments' list, got "
            f"{type(document).__name__} {short_repr(document)}.{hint}"
        )
    check_document(document)
    if "preset" in document:
        document = expand_preset(document, lambda path: _load(path, f"preset {path.stem!r}"))
    document = resolve_params(document)
    try:
        spec = RuleSpec.model_validate(document)
    except ValidationError as exc:
        raise RuleError(str(config_error_from_pydantic(Untagged(exc), what=what))) from None
    check_references(spec)
    return spec


def _load(source: Any, what: str) -> Any:
    if isinstance(source, dict):
        return source
    if isinstance(source, str) and source in PRESET_NAMES:
        source = preset_path(source)
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml"))
    ):
        path = Path(source)
        if path.is_file():
            check_text_size(path.stat().st_size, f"file {str(path)!r}")
    elif isinstance(source, str):
        check_text_size(len(source), "text")
    else:
        raise RuleError(
            f"{what} must be a preset name, a path to a YAML file, YAML text, a dict or a "
            f"RuleSpec, got {type(source).__name__}."
        )
    try:
        return load_yaml(source, what=what)
    except ConfigError as exc:
        raise RuleError(str(exc)) from None
    except RecursionError:
        raise RuleError(
            f"{what} is nested too deeply to read; flatten the conditions (one 'all' list "
            "instead of nested blocks)."
        ) from None


def check_references(spec: RuleSpec) -> None:
    """Check names and cross-references that pydantic cannot see on its own.

    Segment names are unique and differ from the catch-all; score and code names do not
    clash with each other, segments or output columns; codes name existing scores;
    ``{code: ...}`` conditions name an existing code or score, with patterns of the
    code's length whose digits are possible scores; conditions are at most
    :data:`~metaseg.rules.limits.MAX_CONDITION_DEPTH` levels deep.

    Raises
    ------
    RuleError
        Naming the YAML path of the first problem.
    """
    seen: dict[str, int] = {}
    for i, segment in enumerate(spec.segments):
        if segment.name in seen:
            raise RuleError(
                f"rules segments[{i}].name: segment {segment.name!r} is defined twice "
                f"(also segments[{seen[segment.name]}]); give each segment its own name."
            )
        seen[segment.name] = i
        if segment.name == spec.catch_all:
            raise RuleError(
                f"rules segments[{i}].name: {segment.name!r} is also the catch-all name; "
                "rename the segment or set catch_all to another name."
            )
    taken = {**dict.fromkeys(spec.segment_names, "a segment"), spec.catch_all: "the catch-all"}
    taken.update(dict.fromkeys(RESERVED_NAMES, "an output column"))
    for name in spec.scores:
        if name in taken:
            raise RuleError(
                f"rules scores.{name}: the name is already {taken[name]}; rename the score."
            )
    for name, parts in spec.codes.items():
        where = f"rules codes.{name}"
        if name in taken or name in spec.scores:
            what = taken.get(name, "a score")
            raise RuleError(f"{where}: the name is already {what}; rename the code.")
        if not 1 <= len(parts) <= MAX_CODE_LENGTH:
            raise RuleError(
                f"{where}: a code joins 1 to {MAX_CODE_LENGTH} scores, got {len(parts)}."
            )
        for j, part in enumerate(parts):
            if part not in spec.scores:
                raise RuleError(
                    f"{where}[{j}]: score {part!r} is not defined.{did_you_mean(part, spec.scores)}"
                    f" Defined scores: {available(spec.scores)}."
                )
    code_scores = spec.code_scores()
    for base, owner, condition in spec.conditions():
        if depth(condition) > MAX_CONDITION_DEPTH:
            raise RuleError(
                f"rules {format_location(base)}: {owner} nests all/any/not more than "
                f"{MAX_CONDITION_DEPTH} levels deep (metaseg.rules.limits.MAX_CONDITION_DEPTH); "
                "flatten the condition."
            )
        for loc, node in walk(condition):
            if not isinstance(node, CodeMatch):
                continue
            if base[0] == "scores":
                raise RuleError(
                    f"rules {format_location((*base, *loc))}: {owner} uses a code in "
                    "'among', but scores are computed before codes; use fact conditions."
                )
            _check_code_match(spec, code_scores, node, (*base, *loc), owner)


def _check_code_match(
    spec: RuleSpec,
    code_scores: dict[str, list[str]],
    node: CodeMatch,
    loc: tuple[Any, ...],
    owner: str,
) -> None:
    where = f"rules {format_location((*loc, 'code'))} ({owner})"
    if node.code not in code_scores:
        raise RuleError(
            f"{where}: code {node.code!r} is not defined.{did_you_mean(node.code, code_scores)}"
            f" Defined codes and scores: {available(code_scores)}. Define it under 'codes' "
            "or 'scores'."
        )
    parts = code_scores[node.code]
    where = f"rules {format_location((*loc, 'matches'))} ({owner})"
    for pattern in node.patterns:
        if len(pattern) != len(parts):
            raise RuleError(
                f"{where}: pattern {pattern.text!r} has {len(pattern)} position(s) but code "
                f"{node.code!r} joins {len(parts)} score(s) {parts}; write one digit or "
                "[class] per score."
            )
        for position, (allowed, score) in enumerate(zip(pattern.positions, parts, strict=True)):
            n_bins = spec.scores[score].n_bins
            lowest = 0 if spec.scores[score].missing_score == 0 else 1
            impossible = sorted(d for d in allowed if not lowest <= d <= n_bins)
            if impossible:
                raise RuleError(
                    f"{where}: pattern {pattern.text!r} position {position + 1} allows "
                    f"{impossible}, but score {score!r} only takes {lowest}..{n_bins}."
                )
