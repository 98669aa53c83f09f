"""The persistent kernel cache: generated sources as real files, numba's cache beside them.

Layout::

    <cache_dir>/<platform key>/tracegrad_k<hash>.py        generated kernel source
    <cache_dir>/<platform key>/__pycache__/...nbi/.nbc     numba's compiled code
    <cache_dir>/<platform key>/tracegrad_k<hash>.lock      held while compiling

The platform key hashes the tracegrad codegen version, the numba and llvmlite versions, the
CPU's name and features and the source of the kernel runtime (vmath, kernel_rt), so a cache
is never reused by a different toolchain, machine or math library.
The file name hashes the kernel's full source (which includes the compile options), so the
key is content-addressed and deterministic across processes.

Safety: files are written to a temporary name and renamed (atomic); compilation holds an
exclusive file lock, so concurrent processes compile a kernel once and the others load it;
an entry numba cannot load (truncated, corrupt) is deleted and rebuilt with a warning; a
folder that cannot be written makes the cache in-memory only, with one warning.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
import warnings
from typing import Any, Iterator

from ... import settings


class CacheWarning(UserWarning):
    """The kernel cache had to repair an entry or fall back to memory."""


_STATE: dict[str, Any] = {"dir": None, "warned_readonly": False}


def _cpu_text() -> str:
    """The CPU's model and feature flags, read without importing numba (it is slow to load)."""
    try:
        with open("/proc/cpuinfo") as f:
            lines = [ln for ln in f if ln.startswith(("model name", "flags"))]
        return "".join(sorted(set(lines)))
    except OSError:
        import platform

        return f"{platform.machine()}|{platform.processor()}"


def _runtime_text() -> str:
    """The source of what kernels import (``kernel_rt`` and ``vmath``): numba inlines it into
    every kernel, but its cache only checks the kernel's own file, so an edit to the math
    must change the folder."""
    here = os.path.dirname(os.path.abspath(__file__))
    files = [os.path.join(here, "kernel_rt.py")] + sorted(
        os.path.join(here, "vmath", f) for f in os.listdir(os.path.join(here, "vmath"))
        if f.endswith(".py"))
    return "".join(open(f).read() for f in files)


def platform_key() -> str:
    from importlib.metadata import version

    text = (f"{settings.CODEGEN_VERSION}|{version('numba')}|{version('llvmlite')}|"
            f"{_cpu_text()}|{_runtime_text()}")
    return "p" + hashlib.sha256(text.encode()).hexdigest()[:16]


def module_name(source: str) -> tuple[str, str]:
    """(module name, full source) of a kernel: the source gains a header with the codegen
    version and compile options, which numba's own cache does not key on, so a change to
    either changes the name and a stale kernel is never loaded."""
    full = f"# tracegrad codegen v{settings.CODEGEN_VERSION}, njit {settings.NJIT_OPTIONS}\n" \
        + source
    return "tracegrad_k" + hashlib.sha256(full.encode()).hexdigest()[:20], full


def write_source(name: str, source: str) -> str | None:
    """Make sure the kernel file exists with exactly this content; returns its path (None for
    a memory-only cache). A mismatching file (truncated, edited) is replaced, with a warning,
    and numba's compiled files for it are removed."""
    folder = cache_folder()
    if folder is None:
        return None
    path = os.path.join(folder, f"{name}.py")
    try:
        with open(path) as f:
            current = f.read()
    except OSError:
        current = None
    if current != source:
        if current is not None:
            warnings.warn(f"tracegrad: kernel cache entry {path} did not match its name "
                          "(truncated or modified); rebuilding it", CacheWarning, stacklevel=4)
            purge(name, folder)
        write_atomic(path, source)
    return path


def compiled_files() -> list[str]:
    """The names of numba's index files in the cache (one listing for many lookups)."""
    folder = cache_folder()
    pyc = os.path.join(folder, "__pycache__") if folder else ""
    if not pyc or not os.path.isdir(pyc):
        return []
    return [f for f in os.listdir(pyc) if f.endswith(".nbi")]


def cache_folder() -> str | None:
    """The writable folder for this platform, or None when the cache is memory-only."""
    if _STATE["dir"] is not None:
        return _STATE["dir"] or None
    path = os.path.join(settings.cache_dir, platform_key())
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, f".probe.{os.getpid()}")
        with open(probe, "w") as f:
            f.write("ok")
        os.remove(probe)
        _STATE["dir"] = path
    except OSError as err:
        _STATE["dir"] = ""
        if not _STATE["warned_readonly"]:
            _STATE["warned_readonly"] = True
            warnings.warn(f"tracegrad: the kernel cache folder {settings.cache_dir!r} cannot be "
                          f"written ({err.strerror}); kernels are cached in memory for this "
                          "process only. Set TRACEGRAD_CACHE_DIR to a writable folder.",
                          CacheWarning, stacklevel=4)
        return None
    return path


def reset() -> None:
    """Forget the chosen folder (after ``settings.cache_dir`` changes)."""
    _STATE["dir"] = None


settings.on_change("cache_dir", reset)


def write_atomic(path: str, text: str) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


@contextlib.contextmanager
def file_lock(path: str) -> Iterator[None]:
    """An exclusive lock between processes (released if the holder dies)."""
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def load_module(name: str, source: str) -> tuple[Any, bool]:
    """Import ``source`` as module ``name`` from a real file; returns (module, on_disk).

    The file's content is checked against ``source`` (a truncated or edited file is
    rewritten), and the module is registered in ``sys.modules`` before it runs, which
    numba's cache needs to find it again.
    """
    if name in sys.modules:
        mod = sys.modules[name]
        return mod, getattr(mod, "__tracegrad_on_disk__", False)
    path = write_source(name, source)
    on_disk = path is not None
    if path is None:
        path = os.path.join(tempfile.mkdtemp(prefix="tracegrad-mem-"), f"{name}.py")
        write_atomic(path, source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module.__tracegrad_on_disk__ = on_disk  # type: ignore[attr-defined]
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module, on_disk


def purge(name: str, folder: str | None = None) -> None:
    """Delete numba's compiled files for module ``name`` (they are rebuilt on demand)."""
    folder = folder or cache_folder()
    if not folder:
        return
    pyc = os.path.join(folder, "__pycache__")
    if os.path.isdir(pyc):
        for f in os.listdir(pyc):
            if f.startswith(name + "."):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(pyc, f))


def lock_path(name: str) -> str | None:
    folder = cache_folder()
    return os.path.join(folder, f"{name}.lock") if folder else None


def info() -> dict[str, Any]:
    """Folder, number of kernels and bytes used by the persistent cache."""
    root = settings.cache_dir
    kernels = size = 0
    if os.path.isdir(root):
        for d, _, files in os.walk(root):
            for f in files:
                size += os.path.getsize(os.path.join(d, f))
                kernels += f.startswith("tracegrad_k") and f.endswith(".py")
    return {"folder": root, "platform_folder": os.path.join(root, platform_key()),
            "kernels": kernels, "bytes": size, "writable": cache_folder() is not None}


def clear() -> None:
    """Delete the whole persistent cache (this process keeps what it has loaded)."""
    if os.path.isdir(settings.cache_dir):
        shutil.rmtree(settings.cache_dir, ignore_errors=True)
    reset()
