"""What went wrong with the database file itself, said with its fix: a missing folder, a folder, a
file that is not SQLite, a read-only or full disk, a damaged file, a lock held too long.

The CLI prints each as one `Error:` line. A statement that fails this way was inside a
transaction that SQLite rolled back, so the database holds what the last completed step wrote.
May import: errors, and .pg_errors.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ..errors import DigestError, NotFound
from .pg_errors import pg_error


def check_path(path: Path, *, create: bool) -> None:
    """The mistakes in DIGEST_DB that sqlite3 reports only as "unable to open database file"."""
    try:
        path.stat()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise DigestError(f"Cannot open database {path}: {exc.strerror}.",
                          "Check that you may read and write the file and its folders.") from None
    if path.is_dir():
        raise DigestError(f"Database {path} is a folder, not a database file.",
                          f"Set DIGEST_DB (or `db` in digest.toml) to a file, e.g. {path / 'digest.db'}.")
    if not path.exists():
        if not path.parent.is_dir():
            raise DigestError(f"Database {path} cannot be {'created' if create else 'found'}: the folder "
                              f"{path.parent} does not exist.",
                              "Create the folder first, or set DIGEST_DB to a path in an existing folder.")
        if not create:
            raise NotFound(f"Database {path} does not exist.", "Run `digest init` first.")


def database_error(exc: BaseException, path: str) -> DigestError:
    """One sentence for a fault of the database file (the CLI prints it as one `Error:` line); a
    PostgreSQL fault is said by digest.db.pg_errors."""
    if not isinstance(exc, sqlite3.Error):
        return pg_error(exc, path)
    code = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    folder = Path(path).resolve().parent
    if code.startswith("SQLITE_READONLY") or "readonly database" in text:
        return DigestError(f"Database {path} is read-only ({text}); nothing was changed.",
                           f"digest needs to write the file and the -wal and -shm files beside it in {folder}: "
                           "check the permissions, or that the disk is not mounted read-only.")
    if code == "SQLITE_FULL" or "disk is full" in text:
        return DigestError(f"Database {path}: the disk is full ({text}); the step that failed wrote nothing.",
                           f"Free space on the disk that holds {folder}, then run the command again.")
    if code in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or "not a database" in text or "malformed" in text:
        return DigestError(f"Database {path} is not a digest database, or it is damaged ({text}).",
                           "Check DIGEST_DB; restore a backup, or try `sqlite3 FILE .recover` on a copy.")
    if code == "SQLITE_CANTOPEN" or "unable to open" in text:
        if _read_only_folder(folder):
            return DigestError(f"Cannot open database {path}: the file system of {folder} is read-only ({text}).",
                               "digest writes the -wal and -shm files beside the database: move it to a "
                               "writable disk.")
        return DigestError(f"Cannot open database {path} ({text}).",
                           f"Check that {folder} exists and that you may read and write in it.")
    if code == "SQLITE_BUSY" or "locked" in text:
        return DigestError(f"Database {path} is locked by another process ({text}); nothing was changed.",
                           "Wait for the other digest command to finish and try again.")
    if code == "SQLITE_IOERR" or "disk I/O error" in text:
        return DigestError(f"Database {path}: a disk I/O error ({text}); the step that failed wrote nothing.",
                           "Check the disk (space, permissions, hardware) and run the command again.")
    return DigestError(f"Database {path}: {text}.", "Run again with -v for the details.")


def _read_only_folder(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY) or not os.access(folder, os.W_OK)
    except OSError:
        return False
