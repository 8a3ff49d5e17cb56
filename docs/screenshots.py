"""The README's screenshots, in Chinese, from the demo KB: what a user sees, generated, never drawn by hand.

    .venv/bin/python docs/screenshots.py            # or: make screenshots

Builds the demo KB (``policykb demo --no-serve``: the real crawl of the bundled demo help centre at its
three dates) into a temporary folder, serves it with ``policykb serve`` on 127.0.0.1, and photographs
a few pages in headless Chromium (Debian's, as the browser tests use; ``make sysdeps`` installs it and
the CJK font) in Chinese (``?hl=zh``): the home page, a redline, a cite check of an outdated clause, the
glossary matrix, and the home page at phone width. Small viewport-sized PNGs go to ``docs/screenshots/``,
which the README links. Re-run it when a page's look changes.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
POLICYKB = [sys.executable, "-m", "kb.cli"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def outdated_clause(db: Path) -> tuple[str, str, int, int]:
    """A Chinese document with a substantive change, its two versions' numbers, and a sentence of a section the
    change rewrote, as it read before (a quote a consultant might still carry around)."""
    conn = sqlite3.connect(db)
    try:
        doc, a, b, old_version = conn.execute("""
            select c.document_id, f.seq, t.seq, f.id from changes c join versions f on f.id = c.from_version_id
            join versions t on t.id = c.to_version_id join documents d on d.id = c.document_id
            where c.kind = 'substantive' and d.platform_id = 'kuajing' order by c.document_id desc limit 1""").fetchone()
        rows = conn.execute("""select o.text_markdown, n.text_markdown from change_sections cs
                               join changes c on c.id = cs.change_id
                               join sections o on o.version_id = c.from_version_id and o.key = coalesce(cs.old_key, cs.key)
                               join sections n on n.version_id = c.to_version_id and n.key = cs.key
                               where c.from_version_id = ? and cs.status = 'modified'""", [old_version]).fetchall()
    finally:
        conn.close()
    gone = [sentence.strip() for old, new in rows for sentence in re.split(r"\n+|(?<=[。；])", old)
            if len(sentence.strip()) > 15 and not sentence.startswith("#") and sentence.strip() not in new]
    return doc, re.sub(r"[#*_>`\[\]]", "", max(gone, key=len)).strip()[:80], a, b


def shots(doc: str, clause: str, a: int, b: int) -> list[tuple[str, str, int, int]]:
    """(file name, path, width, height) of each screenshot."""
    return [("home-zh.png", "/?hl=zh", 1000, 700),
            ("redline-zh.png", f"/-/policykb/diff/{doc}/{a}..{b}?hl=zh", 1000, 760),
            ("cite-zh.png", "/-/policykb/cite?hl=zh&q=" + quote(clause), 1000, 800),
            ("glossary-zh.png", "/-/glossary?hl=zh#matrix", 1000, 600),
            ("phone-zh.png", "/?hl=zh", 375, 700)]


def photograph(base: str, pages) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            for name, path, width, height in pages:
                context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
                page = context.new_page()
                page.goto(base + path, wait_until="load")
                if "/diff/" in path:  # a rewritten clause, not the page's header
                    page.locator('[data-status="changed"]').nth(1).evaluate("e => e.scrollIntoView()")
                page.screenshot(path=str(OUT / name))
                context.close()
                print(f"{OUT / name}: {(OUT / name).stat().st_size // 1024} KiB")
        finally:
            browser.close()


def main() -> int:
    if not Path(CHROMIUM).exists():
        print("chromium is not installed (make sysdeps) / 未安装 chromium", file=sys.stderr)
        return 2
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        subprocess.run([*POLICYKB, "demo", "--no-serve", "--data", str(data)], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        port = _free_port()
        server = subprocess.Popen([*POLICYKB, "serve", "--data", str(data), "--port", str(port)], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + "/-/policykb", timeout=2).close()
                    break
                except OSError:
                    time.sleep(0.2)
            doc, clause, a, b = outdated_clause(data / "policykb.db")
            photograph(base, shots(doc, clause, a, b))
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
