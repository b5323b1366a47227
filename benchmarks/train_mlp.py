"""How fast is the reference train_mlp next to idiomatic PyTorch?

Trains the reference ``train_mlp`` (solutions/mlp.py: hand-written layers, mini-batch
SGD) and an ``nn.Sequential(Linear, ReLU, Linear)`` + ``F.cross_entropy`` +
``torch.optim.SGD`` loop on the same synthetic MNIST-sized data (seeded randn features,
labels from a random linear teacher), with the same layer sizes, batch size and number of
epochs, and prints examples per second for both and their ratio.

Both sides do the same work per epoch: one shuffle (a gather of the data), the mini-batch
updates, and the full-training-set objective after the epoch (train_mlp's contract
returns it; the nn loop computes it without gradients). Data sits on the device before
timing starts; a warm-up epoch is run first and not timed; CUDA is synchronised around
the timed region. The reference also computes the error signal on the input images
(linear_backward always returns dX), which autograd skips for inputs that need no
gradient: one extra first-layer-sized matrix product per batch, by design of the
assignment. The two are timed alternately, --repeats times each, and the fastest
run of each counts, so that a machine busy with other work slows both alike.

    python benchmarks/train_mlp.py                      # CPU, well under a minute when idle
    python benchmarks/train_mlp.py --device cuda --epochs 5
"""

import argparse
import importlib.util
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

SOLUTION = Path(__file__).resolve().parent.parent / "solutions" / "mlp.py"


def load_reference():
    spec = importlib.util.spec_from_file_location("mlp_reference", SOLUTION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthetic_data(num_examples, sizes, device, seed=0):
    """randn features and labels from a random linear teacher, on the device."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(num_examples, sizes[0], generator=g)
    teacher = torch.randn(sizes[-1], sizes[0], generator=g)
    t = (X @ teacher.T).argmax(dim=1)
    return X.to(device), t.to(device)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reference_runner(ref, X, t, sizes, lr, batch_size):
    def run(num_epochs, seed):
        _, costs = ref.train_mlp(X, t, sizes, lr, num_epochs, batch_size,
                                 generator=torch.Generator().manual_seed(seed))
        return costs
    return run


def torch_nn_runner(X, t, sizes, lr, batch_size, device):
    def build():
        layers = []
        for i in range(1, len(sizes)):
            layers.append(nn.Linear(sizes[i - 1], sizes[i]))
            if i < len(sizes) - 1:
                layers.append(nn.ReLU())
        return nn.Sequential(*layers).to(device)

    def run(num_epochs, seed):
        torch.manual_seed(seed)
        model = build()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        N = X.shape[0]
        with torch.no_grad():
            costs = [F.cross_entropy(model(X), t)]
        for _ in range(num_epochs):
            order = torch.randperm(N).to(device)
            X_epoch, t_epoch = X[order], t[order]
            for start in range(0, N, batch_size):
                loss = F.cross_entropy(model(X_epoch[start:start + batch_size]),
                                       t_epoch[start:start + batch_size])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            with torch.no_grad():
                costs.append(F.cross_entropy(model(X), t))
        return torch.stack(costs)
    return run


def timed(run, num_epochs, device):
    """(seconds, costs) of one run of num_epochs epochs, the device synchronised around it."""
    sync(device)
    start = time.perf_counter()
    costs = run(num_epochs, seed=2)
    sync(device)
    return time.perf_counter() - start, costs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda", "auto"], default="auto")
    parser.add_argument("--examples", type=int, default=60000)
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs (after one warm-up epoch)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--sizes", default="784,256,10", help="layer sizes, comma-separated")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=2, help="timed runs of each; the fastest counts")
    args = parser.parse_args(argv)

    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda given but CUDA is not available")
    sizes = [int(s) for s in args.sizes.split(",")]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    print(f"device {device} ({name}), torch {torch.__version__}")
    print(f"{args.examples} examples, sizes {sizes}, batch {args.batch_size}, "
          f"{args.epochs} timed epochs per run after 1 warm-up epoch, fastest of {args.repeats} runs")

    X, t = synthetic_data(args.examples, sizes, device)
    ref = load_reference()
    runners = {"reference": reference_runner(ref, X, t, sizes, args.lr, args.batch_size),
               "nn": torch_nn_runner(X, t, sizes, args.lr, args.batch_size, device)}
    for run in runners.values():
        run(1, seed=1)  # warm-up: first calls pay one-off costs (allocator, kernels, threads)
    best = {name: (float("inf"), None) for name in runners}
    for _ in range(args.repeats):
        for name, run in runners.items():
            result = timed(run, args.epochs, device)
            best[name] = min(best[name], result, key=lambda r: r[0])
    (ref_s, ref_costs), (nn_s, nn_costs) = best["reference"], best["nn"]

    seen = args.examples * args.epochs
    ref_rate, nn_rate = seen / ref_s, seen / nn_s
    print(f"reference train_mlp : {ref_rate:12,.0f} examples/s  {ref_s / args.epochs:.3f} s/epoch  "
          f"cost {ref_costs[0].item():.3f} -> {ref_costs[-1].item():.3f}")
    print(f"nn.Sequential + SGD : {nn_rate:12,.0f} examples/s  {nn_s / args.epochs:.3f} s/epoch  "
          f"cost {nn_costs[0].item():.3f} -> {nn_costs[-1].item():.3f}")
    print(f"reference / nn      : {ref_rate / nn_rate:.2f}x the throughput")


if __name__ == "__main__":
    main()
