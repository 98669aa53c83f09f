"""Sphinx configuration: MyST Markdown pages plus autodoc of the public modules.

Build: ``make docs`` (warnings are errors), or
``python -m sphinx -W -b html docs docs/_build/html``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # import tracegrad and compiler from this checkout

import tracegrad  # noqa: E402

project = "tracegrad"
author = "the tracegrad authors"
copyright = "the tracegrad authors"  # noqa: A001  (Sphinx's name)
release = tracegrad.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # the docstrings use NumPy style ("Examples\n--------")
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"undoc-members": False}
napoleon_google_docstring = False
napoleon_numpy_docstring = True

html_theme = "alabaster"
html_static_path = ["_static"]
html_title = f"tracegrad {release}"

# -- pages that may or may not exist ---------------------------------------------------------
# Some pages are written by other tools (docs/benchmarks.md by the benchmark scripts) or may
# be added later (docs/vmath.md). A Markdown page can mention one with a comment line
#
#     % if-page NAME: text used when docs/NAME.md exists
#     % if-no-page NAME: text used when it does not
#
# (inside a toctree, "% if-page NAME: NAME" adds the entry only when the page exists), so the
# build never links to a missing page, and never leaves an existing page out of every toctree.
_OPTIONAL = re.compile(r"^% if-(no-)?page ([\w/-]+): ?(.*)$")


def _optional_pages(app, docname: str, source: list[str]) -> None:
    lines = []
    for line in source[0].split("\n"):
        m = _OPTIONAL.match(line)
        if m is None:
            lines.append(line)
            continue
        negated, name, text = m.groups()
        page = DOCS / f"{name}.md"
        # re-read this page when that one appears or changes (a missing dependency counts
        # as changed, so incremental builds notice a page that was added later)
        app.env.note_dependency(str(page))
        exists = page.is_file()
        if exists != bool(negated):
            lines.append(text)
    source[0] = "\n".join(lines)


def setup(app):
    app.connect("source-read", _optional_pages)
    return {"parallel_read_safe": True}
