#!/usr/bin/env python3
"""Runs a command and reports its peak memory, split the way Linux accounts it:
VmHWM (peak RSS, what `/usr/bin/time -v` calls "Maximum resident set size") and the peaks of
RssAnon (heap, buffers, thread stacks) and RssFile (pages of mmap'ed files the process has touched;
these are page-cache pages the kernel can drop at any time, not memory the process allocated).

  bench/peak_rss.py [--label NAME] -- COMMAND ARGS...

Samples /proc/PID/status every 10 ms, so a peak shorter than that can be missed (VmHWM cannot:
the kernel keeps it). Prints one line on stderr; exits with the command's status.
"""
import subprocess
import sys
import time


def fields(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "RssAnon", "RssFile", "RssShmem"):
                    out[k] = int(v.split()[0])  # kB
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return out


def main():
    args = sys.argv[1:]
    label = None
    if args[:1] == ["--label"]:
        label, args = args[1], args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    p = subprocess.Popen(args)
    peak = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0, "RssShmem": 0}
    while p.poll() is None:
        for k, v in fields(p.pid).items():
            peak[k] = max(peak[k], v)
        time.sleep(0.01)
    mib = {k: v / 1024 for k, v in peak.items()}
    print(f"{label or args[0]}: peak RSS (VmHWM) {mib['VmHWM']:.1f} MiB; peaks of RssAnon {mib['RssAnon']:.1f} MiB, "
          f"RssFile {mib['RssFile']:.1f} MiB (mapped file pages), RssShmem {mib['RssShmem']:.1f} MiB; exit {p.returncode}", file=sys.stderr)
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
