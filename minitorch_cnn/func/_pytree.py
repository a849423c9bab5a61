"""The nested containers (tuples, lists, dicts) that torch.func's transforms take and return, as flat leaf lists.

``flatten(tree) -> (leaves, spec)`` and ``unflatten(leaves, spec)`` rebuild the same structure; ``broadcast_prefix``
spreads an ``in_dims``/``out_dims`` tree that stops early (an int for a whole tuple) over the leaves below it.
Anything that is not a tuple, list or dict is a leaf (a Tensor, a number, None).
"""

from __future__ import annotations

from typing import Any

Spec = Any  # None for a leaf, else (container type, keys or length, child specs)


def flatten(tree: Any) -> tuple[list, Spec]:
    """The leaves of ``tree`` in order (dicts in their key order) and the structure to rebuild it."""
    if isinstance(tree, (tuple, list)):
        leaves: list = []
        specs = []
        for child in tree:
            sub, spec = flatten(child)
            leaves += sub
            specs.append(spec)
        return leaves, (type(tree), len(tree), specs)
    if isinstance(tree, dict):
        leaves = []
        specs = []
        for child in tree.values():
            sub, spec = flatten(child)
            leaves += sub
            specs.append(spec)
        return leaves, (type(tree), list(tree.keys()), specs)
    return [tree], None


def unflatten(leaves: list, spec: Spec) -> Any:
    """The tree of ``spec`` with ``leaves`` (in flatten's order) at its leaves."""
    it = iter(leaves)
    return _build(it, spec)


def _build(it: Any, spec: Spec) -> Any:
    if spec is None:
        return next(it)
    kind, keys, specs = spec
    children = [_build(it, s) for s in specs]
    if issubclass(kind, dict):
        return kind(zip(keys, children))
    if kind is not tuple and issubclass(kind, tuple) and hasattr(kind, "_make"):  # a namedtuple
        return kind._make(children)
    return kind(children)


def describe(spec: Spec) -> str:
    """A spec as torch's ``treespec_pprint`` shows it: ``*`` for a leaf, ``(*,)``, ``[*, *]``, ``{'a': *}``."""
    if spec is None:
        return "*"
    kind, keys, specs = spec
    if issubclass(kind, dict):
        return "{" + ", ".join(f"{k!r}: {describe(s)}" for k, s in zip(keys, specs)) + "}"
    inner = ", ".join(describe(s) for s in specs)
    if issubclass(kind, list):
        return f"[{inner}]"
    return f"({inner},)" if len(specs) == 1 else f"({inner})"


def broadcast_prefix(prefix: Any, spec: Spec) -> list | None:
    """One entry of ``prefix`` per leaf of ``spec``: a non-container entry of ``prefix`` covers its whole subtree.
    None when ``prefix`` does not match the structure (the caller raises with its own message)."""
    if not isinstance(prefix, (tuple, list, dict)):
        return [prefix] * _count(spec)
    if spec is None:
        return None
    kind, keys, specs = spec
    if isinstance(prefix, dict) != issubclass(kind, dict) or isinstance(prefix, (tuple, list)) != issubclass(
            kind, (tuple, list)):
        return None
    if isinstance(prefix, dict):
        if list(prefix.keys()) != keys and set(prefix.keys()) != set(keys):
            return None
        children = [prefix[k] for k in keys]
    else:
        if len(prefix) != keys:
            return None
        children = list(prefix)
    out: list = []
    for child, s in zip(children, specs):
        sub = broadcast_prefix(child, s)
        if sub is None:
            return None
        out += sub
    return out


def _count(spec: Spec) -> int:
    return 1 if spec is None else sum(_count(s) for s in spec[2])
