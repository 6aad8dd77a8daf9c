"""Errors that say where: the node and the user's line, the original exception type, anomaly mode."""

import contextlib
import traceback
import warnings

import numpy as np
import pytest

import fngrad
from conftest import Double


class Fails(Double):
    @staticmethod
    def backward(ctx, g):
        raise TypeError("broken backward")


def notes(exc):
    return "\n".join(getattr(exc, "__notes__", []))


@contextlib.contextmanager
def quiet_anomaly():
    """detect_anomaly() without its warnings (the enabling one and the "Error detected in" one)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fngrad.autograd.detect_anomaly():
            yield


def test_user_exception_keeps_type_and_gets_the_creation_site():
    x = fngrad.ones(2, requires_grad=True)
    y = Fails.apply(x)  # the line the note must point at
    line = traceback.extract_stack()[-1].lineno - 1
    with pytest.raises(TypeError, match="broken backward") as info:
        y.sum().backward()
    assert f"while running backward of FailsBackward (created at test_error_context.py:{line})" in notes(info.value)
    frames = traceback.extract_tb(info.value.__traceback__)
    assert frames[-1].name == "backward" and frames[-1].line == 'raise TypeError("broken backward")'


def test_creation_site_of_native_nodes():
    x = fngrad.ones(2, requires_grad=True)
    y = x * 3
    line = traceback.extract_stack()[-1].lineno - 1
    assert y.grad_fn._creation_site == f"test_error_context.py:{line}"


def test_creation_site_skips_fngrad_frames():
    x = fngrad.ones(2, requires_grad=True)
    y = fngrad.clamp(x, min=0)  # goes through python/fngrad/_functions.py
    line = traceback.extract_stack()[-1].lineno - 1
    assert y.grad_fn._creation_site == f"test_error_context.py:{line}"


def test_nodes_made_during_double_backward_point_at_their_forward_op():
    x = fngrad.ones(2, requires_grad=True)
    y = (x * x).sum()
    line = traceback.extract_stack()[-1].lineno - 1
    (g,) = fngrad.autograd.grad(y, x, create_graph=True)
    assert g.grad_fn._creation_site == f"test_error_context.py:{line}"


def test_engine_errors_name_the_node_and_site():
    class WrongShape(Double):
        @staticmethod
        def backward(ctx, g):
            return fngrad.ones(7)

    x = fngrad.ones(2, requires_grad=True)
    y = WrongShape.apply(x)
    line = traceback.extract_stack()[-1].lineno - 1
    with pytest.raises(RuntimeError, match=rf"Function WrongShapeBackward \(created at test_error_context.py:{line}\) "
                                           r"returned an invalid gradient at index 0"):
        y.sum().backward()


def test_anomaly_mode_nan_check_with_forward_traceback():
    x = fngrad.tensor([0.0, 1.0], requires_grad=True)
    with quiet_anomaly():
        y = (x / x).sum()
        with pytest.raises(RuntimeError,
                           match="Function 'DivBackward0' returned nan values in its 1th output.") as info:
            y.backward()
    text = notes(info.value)
    assert "Traceback of forward call that caused the error:" in text
    assert "y = (x / x).sum()" in text
    assert not fngrad.autograd.anomaly_mode.is_anomaly_enabled()


def test_anomaly_mode_attaches_forward_trace_to_user_errors():
    x = fngrad.ones(2, requires_grad=True)
    with quiet_anomaly():
        y = Fails.apply(x)
        with pytest.raises(TypeError) as info:
            y.sum().backward()
    assert "y = Fails.apply(x)" in notes(info.value)


def test_detect_anomaly_warns_and_set_detect_anomaly_toggles():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with fngrad.autograd.detect_anomaly():
            pass
    fngrad.autograd.set_detect_anomaly(True)
    assert fngrad.autograd.anomaly_mode.is_anomaly_enabled()
    fngrad.autograd.set_detect_anomaly(False)
    assert not fngrad.autograd.anomaly_mode.is_anomaly_enabled()


def test_anomaly_mode_without_nan_passes():
    x = fngrad.tensor([1.0, 2.0], requires_grad=True)
    with quiet_anomaly():
        (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_anomaly_mode_also_warns_with_the_forward_traceback():
    # PyTorch warns "Error detected in <Node>. Traceback of forward call that caused the error:"
    # before raising; tests and users filter on that warning.
    x = fngrad.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with fngrad.autograd.detect_anomaly():
            y = Fails.apply(x)
            with pytest.raises(TypeError):
                y.sum().backward()
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    detected = [m for m in messages if m.startswith("Error detected in FailsBackward. Traceback of forward call "
                                                    "that caused the error:\n")]
    assert len(detected) == 1 and "y = Fails.apply(x)" in detected[0]


def test_anomaly_warning_turned_into_an_error_keeps_the_original_error():
    x = fngrad.ones(2, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fngrad.autograd.detect_anomaly():
            y = Fails.apply(x)
        warnings.filterwarnings("error", message="Error detected in")
        with fngrad.autograd.detect_anomaly():
            with pytest.raises(TypeError):
                y.sum().backward()
    (x * 2).sum().backward()  # still usable
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
