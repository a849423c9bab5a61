"""``mt.utils.tensorboard.SummaryWriter``: torch.utils.tensorboard's writer, on tensorboardX's event-file writer.

``from minitorch_cnn.utils.tensorboard import SummaryWriter`` takes the place of torch's import: the same method
names and arguments (add_scalar, add_scalars, add_histogram, add_image(s), add_figure, add_text, add_hparams,
add_embedding, add_pr_curve, add_graph, flush, close, the context manager), the same default directory
``runs/<Mon DD_HH-MM-SS>_<host>``, and event files TensorBoard reads. Our Tensors are handed over as NumPy
arrays. tensorboardX (an optional dependency: ``pip install minitorch_cnn[tensorboard]``) is imported only when a
writer is made.

``add_graph`` runs the model once and writes our autograd graph: one node per op (named by its Function, e.g.
``Conv2d``), parameters named by their module path, so TensorBoard's graph tab shows the network as built here.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime
from typing import Any

import numpy as np

from ..autograd import Tensor


def _tensorboardx() -> Any:
    try:
        import tensorboardX
    except ImportError:
        raise ImportError("SummaryWriter needs tensorboardX, an optional dependency: pip install tensorboardX "
                          "(or pip install 'minitorch_cnn[tensorboard]')") from None
    return tensorboardX


def _np(value: Any) -> Any:
    """Our Tensors (and anything array-like) as NumPy; scalars stay scalars."""
    if isinstance(value, Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        return np.asarray([_np(v) for v in value])
    return value


def _scalar(value: Any) -> float:
    arr = _np(value)
    if isinstance(arr, np.ndarray):
        if arr.size != 1:
            raise ValueError(f"add_scalar: expected a scalar or a one-element tensor, got shape {arr.shape}")
        return arr.item()
    return float(arr)


def _step(step: Any) -> int | None:
    return None if step is None else int(_scalar(step))


def default_log_dir(comment: str = "") -> str:
    """torch's default: ``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``."""
    return os.path.join("runs", datetime.now().strftime("%b%d_%H-%M-%S") + "_" + socket.gethostname() + comment)


class SummaryWriter:
    """Writes TensorBoard event files under ``log_dir`` (torch's ``SummaryWriter`` arguments)."""

    def __init__(self, log_dir: str | os.PathLike | None = None, comment: str = "", purge_step: int | None = None,
                 max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = "") -> None:
        tbx = _tensorboardx()
        self.log_dir = os.fspath(log_dir) if log_dir else default_log_dir(comment)
        self._writer = tbx.SummaryWriter(logdir=self.log_dir, purge_step=purge_step, max_queue=max_queue,
                                         flush_secs=flush_secs, filename_suffix=filename_suffix)
        self._queue = (max_queue, flush_secs, filename_suffix)
        self._curve_writers: dict[str, Any] = {}  # add_scalars' runs, by directory

    def get_logdir(self) -> str:
        return self.log_dir

    def add_scalar(self, tag: str, scalar_value: Any, global_step: Any = None, walltime: float | None = None) -> None:
        """One point of the curve ``tag`` (a number or a one-element tensor) at ``global_step``."""
        self._writer.add_scalar(tag, _scalar(scalar_value), _step(global_step), walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict[str, Any], global_step: Any = None,
                    walltime: float | None = None) -> None:
        """Several curves on one chart: each in its own run ``<log_dir>/<main_tag>_<tag>`` (torch's layout,
        not tensorboardX's nested one), all under the tag ``main_tag``."""
        tbx = _tensorboardx()
        walltime = time.time() if walltime is None else walltime
        for tag, value in tag_scalar_dict.items():
            run = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + tag)
            writer = self._curve_writers.get(run)
            if writer is None:
                max_queue, flush_secs, suffix = self._queue
                writer = self._curve_writers[run] = tbx.FileWriter(run, max_queue, flush_secs, suffix)
            writer.add_summary(tbx.summary.scalar(main_tag, _scalar(value)), _step(global_step), walltime)

    def add_histogram(self, tag: str, values: Any, global_step: Any = None, bins: Any = "tensorflow",
                      walltime: float | None = None, max_bins: int | None = None) -> None:
        """The distribution of ``values`` (any shape) at ``global_step``."""
        self._writer.add_histogram(tag, np.asarray(_np(values)), _step(global_step), bins, walltime, max_bins)

    def add_image(self, tag: str, img_tensor: Any, global_step: Any = None, walltime: float | None = None,
                  dataformats: str = "CHW") -> None:
        """An image (floats in [0, 1] or uint8 in [0, 255]) laid out as ``dataformats``."""
        self._writer.add_image(tag, np.asarray(_np(img_tensor)), _step(global_step), walltime, dataformats)

    def add_images(self, tag: str, img_tensor: Any, global_step: Any = None, walltime: float | None = None,
                   dataformats: str = "NCHW") -> None:
        """A batch of images, shown as one grid."""
        self._writer.add_images(tag, np.asarray(_np(img_tensor)), _step(global_step), walltime, dataformats)

    def add_figure(self, tag: str, figure: Any, global_step: Any = None, close: bool = True,
                   walltime: float | None = None) -> None:
        """A matplotlib figure (or a list of them), rendered to an image."""
        self._writer.add_figure(tag, figure, _step(global_step), close, walltime)

    def add_text(self, tag: str, text_string: str, global_step: Any = None, walltime: float | None = None) -> None:
        self._writer.add_text(tag, text_string, _step(global_step), walltime)

    def add_embedding(self, mat: Any, metadata: list | None = None, label_img: Any = None, global_step: Any = None,
                      tag: str = "default", metadata_header: list | None = None) -> None:
        """Points for TensorBoard's projector: ``mat`` (N, D), a label per point (``metadata``: N values, or N rows
        under ``metadata_header``) and optional thumbnails ``label_img`` (N, C, H, W), written under
        ``<log_dir>/<step, 5 digits>/<tag>/`` with the projector config."""
        mat = np.asarray(_np(mat))
        if mat.ndim != 2:
            raise ValueError(f"add_embedding: mat should be 2D (N points, D features), got shape {mat.shape}")
        if metadata is not None and len(metadata) != mat.shape[0]:
            raise ValueError(f"add_embedding: #labels should equal #data points, got {len(metadata)} labels for "
                             f"{mat.shape[0]} points")
        if label_img is not None:
            label_img = np.asarray(_np(label_img))
            if label_img.ndim != 4 or label_img.shape[0] != mat.shape[0]:
                raise ValueError(f"add_embedding: label_img should be (N, C, H, W) with N = {mat.shape[0]}, got "
                                 f"shape {label_img.shape}")
        meta = None if metadata is None else [_np(m) for m in metadata]
        self._writer.add_embedding(mat, meta, label_img, _step(global_step), tag, metadata_header)

    def add_pr_curve(self, tag: str, labels: Any, predictions: Any, global_step: Any = None,
                     num_thresholds: int = 127, weights: Any = None, walltime: float | None = None) -> None:
        """A precision-recall curve: ``labels`` (0/1 or bool) and ``predictions`` (probabilities in [0, 1]) of
        the same shape, counted at ``num_thresholds`` thresholds, optionally weighted."""
        labels, predictions = np.asarray(_np(labels)), np.asarray(_np(predictions))
        if labels.shape != predictions.shape:
            raise ValueError(f"add_pr_curve: labels {labels.shape} and predictions {predictions.shape} should have "
                             f"the same shape")
        if predictions.size and (predictions.min() < 0 or predictions.max() > 1):
            raise ValueError("add_pr_curve: predictions should be probabilities in [0, 1]")
        w = None if weights is None else np.asarray(_np(weights))
        self._writer.add_pr_curve(tag, labels, predictions, _step(global_step), num_thresholds, w, walltime)

    def add_hparams(self, hparam_dict: dict[str, Any], metric_dict: dict[str, Any],
                    hparam_domain_discrete: dict | None = None, run_name: str | None = None,
                    global_step: Any = None) -> None:
        """Hyper-parameters and their final metrics, for TensorBoard's HPARAMS tab."""
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        hparams = {k: _scalar(v) if isinstance(v, Tensor) else v for k, v in hparam_dict.items()}
        metrics = {k: _scalar(v) for k, v in metric_dict.items()}
        self._writer.add_hparams(hparams, metrics, name=run_name, global_step=_step(global_step))

    def add_graph(self, model: Any, input_to_model: Any = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """Run ``model(input_to_model)`` once and write the autograd graph it builds (see the module docstring).
        ``use_strict_trace`` is torch's tracer option and has no meaning here."""
        from tensorboardX.proto import event_pb2

        graph = _graph_def(model, input_to_model)
        if verbose:
            print(graph)
        self._writer._get_file_writer().add_event(event_pb2.Event(graph_def=graph.SerializeToString()))

    def flush(self) -> None:
        """Write what is queued to disk now."""
        self._writer.flush()
        for writer in self._curve_writers.values():
            writer.flush()

    def close(self) -> None:
        self._writer.close()
        for writer in self._curve_writers.values():
            writer.close()
        self._curve_writers.clear()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _graph_def(model: Any, inputs: Any) -> Any:
    """A TensorBoard GraphDef of the graph ``model(*inputs)`` builds: op nodes, parameter and input leaves."""
    from tensorboardX.proto.attr_value_pb2 import AttrValue
    from tensorboardX.proto.graph_pb2 import GraphDef
    from tensorboardX.proto.node_def_pb2 import NodeDef
    from tensorboardX.proto.versions_pb2 import VersionDef

    from ..autograd import enable_grad

    args = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    # floating inputs require grad so the graph starts at them; integer ones (class indices) cannot
    args = tuple(a.detach().requires_grad_(True) if isinstance(a, Tensor) and a.dtype.kind == "f" else a
                 for a in args)
    with enable_grad():
        out = model(*args)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    names: dict[int, str] = {id(p): "parameters/" + n.replace(".", "/") for n, p in model.named_parameters()}
    names.update({id(a): f"input/input.{i}" for i, a in enumerate(args) if isinstance(a, Tensor)})
    nodes: list = []
    done: dict[int, str] = {}  # id of a Function or leaf -> its node's name, once its node is written
    counts: dict[str, int] = {}

    def shape_attr(shape: tuple) -> dict:
        return {"_output_shapes": AttrValue(s=str(list(shape)).encode())}

    def add(root: Any) -> str:
        """Write the nodes of ``root`` and everything it reads, inputs first (iteratively: a deep network
        must not hit the recursion limit); returns root's node name."""
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in done:
                continue
            if isinstance(node, Tensor):
                name = names.get(id(node), f"constant/{len(nodes)}")
                op = "Parameter" if name.startswith("parameters/") else "IO Node"
                nodes.append(NodeDef(name=name, op=op, attr=shape_attr(tuple(node.shape))))
                done[id(node)] = name
            elif expanded:
                kind = type(node).__name__
                counts[kind] = counts.get(kind, -1) + 1
                name = f"{kind}_{counts[kind]}"
                meta = getattr(node, "out_meta", None)
                nodes.append(NodeDef(name=name, op=kind, input=[done[id(i)] for i in _node_inputs(node)],
                                     attr=shape_attr(tuple(meta[0])) if meta else {}))
                done[id(node)] = name
            else:
                stack.append((node, True))
                stack.extend((i, False) for i in _node_inputs(node) if id(i) not in done)
        return done[id(root)]

    for i, o in enumerate(outs):
        if isinstance(o, Tensor):
            src = add(o.grad_fn if o.grad_fn is not None else o)
            nodes.append(NodeDef(name=f"output/output.{i}", op="IO Node", input=[src],
                                 attr=shape_attr(tuple(o.shape))))
    return GraphDef(node=nodes, versions=VersionDef(producer=22))


def _node_inputs(fn: Any) -> list:
    """What a graph node reads, in argument order: the Functions that made its inputs and its leaf inputs that
    require grad (inputs without grad are constants to autograd and are left out)."""
    found = []
    for t in getattr(fn, "inputs", ()):
        if isinstance(t, Tensor):
            found.append(t)
        elif t is not None and t.grad_fn is not None:
            found.append(t.grad_fn)
    return found
