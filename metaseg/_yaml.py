"""Reading YAML documents safely, with errors that give the file, line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

from metaseg.exceptions import ConfigError

#: Characters in a YAML text, or bytes in a YAML file, read at most (1,000,000).
MAX_YAML_CHARS = 1_000_000
#: Nested mappings and lists a document may hold, counted from its top (64).
MAX_YAML_NESTING = 64

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key repeated in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            try:
                earlier = first.get(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if earlier is None:
                first[key] = line
                continue
            lines = f"lines {earlier} and {line}" if earlier != line else f"both on line {line}"
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key {key!r} appears twice in one mapping ({lines}); keep one of them, "
                "the second would silently replace the first",
                key_node.start_mark,
            )
        return super().construct_mapping(node, deep=deep)


def load_yaml(
    source: str | Path, *, what: str = "configuration", max_chars: int = MAX_YAML_CHARS
) -> Any:
    """Parse a YAML file or text with a safe loader (no object construction).

    A key repeated in one mapping is refused (YAML would keep the last one silently),
    and so are texts longer than ``max_chars`` and documents nested more than
    :data:`MAX_YAML_NESTING` levels deep.

    Parameters
    ----------
    source : str or Path
        A path to a ``.yaml``/``.yml`` file, or YAML text.
    what : str
        What the document is, for error messages.
    max_chars : int
        Longest text (characters) or file (bytes) read.

    Raises
    ------
    ConfigError
        If the file does not exist, is too large, or the YAML is malformed, repeats a
        key or is nested too deeply; the message gives the file, line and column of
        the mistake.

    Examples
    --------
    >>> load_yaml("a: 1")
    {'a': 1}
    >>> load_yaml("{a: 1, b: 2, a: 3}")
    Traceback (most recent call last):
    ...
    metaseg.exceptions.ConfigError: configuration <text> is not valid YAML at line 1, column 14: key 'a' appears twice in one mapping (both on line 1); keep one of them, the second would silently replace the first.
    """
    path: Path | None = None
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml"))
    ):
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"{what} file {str(path)!r} does not exist; check the path.")
        _check_size(path.stat().st_size, f"file {str(path)!r}", what, max_chars, "bytes")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{what} file {str(path)!r} is not UTF-8 text (byte {exc.start}); save it as UTF-8."
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"{what} file {str(path)!r} cannot be read: {exc.strerror}."
            ) from None
    else:
        text = str(source)
        _check_size(len(text), "text", what, max_chars, "characters")
    where = str(path) if path is not None else "<text>"
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        pos = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ConfigError(f"{what} {where} is not valid YAML at {pos}: {exc.problem}.") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        pos = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ConfigError(
            f"{what} {where} is not valid YAML at {pos}: {exc.problem}. "
            "Fix the syntax there (indentation, a missing ':' or an unclosed quote)."
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {where} is not valid YAML: {exc}") from None
    except RecursionError:
        raise _too_deep(f"{what} {where}", None) from None
    check_nesting(document, what=f"{what} {where}")
    return document


def _check_size(size: int, where: str, what: str, limit: int, unit: str) -> None:
    if size > limit:
        raise ConfigError(
            f"{what} {where} has {size:,} {unit}, more than the limit of {limit:,} "
            f"(metaseg._yaml.MAX_YAML_CHARS); a {what} this large is almost certainly a "
            "mistake (a data file given as YAML?): check the path, or shorten it."
        )


def _too_deep(what: str, loc: tuple[Any, ...] | None) -> ConfigError:
    at = ""
    if loc:
        at = f" at {format_location(loc[:6])}" + ("..." if len(loc) > 6 else "")
    return ConfigError(
        f"{what} is nested too deeply{at}: more than {MAX_YAML_NESTING} levels "
        "(metaseg._yaml.MAX_YAML_NESTING). No setting needs this many; check the "
        "indentation, or flatten it."
    )


def check_nesting(document: Any, *, what: str = "configuration") -> None:
    """Refuse a parsed document nested more than :data:`MAX_YAML_NESTING` levels deep.

    The walk is iterative, so a deep document cannot exhaust the stack; YAML aliases
    are visited once.

    Parameters
    ----------
    document : object
        The parsed YAML (or a dict written in Python).
    what : str
        What the document is, for error messages.

    Raises
    ------
    ConfigError
        Giving the YAML path where the limit is passed.

    Examples
    --------
    >>> check_nesting({"gates": {"min_sub_segment_size": 10}})
    """
    stack: list[tuple[Any, tuple[Any, ...]]] = [(document, ())]
    seen: set[int] = set()
    while stack:
        node, loc = stack.pop()
        if not isinstance(node, dict | list | tuple) or id(node) in seen:
            continue
        seen.add(id(node))
        if len(loc) >= MAX_YAML_NESTING:
            raise _too_deep(what, loc[:MAX_YAML_NESTING])
        items = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((value, (*loc, key)) for key, value in items)


def format_location(loc: tuple[Any, ...]) -> str:
    """Turn a pydantic error location into a YAML path such as ``segments[3].condition.op``.

    Examples
    --------
    >>> format_location(("segments", 3, "condition", "all", 1, "op"))
    'segments[3].condition.all[1].op'
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<root>"


#: Location parts that are not in the YAML: validator wrappers, and the tags of tagged
#: unions whose tag starts with :data:`UNION_TAG` (such as ``tag:all``).
UNION_TAG: Final = "tag:"
_HIDDEN_LOCATIONS: Final = ("function-", UNION_TAG)


def config_error_from_pydantic(exc: Any, *, what: str = "configuration") -> ConfigError:
    """Convert a ``pydantic.ValidationError`` into one readable :class:`ConfigError`."""
    lines = [f"{what} is invalid ({exc.error_count()} problem(s)):"]
    for err in exc.errors(include_url=False):
        loc = tuple(
            p for p in err["loc"] if not (isinstance(p, str) and p.startswith(_HIDDEN_LOCATIONS))
        )
        value = err.get("input")
        shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
        if len(shown) > 80:
            shown = shown[:77] + "..."
        lines.append(f"  - {format_location(loc)}: {err['msg']} (got {shown})")
    return ConfigError("\n".join(lines))
