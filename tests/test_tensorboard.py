"""mt.utils.tensorboard.SummaryWriter: the event files it writes are read back record by record (TFRecord
framing with masked CRC32C checked, each record an Event protobuf) and hold the tags, values, images, histograms
and graph that were written, under torch's directory layout."""

from __future__ import annotations

import os
import socket
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

import minitorch_cnn as mt

tbx = pytest.importorskip("tensorboardX", reason="tensorboardX is the optional dependency of the writer")
from tensorboardX.proto import event_pb2, graph_pb2  # noqa: E402
from tensorboardX.record_writer import masked_crc32c  # noqa: E402

from minitorch_cnn.utils.tensorboard import SummaryWriter  # noqa: E402


def _events(run: Path) -> list:
    """Every Event in the event files directly under ``run``, with the record framing verified."""
    events = []
    for f in sorted(run.glob("events.out.tfevents.*")):
        data = f.read_bytes()
        i = 0
        while i < len(data):
            header = data[i:i + 8]
            (n,) = struct.unpack("Q", header)
            assert struct.unpack("I", data[i + 8:i + 12])[0] == masked_crc32c(header)
            body = data[i + 12:i + 12 + n]
            assert struct.unpack("I", data[i + 12 + n:i + 16 + n])[0] == masked_crc32c(body)
            events.append(event_pb2.Event.FromString(body))
            i += 16 + n
    return events


def _values(events: list) -> dict:
    """tag -> [(step, summary value)]."""
    out: dict = {}
    for e in events:
        for v in e.summary.value:
            out.setdefault(v.tag, []).append((e.step, v))
    return out


def test_scalars_histograms_images_text(tmp_path):
    rng = np.random.default_rng(0)
    hist = rng.standard_normal((10, 5))
    with SummaryWriter(str(tmp_path)) as w:
        assert w.get_logdir() == str(tmp_path)
        for step in range(3):
            w.add_scalar("loss/train", mt.tensor(1.5 / (step + 1)), step)  # a 0-d tensor, as loss.item()'s source
        w.add_scalar("lr", 0.1, global_step=mt.tensor(7))
        w.add_scalars("acc", {"train": mt.tensor([0.75]), "test": 0.5}, 4)
        w.add_histogram("weights", mt.tensor(hist), 2)
        w.add_image("sample", mt.tensor(rng.uniform(0, 1, (3, 8, 6)).astype(np.float32)), 1)
        w.add_images("batch", mt.tensor(rng.uniform(0, 1, (4, 1, 5, 5))), 1)
        w.add_text("note", "hello", 0)
        w.flush()
    found = _values(_events(tmp_path))
    assert [(s, round(v.simple_value, 6)) for s, v in found["loss/train"]] == [(0, 1.5), (1, 0.75), (2, 0.5)]
    assert found["lr"][0][0] == 7
    h = found["weights"][0][1].histo
    assert h.num == hist.size and np.isclose(h.sum, hist.sum()) and np.isclose(h.min, hist.min())
    img = found["sample"][0][1].image
    assert (img.height, img.width, img.colorspace) == (8, 6, 3) and img.encoded_image_string[:4] == b"\x89PNG"
    assert found["batch"][0][1].image.encoded_image_string[:4] == b"\x89PNG"
    assert "note/text_summary" in found
    # add_scalars: one run per curve, <log_dir>/<main_tag>_<tag>, as torch's
    for tag, value in (("train", 0.75), ("test", 0.5)):
        sub = _values(_events(tmp_path / f"acc_{tag}"))
        assert sub["acc"][0][0] == 4 and np.isclose(sub["acc"][0][1].simple_value, value)
    with SummaryWriter(str(tmp_path / "x")) as w, pytest.raises(ValueError, match="one-element"):
        w.add_scalar("bad", mt.zeros(3))


def test_add_graph_writes_our_autograd_graph(tmp_path):
    model = mt.nn.Sequential(mt.nn.Conv2d(1, 2, 3), mt.nn.ReLU(), mt.nn.Flatten(), mt.nn.Linear(8, 2))
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, mt.zeros(1, 1, 4, 4))
    graphs = [graph_pb2.GraphDef.FromString(e.graph_def) for e in _events(tmp_path) if e.graph_def]
    assert len(graphs) == 1
    nodes = {n.name: n for n in graphs[0].node}
    assert [n.op for n in graphs[0].node if n.op not in ("Parameter", "IO Node")] == ["Conv2d", "Relu", "Reshape",
                                                                                     "Linear"]
    assert list(nodes["Conv2d_0"].input) == ["input/input.0", "parameters/0/weight", "parameters/0/bias"]
    assert list(nodes["output/output.0"].input) == ["Linear_0"]
    assert nodes["parameters/3/weight"].attr["_output_shapes"].s == b"[2, 8]"


def test_default_log_dir_is_torchs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    w.close()
    parent, name = os.path.split(w.get_logdir())
    assert parent == "runs" and name.endswith("_" + socket.gethostname() + "_lr0.1")
    assert (tmp_path / w.get_logdir()).is_dir()


def test_missing_tensorboardx_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match="pip install tensorboardX"):
        SummaryWriter("unused")


def test_add_embedding_writes_the_projector_files(tmp_path):
    rng = np.random.default_rng(0)
    mat = rng.standard_normal((5, 3))
    imgs = rng.random((5, 3, 4, 4))
    with SummaryWriter(tmp_path) as w:
        w.add_embedding(mt.tensor(mat), metadata=["a", "b", "c", "d", "e"], label_img=mt.tensor(imgs),
                        global_step=7, tag="emb")
        w.add_embedding(mt.tensor(mat[:2]), metadata=[["x", 1], ["y", 2]], metadata_header=["name", "n"])
    run = tmp_path / "00007" / "emb"
    np.testing.assert_allclose(np.loadtxt(run / "tensors.tsv", delimiter="\t"), mat, rtol=1e-15)
    assert (run / "metadata.tsv").read_text().split() == ["a", "b", "c", "d", "e"]
    assert (run / "sprite.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    config = (tmp_path / "projector_config.pbtxt").read_text()
    assert 'tensor_path: "00007/emb/tensors.tsv"' in config and "single_image_dim: 4" in config
    header = (tmp_path / "00000" / "default" / "metadata.tsv").read_text().splitlines()
    assert header == ["name\tn", "x\t1", "y\t2"]
    with SummaryWriter(tmp_path / "bad") as w:
        with pytest.raises(ValueError, match="#labels should equal #data points"):
            w.add_embedding(mt.zeros(3, 2), metadata=[1, 2])
        with pytest.raises(ValueError, match="mat should be 2D"):
            w.add_embedding(mt.zeros(3))


def test_add_pr_curve_counts_as_torch(tmp_path):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 40)
    preds = rng.random(40)
    weights = rng.random(40)
    n = 9
    with SummaryWriter(tmp_path) as w:
        w.add_pr_curve("pr", mt.tensor(labels), mt.tensor(preds), 3, num_thresholds=n)
        w.add_pr_curve("prw", mt.tensor(labels.astype(bool)), mt.tensor(preds), 4, num_thresholds=n,
                       weights=mt.tensor(weights))
        with pytest.raises(ValueError, match="same shape"):
            w.add_pr_curve("bad", mt.zeros(3), mt.zeros(4))
        with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
            w.add_pr_curve("bad", mt.zeros(3), mt.tensor([0.5, 1.5, 0.0]))
    values = _values(_events(tmp_path))
    for tag, step, wt in (("pr", 3, np.ones(40)), ("prw", 4, weights)):
        ((got_step, v),) = values[tag]
        assert got_step == step
        got = np.asarray(v.tensor.float_val).reshape(6, n)
        # torch's pr curve: a prediction counts as positive at threshold k / (n - 1) when its bucket
        # floor(p * (n - 1)) is at least k; precision and recall guard the denominator with 1e-7
        bucket = np.floor(preds * (n - 1))
        pos = np.array([(wt * labels * (bucket >= k)).sum() for k in range(n)])
        neg = np.array([(wt * (1 - labels) * (bucket >= k)).sum() for k in range(n)])
        tn, fn = neg[0] - neg, pos[0] - pos
        want = np.stack([pos, neg, tn, fn, pos / np.maximum(1e-7, pos + neg), pos / np.maximum(1e-7, pos + fn)])
        np.testing.assert_allclose(got, want.astype(np.float32), rtol=1e-6, atol=1e-6)
