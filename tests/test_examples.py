"""Every script in examples/ runs as a learner would run it and exits 0 (each exits 1 when its check fails)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {
    "custom_function.py": "a wrong backward is caught",
    "batchnorm_backward.py": "the term is not optional",
    "conv_backward_is_col2im.py": "dL/dx = col2im",
    "parity_resnet18.py": "OK: every row within 1e-09",
    "conv_double_backward.py": "made of convolutions",
}


def test_every_example_is_listed() -> None:
    assert sorted(p.name for p in (ROOT / "examples").glob("*.py")) == sorted(EXAMPLES)


@pytest.mark.parametrize("script", sorted(EXAMPLES))
def test_example_runs_and_passes(script: str) -> None:
    # the checkout first on the path, as when the package is installed from it (examples also import reference/)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"{script} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert EXAMPLES[script] in proc.stdout


def test_gradgradcheck_names_a_function_without_backward_graph() -> None:
    """custom_function.py shows it too; here without a subprocess."""
    import minitorch_cnn as mt

    class Square(mt.Function):
        def forward(self, x: Any) -> Any:
            self.x = x
            return x * x

        def backward(self, g: Any) -> Any:
            return 2 * g * self.x

    x = mt.randn(3, dtype=mt.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="SquareBackward0 is not differentiable twice"):
        mt.autograd.gradgradcheck(Square.apply, [x])
