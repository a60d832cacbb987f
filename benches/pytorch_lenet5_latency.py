# Batch-1 inference latency of the anchor's LeNet-5 (eval mode, no_grad, 2
# threads): the PyTorch side of `cargo bench --bench lenet5 -- "batch 1$"`.
# Usage: python benches/pytorch_lenet5_latency.py [ANCHORS_DIR]
# (the folder holding pytorch_lenet5.py; ../shared/anchors by default).
import os, sys, time, statistics
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "anchors"))
import torch
from pytorch_lenet5 import LeNet5
torch.set_num_threads(2)
torch.manual_seed(0)
m = LeNet5().eval()
x = torch.randn(1, 1, 32, 32)
with torch.no_grad():
    for _ in range(500):
        m(x)
    rounds = []
    for _ in range(7):
        n = 3000
        t = time.perf_counter()
        for _ in range(n):
            m(x)
        rounds.append((time.perf_counter() - t) / n * 1e6)
print("torch", torch.__version__, "batch-1 latency us per round:", " ".join(f"{r:.1f}" for r in rounds), "median", f"{statistics.median(rounds):.1f}")
