"""What a run will do: every input checked, the (notebook, region) pairs listed, nothing run yet.

Everything that depends on the repository layout comes in through :class:`Project`,
so the tests and the benchmark's synthetic regions run without ``data/``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from analysis import config
from analysis.errors import AnalysisError, InputError
from analysis.names import check_slug
from analysis.pipeline.notebooks import CROSS_REGION, Notebook, discover_notebooks

# papermill parameters the pipeline sets itself; user -p values may not override them
RESERVED = ("region", "regions", "output_dir")
_HOW_INSTEAD = {"region": "choose regions with --region", "regions": "choose regions with --region",
                "output_dir": "each pair writes to outputs/<region>/ (ANALYSIS_OUTPUTS moves outputs/)"}


def parse_parameter(text: str) -> tuple[str, object]:
    """``name=value`` from the command line; value is a Python literal, else a string."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise InputError(f"malformed parameter {text!r}: expected name=value with a Python identifier as name")
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw
    return name, value


def _parameters_taken(chosen: list[Notebook]) -> str:
    """What -p can set for these notebooks, from their parameters cells, in one line."""
    own: dict[tuple[str, ...], list[str]] = {}
    for nb in chosen:
        own.setdefault(tuple(p for p in nb.parameters if p not in RESERVED), []).append(nb.name)
    taken = [f"{', '.join(names)} ({', '.join(nbs)})" for names, nbs in own.items() if names]
    if not taken:
        return (f"the chosen notebooks ({', '.join(nb.name for nb in chosen)}) take only region or regions and "
                "output_dir, which the pipeline sets")
    return f"the chosen notebooks take: {'; '.join(taken)}; region or regions and output_dir are set by the pipeline"


@dataclass
class Project:
    """Everything a run reads from the repository, explicit so tests can substitute it."""

    notebooks_dir: Path = field(default_factory=config.notebooks_dir)
    outputs_dir: Path = field(default_factory=config.outputs_dir)
    regions: dict[str, tuple[str, ...]] | None = None  # case region -> reference areas; None: data/regions.csv
    fingerprint: Callable[[list[str] | None], str] | None = None  # None: analysis.data.data_fingerprint
    validate: Callable[[], list[str]] | None = None  # None: analysis.data.validate_package
    source_dir: Path = config.PROJ_ROOT / "analysis"
    env: dict[str, str] = field(default_factory=dict)  # extra environment for the kernels
    _from_registry: bool = field(default=False, init=False, repr=False)  # regions read from data/regions.csv

    def case_regions(self) -> dict[str, tuple[str, ...]]:
        """Case region -> reference areas: the regions the per-region notebooks run for (registry order)."""
        if self.regions is None:
            from analysis.data.regions import case_regions

            try:
                self.regions = {r.region_id: r.reference_areas for r in case_regions()}
            except (AnalysisError, OSError, KeyError) as exc:
                raise InputError(f"cannot read the region registry: {exc}") from None
            self._from_registry = True
        return self.regions

    def why_not_a_case(self, region: str) -> str:
        """Why a registered region gets no per-region notebooks ('' when it is not registered)."""
        if not self._from_registry:
            return ""
        from analysis.data.regions import SHORT_EXAMPLE, all_regions

        found = {r.region_id: r.presentation for r in all_regions()}.get(region)
        if found == SHORT_EXAMPLE:
            return f"{region!r} is a short example of its source, shown in the cross-region short-cases notebook"
        return f"{region!r} is a reference area, not a case region (the region notebooks run for case regions)" if found else ""

    def data_fingerprint(self, region_ids: list[str] | None) -> str:
        if self.fingerprint is not None:
            return self.fingerprint(region_ids)
        from analysis.data import data_fingerprint

        return data_fingerprint(region_ids)

    def validate_data(self) -> list[str]:
        if self.validate is not None:
            return self.validate()
        package = config.datapackage()
        if not package.exists():
            return [f"{package}: file is missing"]
        from analysis.data import DataError, validate_package

        try:
            return validate_package(package)
        except DataError as exc:
            return [str(exc)]


@dataclass
class Pair:
    """One notebook run: a notebook for a region (or once across regions)."""

    notebook: Notebook
    region: str  # region id, or CROSS_REGION
    parameters: dict  # what papermill injects, except output_dir
    key: str = ""

    @property
    def label(self) -> str:
        return f"{self.notebook.name}[{self.region}]"


@dataclass
class Plan:
    project: Project
    region_pairs: list[Pair]
    cross_pairs: list[Pair]


def plan(project: Project, regions: Iterable[str] = (), notebooks: Iterable[str] = (), parameters: Iterable[str] = ()) -> Plan:
    """Check every input and return the pairs to consider; raises :class:`InputError`.

    Nothing is run or written here. ``regions``/``notebooks`` empty: all of them.
    Cross-region notebooks are included when no region was chosen, or when named.
    """
    regions, notebooks = list(regions), list(notebooks)
    for r in regions:
        check_slug(r, "region id")
    for n in notebooks:
        check_slug(n, "notebook name")
    user_params = dict(parse_parameter(p) for p in parameters)
    reserved = [p for p in user_params if p in RESERVED]
    if reserved:
        raise InputError(f"parameter {reserved[0]!r} is set by the pipeline; {_HOW_INSTEAD[reserved[0]]}")
    if not Path(project.notebooks_dir).is_dir():
        raise InputError(f"notebook folder {project.notebooks_dir} does not exist")
    available = discover_notebooks(project.notebooks_dir)
    if not available:
        raise InputError(f"no notebooks in {project.notebooks_dir}")
    unknown = [n for n in notebooks if n not in available]
    if unknown:
        raise InputError(f"unknown notebook {unknown[0]!r}; valid notebooks: {', '.join(available)}")
    case = project.case_regions()
    unknown = [r for r in regions if r not in case]
    if unknown:
        why = project.why_not_a_case(unknown[0]) or f"unknown region {unknown[0]!r}"
        raise InputError(f"{why}; valid regions: {', '.join(case) or '(none)'}")
    chosen = [available[n] for n in (notebooks or available)]
    chosen.sort(key=lambda nb: (nb.order, nb.name))
    for name in user_params:
        if not any(name in nb.parameters for nb in chosen):
            raise InputError(f"unknown parameter {name!r}; {_parameters_taken(chosen)}")
    errors = project.validate_data()
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(f"{errors[0]}{more}")
    region_ids = list(dict.fromkeys(regions)) or list(case)
    region_pairs, cross_pairs = [], []
    for nb in chosen:
        own = {k: v for k, v in user_params.items() if k in nb.parameters}
        if nb.scope == "region":
            region_pairs += [Pair(nb, r, {"region": r, **own}) for r in region_ids]
        elif not regions or notebooks:
            cross_pairs.append(Pair(nb, CROSS_REGION, {"regions": region_ids, **own}))
    # Region by region keeps one region's outputs complete early; notebooks in their order.
    region_pairs.sort(key=lambda p: (region_ids.index(p.region), p.notebook.order, p.notebook.name))
    return Plan(project, region_pairs, cross_pairs)
