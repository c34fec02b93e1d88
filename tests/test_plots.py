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
    assert matplotlib.rcParams["svg.hashsalt"] == "tech-towns"


def test_source_caption():
    assert plots.source_caption("nibr-2005-11", "Tabell 4.1") == "Source: NIBR-rapport 2005:11, Tabell 4.1"
    assert plots.source_caption("sarpsborg-2023") == "Source: Sarpsborg kommune 2023, Oppstartsnotat"
    with pytest.raises(KeyError, match="unknown document"):
        plots.source_caption("nibr-2005-12", "Tabell 4.1")


def test_save_figure_writes_png_and_svg_byte_identical(tmp_path):
    fig = labelled_figure()
    paths = plots.save_figure(fig, tmp_path, "horten-production", "ict", ("nibr-2005-11", "Tabell 4.1"))
    assert paths["png"] == tmp_path / "figures" / "horten-production--ict.png"
    assert paths["svg"].exists()
    assert paths["png"].stat().st_mode & 0o777 == 0o644
    first = {k: digest(p) for k, p in paths.items()}
    plots.save_figure(fig, tmp_path, "horten-production", "ict", ("nibr-2005-11", "Tabell 4.1"))
    assert {k: digest(p) for k, p in paths.items()} == first
    # a fresh figure with the same content gives the same bytes too (no dates, fixed SVG ids)
    other = plots.save_figure(labelled_figure(), tmp_path / "b", "horten-production", "ict",
                              ("nibr-2005-11", "Tabell 4.1"))
    assert {k: digest(p) for k, p in other.items()} == first
    svg = paths["svg"].read_text(encoding="utf-8")
    assert "<dc:date>" not in svg
    assert "Source: NIBR-rapport 2005:11, Tabell 4.1" in svg  # the caption is drawn (path text keeps a comment)


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


def test_change_bars_draw_the_printed_tabell_4_1_changes(tmp_path):
    # NIBR-rapport 2005:11, Tabell 4.1, Horten kommune 1997-2005: -3, -13 and +12 employed
    table = pd.DataFrame({"industry": ["ICT industry", "Other high-tech industry", "IT services"],
                          "abs_change": [-3, -13, 12],
                          "rel_change_pct": pd.array([-0.2, -16.9, None], dtype="Float64")})
    fig = plots.change_bars(table, "abs_change", "industry", "Change in employment, Horten", "Change (persons)")
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths == [-3, -13, 12]
    plots.save_figure(fig, tmp_path, "nb", "abs", ("nibr-2005-11", "Tabell 4.1"))
    fig = plots.change_bars(table, "rel_change_pct", "industry", "Relative change", "Change (%)")
    assert any(t.get_text().strip() == "n/a" for t in fig.axes[0].texts)  # undefined value is marked, not drawn as 0


def test_timeline_lists_undated_events_separately(tmp_path):
    events = pd.DataFrame({"event_id": ["navy-yard", "electronics", "tradition"],
                           "year": pd.array([1818, 1950, None], dtype="Int64"),
                           "year_end": pd.array([None, 1970, None], dtype="Int64"),
                           "phase": ["naval base", "electronics", None],
                           "precision": ["exact", "period", "undated"]})
    fig = plots.timeline(events, "Horten: history")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("tradition" in t for t in texts)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["navy-yard", "electronics"]  # oldest first
    assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()] == ["naval base", "electronics"]
    plots.save_figure(fig, tmp_path, "nb", "timeline", ("nibr-2005-11", "§4.2"))


def test_rank_dots_index_lines_location_bars_are_saveable(tmp_path):
    ranks = pd.DataFrame({"item_id": ["customers", "internal", "suppliers"] * 2,
                          "firm_group": ["system"] * 3 + ["contract"] * 3, "rank": [2, 1, 3, 1, 2, 3]})
    plots.save_figure(plots.rank_dots(ranks, "Information sources"), tmp_path, "nb", "ranks", ("nibr-2005-11", "Tabell 4.5"))
    idx = pd.DataFrame({"year": [1997, 2005] * 2, "index": [100, 99.8, 100, 117.0], "series": ["a", "a", "b", "b"]})
    plots.save_figure(plots.index_lines(idx, "year", "index", "series", "Index", 1997), tmp_path, "nb", "idx",
                      ("nibr-2005-11", "Tabell 4.1"))
    loc = pd.DataFrame({"category": ["customers", "customers", "suppliers", "suppliers"],
                        "location": ["local", "abroad", "local", "abroad"], "value": [3, 1, 1, 1]})
    fig = plots.location_bars(loc, "category", "location", "value", "Partners by location")
    # normalised: customers 3/4 = 75 % local, suppliers 1/2 = 50 %
    assert [p.get_width() for p in fig.axes[0].patches][:2] == [75.0, 50.0]
    plots.save_figure(fig, tmp_path, "nb", "loc", ("nibr-2005-11", "Tabell 4.3"))
    with pytest.raises(ValueError, match="no values"):
        plots.location_bars(loc.assign(value=0), "category", "location", "value", "Empty")
