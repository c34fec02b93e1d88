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
    base_interval,
    krugman,
    locq_frame,
    net_rate,
    rel_change,
    shares,
    shift,
    shift_rest,
    stock_flow_start,
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


def test_halden_data_processing_tabell_7_1():
    # Tabell 7.1: 'Databehandling, programvare' 277 employed in 2005, change +260, so 17 in 1997;
    # 260 / 17 * 100 = 1529.41... printed 1529,4
    assert abs_change(277, 17) == 260
    assert round(rel_change(277, 17), 1) == 1529.4


def test_horten_ict_dynamics_tabell_4_8_implies_a_1998_stock_of_35():
    # Tabell 4.8: 6 established, 16 closed, printed entry share 17 % and turbulence 63 (fn 49: per 100 firms in 1998).
    # The counts are exact, the rates rounded: entry allows 600/17.5 = 34.29 .. 600/16.5 = 36.36,
    # turbulence 2200/63.5 = 34.65 .. 2200/62.5 = 35.2; only the whole stock 35 satisfies both.
    entry, turb = base_interval(6, 17), base_interval(6 + 16, 63)
    assert entry == pytest.approx((600 / 17.5, 600 / 16.5))
    assert turb == pytest.approx((2200 / 63.5, 2200 / 62.5))
    common = [b for b in range(30, 40) if max(entry[0], turb[0]) <= b <= min(entry[1], turb[1])]
    assert common == [35]
    # forward: 6/35 = 17.1 %, 22/35 = 62.9 (printed 63), (6-16)/35 = -28.6 (printed -29 in Tabell v.6)
    assert round(entry_rate(6, 35)) == 17
    assert round(turbulence(6, 16, 35)) == 63
    assert round(net_rate(6, 16, 35)) == -29
    # the stock-flow identity: 31 firms in 2005 - 6 + 16 = 41 in 1998, outside both intervals (firms moved or
    # changed industry)
    assert stock_flow_start(31, 6, 16) == 41
    assert not entry[0] <= 41 <= entry[1]


def test_base_interval_any_base_and_no_base():
    # 0 established and a printed 0 %: every stock prints so -> not testable (None)
    assert base_interval(0, 0) is None
    # 0 established but a printed 5 %: no stock gives it
    assert base_interval(0, 5) == (math.inf, math.inf)
    # a negative net of -10 at a printed -29 %: 1000/29.5 .. 1000/28.5
    assert base_interval(-10, -29) == pytest.approx((1000 / 29.5, 1000 / 28.5))


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
    out = locq_frame(pd.DataFrame({"e_ij": [30], "e_j": [200], "e_i": [1000], "e": [20000]}))
    assert out.loc[0, "locq"] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="exceeds"):
        locq_frame(pd.DataFrame({"e_ij": [300], "e_j": [200], "e_i": [1000], "e": [20000]}))


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

def test_shift_share_textbook_example():
    # nation 2000 -> 2400: G = 0.2. Industry a: 1000 -> 1100 (g = 0.1); b: 1000 -> 1300 (g = 0.3).
    # Region a: 100 -> 120 (r = 0.2): NS = 100*0.2 = 20, IM = 100*(0.1-0.2) = -10, RS = 100*(0.2-0.1) = 10
    # Region b: 50 -> 40 (r = -0.2):  NS = 50*0.2 = 10,  IM = 50*(0.3-0.2) = 5,    RS = 50*(-0.2-0.3) = -25
    out = shift(pd.Series({"a": 100, "b": 50}), pd.Series({"a": 120, "b": 40}),
                pd.Series({"a": 1000, "b": 1000}), pd.Series({"a": 1100, "b": 1300}))
    assert out.loc["a", ["national_share", "industry_mix", "regional_shift"]].tolist() == pytest.approx([20, -10, 10])
    assert out.loc["b", ["national_share", "industry_mix", "regional_shift"]].tolist() == pytest.approx([10, 5, -25])


def test_shift_share_against_the_rest_of_the_country():
    # The same region inside a nation of a 1100 -> 1220, b 1050 -> 1340 (the region included):
    # the rest of the country is a 1000 -> 1100, b 1000 -> 1300, so shift_rest gives the textbook numbers above.
    region0, region1 = pd.Series({"a": 100, "b": 50}), pd.Series({"a": 120, "b": 40})
    nation0, nation1 = pd.Series({"a": 1100, "b": 1050}), pd.Series({"a": 1220, "b": 1340})
    rest = shift_rest(region0, region1, nation0, nation1)
    assert rest.loc["a", ["national_share", "industry_mix", "regional_shift"]].tolist() == pytest.approx([20, -10, 10])
    assert rest.loc["b", ["national_share", "industry_mix", "regional_shift"]].tolist() == pytest.approx([10, 5, -25])
    # Classic form, nation incl. the region: G = 2560/2150 - 1 = 0.190698, g_a = 1220/1100 - 1 = 0.109091:
    # RS_a = 100 * (0.2 - 0.109091) = 9.0909 -- the region's own growth dampens its shift
    classic = shift(region0, region1, nation0, nation1)
    assert classic.loc["a", "national_share"] == pytest.approx(100 * (2560 / 2150 - 1))
    assert classic.loc["a", "regional_shift"] == pytest.approx(100 * (0.2 - 120 / 1100 + 1 - 1 + 1 - 1) - 0, abs=1e-9) \
        or classic.loc["a", "regional_shift"] == pytest.approx(100 * (0.2 - (1220 / 1100 - 1)))
    assert classic.loc["a", "regional_shift"] == pytest.approx(9.090909, abs=1e-6)
    with pytest.raises(ValueError, match="exceeds the reference"):
        shift_rest(pd.Series({"a": 100}), pd.Series({"a": 120}), pd.Series({"a": 90}), pd.Series({"a": 200}))


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
