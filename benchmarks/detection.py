"""Faster R-CNN ResNet-50-FPN, ours against torchvision: one training step (forward, the four losses, backward,
SGD with momentum 0.9 and weight decay 5e-4) and one inference call, on two float32 images (3, 128, 160) with
min_size 128 / max_size 160 and few proposals (torchvision's random sampling made irrelevant by sample sizes that
take every candidate), the same weights on both sides.

    python -m benchmarks.detection --rounds 5

Times are CPU seconds of this process (``time.process_time``), one thread on both sides, ours and torch
interleaved round by round; the medians and their ratio are printed as one JSON line.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from collections.abc import Callable

import numpy as np

KW = {"num_classes": 3, "min_size": 128, "max_size": 160, "rpn_pre_nms_top_n_train": 200,
      "rpn_post_nms_top_n_train": 50, "rpn_pre_nms_top_n_test": 100, "rpn_post_nms_top_n_test": 30,
      "rpn_batch_size_per_image": 100000, "box_batch_size_per_image": 100000}
BOXES = [[[10.0, 20, 60, 90], [50, 40, 120, 110]], [[30.0, 10, 100, 70]]]
LABELS = [[1, 2], [2]]


def _steps() -> dict[str, dict[str, Callable[[], None]]]:
    import torch
    import torchvision

    import minitorch_cnn as mt

    torch.set_num_threads(1)
    mt.set_num_threads(1)
    torch.manual_seed(0)
    theirs = torchvision.models.detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, **KW)
    ours = mt.vision.models.detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, **KW)
    blob = io.BytesIO()
    torch.save(theirs.state_dict(), blob)
    ours.load_state_dict(mt.load(io.BytesIO(blob.getvalue())))
    images = [np.random.default_rng(i).random((3, 128, 160), dtype=np.float32) for i in range(2)]
    steps = {}
    for name, lib, model in (("torch", torch, theirs), ("ours", mt, ours)):
        imgs = [lib.tensor(i) for i in images]
        targets = [{"boxes": lib.tensor(b), "labels": lib.tensor(lab)} for b, lab in zip(BOXES, LABELS, strict=True)]
        opt = lib.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.005, momentum=0.9,
                            weight_decay=5e-4)

        def train(lib=lib, model=model, imgs=imgs, targets=targets, opt=opt) -> None:
            model.train()
            losses = sum(model(imgs, targets).values())
            opt.zero_grad()
            losses.backward()
            opt.step()

        def infer(lib=lib, model=model, imgs=imgs) -> None:
            model.eval()
            with lib.no_grad():
                model(imgs)

        steps[name] = {"train": train, "infer": infer}
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    steps = _steps()
    times: dict[str, list[float]] = {f"{lib} {what}": [] for lib in steps for what in ("train", "infer")}
    for r in range(args.rounds + 1):  # the first round warms up (Numba compiles, allocators settle)
        for lib, fns in steps.items():
            for what, fn in fns.items():
                t0 = time.process_time()
                fn()
                if r:
                    times[f"{lib} {what}"].append(time.process_time() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({"median_s": med, "ratio_train": med["ours train"] / med["torch train"],
                      "ratio_infer": med["ours infer"] / med["torch infer"], "rounds": args.rounds}))


if __name__ == "__main__":
    main()
