"""torch's names for our graph nodes (``grad_fn.name()``, ``repr``): ``y = a * b`` shows ``MulBackward0`` as in
torch. Ops with no torch counterpart of their own keep ``<Class>Backward0``.

And torch's names of what some nodes save (``autograd.graph.declare_saved``): ``y.grad_fn._saved_self`` /
``_raw_saved_self`` read the context attribute that holds input 0's array, ``_saved_result`` the output's, for the
ops listed in ``TORCH_SAVED`` (where ours saves what torch's node saves, under the names torch gives it)."""

from __future__ import annotations

from ..autograd.graph import declare_saved
from . import activation, conv, elementwise, indexing, loss, matmul, normalization, pooling, reduction, shape
from . import softmax as softmax_ops
from ._util import Cast, Clone, ToDevice

TORCH_NAMES = {
    Cast: "ToCopyBackward0", ToDevice: "ToCopyBackward0", Clone: "CloneBackward0",
    elementwise.Add: "AddBackward0", elementwise.Sub: "SubBackward0", elementwise.Mul: "MulBackward0",
    elementwise.Div: "DivBackward0", elementwise.Neg: "NegBackward0", elementwise.Pow: "PowBackward0",
    elementwise.Exp: "ExpBackward0", elementwise.Log: "LogBackward0", elementwise.Sqrt: "SqrtBackward0",
    elementwise.Abs: "AbsBackward0", elementwise.Relu: "ReluBackward0", elementwise.LeakyRelu: "LeakyReluBackward0",
    elementwise.Sigmoid: "SigmoidBackward0", elementwise.Tanh: "TanhBackward0", elementwise.Clamp: "ClampBackward1",
    elementwise.Where: "WhereBackward0", elementwise.Maximum: "MaximumBackward0",
    elementwise.Minimum: "MinimumBackward0",
    activation.Gelu: "GeluBackward0", activation.Silu: "SiluBackward0",
    matmul.MatMul: "MmBackward0",
    shape.Reshape: "ViewBackward0", shape.Permute: "PermuteBackward0", shape.Expand: "ExpandBackward0",
    shape.Contiguous: "CloneBackward0", shape.Cat: "CatBackward0", shape.PadOp: "ConstantPadNdBackward0",
    reduction.Sum: "SumBackward0", reduction.Mean: "MeanBackward0", reduction.AMax: "AmaxBackward0",
    reduction.MaxDim: "MaxBackward0", reduction.Var: "VarBackward0", reduction.Std: "StdBackward0",
    reduction.Prod: "ProdBackward0",
    conv.Conv2d: "ConvolutionBackward0", normalization.BatchNorm: "NativeBatchNormBackward0",
    pooling.MaxPool2d: "MaxPool2DWithIndicesBackward0", pooling.AvgPool2d: "AvgPool2DBackward0",
    pooling.AdaptiveAvgPool2d: "AdaptiveAvgPool2DBackward0",
    softmax_ops.Softmax: "SoftmaxBackward0", softmax_ops.LogSoftmax: "LogSoftmaxBackward0",
    loss.CrossEntropyIndex: "NllLossBackward0", loss.NllLoss: "NllLossBackward0", loss.MseLoss: "MseLossBackward0",
}


def _getitem_name(node: indexing.GetItem) -> str:
    """torch makes one node per index item and shows the last: ``x[:2]`` SliceBackward0, ``x[:, 1]``
    SelectBackward0, ``x[None]`` UnsqueezeBackward0, ``x[idx]`` IndexBackward0; ours is one node, named alike."""
    index = node.__dict__.get("index")
    if index is None or not node.__dict__["basic"]:  # None: freed by backward, the index with it
        return "IndexBackward0"
    for i in reversed(index):
        if i is None:
            return "UnsqueezeBackward0"
        if isinstance(i, int):
            return "SelectBackward0"
        if isinstance(i, slice) and i != slice(None):
            return "SliceBackward0"
    return "AliasBackward0"


_SELF_OTHER = {"self": ("a", 0), "other": ("b", 1)}
_RESULT = {"result": ("out", None)}
_SELF = {"self": ("a", 0)}
TORCH_SAVED = {
    elementwise.Mul: _SELF_OTHER, elementwise.Div: _SELF_OTHER, matmul.MatMul: {"self": ("a", 0), "mat2": ("b", 1)},
    elementwise.Pow: {"self": ("a", 0), "result": ("out", None)},
    elementwise.Exp: _RESULT, elementwise.Sqrt: _RESULT, elementwise.Relu: _RESULT, elementwise.Sigmoid: _RESULT,
    elementwise.Tanh: _RESULT, softmax_ops.Softmax: _RESULT, softmax_ops.LogSoftmax: _RESULT,
    elementwise.Log: _SELF, elementwise.Abs: _SELF,
}


def install() -> None:
    for cls, name in TORCH_NAMES.items():
        cls.torch_name = name
    for cls, saved in TORCH_SAVED.items():
        declare_saved(cls, saved)
    indexing.GetItem.name = _getitem_name
