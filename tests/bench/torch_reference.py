#!/usr/bin/env python3
"""PyTorch CPU reference for bench_train: the same nets, batches, optimizer and
thread count; prints one JSON line per case with samples/s (best of short
windows, as the C++ side measures), and the 1024^3 matmul GFLOP/s."""
import argparse, json, os, time

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1)
p.add_argument("--seconds", type=float, default=3.0)
args = p.parse_args()
# Before torch loads OpenBLAS and OpenMP: the same thread count as our engine
# (left unset, OpenBLAS starts one thread per core beside torch's own).
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[var] = str(args.threads)
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
torch.set_num_threads(args.threads)
torch.manual_seed(7)


def tiny():
    return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))


def lenet300():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


cases = [("tiny 2-8-8-2 tanh", tiny, (2,), 2, 32),
         ("LeNet-300-100", lenet300, (1, 28, 28), 10, 64),
         ("LeNet-300-100", lenet300, (1, 28, 28), 10, 256),
         ("LeNet-5", lenet5, (1, 28, 28), 10, 64)]

for name, make, shape, classes, batch in cases:
    model = make()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    nb = 16
    xs = torch.rand(nb, batch, *shape)
    ys = torch.randint(0, classes, (nb, batch))

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xs[i % nb]), ys[i % nb])
        loss.backward()
        opt.step()

    for i in range(20):
        step(i)
    best, start, i = 0.0, time.perf_counter(), 0
    window = max(5, 2000 // batch)
    while time.perf_counter() - start < args.seconds:
        t = time.perf_counter()
        for _ in range(window):
            step(i)
            i += 1
        best = max(best, window * batch / (time.perf_counter() - t))
    print(json.dumps({"case": name, "batch": batch, "samples_per_second": best}), flush=True)

a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
a @ b
best, start = 0.0, time.perf_counter()
while time.perf_counter() - start < args.seconds:
    t = time.perf_counter()
    a @ b
    best = max(best, 2 * 1024 ** 3 / (time.perf_counter() - t) / 1e9)
print(json.dumps({"gemm_gflops": best}), flush=True)
