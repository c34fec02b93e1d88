"""What a notebook's code cell assigns at its top level: the one reading of a parameters cell.

The pipeline reads each notebook's parameters cell to know what ``-p`` may set
(:mod:`analysis.pipeline.notebooks`); a notebook compares papermill's injected cell with its own
parameters cell to refuse a parameter it does not take (:func:`analysis.sections.base.check_parameters`).
Both take a parameter to be a plain name assigned at the top level (``x = 1`` or ``x: int = 1``).
"""

from __future__ import annotations

import ast


def assignments(source: str) -> list[tuple[str, ast.expr | None]]:
    """The names ``source`` assigns at its top level, in order, each with the expression assigned
    (None for an annotation without a value). Raises :class:`SyntaxError` when it is not Python."""
    found = []
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        found += [(t.id, node.value) for t in targets if isinstance(t, ast.Name)]
    return found
