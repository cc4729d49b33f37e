"""Choosing an export sink from a path or URI, and showing targets without secrets.

Supported targets:

- ``labels.csv``, ``labels.parquet`` or ``file:///abs/labels.parquet``: a file.
- ``sqlite:///labels.db?table=segment_labels`` and ``postgresql://user@host/db?table=...``:
  a SQL table (default table ``metaseg_labels``); plain ``postgresql://`` uses the
  psycopg 3 driver. Query options are parsed strictly: SQLite takes only ``table``
  (SQLite URI options such as ``uri``, ``mode`` or ``vfs`` would open another database
  than the file named), PostgreSQL takes ``table`` and the libpq connection settings of
  :data:`POSTGRESQL_OPTIONS`; any other option is refused, not ignored.
- ``https://...``: a webhook. Plain ``http://`` is accepted only for ``localhost``,
  ``127.0.0.1`` and ``::1`` (test receivers), so labels never cross a network unencrypted.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit
from urllib.request import url2pathname

from metaseg._messages import did_you_mean
from metaseg.exceptions import ConfigError

DEFAULT_TABLE = "metaseg_labels"
FILE_FORMATS: dict[str, Literal["csv", "parquet"]] = {".csv": "csv", ".parquet": "parquet"}
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_SQL_SCHEMES = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "postgresql+psycopg": "postgresql",
}
#: Query options a SQLite target accepts.
SQLITE_OPTIONS: tuple[str, ...] = ("table",)
#: Query options a PostgreSQL target accepts: ``table`` and libpq connection settings
#: that change how to connect, not which database or schema the labels land in.
POSTGRESQL_OPTIONS: tuple[str, ...] = (
    "table",
    "host",
    "port",
    "application_name",
    "channel_binding",
    "client_encoding",
    "connect_timeout",
    "gssencmode",
    "keepalives",
    "keepalives_count",
    "keepalives_idle",
    "keepalives_interval",
    "krbsrvname",
    "load_balance_hosts",
    "passfile",
    "require_auth",
    "requirepeer",
    "ssl_max_protocol_version",
    "ssl_min_protocol_version",
    "sslcert",
    "sslcertmode",
    "sslcompression",
    "sslcrl",
    "sslcrldir",
    "sslkey",
    "sslmode",
    "sslpassword",
    "sslrootcert",
    "sslsni",
    "target_session_attrs",
    "tcp_user_timeout",
)
_SENSITIVE_KEY = re.compile(r"pass|pwd|secret|token|key|sig|auth|cred", re.IGNORECASE)
_SUPPORTED = (
    "a .csv or .parquet path (or file:// URI), a sqlite:///path.db or "
    "postgresql://user@host/db URL (optionally ?table=name), or an https:// webhook URL"
)

Kind = Literal["file", "sql", "webhook"]


@dataclass(frozen=True)
class Target:
    """Where labels go.

    Attributes
    ----------
    kind : {"file", "sql", "webhook"}
        The sink.
    display : str
        The target for messages and logs, with passwords, query values and webhook
        paths hidden.
    url : str
        The full target as given (may hold credentials; never shown by ``repr``).
    path : Path, optional
        The file, for file targets.
    file_format : {"csv", "parquet"}, optional
        The file format, for file targets.
    table : str, optional
        The table name, for SQL targets.
    engine_url : str, optional
        The SQLAlchemy URL (driver set, ``table`` removed), for SQL targets.
    """

    kind: Kind
    display: str
    url: str = field(repr=False)
    path: Path | None = None
    file_format: Literal["csv", "parquet"] | None = None
    table: str | None = None
    engine_url: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.display


def fingerprint(text: str) -> str:
    """Return a short, stable, non-reversible id of a target (8 hex digits).

    Examples
    --------
    >>> len(fingerprint("https://crm.example.com/hooks/abc"))
    8
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def redact_url(url: str) -> str:
    """Hide the password and the values of secret-looking query parameters of a URL.

    Examples
    --------
    >>> redact_url("postgresql://bob:pw@db:5432/crm?table=t&sslpassword=x")
    'postgresql://bob:***@db:5432/crm?table=t&sslpassword=***'
    >>> redact_url("sqlite:////tmp/labels.db?table=t")
    'sqlite:////tmp/labels.db?table=t'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}{':***' if sep else ''}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if _SENSITIVE_KEY.search(k) else v) for k, v in pairs], safe="*/:"
        )
    if not netloc and url.startswith(f"{parts.scheme}://"):
        # urlunsplit drops an empty authority: sqlite:///abs.db would read sqlite:/abs.db
        shown = f"{parts.scheme}://{parts.path}"
        shown += f"?{query}" if query else ""
        return shown + (f"#{parts.fragment}" if parts.fragment else "")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _file_target(path: Path, original: str) -> Target:
    suffix = path.suffix.lower()
    if suffix not in FILE_FORMATS:
        raise ConfigError(
            f"export target {original!r} has an unsupported file type {suffix or '(none)'!r}; "
            f"use {_SUPPORTED}."
        )
    return Target(
        kind="file", display=str(path), url=original, path=path, file_format=FILE_FORMATS[suffix]
    )


def _parse_file_uri(text: str) -> Target:
    parts = urlsplit(text)
    if parts.netloc not in ("", "localhost"):
        raise ConfigError(
            f"export target {text!r} names host {parts.netloc!r}; file:// URIs must be local "
            "(file:///absolute/path.csv)."
        )
    if parts.query or parts.fragment:
        extra = f"?{parts.query}" if parts.query else f"#{parts.fragment}"
        raise ConfigError(
            f"export target {redact_url(text)!r} has {extra!r} after the path; file targets "
            "take no options. Fix: give the file alone, e.g. file:///abs/labels.parquet "
            "(write a '?' or '#' in a file name as %3F or %23)."
        )
    return _file_target(Path(url2pathname(unquote(parts.path))), text)


def _check_sql_options(text: str, dialect: str) -> None:
    """Refuse query options a SQL target does not know, and options given twice.

    Parameters
    ----------
    text : str
        The target as given.
    dialect : {"sqlite", "postgresql"}
        Which option list applies.

    Raises
    ------
    ConfigError
        Naming the option, showing its value (hidden when it looks secret) and listing
        the known options.

    Examples
    --------
    >>> _check_sql_options("sqlite:///x.db?table=t", "sqlite")
    >>> _check_sql_options("sqlite:///x.db?table=t&mode=ro", "sqlite")
    Traceback (most recent call last):
    ...
    metaseg.exceptions.ConfigError: export target 'sqlite:///x.db?table=t&mode=ro' has unknown option 'mode' (value 'ro'); a sqlite target knows only ['table']. SQLite URI options (uri, mode, vfs, cache, immutable, ...) would open another database than the file named, so metaseg refuses them. Fix: remove 'mode=ro' from the target, e.g. sqlite:///labels.db?table=segment_labels.
    """
    known = SQLITE_OPTIONS if dialect == "sqlite" else POSTGRESQL_OPTIONS
    query = urlsplit(text).query
    pairs = parse_qsl(query, keep_blank_values=True) if query else []
    if query and not pairs:
        raise ConfigError(
            f"export target {redact_url(text)!r} has a query {query!r} that is not "
            f"name=value options; a {dialect} target knows only {list(known)}. Fix: write "
            "options as ?table=segment_labels."
        )
    seen: set[str] = set()
    for name, value in pairs:
        shown = "***" if _SENSITIVE_KEY.search(name) else value
        if name not in known:
            why = (
                " SQLite URI options (uri, mode, vfs, cache, immutable, ...) would open "
                "another database than the file named, so metaseg refuses them."
                if dialect == "sqlite"
                else ""
            )
            example = (
                "sqlite:///labels.db?table=segment_labels"
                if dialect == "sqlite"
                else "postgresql://user@host/db?table=segment_labels&sslmode=require"
            )
            raise ConfigError(
                f"export target {redact_url(text)!r} has unknown option {name!r} (value "
                f"{shown!r}); a {dialect} target knows only {list(known)}.{why}{did_you_mean(name, known)} "
                f"Fix: remove '{name}={shown}' from the target, e.g. {example}."
            )
        if name in seen:
            raise ConfigError(
                f"export target {redact_url(text)!r} gives option {name!r} more than once "
                f"(last value {shown!r}); give it once."
            )
        seen.add(name)


def _parse_sql(text: str) -> Target:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(
            f"export target {redact_url(text)!r} is not a valid database URL ({exc}); "
            "write it like sqlite:///labels.db or postgresql://user@host:5432/db."
        ) from None
    dialect = _SQL_SCHEMES.get(url.drivername)
    if dialect is None:
        raise ConfigError(
            f"export target {redact_url(text)!r} uses driver {url.drivername!r}; metaseg "
            "writes SQL labels through 'sqlite' or 'postgresql' (psycopg 3). Use "
            "sqlite:///path.db or postgresql://user@host/db."
        )
    _check_sql_options(text, dialect)
    raw = [v for k, v in parse_qsl(urlsplit(text).query, keep_blank_values=True) if k == "table"]
    tables = url.query.get("table", DEFAULT_TABLE) if all(raw) else ""
    if isinstance(tables, tuple):
        raise ConfigError(
            f"export target {redact_url(text)!r} gives 'table' {len(tables)} times; give it once."
        )
    table = str(tables)
    if not _IDENTIFIER.fullmatch(table):
        raise ConfigError(
            f"table name {table!r} in export target {redact_url(text)!r} is not a plain SQL "
            "identifier; use letters, digits and '_' (not starting with a digit, at most "
            "63 characters), e.g. ?table=segment_labels."
        )
    url = url.difference_update_query(["table"])
    if dialect == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    elif not url.database or url.database == ":memory:":
        raise ConfigError(
            f"export target {text!r} is an in-memory SQLite database, which is lost when "
            "the export ends; give a file: sqlite:///labels.db."
        )
    display = url.render_as_string(hide_password=True)
    display = redact_url(display.replace("postgresql+psycopg://", "postgresql://", 1))
    return Target(
        kind="sql",
        display=f"{display} table {table}",
        url=text,
        table=table,
        engine_url=url.render_as_string(hide_password=False),
    )


def _parse_webhook(text: str) -> Target:
    parts = urlsplit(text)
    host = parts.hostname
    if not host:
        raise ConfigError("webhook target has no host; write it like https://crm.example.com/hook.")
    if parts.scheme == "http" and host not in LOCAL_HOSTS:
        raise ConfigError(
            f"webhook target http://{host}/... is not encrypted; use https:// (plain http:// "
            f"is only allowed for {sorted(LOCAL_HOSTS)})."
        )
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"webhook target for host {host!r} has an invalid port.") from None
    shown_host = f"[{host}]" if ":" in host else host
    netloc = f"{shown_host}:{port}" if port else shown_host
    display = f"{parts.scheme}://{netloc}/... (webhook {fingerprint(text)})"
    return Target(kind="webhook", display=display, url=text)


def parse_target(to: str | os.PathLike[str]) -> Target:
    """Turn a path or URI into a :class:`Target`.

    Parameters
    ----------
    to : str or PathLike
        See the module documentation for the accepted forms.

    Returns
    -------
    Target

    Raises
    ------
    ConfigError
        For an unknown scheme or file type, a bad table name, a non-local ``file://``
        host or a plain ``http://`` URL to a non-local host.

    Examples
    --------
    >>> parse_target("out/labels.parquet").file_format
    'parquet'
    >>> parse_target("sqlite:///crm.db?table=segment_labels").table
    'segment_labels'
    >>> parse_target("https://crm.example.com/hooks/T0/B1").display.startswith(
    ...     "https://crm.example.com/... (webhook ")
    True
    """
    if isinstance(to, os.PathLike):
        return _file_target(Path(to), os.fspath(to))
    if not isinstance(to, str) or not to.strip():
        raise ConfigError(f"export target must be a non-empty path or URI ({_SUPPORTED}).")
    text = to.strip()
    if "://" not in text:
        if text.split(":", 1)[0].lower() in _SQL_SCHEMES:
            return _parse_sql(text)
        return _file_target(Path(text), text)
    scheme = text.split("://", 1)[0].lower()
    if scheme == "file":
        return _parse_file_uri(text)
    if scheme in _SQL_SCHEMES or scheme.startswith(("postgresql+", "sqlite+")):
        return _parse_sql(text)
    if scheme in ("http", "https"):
        return _parse_webhook(text)
    raise ConfigError(f"export target scheme {scheme!r} is not supported; use {_SUPPORTED}.")
