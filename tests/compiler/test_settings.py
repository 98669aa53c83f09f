"""The one source of settings: read once, validated, and viewed by tracegrad.config."""

import os
import subprocess
import sys

import pytest

import tracegrad
from tracegrad._compiler import settings


def import_with(**env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("TRACEGRAD_")}
    full.update(env)
    return subprocess.run([sys.executable, "-c", "import tracegrad; print(tracegrad.config)"],
                          env=full, capture_output=True, text=True)


@pytest.mark.parametrize("variable, value, accepted", [
    ("TRACEGRAD_TIERS", "asynchronous", "blocking, on or off"),
    ("TRACEGRAD_STRICT", "2", "0 or 1"),
    ("TRACEGRAD_PARALLEL_MIN", "1e5", "an integer >= 0"),
    ("TRACEGRAD_DEBUG", "yes", "an integer from 0 to 3"),
    ("TRACEGRAD_COMPILE_LOOPS_AFTER", "-1", "an integer >= 0"),
])
def test_a_bad_variable_is_an_error_that_names_it(variable, value, accepted):
    proc = import_with(**{variable: value})
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert "SettingsError" in last and variable in last and repr(value) in last
    assert accepted in last


def test_good_and_empty_variables():
    proc = import_with(TRACEGRAD_TIERS="On", TRACEGRAD_STRICT="yes", TRACEGRAD_PARALLEL_MIN="",
                       TRACEGRAD_DEBUG="0")
    assert proc.returncode == 0, proc.stderr
    assert "strict=True" in proc.stdout and "tiers='on'" in proc.stdout
    assert "parallel_min=32768" in proc.stdout  # empty: the default


def test_config_is_a_view_of_the_compiler_settings(monkeypatch):
    monkeypatch.setattr(tracegrad.config, "parallel_min", 1000)
    assert settings.parallel_min == 1000 and tracegrad.config.parallel_min == 1000
    monkeypatch.setattr(tracegrad.config, "tiers", "OFF")
    assert settings.tiers == "off"
    assert tracegrad.config.as_dict() == settings.as_dict()
    assert set(tracegrad.config.names()) == {s.name for s in settings.SPECS}


@pytest.mark.parametrize("name, value", [("tiers", "asynchronous"), ("strict", 2),
                                         ("parallel_min", 2.5), ("parallel_min", True),
                                         ("num_threads", -1)])
def test_a_bad_assignment_is_refused_and_changes_nothing(name, value):
    before = getattr(tracegrad.config, name)
    with pytest.raises(tracegrad.SettingsError, match=f"config.{name}"):
        setattr(tracegrad.config, name, value)
    assert getattr(tracegrad.config, name) == before


def test_an_unknown_setting_is_an_error():
    with pytest.raises(AttributeError, match="no setting 'strikt'"):
        tracegrad.config.strikt = True
    with pytest.raises(AttributeError, match="no setting"):
        tracegrad.config.strikt  # noqa: B018
