"""``mt.nn``: modules, parameters, containers, layers, ``functional`` (as F) and ``init``, under torch's names."""

from . import functional, grad, init, parallel, utils
from .activation import (
    CELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    RReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Tanh,
    Tanhshrink,
    Threshold,
)
from .adaptive import AdaptiveLogSoftmaxWithLoss
from .buffer import Buffer
from .channelshuffle import ChannelShuffle
from .containers import ModuleDict, ModuleList, Sequential
from .conv import Conv1d, Conv2d
from .conv3d import Conv3d, LazyConv3d
from .conv_transpose import ConvTranspose2d
from .conv_transpose1d import ConvTranspose1d
from .conv_transpose3d import ConvTranspose3d, LazyConvTranspose3d
from .cross_map_lrn import CrossMapLRN2d
from .ctc_loss import CTCLoss
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import Dropout, Dropout2d
from .dropout_variants import AlphaDropout, Dropout1d, FeatureAlphaDropout
from .elu_softsign import ELU, Softsign
from .embedding_bag import EmbeddingBag
from .flatten import Flatten, Unflatten
from .fold import Fold, Unfold
from .fractional_max_pool import FractionalMaxPool2d
from .fractional_max_pool3d import FractionalMaxPool3d
from .layers3d import (
    BatchNorm3d,
    CircularPad3d,
    ConstantPad3d,
    Dropout3d,
    InstanceNorm3d,
    LazyBatchNorm3d,
    LazyInstanceNorm3d,
    ReflectionPad3d,
    ReplicationPad3d,
    ZeroPad3d,
)
from .lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyConv2d, LazyLinear, UninitializedBuffer, UninitializedParameter
from .lazy_more import (
    LazyConv1d,
    LazyConvTranspose1d,
    LazyConvTranspose2d,
    LazyInstanceNorm1d,
    LazyInstanceNorm2d,
)
from .legacy import Container, NLLLoss2d
from .linear import Bilinear, Identity, Linear
from .local_response_norm import LocalResponseNorm
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HuberLoss,
    KLDivLoss,
    MSELoss,
    MultiLabelSoftMarginLoss,
    NLLLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    TripletMarginLoss,
)
from .margin_loss import (
    HingeEmbeddingLoss,
    L1Loss,
    MarginRankingLoss,
    MultiLabelMarginLoss,
    MultiMarginLoss,
    SoftMarginLoss,
    TripletMarginWithDistanceLoss,
)
from .module import Module
from .multihead_attention import MultiheadAttention
from .normalization import BatchNorm1d, BatchNorm2d
from .padding import (
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad1d,
    ZeroPad2d,
)
from .parallel import DataParallel
from .parameter import Parameter
from .parameter_containers import ParameterDict, ParameterList
from .pixelshuffle import PixelShuffle, PixelUnshuffle
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    LPPool2d,
    MaxPool1d,
    MaxPool2d,
    MaxUnpool2d,
)
from .pooling1d import LPPool1d, MaxUnpool1d
from .pooling3d import AdaptiveAvgPool3d, AdaptiveMaxPool3d, AvgPool3d, LPPool3d, MaxPool3d, MaxUnpool3d
from .rms_norm import RMSNorm
from .rnn import GRU, LSTM, RNN, RNNBase
from .rnn_cell import GRUCell, LSTMCell, RNNCell, RNNCellBase
from .sample_norm import GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm
from .sparse import Embedding
from .sync_batchnorm import SyncBatchNorm
from .transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
    "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d",
    "CircularPad1d", "CircularPad2d", "ConstantPad1d", "ConstantPad2d", "Conv2d", "ConvTranspose2d",
    "CosineEmbeddingLoss", "CosineSimilarity", "CrossEntropyLoss", "KLDivLoss", "PairwiseDistance",
    "TripletMarginLoss",
    "DataParallel", "Dropout", "Dropout2d", "Embedding", "Flatten", "GELU", "GroupNorm", "Identity", "InstanceNorm1d",
    "InstanceNorm2d", "LayerNorm", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyConv2d", "LazyLinear", "LeakyReLU",
    "Linear", "LogSoftmax", "MSELoss", "MaxPool2d", "Module", "ModuleDict", "ModuleList", "NLLLoss", "Parameter",
    "PixelShuffle", "PixelUnshuffle",
    "ReLU", "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "Sequential", "SiLU",
    "Sigmoid", "Softmax", "SyncBatchNorm", "Tanh", "Unflatten", "UninitializedBuffer", "UninitializedParameter",
    "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d", "ZeroPad1d", "ZeroPad2d", "functional", "init",
    "parallel", "utils", "Hardsigmoid", "Hardswish", "ReLU6",
    "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase",
]
__all__ += ["MultiheadAttention", "Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
            "TransformerEncoderLayer"]  # attention and transformers
__all__ += ["Conv1d", "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d"]  # 1-d conv and pooling
__all__ += ["CELU", "GLU", "SELU", "Hardshrink", "Hardtanh", "LogSigmoid", "Mish", "PReLU", "RReLU", "Softmax2d",
            "Softmin", "Softplus", "Softshrink", "Tanhshrink", "Threshold"]  # more activations
__all__ += ["GaussianNLLLoss", "HuberLoss", "MultiLabelSoftMarginLoss", "PoissonNLLLoss", "SmoothL1Loss"]  # losses
__all__ += ["Bilinear", "ChannelShuffle", "Fold", "LPPool2d", "LocalResponseNorm", "MaxUnpool2d", "Unfold"]  # layers
__all__ += ["ELU", "HingeEmbeddingLoss", "L1Loss", "MarginRankingLoss", "MultiLabelMarginLoss", "MultiMarginLoss",
            "SoftMarginLoss", "Softsign", "TripletMarginWithDistanceLoss"]  # elu, softsign, margin losses
__all__ += ["Buffer", "ParameterDict", "ParameterList"]  # parameter containers and buffers
__all__ += ["RMSNorm"]  # rms normalisation
__all__ += ["ConvTranspose1d", "LazyConv1d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyInstanceNorm1d",
            "LazyInstanceNorm2d"]  # transposed 1-d convolution, more lazy layers
__all__ += ["AlphaDropout", "Dropout1d", "FeatureAlphaDropout"]  # dropout variants
__all__ += ["LPPool1d", "MaxUnpool1d"]  # 1-d power-average pooling and unpooling
__all__ += ["CTCLoss"]  # connectionist temporal classification
__all__ += ["FractionalMaxPool2d"]  # fractional max pooling
__all__ += ["AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "AvgPool3d", "BatchNorm3d", "CircularPad3d", "ConstantPad3d",
            "Conv3d", "ConvTranspose3d", "Dropout3d", "InstanceNorm3d", "LazyBatchNorm3d", "LazyConv3d",
            "LazyConvTranspose3d", "LazyInstanceNorm3d", "LPPool3d", "MaxPool3d", "MaxUnpool3d", "ReflectionPad3d",
            "ReplicationPad3d", "ZeroPad3d"]  # the 3-d family
__all__ += ["EmbeddingBag"]  # embedding_bag.py
__all__ += ["AdaptiveLogSoftmaxWithLoss", "Container", "CrossMapLRN2d", "FractionalMaxPool3d", "NLLLoss2d"]  # more nn
