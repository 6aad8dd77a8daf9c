"""Train an MLP and a small CNN on scikit-learn's 8x8 digits, written as PyTorch code.

The script is plain PyTorch: change the line ``import fngrad as torch`` to ``import torch`` and it
runs on PyTorch. The data set ships with scikit-learn (1,797 images, no download). It prints each
model's test accuracy and writes a PNG with the loss and accuracy curves.

    pip install ".[examples]"          # scikit-learn, tqdm, matplotlib
    python examples/digits.py          # both models, 20 epochs each, curves in digits.png
    python examples/digits.py --model mlp --epochs 5 --plot none

tqdm (a progress bar per epoch) and matplotlib (the PNG) are optional: without them the script
trains and prints all the same.

On a machine busy with other work, ``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1`` keeps NumPy's BLAS
(and PyTorch) from spinning threads that cost more than these small matrix products.
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import fngrad as torch

try:
    from tqdm import tqdm
except ImportError:  # no progress bars
    tqdm = None

nn = torch.nn
DataLoader = torch.utils.data.DataLoader
TensorDataset = torch.utils.data.TensorDataset


def make_mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(),
        nn.Linear(128, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def make_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 2 x 2
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 10),
    )


def load_data(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # pixel values are 0..16
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
    return (torch.from_numpy(x_train), torch.from_numpy(y_train),
            torch.from_numpy(x_test), torch.from_numpy(y_test))


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean().item())


def train(name: str, model: nn.Module, train_set: TensorDataset, x_test: torch.Tensor, y_test: torch.Tensor,
          epochs: int, batch_size: int, lr: float, seed: int) -> dict[str, list[float]]:
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        batches = loader if tqdm is None else tqdm(loader, desc=f"{name} epoch {epoch + 1}/{epochs}", leave=False)
        total, count = 0.0, 0
        for xb, yb in batches:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            count += len(yb)
        history["loss"].append(total / count)
        history["accuracy"].append(accuracy(model, x_test, y_test))
    seconds = time.perf_counter() - start
    print(f"{name}: test accuracy {history['accuracy'][-1]:.4f} after {epochs} epochs "
          f"(final train loss {history['loss'][-1]:.4f}, {seconds:.2f} s)")
    return history


def plot(histories: dict[str, dict[str, list[float]]], path: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: no plot written to {path}")
        return
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for name, h in histories.items():
        epochs = range(1, len(h["loss"]) + 1)
        ax_loss.plot(epochs, h["loss"], label=name)
        ax_acc.plot(epochs, h["accuracy"], label=name)
    ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy")
    for ax in (ax_loss, ax_acc):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"curves written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["mlp", "cnn", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default="digits.png", help="PNG file for the curves, or 'none'")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_data(args.seed)
    train_set = TensorDataset(x_train, y_train)
    print(f"digits: {len(train_set)} training images, {len(y_test)} test images")
    models = {"mlp": make_mlp, "cnn": make_cnn}
    names = list(models) if args.model == "both" else [args.model]
    histories = {}
    for name in names:
        histories[name] = train(name, models[name](), train_set, x_test, y_test,
                                args.epochs, args.batch_size, args.lr, args.seed)
    if args.plot != "none":
        plot(histories, args.plot)


if __name__ == "__main__":
    main()
