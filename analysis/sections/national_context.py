"""The national-context notebook: high-tech employment by municipality type, national indicators."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from analysis.sections.base import (  # noqa: F401
    GROUPS, SECTION_TITLES, TOWNS, Study, citation, named, open_study as _open_study, rotate,
)


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



NOTEBOOK = "national-context"


def open_study(regions=None, output_dir: str = "", data=None) -> Study:
    return _open_study(regions, output_dir, NOTEBOOK, data)


def reproduce_study(study: Study, areas: list[str]):
    """Recompute the published values of the national areas owned by this notebook."""
    from analysis.sections.base import reproduce_published

    return reproduce_published(study, areas)
