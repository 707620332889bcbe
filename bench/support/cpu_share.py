"""Hold processes to a share of one CPU core, each in a cgroup of its own (the cgroup v1 cpu controller's CFS quota,
or cgroup v2's cpu.max).

On a machine with few cores the load generator and the database use the same cores as the web processes, so a
second web process cannot add capacity there: the cores are already busy. With every web process held to, say, 0.3
of a core, the web processes are what limits the rate, the load generator and the database keep room, and two
processes show what a second process adds on a machine where each has a core of its own.
"""

from __future__ import annotations

from pathlib import Path

V1 = Path("/sys/fs/cgroup/cpu")
V2 = Path("/sys/fs/cgroup")
PERIOD_US = 10_000  # short periods: a process throttled while it holds a row lock stalls the others less


class CpuShareUnavailable(RuntimeError):
    """No writable cgroup CPU controller here (the benchmark must run as root on a machine with cgroups)."""


class CpuShares:
    """One cgroup per process, each limited to ``share`` of a core; ``release`` removes them once the processes
    have ended."""

    def __init__(self, share: float):
        if not 0 < share <= 64:
            raise ValueError(f"a CPU share is a positive number of cores, not {share}")
        self.share = share
        self._groups: list[Path] = []

    def hold(self, pid: int) -> None:
        quota = round(self.share * PERIOD_US)
        try:
            if (V1 / "cpu.cfs_quota_us").exists():
                group = _created(V1 / f"mbk-bench-{pid}")
                (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (group / "cpu.cfs_quota_us").write_text(str(quota))
            elif "cpu" in (V2 / "cgroup.controllers").read_text().split():
                (V2 / "cgroup.subtree_control").write_text("+cpu")
                group = _created(V2 / f"mbk-bench-{pid}")
                (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            else:
                raise CpuShareUnavailable("no cgroup CPU controller (v1 cpu or v2 cpu.max) on this machine")
            self._groups.append(group)
            (group / "cgroup.procs").write_text(str(pid))  # the whole process, every thread
        except OSError as error:
            raise CpuShareUnavailable(f"cannot hold process {pid} to {self.share} of a core: {error}") from error

    def release(self) -> None:
        """Remove the cgroups; their processes must have ended (an ended process leaves its cgroup)."""
        for group in self._groups:
            try:
                group.rmdir()
            except OSError as error:
                print(f"  (could not remove the cgroup {group}: {error})")
        self._groups.clear()


def _created(group: Path) -> Path:
    group.mkdir(exist_ok=True)
    return group
