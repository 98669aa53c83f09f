"""Every example in examples/ runs to completion, checks its own result and says so.

Each example exits with a non-zero status when its result is wrong, so these tests run them
as scripts (a fresh interpreter each, as a user would) and look at the exit status and at a
few lines of the printed text. The seed notebook has its own test (test_seed.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str, timeout: float = 120, prelude: str | None = None,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    script = EXAMPLES / name
    if prelude is None:
        cmd = [sys.executable, str(script), *args]
    else:  # run the script after some set-up code, as __main__
        code = (f"{prelude}\nimport runpy, sys\nsys.argv = {[str(script), *args]!r}\n"
                f"runpy.run_path({str(script)!r}, run_name='__main__')")
        cmd = [sys.executable, "-c", code]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=env)
    assert proc.returncode == 0, (
        f"{name} exited with status {proc.returncode}\n--- stdout\n{proc.stdout}\n"
        f"--- stderr\n{proc.stderr}")
    return proc


def test_every_example_has_a_test():
    tested = {"seed_autograd.py", "linear_regression.py", "mlp_digits.py", "control_flow.py",
              "graph_pictures.py", "newton_physics.py", "gluon_mlp_digits.py",
              "lenet_digits.py", "mxnet_params.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} <= tested


def test_linear_regression():
    out = run_example("linear_regression.py").stdout
    assert "epoch 1, loss" in out
    assert "OK: w and b recovered within 0.01" in out


def test_control_flow():
    out = run_example("control_flow.py").stdout
    assert "FALLBACK to eager: needs asscalar() at control_flow.py:" in out
    assert "StrictModeError:" in out
    assert "WRONG" not in out
    assert "OK: jit gives the eager results" in out


def test_graph_pictures(tmp_path):
    out = run_example("graph_pictures.py", str(tmp_path)).stdout
    assert "OK: all graph files written" in out
    for name in ("seed_grad", "softplus_grad", "mlp_grad"):
        for stage in ("traced", "fused"):
            text = (tmp_path / f"{name}_{stage}.dot").read_text()
            assert text.startswith("digraph tracegrad {")
        assert "subgraph cluster_" in (tmp_path / f"{name}_fused.dot").read_text()
        assert "= fused[" in (tmp_path / f"{name}.txt").read_text()
    svgs = sorted(p.name for p in tmp_path.glob("*.svg"))
    if shutil.which("dot"):
        assert len(svgs) == 6
    else:
        assert svgs == [] and "Graphviz's `dot` is not installed" in out


def test_graph_pictures_without_graphviz(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))  # no `dot` on the PATH
    out = run_example("graph_pictures.py", str(tmp_path / "out"), env=env).stdout
    assert "Graphviz's `dot` is not installed" in out
    assert len(list((tmp_path / "out").glob("*.dot"))) == 6
    assert not list((tmp_path / "out").glob("*.svg"))


def test_graph_pictures_default_folder_is_temporary():
    out = run_example("graph_pictures.py").stdout
    folder = Path(out.splitlines()[0].removeprefix("writing to "))
    try:
        assert folder.is_dir() and not folder.is_relative_to(ROOT)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_newton_physics():
    out = run_example("newton_physics.py").stdout
    assert "Hessian-vector product vs finite differences" in out
    assert "OK: all four parameters recovered within tolerance" in out


def test_mlp_digits():
    pytest.importorskip("sklearn")
    out = run_example("mlp_digits.py", timeout=300).stdout
    assert "time per epoch" in out and "eager" in out and "compiled" in out
    assert "OK: both trainings reached at least 95% test accuracy" in out


def test_gluon_mlp_digits():
    pytest.importorskip("sklearn")
    out = run_example("gluon_mlp_digits.py", timeout=300).stdout
    assert "tracegrad.jit(hybridsequential0)" in out and "FALLBACK" not in out
    assert "OK: the hybridized Gluon MLP reached at least 97% test accuracy" in out
    proc = run_example("gluon_mlp_digits.py", prelude="import sys; sys.modules['sklearn'] = None")
    assert "scikit-learn is not installed" in proc.stdout


def test_lenet_digits():
    pytest.importorskip("sklearn")
    out = run_example("lenet_digits.py", timeout=300).stdout
    assert "Conv2D(1 -> 16" in out and "FALLBACK" not in out
    assert "OK: the hybridized LeNet reached at least 97% test accuracy" in out
    proc = run_example("lenet_digits.py", prelude="import sys; sys.modules['sklearn'] = None")
    assert "scikit-learn is not installed" in proc.stdout


def test_mxnet_params():
    out = run_example("mxnet_params.py").stdout
    assert "Dense(64 -> 32, Activation(relu))" in out
    assert "OK: the MXNet-trained network gives MXNet's accuracy and logits" in out


def test_mlp_digits_without_scikit_learn_exits_cleanly():
    # None in sys.modules makes `import sklearn` raise ImportError.
    proc = run_example("mlp_digits.py", prelude="import sys; sys.modules['sklearn'] = None")
    assert "scikit-learn is not installed" in proc.stdout
