"""Run one command and measure it: wall time, CPU (rusage), peak RSS, sampled RSS of its process tree.

    python3 -S bench/measure.py RESULT.json TIMEOUT_S -- command args...

Why a separate small process: on exec, Linux records the RSS high-water mark of the
memory the new program replaces into the process's ``ru_maxrss``. A tool started
straight from the benchmark's own Python process (which may have grown parsing a big
JSON result) would inherit that high-water mark. Started from this small, fresh process,
a tool's ``ru_maxrss`` is its own (this launcher is ~10 MB, below any tool measured).

The command inherits this process's stdout and stderr. The result file gets one JSON
object: wall_s, user_s, sys_s (the command and every process it waited for), maxrss_kb
(the largest of them), tree_peak_kb (sum over the live process tree, sampled every 0.2 s),
exit_code, timed_out.
"""

import json
import os
import signal
import sys
import time

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    parent = {}
    rss = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(entry.name)
        parent[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * PAGE_KB
    total = 0
    for pid in rss:
        p = pid
        while p and p != root:
            p = parent.get(p, 0)
        if p == root:
            total += rss[pid]
    return total


def main() -> int:
    result_path, timeout = sys.argv[1], float(sys.argv[2])
    if sys.argv[3] != "--":
        raise SystemExit("usage: measure.py RESULT.json TIMEOUT_S -- command ...")
    cmd = sys.argv[4:]
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the command, in a process group of its own so that a timeout kills all of it
        os.setpgid(0, 0)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    stop = []

    def forward(signum, frame):  # the benchmark is being stopped: stop the command too
        stop.append(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    peak = 0
    timed_out = False
    while True:
        done, status, ru = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if stop or time.perf_counter() - t0 > timeout:
            timed_out = not stop
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            done, status, ru = os.wait4(pid, 0)
            break
        peak = max(peak, tree_rss_kb(pid))
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    with open(result_path, "w") as f:
        json.dump({"wall_s": wall, "user_s": ru.ru_utime, "sys_s": ru.ru_stime, "maxrss_kb": ru.ru_maxrss,
                   "tree_peak_kb": max(peak, ru.ru_maxrss), "exit_code": os.waitstatus_to_exitcode(status),
                   "timed_out": timed_out}, f)
    return 130 if stop else 0


if __name__ == "__main__":
    sys.exit(main())
