"""How long `ipv6scan --help` and `ipv6scan scan -h` take, against typer's own floor on this machine.

    python3 -m bench.help_time [RUNS]

Runs each command RUNS times (default 15) in a fresh interpreter and prints the best and the
median wall time. The floor is a two-command typer app with the same help settings (plain
click help): what any typer CLI costs here. No assertion: figures for bench/RESULTS.md.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR_APP = '''import typer
app = typer.Typer(rich_markup_mode=None)
@app.command()
def scan(targets: list[str], concurrency: int = 10) -> None:
    """Scan."""
@app.command()
def other() -> None:
    """Other."""
app()
'''


def timed(cmd: list[str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with tempfile.TemporaryDirectory() as tmp:
        floor = Path(tmp) / "floor.py"
        floor.write_text(FLOOR_APP, encoding="utf-8")
        rows = [
            ("python3 -c pass", [sys.executable, "-c", "pass"]),
            ("typer floor: --help", [sys.executable, str(floor), "--help"]),
            ("typer floor: scan --help", [sys.executable, str(floor), "scan", "--help"]),
            ("ipv6scan --help", [sys.executable, "-m", "ipv6scan", "--help"]),
            ("ipv6scan scan -h", [sys.executable, "-m", "ipv6scan", "scan", "-h"]),
        ]
        print(f"{'command':28s} {'best':>8s} {'median':>8s}   ({runs} runs each)")
        for name, cmd in rows:
            best, median = timed(cmd, runs)
            print(f"{name:28s} {best:7.3f}s {median:7.3f}s")


if __name__ == "__main__":
    main()
