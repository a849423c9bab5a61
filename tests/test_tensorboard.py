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
