"""mt.viz.graph: the tree text, the DOT text parsed back, render's error without Graphviz, big graphs."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn.study import viz

NODE = re.compile(r'^\s*n(\d+) \[label="([^"\\]*(?:\\.[^"\\]*)*)"')
EDGE = re.compile(r"^\s*n(\d+) -> n(\d+);$")


def parse_dot(text: str) -> tuple[dict[int, str], list[tuple[int, int]]]:
    nodes, edges = {}, []
    for line in text.splitlines():
        if m := NODE.match(line):
            nodes[int(m.group(1))] = m.group(2)
        elif m := EDGE.match(line):
            edges.append((int(m.group(1)), int(m.group(2))))
    return nodes, edges


def torch_graph_size(t: torch.Tensor) -> tuple[int, int]:
    """Nodes and edges of torch's backward graph (AccumulateGrad nodes stand for leaves)."""
    seen, edges, todo = {t.grad_fn}, 0, [t.grad_fn]
    while todo:
        fn = todo.pop()
        for nxt, _ in fn.next_functions:
            if nxt is None:
                continue
            edges += 1
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return len(seen), edges


def mlp_loss(lib, x, w, b, v):
    """sum(relu(x @ w + b) * relu(x @ w + b) * v): a shared node, a broadcast add, a matmul."""
    h = lib.relu(lib.matmul(x, w) + b)
    return (h * h * v).sum()


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    return rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((2, 4))


def test_graph_has_torch_structure_and_dot_parses_back(arrays):
    x, w, b, v = arrays
    ws, bs = mt.tensor(w, requires_grad=True), mt.tensor(b, requires_grad=True)
    loss = mlp_loss(mt, mt.tensor(x), ws, bs, mt.tensor(v))
    g = viz.graph(loss, params={"fc.weight": ws, "fc.bias": bs})
    wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    loss_t = mlp_loss(torch, torch.tensor(x), wt, bt, torch.tensor(v))
    assert (len(g.nodes), len(g.edges)) == torch_graph_size(loss_t)

    nodes, edges = parse_dot(g.dot())
    assert len(nodes) == len(g.nodes) and sorted(edges) == sorted(g.edges)
    assert nodes[0].startswith("SumBackward0\\n() float64")
    labels = sorted(nodes.values())
    assert "fc.weight\\n(3, 4) float64" in labels and "fc.bias\\n(4,) float64" in labels
    assert sum(label.startswith("MulBackward0") for label in labels) == 2
    assert g.dot().startswith("digraph autograd {") and g.dot().rstrip().endswith("}")


def test_text_is_an_indented_tree_with_shapes_and_names(arrays):
    x, w, b, v = arrays
    ws, bs = mt.tensor(w, requires_grad=True), mt.tensor(b, requires_grad=True)
    loss = mlp_loss(mt, mt.tensor(x), ws, bs, mt.tensor(v))
    lines = viz.graph(loss, params={"fc.weight": ws}).text().splitlines()
    assert lines[0] == "SumBackward0  () float64"
    assert lines[1:4] == [
        "  MulBackward0  (2, 4) float64", "    MulBackward0  (2, 4) float64", "      ReluBackward0  (2, 4) float64"
    ]
    assert "            fc.weight  (3, 4) float64" in lines
    assert "          leaf  (4,) float64" in lines  # the bias, not named in params
    assert any(line.strip() == "ReluBackward0 ... (see above)" for line in lines)  # h used twice, shown once
    assert str(viz.graph(loss)) == viz.graph(loss).text()


def test_graph_survives_backward_and_shows_float32():
    w = mt.randn(5, 3, dtype=mt.float32, requires_grad=True)
    y = (w * 2.0).mean()
    y.backward()
    g = viz.graph(y)
    assert [n.label for n in g.nodes] == ["MeanBackward0", "MulBackward0", "leaf"]
    assert g.nodes[1].shape == (5, 3) and g.nodes[1].dtype == np.float32


def test_tensor_without_graph_is_one_node():
    g = viz.graph(mt.zeros(2, 2))
    assert len(g) == 1 and g.edges == [] and g.text() == "leaf  (2, 2) float32"


def test_deep_chain_has_no_recursion_limit():
    x = mt.ones(3, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    g = viz.graph(y)
    assert len(g.nodes) == 5001 and len(g.edges) == 5000
    assert len(g.text().splitlines()) == 5001


def test_render_without_graphviz_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        viz.graph(mt.ones(2, requires_grad=True) * 2).render(tmp_path / "g.png")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_render_writes_a_png(tmp_path):
    out = viz.graph(mt.ones(2, requires_grad=True) * 2).render(tmp_path / "g.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_rejects_non_tensors():
    with pytest.raises(TypeError, match="expected a Tensor"):
        viz.graph(np.ones(3))


def test_model_graph_names_every_parameter():
    model = mt.models.get_model("lenet5")
    loss = mt.nn.functional.cross_entropy(model(mt.randn(2, 1, 28, 28)), mt.tensor([1, 2]))
    g = viz.graph(loss, params=dict(model.named_parameters()))
    leaves = {n.label: n.shape for n in g.nodes if n.kind == "leaf"}
    assert leaves == {name: tuple(p.shape) for name, p in model.named_parameters()}
    nodes, edges = parse_dot(g.dot())
    assert len(nodes) == len(g.nodes) and len(edges) == len(g.edges)


def test_graph_command(tmp_path, capsys, monkeypatch):
    from minitorch_cnn.apps import cli

    assert cli.main(["graph", "lenet5", "--dot", str(tmp_path / "g.dot")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("() float32") and "conv1.weight  (6, 1, 5, 5) float32" in out
    assert parse_dot((tmp_path / "g.dot").read_text())[0]
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert cli.main(["graph", "lenet5", "--png", str(tmp_path / "g.png")]) == 1
    assert "graphviz" in capsys.readouterr().err
