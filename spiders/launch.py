"""The one crawl launcher: ``scrapy crawl policy`` in a child process, with signals passed on.

Every caller that crawls (``policykb crawl``, ``policykb demo``, ``policykb
watch``, the benchmarks) builds its command line here. A fresh process per
crawl, because Twisted's reactor cannot be restarted in one process.

Signals: the child runs in its own session, so a Ctrl-C on the terminal (a
SIGINT to the terminal's foreground process group) reaches only the launcher,
never Scrapy directly. The launcher passes each SIGINT, SIGTERM or SIGHUP it
receives on to the child as one SIGTERM: the first starts Scrapy's graceful
shutdown (requests already handed to the downloader finish, those still
scheduled are dropped, the WARC is closed, run statistics are written with
``finish_reason = shutdown``, recorded as an *interrupted* run by the next
build); a second one makes Scrapy stop at once (its WARC is left ``.open``; the
next build keeps its complete records). The launcher waits for the child either
way, so no crawl outlives the command that started it (unless the launcher
itself is killed with SIGKILL: then nothing can pass the signal on).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The signals :func:`run_crawl` passes on to the crawl (as SIGTERM)
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def crawl_command(data_dir, sources_dir=None, platforms=(), documents=(), replay=None, log_level="WARNING",
                  settings=()) -> list[str]:
    """The ``scrapy crawl policy`` command line for one crawl.

    :param data_dir: the data folder (WARCs and run statistics are written there)
    :param sources_dir: the declarations folder (default: the spider's)
    :param platforms: only these platforms
    :param documents: only these ``platform/document`` keys
    :param replay: base URL of a replay server that every request is rewritten to
    :param log_level: Scrapy's log level
    :param settings: extra Scrapy settings, ``NAME=VALUE`` strings
    """
    # Scrapy runs from the repo root (to find scrapy.cfg): paths must be absolute
    cmd = [sys.executable, "-m", "scrapy", "crawl", "policy", "-s", f"POLICYKB_DATA_DIR={Path(data_dir).resolve()}",
           "-s", f"LOG_LEVEL={log_level}"]
    for setting in settings:
        cmd += ["-s", setting]
    if replay:
        cmd += ["-s", f"POLICYKB_REPLAY_URL={replay}"]
    if sources_dir:
        cmd += ["-a", f"sources={Path(sources_dir).resolve()}"]
    if platforms:
        cmd += ["-a", "platforms=" + ",".join(platforms)]
    if documents:
        cmd += ["-a", "documents=" + ",".join(documents)]
    return cmd


def crawl_env(run_id=None, root=ROOT) -> dict:
    """The environment of a crawl process: our settings module, the source tree importable, the run id.

    :param root: the source tree to run (default: this one; the peers benchmark may run another commit's)
    """
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="spiders.settings")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    if run_id:
        env["POLICYKB_RUN_ID"] = run_id
    return env


def start_crawl(cmd, run_id=None) -> subprocess.Popen:
    """Start a crawl process in its own session (signals reach it only through its launcher)."""
    return subprocess.Popen(cmd, env=crawl_env(run_id), cwd=str(ROOT), start_new_session=True)


def run_crawl(data_dir, sources_dir=None, platforms=(), documents=(), replay=None, log_level="WARNING",
              settings=(), run_id=None) -> int:
    """Run one crawl to its end and return its exit code; SIGINT, SIGTERM and SIGHUP are passed on to it.

    Takes the arguments of :func:`crawl_command`. Returns 128 + the number of the first signal received
    (130 for SIGINT, 143 for SIGTERM) when the crawl was stopped by a signal, once the crawl has ended.
    """
    cmd = crawl_command(data_dir, sources_dir, platforms, documents, replay, log_level, settings)
    received = []
    proc = None

    def forward(signum, frame):
        received.append(signum)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    # the handlers are in place before the child exists: a signal in between is not lost
    previous = {s: signal.signal(s, forward) for s in FORWARDED}
    try:
        proc = start_crawl(cmd, run_id)
        if received:  # arrived while the child was being started
            proc.send_signal(signal.SIGTERM)
        code = proc.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if received:
        return 128 + received[0]
    return code
