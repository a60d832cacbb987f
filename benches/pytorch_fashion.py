#!/usr/bin/env python3
"""FashionNet on Fashion-MNIST in PyTorch: the same network and recipe as

    cargo run --release --example train -- --model fashion-net --dataset fashion ...

so that accuracy and images/s can be compared in one sitting (BENCHMARKS.md).

Network (input 1x28x28, 870,826 parameters), as `examples/train.rs` declares it:
  [conv3x3(32, no bias) BN ReLU] x2, MaxPool2d(2),
  [conv3x3(64, no bias) BN ReLU] x2, MaxPool2d(2),
  flatten, Linear(3136, 256), ReLU, Dropout(0.25), Linear(256, 10)
Data: pixels/255 normalised by the training split's own mean and standard
deviation; optional random horizontal flips; batch 64, reshuffled each epoch,
last partial batch kept.  Optimiser: SGD with Nesterov momentum and coupled
weight decay (PyTorch's `weight_decay`, applied to every parameter as
splotnet's is); cosine schedule (`CosineAnnealingLR`) stepped per batch
(`--schedule cosine-steps`, splotnet's `CosineSteps`) or per epoch (`cosine`).

Run with the virtual environment made from ../shared/anchors/requirements-freeze.txt:
    python benches/pytorch_fashion.py --data /usr/share/datasets/fashion-mnist --epochs 7 --flip
"""
import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir, split):
    def find(kind):
        for ext in (".gz", ""):
            p = os.path.join(data_dir, f"{split}-{kind}-ubyte{ext}")
            if os.path.exists(p):
                return p
        raise SystemExit(f"error: no {split}-{kind}-ubyte[.gz] in {data_dir}")
    x = read_idx(find("images-idx3")).astype(np.float32) / 255.0
    y = read_idx(find("labels-idx1")).astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class FashionNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *block(1, 32), *block(32, 32), nn.MaxPool2d(2),
            *block(32, 64), *block(64, 64), nn.MaxPool2d(2))
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(),
            nn.Dropout(0.25), nn.Linear(256, 10))

    def forward(self, x):
        return self.head(self.features(x))


def accuracy(model, x, y, batch=1000):
    model.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            right += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    model.train()
    return right / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=7)
    ap.add_argument("--schedule", choices=["cosine", "cosine-steps"], default="cosine-steps")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--flip", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    xtr, ytr = load(args.data, "train")
    xte, yte = load(args.data, "t10k")
    mean, std = xtr.mean().item(), xtr.std(unbiased=False).item()
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    model = FashionNet()
    params = sum(p.numel() for p in model.parameters())
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, params {params:,}, "
          f"inputs (x - {mean:.4f}) / {std:.4f}", flush=True)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                          nesterov=True, weight_decay=args.weight_decay)
    steps = (len(xtr) + args.batch - 1) // args.batch
    per_step = args.schedule == "cosine-steps"
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=args.epochs * steps if per_step else args.epochs)
    lossf = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(len(xtr), generator=gen)
        loss_sum = 0.0
        for i in range(0, len(xtr), args.batch):
            idx = perm[i:i + args.batch]
            x, y = xtr[idx], ytr[idx]
            if args.flip:
                mirror = torch.rand(len(idx), generator=gen) < 0.5
                x = torch.where(mirror[:, None, None, None], x.flip(3), x)
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(x), y)
            loss.backward()
            opt.step()
            if per_step:
                sched.step()
            loss_sum += loss.item() * len(idx)
        train_s = time.perf_counter() - t0
        lr = sched.get_last_lr()[0]
        if not per_step:
            sched.step()
        acc = accuracy(model, xte, yte)
        print(f"epoch {epoch:>2}: lr {lr:.4f}  train loss {loss_sum / len(xtr):.4f}  "
              f"test acc {acc * 100:.2f}%  {len(xtr) / train_s:.0f} img/s  "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
    print(f"total {time.perf_counter() - start:.0f} s, final test accuracy {acc * 100:.2f}%")


if __name__ == "__main__":
    main()
