"""The chapter's arguments (``data/claims.csv``), each tested against the printed data where it can be,
and the synthesis a notebook opens with."""

from __future__ import annotations

import pandas as pd

from analysis.data.documents import SHORT_NAMES as DOC_SHORT_NAMES
from analysis.reproduce import NotComputable, evaluate_test
from analysis.sections.base import Case, Chapter

VERDICTS = {True: "supported", False: "contradicted"}



def claims_of(chapter: Chapter, section: str, region: str | None = None) -> pd.DataFrame:
    """The claims of one book section (and region), each with its verdict computed from the data.

    ``verdict``: supported / contradicted when the claim has a test, else 'not testable' with
    the reason the data give (``untestable``).
    """
    if "claims" not in chapter.data:
        return pd.DataFrame(columns=["claim_id", "region_id", "section", "verdict"])
    cl = chapter.data["claims"]
    cl = cl[cl["section"] == section]
    if region is not None:
        cl = cl[cl["region_id"] == region]
    rows = []
    for r in cl.to_dict("records"):
        if pd.notna(r["test"]) and str(r["test"]).strip():
            try:
                verdict = VERDICTS[evaluate_test(str(r["test"]), chapter.index)]
            except NotComputable as exc:
                verdict = f"not evaluable ({exc})"
        else:
            verdict = "not testable"
        rows.append({**r, "verdict": verdict})
    return pd.DataFrame(rows, columns=[*cl.columns, "verdict"])


def synthesis(chapter: Chapter, section: str, region: str | None = None, kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """What the chapter argues for this section -> the evidence -> does the printed data bear it out.

    Shown at the top of a notebook, generated from the claims and their tests; says so plainly
    when no argument of the sources is recorded for this section.
    """
    if region is None and isinstance(chapter, Case):
        region = chapter.rid
    cl = claims_of(chapter, section, region)
    if cl.empty:
        return cl
    counts = cl["verdict"].value_counts()
    tested = int(counts.get("supported", 0) + counts.get("contradicted", 0))
    chapter.heading("What the source argues", 2)
    what = f"{len(cl)} argument{'s' if len(cl) != 1 else ''} of the source for this chapter"
    if tested:
        chapter.say(f"{what}; {tested} can be tested against the printed numbers: {int(counts.get('supported', 0))} "
                    f"supported, {int(counts.get('contradicted', 0))} contradicted. The others rest on interviews and "
                    "text without numbers (reason given).")
    else:
        chapter.say(f"{what}; {'it' if len(cl) == 1 else 'none'} can{'not' if len(cl) == 1 else ''} be tested "
                    "against the printed numbers (the reason is given).")
    table = pd.DataFrame({
        "argument": cl["claim"],
        "kind": cl["kind"].str.replace("-", " ") if kinds is None else cl["kind"].map(kinds).fillna(cl["kind"]),
        "in the source's words": cl["term_no"].map(lambda s: f"«{s}»"),
        "verdict": cl["verdict"],
        "why not testable": cl["untestable"].fillna(""),
        "source": cl["source"] + ", lines " + cl["lines"],
    })
    chapter.table(table, f"claims-{section}")
    for r in cl.to_dict("records"):
        if r["verdict"] in VERDICTS.values():
            chapter.findings.record(f"claim.{r['claim_id']}", 1.0 if r["verdict"] == "supported" else 0.0, "boolean",
                                    f"Claim tested against the printed data: {r['claim']}",
                                    citation=f"{DOC_SHORT_NAMES.get(r['doc'], r['doc'])}, {r['source']}, lines {r['lines']}")
    return cl
