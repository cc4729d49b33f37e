"""Reading YAML documents safely, with errors that give the file, line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from metaseg.exceptions import ConfigError


def load_yaml(source: str | Path, *, what: str = "configuration") -> Any:
    """Parse a YAML file or text with ``yaml.safe_load`` (no object construction).

    Parameters
    ----------
    source : str or Path
        A path to a ``.yaml``/``.yml`` file, or YAML text.
    what : str
        What the document is, for error messages.

    Raises
    ------
    ConfigError
        If the file does not exist or the YAML is malformed; the message gives the
        file, line and column of the mistake.

    Examples
    --------
    >>> load_yaml("a: 1")
    {'a': 1}
    """
    path: Path | None = None
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml"))
    ):
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"{what} file {str(path)!r} does not exist; check the path.")
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
    where = str(path) if path is not None else "<text>"
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        pos = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ConfigError(
            f"{what} {where} is not valid YAML at {pos}: {exc.problem}. "
            "Fix the syntax there (indentation, a missing ':' or an unclosed quote)."
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {where} is not valid YAML: {exc}") from None


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


def config_error_from_pydantic(exc: Any, *, what: str = "configuration") -> ConfigError:
    """Convert a ``pydantic.ValidationError`` into one readable :class:`ConfigError`."""
    lines = [f"{what} is invalid ({exc.error_count()} problem(s)):"]
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        value = err.get("input")
        shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
        if len(shown) > 80:
            shown = shown[:77] + "..."
        lines.append(f"  - {format_location(loc)}: {err['msg']} (got {shown})")
    return ConfigError("\n".join(lines))
