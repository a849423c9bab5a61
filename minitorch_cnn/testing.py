"""``mt.testing.assert_close``, as ``torch.testing.assert_close``: the same pairing of inputs (Tensors and NumPy
arrays, Python/NumPy numbers and booleans, None, and sequences and mappings of them, compared item by item), the
same default tolerances per dtype, the same checks in the same order and the same messages.

Closeness is torch's ``isclose`` in the compared dtype::

    |actual - expected| <= atol + rtol * |expected|     (or actual == expected; NaN == NaN with equal_nan)
"""

from __future__ import annotations

import cmath
import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import backend
from .autograd import Tensor
from .backend.dtype import promote_types

__all__ = ["assert_close"]

# {dtype: (rtol, atol)}, torch's table; every other dtype (integers, bool) compares exactly
_DTYPE_PRECISIONS: dict[np.dtype, tuple[float, float]] = {
    np.dtype(np.float16): (0.001, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
    np.dtype(np.complex64): (1.3e-6, 1e-5),
    np.dtype(np.complex128): (1e-7, 1e-7),
}
_NUMBER_DTYPES = {int: np.dtype(np.int64), float: np.dtype(np.float64), complex: np.dtype(np.complex128)}


class _Mismatch(Exception):
    """A failed check: the exception type to raise, torch's message, and the item path inside nested inputs."""

    def __init__(self, kind: type[Exception], message: str, path: tuple[Any, ...]) -> None:
        super().__init__(message)
        self.kind, self.message, self.path = kind, message, path

    def to_error(self, msg: str | Callable[[str], str] | None) -> Exception:
        if isinstance(msg, str):
            return self.kind(msg)
        text = self.message
        if self.path:
            text += "\n\nThe failure occurred for item " + "".join(str([item]) for item in self.path)
        return self.kind(msg(text) if callable(msg) else text)


def _tolerances(dtypes: Sequence[np.dtype], rtol: float | None, atol: float | None) -> tuple[float, float]:
    """The given tolerances, or the loosest defaults over ``dtypes``."""
    if rtol is not None and atol is not None:
        return rtol, atol
    rtols, atols = zip(*(_DTYPE_PRECISIONS.get(np.dtype(dt), (0.0, 0.0)) for dt in dtypes))
    return max(rtols), max(atols)


def _mismatch_text(kind: str, extra: str, abs_diff: Any, abs_idx: Any, rel_diff: Any, rel_idx: Any, rtol: float,
                   atol: float) -> str:
    """torch's message: header, ``extra``, then the greatest absolute and relative differences (and the allowed
    ones, unless the comparison is for equality)."""
    equality = rtol == 0 and atol == 0
    text = f"{kind} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        text += extra.strip() + "\n"
    for name, diff, idx, tol in (("absolute", abs_diff, abs_idx, atol), ("relative", rel_diff, rel_idx, rtol)):
        if idx is None:
            line = f"{name.title()} difference: {diff}"
        else:
            line = f"Greatest {name} difference: {diff} at index {idx}"
        text += line + ("" if equality else f" (up to {tol} allowed)") + "\n"
    return text.strip()


def _scalar_text(actual: Any, expected: Any, rtol: float, atol: float) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_text("Scalars", f"Expected {expected} but got {actual}.", abs_diff, None, rel_diff, None,
                          rtol, atol)


def _isclose(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float, equal_nan: bool) -> np.ndarray:
    """torch.isclose: equal, or (floating) a finite error within ``atol + |rtol * expected|``."""
    close = actual == expected
    if actual.dtype.kind in "fc":
        if equal_nan:
            close |= np.isnan(actual) & np.isnan(expected)
        if rtol != 0 or atol != 0:
            with np.errstate(invalid="ignore", over="ignore"):
                error = np.abs(actual - expected)
                close |= np.isfinite(error) & (error <= atol + np.abs(rtol * expected))
    elif rtol != 0 or atol != 0:
        error = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
        close |= error <= atol + np.abs(rtol * expected.astype(np.float64))
    return close


def _tensor_text(actual: np.ndarray, expected: np.ndarray, matches: np.ndarray, rtol: float, atol: float) -> str:
    total, numel = int((~matches).sum()), matches.size
    extra = f"Mismatched elements: {total} / {numel} ({total / numel:.1%})"
    a, e, m = actual.reshape(-1), expected.reshape(-1), matches.reshape(-1)
    if a.dtype.kind not in "fc":
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(a - e)
        abs_diff[m] = 0
        # an integer difference over an integer divides into the default dtype, as torch's true division does
        rel_diff = abs_diff / np.abs(e) if a.dtype.kind in "fc" else (
            abs_diff.astype(backend.get_default_dtype()) / np.abs(e).astype(backend.get_default_dtype()))
        rel_diff[m] = 0
    abs_at, rel_at = int(np.argmax(abs_diff)), int(np.argmax(rel_diff))

    def index(flat: int) -> tuple[int, ...]:
        return tuple(int(i) for i in np.unravel_index(flat, actual.shape))

    return _mismatch_text("Tensor-likes", extra, abs_diff[abs_at].item(), index(abs_at), rel_diff[rel_at].item(),
                          index(rel_at), rtol, atol)


class _Pair:
    """One leaf comparison, made at origination (where unsupported types are refused) and run afterwards."""

    def __init__(self, compare: Callable[[], None], path: tuple[Any, ...]) -> None:
        self.compare, self.path = compare, path


def _tensor_pair(actual: Any, expected: Any, path: tuple[Any, ...], options: dict[str, Any]) -> _Pair | None:
    kinds = (Tensor, np.ndarray)
    if not (isinstance(actual, kinds) and isinstance(expected, kinds)):
        return None
    if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
        return None
    if not options["allow_subclasses"] and type(actual) is not type(expected):
        return None
    a = actual if isinstance(actual, Tensor) else Tensor._wrap(np.asarray(actual))
    e = expected if isinstance(expected, Tensor) else Tensor._wrap(np.asarray(expected))

    def compare() -> None:
        checks = [("shape", a.shape, e.shape)]
        if options["check_device"]:
            checks.append(("device", a.device, e.device))
        if options["check_dtype"]:
            checks.append(("dtype", a.dtype, e.dtype))
        if options["check_stride"]:
            checks.append(("stride()", a.stride(), e.stride()))
        for name, mine, theirs in checks:
            if mine != theirs:
                raise _Mismatch(AssertionError, f"The values for attribute '{name}' do not match: {mine} != {theirs}.",
                                path)
        a_dt, e_dt = np.dtype(a._data.dtype), np.dtype(e._data.dtype)
        rtol, atol = _tolerances((a_dt, e_dt), options["rtol"], options["atol"])
        common = promote_types(a_dt, e_dt)
        a_np = np.asarray(backend.move_to(a._data, "cpu")).astype(common, copy=False)
        e_np = np.asarray(backend.move_to(e._data, "cpu")).astype(common, copy=False)
        matches = _isclose(a_np, e_np, rtol, atol, options["equal_nan"])
        if matches.all():
            return
        if a_np.ndim == 0:
            raise _Mismatch(AssertionError, _scalar_text(a_np.item(), e_np.item(), rtol, atol), path)
        raise _Mismatch(AssertionError, _tensor_text(a_np, e_np, matches, rtol, atol), path)

    return _Pair(compare, path)


def _number_pair(actual: Any, expected: Any, path: tuple[Any, ...], options: dict[str, Any]) -> _Pair | None:
    kinds = (int, float, complex, np.number)
    if not (isinstance(actual, kinds) and isinstance(expected, kinds)):
        return None
    a = actual.item() if isinstance(actual, np.number) else actual
    e = expected.item() if isinstance(expected, np.number) else expected
    rtol, atol = _tolerances([_NUMBER_DTYPES.get(type(v), np.dtype(np.int64)) for v in (a, e)], options["rtol"],
                             options["atol"])

    def compare() -> None:
        if options["check_dtype"] and type(a) is not type(e):
            raise _Mismatch(AssertionError, f"The (d)types do not match: {type(a)} != {type(e)}.", path)
        if a == e or (options["equal_nan"] and cmath.isnan(a) and cmath.isnan(e)):
            return
        abs_diff = abs(a - e)
        if cmath.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(e):
            return
        raise _Mismatch(AssertionError, _scalar_text(a, e, rtol, atol), path)

    return _Pair(compare, path)


def _boolean_pair(actual: Any, expected: Any, path: tuple[Any, ...], options: dict[str, Any]) -> _Pair | None:
    if not (isinstance(actual, (bool, np.bool_)) and isinstance(expected, (bool, np.bool_))):
        return None
    a, e = bool(actual), bool(expected)

    def compare() -> None:
        if a is not e:
            raise _Mismatch(AssertionError, f"Booleans mismatch: {a} is not {e}", path)

    return _Pair(compare, path)


def _none_pair(actual: Any, expected: Any, path: tuple[Any, ...], options: dict[str, Any]) -> _Pair | None:
    if not (actual is None or expected is None):
        return None

    def compare() -> None:
        if not (actual is None and expected is None):
            raise _Mismatch(AssertionError, f"None mismatch: {actual} is not {expected}", path)

    return _Pair(compare, path)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _originate(actual: Any, expected: Any, path: tuple[Any, ...], options: dict[str, Any]) -> list[_Pair]:
    """The leaf comparisons of two (nested) inputs; structural mismatches and unsupported types raise here."""
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                            path)
        return [pair for i in range(len(actual)) for pair in _originate(actual[i], expected[i], (*path, i), options)]
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        actual_keys, expected_keys = set(actual), set(expected)
        if actual_keys != expected_keys:
            raise _Mismatch(AssertionError, "The keys of the mappings do not match:\n"
                            f"Missing keys in the actual mapping: {sorted(expected_keys - actual_keys)}\n"
                            f"Additional keys in the actual mapping: {sorted(actual_keys - expected_keys)}", path)
        keys: Any = actual_keys
        with contextlib.suppress(Exception):
            keys = sorted(keys)
        return [pair for key in keys for pair in _originate(actual[key], expected[key], (*path, key), options)]
    for make in (_none_pair, _boolean_pair, _number_pair, _tensor_pair):
        pair = make(actual, expected, path, options)
        if pair is not None:
            return [pair]
    raise _Mismatch(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and "
                    f"{type(expected)}.", path)


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: str | Callable[[str], str] | None = None) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close, as ``torch.testing.assert_close``.

    Default tolerances by dtype (the loosest of the two when ``check_dtype=False`` lets them differ): float16
    (rtol 1e-3, atol 1e-5), float32 and complex64 (1.3e-6, 1e-5), float64 and complex128 (1e-7, 1e-7), others
    exact. ``msg`` replaces the message (a string) or rewrites it (a callable). ``check_layout`` is accepted for
    torch's signature: every tensor here is strided.
    """
    if (rtol is None) ^ (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    if rtol is not None and (rtol < 0 or atol < 0):
        raise RuntimeError(f"rtol and atol must be greater than or equal to zero, but got rtol={rtol}, atol={atol}")
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype, check_stride=check_stride)
    try:
        for pair in _originate(actual, expected, (), options):
            pair.compare()
    except _Mismatch as mismatch:
        raise mismatch.to_error(msg) from None
