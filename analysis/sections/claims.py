"""The chapter's arguments (``data/claims.csv``), each tested against the printed data where it can be,
and the synthesis a notebook opens with."""

from __future__ import annotations

import pandas as pd

from analysis.data.documents import SHORT_NAMES as DOC_SHORT_NAMES
from analysis.reproduce import NotComputable, evaluate_test
from analysis.sections.base import Case, Chapter, cite
from analysis.sections.display import reading

VERDICTS = {True: "supported", False: "contradicted"}
SHOWN_INLINE = 6  # tested arguments listed in full; beyond that the supported ones are folded



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


def _cite(r: dict) -> str:
    return cite(r["source"], r["lines"])


def _term(term_no) -> str:
    """The source's words, without the brackets they stand in when the source bracketed them."""
    text = str(term_no).strip()
    return text[1:-1] if text.startswith("(") and text.endswith(")") and text.count("(") == 1 else text


def _errata_note(chapter: Chapter, r: dict) -> str:
    """For a contradicted argument: the errata rows that record where the source says otherwise."""
    if r.get("verdict") != "contradicted":
        return ""
    hit = chapter.errata_affecting(f"claims[{r['claim_id']}]")
    if hit.empty:
        return ""
    named = "; ".join(f"{reading(e['topic'])} (erratum {e['errata_id']})" for e in hit.to_dict("records"))
    return f" Where the source says otherwise: {named}."


def _kind(chapter: Chapter, kind: str) -> str:
    return chapter.term("claim-kind", kind) if hasattr(chapter, "term") else kind.replace("-", " ")


def synthesis(chapter: Chapter, section: str, region: str | None = None) -> pd.DataFrame:
    """What the chapter argues for this section -> the evidence -> does the printed data bear it out.

    Shown at the top of a notebook, generated from the claims and their tests: the arguments grouped
    by kind, those the printed numbers can test with their verdict, the others listed (collapsed)
    with the reason they cannot be tested. Every tested claim is recorded as a finding.
    """
    if region is None and isinstance(chapter, Case):
        region = chapter.rid
    cl = claims_of(chapter, section, region)
    if cl.empty:
        return cl
    counts = cl["verdict"].value_counts()
    supported, contradicted = int(counts.get("supported", 0)), int(counts.get("contradicted", 0))
    chapter.heading("What the source argues", 2)
    by_kind = cl.groupby("kind", sort=False).size()
    kinds = "; ".join(f"{n} on {_kind(chapter, k)}" for k, n in by_kind.items())
    if supported + contradicted:
        tested_text = (f"{supported + contradicted} of them can be tested against the printed numbers: **{supported} "
                       f"supported, {contradicted} contradicted**; the others rest on interviews and text without numbers.")
    else:
        tested_text = ("The printed numbers can test none of them: they rest on interviews and text without numbers "
                       "(the reason is given for each).")
    chapter.say(f"The source makes {len(cl)} argument{'s' if len(cl) != 1 else ''} in this chapter: {kinds}. {tested_text}")
    tested = cl[cl["verdict"].isin(VERDICTS.values())]
    if not tested.empty:
        def listed(rows: pd.DataFrame) -> str:
            return "\n".join(f"- **{r['verdict']}**: {reading(r['claim'])} (*{_term(r['term_no'])}*; {_cite(r)})"
                             + _errata_note(chapter, r) for r in rows.to_dict("records"))
        wrong, held = tested[tested["verdict"] == "contradicted"], tested[tested["verdict"] == "supported"]
        if len(tested) <= SHOWN_INLINE:
            chapter.say(listed(pd.concat([wrong, held])))
        else:  # a long list would stand between the reader and the evidence: the contradictions stay in view
            if not wrong.empty:
                chapter.say(listed(wrong))
            chapter.fold(f"Arguments the printed numbers bear out ({len(held)})", listed(held))
    rest = cl[~cl["verdict"].isin(VERDICTS.values())]
    if not rest.empty:
        items = "\n".join(f"- {reading(r['claim'])} (*{_term(r['term_no'])}*; {_cite(r)}) — not testable: {r['untestable'] or r['verdict']}"
                          for r in rest.to_dict("records"))
        chapter.fold(f"Arguments the printed numbers cannot test ({len(rest)})", items)
    table = pd.DataFrame({"argument": cl["claim"], "kind": cl["kind"].map(lambda k: _kind(chapter, k)),
                          "in the source's words": cl["term_no"], "verdict": cl["verdict"],
                          "why not testable": cl["untestable"].fillna(""), "source": cl["source"], "lines": cl["lines"]})
    chapter.table(table, f"claims-{section}", show=False)
    for r in cl.to_dict("records"):
        if r["verdict"] in VERDICTS.values():
            chapter.findings.record(f"claim.{r['claim_id']}", 1.0 if r["verdict"] == "supported" else 0.0, "boolean",
                                    f"Claim tested against the printed data: {r['claim']}",
                                    citation=f"{DOC_SHORT_NAMES.get(r['doc'], r['doc'])}, {r['source']}, lines {r['lines']}")
    return cl


def verdict_sentence(chapter: Chapter, section: str, region: str | None = None) -> str:
    """One sentence for a conclusion: how many of the chapter's testable arguments the data bear out,
    naming those they contradict (from the findings the synthesis recorded)."""
    cl = claims_of(chapter, section, region if region is not None else getattr(chapter, "rid", None))
    tested = cl[cl["verdict"].isin(VERDICTS.values())]
    if tested.empty:
        return ""
    wrong = tested[tested["verdict"] == "contradicted"]
    named = "; ".join(f"“{reading(r['claim']).rstrip('.')}” ({_cite(r)})" for r in wrong.to_dict("records"))
    if len(tested) == 1:
        return ("The chapter's one argument that the printed numbers can test holds." if wrong.empty else
                f"The chapter's one argument that the printed numbers can test, {named}, is contradicted by them.")
    held = len(tested) - len(wrong)
    text = (f"Of the chapter's {len(tested)} arguments that the printed numbers can test, {held} "
            f"{'holds' if held == 1 else 'hold'}")
    return text + "." if wrong.empty else f"{text}; the numbers contradict {named}."
