"""Loss modules (as ``torch.nn``'s): each holds its options and calls ``nn.functional``."""

from __future__ import annotations

from .. import functional as F
from .module import Module
from .padding import PairwiseDistance

__all__ = ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
           "BCEWithLogitsLoss", "KLDivLoss"]


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = F._legacy_reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    # The class weight is a buffer: it follows .to(dtype) and is saved in state_dict.
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)

    def _class_weight(self):
        # The buffer from its dict: ``self.weight`` costs a failed lookup and Module.__getattr__.
        buffers = self._buffers
        return buffers["weight"] if "weight" in buffers else self.weight


class MSELoss(_Loss):
    """Mean squared error.

    >>> from fngrad import nn
    >>> nn.MSELoss()(fngrad.tensor([1.0, 2.0]), fngrad.tensor([0.0, 4.0]))
    tensor(2.5000)
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error.

    >>> from fngrad import nn
    >>> nn.L1Loss()(fngrad.tensor([1.0, 2.0]), fngrad.tensor([0.0, 4.0]))
    tensor(1.5000)
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Squared error below ``beta``, absolute error above (see ``F.smooth_l1_loss``).

    >>> from fngrad import nn
    >>> nn.SmoothL1Loss()(fngrad.tensor([0.0, 3.0]), fngrad.tensor([0.5, 0.0]))
    tensor(1.3125)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Squared error below ``delta``, delta-scaled absolute error above (see ``F.huber_loss``).

    >>> from fngrad import nn
    >>> nn.HuberLoss()(fngrad.tensor([0.0, 3.0]), fngrad.tensor([0.5, 0.0]))
    tensor(1.3125)
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices or probabilities, with optional class weights,
    ``ignore_index`` and ``label_smoothing``.

    Example::

        >>> import fngrad
        >>> from fngrad import nn
        >>> loss = nn.CrossEntropyLoss()(fngrad.tensor([[1.0, 2.0, 3.0]]), fngrad.tensor([2]))
        >>> round(loss.item(), 4)
        0.4076
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self._class_weight(), ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices under log-probabilities.

    >>> from fngrad import nn
    >>> nn.NLLLoss()(fngrad.tensor([[0.5, 0.5], [0.9, 0.1]]).log(), fngrad.tensor([0, 0]))
    tensor(0.3993)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self._class_weight(), ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities.

    >>> from fngrad import nn
    >>> nn.BCELoss()(fngrad.tensor([0.8, 0.2]), fngrad.tensor([1.0, 0.0]))
    tensor(0.2231)
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self._class_weight(), reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits (sigmoid and BCE in one stable step), with ``pos_weight``.

    >>> from fngrad import nn
    >>> nn.BCEWithLogitsLoss()(fngrad.tensor([2.0, -1.0]), fngrad.tensor([1.0, 0.0]))
    tensor(0.2201)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class KLDivLoss(_Loss):
    """KL divergence with log-probability inputs (``reduction='batchmean'`` for the true KL).

    >>> from fngrad import nn
    >>> nn.KLDivLoss(reduction='sum')(fngrad.tensor([0.25, 0.75]).log(), fngrad.tensor([0.5, 0.5]))
    tensor(0.1438)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


__all__ += ["MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss",
            "TripletMarginLoss", "CosineEmbeddingLoss", "PoissonNLLLoss", "GaussianNLLLoss"]


class MarginRankingLoss(_Loss):
    """max(0, -y (x1 - x2) + margin).

    >>> from fngrad import nn
    >>> nn.MarginRankingLoss()(fngrad.tensor([1.0, 2.0]), fngrad.tensor([2.0, 1.0]), fngrad.tensor([1.0, 1.0]))
    tensor(0.5000)
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """x where y is 1, max(0, margin - x) where y is -1.

    >>> from fngrad import nn
    >>> nn.HingeEmbeddingLoss()(fngrad.tensor([0.3, 2.0]), fngrad.tensor([-1, 1]))
    tensor(1.3500)
    """

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """log(1 + exp(-y x)).

    >>> from fngrad import nn
    >>> nn.SoftMarginLoss()(fngrad.tensor([2.0, -1.0]), fngrad.tensor([1.0, -1.0]))
    tensor(0.2201)
    """

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Multi-label one-versus-all logistic loss, averaged over the classes.

    >>> from fngrad import nn
    >>> nn.MultiLabelSoftMarginLoss()(fngrad.tensor([[2.0, -1.0]]), fngrad.tensor([[1.0, 0.0]]))
    tensor(0.2201)
    """

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self._class_weight(), reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss: sum over i != y of max(0, margin - x[y] + x[i])**p / C.

    >>> from fngrad import nn
    >>> nn.MultiMarginLoss()(fngrad.tensor([[0.1, 0.8, 0.4]]), fngrad.tensor([1]))
    tensor(0.3000)
    """

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.dim()}D instead")
        self.p = p
        self.margin = margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self._class_weight(),
                                   reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """max(0, margin + d(a, p) - d(a, n)) with the p-norm pairwise distance.

    >>> from fngrad import nn
    >>> nn.TripletMarginLoss()(fngrad.tensor([[0.0, 0.0]]), fngrad.tensor([[1.0, 0.0]]), fngrad.tensor([[0.0, 0.5]]))
    tensor(1.5000)
    """

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                     swap=self.swap, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """1 - cos(x1, x2) where y is 1, max(0, cos(x1, x2) - margin) where y is -1.

    >>> from fngrad import nn
    >>> nn.CosineEmbeddingLoss()(fngrad.tensor([[1.0, 0.0]]), fngrad.tensor([[0.0, 1.0]]), fngrad.tensor([1]))
    tensor(1.)
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Negative log-likelihood of a Poisson-distributed target.

    >>> from fngrad import nn
    >>> nn.PoissonNLLLoss()(fngrad.tensor([0.0, 1.0]), fngrad.tensor([1.0, 2.0]))
    tensor(0.8591)
    """

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full, eps=self.eps,
                                  reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Negative log-likelihood of a Gaussian target with predicted mean ``input`` and variance ``var``.

    >>> from fngrad import nn
    >>> nn.GaussianNLLLoss()(fngrad.tensor([1.0, 2.0]), fngrad.tensor([1.5, 2.0]), fngrad.ones(2))
    tensor(0.0625)
    """

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)


__all__ += ["TripletMarginWithDistanceLoss", "MultiLabelMarginLoss"]


class TripletMarginWithDistanceLoss(_Loss):
    """max(0, margin + d(a, p) - d(a, n)) with any distance ``d`` (``nn.PairwiseDistance()`` by default).

    >>> from fngrad import nn
    >>> a, p, n = fngrad.tensor([[0.0, 0.0]]), fngrad.tensor([[1.0, 0.0]]), fngrad.tensor([[0.0, 0.5]])
    >>> nn.TripletMarginWithDistanceLoss(distance_function=lambda u, v: (u - v).abs().sum(-1))(a, p, n)
    tensor(1.5000)
    """

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(size_average=None, reduce=None, reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead")
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin = margin
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss over the target classes listed in ``target`` (up to the first -1).

    >>> from fngrad import nn
    >>> nn.MultiLabelMarginLoss()(fngrad.tensor([[0.1, 0.2, 0.4, 0.8]]), fngrad.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)
