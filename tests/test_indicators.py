"""Hand-computed cases for analysis.indicators; the arithmetic is in the comments."""

import math

import pandas as pd
import pytest

from analysis.indicators import (
    MissingKey,
    UndefinedIndicator,
    abs_change,
    change_table,
    entry_rate,
    exit_rate,
    hoover,
    implied_start_population,
    index_series,
    interval_consistent,
    krugman,
    locq,
    locq_frame,
    net_rate,
    pct_attainable,
    rel_change,
    rel_change_attainable,
    rounding_interval,
    shares,
    shift,
    turbulence,
)


def employment_frame(rows):
    """Tidy employment rows (area, industry_id, year, employed, source) as data.load types them."""
    df = pd.DataFrame(rows, columns=["area", "industry_id", "year", "employed", "source"])
    return df.astype({"area": "string", "industry_id": "string", "year": "Int64", "employed": "Int64",
                      "source": "string"})


# ---------------------------------------------------------------- published numbers (NIBR-rapport 2005:11)

def test_horten_ict_industry_tabell_4_1():
    # Tabell 4.1 (lines 2909-2935): IKT-industri, Horten kommune, 1644 (1997) -> 1641 (2005), printed -3 and -0,2.
    # -3 / 1644 * 100 = -0.18248... -> -0.2 at one decimal
    assert abs_change(1641, 1644) == -3
    assert round(rel_change(1641, 1644), 1) == -0.2
    assert rel_change_attainable(-0.2, 1, 1641, 1644)


def test_halden_data_processing_tabell_7_1():
    # Tabell 7.1: 'Databehandling, programvare' 277 employed in 2005, change +260, so 17 in 1997;
    # 260 / 17 * 100 = 1529.41... printed 1529,4
    assert abs_change(277, 17) == 260
    assert round(rel_change(277, 17), 1) == 1529.4


def test_horten_ict_dynamics_tabell_4_8_implies_a_1998_stock_of_35():
    # Tabell 4.8: 6 established, 16 closed, printed entry share 17 % and turbulence 63 (fn 49: per 100 firms in 1998).
    # 100 * 6 / 17 = 35.29 and 100 * (6 + 16) / 63 = 34.92: both say 'about 35'.
    entry = implied_start_population(6, 17)
    turb = implied_start_population(6 + 16, 63)
    assert round(entry.estimate) == 35 and round(turb.estimate) == 35
    # with exact counts: entry allows 600/17.5 = 34.29 .. 600/16.5 = 36.36, turbulence 2200/63.5 = 34.65 .. 2200/62.5
    # = 35.2; only the whole stock 35 satisfies both
    both = implied_start_population(6, 17, count_halfwidth=0).intersect(implied_start_population(22, 63, count_halfwidth=0))
    assert both.integers() == (35,)
    # forward: 6/35 = 17.1 %, 22/35 = 62.9 (printed 63), (6-16)/35 = -28.6 (printed -29 in Tabell v.6)
    assert round(entry_rate(6, 35)) == 17
    assert round(turbulence(6, 16, 35)) == 63
    assert round(net_rate(6, 16, 35)) == -29
    # 31 firms in 2005 would imply 31 - 6 + 16 = 41 in 1998, which does not give 17 %: 6/41 = 14.6 %
    assert not pct_attainable(17, 0, 6, 41, count_halfwidth=0)


def test_kongsberg_product_innovators_fn_72():
    # fn 72 (line 5836): 22 of the 27 Kongsberg firms had product innovations; text: 'over 80 prosent'.
    # 22 / 27 = 0.8148 -> 81.5 %
    assert pct_attainable(81.5, 1, 22, 27, count_halfwidth=0)
    assert not pct_attainable(80.0, 1, 22, 27, count_halfwidth=0)


# ---------------------------------------------------------------- changes

def test_rel_change_from_zero_is_undefined():
    with pytest.raises(UndefinedIndicator):
        rel_change(5, 0)
    assert isinstance(UndefinedIndicator("x"), ZeroDivisionError)


@pytest.mark.parametrize("bad", [-1, float("nan"), None, pd.NA, "12", True, float("inf")])
def test_bad_counts_raise_value_error(bad):
    with pytest.raises(ValueError):
        abs_change(bad, 10)
    with pytest.raises(ValueError):
        rel_change(10, bad)


def test_index_series():
    # base 2000 = 80: 1997 60/80*100 = 75, 2005 100/80*100 = 125
    idx = index_series({1997: 60, 2000: 80, 2005: 100}, 2000)
    assert idx.to_dict() == {1997: 75.0, 2000: 100.0, 2005: 125.0}
    with pytest.raises(MissingKey, match="1999"):
        index_series({1997: 60, 2000: 80}, 1999)
    with pytest.raises(UndefinedIndicator):
        index_series({1997: 0, 2000: 80}, 1997)


def test_change_table_zero_base_gives_na_and_flag():
    emp = employment_frame([
        ("x", "g1", 1997, 0, "T"), ("x", "g1", 2005, 5, "T"),  # 0 -> 5: relative change undefined
        ("x", "g2", 1997, 40, "T"), ("x", "g2", 2005, 50, "T"),  # 10 / 40 = +25 %
    ])
    out = change_table(emp, "x", 1997, 2005).set_index("industry_id")
    assert out.loc["g1", "abs_change"] == 5
    assert out.loc["g1", "rel_change_pct"] is pd.NA
    assert not out.loc["g1", "rel_change_defined"]
    assert out.loc["g2", "rel_change_pct"] == 25.0
    assert bool(out.loc["g2", "rel_change_defined"])


def test_change_table_region_absent_in_one_year_names_it():
    emp = employment_frame([("x", "g1", 1997, 3, "T"), ("x", "g1", 2005, 4, "T"), ("y", "g1", 1997, 7, "T")])
    with pytest.raises(MissingKey, match=r"'y' in 2005"):
        change_table(emp, "y", 1997, 2005)


def test_change_table_industry_absent_in_one_year_names_it():
    emp = employment_frame([("x", "g1", 1997, 3, "T"), ("x", "g2", 1997, 1, "T"), ("x", "g1", 2005, 4, "T")])
    with pytest.raises(MissingKey, match="g2"):
        change_table(emp, "x", 1997, 2005)


def test_change_table_refuses_ambiguous_sources_and_accepts_a_choice():
    emp = employment_frame([("x", "g1", 1997, 3, "Tabell 4.1"), ("x", "g1", 1997, 3, "Tabell v.3"),
                            ("x", "g1", 2005, 4, "Tabell 4.1"), ("x", "g1", 2005, 4, "Tabell v.3")])
    with pytest.raises(ValueError, match="source="):
        change_table(emp, "x", 1997, 2005)
    assert change_table(emp, "x", 1997, 2005, source="Tabell 4.1")["abs_change"].tolist() == [1]


def test_change_table_negative_or_missing_employment_raises():
    emp = employment_frame([("x", "g1", 1997, -3, "T"), ("x", "g1", 2005, 4, "T")])
    with pytest.raises(ValueError, match="negative"):
        change_table(emp, "x", 1997, 2005)
    emp = employment_frame([("x", "g1", 1997, None, "T"), ("x", "g1", 2005, 4, "T")])
    with pytest.raises(ValueError, match="missing"):
        change_table(emp, "x", 1997, 2005)


# ---------------------------------------------------------------- location quotient

def test_locq_hand_computed():
    # region: 30 of 200 in industry (15 %); nation: 1000 of 20000 (5 %); LQ = 0.15 / 0.05 = 3
    assert locq(30, 200, 1000, 20000) == pytest.approx(3.0)
    with pytest.raises(UndefinedIndicator):
        locq(0, 0, 1000, 20000)
    with pytest.raises(ValueError, match="exceeds"):
        locq(300, 200, 1000, 20000)


def test_locq_frame_flags_undefined_rows():
    df = pd.DataFrame({"e_ij": [30, 0], "e_j": [200, 0], "e_i": [1000, 1000], "e": [20000, 20000]})
    out = locq_frame(df)
    assert out.loc[0, "locq"] == pytest.approx(3.0) and bool(out.loc[0, "locq_defined"])
    assert out.loc[1, "locq"] is pd.NA and not out.loc[1, "locq_defined"]
    with pytest.raises(ValueError):
        locq_frame(df.assign(e_ij=[30, float("nan")]))


# ---------------------------------------------------------------- specialisation

def test_krugman_and_hoover():
    # region shares 0.5, 0.3, 0.2; nation 0.2, 0.3, 0.5: |0.3| + 0 + |-0.3| = 0.6; Hoover = 0.3
    region, nation = shares(pd.Series({"a": 5, "b": 3, "c": 2})), shares(pd.Series({"a": 2, "b": 3, "c": 5}))
    assert krugman(region, nation) == pytest.approx(0.6)
    assert hoover(region, nation) == pytest.approx(0.3)
    # no industry in common: maximum 2 and 1
    assert krugman(pd.Series({"a": 1.0, "b": 0.0}), pd.Series({"a": 0.0, "b": 1.0})) == 2.0


def test_specialisation_accepts_levels_and_refuses_mismatched_industries():
    # levels 5, 3, 2 vs 2, 3, 5 are the shares above times 10: same index
    assert krugman(pd.Series({"a": 5, "b": 3, "c": 2}), pd.Series({"a": 2, "b": 3, "c": 5})) == pytest.approx(0.6)
    with pytest.raises(MissingKey, match="c"):
        hoover(pd.Series({"a": 0.5, "b": 0.5}), pd.Series({"a": 0.5, "c": 0.5}))
    with pytest.raises(UndefinedIndicator):
        shares([0, 0])
    with pytest.raises(UndefinedIndicator):
        krugman(pd.Series({"a": 0, "b": 0}), pd.Series({"a": 1, "b": 1}))
    with pytest.raises(ValueError):
        hoover(pd.Series({"a": -1, "b": 2}), pd.Series({"a": 1, "b": 1}))


# ---------------------------------------------------------------- shift-share

def test_shift_share_hand_computed_and_sums_to_actual_change():
    # nation 2000 -> 2400: G = 0.2. Industry a: 1000 -> 1100 (g = 0.1); b: 1000 -> 1300 (g = 0.3).
    # Region a: 100 -> 120: NS = 100*0.2 = 20, IM = 100*(0.1-0.2) = -10, RS = 20 - 20 + 10 = 10
    # Region b: 50 -> 40:   NS = 50*0.2 = 10,  IM = 50*(0.3-0.2) = 5,    RS = -10 - 10 - 5 = -25
    out = shift(pd.Series({"a": 100, "b": 50}), pd.Series({"a": 120, "b": 40}),
                pd.Series({"a": 1000, "b": 1000}), pd.Series({"a": 1100, "b": 1300}))
    assert out.loc["a", ["national_share", "industry_mix", "regional_shift"]].tolist() == pytest.approx([20, -10, 10])
    assert out.loc["b", ["national_share", "industry_mix", "regional_shift"]].tolist() == pytest.approx([10, 5, -25])
    parts = out[["national_share", "industry_mix", "regional_shift"]].sum(axis=1)
    assert (parts - out["actual_change"]).abs().max() < 1e-9


def test_shift_share_with_national_totals_of_all_industries():
    # nation all industries 10000 -> 10500: G = 0.05; industry a 1000 -> 1100 (g = 0.1)
    # region a 100 -> 120: NS = 5, IM = 100*(0.1-0.05) = 5, RS = 20 - 5 - 5 = 10
    out = shift(pd.Series({"a": 100}), pd.Series({"a": 120}), pd.Series({"a": 1000}), pd.Series({"a": 1100}),
                e_t0=10000, e_t1=10500)
    assert out.loc["a", "national_share"] == pytest.approx(5)
    assert out.loc["a", "industry_mix"] == pytest.approx(5)
    assert out.loc["a", "regional_shift"] == pytest.approx(10)


def test_shift_share_errors():
    with pytest.raises(UndefinedIndicator, match="b"):
        shift(pd.Series({"a": 1, "b": 1}), pd.Series({"a": 2, "b": 2}), pd.Series({"a": 5, "b": 0}),
              pd.Series({"a": 6, "b": 3}))
    with pytest.raises(MissingKey, match="b"):  # industry b absent in the last year
        shift(pd.Series({"a": 1, "b": 1}), pd.Series({"a": 2}), pd.Series({"a": 5, "b": 5}),
              pd.Series({"a": 6, "b": 3}))


# ---------------------------------------------------------------- firm dynamics and rounding

def test_firm_rates_zero_start_population():
    # 3 established, 1 closed of 20: entry 15, exit 5, net 10, turbulence 20
    assert (entry_rate(3, 20), exit_rate(1, 20), net_rate(3, 1, 20), turbulence(3, 1, 20)) == (15, 5, 10, 20)
    with pytest.raises(UndefinedIndicator):
        turbulence(2, 0, 0)
    with pytest.raises(ValueError):
        entry_rate(-1, 10)


def test_rounding_interval_and_consistency():
    assert rounding_interval(-0.2, 1) == pytest.approx((-0.25, -0.15))
    assert interval_consistent(63, 0, 62.86, 62.86)  # 62.86 prints as 63
    assert not interval_consistent(63, 0, 62.0, 62.4)
    assert interval_consistent(17, 0, 16.5, 16.5)  # half-way: either rounding convention accepted


def test_pct_attainable_allows_half_a_unit_on_each_count():
    # 9 / 20 = 45.0 % cannot print as 47; with counts 9.5 / 19.5 = 48.7 % and 8.5 / 20.5 = 41.5 %, 47 is reachable
    assert not pct_attainable(47, 0, 9, 20, count_halfwidth=0)
    assert pct_attainable(47, 0, 9, 20)
    with pytest.raises(UndefinedIndicator):
        pct_attainable(50, 0, 1, 0)  # a denominator printed as 0 may be 0
    assert math.isclose(implied_start_population(6, 17).lower, 100 * 5.5 / 17.5)
