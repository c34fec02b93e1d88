"""The short-cases notebook: the places a source gives a paragraph or two (``presentation`` =
``short-example`` in ``data/regions.csv``), presented together rather than in chapters of their own.

For each place what its text gives: the facts (dated events and the case material, each with its
citation), the numbers it prints, and the argument the source makes with it (``claims``), under the
article the paragraph stands in. The places are the registry's short examples, whatever regions a run
covers: they get no per-region notebooks.
"""

from __future__ import annotations

import pandas as pd

from analysis.data.documents import SHORT_NAMES as DOC_SHORT_NAMES
from analysis.data.regions import short_examples
from analysis.sections.base import Study, cite, open_study as _open_study
from analysis.sections.claims import claims_of
from analysis.sections.clusters import printed
from analysis.sections.material import cited_lines
from analysis.sections.reproduction import reproduce_published  # noqa: F401 - the notebook calls it

NOTEBOOK = "short-cases"
STUDY = "successful-district-municipalities"  # the anthology's counts of the 2012 study and its 2018 follow-up


def open_study(regions=None, output_dir: str = "", data=None) -> Study:
    """The short examples of the registry (``regions``, the run's case regions, does not choose them)."""
    study = _open_study(None, output_dir, NOTEBOOK, data)
    study.regions = [r.region_id for r in short_examples()]
    return study


def places(study: Study) -> pd.DataFrame:
    """The short examples with their county, documents and the article their paragraph stands in."""
    reg = study.data["regions"].set_index("region_id")
    rows = [{"region_id": rid, "place": reg.loc[rid, "name"], "county": reg.loc[rid, "county"],
             "documents": reg.loc[rid, "documents"], "article": reg.loc[rid, "source"], "lines": reg.loc[rid, "lines"]}
            for rid in study.regions if rid in reg.index]
    return pd.DataFrame(rows, columns=["region_id", "place", "county", "documents", "article", "lines"])


def introduction(study: Study) -> pd.DataFrame:
    """Which places, from which article, and the study they are examples of (its counts, as printed)."""
    found = places(study)
    if found.empty:
        study.say("*The registry holds no short examples.*")
        return found
    docs = sorted({d for ds in found["documents"] for d in str(ds).split(";") if d})
    study.say(f"{len(found)} places are short examples in {', '.join(DOC_SHORT_NAMES.get(d, d) for d in docs)}: "
              + ", ".join(f"{p['place']} ({p['county']})" for p in found.to_dict("records")) + ".")
    ind_ = study.data["indicators"]
    study_rows = ind_[(ind_["indicator"] == STUDY) & ind_["doc"].isin(docs)]
    single = study_rows[~study_rows["period"].str.contains("-")]
    if not single.empty:
        first = single.iloc[0]
        rest = study_rows[study_rows["category"] != first["category"]]
        study.say(f"The article follows up a study ({first['period']}) of {int(first['value'])} district municipalities "
                  "that had grown more than their growth conditions alone implied; their overall attractiveness in "
                  + ", ".join(dict.fromkeys(p.replace("-", "–") for p in rest["period"])) + ": "
                  + ", ".join(f"{int(r['value'])} {r['category'].removesuffix('-' + r['period']).replace('-', ' ')}"
                              for r in rest.to_dict("records"))
                  + f" ({cite(first['source'], ';'.join(study_rows['lines']))}).")
    return found


PARTS = (("Its history", ("history",)), ("Its business and what drives its growth", ("production-system",
          "innovation-sources")), ("Its barriers and challenges", ("innovation-barriers",)))


def _when(e: dict) -> str:
    """'2018', '2011–2017', '2000s' (a decade, as in '2000-tallet')."""
    if e.get("precision") == "decade":
        return f"{int(e['year'])}s"
    end = e.get("year_end")
    return f"{int(e['year'])}–{int(end)}" if end is not None and pd.notna(end) and end != e["year"] else str(int(e["year"]))


def _facts(study: Study, rid: str) -> list[str]:
    """The place's dated events, then its case material by chapter; an item that cites lines within an
    event's is told by the event and not repeated."""
    ev = study.data["history_events"]
    ev = ev[ev["region_id"] == rid].sort_values("year", na_position="last")
    cc = study.data["case_content"]
    cc = cc[cc["region_id"] == rid]
    told = [cited_lines(x) for x in ev["lines"]]
    cc = cc[[not any(cited_lines(x) <= t for t in told) for x in cc["lines"]]]
    out = []
    for title, sections in PARTS:
        items = [f"- {_when(e)}: {e['event']}" if pd.notna(e["year"]) else f"- {e['event']}"
                 for e in (ev.to_dict("records") if "history" in sections else [])]
        items = [f"{t} ({cite(e['source'], e['lines'])})" for t, e in zip(items, ev.to_dict("records"))]
        items += [f"- {c['item']} ({cite(c['source'], c['lines'])})" for c in cc[cc["section"].isin(sections)].to_dict("records")]
        if items:
            out.append(f"**{title}**\n" + "\n".join(items))
    return out


def _numbers(study: Study, rid: str) -> pd.DataFrame:
    ind_ = study.data["indicators"]
    rows = ind_[ind_["region_id"] == rid]
    return pd.DataFrame({"what": rows["description"].values,
                         "value": [printed(v, q) for v, q in zip(rows["value"], rows["qualifier"])],
                         "unit": rows["unit"].values, "period": rows["period"].values,
                         "source": (rows["source"] + ", lines " + rows["lines"]).values})


def place(study: Study, rid: str) -> pd.DataFrame:
    """One place: its facts, its numbers with their citations, and the argument the source makes with it."""
    found = places(study)
    row = found[found["region_id"] == rid]
    if row.empty:
        return row
    p = row.iloc[0]
    facts = _facts(study, rid)
    numbers = _numbers(study, rid)
    claims = pd.concat([claims_of(study, s, rid) for s in study.data["claims"]["section"].unique()], ignore_index=True)
    study.heading(f"{p['place']} ({p['county']})")
    docs = "; ".join(DOC_SHORT_NAMES.get(d, d) for d in str(p["documents"]).split(";") if d)
    study.say(f"{docs}, the article «{p['article']}» ({cite('', p['lines'])}); each item below cites its own lines.")
    for part in facts:
        study.say(part)
    if not numbers.empty:
        study.say("**The numbers it prints**")
        study.table(numbers, f"numbers-{rid}")
        for r in study.data["indicators"][study.data["indicators"]["region_id"] == rid].to_dict("records"):
            study.findings.record(f"short-cases.{rid}.{r['indicator']}.{r['category']}.{r['period']}", float(r["value"]),
                                  r["unit"], f"{p['place']}: {r['description']}")
    for c in claims.to_dict("records"):
        why = f" Not testable: {c['untestable']}" if c["verdict"] == "not testable" and pd.notna(c["untestable"]) else \
            f" Tested against the printed numbers: {c['verdict']}."
        study.say(f"**The argument:** {c['claim']} («{c['term_no']}», {cite(c['source'], c['lines'])}).{why}")
    return numbers


def all_places(study: Study) -> list[pd.DataFrame]:
    """Every short example in registry order."""
    return [place(study, rid) for rid in study.regions]
