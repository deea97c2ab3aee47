"""ipv6scan benchmark: the floor, ipv6scan and its peers on the same hosts, side by side.

Run as root from the repository root (it creates network namespaces; ``sudo`` may pick
another Python: use the one that has ipv6scan's dependencies)::

    sudo "$(command -v python3)" -m bench                     # 1k and 10k hosts, every tool
    sudo "$(command -v python3)" -m bench --huge              # + 100k hosts (floor and ipv6scan)
    sudo "$(command -v python3)" -m bench --smoke             # 50 hosts, floor + ipv6scan, seconds

It brings up its own lab (``bench/lab.py``: BIND authoritative for a wildcard zone, nginx
with wildcard certificates on both families, in namespaces ``ipv6bench-<pid>-srv`` and
``-cli``, always torn down), then runs in the client namespace, one after the other:

* ``floor``    bench/floor.py: raw asyncio doing the same network work per host;
* ``ipv6scan`` the real CLI, full scan (``--no-zone``: the wildcard zone has no mail);
* ``sslyze``   ``python -m sslyze --certinfo`` (PyPI sslyze, in its own venv under /tmp);
* ``dig+curl`` what an admin writes by hand: ``xargs -P 32`` of 2 ``dig`` + 4 ``curl``.

For each it measures wall time, hosts/s, client CPU (user + system of the process and
every process it waited for, from ``wait4``) per host, peak RSS (the largest process),
the sampled peak RSS of its whole process tree, and the servers' CPU per host; then it
prints the table and the ratios against the issue's targets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import signal
import sqlite3
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python3 bench/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lab import (ALLOW_SPECIAL, DNS_V4, LATE_S, MIXED_ADDRESSES, BenchLab, LabError, LabUnavailable, host_name,
                       mixed_name, stale_labs,
                       unavailable_reason)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SSLYZE_VENV = Path("/tmp/ipv6bench-sslyze-venv")
TOOLS = ("floor", "ipv6scan", "sslyze", "dig+curl")
HUGE = 100_000
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The targets (2-core machine).
TARGET_FLOOR_RATIO, AIM_FLOOR_RATIO = 0.6, 0.8
TARGET_SSLYZE_RATIO = 5.0
TARGET_RSS_MB = 150.0
TARGET_CPU_RATIO = 1.25  # issue 16: one process's CPU per host at most 1.25x the floor's


@dataclass
class Run:
    tool: str
    size: int
    hosts: int = 0  # hosts the tool reported on
    ok: int = 0  # hosts fully answered (see each parser)
    wall_s: float = 0.0
    cpu_s: float = 0.0  # user + system, the process and its waited-for descendants
    sys_s: float = 0.0  # of which in the kernel (system calls: sockets, files)
    peak_rss_mb: float = 0.0  # the largest single process (ru_maxrss)
    tree_rss_mb: float = 0.0  # the whole process tree, sampled every 0.2 s
    server_cpu_s: float = 0.0  # named + nginx during the run
    rest_cpu_s: float = 0.0  # the rest of the machine: other processes, softirq, steal (disturbance)
    exit_code: int = 0
    note: str = ""
    skipped: str = ""  # why the tool did not run
    stderr_problems: int = 0  # ipv6scan: tracebacks and the event loop's reports on its stderr (should be none)

    @property
    def hosts_per_s(self) -> float:
        return self.size / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_ms_per_host(self) -> float:
        return 1000 * self.cpu_s / self.size if self.size else 0.0

    @property
    def sys_ms_per_host(self) -> float:
        return 1000 * self.sys_s / self.size if self.size else 0.0

    @property
    def hosts_per_cpu_s(self) -> float:
        """Hosts per second of client CPU: what the tool would do with a core to itself (robust to a busy machine)."""
        return self.size / self.cpu_s if self.cpu_s else 0.0

    @property
    def rest_cores(self) -> float:
        return self.rest_cpu_s / self.wall_s if self.wall_s else 0.0

    @property
    def server_ms_per_host(self) -> float:
        return 1000 * self.server_cpu_s / self.size if self.size else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "hosts_per_s": round(self.hosts_per_s, 1),
                "cpu_ms_per_host": round(self.cpu_ms_per_host, 2), "hosts_per_cpu_s": round(self.hosts_per_cpu_s, 1),
                "rest_cores": round(self.rest_cores, 2),
                "server_ms_per_host": round(self.server_ms_per_host, 2)}


@dataclass
class Bench:
    args: argparse.Namespace
    lab: BenchLab
    work: Path
    runs: list[Run] = field(default_factory=list)
    ipv6scan_flags: list[str] = field(default_factory=list)

    # ------------------------------------------------------------ measuring

    def measure(self, run: Run, cmd: list[str], *, stdout: Path, env: dict | None = None) -> Run:
        """Run cmd (already wrapped for the client namespace) under bench/measure.py; fill in the figures."""
        srv0, busy0 = server_cpu(self.lab), machine_busy()
        result = stdout.with_suffix(".measure.json")
        launcher = [sys.executable, "-S", str(HERE / "measure.py"), str(result), str(self.args.run_timeout), "--"]
        with open(stdout, "wb") as out, open(stdout.with_suffix(".err"), "wb") as err:
            proc = subprocess.Popen([*launcher, *cmd], stdout=out, stderr=err, env=env or os.environ.copy(),
                                    cwd=REPO, start_new_session=True)
            try:
                proc.wait()
            except BaseException:
                proc.terminate()  # the launcher kills the command's process group, then exits
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                raise
        m = json.loads(result.read_text())
        result.unlink()
        run.wall_s, run.exit_code = m["wall_s"], m["exit_code"]
        run.cpu_s, run.sys_s = m["user_s"] + m["sys_s"], m["sys_s"]
        run.peak_rss_mb, run.tree_rss_mb = m["maxrss_kb"] / 1024, m["tree_peak_kb"] / 1024
        if m["timed_out"]:
            run.note = f"killed after {self.args.run_timeout:g} s"
        run.server_cpu_s = server_cpu(self.lab) - srv0
        run.rest_cpu_s = max(0.0, machine_busy() - busy0 - run.cpu_s - run.server_cpu_s)
        return run

    def targets(self, size: int, *, suffix: str = "") -> Path:
        path = self.work / f"hosts-{size}{suffix}.txt"
        if not path.exists():
            with open(path, "w", encoding="ascii") as f:
                for i in range(size):
                    f.write(host_name(i, self.lab.groups) + (":443" if suffix else "") + "\n")
        return path

    # ------------------------------------------------------------ the tools

    def floor_cmd(self, size: int) -> list[str]:
        cmd = [sys.executable, str(HERE / "floor.py"), "--targets", str(self.targets(size)), "--resolver", DNS_V4,
               "--ca", str(self.lab.ca_bundle), "--concurrency", str(self.args.concurrency),
               "--loop", self.args.floor_loop]
        if "--no-tls-versions" not in self.ipv6scan_flags:
            cmd.append("--tls-versions")  # the same network work as ipv6scan's: a handshake per TLS version
        return cmd

    def floor(self, size: int) -> Run:
        run = Run("floor", size)
        out = self.work / f"floor-{size}.json"
        self.measure(run, self.lab.client_cmd(self.floor_cmd(size)), stdout=out)
        try:
            result = json.loads(out.read_text().strip().splitlines()[-1])
            run.hosts, run.ok = result["hosts"], result["ok"]
            if result["failures"]:
                run.note = "failures: " + ", ".join(f"{k} ×{v}" for k, v in result["failures"].items())
        except (IndexError, ValueError, KeyError):
            run.note = f"no result (exit {run.exit_code}): {tail(out.with_suffix('.err'))}"
        return run

    def ipv6scan_cmd(self, targets: Path, output: Path) -> list[str]:
        cmd = [sys.executable, "-m", "ipv6scan", "scan", str(targets), "--resolver", DNS_V4,
               "--ca-bundle", str(self.lab.ca_bundle), "--ipv6", "yes", "--no-zone", "--format", "jsonl",
               "-o", str(output), "--no-save", "--concurrency", str(self.args.concurrency), *self.ipv6scan_flags]
        for prefix in ALLOW_SPECIAL:
            cmd += ["--allow-special", prefix]
        return cmd

    def mixed(self, size: int) -> str:
        """The mixed population (issue 16): ipv6scan with its default options against the ideal schedule."""
        from ipv6scan.config import DEFAULTS
        from ipv6scan.probe.web import dead_address_wait

        targets = self.work / f"hosts-mixed-{size}.txt"
        targets.write_text("".join(mixed_name(i, self.lab.groups) + "\n" for i in range(size)), encoding="ascii")
        out = self.work / f"ipv6scan-mixed-{size}.jsonl"
        cmd = self.ipv6scan_cmd(targets, out)
        at = cmd.index("--concurrency")
        del cmd[at:at + 2]  # ipv6scan's own default concurrency, as a user would run it
        db = self.work / "mixed-history.sqlite"  # and its history database, on by default (a fresh one)
        for old in self.work.glob(db.name + "*"):
            old.unlink()
        cmd = [arg for arg in cmd if arg != "--no-db"] + ["--db", str(db)]
        run = Run("ipv6scan mixed", size)
        self.measure(run, self.lab.client_cmd(cmd), stdout=self.work / f"ipv6scan-mixed-{size}.stdout")
        elapsed: dict[str, list[float]] = {}
        verdicts: dict[str, dict[str, int]] = {}
        late_connections: dict[str, int] = {}  # per late IPv6 address: the connections made to it
        shared = 0
        with open(out, "rb") as f:
            for raw in f:
                line = json.loads(raw)
                if "facts" not in line:
                    continue
                host = line["facts"]["host"]
                kind = {"d": "dead", "l": "late", "r": "refuse"}.get(host[0], "healthy")
                elapsed.setdefault(kind, []).append(line["facts"]["elapsed_ms"] / 1000)
                v = verdicts.setdefault(kind, {})
                v[line["result"]["verdict"]] = v.get(line["result"]["verdict"], 0) + 1
                shared += sum(1 for p in line["facts"]["web"] if p.get("connect_shared"))
                if kind == "late":
                    for p in line["facts"]["web"]:
                        if ":" in p["address"]:
                            versions = (p.get("tls") or {}).get("versions") or []
                            late_connections[p["address"]] = late_connections.get(p["address"], 0) + max(
                                1, p.get("attempts", 1)) + len(p.get("hops") or [None]) - 1 + sum(
                                1 for t in versions if t.get("how") == "alone")
        out.unlink(missing_ok=True)
        ideal, parts = ideal_schedule(elapsed, concurrency=DEFAULTS.concurrency,
                                      dead_s=dead_address_wait(DEFAULTS.connect_timeout, DEFAULTS.retries),
                                      late_s=LATE_S, late_connections=late_connections,
                                      per_address=DEFAULTS.per_address_connections)
        tb, first = stderr_problems(self.work / f"ipv6scan-mixed-{size}.err")
        lines = [f"mixed population, {size} hosts (per 100: 20 on {MIXED_ADDRESSES} shared black-holed IPv6 "
                 f"addresses, 5 whose IPv6 answers {LATE_S:g} s late, 2 refusing; ipv6scan defaults)",
                 f"  ipv6scan: {run.wall_s:.1f} s wall, {run.cpu_s * 1000 / size:.2f} ms CPU/host, "
                 f"peak RSS {run.peak_rss_mb:.0f} MB, {sum(map(len, elapsed.values()))}/{size} records, "
                 f"{shared} probes answered by shared connect facts, {saved_hosts(db)} hosts in its history database"
                 + (f", stderr: {tb} problems ({first})" if tb else ""),
                 f"  ideal schedule from the same run: {ideal:.1f} s ({parts})",
                 f"  ipv6scan ÷ ideal: {run.wall_s / ideal:.2f} (target ≤ 1.5: {'met' if run.wall_s <= 1.5 * ideal else 'NOT met'})"]
        for kind in ("healthy", "dead", "late", "refuse"):
            times = sorted(elapsed.get(kind, []))
            if times:
                lines.append(f"    {kind:8} {len(times):6} hosts, elapsed median {times[len(times) // 2]:.2f} s, "
                             f"max {times[-1]:.2f} s; verdicts {dict(sorted(verdicts[kind].items()))}")
        return "\n".join(lines)

    def ipv6scan(self, size: int) -> Run:
        run = Run("ipv6scan", size)
        out = self.work / f"ipv6scan-{size}.jsonl"
        self.measure(run, self.lab.client_cmd(self.ipv6scan_cmd(self.targets(size), out)),
                     stdout=self.work / f"ipv6scan-{size}.stdout")
        try:
            with open(out, "rb") as f:
                f.seek(max(0, os.path.getsize(out) - 4096))
                summary = json.loads(f.read().splitlines()[-1])
            run.hosts = summary["hosts"]
            run.ok = summary["verdicts"].get("ready", 0)
            others = {k: v for k, v in summary["verdicts"].items() if k != "ready"}
            if others:
                run.note = "verdicts: " + ", ".join(f"{k} ×{v}" for k, v in others.items())
        except (OSError, IndexError, ValueError, KeyError):
            run.note = f"no summary (exit {run.exit_code}): {tail(self.work / f'ipv6scan-{size}.err')}"
        run.stderr_problems, first = stderr_problems(self.work / f"ipv6scan-{size}.err")
        if run.stderr_problems:
            run.note = (run.note + "; " if run.note else "") + f"stderr: {run.stderr_problems} problems ({first})"
        out.unlink(missing_ok=True)  # 10k hosts make ~40 MB of JSON Lines
        return run

    def sslyze(self, size: int) -> Run:
        run = Run("sslyze", size)
        reason = ensure_sslyze(self.args.sslyze_venv)
        if reason:
            run.skipped = reason
            return run
        out = self.work / f"sslyze-{size}.json"
        cmd = [str(self.args.sslyze_venv / "bin" / "python"), "-m", "sslyze", "--quiet", "--mozilla_config", "disable",
               "--certinfo", "--certinfo_ca_file", str(self.lab.ca_bundle),
               "--targets_in", str(self.targets(size, suffix="-443")), "--json_out", str(out)]
        self.measure(run, self.lab.client_cmd(cmd), stdout=self.work / f"sslyze-{size}.stdout")
        try:
            results = json.loads(out.read_text())["server_scan_results"]
            run.hosts = len(results)
            for r in results:
                cert = ((r.get("scan_result") or {}).get("certificate_info") or {})
                deployments = (cert.get("result") or {}).get("certificate_deployments") or []
                trusted = any(v.get("was_validation_successful") for d in deployments
                              for v in d.get("path_validation_results", []))
                run.ok += r.get("scan_status") == "COMPLETED" and cert.get("status") == "COMPLETED" and trusted
        except (OSError, ValueError, KeyError, TypeError) as e:
            run.note = f"no result (exit {run.exit_code}, {type(e).__name__}): {tail(out.with_suffix('.err'))}"
        out.unlink(missing_ok=True)
        run.note = (run.note + "; " if run.note else "") + "certificate only, IPv4 only"
        return run

    def pipeline(self, size: int) -> Run:
        run = Run("dig+curl", size)
        ca = shlex.quote(str(self.lab.ca_bundle))
        per_host = (
            f'dig +short +time=3 +tries=2 A "$0" @{DNS_V4} >/dev/null; '
            f'dig +short +time=3 +tries=2 AAAA "$0" @{DNS_V4} >/dev/null; '
            'for fam in -4 -6; do '
            'curl $fam -s -o /dev/null --max-time 15 -w "$0 %{http_code}\\n" "http://$0/"; '
            f'curl $fam -s -o /dev/null --max-time 15 --cacert {ca} -w "$0 %{{http_code}}\\n" "https://$0/"; '
            'done'
        )
        script = (f"xargs -P {self.args.pipeline_parallel} -n 1 sh -c {shlex.quote(per_host)} "
                  f"< {shlex.quote(str(self.targets(size)))}")
        out = self.work / f"pipeline-{size}.txt"
        self.measure(run, self.lab.client_cmd(["sh", "-c", script]), stdout=out)
        codes: dict[str, int] = {}
        with open(out, encoding="ascii", errors="replace") as f:
            for line in f:
                host, _, code = line.strip().rpartition(" ")
                codes[host] = codes.get(host, 0) + (code == "200")
        run.hosts = len(codes)
        run.ok = sum(1 for n in codes.values() if n == 4)
        out.unlink(missing_ok=True)
        return run

    # ------------------------------------------------------------ profile

    def profile(self, size: int, out_dir: Path) -> None:
        """ipv6scan (and the floor, when it is among the tools) under py-spy (not measured): a flame graph
        and the top functions of each, to compare where the time goes."""
        py_spy = shutil_which("py-spy")
        if py_spy is None:
            print("profile: py-spy is not installed (pip install py-spy): skipped")
            return
        out_dir.mkdir(parents=True, exist_ok=True)
        scan_out = self.work / f"profile-{size}.jsonl"
        commands = {"ipv6scan": self.ipv6scan_cmd(self.targets(size), scan_out)}
        if "floor" in self.args.tools:
            commands["floor"] = self.floor_cmd(size)
        for tool, command in commands.items():
            raw = out_dir / f"{tool}-{size}.collapsed.txt"
            svg = out_dir / f"{tool}-{size}.svg"
            for fmt, path in (("raw", raw), ("flamegraph", svg)):
                cmd = [py_spy, "record", "--rate", "200", "--format", fmt, "--output", str(path), "--", *command]
                proc = subprocess.run(self.lab.client_cmd(cmd), cwd=REPO, capture_output=True)
                if fmt == "raw":  # what the tool (and py-spy) said, kept beside the profile
                    (out_dir / f"{tool}-{size}.log").write_bytes(proc.stdout[-20000:] + proc.stderr[-200000:])
                scan_out.unlink(missing_ok=True)
            if raw.exists():
                print(f"\nprofile of {tool} on {size} hosts: {svg} (flame graph), {raw} (collapsed stacks)")
                print(summarise_profile(raw))

    def history_cost(self, size: int, fsync_ms: float) -> str:
        """ipv6scan with its history database on (a fresh one per run, as by default), on this disk and with
        every fsync of the process ``fsync_ms`` slower (``strace --inject``: a spinning disk's fsync), against
        ``--no-db``: wall time and CPU per host, and the hosts the database holds at the end."""
        strace = shutil_which("strace")
        if strace is None:
            return "history database: strace is not installed (apt-get install strace): skipped"
        out = self.work / f"history-{size}.jsonl"
        lines = [f"history database, {size} hosts (each run: a fresh database; fsync slowed with strace --inject)"]
        for label, db, delay_ms in (("--no-db", None, 0.0), ("history database", "h0", 0.0),
                                    (f"history database, fsync +{fsync_ms:g} ms", "h1", fsync_ms)):
            cmd = self.ipv6scan_cmd(self.targets(size), out)
            if "--no-db" in cmd:
                cmd.remove("--no-db")
            path = self.work / f"{db}.sqlite" if db else None
            if path is None:
                cmd.append("--no-db")
            else:
                for old in self.work.glob(f"{db}.sqlite*"):
                    old.unlink()
                cmd += ["--db", str(path)]
            if delay_ms:
                cmd = [strace, "-f", "--seccomp-bpf", "-e", "trace=fsync,fdatasync", "-o", "/dev/null",
                       "-e", f"inject=fsync,fdatasync:delay_exit={round(delay_ms * 1000)}", *cmd]
            run = Run(f"ipv6scan, {label}", size)
            self.measure(run, self.lab.client_cmd(cmd), stdout=self.work / f"history-{size}.stdout")
            saved = f", {saved_hosts(path)} hosts in the database" if path is not None else ""
            lines.append(f"  {label:<34} wall {run.wall_s:6.1f} s   CPU {run.cpu_ms_per_host:5.2f} ms/host"
                         f"   exit {run.exit_code}{saved}")
            out.unlink(missing_ok=True)
        return "\n".join(lines)

    def pairs(self, size: int) -> None:
        """The floor and ipv6scan one after the other, ``--pairs`` times: this machine's speed drifts by a
        fifth within minutes, so each pair's CPU ratio is taken in one window and the median is the figure.
        The order turns at every pair (floor first, then ipv6scan first: a drift within a pair favours
        neither), and each tool's fastest run gives a second figure, what each costs outside slow spells."""
        floors: list[Run] = []
        scans: list[Run] = []
        for i in range(self.args.pairs):
            if i % 2 == 0:
                floor, scan = self.floor(size), self.ipv6scan(size)
            else:
                scan, floor = self.ipv6scan(size), self.floor(size)
            ratio = scan.cpu_ms_per_host / floor.cpu_ms_per_host if floor.cpu_ms_per_host else float("nan")
            print(f"  {size} hosts, pair {i + 1}{'' if i % 2 == 0 else ' (ipv6scan first)'}: floor "
                  f"{floor.cpu_ms_per_host:.2f} ms/host ({floor.sys_ms_per_host:.2f} in the kernel; {floor.ok}/{size} "
                  f"ok), ipv6scan {scan.cpu_ms_per_host:.2f} ms/host ({scan.sys_ms_per_host:.2f} in the kernel; "
                  f"{scan.ok}/{size} ok, peak RSS {scan.peak_rss_mb:.0f} MB): CPU ratio {ratio:.2f}", flush=True)
            floors.append(floor)
            scans.append(scan)
            self.runs += [floor, scan]
        print(pairs_text(size, floors, scans), flush=True)

    # ------------------------------------------------------------ main loop

    def main(self) -> int:
        print(machine_text())
        print(f"lab: BIND authoritative for *.g<k>.bench.example ({self.lab.groups} address pairs), "
              f"nginx 1 worker, wildcard certificate per group; client concurrency {self.args.concurrency} "
              f"(floor, ipv6scan), xargs -P {self.args.pipeline_parallel} (dig+curl), sslyze defaults")
        print(f"floor loop: {self.args.floor_loop}; ipv6scan scan flags: {' '.join(self.ipv6scan_flags) or '-'}")
        warm = self.floor(min(200, max(self.args.sizes or [200])))
        if warm.ok != warm.hosts or warm.hosts == 0:
            print(f"warm-up failed: the floor answered {warm.ok}/{warm.hosts}: {warm.note}")
            return 1
        print(f"warm-up: floor {warm.ok}/{warm.hosts} ok\n", flush=True)
        for size in self.args.sizes:
            for tool in self.args.tools:
                peer = tool in ("sslyze", "dig+curl")
                if size >= HUGE and peer:
                    continue
                if peer and self.args.peer_max and size > self.args.peer_max:
                    self.runs.append(Run(tool, size, skipped=f"--peer-max {self.args.peer_max}"))
                    continue
                if self.args.pairs and tool in ("floor", "ipv6scan"):
                    if tool == "floor":
                        self.pairs(size)
                    continue
                tries = 1 if peer else max(1, self.args.repeat)
                done = []
                for _ in range(tries):
                    print(f"  {size} hosts: {tool} ...", end="", flush=True)
                    run = {"floor": self.floor, "ipv6scan": self.ipv6scan, "sslyze": self.sslyze,
                           "dig+curl": self.pipeline}[tool](size)
                    print(f" {run.skipped or f'{run.wall_s:.1f} s, {run.ok}/{size} ok'}", flush=True)
                    done.append(run)
                best = max(done, key=lambda r: r.hosts_per_s)
                if tries > 1:
                    walls = ", ".join(f"{r.wall_s:.1f}" for r in done)
                    best.note = (best.note + "; " if best.note else "") + f"fastest of {tries} runs ({walls} s)"
                self.runs.append(best)
            print()
            print(table(self.runs, size))
            print(flush=True)
        print(verdict_text(self.runs))
        if self.args.json:
            self.args.json.write_text(json.dumps({"machine": machine_facts(), "args": {
                "sizes": self.args.sizes, "concurrency": self.args.concurrency, "groups": self.lab.groups,
                "pipeline_parallel": self.args.pipeline_parallel, "ipv6scan_flags": self.ipv6scan_flags,
                "floor_loop": self.args.floor_loop,
                "repeat": self.args.repeat},
                "runs": [r.as_dict() for r in self.runs]}, indent=1))
            print(f"\nresults: {self.args.json}")
        if self.args.history_fsync_ms is not None:
            for size in self.args.sizes:
                print(self.history_cost(size, self.args.history_fsync_ms), flush=True)
        if self.args.mixed:
            print(f"  {self.args.mixed} hosts: ipv6scan, mixed population ...", flush=True)
            print(self.mixed(self.args.mixed), flush=True)
        if self.args.profile:
            self.profile(min(self.args.sizes), self.args.profile)
        core = [r for r in self.runs if r.tool in ("floor", "ipv6scan") and not r.skipped]
        return 0 if all(r.ok == r.size and r.exit_code == 0 and not r.stderr_problems for r in core) else 1


# ---------------------------------------------------------------- reporting


def table(runs: list[Run], size: int) -> str:
    rows = [r for r in runs if r.size == size]
    floor = next((r for r in rows if r.tool == "floor" and r.wall_s), None)
    scan = next((r for r in rows if r.tool == "ipv6scan" and r.wall_s), None)
    head = ["tool", "ok/hosts", "wall s", "hosts/s", "CPU ms/host", "hosts/CPU-s", "peak RSS MB", "tree RSS MB",
            "server CPU ms/host", "rest cores", "÷ floor", "ipv6scan ×"]
    lines = [head]
    notes = []
    for r in rows:
        if r.skipped:
            lines.append([r.tool, "skipped"] + [""] * (len(head) - 2))
            notes.append(f"{r.tool}: {r.skipped}")
            continue
        vs_floor = f"{r.hosts_per_s / floor.hosts_per_s:.2f}" if floor and floor.hosts_per_s else "-"
        scan_x = f"{scan.hosts_per_s / r.hosts_per_s:.2f}" if scan and r.hosts_per_s else "-"
        lines.append([r.tool, f"{r.ok}/{r.size}" + ("" if r.ok == r.size else " !"), f"{r.wall_s:.1f}",
                      f"{r.hosts_per_s:.1f}", f"{r.cpu_ms_per_host:.2f}", f"{r.hosts_per_cpu_s:.0f}",
                      f"{r.peak_rss_mb:.0f}", f"{r.tree_rss_mb:.0f}", f"{r.server_ms_per_host:.2f}",
                      f"{r.rest_cores:.2f}", vs_floor, scan_x])
        if r.note:
            notes.append(f"{r.tool}: {r.note}")
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = [f"{size} hosts"]
    for n, line in enumerate(lines):
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    out += [f"  note: {n}" for n in notes]
    out.append("  (hosts/CPU-s: hosts per second of the tool's own CPU time; rest cores: CPU the rest of the machine "
               "used meanwhile - other jobs, softirq, steal - high means a disturbed run)")
    return "\n".join(out)


def markdown(runs: list[Run]) -> str:
    """The tables as Markdown, one row per tool and size (for bench/RESULTS.md)."""
    out = ["| hosts | tool | ok | wall s | hosts/s | CPU ms/host | hosts/CPU-s | peak RSS MB | tree RSS MB "
           "| server CPU ms/host | rest cores | ÷ floor | ipv6scan × |", "|" + "---|" * 13]
    for size in sorted({r.size for r in runs}):
        rows = [r for r in runs if r.size == size and not r.skipped]
        floor = next((r for r in rows if r.tool == "floor"), None)
        scan = next((r for r in rows if r.tool == "ipv6scan"), None)
        for r in rows:
            vs_floor = f"{r.hosts_per_s / floor.hosts_per_s:.2f}" if floor and floor.hosts_per_s else "-"
            scan_x = f"{scan.hosts_per_s / r.hosts_per_s:.2f}" if scan and r.hosts_per_s else "-"
            out.append(f"| {size} | {r.tool} | {r.ok}/{r.size} | {r.wall_s:.1f} | {r.hosts_per_s:.1f} "
                       f"| {r.cpu_ms_per_host:.2f} | {r.hosts_per_cpu_s:.0f} | {r.peak_rss_mb:.0f} "
                       f"| {r.tree_rss_mb:.0f} "
                       f"| {r.server_ms_per_host:.2f} | {r.rest_cores:.2f} | {vs_floor} | {scan_x} |")
    return "\n".join(out)


def render(path: Path) -> int:
    """Print a saved --json result again: the tables, the verdict and the Markdown table."""
    data = json.loads(path.read_text())
    names = set(Run.__dataclass_fields__)
    runs = [Run(**{k: v for k, v in r.items() if k in names}) for r in data["runs"]]
    m = data["machine"]
    print(f"{m['date']}: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}, Python {m['python']}, "
          f"ipv6scan {m['ipv6scan']}")
    for size in sorted({r.size for r in runs}):
        print(table(runs, size), end="\n\n")
    print(verdict_text(runs), end="\n\n")
    print(markdown(runs))
    return 0


def verdict_text(runs: list[Run]) -> str:
    def get(tool: str, size: int) -> Run | None:
        return next((r for r in runs if r.tool == tool and r.size == size and r.wall_s and not r.skipped), None)

    sizes = sorted({r.size for r in runs})
    out = ["ipv6scan against the issue's targets (2 cores):"]
    for size in sizes:
        scan, floor, sslyze, pipe = (get(t, size) for t in ("ipv6scan", "floor", "sslyze", "dig+curl"))
        if not scan:
            continue
        parts = []
        if floor:
            ratio = scan.hosts_per_s / floor.hosts_per_s
            mark = "met" if ratio >= TARGET_FLOOR_RATIO else "NOT met"
            parts.append(f"÷ floor {ratio:.2f} (target ≥ {TARGET_FLOOR_RATIO}, aim {AIM_FLOOR_RATIO}: {mark}; "
                         f"per CPU-second {scan.hosts_per_cpu_s / floor.hosts_per_cpu_s:.2f})")
        if sslyze:
            ratio = scan.hosts_per_s / sslyze.hosts_per_s
            mark = "met" if ratio >= TARGET_SSLYZE_RATIO else "NOT met"
            parts.append(f"× sslyze {ratio:.1f} (target ≥ {TARGET_SSLYZE_RATIO:g}: {mark})")
        if pipe:
            parts.append(f"× dig+curl {scan.hosts_per_s / pipe.hosts_per_s:.1f}")
        mark = "met" if scan.peak_rss_mb <= TARGET_RSS_MB else "NOT met"
        parts.append(f"peak RSS {scan.peak_rss_mb:.0f} MB (target ≤ {TARGET_RSS_MB:g}: {mark})")
        out.append(f"  {size:>6} hosts: " + "; ".join(parts))
    scans = [get("ipv6scan", s) for s in sizes]
    scans = [s for s in scans if s]
    if len(scans) >= 2:
        lo, hi = scans[0], scans[-1]
        growth = hi.peak_rss_mb - lo.peak_rss_mb
        flat = growth <= max(15.0, 0.15 * lo.peak_rss_mb)
        out.append(f"  RSS from {lo.size} to {hi.size} hosts: {lo.peak_rss_mb:.0f} -> {hi.peak_rss_mb:.0f} MB "
                   f"({growth:+.0f} MB: {'flat' if flat else 'NOT flat'})")
    return "\n".join(out)


def summarise_profile(raw: Path, top: int = 25) -> str:
    """Top functions by inclusive and by self time, from py-spy's collapsed stacks."""
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        total += count
        frames = stack.split(";")
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for f in set(frames):
            incl[f] = incl.get(f, 0) + count
    if not total:
        return "  (no samples)"
    buckets: dict[str, int] = {}
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if n.isdigit():
            label = bucket(stack)
            buckets[label] = buckets.get(label, 0) + int(n)

    def fmt(d: dict[str, int]) -> list[str]:
        return [f"  {100 * n / total:5.1f}%  {f[:140]}" for f, n in sorted(d.items(), key=lambda kv: -kv[1])[:top]]

    return "\n".join([f"  {total} samples", "  where the time goes (each sample counted once, first match below):",
                      *fmt(buckets), "  inclusive:", *fmt(incl), "  self:", *fmt(own)])


# (label, substrings of a stack): the first bucket whose substring the stack holds takes the sample.
BUCKETS = [
    ("startup: imports", ("_find_and_load",)),
    ("parity: page normalising and comparing (probe/parity.py)", ("probe/parity.py",)),
    ("TLS handshake (OpenSSL, incl. chain verification)", ("do_handshake",)),
    ("certificate facts (probe/tls.py)", ("ipv6scan/probe/tls.py",)),
    ("DNS: dnspython messages, shared UDP sockets (probe/dns.py)", ("dns/asyncquery", "ipv6scan/probe/dns.py")),
    ("checks: judge (checks.py)", ("ipv6scan/checks.py",)),
    ("output: JSON Lines (output.py)", ("ipv6scan/output.py",)),
    ("title / sha256 / headers (probe/web.py helpers)", ("_title (", "_read_head (")),
    ("HTTP client: httpx types + h11 + our transport (probe/_http.py)",
     ("httpx/", "httpcore/", "anyio/", "h11/", "ipv6scan/probe/_http.py")),
    ("web prober (probe/web.py, rest)", ("probe/web.py",)),
    ("scan / runner / politeness (scan.py, runner.py, polite.py)", ("ipv6scan/scan.py", "ipv6scan/runner.py",
                                                                    "ipv6scan/polite.py")),
    ("asyncio event loop, sockets (outside the above)", ("asyncio/",)),
]


def bucket(stack: str) -> str:
    for label, needles in BUCKETS:
        if any(n in stack for n in needles):
            return label
    return "other"


# ---------------------------------------------------------------- facts and helpers


def machine_facts() -> dict:
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass

    def version(cmd: list[str], pattern: str = r"[\d.]+[\w.-]*") -> str:
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            m = re.search(pattern, p.stdout + p.stderr)
            return m.group(0) if m else "?"
        except (OSError, subprocess.SubprocessError):
            return "missing"

    commit = version(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], r"[0-9a-f]{7,}")
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "ipv6scan"], capture_output=True,
                           text=True).stdout.strip()
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
        "python": platform.python_version(),
        "ipv6scan": f"{commit}{' + uncommitted changes' if dirty else ''}",
        "named": version(["named", "-v"], r"BIND [\d.]+\S*"), "nginx": version(["nginx", "-v"], r"nginx/[\d.]+"),
        "curl": version(["curl", "--version"], r"curl [\d.]+"), "dig": version(["dig", "-v"], r"DiG [\d.]+\S*"),
    }


def machine_text() -> str:
    m = machine_facts()
    return (f"ipv6scan benchmark, {m['date']}\nmachine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}, "
            f"Python {m['python']}\nsoftware: ipv6scan {m['ipv6scan']}, {m['named']}, {m['nginx']}, {m['curl']}, "
            f"{m['dig']}")


def server_cpu(lab: BenchLab) -> float:
    """CPU seconds used so far by every process in the server namespace (named, nginx)."""
    total = 0
    for pid in lab.server_processes():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


def machine_busy() -> float:
    """CPU seconds the whole machine was busy (or stolen by the hypervisor) since boot, all cores."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def ideal_schedule(elapsed: dict[str, list[float]], *, concurrency: int, dead_s: float, late_s: float = 0.0,
                   late_connections: dict[str, int] | None = None, per_address: int = 4) -> tuple[float, str]:
    """The shortest wall time any schedule could reach with this concurrency and politeness, from one run.

    A healthy host costs what it took. A host on a dead or refusing IPv6 address costs only its IPv4 work
    (the healthy median): its IPv6 outcome can be known once per address. A late host costs at least two
    late answers (its HTTP and HTTPS requests at once, then its TLS versions at once) and its IPv4 work,
    or what it took if that was less: the time it queued for its address is counted by the politeness
    bound instead. Ideal = the largest of (all that work spread over ``concurrency`` slots), (one connect
    timeout and its retry, staggered: ``dead_s``, to learn the dead addresses, plus one host) and (the politeness
    bound: the busiest late address's connections, ``late_s`` each, ``per_address`` at a time).
    """
    healthy = sorted(elapsed.get("healthy", [])) or [0.0]
    median = healthy[len(healthy) // 2]
    work = sum(elapsed.get("healthy", [])) + sum(min(t, 2 * late_s + median) if late_s else t
                                                 for t in elapsed.get("late", []))
    work += median * (len(elapsed.get("dead", [])) + len(elapsed.get("refuse", [])))
    spread, learn = work / concurrency, dead_s + median
    busiest = max((late_connections or {}).values(), default=0)
    polite = busiest * late_s / per_address
    return max(spread, learn, polite), (
        f"work {work:.0f} host-s over {concurrency} slots = {spread:.1f} s; learning the dead addresses "
        f"{learn:.1f} s; politeness: {busiest} connections to the busiest late address x {late_s:g} s, "
        f"{per_address} at a time = {polite:.1f} s")


def pairs_text(size: int, floors: list[Run], scans: list[Run]) -> str:
    """The figure of ``--pairs``: the median of the pairs' CPU-per-host ratios (with their range), and the ratio
    of each tool's fastest run."""
    ratios = sorted(s.cpu_ms_per_host / f.cpu_ms_per_host for f, s in zip(floors, scans) if f.cpu_ms_per_host)
    if not ratios:
        return f"  {size} hosts: no pair measured"
    median = statistics.median(ratios)
    mark = "met" if median <= TARGET_CPU_RATIO else "NOT met"
    best_floor = min(f.cpu_ms_per_host for f in floors)
    best_scan = min(s.cpu_ms_per_host for s in scans)
    return (f"  {size} hosts: CPU per host, ipv6scan / floor: median {median:.2f} of {len(ratios)} pairs "
            f"(min {ratios[0]:.2f}, max {ratios[-1]:.2f}; target ≤ {TARGET_CPU_RATIO}: {mark}); fastest runs: "
            f"floor {best_floor:.2f}, ipv6scan {best_scan:.2f} ms/host, ratio {best_scan / best_floor:.2f}")


def stderr_problems(path: Path) -> tuple[int, str]:
    """How many problems a run left on stderr, and the first one: tracebacks, and the event loop's reports (ipv6scan
    prints them as ``asyncio: …``; "Fatal error …" as Python's last resort prints them) with their tracebacks."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return 0, ""
    starts: list[int] = []
    for i, line in enumerate(lines):
        if line.startswith(("asyncio:", "Fatal error", "Exception in", "Task exception")):
            starts.append(i)
        elif line.startswith("Traceback") and not (starts and i - starts[-1] <= 4):  # not the one of a report above
            starts.append(i)
    if not starts:
        return 0, ""
    first = lines[starts[0]]
    if first.startswith("asyncio:") and lines[starts[0] + 1:starts[0] + 2] != ["Traceback (most recent call last):"]:
        return len(starts), first[:200]  # a report without a traceback
    after = next((line for line in lines[starts[0] + 1:] if re.match(r"[A-Za-z_][\w.]*(Error|Exception)\b", line)), "")
    return len(starts), first + ": " + after[:200]


def tail(path: Path, n: int = 300) -> str:
    try:
        return " ".join(path.read_text(errors="replace").split())[-n:]
    except OSError:
        return ""


def saved_hosts(db: Path) -> int | str:
    """Host rows in an ipv6scan history database ("none": there is none)."""
    if not db.exists():
        return "none"
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM hosts").fetchone()[0]
    finally:
        con.close()


def shutil_which(name: str) -> str | None:
    import shutil

    return shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))


def ensure_sslyze(venv: Path) -> str | None:
    """sslyze in its own venv (its pinned cryptography must not meet ipv6scan's); None when ready."""
    python = venv / "bin" / "python"
    if python.exists() and subprocess.run([str(python), "-c", "import sslyze"], capture_output=True).returncode == 0:
        return None
    print(f"\n  installing sslyze into {venv} ...", end="", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "sslyze"], check=True, capture_output=True,
                       timeout=900)
    except (OSError, subprocess.SubprocessError) as e:
        return f"could not install sslyze into {venv}: {e}"
    return None


def ipv6scan_extra_flags() -> list[str]:
    """Flags that exist in this ipv6scan's `scan` (the CLI is moving): no history DB, no progress bar."""
    proc = subprocess.run([sys.executable, "-m", "ipv6scan", "scan", "--help"], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "COLUMNS": "300"})
    if proc.returncode != 0:
        raise SystemExit(f"ipv6scan does not start: {proc.stderr.strip()[-500:]}")
    return [flag for flag in ("--no-db", "--no-progress") if flag in proc.stdout]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default=None, help="host counts, comma separated (default 1000,10000; none with --mixed)")
    p.add_argument("--mixed", type=int, default=0, metavar="N",
                   help="also scan a mixed population of N hosts (dead, late, refusing IPv6 addresses shared by "
                        "many names) with ipv6scan's defaults, against the ideal schedule")
    p.add_argument("--history-fsync-ms", type=float, default=None, metavar="MS",
                   help="also scan each size with the history database on, as by default, on this disk and with "
                        "every fsync MS ms slower (a spinning disk; needs strace), against --no-db")
    p.add_argument("--page-deps", action="store_true",
                   help="the page loads sub-resources: its own stylesheet, two shared CDN hosts, a font in the CSS")
    p.add_argument("--huge", action="store_true", help=f"add {HUGE} hosts (floor and ipv6scan only): is memory flat?")
    p.add_argument("--smoke", action="store_true", help="50 hosts, floor and ipv6scan only (CI)")
    p.add_argument("--tools", default=",".join(TOOLS), help=f"which tools (default {','.join(TOOLS)})")
    p.add_argument("--concurrency", type=int, default=64, help="hosts at once for floor and ipv6scan (default 64)")
    p.add_argument("--pipeline-parallel", type=int, default=32, help="xargs -P of dig+curl (default 32)")
    p.add_argument("--groups", type=int, default=100, help="address pairs the hosts are spread over (default 100)")
    p.add_argument("--repeat", type=int, default=1,
                   help="run floor and ipv6scan this many times per size and keep the fastest (default 1)")
    p.add_argument("--peer-max", type=int, default=0, help="run the peers only up to this size (0: every size)")
    p.add_argument("--run-timeout", type=float, default=3600, help="seconds one tool may run (default 3600)")
    p.add_argument("--sslyze-venv", type=Path, default=SSLYZE_VENV, help=f"sslyze's venv (default {SSLYZE_VENV})")
    p.add_argument("--ipv6scan-args", default="", metavar="ARGS",
                   help="extra arguments for ipv6scan scan, e.g. \"--loop uvloop --workers 2\"")
    p.add_argument("--pairs", type=int, default=0, metavar="N",
                   help="floor and ipv6scan alternately N times per size; each pair's CPU ratio and their median "
                        "(issue 16's target: <= 1.25)")
    p.add_argument("--floor-loop", choices=("asyncio", "uvloop"), default="asyncio",
                   help="the floor's event loop (default asyncio; uvloop to compare with ipv6scan --loop uvloop)")
    p.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    p.add_argument("--render", type=Path, metavar="JSON",
                   help="print the tables of a saved --json result (and a Markdown table); runs nothing")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="afterwards, profile ipv6scan (smallest size) with py-spy into DIR")
    args = p.parse_args(argv)
    if args.smoke:
        args.sizes, args.tools = "50", "floor,ipv6scan"
    if args.sizes is None:
        args.sizes = "" if args.mixed else "1000,10000"
    args.sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if args.huge:
        args.sizes.append(HUGE)
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    bad = [t for t in args.tools if t not in TOOLS]
    if bad or (not args.sizes and not args.mixed) or (args.sizes and min(args.sizes) < 1):
        p.error(f"unknown tools {bad}" if bad else "--sizes needs positive numbers")
    return args


def compile_ipv6scan() -> None:
    """Write ipv6scan's bytecode before it is measured, as ``pip install`` does for an installed package.

    A source checkout (an editable install) under ``PYTHONDONTWRITEBYTECODE=1`` (this machine's environment)
    has none, and every run compiled ipv6scan's ~70 modules again: about 0.15 s of CPU, 0.07 ms a host at 2000
    hosts, charged to the scanner and not to the floor (one small script). Python reads bytecode that exists
    whatever that variable says."""
    import compileall

    import ipv6scan

    compileall.compile_dir(str(Path(ipv6scan.__file__).parent), quiet=2)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        return render(args.render)
    reason = unavailable_reason()
    if reason:
        print(f"bench: cannot run: {reason}", file=sys.stderr)
        return 77  # "skipped", as automake's test harness says
    for stale in stale_labs():
        stale.down()
    flags = ipv6scan_extra_flags() + shlex.split(args.ipv6scan_args)
    compile_ipv6scan()

    def stop(signum, frame):  # SIGTERM / SIGHUP: tear the lab down like Ctrl-C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    lab = BenchLab(groups=args.groups, mixed=args.mixed, page_deps=args.page_deps)
    try:
        lab.up()
        bench = Bench(args=args, lab=lab, work=lab.dir, ipv6scan_flags=flags)
        return bench.main()
    except (LabUnavailable, LabError) as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted", file=sys.stderr)
        return 130
    finally:
        lab.down()


if __name__ == "__main__":
    sys.exit(main())
