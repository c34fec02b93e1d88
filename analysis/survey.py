"""Survey rankings (innovation sources, partners, barriers) and survey shares.

Families
--------
ranks      :func:`competition_ranks`, :func:`printed_ranks`, :func:`is_competition_ranking`
agreement  :func:`kendall_tau`, :func:`kendall_w`, :func:`agreement`, :func:`agreement_between_groups`,
           :func:`agreement_between_towns`
shares     :func:`proportion_test`, :func:`two_proportion_test`, :func:`share_ci_from_pct`

The sources print ranks (1 = most important) that the authors derived from
importance scores (NIBR-rapport 2005:11 fn 33: high = 3, medium = 2, low = 1),
ties sharing the best rank ('3. Leverandører' twice, then 5.). Agreement of two
rankings is Kendall's tau-b (Kendall 1938; Agresti 2010, *Analysis of Ordinal
Categorical Data*, ch. 7); of several, Kendall's W with the tie correction
(Kendall & Babington Smith 1939; Siegel & Castellan 1988, *Nonparametric
Statistics*, §9.4). Shares use the score (Wilson) interval (Wilson 1927;
Agresti & Coull 1998) because the groups are small (n = 16 ... 42).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import InsufficientData, MissingKey, UndefinedIndicator
from analysis.indicators import _count, _number, interval_consistent

RANKING_COLUMNS = ("region_id", "question", "firm_group", "item_id", "rank")


class _Result:
    """Results read as attributes (``res.tau``) or keys (``res["tau"]``)."""

    def __getitem__(self, key: str):
        if key not in self.__dataclass_fields__:
            raise KeyError(f"{type(self).__name__} has no field {key!r}; fields: {list(self.__dataclass_fields__)}")
        return getattr(self, key)

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- ranks

def competition_ranks(scores) -> pd.Series:
    """Ranks by descending score, ties sharing the best rank: 1, 2, 2, 4 ('competition ranking').

    This is how the sources print ranked items (Tabell 4.5: 1, 2, 3, 3, 5, ...).
    ``scores`` is a Series or mapping item -> score; raises on missing scores.
    """
    s = pd.Series(scores, dtype="object") if not isinstance(scores, pd.Series) else scores
    if s.isna().any():
        raise ValueError(f"scores missing for items {list(s.index[s.isna()])}")
    return pd.to_numeric(s).rank(method="min", ascending=False).astype(int).rename("rank")


def is_competition_ranking(ranks) -> bool:
    """True when ``ranks`` are 1, 2, 2, 4 style (each rank = 1 + number of items ranked better)."""
    r = pd.Series(ranks).astype(int)
    return bool((r == r.rank(method="min").astype(int)).all())


def printed_ranks(rankings: pd.DataFrame, region_id: str, question: str, firm_group: str,
                  basis: str | None = "table") -> pd.Series:
    """The printed ranks of one group as a Series item_id -> rank.

    ``basis`` selects table or text ranks (None = both). Raises
    :class:`~analysis.indicators.MissingKey` if the group has no ranks and
    ValueError if an item is ranked twice.
    """
    sel = rankings[(rankings["region_id"] == region_id) & (rankings["question"] == question)
                   & (rankings["firm_group"] == firm_group)]
    if basis is not None and "basis" in sel.columns:
        sel = sel[sel["basis"] == basis]
    if sel.empty:
        raise MissingKey(f"no {basis or ''} ranks for {region_id}/{question}/{firm_group}")
    dup = sel["item_id"].duplicated(keep=False)
    if dup.any():
        raise ValueError(f"{region_id}/{question}/{firm_group}: items ranked twice: "
                         f"{sorted(sel.loc[dup, 'item_id'].unique())} (choose a source or basis)")
    return sel.set_index("item_id")["rank"].astype(int).rename(firm_group)


# ---------------------------------------------------------------- agreement

@dataclass(frozen=True)
class TauResult(_Result):
    tau: float
    p_value: float
    n_common: int


def kendall_tau(ranks_a, ranks_b) -> TauResult:
    """Kendall's tau-b between two rankings over the items both rank.

    Read: +1 = same order, 0 = unrelated, -1 = reversed. Ties (shared ranks)
    are handled by tau-b (scipy.stats.kendalltau); the p-value tests tau = 0
    and is rough for fewer than ~10 items. Raises :class:`InsufficientData`
    for fewer than 3 common items and :class:`UndefinedIndicator` when one
    ranking gives all common items the same rank.
    """
    a, b = pd.Series(ranks_a), pd.Series(ranks_b)
    for s, n in ((a, "ranks_a"), (b, "ranks_b")):
        if s.index.duplicated().any():
            raise ValueError(f"{n} ranks items {sorted(s.index[s.index.duplicated()].unique())} twice")
        if s.isna().any():
            raise ValueError(f"{n} has missing ranks for {list(s.index[s.isna()])}")
    common = sorted(set(a.index) & set(b.index), key=str)
    if len(common) < 3:
        raise InsufficientData(f"only {len(common)} items ranked by both ({common}); Kendall's tau needs 3")
    x, y = a[common].astype(float).to_numpy(), b[common].astype(float).to_numpy()
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        raise UndefinedIndicator("one ranking ties all common items: tau is undefined")
    res = stats.kendalltau(x, y, variant="b")
    return TauResult(float(res.statistic), float(res.pvalue), len(common))


@dataclass(frozen=True)
class WResult(_Result):
    w: float
    chi2: float
    df: int
    p_value: float
    m_raters: int
    n_items: int


def kendall_w(rank_matrix: pd.DataFrame) -> WResult:
    """Kendall's coefficient of concordance W with the tie correction, and its chi-square test.

    ``rank_matrix``: items in rows, raters (firm groups, towns) in columns, no
    gaps. Each column is re-ranked to mid-ranks (printed 1, 2, 2, 4 becomes
    1, 2.5, 2.5, 4) because the formula assumes each rater's ranks sum to
    n(n+1)/2. With R_i the rank sum of item i, S = sum (R_i - mean R)^2 and
    T_j = sum over tie groups of (t^3 - t) for rater j:

        W = 12 S / (m^2 (n^3 - n) - m sum_j T_j),   chi2 = m (n - 1) W,  df = n - 1

    Read: 1 = all raters order the items identically, 0 = no agreement. The
    chi-square equals Friedman's statistic (Siegel & Castellan 1988, §9.4).
    """
    if rank_matrix.isna().any().any():
        gaps = list(rank_matrix.index[rank_matrix.isna().any(axis=1)])
        raise ValueError(f"items {gaps} lack a rank from some rater; restrict to the common items first")
    n, m = rank_matrix.shape
    if n < 3 or m < 2:
        raise InsufficientData(f"Kendall's W needs at least 3 items and 2 raters, got {n} items, {m} raters")
    mid = np.column_stack([stats.rankdata(rank_matrix.iloc[:, j].astype(float)) for j in range(m)])
    r = mid.sum(axis=1)
    s = float(((r - r.mean()) ** 2).sum())
    ties = sum(float((t ** 3 - t).sum()) for t in (np.unique(mid[:, j], return_counts=True)[1] for j in range(m)))
    denom = m ** 2 * (n ** 3 - n) - m * ties
    if denom == 0:
        raise UndefinedIndicator("every rater ties all items: W is undefined")
    w = 12.0 * s / denom
    chi2 = m * (n - 1) * w
    return WResult(w, chi2, n - 1, float(stats.chi2.sf(chi2, n - 1)), m, n)


def _pairs(rankings: pd.DataFrame, by: list[str], pair_col: str, basis: str | None) -> pd.DataFrame:
    missing = [c for c in RANKING_COLUMNS if c not in rankings.columns]
    if missing:
        raise ValueError(f"rankings frame lacks columns {missing}")
    data = rankings if basis is None or "basis" not in rankings.columns else rankings[rankings["basis"] == basis]
    # the same rank printed twice (table and text) is no conflict; two different ranks are
    data = data.drop_duplicates([*by, pair_col, "item_id", "rank"])
    rows = []
    for key, grp in data.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        dup = grp.duplicated([pair_col, "item_id"], keep=False)
        if dup.any():
            raise ValueError(f"{dict(zip(by, key))}: items {sorted(grp.loc[dup, 'item_id'].unique())} have two "
                             f"different ranks in one {pair_col}; choose a source or basis")
        ranks = {g: sub.set_index("item_id")["rank"] for g, sub in grp.groupby(pair_col, sort=True)}
        for a, b in combinations(sorted(ranks), 2):
            row = dict(zip(by, key), a=a, b=b)
            try:
                res = kendall_tau(ranks[a], ranks[b])
                row.update(tau=res.tau, p_value=res.p_value, n=res.n_common, defined=True)
            except (InsufficientData, UndefinedIndicator):
                row.update(tau=pd.NA, p_value=pd.NA, n=len(set(ranks[a].index) & set(ranks[b].index)), defined=False)
            rows.append(row)
    out = pd.DataFrame(rows, columns=[*by, "a", "b", "tau", "p_value", "n", "defined"])
    return out.astype({"tau": "Float64", "p_value": "Float64", "n": "Int64", "defined": "boolean"})


def agreement_between_groups(rankings: pd.DataFrame, basis: str | None = "table") -> pd.DataFrame:
    """Kendall's tau for every pair of firm groups within each region and question.

    Input: tidy rankings (region_id, question, firm_group, item_id, rank).
    Output: region_id, question, a, b, tau, p_value, n (common items), defined. Pairs
    with fewer than 3 common items are kept with ``<NA>`` tau and
    ``defined = False``, so the table shows which comparisons the data cannot make.
    """
    return _pairs(rankings, ["region_id", "question"], "firm_group", basis)


def agreement_between_towns(rankings: pd.DataFrame, groups: dict[str, str] | None = None,
                            basis: str | None = "table") -> pd.DataFrame:
    """Kendall's tau for every pair of towns within each question (and firm group).

    Towns name their firm groups differently; ``groups`` maps region_id -> the
    firm group to compare (they are then labelled 'compared'). Without it only
    identical firm-group ids are paired. Output columns as
    :func:`agreement_between_groups`, with question and firm_group as keys.
    """
    data = rankings
    if groups is not None:
        keep = pd.Series([groups.get(r) == g for r, g in zip(rankings["region_id"], rankings["firm_group"])],
                         index=rankings.index)
        data = rankings[keep].assign(firm_group="compared")
    return _pairs(data, ["question", "firm_group"], "region_id", basis)


def agreement(rankings: pd.DataFrame, by: str = "firm_group", groups: dict[str, str] | None = None,
              basis: str | None = None) -> pd.DataFrame:
    """Pairwise rank agreement: ``by="firm_group"`` (groups within a town) or ``by="region_id"`` (towns).

    Dispatches to :func:`agreement_between_groups` / :func:`agreement_between_towns`;
    ``basis=None`` uses table and text ranks alike (identical duplicates are
    merged, conflicting ones raise).
    """
    if by == "firm_group":
        return agreement_between_groups(rankings, basis=basis)
    if by == "region_id":
        return agreement_between_towns(rankings, groups=groups, basis=basis)
    raise ValueError(f"by must be 'firm_group' or 'region_id', got {by!r}")


# ---------------------------------------------------------------- shares

def _group_size(count, n, label: str = "") -> tuple[int, int]:
    c, n = _count(count, f"count{label}"), _count(n, f"n{label}")
    if n == 0:
        raise InsufficientData(f"group{label} has N = 0: no share or test can be computed for it")
    if c > n:
        raise ValueError(f"count{label} = {c:g} exceeds n{label} = {n:g}")
    if c != int(c) or n != int(n):
        raise ValueError(f"count and n must be whole numbers of firms, got {c:g} of {n:g}")
    return int(c), int(n)


@dataclass(frozen=True)
class ProportionResult(_Result):
    count: int
    n: int
    share: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    p0: float
    note: str = ""


def proportion_test(count, n, p0: float = 0.5, alpha: float = 0.05) -> ProportionResult:
    """Share ``count / n`` with a Wilson (score) interval and a score z-test of share = p0.

    The z-test's variance uses ``p0`` (statsmodels ``proportions_ztest(...,
    prop_var=p0)``), i.e. the test the Wilson interval inverts, so the two
    agree and a share of 0 or 1 still gets a test. Read: share 0.815, CI
    0.63-0.92 means 22 of 27 firms; a p-value below alpha says the share differs
    from p0. Raises :class:`InsufficientData` for n = 0.
    """
    from statsmodels.stats.proportion import proportion_confint, proportions_ztest

    c, n = _group_size(count, n)
    p0 = _number(p0, "p0")
    if not 0 < p0 < 1:
        raise ValueError(f"p0 must lie strictly between 0 and 1, got {p0}")
    z, p = proportions_ztest(c, n, value=p0, prop_var=p0)
    lo, hi = proportion_confint(c, n, alpha=alpha, method="wilson")
    return ProportionResult(c, n, c / n, float(lo), float(hi), float(z), float(p), p0)


@dataclass(frozen=True)
class TwoProportionResult(_Result):
    share1: float
    share2: float
    difference: float
    diff_ci_low: float
    diff_ci_high: float
    z: float
    p_value: float
    n1: int
    n2: int


def two_proportion_test(count1, n1, count2, n2, alpha: float = 0.05) -> TwoProportionResult:
    """Difference of two shares: pooled z-test and Newcombe's (Wilson-based) interval.

    Read: difference = share1 - share2. Raises :class:`InsufficientData` if a
    group has N = 0 and :class:`UndefinedIndicator` if both shares are 0 or
    both are 1 (the pooled variance is 0).
    """
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    c1, n1 = _group_size(count1, n1, " 1")
    c2, n2 = _group_size(count2, n2, " 2")
    if c1 + c2 in (0, n1 + n2):
        raise UndefinedIndicator("both groups have share 0 (or both 1): the pooled z-test is undefined")
    z, p = proportions_ztest([c1, c2], [n1, n2])
    lo, hi = confint_proportions_2indep(c1, n1, c2, n2, method="newcomb", compare="diff", alpha=alpha)
    return TwoProportionResult(c1 / n1, c2 / n2, c1 / n1 - c2 / n2, float(lo), float(hi), float(z), float(p), n1, n2)


def share_ci_from_pct(share_pct, n, decimals: int = 0, p0: float = 0.5, alpha: float = 0.05) -> ProportionResult:
    """Wilson interval for a source that prints a percentage and N but no count.

    The count is reconstructed as ``round(share_pct / 100 * n)`` (halves up) and
    the result's ``note`` says so. Raises ValueError when no whole count out of
    n prints as ``share_pct`` at ``decimals`` decimals (the print is then not a
    share of these n firms).
    """
    pct = _number(share_pct, "share_pct")
    c_total = _count(n, "n")
    if c_total == 0:
        raise InsufficientData("group has N = 0: no share can be computed for it")
    if not 0 <= pct <= 100:
        raise ValueError(f"share_pct {pct} is not a percentage")
    count = math.floor(pct / 100.0 * c_total + 0.5)
    exact = count / c_total * 100.0
    if not interval_consistent(pct, decimals, exact, exact):
        raise ValueError(f"{pct} % of n = {c_total:g} is not a whole number of firms "
                         f"(nearest {count} of {c_total:g} = {exact:.{decimals + 2}f} %): the printed share is "
                         "not a share of these n firms (a share of turnover? another N?)")
    res = proportion_test(count, c_total, p0=p0, alpha=alpha)
    note = f"count reconstructed as round({pct:g} % x {c_total:g}) = {count}; the source prints no count"
    return ProportionResult(**{**res.as_dict(), "note": note})


__all__ = [
    "InsufficientData", "ProportionResult", "TauResult", "TwoProportionResult", "WResult",
    "agreement", "agreement_between_groups", "agreement_between_towns", "competition_ranks", "is_competition_ranking",
    "kendall_tau", "kendall_w", "printed_ranks", "proportion_test", "share_ci_from_pct", "two_proportion_test",
]
