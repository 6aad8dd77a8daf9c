"""fngrad.finfo / fngrad.iinfo: the limits of each dtype, against the IEEE formats written out and
against PyTorch's finfo/iinfo."""

import numpy as np
import pytest

import fngrad
from conftest import requires_torch

FLOATS = {  # bits, significand bits (with the hidden one), largest exponent
    "float16": (16, 11, 15), "bfloat16": (16, 8, 127), "float32": (32, 24, 127), "float64": (64, 53, 1023),
}
INTS = {"uint8": (8, 0, 255), "int8": (8, -128, 127), "int16": (16, -(2**15), 2**15 - 1),
        "int32": (32, -(2**31), 2**31 - 1), "int64": (64, -(2**63), 2**63 - 1)}


@pytest.mark.parametrize("name", FLOATS)
def test_finfo_is_the_ieee_format(name):
    bits, digits, emax = FLOATS[name]
    f = fngrad.finfo(getattr(fngrad, name))
    assert f.bits == bits and f.dtype == name
    assert f.eps == 2.0 ** (1 - digits)
    assert f.max == (2 - 2.0 ** (1 - digits)) * 2.0**emax and f.min == -f.max
    assert f.tiny == f.smallest_normal == 2.0 ** (1 - emax)
    # resolution: 10 ** -(decimal digits the significand holds), as NumPy's precision counts them
    assert f.resolution == 10.0 ** -int(np.floor((digits - 1) * np.log10(2)))


@pytest.mark.parametrize("name", INTS)
def test_iinfo_is_the_twos_complement_range(name):
    bits, lo, hi = INTS[name]
    i = fngrad.iinfo(getattr(fngrad, name))
    assert (i.bits, i.min, i.max, i.dtype) == (bits, lo, hi, name)
    assert type(i.max) is int


def test_default_dtype_equality_and_refusals():
    assert fngrad.finfo() == fngrad.finfo(fngrad.float32) != fngrad.finfo(fngrad.float64)
    fngrad.set_default_dtype(fngrad.float64)
    try:
        assert fngrad.finfo().bits == 64
    finally:
        fngrad.set_default_dtype(fngrad.float32)
    with pytest.raises(TypeError, match="requires a floating point input type"):
        fngrad.finfo(fngrad.int32)
    with pytest.raises(TypeError, match="requires an integer input type"):
        fngrad.iinfo(fngrad.float32)
    with pytest.raises(TypeError, match="bool is not supported by torch.iinfo"):
        fngrad.iinfo(fngrad.bool)
    # a typical use: clamping away from zero in a dtype-generic way
    x = fngrad.tensor([0.0, 1.0], dtype=fngrad.float16)
    assert x.clamp(min=fngrad.finfo(x.dtype).tiny)[0].item() == 2.0**-14


@requires_torch
@pytest.mark.parametrize("name", list(FLOATS) + list(INTS))
def test_matches_torch(name):
    import torch

    info = fngrad.finfo if name in FLOATS else fngrad.iinfo
    t_info = torch.finfo if name in FLOATS else torch.iinfo
    ours, theirs = info(getattr(fngrad, name)), t_info(getattr(torch, name))
    assert repr(ours) == repr(theirs)
    for attr in ("bits", "max", "min", "dtype") + (("eps", "tiny", "smallest_normal", "resolution") if name in FLOATS else ()):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
