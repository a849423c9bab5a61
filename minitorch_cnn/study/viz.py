"""Look at the autograd graph behind a tensor: as an indented tree, as Graphviz DOT, or as a picture.

    >>> loss = F.cross_entropy(model(x), y)
    >>> g = mt.viz.graph(loss, params=dict(model.named_parameters()))
    >>> print(g.text())            # the tree of backward nodes, root (the loss) first
    >>> open("g.dot", "w").write(g.dot())
    >>> g.render("g.png")          # needs Graphviz's ``dot`` program

Nodes are the graph's ``Function`` objects (shown as ``grad_fn.name()``, e.g. ``MatMulBackward``, with the shape
and dtype of the tensor they produced) and its leaves (tensors that require grad: parameter names when
``params`` is given, else ``leaf``). Tensors that do not require grad (inputs, constants) are not part of the
graph, as in ``torch.autograd``. Edges run in the forward direction, from an input to the node that used it;
backward walks them the other way. A tensor used twice by one node (``x * x``) gives two edges.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..autograd import Tensor

__all__ = ["Graph", "GraphNode", "graph"]


@dataclass
class GraphNode:
    """One node: a backward Function (``kind == "function"``) or a leaf tensor (``kind == "leaf"``)."""

    index: int
    kind: str
    label: str
    shape: tuple[int, ...] | None
    dtype: Any


def _fmt(shape: tuple[int, ...] | None, dtype: Any) -> str:
    return "?" if shape is None else f"{tuple(shape)} {dtype}"


class Graph:
    """The graph reachable from one tensor; ``nodes[0]`` is the root.

    ``edges`` holds ``(src, dst)`` node indices, ``src`` an input of ``dst``; ``children[dst]`` lists the
    sources of ``dst`` in argument order.
    """

    def __init__(self, nodes: list[GraphNode], edges: list[tuple[int, int]]) -> None:
        self.nodes = nodes
        self.edges = edges
        self.children: list[list[int]] = [[] for _ in nodes]
        for src, dst in edges:
            self.children[dst].append(src)

    def text(self) -> str:
        """An indented tree, root first; a node reached again is printed once more as ``... (see above)``."""
        lines: list[str] = []
        shown: set[int] = set()
        stack = [(0, 0)]  # (node index, depth); iterative so deep graphs do not hit the recursion limit
        while stack:
            i, depth = stack.pop()
            node = self.nodes[i]
            pad = "  " * depth
            if i in shown:
                lines.append(f"{pad}{node.label} ... (see above)")
                continue
            shown.add(i)
            lines.append(f"{pad}{node.label}  {_fmt(node.shape, node.dtype)}")
            stack.extend((c, depth + 1) for c in reversed(self.children[i]))
        return "\n".join(lines)

    def dot(self) -> str:
        """Graphviz DOT text: one ``nK [label=...]`` line per node, one ``nA -> nB;`` line per edge."""
        lines = [
            "digraph autograd {",
            '  node [shape=box, fontname="monospace", fontsize=10];',
        ]
        for n in self.nodes:
            label = f"{n.label}\\n{_fmt(n.shape, n.dtype)}".replace('"', '\\"')
            style = ', style=filled, fillcolor="lightblue"' if n.kind == "leaf" else ""
            if n.index == 0:
                style = ', style=filled, fillcolor="darkolivegreen1"'
            lines.append(f'  n{n.index} [label="{label}"{style}];')
        lines.extend(f"  n{src} -> n{dst};" for src, dst in self.edges)
        lines.append("}")
        return "\n".join(lines) + "\n"

    def render(self, path: str | Path) -> Path:
        """Draw the graph with Graphviz's ``dot``; the format follows the suffix (``.png``, ``.svg``, ``.pdf``)."""
        exe = shutil.which("dot")
        if exe is None:
            raise RuntimeError(
                "Graph.render needs Graphviz's `dot` program, which was not found on PATH: install it "
                "(Debian/Ubuntu: `apt-get install graphviz`; macOS: `brew install graphviz`), or write "
                "Graph.dot() to a file and render it elsewhere"
            )
        path = Path(path)
        fmt = path.suffix.lstrip(".") or "png"
        subprocess.run([exe, f"-T{fmt}", "-o", str(path)], input=self.dot(), text=True, check=True)
        return path

    def __len__(self) -> int:
        return len(self.nodes)

    def __str__(self) -> str:
        return self.text()


def graph(tensor: Tensor, params: Mapping[str, Tensor] | None = None) -> Graph:
    """The autograd graph that produced ``tensor``.

    ``params``: name -> tensor (e.g. ``dict(model.named_parameters())``) to label leaves by name.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"viz.graph: expected a Tensor, got {type(tensor).__name__}")
    names = {id(t): name for name, t in (params or {}).items()}
    nodes: list[GraphNode] = []
    edges: list[tuple[int, int]] = []
    index: dict[int, int] = {}

    def add(obj: Any) -> tuple[int, bool]:
        """The node index of a Function or leaf Tensor, and whether it is new."""
        key = id(obj)
        if key in index:
            return index[key], False
        i = len(nodes)
        index[key] = i
        if isinstance(obj, Tensor):
            nodes.append(GraphNode(i, "leaf", names.get(key, "leaf"), tuple(obj.shape), obj._data.dtype))
        else:
            shape, dtype = getattr(obj, "out_meta", (None, None))
            nodes.append(GraphNode(i, "function", obj.name(), shape, dtype))
        return i, True

    root = tensor.grad_fn if tensor.grad_fn is not None else tensor
    add(root)
    todo = [root] if tensor.grad_fn is not None else []
    while todo:
        fn = todo.pop()
        dst = index[id(fn)]
        for t in getattr(fn, "inputs", ()):
            if t is None or not t.requires_grad:
                continue
            src_obj = t.grad_fn if t.grad_fn is not None else t
            src, new = add(src_obj)
            edges.append((src, dst))
            if new and t.grad_fn is not None:
                todo.append(t.grad_fn)
    return Graph(nodes, edges)
