"""The persistent kernel cache: generated sources as real files, numba's cache beside them.

Layout::

    <cache_dir>/<platform key>/tracegrad_k<hash>.py          generated kernel source
    <cache_dir>/<platform key>/__pycache__/...nbi/.nbc       numba's compiled code
    <cache_dir>/<platform key>/tracegrad_k<hash>.manifest    sha256 of each of numba's files
    <cache_dir>/<platform key>/tracegrad_k<hash>.lock        held while compiling

The platform key hashes the cache layout version, the tracegrad codegen version, the numba
and llvmlite versions, the CPU's name and features and the source of the kernel runtime
(vmath, kernel_rt), so a cache is never reused by a different toolchain, machine or math
library. The file name hashes the kernel's full source (which includes the compile options),
so the key is content-addressed and deterministic across processes.

Trust: numba's ``.nbi`` index is a pickle, so whoever can write the cache can run code in
every process that reads it. As ssh and pip do, the folders are made private (mode 0700:
the cache root, the platform folder and ``__pycache__``), and a folder that another user
owns or that group or others may write is refused: one :class:`CacheWarning` says why and
what to do, and kernels are cached in memory only. Inside a trusted folder, every entry is
checked against a hash before it is used: the kernel's ``.py`` file against its name (and
the module runs the checked text, never the file's), numba's files against the manifest
tracegrad wrote after numba saved them; a file that is not in the manifest or does not match
is purged and rebuilt with a warning before numba opens it.

Safety: files are written to a unique temporary name (``mkstemp``, mode 0600) and renamed
(atomic, also between threads); compilation holds an exclusive file lock, so concurrent
processes compile a kernel once and the others load it; an entry numba cannot load
(truncated, corrupt, replaced by a folder) is deleted and rebuilt with a warning; a folder
that cannot be written makes the cache in-memory only, with one warning. Modules are
registered in ``sys.modules`` only once they have finished executing, under a lock, so a
second thread never sees one half-built.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import stat
import sys
import tempfile
import threading
import warnings
from typing import Any, Iterator

from ... import settings

LAYOUT_VERSION = 2  # 2: private folders, manifests of numba's files


class CacheWarning(UserWarning):
    """The kernel cache had to repair an entry or fall back to memory."""


_STATE: dict[str, Any] = {"dir": None, "warned": set()}
_LOCK = threading.RLock()  # the folder choice, and modules while they load


def _reset_lock_in_child() -> None:
    global _LOCK
    _LOCK = threading.RLock()  # a thread of the parent may have held it at the fork


os.register_at_fork(after_in_child=_reset_lock_in_child)


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
    text = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            text.append(fh.read())
    return "".join(text)


def platform_key() -> str:
    from importlib.metadata import version

    text = (f"layout{LAYOUT_VERSION}|{settings.CODEGEN_VERSION}|{version('numba')}|"
            f"{version('llvmlite')}|{_cpu_text()}|{_runtime_text()}")
    return "p" + hashlib.sha256(text.encode()).hexdigest()[:16]


def module_name(source: str) -> tuple[str, str]:
    """(module name, full source) of a kernel: the source gains a header with the codegen
    version and compile options, which numba's own cache does not key on, so a change to
    either changes the name and a stale kernel is never loaded."""
    full = f"# tracegrad codegen v{settings.CODEGEN_VERSION}, njit {settings.NJIT_OPTIONS}\n" \
        + source
    return "tracegrad_k" + hashlib.sha256(full.encode()).hexdigest()[:20], full


def _warn(message: str) -> None:
    warnings.warn(f"tracegrad: {message}", CacheWarning, stacklevel=5)


def _remove(path: str) -> None:
    """Delete a file, link or folder (a folder where a file belongs is a corrupt entry)."""
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.remove(path)
    except FileNotFoundError:
        pass


def write_source(name: str, source: str) -> str | None:
    """Make sure the kernel file exists with exactly this content (so its content still
    hashes to its name); returns its path (None for a memory-only cache). A mismatching
    entry (truncated, edited, a folder) is replaced, with a warning, and numba's compiled
    files for it are removed."""
    folder = cache_folder()
    if folder is None:
        return None
    path = os.path.join(folder, f"{name}.py")
    try:
        if stat.S_ISREG(os.lstat(path).st_mode):
            with open(path, encoding="utf-8", errors="replace") as f:
                current: str | None = f.read()
        else:
            current = ""  # a folder, link or device where the file belongs
    except OSError:
        current = None
    if current != source:
        if current is not None:
            _warn(f"kernel cache entry {path} did not match its name (truncated, modified "
                  "or not a file); rebuilding it")
            _remove(path)
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


# -- the folder: private to this user, or not used --------------------------------------------

def _make_private(path: str) -> None:
    """Create ``path`` (mode 0700) if it is missing; its parents get the usual mode."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)


def unsafe_reason(path: str) -> str | None:
    """Why code must not be loaded from folder ``path`` (None: it is trusted): another user
    owns it, or group or others may write it."""
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", path)
    if st.st_uid != os.geteuid():
        return f"owned by another user (uid {st.st_uid}; you are uid {os.geteuid()})"
    mode = stat.S_IMODE(st.st_mode)
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        who = " and ".join(w for w, bit in (("group", stat.S_IWGRP), ("others", stat.S_IWOTH))
                           if mode & bit)
        return f"writable by {who} (mode {mode:04o})"
    return None


def _choose_folder() -> str:
    """The platform folder if it is private and writable, else "" (memory only)."""
    root = settings.cache_dir
    path = os.path.join(root, platform_key())
    folders = (root, path, os.path.join(path, "__pycache__"))
    try:
        for d in folders:
            _make_private(d)
            reason = unsafe_reason(d)
            if reason is not None:
                if root not in _STATE["warned"]:
                    _STATE["warned"].add(root)
                    _warn(f"the kernel cache folder {d!r} is {reason}. Compiled kernels are "
                          "pickles that run code when loaded, so tracegrad will not load "
                          "them from there and caches kernels in memory for this process "
                          f"only. Make it private (chown it to yourself and chmod 700 {d!r}), "
                          "delete it, or set TRACEGRAD_CACHE_DIR to a folder only you can "
                          "write.")
                return ""
        fd, probe = tempfile.mkstemp(dir=path, prefix=".probe.")
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        if root not in _STATE["warned"]:
            _STATE["warned"].add(root)
            _warn(f"the kernel cache folder {root!r} cannot be written "
                  f"({err.strerror or err}); kernels are cached in memory for this process "
                  "only. Set TRACEGRAD_CACHE_DIR to a writable folder.")
        return ""
    return path


def cache_folder() -> str | None:
    """The trusted, writable folder for this platform, or None when the cache is memory-only."""
    folder = _STATE["dir"]
    if folder is None:
        with _LOCK:
            if _STATE["dir"] is None:
                _STATE["dir"] = _choose_folder()
            folder = _STATE["dir"]
    return folder or None


def reset() -> None:
    """Forget the chosen folder (after ``settings.cache_dir`` changes)."""
    with _LOCK:
        _STATE["dir"] = None


settings.on_change("cache_dir", reset)


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to a unique temporary file (mode 0600) beside ``path``, then rename it:
    readers see the old content or the new one, never a part, and threads never collide."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".",
                               prefix=os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            os.replace(tmp, path)
        except IsADirectoryError:  # a folder where the entry belongs: a corrupt entry
            _remove(path)
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


@contextlib.contextmanager
def file_lock(path: str) -> Iterator[None]:
    """An exclusive lock between processes (released if the holder dies). A folder in the
    lock file's place is removed (a corrupt entry)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except IsADirectoryError:
        _warn(f"kernel cache entry {path} was a folder; replacing it")
        _remove(path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def is_locked(path: str) -> bool:
    """Whether another process holds the lock at ``path`` now (a probe, not a wait)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def load_module(name: str, source: str) -> tuple[Any, bool]:
    """Import ``source`` as module ``name`` from a real file; returns (module, on_disk).

    The file's content is checked against ``source`` (a truncated or edited file is
    rewritten) and the module runs ``source`` itself, so what runs is what the name hashes.
    It is registered in ``sys.modules`` (which numba's cache needs to find it again) only
    after it has run, under a lock: other threads see it complete or not at all.
    """
    mod = sys.modules.get(name)
    if mod is None:
        with _LOCK:
            mod = sys.modules.get(name)
            if mod is None:
                mod = _load(name, source)
                sys.modules[name] = mod
    return mod, getattr(mod, "__tracegrad_on_disk__", False)


def _memory_folder() -> str:
    """A private temporary folder (0700) for this process's kernel files when the cache is
    memory-only, removed at exit."""
    folder = _STATE.get("memory")
    if folder is None or not os.path.isdir(folder):
        folder = _STATE["memory"] = tempfile.mkdtemp(prefix="tracegrad-mem-")
        atexit.register(_remove_memory_folder, folder, os.getpid())
    return folder


def _remove_memory_folder(folder: str, owner: int) -> None:
    if os.getpid() == owner:  # not from a forked child that exits normally
        shutil.rmtree(folder, ignore_errors=True)


def _load(name: str, source: str) -> Any:
    path = write_source(name, source)
    on_disk = path is not None
    if path is None:  # memory only: the file is there for tracebacks and inspect
        path = os.path.join(_memory_folder(), f"{name}.py")
        write_atomic(path, source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__tracegrad_on_disk__ = on_disk  # type: ignore[attr-defined]
    exec(compile(source, path, "exec"), module.__dict__)  # no .pyc is read or written
    return module


# -- numba's files: purge, manifest ------------------------------------------------------------

def _numba_files(name: str, folder: str) -> list[str]:
    """numba's files for module ``name`` (its temporary files excluded)."""
    pyc = os.path.join(folder, "__pycache__")
    try:
        names = os.listdir(pyc)
    except OSError:
        return []
    return sorted(f for f in names if f.startswith(name + ".") and ".tmp." not in f)


def purge(name: str, folder: str | None = None) -> None:
    """Delete numba's compiled files for module ``name`` and their manifest (they are rebuilt
    on demand)."""
    folder = folder or cache_folder()
    if not folder:
        return
    pyc = os.path.join(folder, "__pycache__")
    with contextlib.suppress(OSError):
        for f in os.listdir(pyc):
            if f.startswith(name + "."):
                _remove(os.path.join(pyc, f))
    _remove(manifest_path(name, folder))


def manifest_path(name: str, folder: str) -> str:
    return os.path.join(folder, f"{name}.manifest")


def _sha256(path: str) -> str | None:
    """The file's hash; None for anything but a readable regular file."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def _read_manifest(name: str, folder: str) -> dict[str, str] | None:
    try:
        with open(manifest_path(name, folder), encoding="utf-8") as f:
            data = json.load(f)
        files = data["files"]
        return files if isinstance(files, dict) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def verify(name: str, folder: str) -> str | None:
    """Why numba must not read its files for ``name`` (None: each one is in the manifest
    with the hash it has now). Call it holding the kernel's lock, before numba loads."""
    files = _numba_files(name, folder)
    if not files:
        return None
    recorded = _read_manifest(name, folder)
    if recorded is None:
        return "its compiled files have no valid manifest of their hashes"
    for f in files:
        if f not in recorded:
            return f"{f} is not in its manifest"
        if _sha256(os.path.join(folder, "__pycache__", f)) != recorded[f]:
            return f"{f} does not match the hash in its manifest"
    return None


def record(name: str, folder: str) -> None:
    """Write the manifest of numba's files for ``name`` (after numba saved them, holding the
    kernel's lock), making each file private to this user."""
    hashes = {}
    for f in _numba_files(name, folder):
        path = os.path.join(folder, "__pycache__", f)
        digest = _sha256(path)
        if digest is not None:
            with contextlib.suppress(OSError):
                os.chmod(path, 0o600)
            hashes[f] = digest
    write_atomic(manifest_path(name, folder),
                 json.dumps({"version": 1, "files": hashes}, indent=0, sort_keys=True))


def check_and_repair(name: str, folder: str) -> None:
    """Purge numba's files for ``name`` unless the manifest vouches for them (a warning
    says why)."""
    problem = verify(name, folder)
    if problem is not None:
        _warn(f"kernel cache entry {name} in {folder} failed its integrity check ({problem}); "
              "rebuilding it")
        purge(name, folder)


def lock_path(name: str, folder: str | None = None) -> str | None:
    folder = folder if folder is not None else cache_folder()
    return os.path.join(folder, f"{name}.lock") if folder else None


def info() -> dict[str, Any]:
    """Folder, number of kernels and bytes used by the persistent cache."""
    root = settings.cache_dir
    kernels = size = 0
    if os.path.isdir(root):
        for d, _, files in os.walk(root):
            for f in files:
                with contextlib.suppress(OSError):
                    size += os.path.getsize(os.path.join(d, f))
                kernels += f.startswith("tracegrad_k") and f.endswith(".py")
    return {"folder": root, "platform_folder": os.path.join(root, platform_key()),
            "kernels": kernels, "bytes": size, "writable": cache_folder() is not None}


def clear() -> None:
    """Delete the whole persistent cache (this process keeps what it has loaded)."""
    if os.path.isdir(settings.cache_dir):
        shutil.rmtree(settings.cache_dir, ignore_errors=True)
    reset()
