"""Survey rankings (innovation sources, partners, barriers) and survey shares.

Families
--------
ranks      :func:`competition_ranks`, :func:`printed_ranks`, :func:`is_competition_ranking`
agreement  :func:`kendall_tau`, :func:`kendall_w`, :func:`agreement_between_groups`,
           :func:`agreement_between_towns`
shares     :func:`share_interval`, :func:`nonresponse_bounds`, :func:`finite_population_interval`,
           :func:`rounded_share_counts`

The sources print ranks (1 = most important) that the authors derived from
importance scores (NIBR-rapport 2005:11 fn 33: high = 3, medium = 2, low = 1),
ties sharing the best rank ('3. Leverandører' twice, then 5.). Agreement of two
rankings is Kendall's tau-b (Kendall 1938; Agresti 2010, *Analysis of Ordinal
Categorical Data*, ch. 7); of several, Kendall's W with the tie correction
(Kendall & Babington Smith 1939; Siegel & Castellan 1988, *Nonparametric
Statistics*, §9.4). Shares use the score (Wilson) interval (Wilson 1927;
Agresti & Coull 1998) because the groups are small (n = 16 ... 42).

How far the inference goes. The NIBR survey of 2004 asked 190 firms, 145 answered, and larger
firms were sought out: a purposive sample, not a random one. So

* agreement between rankings of a handful of items is **descriptive**: tau and W with the
  number of items, never a p-value (with five items a test means nothing);
* every share carries its n and a Wilson interval, read as "what the answers of these n firms
  allow", not as a sampling guarantee;
* :func:`nonresponse_bounds` shows what the share among all firms asked would be if every
  non-respondent had answered one way, then the other;
* :func:`finite_population_interval` uses the register's count of firms when it is known: an
  exact (hypergeometric) interval for the share of the whole population;
* :func:`rounded_share_counts` gives the counts a rounded printed percentage allows, instead of
  one count as if it had been printed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import InsufficientData, MissingKey, UndefinedIndicator
from analysis.values import as_count, as_number

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
    n_common: int


def kendall_tau(ranks_a, ranks_b) -> TauResult:
    """Kendall's tau-b between two rankings over the items both rank.

    Read: +1 = same order, 0 = unrelated, -1 = reversed. Ties (shared ranks)
    are handled by tau-b (scipy.stats.kendalltau). Descriptive: no p-value, because
    a handful of items ranked by a purposive sample supports none. Raises :class:`InsufficientData`
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
    return TauResult(float(res.statistic), len(common))


@dataclass(frozen=True)
class WResult(_Result):
    w: float
    m_raters: int
    n_items: int


def kendall_w(rank_matrix: pd.DataFrame) -> WResult:
    """Kendall's coefficient of concordance W with the tie correction, and its chi-square test.

    ``rank_matrix``: items in rows, raters (firm groups, towns) in columns, no
    gaps. Each column is re-ranked to mid-ranks (printed 1, 2, 2, 4 becomes
    1, 2.5, 2.5, 4) because the formula assumes each rater's ranks sum to
    n(n+1)/2. With R_i the rank sum of item i, S = sum (R_i - mean R)^2 and
    T_j = sum over tie groups of (t^3 - t) for rater j:

        W = 12 S / (m^2 (n^3 - n) - m sum_j T_j)

    Read: 1 = all raters order the items identically, 0 = no agreement. Descriptive,
    like :func:`kendall_tau` (``m (n - 1) W`` would be Friedman's statistic,
    Siegel & Castellan 1988, §9.4; with these samples it is not a test).
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
    return WResult(12.0 * s / denom, m, n)


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
                row.update(tau=res.tau, n=res.n_common, defined=True)
            except (InsufficientData, UndefinedIndicator):
                row.update(tau=pd.NA, n=len(set(ranks[a].index) & set(ranks[b].index)), defined=False)
            rows.append(row)
    out = pd.DataFrame(rows, columns=[*by, "a", "b", "tau", "n", "defined"])
    return out.astype({"tau": "Float64", "n": "Int64", "defined": "boolean"})


def agreement_between_groups(rankings: pd.DataFrame, basis: str | None = "table") -> pd.DataFrame:
    """Kendall's tau for every pair of firm groups within each region and question.

    Input: tidy rankings (region_id, question, firm_group, item_id, rank).
    Output: region_id, question, a, b, tau, n (common items), defined. Pairs
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


# ---------------------------------------------------------------- shares

def _group_size(count, n, label: str = "") -> tuple[int, int]:
    c, n = as_count(count, f"count{label}"), as_count(n, f"n{label}")
    if n == 0:
        raise InsufficientData(f"group{label} has N = 0: no share or test can be computed for it")
    if c > n:
        raise ValueError(f"count{label} = {c:g} exceeds n{label} = {n:g}")
    if c != int(c) or n != int(n):
        raise ValueError(f"count and n must be whole numbers of firms, got {c:g} of {n:g}")
    return int(c), int(n)


@dataclass(frozen=True)
class ShareResult(_Result):
    count: int
    n: int
    share: float
    ci_low: float
    ci_high: float


def share_interval(count, n, alpha: float = 0.05) -> ShareResult:
    """Share ``count / n`` with its Wilson (score) interval (statsmodels ``proportion_confint``).

    Read: 22 of 27 firms = 0.81, interval 0.63-0.92: the answers of these 27 firms are
    compatible with shares in that range. Raises :class:`InsufficientData` for n = 0.
    """
    from statsmodels.stats.proportion import proportion_confint

    c, n = _group_size(count, n)
    lo, hi = proportion_confint(c, n, alpha=alpha, method="wilson")
    return ShareResult(c, n, c / n, float(lo), float(hi))


def nonresponse_bounds(count, n, asked) -> tuple[float, float]:
    """The share among all ``asked`` firms if every non-respondent had answered no, then yes.

    ``(count / asked, (count + asked - n) / asked)``. Read: 36 innovators of 47 respondents,
    asked 60: between 0.60 and 0.82 of the firms asked. Raises when ``n > asked``.
    """
    c, n = _group_size(count, n)
    a = as_count(asked, "asked")
    if a < n:
        raise ValueError(f"asked = {a:g} is below the number of respondents n = {n}")
    return c / a, (c + a - n) / a


def finite_population_interval(count, n, population, alpha: float = 0.05) -> tuple[float, float]:
    """Exact interval for the share of a known finite population, from a sample of it.

    ``count`` of ``n`` sampled firms have the trait; the population has ``population`` firms
    (from the register). The interval holds every population share ``K / population`` for which
    the observed count is not in either ``alpha/2`` tail of the hypergeometric distribution
    (sampling without replacement). Narrower than :func:`share_interval` when ``n`` is a large
    part of the population; still assumes the sample is random. Raises when ``n > population``.
    """
    from scipy.stats import hypergeom

    c, n = _group_size(count, n)
    big = as_count(population, "population")
    if big < n or big != int(big):
        raise ValueError(f"population {big:g} must be a whole number at least n = {n}")
    big = int(big)
    ks = np.arange(c, big - (n - c) + 1)
    lower_tail = hypergeom.cdf(c, big, ks, n)  # P(X <= c | K)
    upper_tail = hypergeom.sf(c - 1, big, ks, n)  # P(X >= c | K)
    keep = ks[(lower_tail > alpha / 2) & (upper_tail > alpha / 2)]
    return float(keep.min()) / big, float(keep.max()) / big


def rounded_share_counts(share_pct, n, decimals: int = 0) -> tuple[int, int]:
    """The whole counts out of ``n`` whose percentage prints as ``share_pct`` at ``decimals``.

    The counts k with ``100 k / n`` within half a unit of ``share_pct``. Read: 77 % of 47 firms
    allows only k = 36 (76.6 %); 20 % of 12 allows none (16.7 %, 25 %: the print is not a share
    of these 12 firms) and raises. Returns (lowest, highest).
    """
    pct = as_number(share_pct, "share_pct")
    total = as_count(n, "n")
    if total == 0 or total != int(total):
        raise InsufficientData(f"n = {total:g}: no share of whole firms")
    half = 0.5 * 10.0 ** -int(decimals)  # closed at both ends: either halving convention
    lo, hi = pct - half, pct + half
    ks = [k for k in range(int(total) + 1) if lo - 1e-9 <= 100.0 * k / total <= hi + 1e-9]
    if not ks:
        raise ValueError(f"no whole count of n = {total:g} prints as {pct:g} % (a share of turnover? another n?)")
    return ks[0], ks[-1]


__all__ = [
    "ShareResult", "TauResult", "WResult", "agreement_between_groups",
    "agreement_between_towns", "competition_ranks", "finite_population_interval", "is_competition_ranking",
    "kendall_tau", "kendall_w", "nonresponse_bounds", "printed_ranks", "rounded_share_counts", "share_interval",
]
