"""The database's faults as one line: `faults()` is the tuple of error classes a database can raise
(sqlite3's, and psycopg's when it is installed), for `except faults():`; `pg_error` turns a psycopg error
into a DigestError that names what went wrong and where (host:port/database, never the password), so a
PostgreSQL that is down, a database or role that does not exist, or a wrong password is one `Error:` line.
May import: errors.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from typing import Any

from ..errors import DigestError

CREATE = "CREATE DATABASE {db} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
# (a piece of libpq's message, what we say after "PostgreSQL at WHERE", the fix)
UNREACHABLE = (
    ("connection refused", "connection refused", "Check that the server is running and that DIGEST_DB names its host and port."),
    ("timeout expired", "no answer (the connection timed out)", "Check the host and port in DIGEST_DB, and any firewall between."),
    ("timed out", "no answer (the connection timed out)", "Check the host and port in DIGEST_DB, and any firewall between."),
    ("failed to resolve host", "the host name is not known", "Check the host name in DIGEST_DB."),
    ("could not translate host name", "the host name is not known", "Check the host name in DIGEST_DB."),
    ("no route to host", "no route to the host", "Check the host in DIGEST_DB and the network."),
    ("no such file or directory", "no server socket there", "Check that the server is running, or give a host in DIGEST_DB."),
)
LOST = ("the connection is closed", "server closed the connection", "terminating connection", "connection lost",
        "consuming input failed", "sending query failed")


@functools.cache
def faults() -> tuple[type[Exception], ...]:
    """Every error class a database of ours raises, for `except faults():`."""
    try:
        import psycopg
    except ImportError:
        return (sqlite3.Error,)
    return (sqlite3.Error, psycopg.Error)


def where(url: str | None = None, pgconn: Any = None) -> str:
    """host:port/database of a psycopg connection (the one a failed connect tried) or of a URL."""
    if pgconn is not None:
        host, port, db = (b.decode(errors="replace") if isinstance(b, bytes) else str(b or "")
                          for b in (pgconn.host, pgconn.port, pgconn.db))
    elif url:
        try:
            from psycopg.conninfo import conninfo_to_dict
            info = conninfo_to_dict(url)
        except Exception:     # not a URL psycopg can read: say it as given, without a password
            return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", url)
        host, port, db = (str(info.get(k) or "") for k in ("host", "port", "dbname"))
    else:
        return "(DIGEST_DB)"
    return f"{host or 'localhost'}:{port or 5432}/{db or '(default database)'}"


def _first_line(text: str) -> str:
    """libpq's text without its prefixes ("connection failed: connection to server at ... failed: FATAL:")."""
    text = text.strip().splitlines()[0] if text.strip() else "unknown error"
    text = re.sub(r'^connection failed:\s*', "", text)
    text = re.sub(r'^connection to server (at|on) .*? failed:\s*', "", text)
    text = re.sub(r'^(FATAL|ERROR):\s*', "", text)
    return " ".join(text.split()).rstrip(".")


def pg_error(exc: BaseException, url: str | None = None) -> DigestError:
    """One line for a psycopg error: what went wrong and on which server and database."""
    at = where(url if url else None, None if url else getattr(exc, "pgconn", None))
    text = _first_line(str(exc))
    low = str(exc).lower()
    for piece, said, fix in UNREACHABLE:
        if piece in low:
            return DigestError(f"Cannot reach PostgreSQL at {at}: {said}.", fix)
    db = at.rpartition("/")[2]
    if re.search(r'database ".*" does not exist', low):
        return DigestError(f"PostgreSQL at {at}: {text}.", f"Create it first: {CREATE.format(db=db)}; or fix DIGEST_DB.")
    if re.search(r'role ".*" does not exist', low):
        return DigestError(f"PostgreSQL at {at}: {text}.", "Check the user name in DIGEST_DB, or create that role.")
    if "password" in low:
        return DigestError(f"PostgreSQL at {at} refused the login: {text}.",
                           "Check the user and password in DIGEST_DB (postgresql://user:password@host/db) or ~/.pgpass.")
    if any(p in low for p in LOST):
        return DigestError(f"Lost the connection to PostgreSQL at {at}: {text}; the step that failed wrote nothing.",
                           "Check that the server is up, then run the command again.")
    return DigestError(f"PostgreSQL at {at}: {text}.", "Run again with -v for the details.")
