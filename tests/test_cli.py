"""The command line's promises to a new user: signals end a crawl cleanly, a missing KB is refused, a bad
shared option is refused the same way everywhere.

* ``policykb crawl`` stopped by SIGTERM, or by a terminal's Ctrl-C (SIGINT to the launcher's whole process
  group), mid-crawl against a slow replay server: no crawl process is left, the WARC is closed, the run's
  statistics say ``shutdown`` and the next build records the run as ``interrupted``.
* Every command that reads a KB, given ``--data`` without one: one line on stderr, exit 2, nothing created.
* ``--platform``, ``--type``, ``--locale``, ``--since``, ``--until``, ``--as-of``, ``--now``: a bad value is one
  line on stderr (with a did-you-mean where there is one) and exit 2, whichever command takes it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from conftest import DEMO_SITE, DEMO_SOURCES, POLICYKB, ROOT, policykb, rows

# -- signals -----------------------------------------------------------------------------------------------

#: Seconds the slow replay server takes to answer each request: long enough that the signal lands
#: while fetches are in flight, short enough that the graceful shutdown (which lets them finish) is quick.
SLOW_SECONDS = 1.0


def slow_site():
    from replay.server import DirectorySite

    class SlowSite(DirectorySite):
        """The demo help centre, answering each request after :data:`SLOW_SECONDS`."""

        def resolve(self, host, path, query, as_of):
            time.sleep(SLOW_SECONDS)
            return super().resolve(host, path, query, as_of)

    return SlowSite(DEMO_SITE)


def crawl_processes(data: Path) -> list[psutil.Process]:
    """Every live process working for a crawl of ``data`` (the launcher or Scrapy), wherever it was reparented."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or ())
        except psutil.Error:
            continue
        if str(data) in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


def start_crawl_mid_flight(data: Path, server_url: str) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """Start ``policykb crawl`` as a terminal would run a job (its own process group) and return once it is
    fetching: its WARC is open. Also returns the launcher's descendants at that moment (Scrapy)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), POLICYKB_PROGRESS="0")
    proc = subprocess.Popen(
        [*POLICYKB, "crawl", "--data", str(data), "--sources", str(DEMO_SOURCES), "--replay", server_url,
         "--log-level", "INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    warcs = data / "warcs"
    deadline = time.monotonic() + 20
    while not (warcs.is_dir() and list(warcs.glob("*.warc.gz.open"))):
        assert proc.poll() is None, f"the crawl ended before it opened its WARC:\n{proc.communicate()}"
        assert time.monotonic() < deadline, "the crawl did not open its WARC within 20 s"
        time.sleep(0.05)
    time.sleep(SLOW_SECONDS / 2)  # requests are out, none answered yet
    children = psutil.Process(proc.pid).children(recursive=True)
    assert children, "the crawl runs Scrapy in a child process"
    return proc, children


def assert_stopped_cleanly(proc, children, data: Path, expected_code: int) -> str:
    """What a signal must leave: no crawl process, a closed WARC, run stats saying shutdown; the run id."""
    try:
        out, err = proc.communicate(timeout=25)
    except subprocess.TimeoutExpired:
        for p in [proc, *children]:
            p.kill()
        raise AssertionError("the crawl did not stop within 25 s of the signal")
    assert proc.returncode == expected_code, (proc.returncode, out, err)
    gone, alive = psutil.wait_procs(children, timeout=5)
    assert not alive, f"crawl processes left behind: {alive}"
    assert not crawl_processes(data), f"crawl processes left behind: {crawl_processes(data)}"
    assert not list((data / "warcs").glob("*.open")), "the WARC was left open"
    assert len(list((data / "warcs").glob("*.warc.gz"))) == 1
    assert "stopped cleanly" in err, err
    stats = list((data / "runs").glob("*.json"))
    assert len(stats) == 1, stats
    assert json.loads(stats[0].read_text(encoding="utf-8"))["finish_reason"] == "shutdown"
    return stats[0].stem


@pytest.fixture
def crawl_data(tmp_path):
    """A data folder for one crawl; any crawl process of it still alive at the end is killed (a failed test
    must not leave Scrapy running)."""
    data = tmp_path / "data"
    yield data
    for proc in crawl_processes(data):
        proc.kill()


def assert_recorded_interrupted(data: Path, run_id: str):
    policykb("build", "--data", data)
    runs = rows(data / "policykb.db", "select id, status, finish_reason from runs")
    assert runs == [{"id": run_id, "status": "interrupted", "finish_reason": "shutdown"}], runs


@pytest.mark.slow
def test_sigterm_stops_the_crawl_cleanly_and_the_run_is_recorded_interrupted(crawl_data):
    from replay.server import ReplayServer

    data = crawl_data
    with ReplayServer(slow_site(), "2026-01-15") as server:
        proc, children = start_crawl_mid_flight(data, server.url)
        proc.send_signal(signal.SIGTERM)
        run_id = assert_stopped_cleanly(proc, children, data, 128 + signal.SIGTERM)
    assert_recorded_interrupted(data, run_id)


@pytest.mark.slow
def test_ctrl_c_stops_the_crawl_cleanly_and_the_run_is_recorded_interrupted(crawl_data):
    """A terminal's Ctrl-C is a SIGINT to the foreground process group: only the launcher is in it (Scrapy
    runs in its own session), so Scrapy gets one SIGTERM from the launcher, not two signals at once."""
    from replay.server import ReplayServer

    data = crawl_data
    with ReplayServer(slow_site(), "2026-01-15") as server:
        proc, children = start_crawl_mid_flight(data, server.url)
        assert all(os.getpgid(c.pid) != proc.pid for c in children)
        os.killpg(proc.pid, signal.SIGINT)
        run_id = assert_stopped_cleanly(proc, children, data, 128 + signal.SIGINT)
    assert_recorded_interrupted(data, run_id)


# -- a missing KB --------------------------------------------------------------------------------------------

#: Commands that read a KB; ``OUT`` stands for a path of the test's own.
READERS = [
    ["search", "seller"],
    ["export", "OUT"],
    ["cite", "Sellers must keep their late shipment rate under 3%"],
    ["serve"],
    ["status"],
    ["alerts"],
    ["backup", "OUT"],
    ["sources", "discovered"],
    ["sources", "promote", "1"],
    ["glossary", "load"],
]


def invoke(args):
    from kb.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_refused(result, *expected):
    """One line on stderr, nothing on stdout, exit code 2; the line holds each of ``expected``."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0], lines[0]


@pytest.mark.parametrize("args", READERS, ids=" ".join)
@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_a_command_that_reads_a_kb_refuses_a_folder_without_one(tmp_path, args, folder):
    data = tmp_path / "typo"
    if folder == "empty":
        data.mkdir()
    out = tmp_path / "out"
    result = invoke([a.replace("OUT", str(out)) for a in args] + ["--data", data])
    assert_refused(result, f"no KB at {data / 'policykb.db'}")
    assert data.exists() == (folder == "empty"), "a refused command created the data folder"
    if data.exists():
        assert list(data.iterdir()) == [], "a refused command wrote into the data folder"
    assert not out.exists()


def test_build_refuses_a_folder_with_neither_a_kb_nor_warcs(tmp_path):
    data = tmp_path / "typo"
    assert_refused(invoke(["build", "--data", data]), "nothing to build")
    assert not data.exists()
    assert_refused(invoke(["rebuild", "--data", data]), "no WARCs")
    assert not data.exists()


@pytest.mark.parametrize("args", [["term", "counterfeit"], ["glossary", "drift"], ["glossary", "candidates"]],
                         ids=" ".join)
def test_glossary_lookups_work_without_a_kb_and_create_nothing(tmp_path, args):
    data = tmp_path / "typo"
    result = invoke([*args, "--data", data])
    assert result.exit_code == 0, result.output
    assert "no glossary in a KB" in result.stderr
    assert not data.exists()


def test_the_real_command_refuses_a_missing_kb(tmp_path):
    """The same through ``python -m kb.cli`` (the installed entry point runs the same click group)."""
    data = tmp_path / "typo"
    result = policykb("alerts", "--data", data, check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [f"error: no KB at {data / 'policykb.db'}; check --data, or create one "
                                          "with `policykb demo` or `policykb crawl` then `policykb build` "
                                          "(此处没有知识库：请检查 --data，或先运行 `policykb demo`，"
                                          "或 `policykb crawl` 后 `policykb build`)"]
    assert not data.exists()


# -- shared options --------------------------------------------------------------------------------------------

QUOTE = "Sellers must keep their late shipment rate under 3%"

BAD_OPTIONS = [
    (["search", "seller", "--platform", "nosuch"], ["--platform 'nosuch'", "known: demomart, kuajing, shoptide"]),
    (["search", "seller", "--platform", "demomar"], ["did you mean demomart?"]),
    (["search", "seller", "--type", "nosuch"], ["--type 'nosuch' is not a document type"]),
    (["search", "seller", "--type", "apeals"], ["did you mean appeals"]),
    (["search", "seller", "--locale", "fr"], ["--locale 'fr'", "known: en, "]),
    (["search", "seller", "--locale", "zh-CM"], ["did you mean zh-CN"]),
    (["search", "seller", "--since", "2026-13-01"], ["--since '2026-13-01' is not a date"]),
    (["search", "seller", "--until", "2026-02-30"], ["--until '2026-02-30' is not a date"]),
    (["search", "seller", "--since", "2026-01-01T25:00:00Z"], ["is not a date"]),
    (["cite", QUOTE, "--as-of", "2026-02-30"], ["--as-of '2026-02-30' is not a date"]),
    (["cite", QUOTE, "--platform", "nosuch"], ["--platform 'nosuch' is not a platform of this KB"]),
    (["cite", QUOTE, "--platform", "kuajng"], ["did you mean kuajing?"]),
    (["cite", QUOTE, "--limit", "0"], ["--limit", "0"]),
    (["cite", QUOTE, "--limit", "-1"], ["--limit", "-1"]),
    (["sources", "discovered", "--platform", "shoptid"], ["did you mean shoptide?"]),
    (["sources", "promote", "1", "--type", "fess"], ["did you mean fees"]),
    (["sources", "promote", "1", "--locale", "english!"], ["--locale 'english!' is not a locale"]),
    (["status", "--now", "yesterday"], ["--now 'yesterday' is not a time"]),
    (["crawl", "--sources", DEMO_SOURCES, "--platform", "demomar"], ["not a declared platform; did you mean demomart?"]),
]


@pytest.mark.parametrize("args, message", BAD_OPTIONS, ids=[" ".join(map(str, a[:1] + a[-2:])) for a, _ in BAD_OPTIONS])
def test_a_bad_shared_option_is_refused_the_same_way(demo_kb, args, message):
    assert_refused(invoke([*args, "--data", demo_kb]), *message)


GOOD_OPTIONS = [
    ["search", "seller", "--platform", "demomart", "--type", "account-health", "--since", "2026-01-01",
     "--until", "2026-12-31"],
    ["search", "seller", "--locale", "en"],
    ["search", "seller", "--locale", "en-us"],
    ["search", "seller", "--platform", "demomart", "--data", "DATA"],  # --data given after --platform
    ["cite", QUOTE, "--platform", "demomart", "--as-of", "2026-02-01"],
    ["status", "--now", "2026-07-02T00:00:00Z"],
]


@pytest.mark.parametrize("args", GOOD_OPTIONS, ids=[" ".join(a[:1] + a[2:4]) for a in GOOD_OPTIONS])
def test_good_shared_options_pass(demo_kb, args):
    args = [str(demo_kb) if a == "DATA" else a for a in args]
    result = invoke(args if "--data" in args else [*args, "--data", demo_kb])
    assert result.exit_code == 0, (result.output, result.stderr)
    assert result.stderr == ""
