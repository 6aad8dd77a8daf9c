"""fngrad.utils.data: datasets, samplers, DataLoader, default_collate and random_split against
hand-written expectations (and PyTorch for the structure of collated batches)."""

import collections

import numpy as np
import pytest

import fngrad
from conftest import requires_torch
from fngrad.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    random_split,
)

X = np.arange(20.0).reshape(10, 2)
Y = np.arange(10) % 3


def _dataset():
    return TensorDataset(fngrad.tensor(X), fngrad.tensor(Y))


def test_tensor_dataset_rows():
    ds = _dataset()
    assert len(ds) == 10
    x, y = ds[7]
    assert x.tolist() == [14.0, 15.0] and y.item() == 1
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(fngrad.zeros(3), fngrad.zeros(4))


def test_dataloader_in_order_with_and_without_drop_last():
    batches = list(DataLoader(_dataset(), batch_size=4))
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), X)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), Y)
    assert batches[0][1].dtype == fngrad.int64
    dropped = DataLoader(_dataset(), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and len(list(dropped)) == 2
    assert len(DataLoader(_dataset(), batch_size=4)) == 3


def test_dataloader_shuffle_is_a_permutation_repeatable_with_a_generator():
    def epoch(seed):
        loader = DataLoader(_dataset(), batch_size=3, shuffle=True, generator=fngrad.Generator().manual_seed(seed))
        return np.concatenate([b[1].numpy() for b in loader]), np.concatenate([b[0].numpy() for b in loader])

    (ya, _), (yb, _) = epoch(5), epoch(5)
    np.testing.assert_array_equal(ya, yb)
    loader = DataLoader(_dataset(), batch_size=3, shuffle=True, generator=fngrad.Generator().manual_seed(5))
    xs = np.concatenate([b[0].numpy() for b in loader])
    # Each row is still paired with its own label, and every row comes once.
    assert sorted(xs[:, 0].tolist()) == X[:, 0].tolist()
    firsts = [np.concatenate([b[0].numpy()[:, 0] for b in loader]).tolist() for _ in range(3)]
    assert len({tuple(f) for f in firsts}) > 1  # the generator moves on between epochs


def test_shuffle_without_generator_follows_manual_seed():
    def order():
        return [b[0][0, 0].item() for b in DataLoader(_dataset(), batch_size=1, shuffle=True)]

    fngrad.manual_seed(3)
    a = order()
    fngrad.manual_seed(3)
    assert order() == a and sorted(a) == X[:, 0].tolist()


def test_dataloader_without_batching_and_custom_collate():
    items = list(DataLoader(_dataset(), batch_size=None))
    assert len(items) == 10 and items[2][0].tolist() == [4.0, 5.0]
    sums = list(DataLoader(list(range(7)), batch_size=3, collate_fn=sum))
    assert sums == [0 + 1 + 2, 3 + 4 + 5, 6]


def test_dataloader_sampler_and_batch_sampler():
    loader = DataLoader(list(range(10)), batch_size=2, sampler=[9, 0, 5])
    assert [b.tolist() for b in loader] == [[9, 0], [5]]
    loader = DataLoader(list(range(10)), batch_sampler=[[1, 2, 3], [7]])
    assert [b.tolist() for b in loader] == [[1, 2, 3], [7]]
    assert len(loader) == 2


def test_dataloader_uses_getitems_when_present():
    class Batched(Dataset):
        calls = []

        def __len__(self):
            return 5

        def __getitem__(self, i):
            raise AssertionError("fetched one by one")

        def __getitems__(self, indices):
            self.calls.append(list(indices))
            return [i * 10 for i in indices]

    assert [b.tolist() for b in DataLoader(Batched(), batch_size=2)] == [[0, 10], [20, 30], [40]]
    assert Batched.calls == [[0, 1], [2, 3], [4]]


def test_dataloader_option_errors():
    ds = list(range(4))
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive with batch_size"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="batch_size=None option disables auto-batching"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        DataLoader(ds, batch_size=0)


def test_default_collate_structures():
    Point = collections.namedtuple("Point", "x y")
    batch = default_collate([
        {"t": fngrad.tensor([1.0, 2.0]), "f": 0.5, "i": 3, "s": "a", "p": Point(1, 2.0), "l": [1, 2],
         "a": np.array([1, 2], dtype=np.float32), "n": np.float64(2.5), "tu": (1, "x")},
        {"t": fngrad.tensor([3.0, 4.0]), "f": 1.5, "i": 4, "s": "b", "p": Point(3, 4.0), "l": [3, 4],
         "a": np.array([3, 4], dtype=np.float32), "n": np.float64(3.5), "tu": (2, "y")},
    ])
    assert batch["t"].tolist() == [[1.0, 2.0], [3.0, 4.0]] and batch["t"].dtype == fngrad.float32
    assert batch["f"].dtype == fngrad.float64 and batch["f"].tolist() == [0.5, 1.5]
    assert batch["i"].dtype == fngrad.int64 and batch["i"].tolist() == [3, 4]
    assert batch["s"] == ["a", "b"]
    assert isinstance(batch["p"], Point) and batch["p"].x.tolist() == [1, 3] and batch["p"].y.tolist() == [2.0, 4.0]
    assert isinstance(batch["l"], list) and [t.tolist() for t in batch["l"]] == [[1, 3], [2, 4]]
    assert batch["a"].dtype == fngrad.float32 and batch["a"].tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert batch["n"].dtype == fngrad.float64 and batch["n"].tolist() == [2.5, 3.5]
    assert isinstance(batch["tu"], list) and batch["tu"][0].tolist() == [1, 2] and batch["tu"][1] == ("x", "y")


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers"):
        default_collate([object(), object()])


@requires_torch
def test_default_collate_matches_torch_types_and_values():
    import torch
    from torch.utils.data import default_collate as torch_collate

    def sample(lib, i):
        return {"x": lib.tensor([float(i), 2.0 * i]), "y": i, "w": 0.25 * i, "z": (i, [i + 1, i + 2]), "b": i % 2 == 0}

    ours = default_collate([sample(fngrad, i) for i in range(3)])
    theirs = torch_collate([sample(torch, i) for i in range(3)])

    def compare(a, b):
        if isinstance(b, torch.Tensor):
            assert a.tolist() == b.tolist() and str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
        elif isinstance(b, dict):
            assert a.keys() == b.keys()
            for k in b:
                compare(a[k], b[k])
        else:
            assert type(a) is type(b) and len(a) == len(b)
            for x, y in zip(a, b):
                compare(x, y)

    compare(ours, theirs)


def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = fngrad.Generator().manual_seed(0)
    order = list(RandomSampler(range(6), generator=g))
    assert sorted(order) == list(range(6)) and len(RandomSampler(range(6))) == 6
    more = list(RandomSampler(range(4), num_samples=10, generator=g))
    assert len(more) == 10 and sorted(more[:4]) == [0, 1, 2, 3] and sorted(more[4:8]) == [0, 1, 2, 3]
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=70, generator=g))
    assert len(drawn) == 70 and set(drawn) <= {0, 1, 2}
    assert sorted(SubsetRandomSampler([4, 8, 15], generator=g)) == [4, 8, 15]
    assert list(BatchSampler(range(7), 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, drop_last=False)) == 3
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, drop_last=None)


def test_random_split_lengths_and_fractions():
    parts = random_split(range(10), [3, 7], generator=fngrad.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    again = random_split(range(10), [3, 7], generator=fngrad.Generator().manual_seed(1))
    assert list(again[0]) == list(parts[0])
    # floor(11 * 0.5) = 5, floor(11 * 0.3) = 3, floor(11 * 0.2) = 2; the remainder 1 goes to the first.
    assert [len(p) for p in random_split(range(11), [0.5, 0.3, 0.2])] == [6, 3, 2]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(range(10), [3, 3])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [1.0, 0.0])


def test_subset_and_concat():
    s = Subset(list("abcdef"), [5, 1, 3])
    assert len(s) == 3 and s[0] == "f" and s[[2, 0]] == ["d", "f"]
    c = ConcatDataset([list("ab"), list("cde")])
    assert len(c) == 5 and c[3] == "d" and c[-1] == "e"
    assert [c[i] for i in range(5)] == list("abcde")
    assert len(_dataset() + _dataset()) == 20


def test_iterable_dataset():
    from fngrad.utils.data import IterableDataset, get_worker_info

    class Stream(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            assert get_worker_info() is None
            return iter({"x": float(i), "i": i} for i in range(self.n))

        def __len__(self):
            return self.n

    batches = list(DataLoader(Stream(7), batch_size=3))
    assert [b["i"].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches[0]["x"].dtype == fngrad.float64
    assert [b["i"].tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    assert len(DataLoader(Stream(7), batch_size=3)) == 3 and len(DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    assert [s["i"] for s in DataLoader(Stream(3), batch_size=None)] == [0, 1, 2]
    with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected unspecified shuffle option"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Stream(3), sampler=[0])
    with pytest.raises(TypeError, match="does not support concatenation"):
        Stream(1) + Stream(1)
