"""The documentation is correct: docstring examples, the examples in docs/*.md, the settings
table, and (in the slow set) the Sphinx build with warnings as errors.

* Every ``>>>`` example in the docstrings of tracegrad's modules runs and prints what it
  shows (``doctest.testmod``).
* Every ```` ```pycon ```` block of a documentation page runs, in order, in one namespace
  per page, and prints what it shows. (```` ```python ```` and ```` ```text ```` blocks are
  illustrations and are not run.)
* docs/configuration.md names every ``TRACEGRAD_*`` variable the code reads and every
  attribute of ``tracegrad.config``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tracegrad

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# The public modules whose docstrings must have correct examples; every other module of the
# package is checked too (found below), so a new module's examples are never skipped.
PUBLIC = ["tracegrad", "tracegrad.ndarray", "tracegrad.autograd", "tracegrad.jit",
          "tracegrad.differentiate",
          "tracegrad.state", "tracegrad.ops", "tracegrad.config", "tracegrad.nd",
          "tracegrad.cache"]
MODULES = PUBLIC + sorted(
    f"tracegrad.{m.name}" for m in pkgutil.iter_modules(tracegrad.__path__)
    if m.name != "__main__" and f"tracegrad.{m.name}" not in PUBLIC)


@pytest.fixture
def clean_state(monkeypatch):
    """Docstrings assume the default settings and no recording scope."""
    from tracegrad import autograd

    monkeypatch.setattr(tracegrad.config, "strict", False)
    yield
    autograd.set_recording(False)
    autograd.set_training(False)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, clean_state):
    module = importlib.import_module(name)
    result = doctest.testmod(module, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed " \
                               "(the doctest report above says which)"


def test_the_public_modules_have_examples(clean_state):
    attempted = {name: doctest.testmod(importlib.import_module(name), report=False).attempted
                 for name in PUBLIC}
    assert all(attempted.values()), f"modules without docstring examples: {attempted}"


# -- examples in the Markdown pages -----------------------------------------------------------

PYCON = re.compile(r"^```pycon\n(.*?)^```", re.S | re.M)
PAGES = sorted(p.name for p in DOCS.glob("*.md") if PYCON.search(p.read_text()))


def test_the_guides_have_runnable_examples():
    assert {"autograd.md", "jit.md", "ir.md"} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_page_examples(page, clean_state):
    text = (DOCS / page).read_text()
    source = "\n".join(PYCON.findall(text))
    test = doctest.DocTestParser().get_doctest(source, {"__name__": "docs"}, page, page, 0)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} example(s) in docs/{page} failed " \
                               "(the doctest report above says which)"


# -- the settings table -----------------------------------------------------------------------

def test_configuration_page_names_every_setting():
    page = (DOCS / "configuration.md").read_text()
    used = set()
    for folder in ("tracegrad", "compiler"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(re.findall(r"TRACEGRAD_[A-Z_]+[A-Z]", path.read_text()))
    missing = sorted(v for v in used if f"`{v}`" not in page)
    assert not missing, f"docs/configuration.md does not describe {missing}"
    fields = tracegrad.config.names()
    missing = [f for f in fields if f"`{f}`" not in page]
    assert not missing, f"docs/configuration.md does not describe config.{missing}"


# -- the build --------------------------------------------------------------------------------

@pytest.mark.slow
def test_sphinx_build_has_no_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-d",
         str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "html" / "index.html").is_file()
