"""Recompute a published value from the underlying data.

``published_values.computed_from`` names its inputs in a small expression
language: ``employment[horten,g3,2005] - employment[horten,g3,1997]``,
``100 * (employment[horten,g3,2005] - employment[horten,g3,1997]) / employment[horten,g3,1997]``.
A reference ``dataset[k1,k2,...]`` matches the dataset's primary-key fields in
order (``source`` and ``lines`` excluded); a trailing key may name the source table (``employment[kongsberg,g5,1997,Tabell v.3]``);
``dataset[...].field`` picks a field,
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
from analysis.errors import NotComputable

REF_RE = re.compile(r"([a-z_]+)\[([^\]]*)\](?:\.([a-z_0-9]+))?")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.USub: operator.neg, ast.UAdd: operator.pos}
# claims.test: comparisons joined by and/or/not over the same references
_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq,
        ast.NotEq: operator.ne}
_FUNCS = {"abs": abs, "min": min, "max": max}


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
    # 'source' stays (last in every key): `employment[kongsberg,g5,1997,Tabell v.3]` names the table
    return [k for k in pk if k != "lines"]


def _value_field(name: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    cited = [f["name"] for f in fields(name) if f.get("cited")]
    if not cited:
        raise NotComputable(f"{name} has no value field")
    # the first cited field is the dataset's value (employed, index, value, jobs ...); others must be named
    return "value" if "value" in cited else cited[0]


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
    values = {float(v) for v in rows[vf]}
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
    for candidate in _candidates(py):
        try:
            return ast.parse(candidate, mode="eval"), names
        except SyntaxError:
            continue
    raise NotComputable(f"not an arithmetic expression: {expression!r}")


def _candidates(py: str):
    """The expression, then without a trailing worked example ('= 1084 / 5700 = 19') or note ('(…)')."""
    yield py
    head = py.split(" = ")[0]
    yield head
    while "(" in head:
        head = head[: head.rfind("(")].rstrip()
        if "_v" in head:
            yield head


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
    if isinstance(node, ast.Compare):
        left, ok = _ev(node.left, env, expression), True
        for op, comp in zip(node.ops, node.comparators):
            if type(op) not in _CMP:
                raise NotComputable(f"unsupported comparison in {expression!r}")
            right = _ev(comp, env, expression)
            ok = ok and _CMP[type(op)](left, right)
            left = right
        return ok
    if isinstance(node, ast.BoolOp):
        values = [bool(_ev(v, env, expression)) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not _ev(node.operand, env, expression)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS
            and not node.keywords):
        return _FUNCS[node.func.id](*(_ev(a, env, expression) for a in node.args))
    raise NotComputable(f"unsupported element in {expression!r}")


def evaluate(expression: str, datasets: dict[str, pd.DataFrame], prefer_source: str | None = None) -> float:
    """Evaluate a computed_from expression over the loaded datasets."""
    tree, names = _refs(expression, datasets, prefer_source)
    try:
        return _ev(tree, names, expression)
    except ZeroDivisionError as exc:
        raise NotComputable(f"division by zero in {expression!r}") from exc


def evaluate_test(expression: str, datasets: dict[str, pd.DataFrame]) -> bool:
    """Evaluate a claim's test (comparisons joined by and/or/not) to True or False.

    Example: ``employment[horten,g3,2005] < employment[horten,g3,1997]``. Raises
    :class:`NotComputable` when a reference has no data or the expression is not a test.
    """
    tree, names = _refs(expression, datasets, None)
    value = _ev(tree, names, expression)
    if not isinstance(value, bool):
        raise NotComputable(f"not a test (no comparison): {expression!r}")
    return value


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


APPROX_REL = 0.05  # 'om lag 700' for 704: a printed approximation matches within 5 %


def qualified_agrees(reproduced: float, published: float, decimals: int, qualifier: str | None) -> bool:
    """Agreement with a qualified printed value: approx within 5 %, over above it, under below it
    (each within 25 % resp. 10 %, so 'over 80 %' is not satisfied by 100 %)."""
    q = qualifier if qualifier and str(qualifier) not in ("<NA>", "nan") else "exact"
    if q == "exact":
        return agrees(reproduced, published, decimals)
    scale = abs(published) or 1.0
    if q == "approx":
        return abs(reproduced - published) <= APPROX_REL * scale + 0.5 * 10 ** (-decimals)
    if q == "over":
        return published <= reproduced <= published + 0.25 * scale
    if q == "under":
        return published - 0.10 * scale <= reproduced <= published
    raise ValueError(f"unknown qualifier {qualifier!r}")


UNPRINTED_BASE = "firms in 1998 (not printed)"


def implied_base_interval(expression: str, printed: float, decimals: int, datasets, prefer_source=None):
    """For 'k * <counts> / firms in 1998 (not printed)': the range of the unprinted 1998 stock
    consistent with the printed rate (counts are exact, the rate is rounded)."""
    numerator = evaluate(expression.replace(f"/ {UNPRINTED_BASE}", "").strip(), datasets, prefer_source)
    half = 0.5 * 10 ** (-decimals)
    lo_rate, hi_rate = printed - half, printed + half
    if numerator == 0:
        return (0.0, math.inf) if lo_rate <= 0 <= hi_rate else None
    bounds = []
    for rate in (lo_rate, hi_rate):
        if rate == 0 or (rate > 0) != (numerator > 0):
            bounds.append(math.inf)
        else:
            bounds.append(numerator / rate)
    lo, hi = min(bounds), max(bounds)
    return (max(lo, 0.0), hi)


def _has_errata(row) -> bool:
    err = row.get("errata_id")
    return err is not None and str(err) not in ("", "<NA>", "nan")


def _unprinted_base_status(rows: list[dict], datasets) -> dict[str, tuple[str, str]]:
    """Rates over an unprinted 1998 stock (entry %, net %, turbulence of one table row).

    The rows without an errata id define the stock range they all allow; each rate is
    consistent when its own range meets that common range. A rate outside it is a
    mismatch -- or source-inconsistent when the errata record it.
    """
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if UNPRINTED_BASE in str(row["computed_from"]):
            groups.setdefault((row["area"], row.get("industry_id"), row["period"], row["source"]), []).append(row)
    out = {}
    for members in groups.values():
        ivs = {}
        for row in members:
            try:
                ivs[row["pv_id"]] = implied_base_interval(str(row["computed_from"]), float(row["value"]),
                                                          int(row["decimals"]), datasets, row["source"])
            except NotComputable as exc:
                out[row["pv_id"]] = ("not-computable", str(exc))
        clean = [ivs[r["pv_id"]] for r in members if r["pv_id"] in ivs and not _has_errata(r) and ivs[r["pv_id"]]]
        lo = max((iv[0] for iv in clean), default=0.0)
        hi = min((iv[1] for iv in clean), default=math.inf)
        for pv_id, iv in ivs.items():
            ok = iv is not None and lo <= hi and max(iv[0], lo) <= min(iv[1], hi)
            detail = f"unprinted 1998 stock allowed by the row's other rates: [{lo:.1f}, {hi:.1f}]; by this rate: {iv}"
            out[pv_id] = ("match-within-rounding" if ok else "inconsistent", detail)
    return out


def reproduce_all(datasets: dict[str, pd.DataFrame]) -> list[Reproduction]:
    """Recompute every machine-computable published value.

    Status: ``match`` when the recomputed value rounds to the printed one;
    ``match-within-rounding`` when it does only because the inputs are themselves
    rounded (printed value inside :func:`evaluate_interval`); ``source-inconsistent``
    when it disagrees and the value is in the errata; ``mismatch`` otherwise;
    ``not-computable`` when ``computed_from`` is prose or names missing data.
    """
    out = []
    rows = datasets["published_values"].to_dict("records")
    based = _unprinted_base_status(rows, datasets)
    for row in rows:
        pub, dec = float(row["value"]), int(row["decimals"])
        expr, src = str(row["computed_from"]), row.get("source")
        has_err = _has_errata(row)
        if row["pv_id"] in based:
            status, detail = based[row["pv_id"]]
            if status == "inconsistent":
                status = "source-inconsistent" if has_err else "mismatch"
            out.append(Reproduction(row["pv_id"], pub, dec, None, status, detail))
            continue
        try:
            val = evaluate(expr, datasets, src)
            lo, hi = evaluate_interval(expr, datasets, src)
        except NotComputable as exc:
            out.append(Reproduction(row["pv_id"], pub, dec, None, "not-computable", str(exc)))
            continue
        half = 0.5 * 10 ** (-dec)
        qual = row.get("qualifier")
        qualified = qual is not None and str(qual) not in ("", "<NA>", "nan", "exact")
        if qualified and qualified_agrees(val, pub, dec, qual):
            status = "match-approx"
        elif not qualified and agrees(val, pub, dec):
            status = "match"
        elif lo - half - 1e-9 <= pub <= hi + half + 1e-9:
            status = "match-within-rounding"
        else:
            status = "source-inconsistent" if has_err else "mismatch"
        out.append(Reproduction(row["pv_id"], pub, dec, round(val, 6), status,
                                f"inputs-rounding range [{lo:.4g}, {hi:.4g}]"))
    return out
