"""The seed's two examples run unchanged but for `import fngrad as torch`, and print x.grad == (x > 0)."""

import contextlib
import io
import pathlib
import runpy

import numpy as np
import pytest

HERE = pathlib.Path(__file__).parent
SEED_COPY = HERE / "seed"
SHARED_SEED = HERE.parent.parent / "shared" / "seed"
EXAMPLES = ["example_1_myrelu.py", "example_2_relufunction.py"]


def _run_with_fngrad(source: str, tmp_path: pathlib.Path):
    lines = source.splitlines()
    assert lines[0] == "import torch", "the example must start with its import line"
    lines[0] = "import fngrad as torch"
    script = tmp_path / "example.py"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace = runpy.run_path(str(script), run_name="__main__")
    return namespace, out.getvalue()


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_and_prints_relu_gradient(name, tmp_path):
    source = (SEED_COPY / name).read_text(encoding="utf-8")
    namespace, printed = _run_with_fngrad(source, tmp_path)
    x = namespace["x"]
    expected = (x.detach().numpy() > 0).astype(np.float32)
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    assert printed.strip() == repr(x.grad)
    assert printed.startswith("tensor(")


@pytest.mark.parametrize("name", EXAMPLES)
def test_copy_matches_the_seed(name):
    if not SHARED_SEED.exists():
        pytest.skip("../shared/seed is not next to this checkout")
    assert (SEED_COPY / name).read_text(encoding="utf-8") == (SHARED_SEED / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("seed", range(5))
def test_example_gradient_for_many_inputs(seed, tmp_path):
    import fngrad

    fngrad.manual_seed(seed)
    source = (SEED_COPY / EXAMPLES[1]).read_text(encoding="utf-8")
    namespace, _ = _run_with_fngrad(source, tmp_path)
    x = namespace["x"]
    np.testing.assert_array_equal(x.grad.numpy(), (x.detach().numpy() > 0).astype(np.float32))
