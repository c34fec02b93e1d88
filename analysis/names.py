"""Names that become folder and file names: region ids, notebook names, output file parts.

A region id or notebook name is a *slug* (``horten``, ``nedre-glomma``,
``production-system``): it names a folder under ``outputs/`` and a key in the registry,
so it must not be able to climb out of a folder (``../x``) or differ only in case.
The parts of figure and table file names are a little freer (:data:`FILE_PART`).
:func:`slugify` makes finding ids and cross-reference labels from printed text.
"""

from __future__ import annotations

import re

from analysis.errors import InputError

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
FILE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_slug(value: str, what: str = "region id") -> str:
    """``value`` if it is a slug, else :class:`InputError` naming ``what``."""
    if not isinstance(value, str) or not SLUG.match(value):
        raise InputError(f"{what} {value!r} is not a plain slug "
                         "(lowercase letters, digits and '-', 2-40 chars, starting with a letter)")
    return value


def slugify(text: str) -> str:
    """Lower case, every character that is not a letter or digit replaced by '-', trimmed.

    'Tabell v.3' -> 'tabell-v-3'. Characters are replaced one by one (not runs), so
    finding ids made from citations stay what they have been.
    """
    return "".join(ch if ch.isalnum() else "-" for ch in str(text).lower()).strip("-")
