"""Every ``>>>`` example in the docstrings of tracegrad.gluon's modules runs and prints what
it shows (tests/test_docs.py checks the top-level modules only)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import tracegrad.gluon

MODULES = ["tracegrad.gluon"] + sorted(
    m.name for m in pkgutil.walk_packages(tracegrad.gluon.__path__, prefix="tracegrad.gluon."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), report=True)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"


def test_the_modules_are_all_found():
    assert {"tracegrad.gluon.nn.basic_layers", "tracegrad.gluon.data.dataloader",
            "tracegrad.gluon.data.vision.transforms"} <= set(MODULES)
