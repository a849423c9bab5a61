"""The house rules that a reader of the tree relies on: no import cycle between package modules, no module
over 500 lines (DESIGN.md §3, issue 21).

Op modules state the maths and call kernel entry points: the thread pool and the scratch buffers are scheduling,
which lives on the kernels floor (``kernels.conv_schedule``), so no op module reaches ``kernels.threadpool`` or
``kernels.workspace``, by import or as an attribute of the kernels package.

The import graph is read from the source with ``ast``, not by importing: every ``import`` statement counts,
at module level or inside a function (a lazy import still makes the two modules depend on each other). The
known offenders are listed below with the issue that removes them; the lists may only shrink: a new cycle or
oversized file fails, and so does an entry that no longer offends (delete it).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "minitorch_cnn"
MAX_LINES = 500

# Import cycles still to be broken, each a strongly connected set of modules (issue 21's later parts).
KNOWN_CYCLES: set[frozenset[str]] = {
    # issue 21: Tensor.backward calls the engine, which imports Tensor (and, lazily, once_differentiable, whose
    # Function subclass imports Tensor too): one strongly connected set until tensor stops importing the engine
    frozenset({
        "minitorch_cnn.autograd.engine", "minitorch_cnn.autograd.function",
        "minitorch_cnn.autograd.once_differentiable", "minitorch_cnn.autograd.tensor",
    }),
    # issue 21: the Numba kernels run on the thread pool, whose serve loop is compiled in numba_kernels
    frozenset({"minitorch_cnn.kernels.numba_kernels", "minitorch_cnn.kernels.threadpool"}),
}
# Modules still over MAX_LINES (issue 21: the Numba kernels split into a package by concept).
KNOWN_OVERSIZED: set[str] = {"minitorch_cnn/kernels/numba_kernels.py"}


def module_files() -> dict[str, Path]:
    """Dotted module name → file, for every module of the package (a package is its ``__init__.py``)."""
    files = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def _imported(node: ast.Import | ast.ImportFrom, name: str, is_package: bool) -> list[str]:
    """The dotted names one import statement of module ``name`` may refer to (module or attribute)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = name.split(".") if is_package else name.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports anywhere in its source (read once per session; do not mutate)."""
    files = module_files()
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        edges = graph[name] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = _imported(node, name, path.name == "__init__.py")
                if isinstance(node, ast.ImportFrom):
                    # ``from pkg import sub`` imports the module pkg.sub; ``from pkg import name``, pkg itself
                    subs = [t for t in targets[1:] if t in files]
                    targets = subs if len(subs) == len(targets) - 1 else [targets[0], *subs]
                edges.update(t for t in targets if t in files and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected sets of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            nxt = next(successors, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.add(member)
                    if member == node:
                        break
                if len(members) > 1:
                    found.add(frozenset(members))
    return found


def line_counts() -> dict[str, int]:
    """Repository-relative path → number of lines, for every module of the package."""
    return {path.relative_to(ROOT).as_posix(): len(path.read_text().splitlines()) for path in module_files().values()}


def test_the_checker_finds_a_cycle_and_its_members():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert cycles(graph) == {frozenset({"a", "b", "c"})}
    assert cycles({"a": {"b"}, "b": set()}) == set()


def test_the_checker_reads_relative_and_lazy_imports():
    graph = import_graph()
    # kernels/__init__ imports its submodules; ops/normalization reaches the kernels package with ``from .. import``
    assert {"minitorch_cnn.kernels.workspace", "minitorch_cnn.kernels.dispatch"} <= graph["minitorch_cnn.kernels"]
    assert "minitorch_cnn.kernels" in graph["minitorch_cnn.ops.normalization"]
    # ``from ..kernels.conv_schedule import name`` imports that module
    assert "minitorch_cnn.kernels.conv_schedule" in graph["minitorch_cnn.ops.conv"]
    # cupy_kernels imports the reference kernels inside functions only
    assert "minitorch_cnn.kernels.numpy_kernels" in graph["minitorch_cnn.kernels.cupy_kernels"]


def test_utils_hooks_can_serve_the_autograd_floor():
    """autograd may import utils.hooks only if neither it nor utils/__init__ pulls in a module that needs autograd."""
    graph = import_graph()
    assert graph["minitorch_cnn.utils.hooks"] == set() and graph["minitorch_cnn.utils"] == set()


def test_no_new_import_cycle():
    found = cycles(import_graph())
    new = found - KNOWN_CYCLES
    assert not new, "import cycles between package modules: " + "; ".join(" <-> ".join(sorted(c)) for c in new)
    gone = KNOWN_CYCLES - found
    assert not gone, "no longer a cycle, delete from KNOWN_CYCLES: " + "; ".join(sorted(map(str, map(sorted, gone))))


def test_no_new_module_over_the_line_limit():
    counts = line_counts()
    over = {path for path, n in counts.items() if n > MAX_LINES}
    new = over - KNOWN_OVERSIZED
    assert not new, f"modules over {MAX_LINES} lines (split them by concept): " + ", ".join(
        f"{p} ({counts[p]})" for p in sorted(new)
    )
    gone = KNOWN_OVERSIZED - over
    assert not gone, f"now within {MAX_LINES} lines (or gone), delete from KNOWN_OVERSIZED: {sorted(gone)}"


SCHEDULING = ("threadpool", "workspace")  # kernels modules that only the kernels floor itself may use


def scheduling_reached(name: str, path: Path) -> set[str]:
    """The scheduling modules that module ``name`` imports or reads as ``kernels.<module>``."""
    reached = {t.rsplit(".", 1)[1] for t in import_graph()[name] if t in {f"{PACKAGE}.kernels.{m}" for m in SCHEDULING}}
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in SCHEDULING:
            reached.add(node.attr)
    return reached


def test_no_op_module_schedules_threads_or_buffers():
    offenders = {
        name: sorted(reached)
        for name, path in module_files().items()
        if name.startswith(f"{PACKAGE}.ops.") and (reached := scheduling_reached(name, path))
    }
    assert not offenders, f"op modules using the kernels floor's scheduling (call a kernel entry point): {offenders}"


def test_the_scheduling_rule_sees_imports_and_attributes(tmp_path):
    files = module_files()
    assert scheduling_reached(f"{PACKAGE}.kernels.conv_schedule", files[f"{PACKAGE}.kernels.conv_schedule"]) == {
        "threadpool", "workspace"}
    op = tmp_path / "op.py"
    op.write_text("from .. import kernels\n\ndef f(x):\n    return kernels.workspace.take((1,), x.dtype, x)\n")
    assert scheduling_reached(f"{PACKAGE}.ops.conv", op) == {"workspace"}
