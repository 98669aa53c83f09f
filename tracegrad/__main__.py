"""``python -m tracegrad info``: everything a bug report needs."""

from __future__ import annotations

import argparse
import os
import platform
import sys


def info_text() -> str:
    import llvmlite
    import numba
    import numpy as np

    import tracegrad
    from tracegrad.config import config

    lines = [f"tracegrad {tracegrad.__version__}", f"python {sys.version.split()[0]} "
             f"({platform.platform()})", f"numpy {np.__version__}", f"numba {numba.__version__}",
             f"llvmlite {llvmlite.__version__}"]
    try:
        from numba.core import config as nconfig
        from numba.misc.numba_sysinfo import get_sysinfo

        si = get_sysinfo()
        lines.append(f"cpu: {si.get('CPU Name', '?')}, {os.cpu_count()} cores")
        lines.append(f"cpu features: {si.get('CPU Features', '?')}")
        lines.append(f"numba threads: {nconfig.NUMBA_NUM_THREADS}, threading layer: "
                     f"{si.get('Threading Layer', numba.config.THREADING_LAYER)}")
    except Exception as err:  # noqa: BLE001  (sysinfo is best effort)
        lines.append(f"cpu info unavailable: {err}")
    from tracegrad import cache

    lines.append(cache.text())
    env = {k: v for k, v in os.environ.items() if k.startswith("TRACEGRAD_")}
    lines.append("settings: " + ", ".join(f"{k}={v}" for k, v in config.as_dict().items()))
    lines.append("TRACEGRAD_* environment: " + (", ".join(f"{k}={v}" for k, v in sorted(
        env.items())) or "none set"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tracegrad")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, CPU, threads, cache and settings for bug reports")
    c = sub.add_parser("cache", help="the persistent kernel cache: folder, entries, size")
    c.add_argument("--clear", action="store_true", help="delete every cached kernel")
    args = parser.parse_args(argv)
    if args.command == "info":
        print(info_text())
    elif args.command == "cache":
        from tracegrad import cache

        if args.clear:
            cache.clear()
            print("cache cleared")
        print(cache.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
