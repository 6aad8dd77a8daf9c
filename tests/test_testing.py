"""fngrad.testing: assert_close and make_tensor, against PyTorch's behaviour.

Each case is run through both libraries where PyTorch is installed: the same outcome (passes, or the
same exception type with the same message once "torch." reads "fngrad."). The messages written out
below are PyTorch 2.13's, so the newcomer run without PyTorch checks them too.
"""

import math
import warnings

import numpy as np
import pytest

import fngrad
from conftest import HAS_TORCH, requires_torch

NAN, INF = float("nan"), float("inf")

# (name, builder of (args, kwargs) from a library module, PyTorch's outcome: None = passes)
CASES = [
    ("close", lambda m: ((m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0 + 1e-6])), {}), None),
    ("one_of_three", lambda m: ((m.tensor([1.0, 2.0, 3.0]), m.tensor([1.0, 2.5, 3.0])), {}),
     (AssertionError, "Tensor-likes are not close!\n\nMismatched elements: 1 / 3 (33.3%)\n"
      "Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)\n"
      "Greatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)")),
    ("2d_index", lambda m: ((m.tensor([[1.0, 2.0], [3.0, 4.0]]), m.tensor([[1.0, 2.0], [3.0, 5.0]])), {}),
     (AssertionError, "Tensor-likes are not close!\n\nMismatched elements: 1 / 4 (25.0%)\n"
      "Greatest absolute difference: 1.0 at index (1, 1) (up to 1e-05 allowed)\n"
      "Greatest relative difference: 0.20000000298023224 at index (1, 1) (up to 1.3e-06 allowed)")),
    ("python_floats", lambda m: ((1.0, 1.5), {}),
     (AssertionError, "Scalars are not close!\n\nExpected 1.5 but got 1.0.\n"
      "Absolute difference: 0.5 (up to 1e-07 allowed)\nRelative difference: 0.3333333333333333 (up to 1e-07 allowed)")),
    ("ints_equal", lambda m: ((m.tensor([1, 2]), m.tensor([1, 3])), {}),
     (AssertionError, "Tensor-likes are not equal!\n\nMismatched elements: 1 / 2 (50.0%)\n"
      "Greatest absolute difference: 1 at index (1,)\nGreatest relative difference: 0.3333333432674408 at index (1,)")),
    ("dtype", lambda m: ((m.tensor([1.0]), m.tensor([1.0], dtype=m.float64)), {}),
     (AssertionError, "The values for attribute 'dtype' do not match: torch.float32 != torch.float64.")),
    ("dtype_unchecked", lambda m: ((m.tensor([1, 2], dtype=m.int32), m.tensor([1, 2])), {"check_dtype": False}), None),
    ("shape", lambda m: ((m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0, 3.0])), {}),
     (AssertionError, "The values for attribute 'shape' do not match: torch.Size([2]) != torch.Size([3]).")),
    ("nan", lambda m: ((m.tensor([1.0, NAN]), m.tensor([1.0, NAN])), {}),
     (AssertionError, "Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\n"
      "Greatest absolute difference: nan at index (1,) (up to 1e-05 allowed)\n"
      "Greatest relative difference: nan at index (1,) (up to 1.3e-06 allowed)")),
    ("equal_nan", lambda m: ((m.tensor([1.0, NAN]), m.tensor([1.0, NAN])), {"equal_nan": True}), None),
    ("inf_same", lambda m: ((m.tensor([INF]), m.tensor([INF])), {}), None),
    ("inf_opposite", lambda m: ((m.tensor([INF]), m.tensor([-INF])), {}),
     (AssertionError, "Tensor-likes are not close!\n\nMismatched elements: 1 / 1 (100.0%)\n"
      "Greatest absolute difference: inf at index (0,) (up to 1e-05 allowed)\n"
      "Greatest relative difference: nan at index (0,) (up to 1.3e-06 allowed)")),
    ("sequence_item", lambda m: (([m.tensor(1.0), m.tensor(2.0)], [m.tensor(1.0), m.tensor(3.0)]), {}),
     (AssertionError, "Scalars are not close!\n\nExpected 3.0 but got 2.0.\nAbsolute difference: 1.0 (up to 1e-05 "
      "allowed)\nRelative difference: 0.3333333333333333 (up to 1.3e-06 allowed)\n\nThe failure occurred for item [1]")),
    ("mapping_item", lambda m: (({"a": m.tensor(1.0)}, {"a": m.tensor(2.0)}), {}),
     (AssertionError, "Scalars are not close!\n\nExpected 2.0 but got 1.0.\nAbsolute difference: 1.0 (up to 1e-05 "
      "allowed)\nRelative difference: 0.5 (up to 1.3e-06 allowed)\n\nThe failure occurred for item ['a']")),
    ("mapping_keys", lambda m: (({"a": 1, "b": 2}, {"a": 1, "c": 2}), {}),
     (AssertionError, "The keys of the mappings do not match:\nMissing keys in the actual mapping: ['c']\n"
      "Additional keys in the actual mapping: ['b']")),
    ("sequence_length", lambda m: (([1, 2], [1, 2, 3]), {}),
     (AssertionError, "The length of the sequences mismatch: 2 != 3")),
    ("tensor_vs_ndarray", lambda m: ((m.tensor([1.0, 2.0]), np.array([1.0, 2.0], dtype=np.float32)), {}),
     (TypeError, "No comparison pair was able to handle inputs of type <class 'torch.Tensor'> and "
      "<class 'numpy.ndarray'>.")),
    ("ndarrays", lambda m: ((np.array([1.0, 2.0]), np.array([1.0, 2.1])), {}),
     (AssertionError, "Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\n"
      "Greatest absolute difference: 0.10000000000000009 at index (1,) (up to 1e-07 allowed)\n"
      "Greatest relative difference: 0.04761904761904766 at index (1,) (up to 1e-07 allowed)")),
    ("bool_tensors", lambda m: ((m.tensor(True), m.tensor(False)), {}),
     (AssertionError, "Scalars are not equal!\n\nExpected False but got True.\nAbsolute difference: 1\n"
      "Relative difference: inf")),
    ("python_bools", lambda m: ((True, False), {}), (AssertionError, "Booleans mismatch: True is not False")),
    ("none", lambda m: ((None, 1), {}), (AssertionError, "None mismatch: None is not 1")),
    ("msg_string", lambda m: ((m.tensor([1.0, 2.0]), m.tensor([1.0, 2.1])), {"msg": "custom"}),
     (AssertionError, "custom")),
    ("msg_callable", lambda m: ((m.tensor([1.0, 2.0]), m.tensor([1.0, 2.1])), {"msg": lambda s: "X" + s[:27]}),
     (AssertionError, "XTensor-likes are not close!")),
    ("rtol_only", lambda m: ((m.tensor([1.0]), m.tensor([1.0])), {"rtol": 0.1}),
     (ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, but got no atol.")),
    ("tolerances", lambda m: ((m.tensor([1.0, 2.0]), m.tensor([1.0, 2.1])), {"rtol": 0.1, "atol": 0}), None),
    ("int_vs_float", lambda m: ((1, 1.0), {}),
     (AssertionError, "The (d)types do not match: <class 'int'> != <class 'float'>.")),
    ("int_vs_float_unchecked", lambda m: ((1, 1.0), {"check_dtype": False}), None),
    ("requires_grad", lambda m: ((m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0]).requires_grad_()), {}), None),
    ("stride", lambda m: ((m.zeros(2, 2), m.zeros(2, 2).t()), {"check_stride": True}),
     (AssertionError, "The values for attribute 'stride()' do not match: (2, 1) != (1, 2).")),
    ("strings", lambda m: (("a", "a"), {}),
     (TypeError, "No comparison pair was able to handle inputs of type <class 'str'> and <class 'str'>.")),
    ("atol_near_zero", lambda m: ((m.tensor([0.0, 1.0]), m.tensor([1e-9, 1.0])), {}), None),
    ("float16", lambda m: ((m.tensor([1.0], dtype=m.float16), m.tensor([1.0009765625], dtype=m.float16)), {}), None),
    ("parameter_vs_tensor_strict",
     lambda m: ((m.nn.Parameter(m.tensor([1.0])), m.tensor([1.0])), {"allow_subclasses": False}),
     (TypeError, "No comparison pair was able to handle inputs of type <class 'torch.nn.parameter.Parameter'> "
      "and <class 'torch.Tensor'>.")),
]


def _outcome(module, build):
    args, kwargs = build(module)
    try:
        module.testing.assert_close(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 (the outcome is what is compared)
        return type(error), str(error)
    return None


def _as_fngrad_text(outcome):
    """PyTorch's message as fngrad words it: its class and dtype names."""
    if outcome is None:
        return None
    kind, text = outcome
    for torch_name, ours in (("torch.nn.parameter.Parameter", "fngrad.nn.parameter.Parameter"),
                             ("torch.Tensor", "fngrad._tensor.Tensor"), ("torch.", "fngrad.")):
        text = text.replace(torch_name, ours)
    return kind, text


@pytest.mark.parametrize("name,build,expected", CASES, ids=[c[0] for c in CASES])
def test_assert_close_as_pytorch_words_it(name, build, expected):
    ours = _outcome(fngrad, build)
    assert ours == _as_fngrad_text(expected)


@requires_torch
@pytest.mark.parametrize("name,build,expected", CASES, ids=[c[0] for c in CASES])
def test_expectations_are_pytorchs(name, build, expected):
    import torch

    assert _outcome(torch, build) == expected


def test_parameter_and_tensor_are_related():
    fngrad.testing.assert_close(fngrad.nn.Parameter(fngrad.tensor([1.0])), fngrad.tensor([1.0]))


def test_default_tolerance_bounds_per_dtype():
    # float32: atol 1e-5 + rtol 1.3e-6 * |expected|; just inside and just outside.
    fngrad.testing.assert_close(fngrad.tensor([100.0]), fngrad.tensor([100.0 + 1.0e-4]))
    with pytest.raises(AssertionError, match="not close"):
        fngrad.testing.assert_close(fngrad.tensor([100.0]), fngrad.tensor([100.0 + 3.0e-4]))
    # Integers compare exactly.
    with pytest.raises(AssertionError, match="not equal"):
        fngrad.testing.assert_close(fngrad.tensor([100]), fngrad.tensor([101]))


def test_assert_allclose_is_deprecated_and_loose():
    with pytest.warns(FutureWarning, match="assert_allclose"):
        fngrad.testing.assert_allclose(fngrad.tensor([1.0, 2.0]), [1.0, 2.00001])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(AssertionError, match="not close"):
            fngrad.testing.assert_allclose(fngrad.tensor([1.0]), [1.01])


@pytest.mark.parametrize("dtype,low,high", [("float32", -9, 9), ("float64", -9, 9), ("int64", -9, 10),
                                            ("int8", -9, 10), ("uint8", 0, 10), ("bool", 0, 2)])
def test_make_tensor_default_ranges(dtype, low, high):
    dt = getattr(fngrad, dtype)
    t = fngrad.testing.make_tensor(200, 5, dtype=dt, device="cpu")
    values = t.to(fngrad.float64).numpy()
    assert t.dtype == dt and tuple(t.shape) == (200, 5)
    assert values.min() >= low and values.max() < high
    # 1,000 draws cover both ends of a small integer range.
    if not dt.is_floating_point:
        assert set(np.unique(values)) == set(range(low, high))


def test_make_tensor_options():
    t = fngrad.testing.make_tensor((4, 3), dtype=fngrad.float32, device="cpu", low=2, high=3, noncontiguous=True,
                                   requires_grad=True)
    assert not t.is_contiguous() and t.requires_grad and tuple(t.shape) == (4, 3)
    assert ((t >= 2) & (t < 3)).all()
    z = fngrad.testing.make_tensor(100, dtype=fngrad.int64, device="cpu", low=0, high=2, exclude_zero=True)
    assert (z == 1).all()
    tiny = fngrad.testing.make_tensor(3, dtype=fngrad.float32, device="cpu", low=0, high=1e-30, exclude_zero=True)
    assert (tiny > 0).all()
    assert math.isclose(float(fngrad.testing.make_tensor(1, dtype=fngrad.float64, device="cpu", low=5, high=5.0 + 1e-9)),
                        5.0, abs_tol=1e-8)


@pytest.mark.parametrize("kwargs,error,text", [
    ({"dtype": "int64", "requires_grad": True}, ValueError, "`requires_grad=True` is not supported"),
    ({"dtype": "float32", "low": 3, "high": 1}, ValueError, "`low` must be less than `high`, but got 3 >= 1"),
    ({"dtype": "float32", "low": NAN}, ValueError, "`low` and `high` cannot be NaN"),
    ({"dtype": "uint8", "low": -20, "high": -10}, ValueError, "only supports [0, 256)"),
])
def test_make_tensor_refusals(kwargs, error, text):
    kwargs = dict(kwargs, dtype=getattr(fngrad, kwargs["dtype"]))
    with pytest.raises(error, match=__import__("re").escape(text)):
        fngrad.testing.make_tensor(2, device="cpu", **kwargs)
    if HAS_TORCH:
        import torch

        kwargs = dict(kwargs, dtype=getattr(torch, str(kwargs["dtype"]).split(".")[-1]))
        with pytest.raises(error, match=__import__("re").escape(text)):
            torch.testing.make_tensor(2, device="cpu", **kwargs)
