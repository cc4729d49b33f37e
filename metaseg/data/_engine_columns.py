"""SQL expressions that read one source column into a standard one (the DuckDB read path).

Each function takes the quoted source column (braces doubled, see :func:`braces`) and its DuckDB type and returns SQL text
made of that identifier, constants of metaseg (patterns, type names) and references to
the bound parameters table (``{params}``), never a user's value. They return ``None``
when the type is one the SQL path does not read the way the pandas path does; the
caller then reads the file with pandas.
"""

from __future__ import annotations

from metaseg.data._columns import _INTEGRAL_TEXT

#: Texts DuckDB's CSV reader reads as missing: pyarrow's defaults, so both paths agree.
CSV_NULLS = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
    "1.#QNAN", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null",
)  # fmt: skip

#: ISO 8601 date-times without an offset: the texts pandas and DuckDB read alike.
ISO_TEXT = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?"


def braces(text: str) -> str:
    """Text put into a query template (``str.format``) with its braces kept as they are."""
    return text.replace("{", "{{").replace("}", "}}")


_ISO_SQL = braces(ISO_TEXT)
_INTEGRAL_SQL = braces(_INTEGRAL_TEXT)
_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}
_FLOATS = {"FLOAT", "DOUBLE"}
_NAIVE = {"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"}


def stripped(column: str) -> str:
    """A text without surrounding white space, as Python's ``str.strip`` leaves it."""
    return f"regexp_replace({column}, '^\\s+|\\s+$', '', 'g')"


def is_number(sql_type: str) -> bool:
    """Whether DuckDB reads the type as a number pandas also reads as one."""
    return sql_type in _INTEGERS | _FLOATS or sql_type.startswith("DECIMAL")


def id_present(column: str, sql_type: str) -> str | None:
    """Rows with an id: not null, not NaN, not blank text."""
    if sql_type == "VARCHAR":
        return f"({column} IS NOT NULL AND NOT regexp_full_match({column}, '\\s*'))"
    if sql_type in _INTEGERS:
        return f"({column} IS NOT NULL)"
    if sql_type in _FLOATS:
        return f"coalesce(isfinite({column}) OR isinf({column}), false)"
    return None


def id_integral(column: str, sql_type: str) -> str:
    """Whether an id (present) reads as an integer (:func:`~metaseg.data._columns.standard_ids`)."""
    if sql_type == "VARCHAR":
        return f"regexp_full_match({column}, '{_INTEGRAL_SQL}')"
    if sql_type in _FLOATS:
        return f"coalesce({column} = trunc({column}) AND abs({column}) < 9.2e18, false)"
    return "true"


def id_standard(column: str, sql_type: str, *, integral: bool) -> str:
    """The id as BIGINT when every id is integral, else as it is (text)."""
    if not integral:
        return column
    if sql_type == "VARCHAR":
        return f"CAST(regexp_replace({column}, '\\.0+$', '') AS BIGINT)"
    return f"CAST({column} AS BIGINT)"


def local_time(column: str, sql_type: str) -> str | None:
    """A naive timestamp column or an ISO text as TIMESTAMP (NULL when unparseable)."""
    if sql_type in _NAIVE:
        return f"CAST({column} AS TIMESTAMP)"
    if sql_type == "VARCHAR":
        text = stripped(column)
        parsed = f"TRY_CAST({text} AS TIMESTAMP)"
        return f"CASE WHEN regexp_full_match({text}, '{_ISO_SQL}') THEN {parsed} END"
    return None


def utc_time(column: str, sql_type: str) -> str | None:
    """A timestamp column as TIMESTAMPTZ; naive values are read in ``{params}.p_zone``."""
    if sql_type.startswith("TIMESTAMPTZ") or sql_type.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"CAST({column} AS TIMESTAMPTZ)"
    local = local_time(column, sql_type)
    if local is None:
        return None
    return f"timezone((SELECT p_zone FROM {{params}}), {local})"


def shifted_by_clock_change(column: str, sql_type: str) -> str | None:
    """Naive times a daylight-saving change skips or repeats in ``{params}.p_zone``.

    A skipped time does not come back from UTC as itself; a repeated one also comes
    back from an instant an hour (or half an hour) away.
    """
    local = local_time(column, sql_type)
    if local is None:
        return None
    zone = "(SELECT p_zone FROM {params})"
    utc = f"timezone({zone}, {local})"
    back = [f"timezone({zone}, {utc}) <> {local}"]
    for minutes in (30, 60):
        for sign in ("-", "+"):
            back.append(f"timezone({zone}, {utc} {sign} INTERVAL {minutes} MINUTE) = {local}")
    return f"coalesce({' OR '.join(back)}, false)"


def odd_time_texts(column: str, sql_type: str) -> str:
    """Texts that are not ISO date-times but that pandas might still read as times.

    A text with a digit, or ``now``/``today``, could be a date in another format; the
    SQL path reads only ISO texts, so such texts send the file to pandas. Texts without
    a digit (``"soon"``, ``"n/a"``) are unparseable either way.
    """
    if sql_type != "VARCHAR":
        return "false"
    text = stripped(column)
    return (
        f"({column} IS NOT NULL AND NOT regexp_full_match({text}, '{_ISO_SQL}') AND "
        f"(regexp_matches({column}, '[0-9]') OR lower({text}) IN ('now', 'today')))"
    )


def number(column: str, sql_type: str) -> tuple[str, str] | None:
    """A numeric column as DOUBLE, and the mask of present values that are not numbers."""
    if is_number(sql_type):
        return f"CAST({column} AS DOUBLE)", "false"
    if sql_type == "VARCHAR":
        value = f"TRY_CAST({column} AS DOUBLE)"
        present = f"({column} IS NOT NULL AND NOT regexp_full_match({column}, '\\s*'))"
        return value, f"({present} AND {value} IS NULL)"
    return None
