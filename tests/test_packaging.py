"""How tracegrad is packaged and laid out: the compiler is private (tracegrad._compiler), every
folder of it is packaged, a user's own ``compiler`` never runs, and the compiler's layers
only point down (no import cycles, function-local imports included)."""

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
COMPILER = ROOT / "compiler"


def compiler_modules() -> dict[str, Path]:
    """Dotted name (as installed: tracegrad._compiler...) -> file."""
    out = {}
    for p in COMPILER.rglob("*.py"):
        parts = list(p.relative_to(COMPILER).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(["tracegrad._compiler", *parts])] = p
    return out


def imports_of(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, at the top or inside functions, made absolute."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def test_every_compiler_folder_is_packaged():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == {"tracegrad._compiler": "compiler"}
    folders = {".".join(["tracegrad._compiler", *p.parent.relative_to(COMPILER).parts])
               for p in COMPILER.rglob("__init__.py")}
    assert folders <= set(config["packages"]), folders - set(config["packages"])
    assert "compiler" not in config["packages"]


def test_the_compiler_never_imports_the_front_end():
    modules = compiler_modules()
    for name, path in modules.items():
        front = {m for m in imports_of(name, path)
                 if m.startswith("tracegrad") and not m.startswith("tracegrad._compiler")}
        assert not front, f"{name} imports the front end: {front}"
        assert "compiler" not in {m.partition(".")[0] for m in imports_of(name, path)}, \
            f"{name} imports the top-level name 'compiler'"


def test_no_import_cycles_in_the_compiler():
    modules = compiler_modules()

    def resolve(target: str) -> str | None:
        while target:
            if target in modules:
                return target
            target = target.rpartition(".")[0]
        return None

    graph = {}
    for name, path in modules.items():
        deps = {resolve(t) for t in imports_of(name, path)} - {None, name}
        if path.name == "__init__.py":  # a package importing its own children is no cycle
            deps = {d for d in deps if not d.startswith(name + ".")}
        graph[name] = deps
    # a module is on a cycle when it can reach itself
    for start in graph:
        seen, stack = set(), list(graph[start])
        while stack:
            m = stack.pop()
            assert m != start, f"import cycle through {start}"
            if m not in seen:
                seen.add(m)
                stack.extend(graph.get(m, ()))


# NDArray carries NumPy's and MXNet's operator protocol: dozens of one-line dunder methods
# and properties, kept explicit because they are the eager hot path.
LARGE_BY_DESIGN = {"NDArray"}


def test_modules_and_classes_stay_small():
    for path in list(COMPILER.rglob("*.py")) + list((ROOT / "tracegrad").rglob("*.py")):
        lines = path.read_text().splitlines()
        assert len(lines) <= 520, f"{path.relative_to(ROOT)} has {len(lines)} lines"
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.ClassDef) and node.name not in LARGE_BY_DESIGN:
                size = node.end_lineno - node.lineno + 1
                assert size <= 160, f"class {node.name} in {path.name} has {size} lines"


def test_importing_the_compiler_registers_every_primitive():
    code = ("import sys; import tracegrad._compiler as c; from tracegrad._compiler.core "
            "import REGISTRY; print(len(REGISTRY), 'call' in REGISTRY, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split()
    assert int(out[0]) > 40 and out[1] == "True"
    assert out[2] == "False", "importing the compiler must not import numba"


@pytest.fixture
def users_folder(tmp_path):
    """A folder of the user's with its own compiler.py and compiler/ that must never run."""
    marker = tmp_path / "imported.txt"
    body = f"open({str(marker)!r}, 'w').write('user compiler imported')\n"
    (tmp_path / "compiler.py").write_text(body)
    (tmp_path / "compiler").mkdir()
    (tmp_path / "compiler" / "__init__.py").write_text(body)
    (tmp_path / "compiler" / "tiers.py").write_text(body)
    return tmp_path, marker


def test_a_users_compiler_module_has_no_effect(users_folder, tmp_path_factory):
    folder, marker = users_folder
    script = folder / "train.py"
    script.write_text(textwrap.dedent("""
        import time
        import tracegrad
        from tracegrad import nd
        f = tracegrad.grad(lambda x: (nd.tanh(x) * x).sum())
        x = nd.array([0.5, 1.0, 2.0])
        for _ in range(300):  # with tiers on, a compile child runs meanwhile
            g = f(x)
            if "compiled" in f.explain():
                break
            time.sleep(0.1)
        print("compiled" in f.explain(), g.asnumpy().round(4).tolist())
    """))
    env = dict(os.environ, TRACEGRAD_TIERS="on",
               TRACEGRAD_CACHE_DIR=str(tmp_path_factory.mktemp("cache")))
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([sys.executable, str(script)], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("True"), proc.stdout + proc.stderr
    assert not marker.exists(), "tracegrad (or its compile child) imported the user's compiler"
