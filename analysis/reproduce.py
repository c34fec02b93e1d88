"""Recompute the numbers the sources print from the numbers they print, and say how each was checked.

``published_values.computed_from`` names its inputs in a small expression language:
``employment[horten,g3,2005] - employment[horten,g3,1997]`` or
``100 * (employment[horten,g3,2005] - employment[horten,g3,1997]) / employment[horten,g3,1997]``.
A reference ``dataset[k1,k2,...]`` matches the dataset's primary-key fields in order (``lines``
excluded); a trailing key may name the source table (``employment[kongsberg,g5,1997,Tabell v.3]``);
``dataset[...].field`` picks a field, otherwise the dataset's value field. Where several sources
print the same cell, the row from the published value's own source is preferred; where that does
not decide, the reference must name the source. ``published_values[pv_id]`` reads another printed
derived number (the text's rounding of a table cell, a total of printed totals). A key ``*`` matches
every value of its key field and may only stand inside ``sum(...)`` or ``mean(...)``:
``sum(locations[horten,innovation-partners,all,*,Tabell 8.1])``. Expressions that are prose are not
computable, never guessed: a value the printed numbers do not determine keeps a prose
``computed_from`` and declares why in ``uncomputable_reason`` (:data:`REASONS`). ``claims.test`` uses
the same references with comparisons and ``and``/``or``/``not`` (:func:`evaluate_test`).

One rounding rule and one status vocabulary (:func:`judge`, :data:`STATUSES`):

* Counts of persons, firms and jobs in the register tables are **exact**: a change or sum of
  counts must equal the printed number exactly, a percentage of counts must round to the printed
  percentage at its printed decimals.
* Inputs that are themselves rounded prints (percentages, shares, indexes, means, approximate
  prose numbers) stand for any value within half a unit of their last printed digit; a derived
  value is then checked against the interval those inputs allow (rule ``within-rounding``).
* A printed approximation ('om lag', 'over', 'nær') is checked as such (rule ``approximate``).
* Rates over a base the source never prints (the 1998 firm stock of Tabell v.6, 4.8, 5.5) are not
  matches: :func:`unprinted_base` gives the interval of bases each printed rate allows, whether the
  rates of one cell admit one common base, and whether the stock implied by the stock-flow identity
  (firms in 2005 - established + closed) lies in it.
* A printed value that the exact recomputation contradicts is ``source-inconsistent`` when the
  errata record the contradiction (with both values), otherwise ``mismatch``.

One module, because the expression language, its lookups and the rounding rule are one job: a
status is only as honest as the evaluation that produced it, and both must change together.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from dataclasses import dataclass, field
from itertools import product

import pandas as pd

from analysis.data import resource_descriptor
from analysis.errors import NotComputable
from analysis.indicators import base_interval, stock_flow_start
from analysis.numerals import number

REF_RE = re.compile(r"([a-z_]+)\[([^\]]*)\](?:\.([a-z_0-9]+))?")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv, ast.Pow: operator.pow,
        ast.USub: operator.neg, ast.UAdd: operator.pos}
# claims.test: comparisons joined by and/or/not over the same references
_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq,
        ast.NotEq: operator.ne}
# sum(...) and mean(...) take references with '*' keys, which expand to one argument per cell
_FUNCS = {"abs": abs, "min": lambda *a: min(a), "max": lambda *a: max(a), "sum": lambda *a: math.fsum(a),
          "mean": lambda *a: math.fsum(a) / len(a)}

STATUSES = ("match", "unprinted-base", "not-testable", "source-inconsistent", "mismatch", "not-computable")
# what a reader sees for each status, in a table cell and after a count ('16 inconsistent in the source')
STATUS_LABELS = {"match": "match", "unprinted-base": "over an unprinted base", "not-testable": "not testable",
                 "source-inconsistent": "inconsistent in the source", "mismatch": "mismatch",
                 "not-computable": "not computable"}
RULES = ("exact", "within-rounding", "approximate", "common-base", "any-base", "no-common-base")
# what a reader sees for each rule, and for each declared reason why a value cannot be computed
RULE_LABELS = {"exact": "exact", "within-rounding": "within printed rounding", "approximate": "approximate",
               "common-base": "unprinted base: common base", "any-base": "unprinted base: any base",
               "no-common-base": "unprinted base: no common base"}
REASONS = {"input-not-printed": "an input is not printed", "chart-lost-in-extraction": "chart lost in extraction",
           "zero-base": "rate over a base of 0"}
APPROX_REL = 0.05  # 'om lag 700' for 704: a printed approximation matches within 5 %
UNPRINTED_BASE = "firms in 1998 (not printed)"
QUALIFIED = ("approx", "over", "under")
# a printed derived count (a change or total of persons, firms, jobs) is as exact as the counts it derives from
COUNT_UNITS = frozenset({"persons", "firms", "jobs", "employees", "employed", "suppliers"})


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Input:
    """One referenced value and how exact it is: ``half_unit`` 0 for counts, else half its last printed digit."""

    value: float
    half_unit: float = 0.0
    approximate: bool = False


def _decimals_of(value: float) -> int:
    text = repr(float(value))
    return 0 if text.endswith(".0") else len(text.split(".")[1])


@dataclass(frozen=True)
class Schema:
    """What a reference needs of a dataset's declaration: key fields (``lines`` excluded), field types, value field."""

    key_fields: tuple[str, ...]
    types: dict[str, str]
    value_field: str | None


def _key_part(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


class DataIndex:
    """The datasets with their primary keys indexed once, so a reference costs a dict lookup.

    ``rows(name, keys)`` returns every row whose leading key fields equal ``keys`` (as strings);
    ``match(name, keys)`` also takes ``*`` for any value of a key field. The declarations are read
    once per dataset and the verdicts on rates over unprinted bases once per index
    (:meth:`unprinted`), because every notebook and ``check-data`` ask for them again and again.
    """

    def __init__(self, datasets: dict[str, pd.DataFrame]):
        self.datasets = datasets
        self._index: dict[str, dict[tuple, list[dict]]] = {}
        self._records: dict[str, list[dict]] = {}
        self._schemas: dict[str, Schema] = {}
        self._unprinted: dict[str, tuple[Verdict, float | None]] | None = None

    def schema(self, name: str) -> Schema:
        schema = self._schemas.get(name)
        if schema is None:
            declared = resource_descriptor(name)["schema"]
            cited = [f["name"] for f in declared["fields"] if f.get("cited")]
            # the first cited field is the dataset's value (employed, index, value, jobs ...); others must be named
            value_field = ("value" if "value" in cited else cited[0]) if cited else None
            schema = self._schemas[name] = Schema(
                tuple(k for k in declared.get("primaryKey", []) if k != "lines"),
                {f["name"]: f["type"] for f in declared["fields"]}, value_field)
        return schema

    def key_fields(self, name: str) -> list[str]:
        return list(self.schema(name).key_fields)

    def records(self, name: str) -> list[dict]:
        """The rows of a dataset as dicts, missing values as None (built once: ``DataFrame.to_dict`` is slow
        on extension dtypes)."""
        if name not in self.datasets:
            raise NotComputable(f"unknown dataset {name!r}")
        recs = self._records.get(name)
        if recs is None:
            frame = self.datasets[name]
            cols = list(frame.columns)
            columns = [[None if missing else v for v, missing in zip(frame[c].tolist(), frame[c].isna().tolist())]
                       for c in cols]
            recs = self._records[name] = [dict(zip(cols, row)) for row in zip(*columns)]
        return recs

    def rows(self, name: str, keys: tuple[str, ...]) -> list[dict]:
        index = self._index.get(name)
        if index is None:
            index = self._index[name] = {}
            kf = self.schema(name).key_fields
            for row in self.records(name):
                parts = tuple(_key_part(row[k]) for k in kf)
                for n in range(1, len(parts) + 1):
                    index.setdefault(parts[:n], []).append(row)
        return index.get(tuple(keys), [])

    def match(self, name: str, keys: tuple[str, ...]) -> list[dict]:
        """Rows whose key fields equal ``keys`` in order, ``*`` matching any value."""
        if "*" not in keys:
            return self.rows(name, keys)
        first = keys.index("*")
        candidates = self.rows(name, keys[:first]) if first else self.records(name)
        kf = self.schema(name).key_fields
        return [r for r in candidates if all(k == "*" or _key_part(r[kf[i]]) == k for i, k in enumerate(keys))]

    def unprinted(self) -> dict[str, tuple[Verdict, float | None]]:
        """:func:`unprinted_base` over this index's ``published_values``, computed once."""
        if self._unprinted is None:
            self._unprinted = unprinted_base(self.records("published_values"), self)
        return self._unprinted


def as_index(data) -> DataIndex:
    return data if isinstance(data, DataIndex) else DataIndex(data)


def _resolve(rows: list[dict], label: str, vf: str, prefer_source: str | None) -> dict:
    """The one row a reference names: the preferred source's where several sources print the cell."""
    rows = [r for r in rows if vf in r and not pd.isna(r[vf])]
    if not rows:
        raise NotComputable(f"no row {label} with a value in {vf!r}")
    if prefer_source is not None and any(r.get("source") == prefer_source for r in rows):
        rows = [r for r in rows if r.get("source") == prefer_source]
    if len({float(r[vf]) for r in rows}) > 1:
        printed = ", ".join(f"{float(r[vf]):g} ({r.get('source')})" for r in rows)
        raise NotComputable(f"{label} differs between sources: {printed}; name the source as the last key")
    return rows[0]


def _input(index: DataIndex, name: str, row: dict, vf: str) -> Input:
    value = float(row[vf])
    approximate = str(row.get("qualifier") or "exact") in QUALIFIED
    if name == "published_values":
        exact = int(row["decimals"]) == 0 and row.get("unit") in COUNT_UNITS
        half = 0.0 if exact else 0.5 * 10.0 ** -int(row["decimals"])
    elif index.schema(name).types.get(vf, "number") == "integer":
        half = 0.0  # counts of persons, firms, jobs: exact
    else:
        half = 0.5 * 10.0 ** -_decimals_of(value)
    return Input(value, half, approximate)


def _reference(index: DataIndex, name: str, keys: list[str], field_name: str | None) -> tuple[tuple[str, ...], str, str]:
    if name not in index.datasets:
        raise NotComputable(f"unknown dataset {name!r}")
    schema = index.schema(name)
    keys = tuple(k.strip() for k in keys)
    if len(keys) > len(schema.key_fields):
        raise NotComputable(f"{name}[{','.join(keys)}]: {len(keys)} keys for key fields {list(schema.key_fields)}")
    vf = field_name or schema.value_field
    if vf is None:
        raise NotComputable(f"{name} has no value field")
    return keys, vf, f"{name}[{','.join(keys)}]"


def lookup_input(data, name: str, keys: list[str], field_name: str | None, prefer_source: str | None) -> Input:
    """The value a reference names, with its exactness (see the module docstring)."""
    index = as_index(data)
    keys, vf, label = _reference(index, name, keys, field_name)
    return _input(index, name, _resolve(index.rows(name, keys), label, vf, prefer_source), vf)


def lookup_inputs(data, name: str, keys: list[str], field_name: str | None, prefer_source: str | None) -> list[Input]:
    """Every value a reference with ``*`` keys names, one per cell (a cell printed by several sources once)."""
    index = as_index(data)
    keys, vf, label = _reference(index, name, keys, field_name)
    cells: dict[tuple, list[dict]] = {}
    kf = [k for k in index.schema(name).key_fields if k != "source"]
    for row in index.match(name, keys):
        cells.setdefault(tuple(_key_part(row[k]) for k in kf), []).append(row)
    if not cells:
        raise NotComputable(f"no row {label}")
    return [_input(index, name, _resolve(rows, label, vf, prefer_source), vf) for _, rows in sorted(cells.items())]


def lookup(data, name: str, keys: list[str], field_name: str | None, prefer_source: str | None) -> float:
    """The value a reference names (``dataset[k1,...]``); raises :class:`NotComputable`."""
    return lookup_input(data, name, keys, field_name, prefer_source).value


# ---------------------------------------------------------------- expressions


def _refs(expression: str, data, prefer_source) -> tuple[ast.Expression, dict[str, Input]]:
    names: dict[str, Input] = {}

    def repl(m: re.Match) -> str:
        keys = m.group(2).split(",")
        if "*" not in (k.strip() for k in keys):
            var = f"_v{len(names)}"
            names[var] = lookup_input(data, m.group(1), keys, m.group(3), prefer_source)
            return var
        expanded = []
        for value in lookup_inputs(data, m.group(1), keys, m.group(3), prefer_source):
            expanded.append(f"_v{len(names)}")
            names[expanded[-1]] = value
        return ", ".join(expanded)  # arguments of sum(...)/mean(...); anywhere else not an expression

    py = REF_RE.sub(repl, expression)
    if not names:
        raise NotComputable("no dataset reference in the expression")
    for candidate in _candidates(py):
        try:
            tree = ast.parse(candidate, mode="eval")
        except SyntaxError:
            continue
        if _only_references(tree, names):
            return tree, names
    raise NotComputable(f"not an arithmetic expression: {expression!r}")


def _only_references(tree: ast.Expression, names: dict) -> bool:
    """Every name is a reference or a known function: 'x (AME, SensoNor)' parses as a call of x, yet is a note."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in _FUNCS):
            return False
        if isinstance(node, ast.Name) and node.id not in names and node.id not in _FUNCS:
            return False
    return True


def _candidates(py: str):
    """The expression, then without a trailing worked example ('= 1084 / 5700 = 19') or note ('(…)')."""
    yield py
    head = py.split(" = ")[0]
    yield head
    while "(" in head:
        head = head[: head.rfind("(")].rstrip()
        if "_v" in head:
            yield head


def _ev(node, env: dict[str, float], expression: str):
    if isinstance(node, ast.Expression):
        return _ev(node.body, env, expression)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_ev(node.left, env, expression), _ev(node.right, env, expression))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_ev(node.operand, env, expression))
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
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
            and not node.keywords and node.args):
        return _FUNCS[node.func.id](*(_ev(a, env, expression) for a in node.args))
    raise NotComputable(f"unsupported element in {expression!r}")


@dataclass(frozen=True)
class Evaluation:
    """A recomputed value, the interval its rounded inputs allow, and what kind of inputs it had."""

    value: float
    low: float
    high: float
    rounded_inputs: bool
    approximate_inputs: bool


def evaluate_full(expression: str, data, prefer_source: str | None = None) -> Evaluation:
    """Evaluate an expression and the interval its rounded inputs allow (exact inputs held fixed).

    The interval is spanned by the corners of the box of rounded inputs, exact for the sums,
    differences and ratios used here.
    """
    tree, names = _refs(expression, data, prefer_source)
    env = {k: v.value for k, v in names.items()}
    try:
        value = _ev(tree, env, expression)
    except ZeroDivisionError as exc:
        raise NotComputable(f"division by zero in {expression!r}") from exc
    if isinstance(value, bool):
        raise NotComputable(f"a test, not a number: {expression!r}")
    rounded = [k for k, v in names.items() if v.half_unit > 0]
    corners = []
    if len(rounded) <= 12:
        for signs in product((-1, 1), repeat=len(rounded)):
            env_c = {**env, **{k: names[k].value + s * names[k].half_unit for k, s in zip(rounded, signs)}}
            try:
                corners.append(_ev(tree, env_c, expression))
            except ZeroDivisionError:
                continue
    else:  # a long sum of rounded values: each may add its half unit
        spread = sum(names[k].half_unit for k in rounded)
        corners = [value - spread, value + spread]
    lo, hi = (min(corners), max(corners)) if corners else (value, value)
    return Evaluation(value, min(lo, value), max(hi, value), bool(rounded), any(v.approximate for v in names.values()))


def evaluate(expression: str, data, prefer_source: str | None = None) -> float:
    """The value of a ``computed_from`` expression over the datasets."""
    return evaluate_full(expression, data, prefer_source).value


def evaluate_test(expression: str, data) -> bool:
    """Evaluate a claim's test (comparisons joined by and/or/not) to True or False.

    Example: ``employment[horten,g3,2005] < employment[horten,g3,1997]``. Raises
    :class:`NotComputable` when a reference has no data or the expression is not a test.
    """
    tree, names = _refs(expression, data, None)
    try:
        value = _ev(tree, {k: v.value for k, v in names.items()}, expression)
    except ZeroDivisionError as exc:
        raise NotComputable(f"division by zero in {expression!r}") from exc
    if not isinstance(value, bool):
        raise NotComputable(f"not a test (no comparison): {expression!r}")
    return value


# ---------------------------------------------------------------- the rule


def _qualifier(row) -> str:
    q = row.get("qualifier") if row is not None else None
    return "exact" if q is None or pd.isna(q) or str(q) in ("", "exact") else str(q)


def _errata(row) -> str | None:
    err = row.get("errata_id") if row is not None else None
    return None if err is None or pd.isna(err) or str(err) in ("", "<NA>", "nan") else str(err)


def rounds_to(value: float, printed: float, decimals: int) -> bool:
    """Does ``value`` print as ``printed`` at ``decimals`` decimals? (Closed interval: either halving convention.)"""
    half = 0.5 * 10.0 ** -int(decimals)
    return abs(value - printed) <= half + 1e-9 * max(1.0, abs(printed))


def qualified_agrees(value: float, printed: float, decimals: int, qualifier: str) -> bool:
    """Agreement with a qualified print: approx within 5 %, over above it, under below it
    (within 25 % resp. 10 %, so 'over 80 %' is not satisfied by 100 %)."""
    scale = abs(printed) or 1.0
    half = 0.5 * 10.0 ** -int(decimals)
    if qualifier == "approx":
        return abs(value - printed) <= APPROX_REL * scale + half
    if qualifier == "over":
        return printed - half <= value <= printed + 0.25 * scale
    if qualifier == "under":
        return printed - 0.10 * scale <= value <= printed + half
    raise ValueError(f"unknown qualifier {qualifier!r}")


QUALIFIER_WORDS = {"approx": "about", "over": "over", "under": "under"}


def recomputed_text(value: float, decimals: int) -> str:
    """A recomputed value for a reader: one decimal more than the printed value it is checked against
    (so it shows which way it rounds), none more where it is whole at the printed decimals ('49', '20.85')."""
    whole = abs(value - round(value, int(decimals))) < 1e-9
    return number(value, int(decimals) + (0 if whole else 1))


def _span(low: float, high: float, decimals: int) -> str:
    """'34.3 to 36.4', 'at least 34.3', 'any'."""
    if math.isinf(high):
        return "any" if low <= 0 else f"at least {number(low, decimals)}"
    return f"{number(low, decimals)} to {number(high, decimals)}"


@dataclass(frozen=True)
class Verdict:
    status: str
    rule: str = ""
    detail: str = ""


def judge(evaluation: Evaluation, published: dict) -> Verdict:
    """The status of a recomputed value against its printed row (see the module docstring)."""
    printed, dec = float(published["value"]), int(published["decimals"])
    qual = _qualifier(published)
    err = _errata(published)
    v = evaluation
    shown, got = number(printed, dec), recomputed_text(v.value, dec)
    if qual != "exact" or v.approximate_inputs:
        q = qual if qual != "exact" else "approx"
        if qualified_agrees(v.value, printed, dec, q):
            return Verdict("match", "approximate", f"printed {QUALIFIER_WORDS.get(qual, 'as')} {shown}; recomputed {got}")
    elif rounds_to(v.value, printed, dec):
        return Verdict("match", "exact", f"recomputed {got} prints as {shown}")
    elif v.rounded_inputs:
        half = 0.5 * 10.0 ** -dec
        if v.low - half - 1e-9 <= printed <= v.high + half + 1e-9:
            return Verdict("match", "within-rounding",
                           f"rounded inputs allow {_span(v.low, v.high, dec + 1)}; printed {shown}")
    detail = f"recomputed {got}" + (f" (inputs allow {_span(v.low, v.high, dec + 1)})" if v.rounded_inputs else "") \
        + f"; printed {shown}"
    return Verdict("source-inconsistent" if err else "mismatch", "exact" if not v.rounded_inputs else "within-rounding",
                   detail)


# ---------------------------------------------------------------- rates over an unprinted base


@dataclass
class BaseCell:
    """The rates of one table cell over one unprinted base, checked together."""

    key: tuple
    intervals: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    common: tuple[float, float] | None = None
    stock_flow: float | None = None


def _stock_flow_base(index: DataIndex, area, industry, period, source) -> float | None:
    start, end = str(period).split("-") if "-" in str(period) else (None, None)
    if start is None:
        return None
    rows = index.rows("firm_dynamics", (str(area), str(industry), start, end, str(source)))
    rows = [r for r in rows if not any(pd.isna(r[k]) for k in ("firms_end", "established", "closed"))]
    if not rows:
        return None
    r = rows[0]
    return stock_flow_start(r["firms_end"], r["established"], r["closed"])


def unprinted_base(rows: list[dict], data) -> dict[str, tuple[Verdict, float | None]]:
    """Verdicts for every published rate over the unprinted 1998 firm stock (see the module docstring).

    Per cell (area, industry, period, table) the rates without an errata id define the common
    interval of bases; each rate is then ``unprinted-base`` (rule ``common-base``) when its own
    interval meets it, ``not-testable`` (rule ``any-base``) when any base would print it, and
    ``source-inconsistent``/``mismatch`` (rule ``no-common-base``) when it does not. The detail says
    whether the stock-flow base lies in the interval. Returns {pv_id: (verdict, numerator)}.
    """
    index = as_index(data)
    cells: dict[tuple, list[dict]] = {}
    for row in rows:
        if UNPRINTED_BASE in str(row["computed_from"]):
            key = (row["area"], row.get("industry_id"), row["period"], row["source"])
            cells.setdefault(key, []).append(row)
    out: dict[str, tuple[Verdict, float | None]] = {}
    for key, members in cells.items():
        cell = BaseCell(key, stock_flow=_stock_flow_base(index, *key))
        numerators = {}
        for row in members:
            expr = str(row["computed_from"]).replace(f"/ {UNPRINTED_BASE}", "").strip()
            try:
                numerators[row["pv_id"]] = evaluate(expr, index, row["source"]) / 100.0
            except NotComputable as exc:
                out[row["pv_id"]] = (Verdict("not-computable", "", str(exc)), None)
                continue
            cell.intervals[row["pv_id"]] = base_interval(numerators[row["pv_id"]], float(row["value"]),
                                                         int(row["decimals"]))
        clean = [iv for r in members if (iv := cell.intervals.get(r["pv_id"])) is not None and not _errata(r)]
        lo = max((iv[0] for iv in clean), default=0.0)
        hi = min((iv[1] for iv in clean), default=math.inf)
        cell.common = (lo, hi) if lo <= hi else None
        sf = "" if cell.stock_flow is None else (
            f"; stock-flow base {number(cell.stock_flow)} (firms {key[2].split('-')[-1]} − established + closed) "
            + ("lies in it" if cell.common and cell.common[0] - 1e-9 <= cell.stock_flow <= cell.common[1] + 1e-9
               else "lies outside it"))
        common = "none" if cell.common is None else _span(*cell.common, 1)
        for row in members:
            pv_id = row["pv_id"]
            if pv_id not in cell.intervals:
                continue
            iv = cell.intervals[pv_id]
            if iv is None:
                verdict = Verdict("not-testable", "any-base",
                                  f"no firm counted, so a rate of {number(row['value'], int(row['decimals']))} holds for any base "
                                  "and tests nothing")
            elif cell.common is not None and max(iv[0], cell.common[0]) <= min(iv[1], cell.common[1]) + 1e-9:
                verdict = Verdict("unprinted-base", "common-base",
                                  f"1998 stocks this rate allows: {_span(*iv, 1)}; all the cell's rates: {common}{sf}")
            else:
                verdict = Verdict("source-inconsistent" if _errata(row) else "mismatch", "no-common-base",
                                  f"1998 stocks this rate allows: {_span(*iv, 1)}; the cell's other rates: {common}{sf}")
            out[pv_id] = (verdict, numerators[pv_id])
    return out


# ---------------------------------------------------------------- every published value


@dataclass
class Reproduction:
    """One published value recomputed: its status, the rule that decided it and the reason the data declare
    why it cannot be computed (``published_values.uncomputable_reason``; empty for a computable value)."""

    pv_id: str
    published: float
    decimals: int
    reproduced: float | None
    status: str
    rule: str = ""
    detail: str = ""
    errata_id: str | None = None
    reason: str = ""


def _reason(row) -> str:
    reason = row.get("uncomputable_reason") if row is not None else None
    return "" if reason is None or pd.isna(reason) else str(reason)


def reproduce_row(row: dict, data, based: dict | None = None) -> Reproduction:
    """Recompute one published value and judge it (``based``: :func:`unprinted_base`, by default the index's)."""
    pub, dec = float(row["value"]), int(row["decimals"])
    err = _errata(row)
    index = as_index(data)
    based = index.unprinted() if based is None else based
    if row["pv_id"] in based:
        verdict, _ = based[row["pv_id"]]
        return Reproduction(row["pv_id"], pub, dec, None, verdict.status, verdict.rule, verdict.detail, err, _reason(row))
    try:
        ev = evaluate_full(str(row["computed_from"]), index, row.get("source"))
    except NotComputable as exc:
        return Reproduction(row["pv_id"], pub, dec, None, "not-computable", "", str(exc), err, _reason(row))
    verdict = judge(ev, row)
    return Reproduction(row["pv_id"], pub, dec, round(ev.value, 6), verdict.status, verdict.rule, verdict.detail, err,
                        _reason(row))


def reproduce_all(datasets) -> list[Reproduction]:
    """Recompute and judge every published value."""
    index = as_index(datasets)
    return [reproduce_row(row, index) for row in index.records("published_values")]


__all__ = [
    "APPROX_REL", "REASONS", "RULES", "RULE_LABELS", "STATUSES", "STATUS_LABELS", "DataIndex", "Evaluation", "Input", "NotComputable", "Reproduction", "Verdict",
    "Schema", "as_index", "evaluate", "evaluate_full", "evaluate_test", "judge", "lookup", "lookup_input", "lookup_inputs",
    "qualified_agrees", "recomputed_text", "reproduce_all", "reproduce_row", "rounds_to", "unprinted_base",
]
