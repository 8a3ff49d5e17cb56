"""Measuring a tool's process tree: wall time, CPU time, peak memory, bytes stored.

* CPU time of a command we run to completion is ``getrusage(RUSAGE_CHILDREN)``
  before and after it: the kernel's exact count for the whole tree, each process
  counted when its parent reaps it. For a server that outlives a cycle
  (changedetection.io), it is the difference of psutil's counters over its tree.
* Peak memory is the largest sum over the process and all its descendants, sampled
  every 0.2 s, of RSS and of PSS (proportional set size, from ``/proc/PID/smaps_rollup``):
  RSS counts a page a forked worker shares with its parent once per process, so it
  errs high for policykb's build workers; PSS splits each shared page between the
  processes that map it, so its sum is the memory the tree really holds. Both are kept;
  the memory goal is judged on PSS where it was measured.
* Bytes stored is the apparent size of every file under the tool's data folder.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil


def tree(pid: int) -> list[psutil.Process]:
    """The process ``pid`` and all its live descendants (empty if it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_memory(pid: int) -> tuple[int, int]:
    """``(RSS, PSS)`` summed over a live tree, in bytes (PSS 0 where the kernel does not give it)."""
    rss = pss = 0
    for p in tree(pid):
        try:
            info = p.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += getattr(info, "pss", 0)
    return rss, pss


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a live tree, reaped children included."""
    total = 0.0
    for p in tree(pid):
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def tree_busy(pid: int) -> bool:
    """True when any thread of the tree is running or runnable (state R in /proc)."""
    for p in tree(pid):
        for task in Path(f"/proc/{p.pid}/task").glob("*"):
            try:
                stat = (task / "stat").read_text()
            except OSError:
                continue
            if stat[stat.rindex(")") + 2] == "R":
                return True
    return False


def stored_bytes(folder) -> int:
    """Apparent size of every file under ``folder`` (0 if it does not exist)."""
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


class PeakSampler(threading.Thread):
    """Samples the memory of a process tree until stopped; ``peak`` and ``peak_pss`` are the largest sums of
    RSS and of PSS seen (:func:`tree_memory`)."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True, name=f"rss-{pid}")
        self.pid, self.interval, self.peak, self.peak_pss = pid, interval, 0, 0
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            rss, pss = tree_memory(self.pid)
            self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)
            self._stop_event.wait(self.interval)

    def stop(self) -> tuple[int, int]:
        """Stop sampling; ``(peak RSS, peak PSS)``."""
        self._stop_event.set()
        self.join()
        return self.peak, self.peak_pss


@dataclass
class Measure:
    """What one step of a tool cost. ``status`` is ``ok``, ``timed out after X s`` or ``error: ...``."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss: int = 0
    status: str = "ok"
    extra: dict = field(default_factory=dict)
    peak_pss: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def add(self, other: "Measure") -> "Measure":
        """Two steps run one after the other (crawl, then build) as one cycle."""
        status = self.status if not self.ok else other.status
        return Measure(self.wall_s + other.wall_s, self.cpu_s + other.cpu_s, max(self.peak_rss, other.peak_rss),
                       status, {**self.extra, **other.extra}, max(self.peak_pss, other.peak_pss))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stop_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group ``proc`` leads, then SIGKILL it and every descendant after ``grace`` seconds.

    Descendants are killed one by one too: a child in a session of its own (policykb's Scrapy crawl, which
    gets its SIGTERM from its launcher) is not in the group.
    """
    descendants = tree(proc.pid)[1:]
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        if sig == signal.SIGKILL:
            for child in descendants:
                try:
                    child.kill()
                except psutil.NoSuchProcess:
                    pass
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_command(cmd, timeout: float, log_path, env=None, cwd=None) -> Measure:
    """Run ``cmd`` to completion (its own process group), measured; kill it after ``timeout`` seconds.

    :param cmd: argument list
    :param timeout: seconds before the whole process group is killed and the step reported as timed out
    :param log_path: file that receives the command's stdout and stderr (appended)
    """
    with open(log_path, "ab") as log:
        log.write(f"\n$ {' '.join(map(str, cmd))}\n".encode())
        log.flush()
        cpu_before = _children_cpu()
        started = time.monotonic()
        proc = subprocess.Popen(list(map(str, cmd)), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                start_new_session=True)
        sampler = PeakSampler(proc.pid)
        sampler.start()
        status = "ok"
        try:
            code = proc.wait(timeout=max(timeout, 0.1))
            if code != 0:
                status = f"error: exit code {code}"
        except subprocess.TimeoutExpired:
            # Read the live tree's CPU before killing it: a child whose parent dies first is reaped
            # by init, and its time never reaches our RUSAGE_CHILDREN (``ota`` runs ``ota-track``).
            cpu_at_kill = tree_cpu(proc.pid)
            stop_group(proc)
            status = f"timed out after {timeout:.0f} s"
        except BaseException:  # the harness is being stopped: take the tool down with it
            stop_group(proc, grace=2.0)
            sampler.stop()
            raise
        wall = time.monotonic() - started
        peak, peak_pss = sampler.stop()
    cpu = _children_cpu() - cpu_before
    if status.startswith("timed out"):
        cpu = max(cpu, cpu_at_kill)
    measure = Measure(wall, cpu, peak, status, peak_pss=peak_pss)
    if status.startswith("error"):
        measure.status = f"{status}: {last_line(log_path)}"
    return measure


def last_line(path, pattern: str | None = None) -> str:
    """The last non-empty line of a log (containing ``pattern`` if given), for error messages."""
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        if line.strip() and (pattern is None or pattern in line):
            return line.strip()[:300]
    return ""
