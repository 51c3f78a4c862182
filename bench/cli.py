"""How fast a read verb answers on an empty database, against the floor of its imports.

The floor is a bare ``python -c "import sqlalchemy.orm, pydantic, click"``: what any read
verb must import. Each verb (``banwatch events --json`` first) runs as a fresh process on
an empty, migrated SQLite database, alternating with the floor so both see the same machine
load; medians of several repetitions, and the ratio. Target: events within 1.3x the floor.

    .venv/bin/python bench/cli.py            # 7 repetitions
    .venv/bin/python bench/cli.py --reps 11 --verbs events status hits
    git worktree add /tmp/before HEAD~5 && .venv/bin/python bench/cli.py --against /tmp/before

``--against DIR`` times the verbs of another tree (a checkout with ``monitor/`` and
``alembic/``, on a database of its own) in the same run, interleaved with this one's: a
before/after under one load.

Figures move +-20 % between runs on a shared machine; compare only within one run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

FLOOR = [sys.executable, "-c", "import sqlalchemy.orm, pydantic, click"]
TARGET = 1.3


@dataclass(slots=True)
class Times:
    """Wall-clock and CPU (user + system) seconds of each run of one command."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def run(self, cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd
        )
        self.wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7, help="repetitions (default 7)")
    parser.add_argument(
        "--verbs", nargs="+", default=["events", "status", "hits"], help="read verbs to time"
    )
    parser.add_argument(
        "--against", type=Path, metavar="DIR", help="also time the verbs of the tree in DIR"
    )
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    trees = {"": here, **({"before: ": args.against.resolve()} if args.against else {})}

    with tempfile.TemporaryDirectory(prefix="banwatch-bench-cli-") as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BANWATCH_")}
        commands: dict[str, list[str]] = {}
        for n, (label, tree) in enumerate(trees.items()):
            # Each tree its own database, migrated by its own code; ``-m monitor.cli``
            # imports the tree of the working directory.
            config = Path(folder) / f"settings{n}.toml"
            config.write_text(f'[database]\nurl = "sqlite:///{Path(folder) / f"bw{n}.db"}"\n')
            commands[label] = [sys.executable, "-m", "monitor.cli", "--config", str(config)]
            subprocess.run(
                [*commands[label], "init"], env=env, check=True, stdout=subprocess.DEVNULL, cwd=tree
            )
        warm = Times()
        for label, tree in trees.items():  # the disk cache and the bytecode, once
            for verb in args.verbs:
                warm.run([*commands[label], verb, "--json"], env, tree)
        warm.run(FLOOR, env)

        floor = Times()
        verbs = {(label, verb): Times() for label in trees for verb in args.verbs}
        for _ in range(args.reps):
            for verb in args.verbs:
                for label, tree in trees.items():
                    floor.run(FLOOR, env)
                    verbs[label, verb].run([*commands[label], verb, "--json"], env, tree)

    wall, cpu = statistics.median(floor.wall), statistics.median(floor.cpu)
    print(f"read verbs on an empty SQLite database, medians of {args.reps} runs")
    print(f"  {'':<42} {'wall':>8} {'ratio':>6}  {'cpu':>8} {'ratio':>6}")
    print(f"  {'floor: import sqlalchemy.orm, pydantic, click':<42} {wall * 1e3:6.0f}ms {'':>6}"
          f"  {cpu * 1e3:6.0f}ms")  # fmt: skip
    for (label, verb), times in verbs.items():
        w, c = statistics.median(times.wall), statistics.median(times.cpu)
        print(f"  {label + 'banwatch ' + verb + ' --json':<42} {w * 1e3:6.0f}ms {w / wall:5.2f}x"
              f"  {c * 1e3:6.0f}ms {c / cpu:5.2f}x")  # fmt: skip
    first = verbs["", args.verbs[0]]
    ratio = statistics.median(first.wall) / wall
    cpu_ratio = statistics.median(first.cpu) / cpu
    verdict = "within" if ratio <= TARGET else "over"
    print(
        f"{args.verbs[0]}: {ratio:.2f}x the floor in wall time, {cpu_ratio:.2f}x in CPU time "
        f"({verdict} the {TARGET}x target; on a busy machine the CPU ratio is the steadier one)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
