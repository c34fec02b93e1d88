"""analysis.plots: theme, captions, deterministic saving, refusal of unlabelled figures, the helpers."""

import hashlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from analysis import plots


@pytest.fixture(autouse=True)
def _theme():
    plots.set_theme()
    yield
    plt.close("all")


def labelled_figure():
    fig, ax = plt.subplots()
    ax.plot([1997, 2005], [1644, 1641])
    ax.set(title="ICT industry, Horten", xlabel="Year", ylabel="Employed (persons)")
    return fig


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_set_theme_is_idempotent():
    plots.set_theme()
    first = dict(matplotlib.rcParams)
    plots.set_theme()
    assert dict(matplotlib.rcParams) == first
    assert matplotlib.rcParams["figure.constrained_layout.use"]


def test_source_caption():
    assert plots.source_caption("nibr-2005-11", "Tabell 4.1") == "Source: NIBR-rapport 2005:11, Tabell 4.1"
    assert plots.source_caption("sarpsborg-2023") == "Source: Sarpsborg kommune 2023, Oppstartsnotat"
    with pytest.raises(KeyError, match="unknown document"):
        plots.source_caption("nibr-2005-12", "Tabell 4.1")


def test_save_figure_writes_png_and_data_byte_identical(tmp_path):
    fig = labelled_figure()
    data = pd.DataFrame({"year": [1997, 2005], "employed": [1644, 1641]})
    paths = plots.save_figure(fig, tmp_path, "horten-production", "ict", ("nibr-2005-11", "Tabell 4.1"), data)
    assert paths["png"] == tmp_path / "figures" / "horten-production--ict.png"
    assert paths["csv"].read_text() == "year,employed\n1997,1644\n2005,1641\n"
    assert paths["png"].stat().st_mode & 0o777 == 0o644
    assert not list((tmp_path / "figures").glob(".*"))  # no temporary file left
    first = {k: digest(p) for k, p in paths.items()}
    plots.save_figure(fig, tmp_path, "horten-production", "ict", ("nibr-2005-11", "Tabell 4.1"), data)
    assert {k: digest(p) for k, p in paths.items()} == first
    # a fresh figure with the same content gives the same bytes too (no software tag or date)
    other = plots.save_figure(labelled_figure(), tmp_path / "b", "horten-production", "ict",
                              ("nibr-2005-11", "Tabell 4.1"), data)
    assert {k: digest(p) for k, p in other.items()} == first


def test_saving_paints_once_and_leaves_the_figure_as_it_was(tmp_path, monkeypatch):
    fig = labelled_figure()
    engine, dpi = fig.get_layout_engine(), fig.get_dpi()
    draws = []
    real_draw = type(fig).draw
    monkeypatch.setattr(type(fig), "draw", lambda self, renderer: (draws.append(renderer), real_draw(self, renderer))[1])
    plots.save_figure(fig, tmp_path, "nb", "once", ("nibr-2005-11", "Tabell 4.1"))
    # laid out by the engine alone between fittings, then painted once (savefig by itself draws twice)
    assert len(draws) == 1
    assert fig.get_layout_engine() is engine and fig.get_dpi() == dpi


def test_source_line_is_drawn_below_the_axes(tmp_path):
    fig = labelled_figure()
    plots.save_figure(fig, tmp_path, "nb", "a", ("nibr-2005-11", "Tabell 4.1"))
    caption = next(t for t in fig.texts if t.get_gid() == plots.SOURCE_GID)
    assert caption.get_text() == "Source: NIBR-rapport 2005:11, Tabell 4.1"
    fig.canvas.draw()
    axes_bottom = min(ax.get_tightbbox().y0 for ax in fig.axes)  # tick labels and x label included
    assert caption.get_window_extent().y1 <= axes_bottom


def test_source_line_drawn_once_even_when_saved_twice(tmp_path):
    fig = labelled_figure()
    plots.save_figure(fig, tmp_path, "nb", "a", "Source: NIBR-rapport 2005:11, Tabell 4.1")
    plots.save_figure(fig, tmp_path, "nb", "a", [("nibr-2005-11", "Tabell 4.1"), ("nibr-2005-11", "Tabell v.3")])
    captions = [t.get_text() for t in fig.texts if t.get_gid() == plots.SOURCE_GID]
    assert captions == ["Sources: NIBR-rapport 2005:11, Tabell 4.1; NIBR-rapport 2005:11, Tabell v.3"]


@pytest.mark.parametrize("missing", ["title", "xlabel", "ylabel"])
def test_save_figure_refuses_unlabelled_figures(tmp_path, missing):
    fig = labelled_figure()
    getattr(fig.axes[0], f"set_{missing}")("")
    with pytest.raises(plots.FigureError):
        plots.save_figure(fig, tmp_path, "nb", "bad", ("nibr-2005-11", "Tabell 4.1"))
    assert not (tmp_path / "figures" / "nb--bad.png").exists()


def test_save_figure_refuses_bad_names_and_sources(tmp_path):
    with pytest.raises(plots.FigureError):
        plots.save_figure(labelled_figure(), tmp_path, "../nb", "a", ("nibr-2005-11", "Tabell 4.1"))
    with pytest.raises(plots.FigureError):
        plots.save_figure(labelled_figure(), tmp_path, "nb", "a", "")


def test_suptitle_counts_as_title(tmp_path):
    fig, (a, b) = plt.subplots(1, 2)
    for ax in (a, b):
        ax.set(xlabel="Year", ylabel="Employed (persons)")
    fig.suptitle("Two panels")
    plots.save_figure(fig, tmp_path, "nb", "two", ("nibr-2005-11", "Tabell 4.1"))


def test_grouped_bars_draw_the_printed_tabell_4_1_changes(tmp_path):
    # NIBR-rapport 2005:11, Tabell 4.1, Horten kommune 1997-2005: -3, -13 and +12 employed
    table = pd.DataFrame({"industry": ["ICT industry", "Other high-tech industry", "IT services"],
                          "abs_change": [-3, -13, 12],
                          "rel_change_pct": pd.array([-0.2, -16.9, None], dtype="Float64")})
    fig = plots.grouped_bars(table, "industry", "abs_change", "Change in employment, Horten", "Change (persons)")
    assert [p.get_width() for p in fig.axes[0].patches] == [-3, -13, 12]
    plots.save_figure(fig, tmp_path, "nb", "abs", ("nibr-2005-11", "Tabell 4.1"))
    fig = plots.grouped_bars(table, "industry", "rel_change_pct", "Relative change", "Change (%)")
    assert any(t.get_text().strip() == "n/a" for t in fig.axes[0].texts)  # undefined value is marked, not drawn as 0


def test_grouped_bars_and_dots_put_the_benchmark_in_grey_and_the_legend_outside(tmp_path):
    frame = pd.DataFrame({"group": ["a", "a", "b", "b"], "area": ["Horten", "Rest", "Horten", "Rest"],
                          "index": [90.0, 120.0, 1600.0, 110.0]})
    fig = plots.compare_dots(frame, "group", "index", "area", "Index", "Index (log)", benchmarks=["Rest"], log=True,
                             reference=100)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    rest = next(line for line in ax.lines if line.get_label() == "Rest")
    assert matplotlib.colors.to_hex(rest.get_color()) == matplotlib.colors.to_hex(plots.BENCHMARK_COLOUR)
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1  # beside the data, not over it
    plots.save_figure(fig, tmp_path, "nb", "dots", ("nibr-2005-11", "Tabell v.3"))


def test_timeline_places_dated_events_oldest_first(tmp_path):
    events = pd.DataFrame({"label": ["Navy yard founded", "Electronics firms"], "year": pd.array([1818, 1950], dtype="Int64"),
                           "year_end": pd.array([None, 1970], dtype="Int64"), "phase": ["naval base", "electronics"]})
    fig = plots.timeline(events, "Horten: history")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Navy yard founded", "Electronics firms"]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["Naval base", "Electronics"]
    plots.save_figure(fig, tmp_path, "nb", "timeline", ("nibr-2005-11", "§4.2"))


def test_rank_dots_series_lines_location_bars_share_dots_are_saveable(tmp_path):
    ranks = pd.DataFrame({"item": ["customers", "internal", "suppliers"] * 2,
                          "group": ["system"] * 3 + ["contract"] * 3, "rank": [2, 1, 3, 1, 2, 3]})
    plots.save_figure(plots.rank_dots(ranks, "Information sources"), tmp_path, "nb", "ranks", ("nibr-2005-11", "Tabell 4.5"))
    idx = pd.DataFrame({"year": [1997, 2005] * 2, "index": [100, 99.8, 100, 117.0], "series": ["a", "a", "b", "b"]})
    fig = plots.series_lines(idx, "year", "index", "series", "Index", "Index (1997 = 100)", benchmarks=["b"], reference=100)
    plots.save_figure(fig, tmp_path, "nb", "idx", ("nibr-2005-11", "Tabell 4.1"))
    loc = pd.DataFrame({"category": ["customers", "customers", "suppliers", "suppliers"],
                        "location": ["local", "abroad", "local", "abroad"], "value": [3, 1, 1, 1]})
    fig = plots.location_bars(loc, "category", "location", "value", "Partners by location")
    # normalised: customers 3/4 = 75 % local, suppliers 1/2 = 50 %
    assert [p.get_width() for p in fig.axes[0].patches][:2] == [75.0, 50.0]
    plots.save_figure(fig, tmp_path, "nb", "loc", ("nibr-2005-11", "Tabell 4.3"))
    with pytest.raises(ValueError, match="no values"):
        plots.location_bars(loc.assign(value=0), "category", "location", "value", "Empty")
    shares = pd.DataFrame({"label": ["innovators"], "share": [81.5], "lo": [63.3], "hi": [91.8], "n": [27],
                           "national": [55.0]})
    fig = plots.share_dots(shares, "label", "share", "lo", "hi", "n", "Shares", reference="national")
    assert any(t.get_text() == "n = 27" for t in fig.axes[0].texts)
    plots.save_figure(fig, tmp_path, "nb", "shares", ("nibr-2005-11", "fn 72"))


def test_network_and_value_chain_are_saveable(tmp_path):
    nodes = pd.DataFrame({"node_id": ["km", "ge", "s1"], "label": ["KM", "GE", "Supplier of mechanics"],
                          "role": ["system-firm", "system-firm", "contract-supplier"]})
    edges = pd.DataFrame({"source": ["km", "ge"], "target": ["s1", "s1"]})
    fig = plots.network(nodes, edges, "Horten suppliers")
    plots.save_figure(fig, tmp_path, "nb", "network", ("nibr-2005-11", "Figur 4.1"))
    steps = pd.DataFrame({"chain": ["car-parts"] * 2, "step": [1, 2], "stage": ["Light metal", "Casting"],
                          "actors": [None, "Hydro"], "region_position": [False, True]})
    plots.save_figure(plots.value_chain(steps, "Raufoss"), tmp_path, "nb", "chain", ("nibr-2005-11", "§6.3"))


def texts(fig) -> list[str]:
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]


# the longest stages the sources describe (Kongsberg §5.3, Horten §4.3): several hundred characters each
LONG_STAGES = pd.DataFrame({
    "chain": ["system-supply"] * 3 + ["horten-electronics"] * 4 + ["raufoss-car-parts"] * 8,
    "step": [1, 2, 3, 1, 2, 3, 4, *range(1, 9)],
    "stage": ["components and subsystems, mostly bought from subcontractors (little industrial component manufacture "
              "in Kongsberg; suppliers mostly elsewhere in Østlandet or abroad)",
              "system development and assembly (system integration) at the Kongsberg core firms",
              "larger technical systems of other firms: cars (gears), aircraft (engine parts), offshore platforms "
              "(monitoring, control), ships (communication), weapons platforms (missiles), for defence, offshore, car, "
              "aircraft, maritime, space and packaging industries",
              "second-tier suppliers: sub-suppliers to the system firms' and technology suppliers' suppliers (about "
              "half of the contract suppliers' sub-suppliers of customised components in Norway, just over a third of "
              "those in Vestfold; partners in low-cost countries)",
              "first-tier contract suppliers", "system firms and technology suppliers", "customers",
              *[f"stage {k}: services: power, IT, emergency preparedness; R&D with SINTEF" for k in range(1, 9)]],
    "actors": [None, "Kongsberg Maritime;Kongsberg Gruppen;FMC Kongsberg Subsea;Kongsberg Automotive;Volvo Aero Norge",
               "forsvaret;offshoreindustrien;bilindustrien;flyindustrien;maritim industri;romfartsvirksomhet",
               "OSWO;Keytouch;Borre Mek.", "EMG Norautron;OSWO;MicroComponent;Lilaas;Keytouch;Mectro", None, None,
               *["Hydro Aluminium (HA)"] * 8],
    "region_position": [False, True, False, True, True, True, False, *[True, False] * 4]})


def test_value_chain_texts_fit_their_boxes_and_nothing_overlaps(tmp_path):
    fig = plots.value_chain(LONG_STAGES, "Three towns: the value chains and the region's position",
                            chain_labels={"system-supply": "Kongsberg system supply"}, region_label="firms of Kongsberg")
    plots.save_figure(fig, tmp_path, "nb", "chain", ("nibr-2005-11", "§5.3"))
    assert plots.layout_problems(fig) == []
    fig.set_dpi(150)  # as saved: text is widest there
    fig.canvas.draw()
    boxed = [t for t in fig.findobj(matplotlib.text.Text) if getattr(t, "_analysis_box", None) is not None]
    assert len(boxed) == 15 + 12  # every stage, and the actors of the twelve stages that name some
    for t in boxed:
        inner, outer = t.get_window_extent(), t._analysis_box.get_window_extent()
        assert outer.x0 <= inner.x0 and inner.x1 <= outer.x1 and outer.y0 <= inner.y0 and inner.y1 <= outer.y1, t.get_text()
    # boxes of one chain do not touch: the arrow between them has room
    boxes = sorted((p.get_window_extent() for p in fig.axes[0].patches if p.get_gid() == plots.VALUE_CHAIN_BOX),
                   key=lambda b: (-b.y1, b.x0))
    for a, b in zip(boxes, boxes[1:]):
        assert a.x1 < b.x0 or b.y1 < a.y0


def test_value_chain_names_chains_and_says_what_the_shading_means():
    fig = plots.value_chain(LONG_STAGES, "Value chains", chain_labels={"system-supply": "Kongsberg system supply"},
                            region_label="firms of Kongsberg")
    shown = texts(fig)
    assert "Kongsberg system supply value chain (upstream → downstream)" in shown
    assert "Horten electronics value chain (upstream → downstream)" in shown  # an id without a name, in words
    assert not [t for t in shown if "system-supply" in t or "horten-electronics" in t or "horten electronics" in t]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["stage where firms of Kongsberg work", "stage elsewhere"]
    shades = {p.get_facecolor() for p in fig.axes[0].patches if p.get_gid() == plots.VALUE_CHAIN_BOX}
    assert len(shades) == 2  # the region's stages in one colour, the others white
    assert not [t for t in shown if t.startswith("second-tier")]  # a stage starts as a sentence does


def test_layout_problems_finds_cut_overlapping_and_id_labels():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set(title="A title", xlabel="Year", ylabel="Persons")
    assert plots.layout_problems(fig) == []
    ax.text(0.5, 0.5, "here", transform=ax.transAxes)
    ax.text(0.5, 0.5, "there", transform=ax.transAxes)
    fig.text(0.98, 0.5, "a long text that runs off the right edge")
    ax.set_yticks([0.2], ["horten-electronics"])
    found = plots.layout_problems(fig)
    assert any(p.startswith("texts overlap: 'here' and 'there'") for p in found)
    assert any(p.startswith("cut off at the figure's edge: 'a long text") for p in found)
    assert "internal id as a label: 'horten-electronics'" in found


# Horten 2005 (Tabell v.3): the quotients of its seven groups, and a group with nobody employed
QUOTIENTS = pd.DataFrame({"industry": ["Metal products", "Transport equipment", "ICT manufacturing",
                                       "Other high-tech manufacturing", "ICT services", "R&D services",
                                       "Technical consultancy"],
                          "locq": [0.8298, 0.1939, 7.6652, 0.2240, 0.1295, 0.0150, 0.0]})
LONG_XLABEL = "Share of the town's technology employment ÷ share of Norway's (1 = as in Norway; log scale)"


def test_quotients_on_a_log_axis_from_1_with_zeros_and_values_written(tmp_path):
    fig = plots.grouped_bars(QUOTIENTS, "industry", "locq", "Horten: specialisation, 2005", LONG_XLABEL,
                             reference=1.0, log=True, value_format="{:.2f}", zero_text="0 (none employed)")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    bars = [(p.get_x(), p.get_width()) for p in ax.patches]
    assert all(x == 1.0 for x, _ in bars)  # every bar starts at 1: 0.5 and 2 are equally long
    assert bars[2][1] == pytest.approx(6.6652) and bars[5][1] == pytest.approx(0.015 - 1)
    written = [t.get_text().strip() for t in ax.texts]
    assert "0 (none employed)" in written and "7.67" in written and "0.01" in written
    assert ax.get_xlim()[0] < 0.015 < 7.6652 < ax.get_xlim()[1]
    plots.save_figure(fig, tmp_path, "nb", "specialisation", ("nibr-2005-11", "Tabell v.3"))
    assert plots.layout_problems(fig) == []  # the long x label is wrapped, not cut off at the right edge
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert "1" in ticks and "0.1" in ticks and "10" in ticks


def test_linear_bars_tell_zero_from_missing():
    table = QUOTIENTS.assign(locq=[1.0, None, 2.0, 0.0, 1.0, 1.0, 1.0])
    fig = plots.grouped_bars(table, "industry", "locq", "Bars", "Value (ratio)")
    written = [t.get_text().strip() for t in fig.axes[0].texts]
    assert written.count("n/a") == 1 and written.count("0") == 1


def test_long_titles_and_labels_are_wrapped_to_the_room_they_have(tmp_path):
    fig = plots.grouped_bars(QUOTIENTS.assign(industry=QUOTIENTS["industry"] + " and other long group names"),
                             "industry", "locq", "A title that is long enough to need two lines in a figure eight "
                             "inches wide, or it would run out of the figure on the right", LONG_XLABEL * 2)
    plots.save_figure(fig, tmp_path, "nb", "long", ("nibr-2005-11", "Tabell v.3"))
    assert plots.layout_problems(fig) == []
    assert "\n" in fig.axes[0].get_xlabel() and "\n" in fig._suptitle.get_text()


def test_rank_axis_from_1_to_14_has_room_between_its_ticks(tmp_path):
    # Tabell 4.6 (Horten, system firms): 14 local actors, ranks 1 to 14, two groups
    items = [f"Local actor number {k}" for k in range(1, 15)]
    ranks = pd.DataFrame({"item": items * 2, "group": ["system firms"] * 14 + ["contract suppliers"] * 14,
                          "rank": [*range(1, 15), *range(14, 0, -1)]})
    fig = plots.rank_dots(ranks, "Horten: importance of local actors and institutions")
    plots.save_figure(fig, tmp_path, "nb", "ranks", ("nibr-2005-11", "Tabell 4.6"))
    assert plots.layout_problems(fig) == []
    ax = fig.axes[0]
    ticks = [int(t) for t in ax.get_xticks()]
    assert ticks[0] == 1 and ticks[-1] == 14 and len(ticks) <= 8
    assert ax.get_xlim() == (0.5, 14.5)


def test_rank_axis_runs_to_the_number_of_items_and_one_group_needs_no_legend():
    ranks = pd.DataFrame({"item": ["ICT competence", "Market competence"], "group": ["all firms"] * 2, "rank": [1, 1]})
    fig = plots.rank_dots(ranks, "Halden: competence needs")
    ax = fig.axes[0]
    assert [int(t) for t in ax.get_xticks()] == [1, 2]  # both tied first: the axis shows the rank they share
    assert ax.get_legend() is None


def test_rank_labels_of_three_lines_do_not_overlap():
    # Tabell 4.9 (Horten): the longest barrier names, wrapped to two or three lines
    items = ["Customers so demanding on price and delivery that there is no room for innovation",
             "Lack of relevant partners in local business", "Lack of customer interest in new goods and services",
             "Organisational rigidities within the firm or group", "Lack of local R&D institutions with specialist skills"]
    ranks = pd.DataFrame({"item": items * 2, "group": ["a"] * 5 + ["b"] * 5, "rank": [1, 2, 3, 4, 5, 5, 4, 3, 2, 1]})
    assert plots.layout_problems(plots.rank_dots(ranks, "Horten: factors hampering innovation")) == []


def test_year_axis_in_whole_years_and_a_single_series_without_legend():
    # NIBR-rapport 2005:11 §6.3: RA's car-parts turnover 1974, 1984, 1994 (NOK million)
    turnover = pd.DataFrame({"year": [1974, 1984, 1994], "value": [100, 300, 1100], "series": ["RA"] * 3})
    fig = plots.series_lines(turnover, "year", "value", "series", "Raufoss: RA's car-parts business, turnover",
                             "Turnover (NOK million)")
    fig.canvas.draw()
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1974", "1984", "1994"]
    assert ax.get_legend() is None
    assert "1,000" in [t.get_text() for t in ax.get_yticklabels()]


def test_compare_dots_names_the_groups_without_a_value():
    rates = pd.DataFrame({"group": ["ICT services", "ICT services", "R&D services"], "area": ["Horten", "Norway", "Norway"],
                          "rate": [420.0, 440.0, 115.0]})
    fig = plots.compare_dots(rates, "group", "rate", "area", "Entry rates", "Entry rate (%, log scale)", log=True,
                             benchmarks=["Norway"])
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["ICT services", "R&D services\n(no value: Horten)"]


def test_timeline_compresses_a_long_empty_stretch_and_says_so(tmp_path):
    events = pd.DataFrame({"label": ["Mill at Rødfossen", *[f"Event {k}" for k in range(12)]],
                           "year": pd.array([1600, *range(1874, 2006, 11)], dtype="Int64"),
                           "year_end": pd.array([None] * 13, dtype="Int64"), "phase": ["early"] + ["late"] * 12})
    fig = plots.timeline(events, "Raufoss: history")
    ax = fig.axes[0]
    assert "compressed between 1600 and 1874" in ax.get_xlabel()
    share = (ax.transData.transform((1874, 0))[0] - ax.transData.transform((1600, 0))[0]) / ax.bbox.width
    assert share < 0.15  # 274 empty years take less than a sixth of the axis
    plots.save_figure(fig, tmp_path, "nb", "timeline", ("nibr-2005-11", "§6.2"))
    assert plots.layout_problems(fig) == []
    even = plots.timeline(events.iloc[1:], "Raufoss: history, from 1874")
    assert even.axes[0].get_xscale() == "linear" and even.axes[0].get_xlabel() == "Year"


def test_verdict_grid_turns_many_criteria_down_the_page_and_marks_empty_cells():
    criteria = [f"criterion {k}" for k in range(13)]
    grid = pd.DataFrame([(i, c, "met") for i in ("construction", "tourism") for c in criteria[:-1]],
                        columns=["industry", "criterion", "verdict"])
    fig = plots.verdict_grid(grid, "industry", "criterion", "verdict", "Criteria by industry", column_order=criteria,
                             xlabel="Criterion", ylabel="Industry")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Construction", "Tourism"]
    assert len(ax.get_yticklabels()) == 13 and ax.get_ylabel() == "Criterion"
    assert sorted(t.get_text() for t in ax.texts).count("–") == 2  # criterion 12 has no verdict: a dash, not a gap
    assert fig.get_size_inches()[0] < 8


def test_location_bars_write_each_wide_segment_share():
    loc = pd.DataFrame({"category": ["mechanical"] * 3, "location": ["all in Vestfold", "half or more", "under half"],
                        "value": [5, 4, 2]})
    fig = plots.location_bars(loc, "category", "location", "value", "Suppliers")
    assert [t.get_text() for t in fig.axes[0].texts] == ["45 %", "36 %", "18 %"]


def test_survey_labels_are_the_whole_description_not_cut_in_a_word():
    text = ("System firms and technology suppliers rating customers of high importance as an information source "
            "for innovation (NIBR-survey 2004)")
    shares = pd.DataFrame({"label": [text], "share": [65.0], "lo": [43.3], "hi": [81.9], "n": [20]})
    fig = plots.share_dots(shares, "label", "share", "lo", "hi", "n", "Shares")
    assert " ".join(fig.axes[0].get_yticklabels()[0].get_text().split()) == text
    assert fig.axes[0].get_legend() is None and "Wilson interval" in fig.axes[0].get_xlabel()


def test_tick_labels_that_run_together_are_found_and_thinned_on_a_log_axis(tmp_path):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1500, 40000], [0, 1])
    ax.set(title="Employed", xlabel="Persons (log scale)", ylabel="Row")
    plots._log_axis(ax, "x")
    assert any(p.startswith("tick labels run together") for p in plots.layout_problems(fig))
    plots.save_figure(fig, tmp_path, "nb", "thin", ("nibr-2005-11", "Tabell 3.3"))
    assert plots.layout_problems(fig) == [] and 10000 in ax.get_xticks()


# ---------------------------------------------------------------- figures drawn once

def bars(value=-3):
    frame = pd.DataFrame({"group": ["ICT manufacturing", "ICT services"], "change": [value, 12]})
    return plots.grouped_bars(frame, "group", "change", "Employment change, Horten", "Change (persons)")


def cached(cache):
    return sorted(cache.rglob("*.png"))


def key_of(fig, caption):
    return plots._png_key(plots._recipe_of(fig), caption)


def test_a_figure_is_drawn_once_and_then_copied_byte_identical(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("ANALYSIS_RENDERED", str(cache))
    first = plots.save_figure(bars(), tmp_path / "a", "nb", "bars", ("nibr-2005-11", "Tabell 4.1"))["png"]
    assert len(cached(cache)) == 1
    # the second figure of the same call is not laid out or painted: it is copied
    monkeypatch.setattr(plots, "_fit_labels", lambda fig: pytest.fail("a kept figure was laid out again"))
    second = plots.save_figure(bars(), tmp_path / "b", "nb", "bars", ("nibr-2005-11", "Tabell 4.1"))["png"]
    assert digest(second) == digest(first)
    # ... and what is copied is what drawing it afresh gives
    monkeypatch.undo()
    monkeypatch.setenv("ANALYSIS_RENDERED", "off")
    fresh = plots.save_figure(bars(), tmp_path / "c", "nb", "bars", ("nibr-2005-11", "Tabell 4.1"))["png"]
    assert digest(fresh) == digest(first)


def test_what_changes_a_figure_changes_its_key(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RENDERED", str(tmp_path / "cache"))
    source = ("nibr-2005-11", "Tabell 4.1")
    base = key_of(bars(), plots._caption(source))
    assert base == key_of(bars(), plots._caption(source))
    assert key_of(bars(-4), plots._caption(source)) != base  # a value
    assert key_of(bars(), plots._caption(("nibr-2005-11", "Tabell 4.2"))) != base  # the source line
    with matplotlib.rc_context({"font.size": 13}):  # the theme
        assert key_of(bars(), plots._caption(source)) != base
    with matplotlib.rc_context({"interactive": not matplotlib.rcParams["interactive"]}):  # a screen setting is not
        assert key_of(bars(), plots._caption(source)) == base
    ordered = pd.DataFrame({"group": pd.Categorical(["a", "b"], categories=["b", "a"]), "change": [1, 2]})
    other = ordered.assign(group=pd.Categorical(["a", "b"], categories=["a", "b"]))
    keys = {key_of(plots.grouped_bars(f, "group", "change", "T", "X"), "Source: x") for f in (ordered, other)}
    assert len(keys) == 2  # the order of a category's levels draws a different figure


def test_a_figure_no_single_call_describes_is_drawn_afresh(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("ANALYSIS_RENDERED", str(cache))
    fig, ax = plt.subplots()
    frame = pd.DataFrame({"group": ["a", "b"], "change": [1, 2]})
    plots.grouped_bars(frame, "group", "change", "Drawn into given axes", "X", ax=ax)
    assert key_of(fig, "Source: x") is None
    assert key_of(labelled_figure(), "Source: x") is None  # not drawn by a helper at all
    plots.save_figure(fig, tmp_path, "nb", "given-axes", "Source: x")
    assert cached(cache) == []


def test_a_kept_figure_cut_short_is_drawn_again(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("ANALYSIS_RENDERED", str(cache))
    first = plots.save_figure(bars(), tmp_path / "a", "nb", "bars", "Source: x")["png"]
    (kept,) = cached(cache)
    kept.write_bytes(kept.read_bytes()[:100])  # a killed copy, say
    second = plots.save_figure(bars(), tmp_path / "b", "nb", "bars", "Source: x")["png"]
    assert digest(second) == digest(first) and digest(kept) == digest(first)


def test_figure_cache_off_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RENDERED", "off")
    monkeypatch.setenv("ANALYSIS_OUTPUTS", str(tmp_path / "outputs"))
    plots.save_figure(bars(), tmp_path, "nb", "bars", "Source: x")
    assert not (tmp_path / "outputs").exists()


def test_a_call_drawn_before_builds_no_figure_unless_it_must(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RENDERED", str(tmp_path / "cache"))
    first = bars()
    title = plots.figure_title(first)
    png = plots.save_figure(first, tmp_path / "a", "nb", "bars", "Source: x")["png"]
    kept = bars()
    assert isinstance(kept, plots.KeptFigure) and plots.figure_title(kept) == title
    again = plots.save_figure(kept, tmp_path / "b", "nb", "bars", "Source: x")["png"]
    assert kept._figure is None and digest(again) == digest(png)  # copied, nothing built
    plots.close(kept)
    # another source line was never drawn with this figure: it is built and drawn, and the same as afresh
    other = plots.save_figure(bars(), tmp_path / "c", "nb", "bars", "Source: y")["png"]
    monkeypatch.setenv("ANALYSIS_RENDERED", "off")
    fresh = plots.save_figure(bars(), tmp_path / "d", "nb", "bars", "Source: y")["png"]
    assert digest(other) == digest(fresh) != digest(png)


def test_a_kept_figure_is_a_figure_to_whoever_looks_at_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RENDERED", str(tmp_path / "cache"))
    plots.save_figure(bars(), tmp_path, "nb", "bars", "Source: x")
    kept = bars()
    assert isinstance(kept, plots.KeptFigure)
    assert [t.get_text() for t in kept.axes[0].get_yticklabels()] == ["ICT manufacturing", "ICT services"]
    assert isinstance(kept.figure(), matplotlib.figure.Figure)
    plots.close(kept)


def test_the_figure_cache_is_pruned_longest_unused_first(tmp_path, monkeypatch):
    import os

    from analysis.files import prune_least_used

    cache = tmp_path / "cache"
    monkeypatch.setenv("ANALYSIS_RENDERED", str(cache))
    for value in (1, 2, 3):
        plots.save_figure(bars(value), tmp_path / str(value), "nb", "bars", "Source: x")
    pngs = cached(cache)
    for age, path in enumerate(sorted(pngs), start=1):
        os.utime(path, (1_000_000 * age, 1_000_000 * age))
    plots.save_figure(bars(1), tmp_path / "again", "nb", "bars", "Source: x")  # a use makes it the newest
    used = max(pngs, key=lambda p: p.stat().st_mtime)
    size = sum(p.stat().st_size for p in pngs)
    assert prune_least_used(cache / "figures", size - 1, "*/*.png") >= 1
    assert used.exists() and len(cached(cache)) < 3
    left = len(cached(cache))
    assert prune_least_used(cache / "figures", 0, "*/*.png") == left and cached(cache) == []
