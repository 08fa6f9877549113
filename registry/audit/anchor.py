"""The audit anchor: the chain's latest (seq, hash, count) kept in a file outside the database.

Whoever can delete rows from the table cannot also roll this file back, so `verify` can tell a
log whose last rows (or all rows) were removed from a log that is merely short.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from dotenv import dotenv_values

from registry.db import PROJECT_ROOT

ANCHOR_NAME = "audit-anchor.json"
log = logging.getLogger(__name__)


class AnchorUnreadable(ValueError):
    pass


def environment(key: str) -> str | None:
    """An AMI_* value the way app.settings reads it: the environment, else ./.env."""
    name = f"AMI_{key}"
    if name in os.environ:
        return os.environ[name]
    dotenv = Path.cwd() / ".env"
    return dotenv_values(dotenv).get(name) if dotenv.is_file() else None


def default_var_dir() -> Path:
    raw = environment("VAR_DIR")
    return Path(raw).resolve() if raw is not None else PROJECT_ROOT / "var"


def anchor_path(var_dir: Path | None = None) -> Path:
    return (var_dir or default_var_dir()) / ANCHOR_NAME


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    count: int


def read_anchor(path: Path) -> Anchor | None:
    """The anchor, or None when there is none yet."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        anchor = Anchor(seq=raw["seq"], hash=raw["hash"], count=raw["count"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AnchorUnreadable(f"{path}: {error}") from None
    if not (isinstance(anchor.seq, int) and isinstance(anchor.count, int) and isinstance(anchor.hash, str)):
        raise AnchorUnreadable(f"{path}: unexpected values {raw!r}")
    return anchor


def advance_anchor(path: Path, anchor: Anchor) -> bool:
    """Writes `anchor` unless the file already holds this seq or a later one; True when written.

    Never raises: it runs after the commit, when the entry is saved whatever happens here.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The lock makes read-compare-replace atomic across processes, so the anchor never goes back.
        with open(path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = read_anchor(path)
            if current is not None and current.seq >= anchor.seq:
                return False
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            try:
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    json.dump(asdict(anchor), handle)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        return True
    except (AnchorUnreadable, OSError) as error:
        # An unreadable anchor is left as found, so `ami audit verify` keeps reporting it.
        log.error("audit anchor not advanced to seq %s: %s", anchor.seq, error)
    return False


def forget_anchor(var_dir: Path | None = None) -> None:
    """Removes the anchor: only for wiping the whole database (tests, benchmarks)."""
    anchor_path(var_dir).unlink(missing_ok=True)
