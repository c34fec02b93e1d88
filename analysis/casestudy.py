"""The case-study sections the notebooks show, one function per section.

Each function takes a :class:`Case` (region, data, output folder, findings
recorder), computes through :mod:`analysis.indicators` and :mod:`analysis.survey`,
draws with :mod:`analysis.plots`, records findings, and returns what it showed.
Where the sources hold no data for a section it says so in one sentence and
names the data that would fill it -- it never fills the gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from analysis import data as D
from analysis import indicators as ind
from analysis import plots
from analysis import survey as sv
from analysis.config import outputs_dir
from analysis.data.regions import Region, get_region
from analysis.errors import NotComputable
from analysis.findings import Findings, write_table
from analysis.names import slugify as _slug
from analysis.reproduce import evaluate, evaluate_interval

GROUPS = [f"g{i}" for i in range(1, 8)]
# Short English names of the appendix's seven groups (Tabell v.1-v.6), for figure axes.
GROUP_NAMES = {"g1": "metal products", "g2": "transport equip.", "g3": "ICT industry", "g4": "other high-tech ind.",
               "g5": "ICT services", "g6": "R&D", "g7": "technical consult.", "tech-total": "all tech industries",
               "tech-industry": "tech industry", "tech-service": "tech services"}


def _named(frame: pd.DataFrame) -> pd.DataFrame:
    """Add an 'industry' column with readable group names for figure axes."""
    order = {k: i for i, k in enumerate(GROUP_NAMES)}
    out = frame.assign(industry=frame["industry_id"].map(lambda i: GROUP_NAMES.get(i, i)))
    return out.sort_values("industry_id", key=lambda s: s.map(lambda i: order.get(i, len(order))), kind="stable")


def _rotate(ax) -> None:
    ax.tick_params(axis="x", labelrotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
CHAPTER_TABLES = {"horten": "Tabell 4.1", "kongsberg": "Tabell 5.1", "raufoss": "Tabell 6.1", "halden": "Tabell 7.1"}
SECTION_TITLES = {
    "history": "history",
    "production_system": "production system",
    "innovation_sources": "innovation sources",
    "innovation_barriers": "innovation barriers",
}


def _say(text: str) -> None:
    """Show Markdown in a notebook, plain text elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            display(Markdown(text))
            return
    except ImportError:  # pragma: no cover - IPython is a dependency
        pass
    print(text)


def _show(frame: pd.DataFrame) -> None:
    """A table for reading: no index, blanks for missing values, long texts in full."""
    shown = frame.reset_index(drop=True).astype(object)
    shown = shown.where(frame.reset_index(drop=True).notna(), "")
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            with pd.option_context("display.max_colwidth", 160, "display.max_rows", 400):
                display(shown.style.hide(axis="index").set_properties(**{"text-align": "left"}))
            return
    except ImportError:  # pragma: no cover
        pass
    print(shown.to_string(index=False))


def _show_figure(fig, png: Path, caption: str) -> None:
    """Show the saved PNG where it belongs in the text, with its caption for the book, then close the figure.

    Showing the file (not the live figure) keeps the notebook independent of the kernel's
    matplotlib integration and guarantees the reader sees exactly the published figure.
    """
    try:
        from IPython import get_ipython
        from IPython.display import Image, display

        if get_ipython() is not None:
            display(Image(data=Path(png).read_bytes(), format="png"), metadata={"analysis": {"caption": caption}})
    except ImportError:  # pragma: no cover
        pass
    plt.close(fig)


def _caption_of(fig, source: str) -> str:
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    title = titles[0] if titles else "Figure"
    return f"{title}. {source if source.startswith('Source') else 'Source: ' + source}."


class _Chapter:
    """What every notebook chapter does with its results: say, show and save tables and figures, record findings.

    Subclasses provide ``notebook``, ``output_dir`` and ``findings``.
    """

    notebook: str
    output_dir: Path
    findings: Findings

    def say(self, text: str) -> None:
        _say(text)

    def table(self, frame: pd.DataFrame, name: str, show: bool = True) -> pd.DataFrame:
        write_table(frame, self.output_dir, self.notebook, name)
        if show:
            _show(frame)
        return frame

    def figure(self, fig, name: str, source: str) -> None:
        paths = plots.save_figure(fig, self.output_dir, self.notebook, name, source)
        _show_figure(fig, paths["png"], _caption_of(fig, source))

    def save(self) -> Path:
        return self.findings.save()


@dataclass
class Case(_Chapter):
    """Everything a notebook section needs: the region, its data and where results go."""

    region: Region
    notebook: str
    output_dir: Path
    data: dict[str, pd.DataFrame]
    findings: Findings

    @property
    def rid(self) -> str:
        return self.region.region_id

    def rows(self, name: str, **where) -> pd.DataFrame:
        """Rows of dataset ``name`` for this region (``region_id`` or ``area``), filtered by ``where``."""
        frame = self.data[name]
        col = "region_id" if "region_id" in frame.columns else "area"
        out = frame[frame[col] == self.rid]
        for k, v in where.items():
            out = out[out[k].isin(v if isinstance(v, (list, tuple, set)) else [v])]
        return out

    def no_data(self, what: str, would_fill: str) -> None:
        _say(f"*The sources have no {what} for {self.region.name}; {would_fill} would fill this section.*")


def open_case(region: str, output_dir: str | Path = "", notebook: str = "notebook",
              data: dict[str, pd.DataFrame] | None = None) -> Case:
    """Load the validated data and set up the output folder and findings for one region."""
    reg = get_region(region)
    out = Path(output_dir) if output_dir else outputs_dir() / region
    out.mkdir(parents=True, exist_ok=True)
    plots.set_theme()
    datasets = data if data is not None else D.load_all()
    return Case(reg, notebook, out, datasets, Findings(region, notebook, out))


def citation(rows: pd.DataFrame) -> str:
    """'Source: NIBR-rapport 2005:11, Tabell 4.1, Tabell v.3' for the rows shown."""
    pairs = rows[["doc", "source"]].drop_duplicates()
    by_doc: dict[str, list[str]] = {}
    for doc, src in pairs.itertuples(index=False):
        by_doc.setdefault(doc, []).append(src)
    parts = [plots.source_caption(doc, ", ".join(sorted(set(srcs)))) for doc, srcs in sorted(by_doc.items())]
    return "; ".join(parts)


def header(case: Case) -> None:
    reg = case.region
    docs = ", ".join(reg.documents)
    if reg.documents == ("user-registry",):
        docs = f"none (added with `new-region`; see data/templates/{reg.region_id}/README.md)"
    lines = [f"**{reg.name}** ({reg.kind}) — documents: {docs}.", "", "| section | data in the sources |", "|---|---|"]
    for key, title in SECTION_TITLES.items():
        lines.append(f"| {title} | {'yes' if reg.sections.get(key) else 'no'} |")
    case.say("\n".join(lines))


# ---------------------------------------------------------------------------------------------- history

def history_events(case: Case) -> pd.DataFrame:
    """The dated events of the region, as a timeline coloured by phase and as a cited table."""
    ev = case.rows("history_events").copy()
    if ev.empty:
        case.no_data("dated history", "a chronology of the region's firms and institutions")
        return ev
    ev = ev.sort_values(["year", "event_id"], na_position="last")
    dated = ev[ev["year"].notna()]
    if not dated.empty:
        fig = plots.timeline(dated, title=f"{case.region.name}: dated events by phase")
        case.figure(fig, "timeline", citation(dated))
    table = ev[["year", "year_end", "precision", "event", "actors", "phase", "doc", "source", "lines"]]
    case.table(table, "events")
    case.findings.record("history.events", len(ev), "events", "Dated and undated history events in the sources")
    if not dated.empty:
        case.findings.record("history.first-year", int(dated["year"].min()), "year", "Earliest dated event")
    undated = int(ev["year"].isna().sum())
    if undated:
        case.say(f"{undated} event(s) have no date in the sources; they are listed in the table, not on the timeline.")
    return table


def employment_history(case: Case) -> pd.DataFrame:
    """Employment levels by industry and year, and the printed index series."""
    emp = case.rows("employment")
    idx = case.rows("employment_index")
    if emp.empty and idx.empty:
        case.no_data("employment series", "register employment by industry and year (e.g. SSB table 07984)")
        return emp
    if not emp.empty:
        levels = emp.pivot_table(index=["source", "industry_id", "label_printed"], columns="year",
                                 values="employed", aggfunc="first").reset_index()
        levels.columns = [str(c) for c in levels.columns]
        case.table(levels, "employment-levels")
        two = emp.groupby(["source", "industry_id"])["year"].nunique()
        paired = two[two >= 2].index
        if len(paired):
            sub = emp.set_index(["source", "industry_id"]).loc[paired].reset_index()
            sub = sub[sub["industry_id"].isin(GROUPS) | sub["industry_id"].str.startswith("tech-")]
            if not sub.empty:
                fig, ax = plt.subplots(figsize=(8, 4.5))
                sns.barplot(data=_named(sub).assign(year=sub["year"].astype(str)), x="industry", y="employed",
                            hue="year", ax=ax, errorbar=None)
                _rotate(ax)
                ax.set(title=f"{case.region.name}: employment by industry group",
                       xlabel="industry group (appendix groups g1–g7, tech totals)", ylabel="employed persons")
                case.figure(fig, "employment-levels", citation(sub))
    if not idx.empty:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for (area_label, ind_id), g in idx.groupby(["label_printed", "industry_id"]):
            g = g.sort_values("year")
            ax.plot(g["year"], g["index"], marker="o", label=f"{area_label}")
        base = int(idx["base_year"].iloc[0])
        ax.axhline(100, color="grey", lw=0.8)
        ax.set(title=f"{case.region.name}: employment index ({base} = 100)", xlabel="year",
               ylabel=f"index, {base} = 100")
        ax.legend(fontsize="small")
        case.figure(fig, "employment-index", citation(idx))
        lo = idx.loc[idx["index"].idxmin()]
        case.findings.record("history.index-low", float(lo["index"]), "index",
                             f"Lowest index value of {lo['label_printed']} ({int(lo['year'])})")
    return emp


# ------------------------------------------------------------------------------------ production system

def _levels(data: dict[str, pd.DataFrame], area: str, source: str, years=(1997, 2005)) -> pd.DataFrame:
    emp = data["employment"]
    sub = emp[(emp["area"] == area) & (emp["source"] == source) & emp["year"].isin(years)]
    return sub.pivot_table(index="industry_id", columns="year", values="employed", aggfunc="first")


def _published(case: Case, area: str, industry: str, measure: str, period: str, source: str | None = None):
    pv = case.data["published_values"]
    hit = pv[(pv["area"] == area) & (pv["industry_id"] == industry) & (pv["measure"] == measure) & (pv["period"] == period)]
    if source is not None and (hit["source"] == source).any():
        hit = hit[hit["source"] == source]
    return None if hit.empty else hit.iloc[0].to_dict()


def employment_change(case: Case, area: str | None = None, source: str = "Tabell v.3",
                      t0: int = 1997, t1: int = 2005) -> pd.DataFrame:
    """Absolute and relative change by industry group, reproducing the printed change columns."""
    area = area or case.rid
    lv = _levels(case.data, area, source, (t0, t1))
    if lv.empty or t0 not in lv.columns or t1 not in lv.columns:
        return pd.DataFrame()
    lv = lv.dropna()
    rows = []
    for industry, r in lv.iterrows():
        e0, e1 = float(r[t0]), float(r[t1])
        rel = ind.rel_change(e1, e0) if e0 > 0 else None
        rows.append({"area": area, "industry_id": industry, f"employed_{t0}": int(e0), f"employed_{t1}": int(e1),
                     "abs_change": ind.abs_change(e1, e0), "rel_change_pct": None if rel is None else round(rel, 1)})
        period = f"{t0}-{t1}"
        # the register counts are roundings of fractional values: each level may be off by 0.5
        corners = [(e1 + a) - (e0 + b) for a in (-0.5, 0.5) for b in (-0.5, 0.5)]
        rel_corners = [100 * ((e1 + a) - (e0 + b)) / (e0 + b) for a in (-0.5, 0.5) for b in (-0.5, 0.5)] if e0 > 0.5 else []
        for measure, value, unit, span in (("abs-change", e1 - e0, "persons", corners),
                                           ("rel-change-pct", rel, "percent", rel_corners)):
            if value is None:
                continue
            pub = _published(case, area, industry, measure, period, source)
            case.findings.record(f"employment.{area}.{industry}.{measure}.{period}.{_slug(source)}", value, unit,
                                 f"{measure} of employment in {industry}, {area}, {period} ({source} levels)",
                                 published=pub, interval=(min(span), max(span)) if span else None)
    return pd.DataFrame(rows)


def production_structure(case: Case) -> pd.DataFrame:
    """Employment by industry group: the chapter table and the appendix table, with changes."""
    if case.rows("employment").empty:
        case.no_data("register employment by industry", "employment by NACE group and year for the region's municipalities")
        return pd.DataFrame()
    frames = []
    for source in sorted(case.rows("employment")["source"].unique()):
        ch = employment_change(case, source=source)
        if not ch.empty:
            ch.insert(0, "source", source)
            frames.append(ch)
    if not frames:
        case.say("The sources print employment for one year only here, so no change can be computed from levels.")
        return case.table(case.rows("employment")[["industry_id", "year", "employed", "label_printed", "source"]],
                          "employment-levels")
    table = pd.concat(frames, ignore_index=True)
    case.table(table, "employment-change")
    sub = table[table["industry_id"].isin(GROUPS)]
    if sub.empty:
        sub = table
    fig, ax = plt.subplots(figsize=(8, 4.5))
    sns.barplot(data=_named(sub), x="industry", y="abs_change", hue="source", ax=ax, errorbar=None)
    _rotate(ax)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(title=f"{case.region.name}: change in employment 1997–2005", xlabel="industry group",
           ylabel="change, employed persons")
    case.figure(fig, "employment-change", citation(case.rows("employment", source=list(sub["source"].unique()))))
    return table


def norway_levels(data: dict[str, pd.DataFrame], year: int, source: str = "Tabell v.3") -> pd.Series:
    """Norway = the four towns + the rest of the country (appendix Tabell v.3 prints no Norway block)."""
    emp = data["employment"]
    sub = emp[(emp["source"] == source) & (emp["year"] == year) & emp["industry_id"].isin(GROUPS)
              & emp["area"].isin(["tech-towns", "rest-of-norway"])]
    return sub.groupby("industry_id")["employed"].sum().astype(float)


def specialisation(case: Case, year: int = 2005, source: str = "Tabell v.3") -> pd.DataFrame:
    """Shares, location quotients, Krugman and Hoover against Norway, within technology industries."""
    lv = _levels(case.data, case.rid, source, (year,))
    if lv.empty:
        case.no_data("employment by industry group for the specialisation measures",
                     "employment by industry group for the region and Norway")
        return pd.DataFrame()
    e_ij = lv[year].reindex(GROUPS).fillna(0).astype(float)
    e_i = norway_levels(case.data, year, source).reindex(GROUPS).fillna(0)
    table = pd.DataFrame({
        "industry_id": GROUPS,
        "employed": e_ij.values,
        "share_pct": (100 * ind.shares(e_ij)).round(1).values,
        "norway_employed": e_i.values,
        "norway_share_pct": (100 * ind.shares(e_i)).round(1).values,
        "lq": [round(ind.locq(e_ij[g], e_ij.sum(), e_i[g], e_i.sum()), 2) for g in GROUPS],
    })
    k = ind.krugman(ind.shares(e_ij), ind.shares(e_i))
    h = ind.hoover(e_ij, e_i)
    case.say(f"Within the technology industries ({year}), {case.region.name}'s Krugman dissimilarity index against "
             f"Norway is **{k:.2f}** and the Hoover coefficient **{h:.2f}**. The location quotients compare "
             "shares of technology-industry employment: the sources print no total employment per municipality, "
             "so a quotient against all industries cannot be computed.")
    case.findings.record(f"specialisation.krugman.{year}", round(k, 4), "index", "Krugman index vs Norway, tech industries")
    case.findings.record(f"specialisation.hoover.{year}", round(h, 4), "index", "Hoover coefficient vs Norway, tech industries")
    for row in table.to_dict("records"):
        case.findings.record(f"specialisation.lq.{row['industry_id']}.{year}", row["lq"], "ratio",
                             f"Location quotient of {row['industry_id']} within tech industries vs Norway")
    case.table(table, "specialisation")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    sns.barplot(data=_named(table), x="industry", y="lq", ax=ax, color=sns.color_palette()[0])
    _rotate(ax)
    ax.axhline(1, color="grey", lw=0.8)
    ax.set(title=f"{case.region.name}: location quotients vs Norway, {year}", xlabel="industry group",
           ylabel="location quotient (1 = Norway's structure)")
    rows = case.data["employment"].query("source == @source and year == @year")
    case.figure(fig, "location-quotients", citation(rows))
    return table


def shift_share(case: Case, t0: int = 1997, t1: int = 2005, source: str = "Tabell v.3") -> pd.DataFrame:
    """Classic shift-share of the change t0 -> t1 against Norway (national growth, industry mix, regional shift)."""
    lv = _levels(case.data, case.rid, source, (t0, t1))
    if lv.empty or t0 not in lv.columns:
        case.no_data(f"employment by industry group for {t0} and {t1}", "two years of employment by group")
        return pd.DataFrame()
    e0 = lv[t0].reindex(GROUPS).fillna(0)
    e1 = lv[t1].reindex(GROUPS).fillna(0)
    n0 = norway_levels(case.data, t0, source).reindex(GROUPS).fillna(0)
    n1 = norway_levels(case.data, t1, source).reindex(GROUPS).fillna(0)
    table = ind.shift(e0, e1, n0, n1).reset_index()
    case.table(table.round(1), "shift-share")
    tot = table.select_dtypes("number").sum()
    for comp in [c for c in table.columns if c not in ("industry_id", "index")]:
        if pd.api.types.is_numeric_dtype(table[comp]):
            case.findings.record(f"shift-share.{comp}.{t0}-{t1}", round(float(tot[comp]), 2), "persons",
                                 f"Shift-share total of {comp}, {t0}-{t1}, vs Norway")
    return table


def firm_size(case: Case) -> pd.DataFrame:
    fs = case.rows("firm_size")
    if fs.empty:
        case.no_data("firm-size structure", "firms and employment by size class")
        return fs
    case.table(fs[["industry_id", "year", "size_class", "firms", "employed", "source"]], "firm-size")
    tot = fs[(fs["industry_id"] == "tech-total") & (fs["size_class"] != "total") & fs["employed"].notna()]
    if not tot.empty:
        tot = tot[tot["source"] == tot["source"].iloc[0]]
        fig, ax = plt.subplots(figsize=(7, 4))
        share = 100 * tot["employed"].astype(float) / tot["employed"].sum()
        sns.barplot(x=tot["size_class"], y=share.values, ax=ax, color=sns.color_palette()[1])
        ax.set(title=f"{case.region.name}: employment by firm size, technology industries",
               xlabel="employees per firm", ylabel="share of employment, %")
        case.figure(fig, "firm-size", citation(tot))
        large = share[tot["size_class"].isin(["gt100", "gt99"]).values].sum()
        case.findings.record("firm-size.large-share", round(float(large), 2), "percent",
                             "Share of technology-industry employment in firms with more than 100 employed")
    return fs


def largest_firms(case: Case) -> pd.DataFrame:
    lf = case.rows("largest_firms")
    if lf.empty:
        case.no_data("list of the largest firms", "firm-level employment for the region")
        return lf
    cols = ["rank", "firm", "established_printed", "ownership", "products", "jobs", "jobs_measure", "jobs_year", "source"]
    table = lf.sort_values(["source", "rank"])[cols]
    case.table(table, "largest-firms")
    for src, g in lf.groupby("source"):
        case.findings.record(f"largest-firms.sum.{src}", int(g["jobs"].sum()), "jobs",
                             f"Sum of jobs of the firms listed in {src}")
    return table


def supplier_locations(case: Case) -> pd.DataFrame:
    loc = case.rows("locations", subject=["suppliers", "sales", "purchases"])
    if loc.empty:
        case.no_data("supplier localisation", "locations of the firms' most important suppliers")
        return loc
    case.table(loc[["subject", "category", "location", "value", "unit", "n", "source"]], "supplier-locations")
    pct = loc[loc["unit"].isin(["percent", "percent-of-answers"]) & (loc["category"] != "total")]
    if not pct.empty:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        sns.barplot(data=pct, x="category", y="value", hue="location", ax=ax, errorbar=None)
        ax.set(title=f"{case.region.name}: where the suppliers are", xlabel="supplier type",
               ylabel=f"share, {pct['unit'].iloc[0].replace('-', ' ')}")
        ax.tick_params(axis="x", rotation=20)
        case.figure(fig, "supplier-locations", citation(pct))
    return loc


def firm_dynamics(case: Case) -> pd.DataFrame:
    fd = case.data["firm_dynamics"]
    mine = fd[fd["area"] == case.rid]
    if mine.empty:
        case.no_data("firm dynamics (entries, exits)", "firms established and closed by industry and year")
        return mine
    ref = fd[(fd["area"] == "norway") & fd["source"].isin(mine["source"].unique())]
    both = pd.concat([mine, ref], ignore_index=True)
    both = both.assign(net=both["established"] - both["closed"])
    case.table(both[["area", "industry_id", "period_start", "period_end", "firms_end", "established", "closed", "net",
                     "source"]], "firm-dynamics")
    for row in mine.to_dict("records"):
        if pd.notna(row["established"]) and pd.notna(row["closed"]):
            case.findings.record(f"dynamics.net.{row['industry_id']}.{row['source']}",
                                 int(row["established"] - row["closed"]), "firms",
                                 f"Net change in firms (established - closed), {row['industry_id']}, {row['source']}")
    return both


def qualitative(case: Case, section: str, kinds: list[str] | None = None, title: str = "") -> pd.DataFrame:
    cc = case.rows("case_content", section=section)
    if kinds:
        cc = cc[cc["kind"].isin(kinds)]
    if cc.empty:
        case.no_data(title or section.replace("-", " "), "case interviews or documents")
        return cc
    table = cc[["kind", "item", "term_no", "doc", "source", "lines"]].sort_values(["kind", "item"])
    case.table(table, f"{section}-records")
    return table


def reported_indicators(case: Case, topics: list[str] | None = None) -> pd.DataFrame:
    ind_ = case.rows("indicators")
    if topics:
        ind_ = ind_[ind_["topic"].isin(topics)]
    if ind_.empty:
        return ind_
    cols = ["topic", "indicator", "category", "period", "value", "unit", "qualifier", "description", "source", "lines"]
    case.table(ind_[cols], "reported-indicators")
    return ind_


def targets(case: Case) -> pd.DataFrame:
    t = case.rows("targets")
    if t.empty:
        return t
    case.table(t[["indicator", "target_value", "target_unit", "target_year", "target_text", "status", "status_value",
                  "status_period", "source", "lines"]], "targets")
    return t


# ----------------------------------------------------------------------------------- reproduction

NOTEBOOK_OF_DATASET = {
    "employment": "production-system", "firm_size": "production-system", "firm_dynamics": "production-system",
    "largest_firms": "production-system", "population": "history", "employment_index": "history",
    "survey_indicators": "innovation-sources", "survey_rankings": "innovation-sources",
    "survey_respondents": "innovation-sources", "locations": "innovation-sources", "indicators": "production-system",
    "targets": "production-system",
}


def notebook_of(pv: dict) -> str:
    """Which notebook reproduces a published value: by the first dataset its computation reads."""
    from analysis.reproduce import REF_RE

    m = REF_RE.search(str(pv.get("computed_from", "")))
    nb = NOTEBOOK_OF_DATASET.get(m.group(1), "production-system") if m else "production-system"
    if pv.get("area") in ("norway", "rest-of-norway", "big-cities", "medium-cities", "small-towns",
                          "other-municipalities") and nb != "innovation-sources":
        return "national-context"
    if pv.get("area") in ("tech-towns", "other-tech-towns"):
        return "comparison"
    return nb


def reproduce_published(case: _Chapter, areas: list[str] | None = None) -> pd.DataFrame:
    """Recompute every published value of these areas that this notebook owns and is not yet recorded."""
    pv = case.data["published_values"]
    areas = areas or [case.rid]
    done = case.findings.published_ids()
    rows = []
    for row in pv[pv["area"].isin(areas)].to_dict("records"):
        if notebook_of(row) != case.notebook or row["pv_id"] in done:
            continue
        try:
            value = evaluate(row["computed_from"], case.data, row["source"])
            lo, hi = evaluate_interval(row["computed_from"], case.data, row["source"])
        except NotComputable as exc:
            rows.append({"pv_id": row["pv_id"], "published": row["value"], "reproduced": None,
                         "status": "not-computable", "note": str(exc)})
            continue
        rec = case.findings.record(f"published.{row['pv_id']}", round(value, 6), row["unit"], row["description"],
                                   published=row, interval=(lo, hi))
        rows.append({"pv_id": row["pv_id"], "published": row["value"], "reproduced": round(value, 3),
                     "status": rec["status"], "note": row.get("errata_id") or ""})
    table = pd.DataFrame(rows, columns=["pv_id", "published", "reproduced", "status", "note"])
    if not table.empty:
        case.table(table, "reproduction")
        counts = table["status"].value_counts().to_dict()
        case.say("Reproduction of the printed numbers: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + ".")
    return table


# ----------------------------------------------------------------------------------------- survey

def rankings(case: Case, question: str, title: str) -> pd.DataFrame:
    r = case.rows("survey_rankings", question=question)
    if r.empty:
        return r
    items = case.data["survey_items"].query("question == @question")[["item_id", "label_en"]]
    r = r.merge(items, on="item_id", how="left")
    wide = r.pivot_table(index=["item_id", "label_en"], columns="firm_group", values="rank", aggfunc="first")
    wide = wide.reset_index().sort_values(list(wide.columns[2:3]) or ["item_id"])
    case.table(wide, f"{question}-ranks")
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(wide) + 1.5))
    sns.stripplot(data=r, y="label_en", x="rank", hue="firm_group", ax=ax, size=8, jitter=False, dodge=True)
    ax.set(title=f"{case.region.name}: {title}", xlabel="rank (1 = most important; ties share a rank)", ylabel="item")
    ax.invert_xaxis()
    case.figure(fig, f"{question}-ranks", citation(r))
    groups = sorted(r["firm_group"].unique())
    if len(groups) >= 2:
        agr = sv.agreement(r.assign(question=question), by="firm_group")
        if not agr.empty:
            case.table(agr, f"{question}-agreement")
            for a in agr[agr["defined"].fillna(False)].to_dict("records"):
                case.findings.record(f"{question}.tau.{a['a']}.{a['b']}", round(float(a["tau"]), 4), "Kendall tau",
                                     f"Rank agreement ({question}) between {a['a']} and {a['b']} over {a['n']} common items")
        else:
            case.say("Fewer than three items are ranked by both groups, so rank agreement cannot be measured.")
    return r


def survey_indicators(case: Case, indicators: list[str] | None = None) -> pd.DataFrame:
    """Printed survey counts and shares, with Wilson intervals and a test against a printed reference share."""
    si = case.rows("survey_indicators")
    if indicators:
        si = si[si["indicator"].isin(indicators)]
    if si.empty:
        return si
    rows = []
    for r in si.to_dict("records"):
        out = {"indicator": r["indicator"], "firm_group": r["firm_group"], "count": r["count"], "n": r["n"],
               "share_pct": r["share_pct"], "qualifier": r["qualifier"], "description": r["description"],
               "source": r["source"], "lines": r["lines"]}
        n = r["n"] if pd.notna(r["n"]) else None
        # intervals only for shares of firms with a printed count (shares of turnover are not binomial)
        if n and pd.notna(r["count"]):
            res = sv.proportion_test(int(r["count"]), int(n), 0.5)
            if res is not None:
                out.update({"ci_low_pct": round(100 * res["ci_low"], 1), "ci_high_pct": round(100 * res["ci_high"], 1)})
                case.findings.record(f"survey.{r['indicator']}.{r['firm_group']}.share", round(100 * res["share"], 2),
                                     "percent", f"{r['description']} (share of {int(n)} firms)")
        rows.append(out)
    table = pd.DataFrame(rows)
    case.table(table, "survey-indicators")
    return table


def _respondents(case: Case, firm_group: str) -> int | None:
    sr = case.data["survey_respondents"]
    hit = sr[(sr["region_id"] == case.rid) & (sr["measure"] == "responded") & (sr["firm_group"] == firm_group)
             & sr["question"].isna()]
    return int(hit["n"].iloc[0]) if not hit.empty else None


def innovator_tests(case: Case) -> list[dict]:
    """The region's printed shares of firms against the printed national share of the same industries.

    National references are the ``norway`` rows of ``survey_indicators`` with the same
    indicator and the same firm group, or a firm group named after the region (e.g.
    ``halden-ict-industries``). Where the source prints a range (25-30 %), the end closest
    to the region's share is used, so the test is conservative. N is the printed N of the
    group, or the region's respondents when the group is all firms; without an N there is
    no test, and the notebook says so.
    """
    si = case.data["survey_indicators"]
    mine = si[(si["region_id"] == case.rid) & si["share_pct"].notna() | (si["region_id"] == case.rid) & si["count"].notna()]
    nat = si[si["region_id"] == "norway"]
    results = []
    for r in mine.to_dict("records"):
        refs = nat[(nat["indicator"] == r["indicator"])
                   & ((nat["firm_group"] == r["firm_group"]) | nat["firm_group"].str.startswith(f"{case.rid}-"))]
        if refs.empty:
            continue
        n = int(r["n"]) if pd.notna(r["n"]) else (_respondents(case, "all") if r["firm_group"] == "all" else None)
        share = (100 * r["count"] / r["n"]) if pd.notna(r["count"]) and pd.notna(r["n"]) else float(r["share_pct"])
        ref = refs.iloc[(refs["share_pct"] - share).abs().argsort().iloc[0]]
        if n is None:
            case.say(f"{r['description']}: {share:.0f} % against {ref['share_pct']:.0f} % nationally "
                     f"({ref['description']}); the source prints no number of firms for this group, so no test.")
            continue
        try:
            res = (sv.proportion_test(int(r["count"]), n, float(ref["share_pct"]) / 100) if pd.notna(r["count"])
                   else sv.share_ci_from_pct(float(r["share_pct"]), n, p0=float(ref["share_pct"]) / 100))
        except ValueError as exc:
            case.say(f"{r['description']}: no test ({exc}).")
            continue
        note = " The count is rebuilt from the printed percentage and N." if pd.isna(r["count"]) else ""
        case.say(f"{r['description']}: **{100 * res['share']:.0f} %** of {n} firms (95 % Wilson interval "
                 f"{100 * res['ci_low']:.0f}–{100 * res['ci_high']:.0f} %) against **{ref['share_pct']:.0f} %** "
                 f"nationally ({ref['description']}); one-sample z-test p = {res['p_value']:.2g}.{note}")
        case.findings.record(f"survey.{r['indicator']}.{r['firm_group']}.vs-national.p", float(res["p_value"]),
                             "p-value", f"z-test of {r['indicator']} ({r['firm_group']}) against the national share")
        results.append(res)
    if not results and not mine.empty:
        case.say("No printed share of this region has both a number of firms and a printed national share to test against.")
    return results


def partner_locations(case: Case) -> pd.DataFrame:
    loc = case.rows("locations", subject="innovation-partners")
    if loc.empty:
        case.no_data("locations of innovation partners", "survey counts of partners by location")
        return loc
    case.table(loc[["category", "location", "value", "unit", "n", "label_printed", "source", "lines"]],
               "partner-locations")
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.barplot(data=loc, x="location", y="value", hue="source", ax=ax, errorbar=None)
    ax.set(title=f"{case.region.name}: where the innovation partners are", xlabel="location",
           ylabel="share of partners, %")
    case.figure(fig, "partner-locations", citation(loc))
    return loc


# ----------------------------------------------------------------------------------- cross-region

TOWNS = ["horten", "kongsberg", "raufoss", "halden"]


@dataclass
class Study(_Chapter):
    """The cross-region view: several regions at once."""

    regions: list[str]
    notebook: str
    output_dir: Path
    data: dict[str, pd.DataFrame]
    findings: Findings


def open_study(regions: list[str] | None = None, output_dir: str | Path = "", notebook: str = "comparison",
               data: dict[str, pd.DataFrame] | None = None) -> Study:
    from analysis.data.regions import case_regions

    valid = [r.region_id for r in case_regions()]
    regions = list(regions) if regions else valid
    for r in regions:
        get_region(r)
    out = Path(output_dir) if output_dir else outputs_dir() / "cross-region"
    out.mkdir(parents=True, exist_ok=True)
    plots.set_theme()
    datasets = data if data is not None else D.load_all()
    return Study(regions, notebook, out, datasets, Findings("cross-region", notebook, out))


def towns_change(study: Study, t0: int = 1997, t1: int = 2005, source: str = "Tabell v.3") -> pd.DataFrame:
    """The four towns, the towns together and the rest of the country: change by group (Tabell 3.4 / v.3)."""
    emp = study.data["employment"]
    sub = emp[(emp["source"] == source) & emp["year"].isin([t0, t1])]
    areas = [a for a in TOWNS if a in study.regions] + ["tech-towns", "rest-of-norway"]
    rows = []
    for area in areas:
        lv = sub[sub["area"] == area].pivot_table(index="industry_id", columns="year", values="employed", aggfunc="first")
        if lv.empty or t0 not in lv.columns:
            continue
        for industry, r in lv.dropna().iterrows():
            e0, e1 = float(r[t0]), float(r[t1])
            rows.append({"area": area, "industry_id": industry, "abs_change": e1 - e0,
                         "rel_change_pct": round(ind.rel_change(e1, e0), 1) if e0 > 0 else None})
    table = pd.DataFrame(rows)
    if table.empty:
        study.say("No employment levels for two years are in the data.")
        return table
    wide = table.pivot_table(index="industry_id", columns="area", values="rel_change_pct", aggfunc="first")
    study.table(wide.reset_index(), "towns-relative-change")
    totals = table[table["industry_id"] == "tech-total"]
    if not totals.empty:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        sns.barplot(data=totals, x="area", y="rel_change_pct", ax=ax, color=sns.color_palette()[0])
        ax.axhline(0, color="grey", lw=0.8)
        ax.set(title=f"Technology industries: change in employment {t0}–{t1}", xlabel="area",
               ylabel="relative change, %")
        study.figure(fig, "towns-change", citation(sub[sub["area"].isin(areas)]))
    return table


def towns_structure(study: Study, year: int = 2005, source: str = "Tabell v.3") -> pd.DataFrame:
    """Employment shares by group in each town and the rest of the country (the analogue of Figur 3.4)."""
    emp = study.data["employment"]
    sub = emp[(emp["source"] == source) & (emp["year"] == year) & emp["industry_id"].isin(GROUPS)]
    areas = [a for a in TOWNS if a in study.regions] + ["tech-towns", "rest-of-norway"]
    sub = sub[sub["area"].isin(areas)]
    if sub.empty:
        return sub
    share = sub.assign(share_pct=100 * sub["employed"].astype(float) / sub.groupby("area")["employed"].transform("sum"))
    wide = share.pivot_table(index="industry_id", columns="area", values="share_pct").round(1)
    study.table(wide.reset_index(), "towns-structure")
    fig, ax = plt.subplots(figsize=(9, 4.5))
    sns.barplot(data=_named(share), x="industry", y="share_pct", hue="area", ax=ax, errorbar=None)
    _rotate(ax)
    ax.set(title=f"Structure of the technology industries, {year}", xlabel="industry group",
           ylabel="share of technology-industry employment, %")
    study.figure(fig, "towns-structure", citation(sub))
    for area, g in share.groupby("area"):
        k = ind.krugman(g.set_index("industry_id")["share_pct"] / 100,
                        share[share["area"] == "rest-of-norway"].set_index("industry_id")["share_pct"] / 100)
        study.findings.record(f"structure.krugman.{area}.{year}", round(float(k), 4), "index",
                              f"Krugman index of {area} vs the rest of the country, tech industries {year}")
    return share


def partner_comparison(study: Study) -> pd.DataFrame:
    loc = study.data["locations"]
    loc = loc[(loc["subject"] == "innovation-partners") & (loc["source"] == "Tabell 8.1")]
    if loc.empty:
        return loc
    fig, ax = plt.subplots(figsize=(8, 4.5))
    sns.barplot(data=loc, x="region_id", y="value", hue="location", ax=ax, errorbar=None)
    ax.set(title="Where the innovation partners are (NIBR survey 2004)", xlabel="town", ylabel="share of partners, %")
    study.figure(fig, "partner-locations", citation(loc))
    study.table(loc.pivot_table(index="region_id", columns="location", values="value").reset_index(), "partner-locations")
    return loc


def concordance(study: Study, question: str) -> pd.DataFrame:
    """Kendall's W across towns (or firm groups) that rank the same items."""
    r = study.data["survey_rankings"].query("question == @question")
    r = r[r["region_id"].isin([*study.regions, "tech-towns"])]  # ch. 8 ranks some items for the towns together
    if r.empty:
        study.say(f"No rankings for {question} are in the data.")
        return r
    r = r.assign(rater=r["region_id"] + "/" + r["firm_group"])
    wide = r.pivot_table(index="item_id", columns="rater", values="rank", aggfunc="first")
    short = [c for c in wide.columns if wide[c].notna().sum() < 3]
    if short:
        study.say(f"Left out of the concordance for {question} (fewer than three ranked items): {', '.join(short)}.")
    wide = wide.drop(columns=short).dropna()
    if wide.shape[1] < 2 or wide.shape[0] < 3:
        study.say(f"Fewer than two rankings over three or more common items for {question}: no concordance measure.")
        return wide
    res = sv.kendall_w(wide)
    study.say(f"Kendall's W for {question} across {wide.shape[1]} rankings of {wide.shape[0]} common items: "
              f"**{res['w']:.2f}** (chi-square p = {res['p_value']:.3g}).")
    study.findings.record(f"{question}.kendall-w", round(float(res["w"]), 4), "W",
                          f"Kendall's W across {', '.join(wide.columns)}")
    study.table(wide.reset_index(), f"{question}-concordance")
    return wide


def coverage(study: Study) -> pd.DataFrame:
    """What each region's sources support, section by section."""
    rows = []
    for rid in study.regions:
        reg = get_region(rid)
        counts = {name: int((frame[["region_id" if "region_id" in frame.columns else "area"]].iloc[:, 0] == rid).sum())
                  for name, frame in study.data.items()
                  if "region_id" in frame.columns or "area" in frame.columns}
        rows.append({"region": reg.name, **{SECTION_TITLES[k]: v for k, v in reg.sections.items()},
                     "rows of data": sum(counts.values())})
    return study.table(pd.DataFrame(rows), "coverage")


def reproduce_study(study: Study, areas: list[str]) -> pd.DataFrame:
    """Recompute the published values of aggregate areas owned by this notebook."""
    return reproduce_published(study, areas)


def municipality_types(study: Study) -> pd.DataFrame:
    emp = study.data["employment"]
    sub = emp[emp["source"] == "Tabell 3.2"]
    if sub.empty:
        study.say("Tabell 3.2 is not in the data.")
        return sub
    parts = sub[sub["area"] != "norway"]
    total = sub[sub["area"] == "norway"]["employed"].sum() or parts["employed"].sum()
    table = parts.assign(share_pct=(100 * parts["employed"].astype(float) / float(total)).round(1))
    study.table(table[["area", "employed", "share_pct", "label_printed"]], "municipality-types")
    fig, ax = plt.subplots(figsize=(7, 4))
    sns.barplot(data=table, x="area", y="employed", ax=ax, color=sns.color_palette()[2])
    ax.set(title="High-tech employment by municipality type, 2005", xlabel="municipality type",
           ylabel="employed persons")
    study.figure(fig, "municipality-types", citation(sub))
    for row in table.to_dict("records"):
        study.findings.record(f"national.ht-share.{row['area']}", float(row["share_pct"]), "percent",
                              f"Share of national high-tech employment in {row['area']} (Tabell 3.2)")
    return table


def national_indicators(study: Study) -> pd.DataFrame:
    ind_ = study.data["indicators"]
    sub = ind_[ind_["topic"].isin(["national-context", "rural-context"])]
    if sub.empty:
        study.say("No national indicators are in the data.")
        return sub
    cols = ["topic", "region_id", "indicator", "category", "period", "value", "unit", "qualifier", "description",
            "doc", "source", "lines"]
    return study.table(sub[cols].sort_values(["topic", "indicator", "period"]), "national-indicators")


# The core each town's Figur 8.1 sign compares, and the national groups of the same definition (Tabell v.6).
FIG81_CORE = {"horten": ["g3"], "kongsberg": ["g2", "g4"], "raufoss": ["g2", "g4"], "halden": ["g3", "g5"]}


def _national_entry_rate(pv: pd.DataFrame, fd: pd.DataFrame, groups: list[str]) -> float:
    """Entry rate of several national groups together: the unprinted 1998 stocks are implied by each
    group's printed rate (stock = established / rate), then summed (Tabell v.6)."""
    est = stock = 0.0
    for g in groups:
        e = float(fd[(fd["area"] == "norway") & (fd["industry_id"] == g) & (fd["source"] == "Tabell v.6")]["established"].iloc[0])
        rate = float(pv[pv["pv_id"] == f"v6.norway.{g}.entry"]["value"].iloc[0])
        est += e
        stock += 100 * e / rate
    return 100 * est / stock


def dynamics_matrix(study: Study) -> pd.DataFrame:
    """Figur 8.1: the report's signs for the towns' core sectors against the country, and the new-firm
    column recomputed from the entry rates of Tabell v.6 (the other columns need survey and accounts
    data the report does not print)."""
    cc = study.data["case_content"]
    rows = cc[cc["item"].str.startswith("Figur 8.1 codes")]
    if rows.empty:
        study.say("Figur 8.1 is not in the data.")
        return rows
    pv, fd = study.data["published_values"], study.data["firm_dynamics"]
    out = []
    for r in rows.to_dict("records"):
        signs = r["item"].split(":")[-1].split()
        town = r["region_id"]
        core = pv[pv["pv_id"] == f"v6.{town}.core.entry"]
        national = _national_entry_rate(pv, fd, FIG81_CORE[town])
        town_rate = float(core["value"].iloc[0]) if not core.empty else None
        computed = None if town_rate is None else ("+" if town_rate > national else "-")
        out.append({"town": town, "employment 1997–2005": signs[0], "innovation rates 2001–2003": signs[1],
                    "new-firm rates 1998–2005": signs[2], "profitability 2001–2003": signs[3],
                    "core entry rate, %": town_rate, "national entry rate of the same groups, %": round(national),
                    "new-firm sign recomputed": computed, "source": r["source"], "lines": r["lines"]})
        if computed is not None:
            agrees = computed == signs[2].strip("()")
            study.findings.record(f"fig8-1.new-firm-sign-agrees.{town}", float(agrees), "boolean",
                                  f"Recomputed new-firm sign ({computed}) agrees with Figur 8.1 ({signs[2]}) for {town}")
    table = pd.DataFrame(out)
    study.say("Signs: + substantially better than the country, − worse, 0 the same, (+) somewhat better "
              "(fn 132). Only the new-firm column can be recomputed from printed numbers; '(+)' is read as '+'.")
    return study.table(table, "fig8-1-dynamics")


def value_chains(case: Case) -> pd.DataFrame:
    """The value chains the source describes, stage by stage, with the region's position marked."""
    vc = case.rows("value_chain")
    if vc.empty:
        case.no_data("value-chain description", "a description of the chain from raw materials to end customers")
        return vc
    chains = list(dict.fromkeys(vc["chain"]))
    fig, axes = plt.subplots(len(chains), 1, figsize=(11, 1.9 * len(chains) + 0.6), squeeze=False)
    palette = sns.color_palette()
    for ax, chain in zip(axes[:, 0], chains):
        steps = vc[vc["chain"] == chain].sort_values("step")
        for x, r in enumerate(steps.to_dict("records")):
            here = bool(r["region_position"]) if pd.notna(r["region_position"]) else False
            label = r["stage"] + (f"\n({r['actors'].replace(';', ', ')})" if pd.notna(r["actors"]) else "")
            ax.text(x, 0, "\n".join(__import__("textwrap").wrap(label, 18)), ha="center", va="center", fontsize=7,
                    bbox={"boxstyle": "round", "fc": palette[2] if here else "white", "ec": "0.4",
                          "alpha": 0.5 if here else 1})
            if x:
                ax.annotate("", xy=(x - 0.42, 0), xytext=(x - 0.58, 0), arrowprops={"arrowstyle": "->", "color": "0.4"})
        ax.set(xlim=(-0.6, len(steps) - 0.4), ylim=(-1, 1), yticks=[], xticks=range(len(steps)),
               xticklabels=[str(s) for s in steps["step"]], xlabel="stage (upstream → downstream)", ylabel=chain,
               title=f"{case.region.name}: {chain.replace('-', ' ')} value chain (shaded: the region's firms)")
        ax.grid(False)
    fig.tight_layout()
    case.figure(fig, "value-chains", citation(vc))
    case.table(vc[["chain", "step", "stage", "term_no", "actors", "region_position", "source", "lines"]], "value-chains")
    for chain in chains:
        steps = vc[(vc["chain"] == chain) & vc["region_position"].fillna(False)]
        case.findings.record(f"value-chain.{chain}.stages-in-region", int(len(steps)), "count",
                             f"Stages of the {chain} chain where the source places the region's firms")
    return vc
