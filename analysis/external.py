"""Register data fetched from Statistics Norway (``data/external/<region>/``), as a notebook section.

These data are another vintage than the sources: SN2007 (NACE Rev. 2) divisions grouped by
Eurostat's high-tech aggregation, not the 2005 report's SN2002 groups ``g1``-``g7``. They are
shown in their own section and never joined to the report's series. Years in which a
municipality covered another area (a merger) are shown apart, so a series is continuous or
visibly broken.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from analysis.data.external import read_extract, region_folder, table_of
from analysis.data.ssb import EMPLOYMENT_TABLE, POPULATION_TABLE


def _source(meta: dict) -> str:
    return (f"Source: Statistics Norway, table {meta['table_id']} (PxWebApi v2, retrieved "
            f"{meta['retrieved_utc'][:10]}); SN2007 divisions grouped by Eurostat's high-tech aggregation")


def employment_by_class(frame: pd.DataFrame) -> pd.DataFrame:
    """Employed persons by technology class and year, over the municipalities that cover the registry's area."""
    same = frame[frame["same_area"].astype(str).str.lower() == "true"]
    wide = same.pivot_table(index="tech_class", columns="year", values="employed", aggfunc="sum")
    wide.loc["technology industries"] = same[same["technology"].astype(str).str.lower() == "true"].groupby("year")["employed"].sum()
    wide.loc["all industries"] = same.groupby("year")["employed"].sum()
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index().rename(columns={"tech_class": "class"})


def external_section(case, folder: Path | None = None) -> pd.DataFrame:
    """The region's Statistics Norway register data, or one sentence saying there are none."""
    folder = Path(folder) if folder else region_folder(case.rid)
    found = read_extract(folder, table_of(folder, "employment", EMPLOYMENT_TABLE))
    if found is None:
        case.say(f"*No Statistics Norway register data have been fetched for {case.region.name}; "
                 f"`python -m analysis fetch-ssb --region {case.rid}` would add them here.*")
        return pd.DataFrame()
    frame, meta = found
    case.say(f"Employed persons by workplace municipality (4th quarter), SSB table {meta['table_id']} "
             f"*{meta.get('table_label', '')}*, retrieved {meta['retrieved_utc']}; vintage **{meta['vintage']}**, "
             "not comparable with the 2005 report's SN2002 groups.")
    other = frame[frame["same_area"].astype(str).str.lower() != "true"]
    if len(other) == len(frame):
        case.say("Every fetched row belongs to a municipality that covered another area than the registry's "
                 "(a merger), so no series is shown.")
        return pd.DataFrame()
    table = case.table(employment_by_class(frame), "ssb-employment-by-class")
    if not other.empty:
        years = sorted(other["year"].unique())
        case.say(f"Series break: in {', '.join(map(str, years))} municipality numbers "
                 f"{', '.join(sorted(other['municipality_number'].unique()))} covered another area than the registry's "
                 "(a merger, see data/correspondence/municipality_numbers.csv); those rows are left out of the table.")
    series = table.set_index("class").loc[["technology industries", "all industries"]].T
    series.index = series.index.astype(int)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label in series.columns:
        ax.plot(series.index, series[label], marker="o", label=label)
    ax.set(title=f"{case.region.name}: register employment, SN2007", xlabel="year (4th quarter)",
           ylabel="employed persons")
    ax.legend(fontsize="small")
    case.figure(fig, "ssb-employment", _source(meta))
    pop = read_extract(folder, table_of(folder, "population", POPULATION_TABLE))
    if pop is not None:
        pframe, pmeta = pop
        same = pframe[pframe["same_area"].astype(str).str.lower() == "true"]
        totals = same.groupby("year", as_index=False)["population"].sum()
        case.say(f"Population on 1 January, SSB table {pmeta['table_id']}, retrieved {pmeta['retrieved_utc']}.")
        case.table(totals, "ssb-population")
    return table
