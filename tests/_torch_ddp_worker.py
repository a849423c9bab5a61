"""One rank of torch's DDP over gloo, the reference for ``_dist_worker.py train``: the same model, initial state
(perturbed on ranks > 0), shards, no_sync steps and optimizer. Started with RANK, WORLD_SIZE, MASTER_ADDR and
MASTER_PORT set; ``python tests/_torch_ddp_worker.py SPEC OUT``."""

from __future__ import annotations

import sys
from datetime import timedelta

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn


def build_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64, 5)).double()


def main(spec_path: str, out: str) -> None:
    torch.set_num_threads(1)
    spec = dict(np.load(spec_path, allow_pickle=True))
    dist.init_process_group("gloo", timeout=timedelta(seconds=60))
    rank = dist.get_rank()
    xs, ys, nosync = spec["x"][:, rank], spec["y"][:, rank], set(spec["nosync"].tolist())
    for name in spec["optimizers"].tolist():
        model = build_model()
        model.load_state_dict({k: torch.from_numpy(np.asarray(v + rank)) for k, v in spec["init"].item().items()})
        ddp = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=float(spec["bucket_cap_mb"]))
        if name == "sgd":
            opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
        else:
            opt = torch.optim.Adam(ddp.parameters(), lr=1e-2)
        for step in range(xs.shape[0]):
            if step in nosync:
                with ddp.no_sync():
                    F.cross_entropy(ddp(torch.from_numpy(xs[step, 0])), torch.from_numpy(ys[step, 0])).backward()
                F.cross_entropy(ddp(torch.from_numpy(xs[step, 1])), torch.from_numpy(ys[step, 1])).backward()
            else:
                F.cross_entropy(ddp(torch.from_numpy(xs[step, 0])), torch.from_numpy(ys[step, 0])).backward()
            opt.step()
            opt.zero_grad()
        np.savez(f"{out}/rank{rank}_{name}.npz", **{k: v.numpy() for k, v in model.state_dict().items()})
    dist.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:])
