"""Ids and file-name parts: one slug rule for regions, notebooks, figures and tables."""

from __future__ import annotations

import re

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,59}$")
FILE_PART_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_slug(value, what: str, error: type[Exception] = ValueError, pattern: re.Pattern = FILE_PART_RE) -> str:
    """``value`` if it is a plain file-name part (letters, digits, ``. _ -``), else ``error`` naming ``what``."""
    if not isinstance(value, str) or not pattern.match(value):
        raise error(f"{what} {value!r} must be a plain file-name part (letters, digits, . _ -)")
    return value


def slugify(text: str) -> str:
    """'Tabell v.3' -> 'tabell-v-3': lower case, runs of other characters become one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
