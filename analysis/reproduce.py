"""Recompute a published value from the underlying data.

``published_values.computed_from`` names its inputs in a small expression
language: ``employment[horten,g3,2005] - employment[horten,g3,1997]``,
``100 * (employment[horten,g3,2005] - employment[horten,g3,1997]) / employment[horten,g3,1997]``.
A reference ``dataset[k1,k2,...]`` matches the dataset's primary-key fields in
order (``source`` and ``lines`` excluded); ``dataset[...].field`` picks a field,
otherwise the dataset's only cited field. Where several sources print the same
cell, the row from the published value's own source is preferred. Expressions
that are prose are reported as not machine-computable, never guessed.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from dataclasses import dataclass

import pandas as pd

from analysis.data import fields, resource_descriptor

REF_RE = re.compile(r"([a-z_]+)\[([^\]]*)\](?:\.([a-z_0-9]+))?")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.USub: operator.neg, ast.UAdd: operator.pos}


class NotComputable(ValueError):
    """The expression is prose, or names data that does not exist."""


@dataclass
class Reproduction:
    pv_id: str
    published: float
    decimals: int
    reproduced: float | None
    status: str  # match | mismatch | source-inconsistent | not-computable
    detail: str = ""


def _key_fields(name: str) -> list[str]:
    pk = resource_descriptor(name)["schema"].get("primaryKey", [])
    return [k for k in pk if k not in ("source", "lines")]


def _value_field(name: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    cited = [f["name"] for f in fields(name) if f.get("cited")]
    if len(cited) != 1:
        raise NotComputable(f"{name} has several value fields {cited}; name one as {name}[...].field")
    return cited[0]


def lookup(datasets: dict[str, pd.DataFrame], name: str, keys: list[str], field: str | None, prefer_source: str | None):
    if name not in datasets:
        raise NotComputable(f"unknown dataset {name!r}")
    frame = datasets[name]
    kf = _key_fields(name)
    if len(keys) > len(kf):
        raise NotComputable(f"{name}[{','.join(keys)}]: {len(keys)} keys for key fields {kf}")
    mask = pd.Series(True, index=frame.index)
    for col, key in zip(kf, keys):
        mask &= frame[col].astype("string") == key.strip()
    rows = frame[mask]
    vf = _value_field(name, field)
    rows = rows[rows[vf].notna()]
    if rows.empty:
        raise NotComputable(f"no row {name}[{','.join(keys)}] with a value in {vf!r}")
    if prefer_source is not None and (rows["source"] == prefer_source).any():
        rows = rows[rows["source"] == prefer_source]
    values = set(float(v) for v in rows[vf])
    if len(values) > 1:
        raise NotComputable(f"{name}[{','.join(keys)}] differs between sources: {sorted(values)}")
    return values.pop()


def _refs(expression: str, datasets, prefer_source):
    names: dict[str, float] = {}

    def repl(m: re.Match) -> str:
        var = f"_v{len(names)}"
        names[var] = lookup(datasets, m.group(1), m.group(2).split(","), m.group(3), prefer_source)
        return var

    py = REF_RE.sub(repl, expression)
    if not names:
        raise NotComputable("no dataset reference in the expression")
    try:
        tree = ast.parse(py, mode="eval")
    except SyntaxError as exc:
        raise NotComputable(f"not an arithmetic expression: {expression!r}") from exc
    return tree, names


def _ev(node, env, expression):
    if isinstance(node, ast.Expression):
        return _ev(node.body, env, expression)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_ev(node.left, env, expression), _ev(node.right, env, expression))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_ev(node.operand, env, expression))
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    raise NotComputable(f"unsupported element in {expression!r}")


def evaluate(expression: str, datasets: dict[str, pd.DataFrame], prefer_source: str | None = None) -> float:
    """Evaluate a computed_from expression over the loaded datasets."""
    tree, names = _refs(expression, datasets, prefer_source)
    try:
        return _ev(tree, names, expression)
    except ZeroDivisionError as exc:
        raise NotComputable(f"division by zero in {expression!r}") from exc


def evaluate_interval(expression: str, datasets, prefer_source=None, half_unit: float = 0.5) -> tuple[float, float]:
    """Range of the expression when every input is a rounding (+-``half_unit``) of a hidden value.

    The register counts are roundings of fractional values, so a printed change or
    percentage is consistent when it lies in this range. Evaluated at the corners of
    the input box (exact for the sums, differences and ratios used here).
    """
    import itertools

    tree, names = _refs(expression, datasets, prefer_source)
    keys = list(names)
    if len(keys) > 12:
        v = _ev(tree, names, expression)
        return v - half_unit * len(keys), v + half_unit * len(keys)
    vals = []
    for signs in itertools.product((-1, 1), repeat=len(keys)):
        env = {k: names[k] + s * half_unit for k, s in zip(keys, signs)}
        try:
            vals.append(_ev(tree, env, expression))
        except ZeroDivisionError:
            continue
    if not vals:
        raise NotComputable(f"division by zero in {expression!r}")
    return min(vals), max(vals)


def agrees(reproduced: float, published: float, decimals: int, slack: float = 0.0) -> bool:
    """Does ``reproduced`` round to the printed value? ``slack`` widens the interval
    (in units of the printed value) for inputs that are themselves rounded."""
    half = 0.5 * 10 ** (-decimals)
    return abs(reproduced - published) <= half + slack + 1e-9 * max(1.0, abs(published))


def reproduce_all(datasets: dict[str, pd.DataFrame]) -> list[Reproduction]:
    """Recompute every machine-computable published value.

    Status: ``match`` when the recomputed value rounds to the printed one;
    ``match-within-rounding`` when it does only because the inputs are themselves
    rounded (printed value inside :func:`evaluate_interval`); ``source-inconsistent``
    when it disagrees and the value is in the errata; ``mismatch`` otherwise;
    ``not-computable`` when ``computed_from`` is prose or names missing data.
    """
    out = []
    for row in datasets["published_values"].to_dict("records"):
        pub, dec = float(row["value"]), int(row["decimals"])
        expr, src = str(row["computed_from"]), row.get("source")
        try:
            val = evaluate(expr, datasets, src)
            lo, hi = evaluate_interval(expr, datasets, src)
        except NotComputable as exc:
            out.append(Reproduction(row["pv_id"], pub, dec, None, "not-computable", str(exc)))
            continue
        half = 0.5 * 10 ** (-dec)
        err = row.get("errata_id")
        has_err = err is not None and str(err) not in ("", "<NA>", "nan")
        if agrees(val, pub, dec):
            status = "match"
        elif lo - half - 1e-9 <= pub <= hi + half + 1e-9:
            status = "match-within-rounding"
        else:
            status = "source-inconsistent" if has_err else "mismatch"
        out.append(Reproduction(row["pv_id"], pub, dec, round(val, 6), status,
                                f"inputs-rounding range [{lo:.4g}, {hi:.4g}]"))
    return out
