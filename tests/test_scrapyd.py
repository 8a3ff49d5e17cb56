"""Scale-out on an existing engine: a real Scrapyd on 127.0.0.1 runs our crawl, the builder ingests it.

The project is deployed as Scrapyd expects (``scrapyd-deploy`` builds the egg
from ``setup.py``/pyproject.toml and uploads it through ``addversion.json``),
a crawl of the demo site is scheduled through ``schedule.json`` with the data
folder and the declarations as a setting and a spider argument, and
``policykb build`` turns the WARC that the Scrapyd job wrote into the KB.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import DEMO_SITE, DEMO_SOURCES, ROOT, policykb, rows
from test_ops import free_port, wait_for

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
PROJECT_FILES = ["pyproject.toml", "setup.py", "README.md", "scrapy.cfg"]
PROJECT_PACKAGES = ["spiders", "pipeline", "kb", "glossary", "datasette_plugins", "replay"]


def api(base, path, data=None):
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    with urllib.request.urlopen(base + path, data=body, timeout=30) as fh:
        return json.load(fh)


def checkout_copy(target: Path, scrapyd_url: str) -> Path:
    """The project as a deploy host has it (no tests, no data), with a deploy target for this Scrapyd."""
    target.mkdir()
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, target / name)
    for package in PROJECT_PACKAGES:
        shutil.copytree(ROOT / package, target / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "sites"))
    cfg = (target / "scrapy.cfg").read_text()
    assert "[deploy]" in cfg and "project = policykb" in cfg
    (target / "scrapy.cfg").write_text(cfg.replace("url = http://127.0.0.1:6800/", f"url = {scrapyd_url}/"))
    return target


@pytest.fixture
def scrapyd(tmp_path):
    """A real Scrapyd on a free loopback port, its eggs, logs and job database in a temp folder."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\nitems_dir =\n"
        "max_proc = 2\npoll_interval = 0.5\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE")}
    proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, env=env, stdout=subprocess.DEVNULL,
                            stderr=open(home / "scrapyd.err", "wb"))
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return api(base, "/daemonstatus.json")["status"] == "ok"
        except OSError:
            assert proc.poll() is None, (home / "scrapyd.err").read_text()
            return False

    try:
        wait_for(up, timeout=30, what="scrapyd to listen")
        yield base, home
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_deploy_schedule_crawl_on_scrapyd_then_build(scrapyd, tmp_path, expected):
    from replay.server import ReplayServer

    base, home = scrapyd
    project = checkout_copy(tmp_path / "checkout", base)
    deployed = subprocess.run([str(BIN / "scrapyd-deploy"), "-p", "policykb", "--version", "r1"], cwd=project,
                              capture_output=True, text=True, timeout=120)
    assert deployed.returncode == 0, deployed.stderr
    answer = json.loads(deployed.stdout[deployed.stdout.index("{"):])
    assert answer["status"] == "ok" and answer["spiders"] == 1
    assert api(base, "/listspiders.json?project=policykb")["spiders"] == ["policy"]

    data = tmp_path / "shared-storage"
    first = expected["dates"][0]
    with ReplayServer(DEMO_SITE, first) as server:
        job = api(base, "/schedule.json", {
            "project": "policykb", "spider": "policy",
            "setting": [f"POLICYKB_DATA_DIR={data}", f"POLICYKB_REPLAY_URL={server.url}"],
            "sources": str(DEMO_SOURCES),
        })
        assert job["status"] == "ok", job

        def finished():
            jobs = api(base, "/listjobs.json?project=policykb")
            return any(j["id"] == job["jobid"] for j in jobs["finished"])

        wait_for(finished, timeout=120, interval=0.5, what="the Scrapyd job to finish")
    log = next((home / "logs" / "policykb" / "policy").glob(f"{job['jobid']}.log")).read_text()
    assert "Spider closed (finished)" in log, log[-3000:]
    warcs = list((data / "warcs").glob("*.warc.gz"))
    assert len(warcs) == 1 and not list((data / "warcs").glob("*.open"))

    policykb("build", "--data", data, "--sources", DEMO_SOURCES)
    versions = rows(data / "policykb.db", "select document_id, observed_at from versions order by document_id")
    want = sorted(doc for doc, spec in expected["documents"].items() if spec["versions"][0] == first)
    assert [v["document_id"] for v in versions] == want
    assert {v["observed_at"][:10] for v in versions} == {first}
    # the job's stats are a run record in the KB, under Scrapyd's job id
    run = rows(data / "policykb.db", "select * from runs where id = ?", [job["jobid"]])
    assert len(run) == 1 and run[0]["kind"] == "scrapyd" and run[0]["status"] == "finished"
    assert run[0]["new_versions"] == len(want) and run[0]["outcomes_complete"] == 1
    assert json.loads(run[0]["warc_files"]) == [warcs[0].name]
