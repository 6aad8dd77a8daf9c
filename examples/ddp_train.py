"""Data-parallel training with DistributedDataParallel over MPI, written as PyTorch code.

    pip install ".[distributed]"                      # mpi4py and Open MPI (mpiexec)
    mpiexec -n 2 python examples/ddp_train.py         # as root: mpiexec --allow-run-as-root ...
    mpiexec -n 4 --oversubscribe python examples/ddp_train.py --epochs 3

Every rank builds the same model (DDP broadcasts rank 0's weights), reads its own share of each
epoch through DistributedSampler, and backward averages the gradients over the ranks, so every
rank takes the same optimizer step: that of one process on the whole batch. The data is a
synthetic 3-class problem generated from a fixed seed (the same on every rank). With ``import
torch`` and ``import torch.distributed as dist`` (backend "gloo", launched by torchrun) the same
script runs on PyTorch.
"""

import argparse
import datetime

import numpy as np

import fngrad as torch
import fngrad.distributed as dist

nn = torch.nn
DataLoader = torch.utils.data.DataLoader
TensorDataset = torch.utils.data.TensorDataset
DistributedSampler = torch.utils.data.DistributedSampler
DDP = torch.nn.parallel.DistributedDataParallel


def make_data(n: int = 4096, features: int = 20, classes: int = 3, seed: int = 0) -> TensorDataset:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, features)) * 0.35
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.standard_normal((n, features))
    return TensorDataset(torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64, help="per rank")
    args = parser.parse_args()

    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60))
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(rank)  # different initial weights per rank: DDP makes them rank 0's

    dataset = make_data()
    sampler = DistributedSampler(dataset, shuffle=True, seed=0)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)
    model = DDP(nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        total = torch.zeros(2, dtype=torch.float64)  # (sum of losses, number of samples) on this rank
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()  # gradients averaged over the ranks here
            optimizer.step()
            total += torch.tensor([loss.item() * len(y), len(y)], dtype=torch.float64)
        dist.all_reduce(total)  # over all ranks
        if rank == 0:
            mean, count = total[0].item() / total[1].item(), int(total[1].item())
            print(f"epoch {epoch}: mean loss {mean:.4f} over {count} samples")

    # Every rank made the same steps: the parameters agree everywhere.
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    spread = flat.clone()
    dist.all_reduce(spread, op=dist.ReduceOp.MAX)
    low = flat.clone()
    dist.all_reduce(low, op=dist.ReduceOp.MIN)
    x, y = dataset.tensors
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).double().mean().item()
    if rank == 0:
        print(f"{world} ranks; accuracy {accuracy:.3f}; largest parameter difference between ranks "
              f"{(spread - low).abs().max().item():.1e}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
