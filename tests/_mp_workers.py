"""Targets for processes started by ``spawn``/``forkserver`` in test_multiprocessing: importable without torch,
so each child starts quickly."""

from __future__ import annotations

from typing import Any

import minitorch_cnn as mt


def fill_from_queue(queue: Any, value: float, count: int) -> None:
    for _ in range(count):
        queue.get(timeout=60).fill_(value)


class Net(mt.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = mt.nn.Linear(8, 16)
        self.fc2 = mt.nn.Linear(16, 3)

    def forward(self, x: mt.Tensor) -> mt.Tensor:
        return mt.nn.functional.log_softmax(self.fc2(mt.relu(self.fc1(x))), dim=1)


def train(rank: int, model: Net, data: mt.Tensor, target: mt.Tensor, steps: int) -> None:
    """A Hogwild worker: SGD on the shared model, in place."""
    mt.manual_seed(rank)
    optimizer = mt.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    for _ in range(steps):
        optimizer.zero_grad()
        mt.nn.functional.nll_loss(model(data), target).backward()
        optimizer.step()
