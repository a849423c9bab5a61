"""LSTM and GRU layers, forward + backward with a random upstream gradient, float32, 1 thread: torch, ours (one
node for the whole sequence, ``ops/rnn_sequence.py``), the loop of one fused node per step (``ops/rnn_cells.py``)
which that node replaced, and the same loop composed of the public ops (linear, sigmoid, tanh, slicing), the
simplest form, which the fused step replaced, in one process.

    python -m benchmarks.rnn        # table + results/rnn.{json,md}

Times are CPU seconds of this process (``time.process_time``), each the median of ``--repeats`` calls taken in
turns (torch, ours, per-step, composed, torch, ...), so load on a shared machine hits all of them alike.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from .harness import pin_threads

if __name__ == "__main__":
    pin_threads(1)

import numpy as np  # noqa: E402

from .depthwise import cpu_times  # noqa: E402
from .harness import apply_threads, machine, write_results  # noqa: E402

CASES = (  # (mode, batch, steps, input, hidden): mnist_rnn's LSTM, a word-model batch, a long sequence, a GRU
    ("LSTM", 64, 28, 28, 64), ("LSTM", 20, 35, 32, 64), ("LSTM", 16, 112, 32, 64), ("GRU", 64, 28, 28, 64),
)


def _composed(mt: Any, layer: Any, x: Any) -> Any:
    """One layer, one direction, over x (T, B, I): the input gates for all steps at once, then per step a slice
    of them and the gate maths of ``nn/rnn_cell.py``'s docstring in public ops (about fifteen nodes a step)."""
    F = mt.nn.functional
    steps, batch, size = x.shape[0], x.shape[1], layer.hidden_size
    gi = F.linear(x.reshape(steps * batch, x.shape[2]), layer.weight_ih_l0, layer.bias_ih_l0)
    h = c = mt.zeros(batch, size)
    outs = []
    for t in range(steps):
        gates = gi[t * batch:(t + 1) * batch]
        gh = F.linear(h, layer.weight_hh_l0, layer.bias_hh_l0)
        if layer.mode == "LSTM":
            gates = gates + gh
            i, f = F.sigmoid(gates[:, :size]), F.sigmoid(gates[:, size:2 * size])
            g, o = F.tanh(gates[:, 2 * size:3 * size]), F.sigmoid(gates[:, 3 * size:])
            c = f * c + i * g
            h = o * F.tanh(c)
        else:
            r = F.sigmoid(gates[:, :size] + gh[:, :size])
            z = F.sigmoid(gates[:, size:2 * size] + gh[:, size:2 * size])
            n = F.tanh(gates[:, 2 * size:] + r * gh[:, 2 * size:])
            h = n + z * (h - n)
        outs.append(h)
    return mt.stack(outs)


def _per_step(mt: Any, layer: Any, x: Any) -> Any:
    """One layer, one direction, over x (T, B, I) as a loop of fused step nodes (the layers' form before the
    sequence node)."""
    from minitorch_cnn.ops import rnn_cells, rnn_sequence

    F = mt.nn.functional
    steps, batch = x.shape[0], x.shape[1]
    gi = F.linear(x.reshape(steps * batch, x.shape[2]), layer.weight_ih_l0, layer.bias_ih_l0)
    w_hh, b_hh = layer.weight_hh_l0, layer.bias_hh_l0
    if layer.mode == "LSTM":
        state = mt.zeros(batch, 2 * layer.hidden_size)
        states, _ = rnn_sequence.step_loop(lambda g, s: rnn_cells.lstm_step(g, s, w_hh, b_hh), gi, [batch] * steps,
                                           state, False)
        return states[:, :layer.hidden_size]
    states, _ = rnn_sequence.step_loop(lambda g, s: rnn_cells.gru_step(g, s, w_hh, b_hh), gi, [batch] * steps,
                                       mt.zeros(batch, layer.hidden_size), False)
    return states


def _steps(mode: str, batch: int, steps: int, inputs: int, hidden: int) -> dict[str, Callable[[], Any]]:
    import torch

    import minitorch_cnn as mt

    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps, batch, inputs)).astype(np.float32)
    g = rng.standard_normal((steps, batch, hidden)).astype(np.float32)
    theirs = getattr(torch.nn, mode)(inputs, hidden)
    ours = getattr(mt.nn, mode)(inputs, hidden)
    ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    tx, mx, tg, mg = torch.tensor(x), mt.tensor(x), torch.tensor(g), mt.tensor(g)

    def torch_step() -> None:
        theirs(tx)[0].backward(tg)

    def ours_step() -> None:
        ours(mx)[0].backward(mg)

    def per_step() -> None:
        _per_step(mt, ours, mx).backward(mg.reshape(steps * batch, hidden))

    def composed_step() -> None:
        _composed(mt, ours, mx).backward(mg)

    return {"torch": torch_step, "ours": ours_step, "per_step": per_step, "composed": composed_step}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    apply_threads(1)
    rows = []
    lines = ["| layer | batch | steps | input | hidden | ours ms | per-step ms | composed ms | torch ms | ours/torch "
             "| per-step/torch | composed/torch |", "|---" * 12 + "|"]
    for case in CASES:
        t = cpu_times(_steps(*case), args.repeats)
        rows.append({"case": case, **t})
        lines.append("| " + " | ".join(map(str, case)) + f" | {t['ours'] * 1e3:.2f} | {t['per_step'] * 1e3:.2f} | "
                     f"{t['composed'] * 1e3:.2f} | {t['torch'] * 1e3:.2f} | {t['ours'] / t['torch']:.2f} | "
                     f"{t['per_step'] / t['torch']:.2f} | {t['composed'] / t['torch']:.2f} |")
    info = machine("cpu", 1)
    isa = ", ".join(info.get("isa", [])) or "no AVX2"
    lines += ["", f"`{info['command']}` on {info.get('cpu_model', '?')} ({isa}), {info['cpu_count']} cores, "
              f"1 thread each side; CPU time of this process, median of {args.repeats}; "
              f"NumPy {info['numpy']}, torch {info['torch']}."]
    table = "\n".join(lines)
    print(table)
    write_results("rnn", {"machine": info, "repeats": args.repeats, "rows": rows}, table)


if __name__ == "__main__":
    main()
