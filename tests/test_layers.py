"""The package's layers: every import points down the list, never at another module's
private names, and never round in a circle.

Read from the source with ``ast`` (nothing is imported), so a lazy import inside a
function counts as much as one at the top of the module.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from analysis.config import PROJ_ROOT

PACKAGE = PROJ_ROOT / "analysis"
# Lowest first; a module may import from its own layer and the layers above it in this list.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("analysis", "analysis.errors", "analysis.config", "analysis.cells", "analysis.files", "analysis.kept", "analysis.names", "analysis.numerals",
                    "analysis.values", "analysis.progress")),
    ("data", ("analysis.data",)),
    ("methods", ("analysis.indicators", "analysis.survey", "analysis.reproduce", "analysis.findings", "analysis.plots")),
    ("sections", ("analysis.sections",)),
    ("pipeline", ("analysis.pipeline",)),
    ("publishing", ("analysis.report", "analysis.book", "analysis.verify", "analysis.datacheck", "analysis.explorer")),
    ("cli", ("analysis.cli", "analysis.__main__")),
]
# Private names imported across modules that are not yet replaced by public ones: each entry
# must still occur (so the list only shrinks), and nothing else may be added.
KNOWN_PRIVATE: set[tuple[str, str, str]] = set()


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PROJ_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _layer(module: str) -> int:
    """Index of the layer whose longest prefix matches ``module``."""
    best, length = None, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = i, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")
    return best


def _imports(module: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for every import of an analysis module."""
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.split(".")[0] == "analysis"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([base] if base else []))
            if base.split(".")[0] != "analysis":
                continue
            plain = []
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:
                    out.append((f"{base}.{alias.name}", [], node.lineno))  # `from analysis import data`
                else:
                    plain.append(alias.name)
            if plain:
                out.append((base, plain, node.lineno))
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def test_every_module_has_a_layer():
    for module in MODULES:
        _layer(module)


def test_every_import_points_down():
    upward = []
    for module, imports in GRAPH.items():
        for target, _, line in imports:
            if target not in MODULES:
                upward.append(f"{module}:{line} imports {target}, which does not exist")
            elif _layer(target) > _layer(module):
                upward.append(f"{module} ({LAYERS[_layer(module)][0]}):{line} imports {target} "
                              f"({LAYERS[_layer(target)][0]})")
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_no_private_name_is_imported_from_another_module():
    found = {(module, target, name) for module, imports in GRAPH.items() for target, names, _ in imports
             for name in names if name.startswith("_") and not name.startswith("__") and target != module}
    assert found - KNOWN_PRIVATE == set(), "private names imported across modules"
    assert KNOWN_PRIVATE - found == set(), "fixed: remove these from KNOWN_PRIVATE"


def test_no_import_cycle():
    edges = {m: sorted({t for t, _, _ in imports if t in MODULES and t != m}) for m, imports in GRAPH.items()}
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for t in edges[m]:
            if state.get(t) == 1:
                return stack[stack.index(t):] + [t]
            if t not in state and (cycle := visit(t)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in edges:
        if m not in state:
            cycle = visit(m)
            assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_layer_test_sees_imports():
    """A check on the checker: known edges of the real package are found."""
    targets = {t for t, _, _ in GRAPH["analysis.cli"]}
    assert {"analysis.cli.registry", "analysis.cli.run", "analysis.errors"} <= targets
    assert any(t == "analysis.data.package" and "load" in names for t, names, _ in GRAPH["analysis.data"])
    assert _layer("analysis.data.ssb") == 1 and _layer("analysis.pipeline.kernels") == 4 and _layer("analysis") == 0


def test_the_kernel_launcher_and_the_command_line_start_without_the_scientific_stack():
    """They run for every kernel and every command: importing pandas there would cost every one of them."""
    code = ("import sys, analysis.pipeline.kernels, analysis.cli; "
            "print(sorted(m for m in ('pandas', 'numpy', 'matplotlib', 'papermill', 'distributed') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJ_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_kernel_launcher_is_a_script_of_the_standard_library_alone():
    """It runs as ``python -I -S launcher.py`` for every kernel: no site-packages, not even the package."""
    path = PROJ_ROOT / "analysis" / "pipeline" / "launcher.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
    done = subprocess.run([sys.executable, "-I", "-S", str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and done.stderr.startswith("usage: python -I -S launcher.py")


# What a figure is drawn from must be one call of an analysis.plots helper: its PNG is kept under a key
# of that call (analysis.plots.save_figure), so a section that drew on a figure itself would be shown a
# kept figure without its own strokes.
DRAWING_METHODS = {"plot", "bar", "barh", "scatter", "text", "annotate", "axhline", "axvline", "fill_between",
                   "imshow", "legend", "suptitle", "subplots", "add_subplot", "add_axes", "set_title", "set_xlabel",
                   "set_ylabel", "set_xlim", "set_ylim", "set_xticks", "set_yticks", "set_xscale", "set_yscale",
                   "set", "set_text", "set_size_inches", "tick_params", "grid"}


def test_sections_draw_only_through_the_plots_helpers():
    found = []
    for name, path in MODULES.items():
        if not name.startswith("analysis.sections"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found += [f"{name}:{node.lineno} imports {m}" for m in mods
                          if m.split(".")[0] in {"matplotlib", "seaborn"} and m != "matplotlib.pyplot"]
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in DRAWING_METHODS and not _is_plots_call(node.func)):
                receiver = ast.unparse(node.func.value)
                if receiver in {"ax", "axes", "fig", "plt", "figure"} or receiver.startswith(("ax.", "axes[", "fig.")):
                    found.append(f"{name}:{node.lineno} draws: {ast.unparse(node.func)}(...)")
    assert not found, "sections draw through analysis.plots only:\n" + "\n".join(found)


def _is_plots_call(func: ast.Attribute) -> bool:
    return isinstance(func.value, ast.Name) and func.value.id == "plots"


def test_the_drawing_test_sees_a_section_that_draws():
    source = "def f(fig, ax):\n    ax.set_title('x')\n    fig.text(0, 0, 'y')\n"
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)]
    assert {c.func.attr for c in calls if isinstance(c.func, ast.Attribute)} <= DRAWING_METHODS
