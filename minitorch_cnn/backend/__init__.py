"""Floor 1: which array module a tensor lives on, devices, dtype policy and the random generator.

Nothing outside this floor (and the CuPy kernels) imports cupy by name.
"""

from . import host_memory, shared_memory
from .device import (
    Device,
    array_module,
    as_array,
    cuda_available,
    cuda_synchronize,
    device,
    device_of,
    get_default_device,
    move_to,
    require_cuda,
    scatter_add,
    set_default_device,
)
from .dtype import (
    DType,
    bool_,
    float16,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
    promote_types,
    public_dtype,
    set_default_dtype,
    to_dtype,
    uint8,
)
from .generator import Generator
from .memory_format import MemoryFormat, channels_last, contiguous_format, preserve_format
from .random import generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

host_memory.tune_malloc()

__all__ = [
    "Device", "array_module", "as_array", "cuda_available", "cuda_synchronize", "device", "device_of",
    "get_default_device", "move_to", "require_cuda", "scatter_add", "set_default_device", "DType", "public_dtype",
    "bool_", "float16", "float32", "float64",
    "get_default_dtype", "int32", "int64", "promote_types", "set_default_dtype", "to_dtype", "uint8", "generator",
    "get_rng_state", "manual_seed", "set_rng_state", "Generator", "MemoryFormat", "channels_last",
    "contiguous_format", "preserve_format", "initial_seed", "seed",
]
