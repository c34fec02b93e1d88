"""Hand-computed cases for analysis.survey; the arithmetic is in the comments."""

import math
from itertools import combinations

import pandas as pd
import pytest
from scipy import stats

from analysis.indicators import MissingKey, UndefinedIndicator
from analysis.survey import (
    InsufficientData,
    agreement_between_groups,
    agreement_between_towns,
    competition_ranks,
    is_competition_ranking,
    kendall_tau,
    kendall_w,
    finite_population_interval,
    nonresponse_bounds,
    printed_ranks,
    rounded_share_counts,
    share_interval,
)

# NIBR-rapport 2005:11, Tabell 4.5 (lines 3758-3805), Horten: information sources for innovation, as printed.
HORTEN_SYSTEM = {"internal": 1, "customers": 2, "suppliers": 3, "conferences": 3, "group-firms": 5, "fairs": 5,
                 "competitors": 7, "public-rd": 7, "consultants": 9, "private-rd": 9, "universities": 11}
HORTEN_CONTRACT = {"customers": 1, "internal": 2, "suppliers": 3, "competitors": 4, "fairs": 5, "conferences": 6,
                   "consultants": 7, "public-rd": 8, "group-firms": 9, "universities": 10, "private-rd": 10}


def naive_tau_b(a: dict, b: dict) -> float:
    """Tau-b by counting pairs (Kendall 1945), independent of scipy: (nc - nd) / sqrt((n0 - n1)(n0 - n2))."""
    items = sorted(set(a) & set(b))
    nc = nd = ta = tb = 0
    for i, j in combinations(items, 2):
        da, db = a[i] - a[j], b[i] - b[j]
        ta += da == 0
        tb += db == 0
        nc += da * db > 0
        nd += da * db < 0
    n0 = len(items) * (len(items) - 1) / 2
    return (nc - nd) / math.sqrt((n0 - ta) * (n0 - tb))


# ---------------------------------------------------------------- ranks

def test_competition_ranks_ties_share_the_best_rank():
    # scores 2.7, 2.1, 2.1, 1.0 (descending importance) -> 1, 2, 2, 4
    ranks = competition_ranks({"a": 2.7, "b": 2.1, "c": 2.1, "d": 1.0})
    assert ranks.to_dict() == {"a": 1, "b": 2, "c": 2, "d": 4}
    with pytest.raises(ValueError):
        competition_ranks({"a": 1.0, "b": None})


def test_printed_tabell_4_5_ranks_are_competition_ranks():
    assert is_competition_ranking(list(HORTEN_SYSTEM.values()))  # 1 2 3 3 5 5 7 7 9 9 11
    assert is_competition_ranking(list(HORTEN_CONTRACT.values()))  # ... 9 10 10
    assert not is_competition_ranking([1, 2, 2, 3])  # dense ranking


def test_printed_ranks_from_tidy_rows():
    rows = pd.DataFrame({"region_id": "horten", "question": "information-sources", "firm_group": "system",
                         "item_id": list(HORTEN_SYSTEM), "rank": list(HORTEN_SYSTEM.values()), "basis": "table"})
    assert printed_ranks(rows, "horten", "information-sources", "system").to_dict() == HORTEN_SYSTEM
    with pytest.raises(MissingKey):
        printed_ranks(rows, "horten", "information-sources", "contract")
    with pytest.raises(ValueError, match="twice"):
        printed_ranks(pd.concat([rows, rows]), "horten", "information-sources", "system")


# ---------------------------------------------------------------- Kendall's tau

def test_kendall_tau_hand_computed():
    # 4 items, one swapped pair: 5 concordant, 1 discordant of 6 pairs -> (5 - 1) / 6 = 0.667
    res = kendall_tau({"a": 1, "b": 2, "c": 3, "d": 4}, {"a": 1, "b": 3, "c": 2, "d": 4})
    assert res.tau == pytest.approx(4 / 6) and res.n_common == 4


def test_kendall_tau_b_with_ties():
    # a ties b and c: 5 concordant, 0 discordant, 1 pair tied in a only: 5 / sqrt((6 - 1) * (6 - 0)) = 0.9129
    res = kendall_tau({"a": 1, "b": 2, "c": 2, "d": 4}, {"a": 1, "b": 2, "c": 3, "d": 4})
    assert res.tau == pytest.approx(5 / math.sqrt(30))


def test_kendall_tau_horten_firm_groups_tabell_4_5():
    # the two firm groups of Tabell 4.5 agree closely (same top three; knowledge infrastructure at the bottom)
    res = kendall_tau(HORTEN_SYSTEM, HORTEN_CONTRACT)
    assert res.n_common == 11
    assert res.tau == pytest.approx(naive_tau_b(HORTEN_SYSTEM, HORTEN_CONTRACT))
    assert res.tau == pytest.approx(0.6479, abs=1e-4)
    assert not hasattr(res, "p_value")  # descriptive: eleven items of a purposive sample support no test


def test_kendall_tau_uses_common_items_and_needs_three():
    res = kendall_tau({"a": 1, "b": 2, "c": 3, "x": 4}, {"a": 1, "b": 2, "c": 3, "y": 1})
    assert res.n_common == 3 and res.tau == pytest.approx(1.0)
    with pytest.raises(InsufficientData, match="only 2"):
        kendall_tau({"a": 1, "b": 2, "c": 3}, {"a": 2, "b": 1, "z": 3})
    with pytest.raises(UndefinedIndicator):
        kendall_tau({"a": 1, "b": 1, "c": 1}, {"a": 1, "b": 2, "c": 3})


# ---------------------------------------------------------------- Kendall's W

def test_kendall_w_textbook_example_without_ties():
    # 10 projects ranked by 4 judges (a standard teaching example): rank sums 10, 8, 12, 16, 21, 22, 25, 31, 37, 38,
    # mean 22, S = sum of squared deviations = 1048; W = 12 * 1048 / (4^2 * (10^3 - 10)) = 12576 / 15840 = 0.7939
    m = pd.DataFrame({
        "A": [1, 3, 4, 5, 2, 8, 6, 7, 10, 9], "B": [2, 1, 4, 5, 6, 3, 8, 7, 10, 9],
        "C": [3, 2, 1, 5, 7, 4, 6, 8, 9, 10], "D": [4, 2, 3, 1, 6, 7, 5, 9, 8, 10]}, index=range(1, 11))
    res = kendall_w(m)
    assert res.w == pytest.approx(12576 / 15840)
    assert (res.m_raters, res.n_items) == (4, 10)


def test_kendall_w_with_tie_correction_matches_friedman():
    # raters A: 1 2 3 4; B printed 1 2 2 4 -> mid-ranks 1 2.5 2.5 4; C: 2 1 3 4.
    # rank sums R = 4, 5.5, 8.5, 12; mean 7.5; S = 3.5^2 + 2^2 + 1^2 + 4.5^2 = 37.5
    # ties: B has one pair, T = 2^3 - 2 = 6; W = 12 * 37.5 / (3^2 * (4^3 - 4) - 3 * 6) = 450 / 522 = 0.8621
    m = pd.DataFrame({"A": [1, 2, 3, 4], "B": [1, 2, 2, 4], "C": [2, 1, 3, 4]}, index=list("wxyz"))
    res = kendall_w(m)
    assert res.w == pytest.approx(450 / 522)
    # m (n - 1) W is Friedman's tie-corrected statistic (items = treatments, raters = blocks): the W is right
    friedman = stats.friedmanchisquare(*[m.loc[i].to_numpy() for i in m.index])
    assert res.m_raters * (res.n_items - 1) * res.w == pytest.approx(friedman.statistic)


def test_kendall_w_perfect_agreement_and_errors():
    assert kendall_w(pd.DataFrame({"A": [1, 2, 3], "B": [1, 2, 3]})).w == pytest.approx(1.0)
    with pytest.raises(ValueError, match="lack a rank"):
        kendall_w(pd.DataFrame({"A": [1, 2, 3], "B": [1, None, 2]}))
    with pytest.raises(InsufficientData):
        kendall_w(pd.DataFrame({"A": [1, 2], "B": [1, 2]}))


# ---------------------------------------------------------------- agreement tables

def rankings_frame():
    rows = []
    for region, group, ranks in [("t1", "g1", {"a": 1, "b": 2, "c": 3, "d": 4}),
                                 ("t1", "g2", {"a": 1, "b": 3, "c": 2, "d": 4}),
                                 ("t1", "g3", {"a": 1, "z": 2}),  # only one item in common: undefined
                                 ("t2", "all", {"a": 4, "b": 3, "c": 2, "d": 1})]:
        rows += [(region, "information-sources", group, item, r, "table") for item, r in ranks.items()]
    return pd.DataFrame(rows, columns=["region_id", "question", "firm_group", "item_id", "rank", "basis"])


def test_agreement_between_groups_table():
    out = agreement_between_groups(rankings_frame())
    assert list(out.columns) == ["region_id", "question", "a", "b", "tau", "n", "defined"]
    t1 = out[out["region_id"] == "t1"].set_index(["a", "b"])
    assert t1.loc[("g1", "g2"), "tau"] == pytest.approx(4 / 6)  # one swapped pair, as above
    assert t1.loc[("g1", "g3"), "tau"] is pd.NA and not t1.loc[("g1", "g3"), "defined"]
    assert t1.loc[("g1", "g3"), "n"] == 1
    assert len(out[out["region_id"] == "t2"]) == 0  # one group: no pair


def test_agreement_merges_a_rank_printed_twice_and_refuses_two_different_ranks():
    frame = rankings_frame()
    # the same rank printed in a table and in the text is merged; a different rank is a conflict
    text = frame[frame["firm_group"] == "g1"].assign(basis="text")
    both = agreement_between_groups(pd.concat([frame, text]), basis=None)
    assert both.equals(agreement_between_groups(frame, basis=None))
    conflict = text.assign(rank=text["rank"][::-1].to_numpy())
    with pytest.raises(ValueError, match="different ranks"):
        agreement_between_groups(pd.concat([frame, conflict]), basis=None)


def test_results_read_as_keys_and_attributes():
    res = share_interval(22, 27)
    assert res["share"] == res.share and res.as_dict()["n"] == 27
    with pytest.raises(KeyError, match="no field"):
        res["shares"]


def test_agreement_between_towns_with_group_mapping():
    out = agreement_between_towns(rankings_frame(), groups={"t1": "g1", "t2": "all"})
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["a"], row["b"]) == ("t1", "t2") and row["tau"] == pytest.approx(-1.0)  # reversed order
    assert len(agreement_between_towns(rankings_frame())) == 0  # no shared firm-group ids


# ---------------------------------------------------------------- shares


def test_share_interval_kongsberg_product_innovators_fn_72():
    # fn 72 (line 5836): 22 of 27 Kongsberg firms had product innovations; the text says 'over 80 prosent'.
    # Wilson: centre (0.8148 + 1.96^2/54) / (1 + 1.96^2/27) = 0.7756, half-width 0.1426 -> 0.633 .. 0.918
    res = share_interval(22, 27)
    assert round(res.share * 100, 1) == 81.5 and res.share > 0.80
    assert (res.ci_low, res.ci_high) == pytest.approx((0.6330, 0.9182), abs=1e-3)
    # 0 of 16: lower bound 0, upper 1.96^2 / (16 + 1.96^2) = 0.194
    zero = share_interval(0, 16)
    assert zero.ci_low == pytest.approx(0, abs=1e-12) and zero.ci_high == pytest.approx(3.8415 / 19.8415, abs=1e-3)
    with pytest.raises(InsufficientData, match="N = 0"):
        share_interval(0, 0)
    with pytest.raises(ValueError, match="exceeds"):
        share_interval(5, 4)


def test_nonresponse_bounds():
    # 36 of 47 respondents, 60 asked: all 13 non-respondents no -> 36/60 = 0.6; all yes -> 49/60 = 0.8167
    assert nonresponse_bounds(36, 47, 60) == pytest.approx((0.6, 49 / 60))
    assert nonresponse_bounds(5, 10, 10) == (0.5, 0.5)
    with pytest.raises(ValueError, match="below the number of respondents"):
        nonresponse_bounds(5, 10, 9)


def test_finite_population_interval_is_exact_and_narrower():
    # the whole population asked: the share is known exactly
    assert finite_population_interval(3, 10, 10) == (0.3, 0.3)
    # 2 of 3 sampled from 4: K = 2 or 3 keep the observed count inside both 2.5 % tails
    # (K=2: P(X>=2) = C(2,2)C(2,1)/C(4,3) = 0.5; K=3: P(X<=2) = 1 - C(3,3)/C(4,3) = 0.75; K=4 impossible with 1 'no')
    assert finite_population_interval(2, 3, 4) == (0.5, 0.75)
    # 36 of 47 from a register of 171 firms: narrower than the Wilson interval of the 47 answers
    lo, hi = finite_population_interval(36, 47, 171)
    wilson = share_interval(36, 47)
    assert wilson.ci_low < lo < 36 / 47 < hi < wilson.ci_high
    with pytest.raises(ValueError, match="at least n"):
        finite_population_interval(3, 10, 9)


def test_rounded_share_counts_gives_the_interval_of_counts():
    # 35 % of 20 = 7 exactly; 77 % of 47: 36/47 = 76.6 % only; 50 % of 13: 6.5 -> none
    assert rounded_share_counts(35, 20) == (7, 7)
    assert rounded_share_counts(77, 47) == (36, 36)
    # 3 % of 100 firms at 0 decimals: 2.5 .. 3.5 % -> 3 (and the closed ends admit nothing else here)
    assert rounded_share_counts(3, 100) == (3, 3)
    # 10 % of 200: 19/200 = 9.5 %, 20 = 10 %, 21 = 10.5 %: the closed half-unit interval allows 19..21
    assert rounded_share_counts(10, 200) == (19, 21)
    with pytest.raises(ValueError, match="no whole count"):
        rounded_share_counts(50, 13)
    with pytest.raises(InsufficientData):
        rounded_share_counts(40, 0)
