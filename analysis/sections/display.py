"""How a section shows its results: Markdown text, tables for reading, saved figures, citations.

Tables are drawn with great-tables: counts as integers with thousands separators, printed
numbers at the precision they were printed with, blanks for missing values, text columns
given the width their text needs, and every internal id replaced by the name a reader knows
(:class:`Labels`). A table longer than a screen shows its notable rows (contradicted
arguments, numbers the source contradicts) and keeps the full list in a folded block. An
errata id in a table unfolds to both printed values, their lines and the reason the analysis
uses one of them. Outside a notebook (a test, a script) the same calls print plain text.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from pathlib import Path

import pandas as pd

from analysis import config, kept, plots
from analysis.names import SLUG
from analysis.numerals import as_printed, number  # noqa: F401 - the sections' number formatter
from analysis.reproduce import REF_RE, STATUS_LABELS

LONG_TABLE = 15  # rows: about a screen at book width
TABLE_CHARACTERS = 100  # characters of table text across the full width of a book page or report
# rows a reader should see first in a long table, by the column that says so
NOTABLE = {
    "verdict": lambda s: s.astype(str).str.startswith(("contradicted", "not evaluable")),
    "status": lambda s: s.isin(["mismatch", "source-inconsistent", STATUS_LABELS["mismatch"],
                                STATUS_LABELS["source-inconsistent"]]),
}
VERBATIM_COLUMNS = ("in the source's words",)  # Norwegian as printed: never relabelled
ERRATA_COLUMNS = ("errata", "errata_id", "erratum")
BARE_REF = re.compile(r"\[(\w[\w-]*(?:,[^\]]*)?)\]")  # '[education-institutions,local]' after a reference
SNAKE = re.compile(r"\b([a-z]+(?:_[a-z0-9]+)+)(?:\.([a-z_0-9]+))?\b")
# a recomputation formula inside a text: references with numbers, operators and brackets between them
_FORMULA_PART = r"[\d.\s()*/+\-−]*"
FORMULA = re.compile(rf"{_FORMULA_PART}(?:{REF_RE.pattern}{_FORMULA_PART})+")
YEARS = re.compile(r"\b(1[6-9]\d\d|20\d\d)-(1[6-9]\d\d|20\d\d)\b")  # '1997-2005' -> '1997–2005'
NEGATIVE = re.compile(r"(?<![\w.\-])-(?=\d)|(?<=[\w)]) - (?=\d)")  # '-6.8', '67 established - 49': a minus
# a number written out: '−6.8', '2,741–2,782', or as the source qualifies it: '≈ 200,000', '> 10', 'from 17,000'
NUMERIC_TEXT = re.compile(r"^(?:[<>≈] |from |to )?[−+]?\d[\d,]*(?:\.\d+)?(?:–[−+]?\d[\d,]*(?:\.\d+)?)?$")
WORD_TOKEN = re.compile(r"(?<![\w-])([\w-]+)(?![\w-])")  # a whole token of letters, digits, _ and -: where an id can stand


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    return get_ipython() is not None


def say(text: str) -> None:
    """Show Markdown in a notebook, plain text elsewhere."""
    if _in_notebook():
        from IPython.display import Markdown, display

        display(Markdown(text))
    else:
        print(text)


def fold(summary: str, text: str) -> None:
    """A folded block: the summary line shown, the Markdown ``text`` under it opened on a click. Rendered to
    HTML here (CommonMark), since Markdown inside an HTML block does not survive every renderer."""
    if not _in_notebook():
        print(f"{summary}\n{text}")
        return
    from IPython.display import HTML, display

    display(HTML(fold_html(summary, text)))


def fold_html(summary: str, text: str) -> str:
    """``<details>`` with the summary and the Markdown text rendered inside it."""
    from markdown_it import MarkdownIt

    return f'<details class="folded"><summary>{html.escape(summary)}</summary>\n{MarkdownIt("commonmark").render(text)}</details>'



# ------------------------------------------------------------------------------------- labels

def _words(s: str) -> str:
    """A leftover id ('national-context') as words; anything else as it is."""
    return s.replace("-", " ") if "-" in s and SLUG.match(s) and re.search(r"[a-z]{2}", s) else s


def _lower_first(label: str) -> str:
    """'Metal products' -> 'metal products' inside a sentence; 'ICT services' stays."""
    return label[0].lower() + label[1:] if len(label) > 1 and label[0].isupper() and label[1].islower() else label


class Labels:
    """The names a reader knows for the ids the data use, read from the data's label columns.

    Region ids become region names, industry ids ``industries.label_short``, coded terms
    ``vocabulary.label_en``, survey items ``survey_items.label_en``, claim ids the claim's own
    words, event ids ``history_events.label``; dataset names and other snake_case names become
    words. References inside recomputation formulas (``employment[horten,g3,2005]``) are
    written out as 'employment (Horten, ICT manufacturing, 2005)'.
    """

    def __init__(self, data: dict[str, pd.DataFrame] | None = None):
        data = data or {}
        words: dict[str, str] = {}   # replaced wherever they stand in a text
        cells: dict[str, str] = {}   # replaced only when they are a whole cell (they look like English)

        def take(name, key, label, target, lower=False):
            frame = data.get(name)
            if frame is None or key not in frame.columns or label not in frame.columns:
                return
            for k, v in zip(frame[key].astype(str), frame[label]):
                if pd.notna(v) and str(v).strip() and k not in target:
                    target[k] = _lower_first(str(v)) if lower else str(v)
                    if target is words:
                        cells.setdefault(k, str(v))  # a whole cell keeps the label as written

        take("regions", "region_id", "name", words)
        take("industries", "industry_id", "label_short", words, lower=True)
        take("history_events", "event_id", "label", words)
        vocabulary: dict[str, str] = {}
        take("vocabulary", "term_id", "label_en", vocabulary)
        for k, v in vocabulary.items():
            cells.setdefault(k, v)
            if re.fullmatch(r"[a-z]+[0-9]+", k):  # size classes (lt10, gt100) are codes wherever they stand
                words.setdefault(k, v)
        take("survey_items", "item_id", "label_en", cells)
        claims = data.get("claims")
        if claims is not None and {"claim_id", "term_no"} <= set(claims.columns):
            for cid, quote in zip(claims["claim_id"].astype(str), claims["term_no"]):
                words.setdefault(cid, f"the argument «{quote}»" if pd.notna(quote) and str(quote).strip()
                                 else "another argument of the source")
        if "network_nodes" in data and "network" in data["network_nodes"].columns:
            for net in data["network_nodes"]["network"].dropna().unique():
                words.setdefault(str(net), f"the {str(net).replace('-', ' ')} network")
        for k, v in STATUS_LABELS.items():  # a status named in a text ('reports the value as source-inconsistent')
            if "-" in k:
                words.setdefault(k, v)
        for k, v in cells.items():  # a coded term of two hyphens or more ('rest-of-ostlandet') is no English word
            if k.count("-") >= 2 and SLUG.match(k):
                words.setdefault(k, _lower_first(v))
        self.words, self.cells = words, {**{k: v for k, v in words.items() if k not in cells}, **cells}
        self._fingerprint = None
        regions = set(data["regions"]["region_id"].astype(str)) if "regions" in data else set()
        # in running text only what cannot be an English word: a region id, or an id with - _ or a digit
        keys = sorted((k for k in words if re.search(r"[a-z]", k) and (k in regions or re.search(r"[-_0-9]", k))),
                      key=len, reverse=True)
        self._keys = frozenset(keys)
        if all(re.fullmatch(r"[\w-]+", k) for k in keys):
            # ids are whole tokens: find tokens and look them up, instead of compiling an alternation of
            # several hundred ids (a fifth of a second for every notebook) that matches the same places
            self._word_re = WORD_TOKEN if keys else None
        else:
            self._word_re = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, keys)) + r")(?![\w-])")

    @property
    def fingerprint(self) -> str:
        """A key of every name these labels give (what a table rendered with them depends on)."""
        if self._fingerprint is None:
            self._fingerprint = kept.key(json.dumps([sorted(self.words.items()), sorted(self.cells.items()),
                                                     sorted(self._keys)]))
        return self._fingerprint

    def _args(self, args: str) -> str:
        parts = [a.strip() for a in args.split(",") if a.strip()]
        return ", ".join(self.cells.get(a, _words(a)) for a in parts)

    def _ref(self, m: re.Match) -> str:
        dataset, args, field = m.group(1), m.group(2), m.group(3)
        out = f"{dataset.replace('_', ' ')} ({self._args(args)})"
        return out + (f" {field.replace('_', ' ')}" if field else "")

    def _word(self, m: re.Match) -> str:
        if m.group(1) not in self._keys:
            return m.group(0)
        label = self.words[m.group(1)]
        return "the" + label[3:] if m.start() > 0 and label.startswith("The ") else label

    def _formula(self, m: re.Match) -> str:
        """A formula of several references as the cells it reads: 'employment (Horten; ICT services, R&D
        services; 1997, 2005; Tabell v.3)'; a single reference is written out where it stands."""
        text = m.group(0)
        refs = list(REF_RE.finditer(text))
        if len(refs) < 2:
            return text
        # brackets the match took from the text around the formula stay where they were
        opens, closes = text.count("("), text.count(")")
        lead = text[:len(text) - len(text.lstrip())] + "(" * max(0, opens - closes)
        tail = ")" * max(0, closes - opens) + text[len(text.rstrip()):]
        parts: dict[str, list[list[str]]] = {}
        for r in refs:
            keys = [k.strip() for k in r.group(2).split(",") if k.strip()]
            columns = parts.setdefault(r.group(1), [])
            columns.extend([] for _ in range(len(keys) - len(columns)))
            for i, k in enumerate(keys):
                if k not in columns[i]:
                    columns[i].append(k)
        cells = []
        for dataset, columns in parts.items():
            named = [", ".join(self.cells.get(k, _words(k)) for k in (sorted(c) if all(k.isdigit() for k in c) else c))
                     for c in columns]
            cells.append(f"{dataset.replace('_', ' ')} ({'; '.join(named)})")
        return lead + " and ".join(cells) + tail

    def text(self, value) -> str:
        """A free text with every id in it replaced by its name, a formula by the cells it reads."""
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        s = str(value)
        whole = self.cells.get(s.strip())
        if whole is not None:
            return whole
        s = FORMULA.sub(self._formula, s)
        s = REF_RE.sub(self._ref, s)
        s = BARE_REF.sub(lambda m: f"({self._args(m.group(1))})", s)
        if self._word_re is not None:
            s = self._word_re.sub(self._word, s)
        s = SNAKE.sub(lambda m: m.group(1).replace("_", " ") + (f" ({m.group(2).replace('_', ' ')})" if m.group(2) else ""), s)
        return _words(s)

    def coded(self, text: str) -> str:
        """A text whose hyphenated words are coded terms where the data have them ('Totalt row, not-relevant');
        for texts that name cells by their codes, where 'car-parts' is a term and not a compound word."""
        return re.sub(r"(?<![\w-])[a-z][a-z0-9]*(?:-[a-z0-9]+)+(?![\w-])",
                      lambda m: _lower_first(self.cells[m.group(0)]) if m.group(0) in self.cells else m.group(0), text)

    def header(self, column) -> str:
        return str(column).replace("_", " ")


# ------------------------------------------------------------------------------------- printed values

# what a column of firm dynamics holds, where a printed value's description names the column only in the
# source's words ("Tab v.6 'Nettotilgang' horten g1")
MEASURE_WORDS = {"difference": "net change in firms", "entry-rate-pct": "firms established per 100 firms of 1998",
                 "turbulence": "firms established and closed per 100 firms of 1998",
                 "net-rate-pct": "net change in firms per 100 firms of 1998"}
QUOTED = re.compile(r"'(?P<column>.+?)'(?=[\s,;:]|$)")  # a column heading in the source's words; "populasjon'98" inside
TABLE_FIRST = re.compile(r"^Tab\.? (?P<table>\S+) (?P<rest>.+)$")


def reading(text: str) -> str:
    """A text's periods with an en dash ('1997–2005'), its negative numbers with a minus ('−6.8') and its
    arrows as arrows ('77 → 64')."""
    text = YEARS.sub(r"\1–\2", str(text)).replace(" -> ", " → ")
    return NEGATIVE.sub(lambda m: m.group(0).replace("-", "−"), text)


def _names_industry(text: str, label: str, industry_id: str) -> bool:
    """Does the text already name the industry: by its label, its id as a word, or its label's first word?"""
    low, head = text.lower(), label.split()[0].lower()
    return (label.lower() in low or re.search(rf"(?<![\w-]){re.escape(industry_id)}(?![\w-])", text) is not None
            or (len(head) > 4 and head in low))


def describe_printed(row: dict, labels: Labels | None = None) -> str:
    """What a printed value is, for a reader: the table by its name, then the area and the industry by the
    names the data give them, then what the row says ('Tab v.6 'Nettotilgang' horten g1' -> 'Tabell v.6,
    Horten, metal products: net change in firms, 1998–2005 (the source's column «Nettotilgang»)'). The data's
    description stays as it is; only what is shown changes."""
    labels = labels or Labels()
    description = str(row.get("description") or "")
    area = labels.cells.get(str(row.get("area")), "") if row.get("area") else ""
    area = "the" + area[3:] if area.startswith("The ") else area  # never first in the text: the table is
    industry_id = row.get("industry_id")
    industry = labels.words.get(str(industry_id), "") if isinstance(industry_id, str) and industry_id else ""
    source = str(row.get("source") or "")
    first = TABLE_FIRST.match(description)
    if not first or not source.endswith(first["table"]):
        return _dated(reading(labels.coded(labels.text(description))), row.get("period"))
    quoted = QUOTED.search(description)
    if quoted and str(row.get("measure")) in MEASURE_WORDS:
        where = ", ".join(p for p in (area, industry) if p)
        return reading(f"{source}, {where}: {MEASURE_WORDS[row['measure']]}, {row.get('period')} "
                       f"(the source's column «{quoted['column']}»)")
    rest = labels.text(first["rest"])
    lead = [source]
    if area and rest.startswith(area + " "):
        rest = rest[len(area) + 1:]
        lead.append(area)
    elif area and area.split(" (")[0].lower() not in rest.lower():
        lead.append(area)
    if industry and not _names_industry(rest, industry, str(industry_id)):
        lead.append(industry)
    return _dated(reading(labels.coded(", ".join([*lead, rest]))), row.get("period"))


def _dated(text: str, period) -> str:
    """The text with its year or period where it names none of it ('exports as % of turnover, 1991')."""
    if period is None or pd.isna(period) or not str(period).strip():
        return text
    shown = reading(str(period))
    years = re.findall(r"\d{4}", shown)
    return text if shown in text or (years and all(y in text for y in years)) else f"{text.rstrip('.')}, {shown}"


# ------------------------------------------------------------------------------------- errata

def erratum_html(errata_id: str, errata: pd.DataFrame | None, labels: Labels | None = None) -> str:
    """An errata id that unfolds to both values with their lines, which one is used and why."""
    labels = labels or Labels()

    def text(value) -> str:
        return reading(labels.text(value))

    if not errata_id or pd.isna(errata_id):
        return ""
    ids = [e.strip() for e in re.split(r"[;,\s]+", str(errata_id)) if e.strip()]
    if errata is None or errata.empty:
        return html.escape(", ".join(ids))
    out = []
    for eid in ids:
        hit = errata[errata["errata_id"] == eid]
        if hit.empty:
            out.append(html.escape(eid))
            continue
        r = hit.iloc[0]
        used = {"a": "the first", "b": "the second", "both": "both"}.get(str(r.get("used")), str(r.get("used")))
        out.append(
            f'<details class="erratum" id="erratum-{html.escape(eid.lower())}"><summary>{html.escape(eid)}</summary>'
            f'<div><b>{html.escape(text(r["topic"]))}</b><br>'
            f'One value: «{html.escape(text(r["value_a"]))}» (lines {html.escape(str(r["lines_a"]))})<br>'
            f'Other value: «{html.escape(text(r["value_b"]))}» (lines {html.escape(str(r["lines_b"]))})<br>'
            f'The analysis uses {html.escape(used)}: {html.escape(text(r["reason"]))}</div></details>')
    return "".join(out)


# ------------------------------------------------------------------------------------- tables

def _is_yearlike(col) -> bool:
    c = str(col).lower()
    return "year" in c or c in ("rank", "period", "until", "established")


def _integral(s: pd.Series) -> bool:
    v = pd.to_numeric(s, errors="coerce").dropna()
    return not v.empty and bool(((v - v.round()).abs() < 1e-9).all())


def _as_printed(s: pd.Series) -> bool:
    """Numbers with at most two decimals, i.e. numbers as a source prints them."""
    v = pd.to_numeric(s, errors="coerce").dropna()
    return not v.empty and bool(((v * 100 - (v * 100).round()).abs() < 1e-6).all())


def _numbers_as_text(s: pd.Series) -> bool:
    text = s.dropna().astype(str).str.strip()
    text = text[text != ""]
    return not text.empty and bool(text.str.match(NUMERIC_TEXT).all())


def _widths(shown: pd.DataFrame) -> dict[str, str]:
    """Width per column in proportion to its text (within bounds), so long texts wrap instead of
    pushing the table off the page; a number or a header word is never broken."""
    lengths, floors = {}, {}
    for col in shown.columns:
        text = shown[col].map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))
        numeric = pd.api.types.is_numeric_dtype(shown[col]) and not pd.api.types.is_bool_dtype(shown[col])
        words = text.map(lambda t: max((len(w) for w in t.split()), default=0))
        size = float(text.str.len().max() or 0) + 2 if numeric else \
            max(float(text.str.len().mean() or 0), min(15.0, float(words.max() or 0) + 1))
        if str(col) in ERRATA_COLUMNS:
            size = 6.0
        longest_word = max((len(w) for w in str(col).split()), default=0) + 1
        lengths[col] = min(60.0, max(5.0, longest_word, size))
        # the share of the table's width below which a column would break its longest word
        floors[col] = (max(longest_word, min(15.0, float(words.max() or 0))) + 3) / TABLE_CHARACTERS
    if max(lengths.values(), default=0) < 30:
        return {}
    if sum(floors.values()) >= 1.0:  # too many columns to keep every word whole: each its floor's share
        total_floor = sum(floors.values())
        return {col: f"{100 * v / total_floor:.0f}%" for col, v in floors.items()}
    total = sum(lengths.values())
    shares = {col: max(n / total, floors[col]) for col, n in lengths.items()}
    over = sum(shares.values()) - 1.0
    if over > 0:  # taken from the columns that have room above their floor, in proportion to that room
        room = {col: shares[col] - floors[col] for col in shares}
        spare = sum(room.values()) or 1.0
        shares = {col: shares[col] - over * room[col] / spare for col in shares}
    return {col: f"{100 * v:.0f}%" for col, v in shares.items()}


def _prepared(frame: pd.DataFrame, labels: Labels | None) -> pd.DataFrame:
    """Index dropped, ids in text columns replaced by names, headers without underscores."""
    shown = frame.reset_index(drop=True).copy()
    labels = labels or Labels()
    for col in shown.columns:
        if shown[col].dtype == object or pd.api.types.is_string_dtype(shown[col]):
            if str(col) not in VERBATIM_COLUMNS and str(col) not in ERRATA_COLUMNS:
                shown[col] = shown[col].map(labels.text).map(reading)
    return shown.rename(columns={c: labels.header(c) for c in shown.columns})


def table_html(frame: pd.DataFrame, decimals: dict[str, int] | None = None, caption: str | None = None,
               labels: Labels | None = None, errata: pd.DataFrame | None = None, table_id: str = "table") -> str:
    """One static table as HTML (great-tables), formatted for reading.

    Rendered once: the HTML is kept (:mod:`analysis.kept`, ``outputs/.cache/tables``) under a key of
    every argument, the labels, the package's code and the versions of great-tables and pandas, and
    a table with the same key is read back instead of rendered again.
    """
    folder, name = config.rendered("tables"), None
    if folder is not None:
        with contextlib.suppress(kept.Unkeyable):
            call = [kept.canonical(a) for a in (frame, decimals, caption, errata, table_id)]
            name = kept.key(json.dumps(call), labels.fingerprint if labels is not None else "",
                            kept.environment(("great-tables", "pandas", "numpy")))
    done = kept.read(folder, name, ".html")
    if done is not None:
        return done.decode("utf-8")
    text = _render_table(frame, decimals, caption, labels, errata, table_id)
    kept.keep(folder, name, ".html", text.encode("utf-8"))
    return text


def _render_table(frame: pd.DataFrame, decimals: dict[str, int] | None, caption: str | None,
                  labels: Labels | None, errata: pd.DataFrame | None, table_id: str) -> str:
    from great_tables import GT

    decimals = {(labels or Labels()).header(k): v for k, v in (decimals or {}).items()}
    shown = _prepared(frame, labels)
    gt = GT(shown, id=re.sub(r"[^A-Za-z0-9_-]", "-", table_id))
    for col in shown.columns:
        s = shown[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            continue
        if _is_yearlike(col) and _integral(s):
            gt = gt.fmt_integer(columns=col, use_seps=False)
        elif col in decimals:
            gt = gt.fmt_number(columns=col, decimals=decimals[col])
        elif _integral(s):
            gt = gt.fmt_integer(columns=col)
        elif _as_printed(s):
            gt = gt.fmt_number(columns=col, decimals=2, drop_trailing_zeros=True)
        else:
            gt = gt.fmt_number(columns=col, decimals=1)
    numbers_as_text = [c for c in shown.columns if not pd.api.types.is_numeric_dtype(shown[c]) and _numbers_as_text(shown[c])]
    if numbers_as_text:  # numbers written out per row (at each one's printed precision) align as numbers do
        from great_tables import loc, style

        gt = gt.cols_align(align="right", columns=numbers_as_text).tab_style(
            style.text(whitespace="nowrap"), loc.body(columns=numbers_as_text))
    for col in (c for c in shown.columns if c in ERRATA_COLUMNS):
        gt = gt.fmt(columns=col, fns=lambda v: erratum_html(v, errata, labels))
    widths = _widths(shown)
    if widths:
        gt = gt.cols_width(widths)
    gt = gt.sub_missing(missing_text="").tab_options(
        table_width="100%" if widths else None, table_font_size="14px", quarto_disable_processing=True,
        column_labels_font_weight="bold", data_row_padding="4px")
    if caption:
        gt = gt.tab_header(title=caption)
    return gt.as_raw_html()


def join_citations(citations) -> str:
    """Citations of one place joined: '§6.2, lines 7006–7008; §6.2, line 7012' -> '§6.2, lines 7006–7008, 7012'."""
    where: dict[str, list[str]] = {}
    for c in dict.fromkeys(map(str, citations)):
        place, sep, lines = c.rpartition(", line")
        if not sep:
            where.setdefault(c, [])
            continue
        where.setdefault(place, []).extend(x.strip() for x in lines.removeprefix("s").split(",") if x.strip())
    out = []
    for place, lines in where.items():
        lines = list(dict.fromkeys(lines))
        word = "line" if len(lines) == 1 and "–" not in lines[0] else "lines"
        out.append(f"{place}, {word} {', '.join(lines)}" if lines else place)
    return "; ".join(out)


MAX_PERIOD_COLUMNS = 8  # more periods than this make a wide table mostly empty: the long form stays


def by_period(frame: pd.DataFrame, keys: list[str], period: str, value: str, cite: str | None = None,
              max_periods: int = MAX_PERIOD_COLUMNS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A long table's series in a wide layout, one row per key with its periods as columns, and the rows
    that form no series as they are: (wide, rest).

    A series is a key (``keys``) with one value in each of two or more periods; ``cite`` (a citation column)
    is joined per key. Where the series would need more than ``max_periods`` columns nothing is widened.
    """
    if frame.empty:
        return frame.iloc[0:0], frame
    groups = frame.groupby(keys, sort=False, dropna=False)[period]
    series = groups.transform(lambda p: p.nunique() >= 2 and p.is_unique).astype(bool)
    periods = sorted(frame.loc[series, period].astype(str).unique(), key=_natural)
    if not series.any() or len(periods) > max_periods:
        return frame.iloc[0:0], frame
    long = frame[series].assign(**{period: frame.loc[series, period].astype(str)})
    order = long[keys].drop_duplicates()
    wide = long.set_index([*keys, period])[value].unstack(period).reindex(columns=periods)
    wide = order.merge(wide.reset_index(), on=keys, how="left")
    if cite is not None:
        cited = long.groupby(keys, sort=False, dropna=False)[cite].agg(join_citations)
        wide = wide.merge(cited.reset_index(), on=keys, how="left")
    return wide.reset_index(drop=True), frame[~series]


def _notable(frame: pd.DataFrame) -> pd.DataFrame:
    for col, rule in NOTABLE.items():
        if col in frame.columns:
            return frame[rule(frame[col]).fillna(False).astype(bool)]
    return frame.iloc[0:0]


def _summary(frame: pd.DataFrame, labels: Labels | None) -> pd.DataFrame | None:
    """A wide count table (kind by verdict) for a long table of judged arguments."""
    if "verdict" in frame.columns and "kind" in frame.columns:
        verdict = frame["verdict"].astype(str).str.replace(r" \(.*", "", regex=True)
        counts = pd.crosstab(frame["kind"].map((labels or Labels()).text), verdict)
        counts.columns.name = None
        return counts.reset_index().rename(columns={"kind": "kind of argument"})
    return None


def long_table_html(frame: pd.DataFrame, decimals=None, caption=None, labels=None, errata=None,
                    table_id: str = "table") -> str:
    """A long table: its summary and notable rows in view, the full list folded below them."""
    parts = []
    summary = _summary(frame, labels)
    if summary is not None:
        parts.append(table_html(summary, caption="Arguments by kind and verdict", table_id=f"{table_id}-summary"))
    notable = _notable(frame)
    if not notable.empty:
        parts.append(table_html(notable, decimals, f"{len(notable)} of {len(frame)} rows to note", labels, errata,
                                f"{table_id}-notable"))
    elif summary is None:
        parts.append(table_html(frame.head(10), decimals, caption, labels, errata, f"{table_id}-head"))
        caption = None
    full = table_html(frame, decimals, caption, labels, errata, table_id)
    what = "all" if summary is not None or not notable.empty else "the other"
    count = len(frame) if what == "all" else len(frame) - 10
    parts.append(f'<details class="long-table"><summary>Show {what} {count} rows'
                 f'{": " + html.escape(caption) if caption else ""}</summary>\n{full}\n</details>')
    return "\n".join(parts)


def show_table(frame: pd.DataFrame, decimals: dict[str, int] | None = None, caption: str | None = None,
               labels: Labels | None = None, errata: pd.DataFrame | None = None, name: str = "table") -> None:
    """A table for reading (see the module docstring); plain text outside a notebook."""
    if not _in_notebook():
        print(_prepared(frame, labels).to_string(index=False))
        return
    from IPython.display import HTML, display

    make = long_table_html if len(frame) > LONG_TABLE else table_html
    body = make(frame, decimals, caption, labels, errata, table_id=f"tbl-{name}")
    display(HTML(body), metadata={"analysis": {"table": name, "caption": caption or "", "rows": len(frame)}})


def show_figure(png: Path, caption: str) -> None:
    """Show the saved PNG where it belongs in the text, with its caption for the book and reports.

    Showing the file (not the live figure) keeps the notebook independent of the kernel's
    matplotlib integration and guarantees the reader sees exactly the published figure.
    """
    if _in_notebook():
        from IPython.display import Image, display

        display(Image(data=Path(png).read_bytes(), format="png"),
                metadata={"analysis": {"caption": caption, "file": Path(png).name}})


def _natural(text: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def citation(rows: pd.DataFrame) -> str:
    """'Source: NIBR-rapport 2005:11, Tabell 4.1, Tabell v.3' for the rows shown, each locator once."""
    pairs = rows[["doc", "source"]].drop_duplicates()
    by_doc: dict[str, set[str]] = {}
    for doc, src in pairs.itertuples(index=False):
        by_doc.setdefault(doc, set()).update(p.strip() for p in re.split(r"[;,]", str(src)) if p.strip())
    parts = [plots.source_caption(doc, ", ".join(sorted(srcs, key=_natural))) for doc, srcs in sorted(by_doc.items())]
    return "; ".join(p if i == 0 else p.removeprefix("Source: ") for i, p in enumerate(parts))
