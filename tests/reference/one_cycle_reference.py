"""PyTorch's OneCycleLR on AdamW, stepped per batch, for the schedule test.

usage: one_cycle_reference.py TOTAL_STEPS MAX_LR OUT_FILE
Writes "lr" and "beta1": the values in the optimizer at each of the
TOTAL_STEPS optimizer steps (before scheduler.step()).
"""
import sys

import torch

import tensor_file

total, max_lr, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
param = torch.nn.Parameter(torch.zeros(1))
optimizer = torch.optim.AdamW([param], lr=max_lr, eps=1e-5)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total)
lrs, betas = [], []
for _ in range(total):
    lrs.append(optimizer.param_groups[0]["lr"])
    betas.append(optimizer.param_groups[0]["betas"][0])
    optimizer.step()
    scheduler.step()
tensor_file.write(out, {"lr": torch.tensor(lrs, dtype=torch.float64),
                        "beta1": torch.tensor(betas, dtype=torch.float64)})
