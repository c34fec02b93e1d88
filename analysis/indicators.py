"""Regional-economic indicators: changes, location quotients, specialisation,
shift-share and firm dynamics.

Arguments follow textbook notation, as in R's REAT (Wieland 2019):

* ``e_ij`` employment of industry *i* in region *j*
* ``e_j``  all employment in region *j*
* ``e_i``  employment of industry *i* in the reference area (nation)
* ``e``    all employment in the reference area
* suffixes ``_t0`` / ``_t1`` for the first and last year.

Families
--------
changes           :func:`abs_change`, :func:`rel_change`, :func:`change_table`
location quotient :func:`locq_frame`
specialisation    :func:`shares`, :func:`krugman`, :func:`hoover`
shift-share       :func:`shift` (reference economy as given), :func:`shift_rest` (the reference
                  economy without the region: the rest of the country)
firm dynamics     :func:`entry_rate`, :func:`exit_rate`, :func:`net_rate`, :func:`turbulence`,
                  :func:`stock_flow_start`, :func:`base_interval`
growth rates      :func:`annual_growth`, :func:`compound` (a target path: the yearly rate a target needs)

Bad input raises; nothing returns a silent NaN. Scalar functions raise
:class:`UndefinedIndicator` where the indicator is mathematically undefined
(a base of zero). The table functions (:func:`change_table`, :func:`locq_frame`)
instead return ``<NA>`` in that cell plus a boolean ``*_defined`` column, because
one undefined industry should not hide the others.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.errors import MissingKey, UndefinedIndicator
from analysis.values import as_count, as_number


# ---------------------------------------------------------------- validation

def _counts(values, name: str) -> pd.Series:
    """A Series of finite non-negative numbers (float), index kept."""
    s = values.copy() if isinstance(values, pd.Series) else pd.Series(values)
    if s.isna().any():
        raise ValueError(f"{name} has missing values at {list(s.index[s.isna()])}")
    s = pd.to_numeric(s).astype(float)
    if (s < 0).any():
        raise ValueError(f"{name} has negative values at {list(s.index[s < 0])}")
    return s


# ---------------------------------------------------------------- changes

def abs_change(e_t1, e_t0) -> float:
    """Absolute change ``e_t1 - e_t0`` (persons, firms).

    Read: +12 means 12 more employed in the last year than in the first.
    Example (NIBR-rapport 2005:11, Tabell 4.1, Horten ICT industry 1997-2005):
    ``abs_change(1641, 1644) == -3``.
    """
    return as_count(e_t1, "e_t1") - as_count(e_t0, "e_t0")


def rel_change(e_t1, e_t0) -> float:
    """Relative change in percent, ``(e_t1 - e_t0) / e_t0 * 100``.

    Read: 4.6 means the level grew by 4.6 % of the first year's level; -100
    means it vanished. A change from 0 has no relative size, so ``e_t0 == 0``
    raises :class:`UndefinedIndicator` (the sources print '-' or nothing there).
    Example (NIBR-rapport 2005:11, Tabell 7.1, Halden data processing/software,
    17 -> 277): ``round(rel_change(277, 17), 1) == 1529.4``.
    """
    e_t1, e_t0 = as_count(e_t1, "e_t1"), as_count(e_t0, "e_t0")
    if e_t0 == 0:
        raise UndefinedIndicator(f"relative change from a base of 0 (to {e_t1:g}) is undefined")
    return (e_t1 - e_t0) / e_t0 * 100.0


def _one_level(employment: pd.DataFrame, area: str, year: int, source: str | None) -> pd.Series:
    rows = employment[(employment["area"] == area) & (employment["year"] == year)]
    if source is not None:
        rows = rows[rows["source"] == source]
    if rows.empty:
        where = f" in {source}" if source else ""
        raise MissingKey(f"no employment rows for area {area!r} in {year}{where}")
    dup = rows["industry_id"].duplicated(keep=False)
    if dup.any():
        srcs = sorted(rows.loc[dup, "source"].astype(str).unique())
        raise ValueError(f"area {area!r}, {year}: industries {sorted(rows.loc[dup, 'industry_id'].unique())} "
                         f"are printed in several tables {srcs}; pass source= to choose one")
    return _counts(rows.set_index("industry_id")["employed"], f"employment[{area},{year}]")


def change_table(employment: pd.DataFrame, area: str, year_t0: int, year_t1: int,
                 source: str | None = None, industries=None) -> pd.DataFrame:
    """Employment change by industry from the tidy ``employment`` dataset.

    Returns one row per industry: ``industry_id, e_t0, e_t1, abs_change,
    rel_change_pct, rel_change_defined``. Where ``e_t0 == 0`` the relative
    change is ``<NA>`` and ``rel_change_defined`` is False (see :func:`rel_change`).
    Raises :class:`MissingKey` naming the area/year or industry that is absent
    in one of the years, and ValueError when the same cell comes from several
    tables and ``source`` does not choose one.
    """
    t0 = _one_level(employment, area, year_t0, source)
    t1 = _one_level(employment, area, year_t1, source)
    wanted = list(industries) if industries is not None else sorted(set(t0.index) | set(t1.index))
    for year, levels in ((year_t0, t0), (year_t1, t1)):
        missing = [i for i in wanted if i not in levels.index]
        if missing:
            raise MissingKey(f"area {area!r} has no {year} employment for industries {missing}")
    a0, a1 = t0[wanted].to_numpy(), t1[wanted].to_numpy()
    defined = a0 > 0
    rel = pd.array(np.divide(a1 - a0, a0, out=np.zeros_like(a0), where=defined) * 100.0, dtype="Float64")
    rel[~defined] = pd.NA
    whole = bool((np.concatenate([a0, a1]) % 1 == 0).all())  # whole persons stay whole in the table
    kind = "Int64" if whole else "Float64"
    out = pd.DataFrame({"industry_id": wanted, "e_t0": pd.array(a0, dtype=kind), "e_t1": pd.array(a1, dtype=kind),
                        "abs_change": pd.array(a1 - a0, dtype=kind), "rel_change_pct": rel,
                        "rel_change_defined": pd.array(defined, dtype="boolean")})
    return out


# ---------------------------------------------------------------- location quotient

def locq_frame(frame: pd.DataFrame, e_ij: str = "e_ij", e_j: str = "e_j", e_i: str = "e_i",
               e: str = "e") -> pd.DataFrame:
    """Location quotient ``LQ_ij = (e_ij / e_j) / (e_i / e)`` for every row of ``frame`` (column names configurable).

    Read: the industry's share of the region's employment relative to its share in the
    reference area. 1 = as in the reference, 2 = twice as concentrated, 0.5 = half; an industry
    is often called a regional specialisation when LQ > 1 (Isserman 1977; Farhauer & Kröll 2013;
    REAT ``locq``). Returns a copy with ``locq`` (Float64, ``<NA>`` where undefined) and
    ``locq_defined`` (False where ``e_j`` or ``e_i`` is 0: one undefined industry should not hide
    the others). Raises ValueError on missing or negative inputs and when a part exceeds its whole.
    """
    cols = {n: _counts(frame[c], c) for n, c in (("e_ij", e_ij), ("e_j", e_j), ("e_i", e_i), ("e", e))}
    bad = (cols["e_ij"] > cols["e_j"]) | (cols["e_i"] > cols["e"])
    if bad.any():
        raise ValueError(f"a part exceeds its whole in rows {list(frame.index[bad])}")
    defined = (cols["e_j"] > 0) & (cols["e_i"] > 0)
    lq = (cols["e_ij"] / cols["e_j"].where(defined)) / (cols["e_i"].where(defined) / cols["e"])
    out = frame.copy()
    out["locq"] = lq.astype("Float64").mask(~defined)
    out["locq_defined"] = defined.astype("boolean")
    return out


# ---------------------------------------------------------------- specialisation

def shares(values) -> pd.Series:
    """Shares (fractions summing to 1) of non-negative levels, index kept.

    Raises :class:`UndefinedIndicator` when all levels are 0.
    """
    s = _counts(values, "values")
    total = s.sum()
    if total == 0:
        raise UndefinedIndicator("shares of an all-zero distribution are undefined")
    return s / total


def _aligned_shares(a, b) -> tuple[pd.Series, pd.Series]:
    """Both distributions as shares over the same industries (levels are normalised, shares pass unchanged)."""
    a, b = _counts(a, "shares_region"), _counts(b, "shares_reference")
    if set(a.index) != set(b.index):
        raise MissingKey(f"the two distributions cover different industries: only in region "
                         f"{sorted(set(a.index) - set(b.index), key=str)}, only in reference "
                         f"{sorted(set(b.index) - set(a.index), key=str)}")
    return shares(a), shares(b).reindex(a.index)


def krugman(shares_region, shares_reference) -> float:
    """Krugman dissimilarity (specialisation) index ``K = sum_i |s_ij - s_i|``, range 0..2.

    ``s_ij`` is industry i's share of region j's employment, ``s_i`` its share
    in the reference; levels may be passed instead (each side is divided by
    its own total, which leaves shares unchanged). Read: 0 = identical industry structure, 2 = no industry
    in common. Krugman (1991), *Geography and Trade*; REAT ``krugman.spec``
    (same 0..2 scale). Half of it is :func:`hoover`.
    """
    a, b = _aligned_shares(shares_region, shares_reference)
    return float((a - b).abs().sum())


def hoover(shares_region, shares_reference) -> float:
    """Hoover coefficient of specialisation ``H = 0.5 * sum_i |s_ij - s_i|``, range 0..1.

    Read: the share of the region's employment that would have to change
    industry for the region to mirror the reference structure (Hoover 1936;
    Isard 1960, *Methods of Regional Analysis*). Equals ``krugman(...) / 2``.
    """
    return 0.5 * krugman(shares_region, shares_reference)


# ---------------------------------------------------------------- shift-share

def shift(e_ij_t0, e_ij_t1, e_i_t0, e_i_t1, e_t0=None, e_t1=None) -> pd.DataFrame:
    """Classic shift-share decomposition (Dunn 1960; REAT ``shift``/``shifti``).

    Inputs are Series indexed by industry (region j and the reference area,
    first and last year). ``e_t0``/``e_t1`` are the reference totals over all
    industries; by default the sum of ``e_i``. Per industry i, with national
    growth ``G = e_t1/e_t0 - 1`` and industry growth ``g_i = e_i_t1/e_i_t0 - 1``:

    * ``national_share = e_ij_t0 * G``            (growth had the region followed the nation)
    * ``industry_mix   = e_ij_t0 * (g_i - G)``    (Dunn's proportionality shift)
    * ``regional_shift = actual_change - national_share - industry_mix``
      ``= e_ij_t0 * (r_ij - g_i)``                (differential / competitive shift)

    and the three sum exactly to ``actual_change = e_ij_t1 - e_ij_t0``. Read: a
    positive regional shift means the industry grew faster in the region than
    in the reference. Summed over industries, ``industry_mix`` and
    ``regional_shift`` are REAT's net proportionality and net differential shift.
    Raises :class:`UndefinedIndicator` naming industries with ``e_i_t0 == 0``.
    """
    frame = pd.DataFrame({"e_ij_t0": e_ij_t0, "e_ij_t1": e_ij_t1, "e_i_t0": e_i_t0, "e_i_t1": e_i_t1})
    for col in frame.columns:
        if frame[col].isna().any():
            raise MissingKey(f"{col} has no value for industries {list(frame.index[frame[col].isna()])}")
        frame[col] = _counts(frame[col], col)
    e_t0 = frame["e_i_t0"].sum() if e_t0 is None else as_count(e_t0, "e_t0")
    e_t1 = frame["e_i_t1"].sum() if e_t1 is None else as_count(e_t1, "e_t1")
    zero = frame["e_i_t0"] == 0
    if zero.any() or e_t0 == 0:
        raise UndefinedIndicator(f"industry growth is undefined for industries {list(frame.index[zero])} "
                                 "with no reference employment in the first year")
    growth, g_i = e_t1 / e_t0 - 1.0, frame["e_i_t1"] / frame["e_i_t0"] - 1.0
    out = frame[["e_ij_t0", "e_ij_t1"]].copy()
    out["actual_change"] = frame["e_ij_t1"] - frame["e_ij_t0"]
    out["national_share"] = frame["e_ij_t0"] * growth
    out["industry_mix"] = frame["e_ij_t0"] * (g_i - growth)
    # the residual form makes the three parts add up to the actual change by construction
    out["regional_shift"] = out["actual_change"] - out["national_share"] - out["industry_mix"]
    out.index.name = out.index.name or "industry_id"
    return out


def shift_rest(e_ij_t0, e_ij_t1, e_i_t0, e_i_t1) -> pd.DataFrame:
    """Shift-share against the reference economy **without the region** (the rest of the country).

    The same decomposition as :func:`shift`, with every reference level replaced by the
    reference less the region (``e_i - e_ij``): national growth ``G`` is then the growth of the
    rest of the country and the region's own growth does not enter its benchmark. This matters
    when the region is a visible part of the reference (Horten's ICT manufacturing within
    Norway's, Tabell v.3), where :func:`shift` dampens the regional shift. Inputs as
    :func:`shift` (``e_i`` includes the region); raises when a region level exceeds the reference.
    Read: ``regional_shift > 0`` means the industry grew faster in the region than in the rest
    of the country; summed, it is the region's gain over a rest-of-country trend.
    """
    frame = pd.DataFrame({"e_ij_t0": e_ij_t0, "e_ij_t1": e_ij_t1, "e_i_t0": e_i_t0, "e_i_t1": e_i_t1})
    for year in ("t0", "t1"):
        over = frame[f"e_ij_{year}"] > frame[f"e_i_{year}"]
        if over.any():
            raise ValueError(f"the region exceeds the reference in {year} for industries {list(frame.index[over])}")
    return shift(frame["e_ij_t0"], frame["e_ij_t1"], frame["e_i_t0"] - frame["e_ij_t0"],
                 frame["e_i_t1"] - frame["e_ij_t1"])


# ---------------------------------------------------------------- firm dynamics

def _rate(numerator: float, start_population, what: str) -> float:
    start = as_count(start_population, "start_population")
    if start == 0:
        raise UndefinedIndicator(f"{what} is undefined for a start population of 0")
    return numerator / start * 100.0


def entry_rate(established, start_population) -> float:
    """Entry rate ``established / start_population * 100`` (firms per 100 at the start).

    NIBR-rapport 2005:11 prints it as 'Andel bedrifter opprettet ... (%)' /
    'Andel etablert i % av populasjon '98'.
    """
    return _rate(as_count(established, "established"), start_population, "entry rate")


def exit_rate(closed, start_population) -> float:
    """Exit rate ``closed / start_population * 100``."""
    return _rate(as_count(closed, "closed"), start_population, "exit rate")


def net_rate(established, closed, start_population) -> float:
    """Net entry rate ``(established - closed) / start_population * 100``; negative = shrinking stock."""
    return _rate(as_count(established, "established") - as_count(closed, "closed"), start_population, "net rate")


def turbulence(established, closed, start_population) -> float:
    """Turbulence ``(established + closed) / start_population * 100``.

    Firms entering plus firms leaving per 100 firms at the start: a measure of
    churn, not of growth (NIBR-rapport 2005:11 fn 49 and Tabell v.6, after
    Isaksen & Spilling 1996, p. 143). Horten ICT 1998-2005: 6 established, 16
    closed, printed 63, so the 1998 stock was about 35.
    """
    total = as_count(established, "established") + as_count(closed, "closed")
    return _rate(total, start_population, "turbulence")


def stock_flow_start(firms_end, established, closed) -> float:
    """The start stock implied by the stock-flow identity: ``firms_end - established + closed``.

    Register stocks also change by firms moving in or out and changing industry, so the
    identity is a benchmark for the unprinted start stock, not its value.
    """
    return as_count(firms_end, "firms_end") - as_count(established, "established") + as_count(closed, "closed")


def base_interval(numerator, printed_rate, decimals: int = 0) -> tuple[float, float] | None:
    """Start stocks ``b`` with ``100 * numerator / b`` printing as ``printed_rate`` at ``decimals``.

    The NIBR appendix (Tabell v.6) prints rates over the 1998 stock but not the stock. The
    numerator (established, closed, established - closed or established + closed) is an exact
    count; the rate is rounded. Returns None when any stock would print the rate (a rate of 0
    from a numerator of 0: not testable) and ``(inf, inf)`` when none would. Example: Horten ICT,
    6 established, printed 17 % -> 6 / 0.175 .. 6 / 0.165 = (34.3, 36.4).
    """
    n = as_number(numerator, "numerator")
    r = as_number(printed_rate, "printed_rate")
    half = 0.5 * 10.0 ** -int(decimals)
    lo_rate, hi_rate = r - half, r + half
    if n == 0:
        return None if lo_rate <= 0 <= hi_rate else (math.inf, math.inf)
    bounds = [math.inf if rate == 0 or (rate > 0) != (n > 0) else 100.0 * n / rate for rate in (lo_rate, hi_rate)]
    return (max(min(bounds), 0.0), max(bounds))


# ---------------------------------------------------------------- growth rates

def annual_growth(x_t1, x_t0, years) -> float:
    """Average annual (compound) growth in percent: ``((x_t1 / x_t0) ** (1 / years) - 1) * 100``.

    Read: 1.5 means the level must grow 1.5 % a year, each year on the last, to get from ``x_t0`` to
    ``x_t1`` in ``years`` years. Example (Sarpsborg kommune 2023, Dagens situasjon: at least 33 000 jobs in
    2030, about 6 000 more than in 2017): ``round(annual_growth(33000, 27000, 13), 2) == 1.56``, printed as 1,5
    (errata E85). Raises :class:`UndefinedIndicator` for a start level of 0 and ValueError for a
    non-positive number of years.
    """
    x_t1, x_t0, years = as_count(x_t1, "x_t1"), as_count(x_t0, "x_t0"), as_number(years, "years")
    if years <= 0:
        raise ValueError(f"years = {years:g}: growth needs a period of at least some time")
    if x_t0 == 0:
        raise UndefinedIndicator("annual growth from a level of 0 is undefined")
    return ((x_t1 / x_t0) ** (1.0 / years) - 1.0) * 100.0


def compound(x_t0, rate_pct, years) -> float:
    """The level after ``years`` years of ``rate_pct`` % growth a year: ``x_t0 * (1 + rate_pct / 100) ** years``.

    Read: where a level ends if the yearly growth of a period goes on (0.9 % a year for 13 years takes
    27 000 to about 30 300).
    """
    x_t0, rate_pct, years = as_count(x_t0, "x_t0"), as_number(rate_pct, "rate_pct"), as_number(years, "years")
    if rate_pct <= -100:
        raise ValueError(f"rate_pct = {rate_pct:g}: a fall of 100 % or more a year leaves nothing to compound")
    return x_t0 * (1.0 + rate_pct / 100.0) ** years


__all__ = [
    "abs_change", "annual_growth", "base_interval", "change_table", "compound", "entry_rate", "exit_rate", "hoover", "krugman", "locq_frame",
    "net_rate", "rel_change", "shares", "shift", "shift_rest", "stock_flow_start", "turbulence",
]
