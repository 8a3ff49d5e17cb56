"""The three trackers, each driven through its ordinary interface for one cycle at a time.

Every tool gets the same documents (the :class:`~bench.peers.synthetic_site.BenchSite`), the same
selector (the corpus page's ``#policykb-replay-content``) and the same replay server;
each keeps its own politeness defaults unless ``politeness=False``.

* :class:`Policykb`: ``policykb crawl --replay URL`` then ``policykb build``, both in a
  fresh process per cycle, as from cron. Without politeness, the crawl gets
  ``--setting DOWNLOAD_DELAY=0 --setting AUTOTHROTTLE_ENABLED=False
  --setting CONCURRENT_REQUESTS_PER_DOMAIN=16``.
* :class:`OpenTermsArchive`: ``ota track`` (the engine's CLI) in a fresh process per
  cycle, one service declaration per document.
* :class:`ChangeDetection`: one changedetection.io server for the whole run, watches
  created through its REST API, one ``recheck_all`` per cycle, the cycle ending when
  every watch has been checked since it began and the server is idle.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from bench.peers.measure import (Measure, PeakSampler, last_line, run_command, stop_group, stored_bytes, tree_busy,
                                 tree_cpu)
from bench.peers.synthetic_site import CONTENT_SELECTOR, ROOT, BenchSite

HERE = Path(__file__).resolve().parent
OTA_DIR = HERE / "ota"
OTA_ENGINE = OTA_DIR / "node_modules" / "@opentermsarchive" / "engine"
OTA_CHROMIUM = OTA_DIR / "chromium-no-sandbox"
CDIO_VENV = HERE / ".venv-cdio"
CDIO_BIN = CDIO_VENV / "bin" / "changedetection.io"

#: Politeness off for policykb: no delay, no AutoThrottle, 16 requests per host at once.
NO_POLITENESS = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS_PER_DOMAIN": "16"}


def describe(root) -> str:
    """``git describe --always --dirty`` of a source tree (uncommitted edits show as ``-dirty``)."""
    out = subprocess.run(["git", "-C", root, "describe", "--always", "--dirty"], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else "source"


def export_commit(rev: str, target: Path) -> str:
    """Export one commit of the repository to ``target`` (``git archive``: the repository is not touched).

    Measures what was committed, not whatever half-done edits the working tree holds.
    Returns the commit's short hash.
    """
    sha = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", rev], capture_output=True, text=True,
                         check=True).stdout.strip()
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", ROOT, "archive", sha], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", target], stdin=archive.stdout, check=True)
    archive.wait()
    return sha


class Tool:
    """One tracker under test, in its own work folder. Subclasses fill in the verbs."""

    name = ""
    label = ""

    def __init__(self, work: Path, site: BenchSite, server, politeness: bool = True):
        self.work = Path(work)
        self.site = site
        self.server = server
        self.replay_url = server.url
        self.politeness = politeness
        self.log = self.work / f"{self.name}.log"

    def unavailable(self) -> str | None:
        """Why this tool cannot run here, or None."""
        return None

    def version(self) -> str:
        return ""

    def politeness_note(self) -> str:
        """What "politeness off" changes for this tool."""
        return ""

    def setup(self, timeout: float) -> Measure:
        """Everything before the first cycle (declarations, watches); measured, not part of a cycle."""
        return Measure()

    def cycle(self, timeout: float) -> Measure:
        raise NotImplementedError

    @property
    def data_dir(self) -> Path:
        raise NotImplementedError

    def stored_bytes(self) -> int:
        return stored_bytes(self.data_dir)

    def versions(self) -> int | None:
        """Versions recorded so far."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class Policykb(Tool):
    name = "policykb"
    label = "policykb"
    #: The source tree that runs: the repository, or one commit exported by ``run.py --policykb-commit``.
    root = ROOT
    source = ""

    def version(self):
        return self.source or describe(self.root)

    def politeness_note(self):
        return ", ".join(f"{k}={v}" for k, v in NO_POLITENESS.items())

    @property
    def data_dir(self):
        return self.work / "data"

    @property
    def sources_dir(self):
        return self.work / "sources"

    def _env(self):
        from spiders.launch import crawl_env

        return crawl_env(root=self.root)

    def write_declarations(self) -> None:
        """One declaration per synthetic host, one document per synthetic URL."""
        self.sources_dir.mkdir(parents=True, exist_ok=True)
        by_host: dict[str, list] = {}
        for d in self.site.documents:
            by_host.setdefault(d.host, []).append(d)
        for host, docs in by_host.items():
            platform = "bench-" + host.split(".")[0]
            declaration = {
                "platform": platform, "name": f"Benchmark {host}", "homepage": f"https://{host}/",
                "documents": [{
                    "id": f"doc-{d.index}", "title": f"{d.corpus.service}: {d.corpus.document}", "url": d.url,
                    "locale": d.locale, "type": "other", "select": [CONTENT_SELECTOR], "js": False,
                } for d in docs],
            }
            (self.sources_dir / f"{platform}.yml").write_text(yaml.safe_dump(declaration, sort_keys=False),
                                                              encoding="utf-8")

    #: The packages a cycle runs, byte-compiled at setup as ``pip install`` compiles an installed package: a session
    #: with ``PYTHONDONTWRITEBYTECODE`` set (or an exported commit, which has no ``__pycache__``) would otherwise
    #: compile every module from source in each of a cycle's three processes
    PACKAGES = ("kb", "pipeline", "spiders", "glossary", "replay", "datasette_plugins")

    def setup(self, timeout):
        started = time.monotonic()
        self.write_declarations()
        folders = [str(Path(self.root) / p) for p in self.PACKAGES if (Path(self.root) / p).is_dir()]
        subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], capture_output=True, timeout=timeout)
        return Measure(wall_s=time.monotonic() - started)

    def crawl_command(self):
        cmd = [sys.executable, "-m", "kb.cli", "crawl", "--data", self.data_dir, "--sources", self.sources_dir,
               "--replay", self.replay_url, "--log-level", "WARNING"]
        if not self.politeness:
            for key, value in NO_POLITENESS.items():
                cmd += ["--setting", f"{key}={value}"]
        return cmd

    def _warcs(self):
        folder = self.data_dir / "warcs"
        return set(folder.glob("*.warc.gz")) if folder.is_dir() else set()

    def cycle(self, timeout):
        before = self._warcs()
        started = time.monotonic()
        crawl = run_command(self.crawl_command(), timeout, self.log, env=self._env(), cwd=self.root)
        if not crawl.ok:
            return crawl
        build = run_command([sys.executable, "-m", "kb.cli", "build", "--data", self.data_dir,
                             "--sources", self.sources_dir], timeout - (time.monotonic() - started), self.log,
                            env=self._env(), cwd=self.root)
        measure = crawl.add(build)
        if build.status.startswith("timed out"):
            measure.status = f"timed out after {timeout:.0f} s (in the build)"
        measure.extra.update({"crawl_wall_s": round(crawl.wall_s, 3), "crawl_cpu_s": round(crawl.cpu_s, 3),
                              "build_wall_s": round(build.wall_s, 3), "build_cpu_s": round(build.cpu_s, 3)})
        measure.extra.update(self.warc_summary(self._warcs() - before))
        outcome = last_line(self.log, "build:") if build.ok else ""
        if outcome:
            measure.extra["outcome"] = outcome.split(": ", 2)[-1]
        return measure

    @staticmethod
    def warc_summary(paths) -> dict:
        """Records of the cycle's WARC file(s) by type, and the content bytes they hold."""
        from warcio.archiveiterator import ArchiveIterator

        counts, content = {}, 0
        for path in paths:
            with open(path, "rb") as fh:
                for record in ArchiveIterator(fh):
                    counts[record.rec_type] = counts.get(record.rec_type, 0) + 1
                    if record.rec_type == "response":
                        content += len(record.content_stream().read())
        return {"warc_records": counts, "content_bytes": content}

    def versions(self):
        import sqlite3

        path = self.data_dir / "policykb.db"
        if not path.exists():
            return None
        conn = sqlite3.connect(path)
        try:
            return conn.execute("select count(*) from versions").fetchone()[0]
        finally:
            conn.close()


class OpenTermsArchive(Tool):
    name = "ota"
    label = "Open Terms Archive engine"

    def unavailable(self):
        if not (OTA_ENGINE / "bin" / "ota.js").exists():
            return (f"not installed: {OTA_ENGINE} is missing; run "
                    f"`PUPPETEER_SKIP_DOWNLOAD=1 npm install` in {OTA_DIR} (see bench/peers/README.md)")
        if not shutil.which("node"):
            return "node is not on PATH"
        if not shutil.which("chromium"):
            return ("`ota track` always launches a headless browser (puppeteer) and no `chromium` is on PATH "
                    "(apt-get install chromium)")
        return None

    def version(self):
        try:
            return json.loads((OTA_ENGINE / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            return ""

    def politeness_note(self):
        return "none to switch off: the engine fetches one document at a time, without delays"

    @property
    def data_dir(self):
        return self.work / "ota" / "data"

    def setup(self, timeout):
        """One service per document, declared as OTA declares terms: fetch, select, no client scripts.

        The URL names the replay server directly (``http://127.0.0.1:PORT/https://host/path``):
        the engine's HTTP proxy support fails in this version ("HttpProxyAgent is not a constructor").
        """
        started = time.monotonic()
        declarations = self.work / "ota" / "declarations"
        declarations.mkdir(parents=True, exist_ok=True)
        for d in self.site.documents:
            service = f"Bench{d.index:05d}"
            declaration = {"name": f"Bench {d.index:05d}", "terms": {"Terms of Service": {
                "fetch": f"{self.replay_url}/{d.url}", "select": [CONTENT_SELECTOR], "executeClientScripts": False}}}
            (declarations / f"{service}.json").write_text(json.dumps(declaration, indent=2), encoding="utf-8")
        return Measure(wall_s=time.monotonic() - started)

    def cycle(self, timeout):
        env = dict(os.environ, PUPPETEER_EXECUTABLE_PATH=str(OTA_CHROMIUM), PUPPETEER_SKIP_DOWNLOAD="1")
        env.pop("HTTP_PROXY", None)
        env.pop("HTTPS_PROXY", None)
        mark = self.log.stat().st_size if self.log.exists() else 0
        measure = run_command(["node", OTA_ENGINE / "bin" / "ota.js", "track"], timeout, self.log, env=env,
                              cwd=self.work / "ota")
        with open(self.log, "rb") as fh:
            fh.seek(mark)
            text = fh.read().decode("utf-8", errors="replace")
        text = re.sub(r"\x1b\[[0-9;]*m", "", text)
        measure.extra["errors"] = text.count("cannot be accessed")
        recorded = re.findall(r"Recorded (\d+) new snapshots and (\d+) new versions", text)
        if recorded:
            measure.extra["outcome"] = f"{recorded[-1][0]} new snapshots, {recorded[-1][1]} new versions"
        return measure

    def versions(self):
        repo = self.data_dir / "versions"
        if not (repo / ".git").exists():
            return None
        out = subprocess.run(["git", "-C", repo, "rev-list", "--count", "--all"], capture_output=True, text=True)
        return int(out.stdout.strip() or 0) if out.returncode == 0 else 0


class ChangeDetection(Tool):
    name = "cdio"
    label = "changedetection.io"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.proc = None
        self.token = None
        self.port = None

    def unavailable(self):
        if not CDIO_BIN.exists():
            return (f"not installed: {CDIO_BIN} is missing; run `python -m venv {CDIO_VENV} && "
                    f"{CDIO_VENV}/bin/pip install changedetection-io` (see bench/peers/README.md)")
        return None

    def version(self):
        out = subprocess.run([CDIO_VENV / "bin" / "python", "-c",
                              "import importlib.metadata as m; print(m.version('changedetection.io'))"],
                             capture_output=True, text=True)
        return out.stdout.strip()

    def politeness_note(self):
        return "none to switch off: 5 fetch workers, no per-host delay, no jitter (its defaults)"

    @property
    def data_dir(self):
        return self.work / "datastore"

    # -- the server and its API -------------------------------------------------------------------

    def api(self, path, method="GET", body=None, timeout=60):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/v1/{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"x-api-key": self.token, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw.strip() else None

    def start(self, timeout):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        # Its watches name the replay server directly (see setup): no proxy, and no lookup of the
        # synthetic hostnames (which do not resolve; its URL checks would wait on each lookup).
        # It refuses loopback addresses unless told (its own message names the switch).
        env = dict(os.environ, ALLOW_IANA_RESTRICTED_ADDRESSES="true")
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
            env.pop(name, None)
        with open(self.log, "ab") as log:
            # -P true: the scheduler stays off, so checks happen only when a cycle asks for them.
            self.proc = subprocess.Popen([CDIO_BIN, "-d", self.data_dir, "-C", "-h", "127.0.0.1", "-p",
                                          str(self.port), "-P", "true", "-l", "WARNING"],
                                         stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        settings = self.data_dir / "changedetection.json"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"changedetection.io exited with code {self.proc.returncode}: "
                                   f"{last_line(self.log)}")
            try:
                self.token = json.loads(settings.read_text())["settings"]["application"]["api_access_token"]
                self.api("systeminfo", timeout=5)
                return
            except (OSError, ValueError, KeyError, urllib.error.URLError):
                time.sleep(0.5)
        raise TimeoutError(f"changedetection.io did not answer within {timeout:.0f} s")

    def setup(self, timeout):
        """Start the server, remove its two default watches, create one watch per document."""
        started = time.monotonic()
        cpu_before = 0.0
        try:
            self.start(timeout)
            cpu_before = tree_cpu(self.proc.pid)
            sampler = PeakSampler(self.proc.pid)
            sampler.start()
            for uuid in list(self.api("watch") or {}):
                self.api(f"watch/{uuid}", method="DELETE")

            def create(d):
                return self.api("watch", method="POST", body={
                    "url": f"{self.replay_url}/{d.url}", "include_filters": [CONTENT_SELECTOR],
                    "fetch_backend": "html_requests"})

            with ThreadPoolExecutor(4) as pool:
                list(pool.map(create, self.site.documents))
            peak, peak_pss = sampler.stop()
        except (RuntimeError, TimeoutError, OSError, urllib.error.URLError) as exc:
            return Measure(time.monotonic() - started, status=f"error: {exc}")
        return Measure(time.monotonic() - started, tree_cpu(self.proc.pid) - cpu_before, peak, peak_pss=peak_pss)

    def cycle(self, timeout):
        time.sleep(1.1)  # checks are stamped in whole seconds: keep the last cycle's out of this one
        cpu_before = tree_cpu(self.proc.pid)
        sampler = PeakSampler(self.proc.pid)
        sampler.start()
        started_wall = time.time()
        started = time.monotonic()
        since = round(started_wall)
        status, idle_since, errors, asked = "ok", None, 0, 0.0
        try:
            self.api("watch?recheck_all=1")
            while True:
                elapsed = time.monotonic() - started
                if elapsed > timeout:
                    status = f"timed out after {timeout:.0f} s"
                    break
                if self.proc.poll() is not None:
                    status = f"error: changedetection.io exited with code {self.proc.returncode}: {last_line(self.log)}"
                    break
                time.sleep(0.2)
                # One request per watch reaches the replay server: until all have, checks are pending
                # (some wait seconds in the queue's deferral after a worker restart). That count is ours
                # (no request to the server); its API is asked at most once a second, and only then.
                if sum(self.server.status_counts.values()) < len(self.site.documents):
                    continue
                if time.monotonic() - asked < 1.0:
                    continue
                asked = time.monotonic()
                if self.api("systeminfo")["queue_size"]:
                    continue
                watches = self.api("watch")
                if any((w.get("last_checked") or 0) < since for w in watches.values()):
                    continue
                # Every watch has started its check and the queue is empty: done once no thread runs.
                idle_since = None
                for _ in range(int(timeout)):
                    if not tree_busy(self.proc.pid):
                        idle_since = idle_since or time.monotonic()
                        if time.monotonic() - idle_since >= 0.6:
                            break
                    else:
                        idle_since = None
                    time.sleep(0.2)
                errors = sum(1 for w in watches.values() if w.get("last_error"))
                break
        except (OSError, urllib.error.URLError, ValueError) as exc:
            status = f"error: {exc}"
        end = idle_since if (status == "ok" and idle_since) else time.monotonic()
        peak, peak_pss = sampler.stop()
        return Measure(end - started, tree_cpu(self.proc.pid) - cpu_before, peak, status, {"errors": errors}, peak_pss)

    def versions(self):
        total = 0
        for history in self.data_dir.glob("*/history.txt"):
            total += sum(1 for line in history.read_text().splitlines() if line.strip())
        return total

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            stop_group(self.proc)
        self.proc = None


TOOLS = {cls.name: cls for cls in (Policykb, OpenTermsArchive, ChangeDetection)}
