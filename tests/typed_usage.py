"""The public API used the way a user's typed code uses it: ``mypy --strict`` must accept this file
(tests/test_typing.py runs it), and it runs as a script (python tests/typed_usage.py)."""

from typing import Any

import fngrad
from fngrad import Tensor, nn
from fngrad.autograd import forward_ad
from fngrad.nn import functional as F


class Square(fngrad.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        result: Tensor = 2 * x * grad_output
        return result


class TwoLayer(nn.Module):
    def __init__(self, features: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(features, hidden)
        self.fc2 = nn.Linear(hidden, 1)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.fc2(F.relu(self.fc1(x)))
        return out


def train(steps: int) -> list[float]:
    fngrad.manual_seed(0)
    model = TwoLayer(3, 8)
    optimizer = fngrad.optim.SGD(model.parameters(), lr=0.1)
    x = fngrad.randn(16, 3)
    y = x.sum(dim=1, keepdim=True)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    return losses


def custom_function_gradient() -> Tensor:
    x = fngrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    Square.apply(x).sum().backward()
    assert x.grad is not None
    grad: Tensor = x.grad
    return grad


def tensor_ops() -> Tensor:
    a = fngrad.arange(6, dtype=fngrad.float64).reshape(2, 3)
    b = fngrad.ones(2, 3, dtype=fngrad.float64)
    c = fngrad.add(a, b, alpha=2).mul_(0.5).clamp_(min=0.0)
    values, indices = fngrad.sort(c, dim=1, descending=True)
    with fngrad.no_grad():
        d = (c @ c.T).exp().log1p()
    out: Tensor = fngrad.cat([d, values.float().double(), indices.double()], dim=1)
    return out


def directional_derivative() -> float:
    x = fngrad.tensor([0.5, 1.0], dtype=fngrad.float64)
    v = fngrad.tensor([1.0, 0.0], dtype=fngrad.float64)
    with forward_ad.dual_level():
        y = fngrad.sin(forward_ad.make_dual(x, v)).sum()
        return float(forward_ad.unpack_dual(y).tangent.item())


if __name__ == "__main__":
    losses = train(20)
    assert losses[-1] < losses[0], losses
    print(custom_function_gradient(), tensor_ops().shape, directional_derivative())
