"""Check a built wheel and sdist: every package of the compiler is inside, installed as
tracegrad._compiler, and nothing installs a top-level ``compiler`` package."""

import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
folders = sorted(p.parent.relative_to(ROOT / "compiler")
                 for p in (ROOT / "compiler").rglob("__init__.py"))
modules = sorted(p.relative_to(ROOT / "compiler") for p in (ROOT / "compiler").rglob("*.py"))

wheel, sdist = sys.argv[1:3]
names = set(zipfile.ZipFile(wheel).namelist())
missing = [str(m) for m in modules if f"tracegrad/_compiler/{m.as_posix()}" not in names]
top_level = sorted(n for n in names if n.startswith("compiler/"))
assert not missing, f"the wheel lacks compiler modules: {missing}"
assert not top_level, f"the wheel installs a top-level compiler package: {top_level[:5]}"

with tarfile.open(sdist) as tar:
    members = {Path(*Path(n).parts[1:]).as_posix() for n in tar.getnames()}
missing = [str(m) for m in modules if f"compiler/{m.as_posix()}" not in members]
assert not missing, f"the sdist lacks compiler modules: {missing}"
print(f"dist check: {len(modules)} compiler modules in {len(folders)} packages, in the wheel "
      "(as tracegrad._compiler) and in the sdist")
