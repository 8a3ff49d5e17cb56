"""`policykb export DIR`: every version as Markdown in the Open Terms Archive dataset layout, a README,
a copy of the KB."""

import re
from pathlib import Path
import sqlite3

import pytest

from conftest import policykb, rows


def test_export_writes_every_version_a_readme_and_a_kb_copy(demo_kb, tmp_path):
    target = tmp_path / "export"
    out = policykb("export", target, "--data", demo_kb).stdout
    versions = rows(demo_kb / "policykb.db", """
        select v.document_id, v.observed_at, v.text_markdown, d.platform_id, d.slug
        from versions v join documents d on d.id = v.document_id""")
    assert f"exported {len(versions)} versions" in out
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*.md") if p.name != "README.md")
    assert len(files) == len(versions)
    for v in versions:
        stamp = v["observed_at"].replace(":", "-")
        path = target / v["platform_id"] / v["slug"] / f"{stamp}.md"
        assert path.read_text(encoding="utf-8").rstrip("\n") == v["text_markdown"].rstrip("\n")
    assert all(re.fullmatch(r"[a-z0-9-]+/[a-z0-9-]+/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.md", f) for f in files)

    readme = (target / "README.md").read_text(encoding="utf-8")
    for doc in rows(demo_kb / "policykb.db", "select id, url from documents"):
        assert doc["id"] in readme and doc["url"] in readme
    assert "remain the copyright of their platforms" in readme and "Licence" in readme

    copy = sqlite3.connect(target / "policykb.db")
    try:
        assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"
        for table in ("documents", "versions", "changes", "checks", "sections"):
            want = rows(demo_kb / "policykb.db", f"select count(*) as n from {table}")[0]["n"]
            assert copy.execute(f"select count(*) from {table}").fetchone()[0] == want, table
    finally:
        copy.close()
    # exporting again over the same folder gives the same files
    policykb("export", target, "--data", demo_kb)
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*.md") if p.name != "README.md") == files


def test_export_without_a_kb_is_a_clear_error(tmp_path):
    result = policykb("export", tmp_path / "out", "--data", tmp_path / "nothing", check=False)
    assert result.returncode == 2 and "no KB" in result.stderr


def test_the_kb_copy_opens_read_only_as_another_user_and_the_export_says_what_it_is(demo_kb, tmp_path):
    """The copy is in journal mode DELETE: a reader that may not write beside it (another user, a read-only
    folder) opens it with sqlite3. A copy left in WAL mode cannot be opened so."""
    import os
    import shutil
    import subprocess
    import tempfile

    target = tmp_path / "export"
    policykb("export", target, "--data", demo_kb)
    copy = sqlite3.connect(target / "policykb.db")
    assert copy.execute("pragma journal_mode").fetchone()[0] == "delete"
    copy.close()
    assert not any(target.glob("policykb.db-*"))
    versions = rows(demo_kb / "policykb.db", "select count(*) as n from versions")[0]["n"]

    shared = Path(tempfile.mkdtemp(prefix="policykb-ro-", dir="/tmp"))
    try:
        shutil.copy(target / "policykb.db", shared / "policykb.db")
        os.chmod(shared / "policykb.db", 0o444)
        os.chmod(shared, 0o555)  # nobody may create a journal, -wal or -shm file here
        command = ["sqlite3", f"file:{shared / 'policykb.db'}?mode=ro", "select count(*) from versions;"]
        if os.geteuid() == 0 and shutil.which("runuser"):
            command = ["runuser", "-u", "nobody", "--", *command]  # another user, who owns nothing here
        if not shutil.which("sqlite3"):
            pytest.skip("the sqlite3 command-line shell is not installed")
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and result.stdout.strip() == str(versions), result.stderr
    finally:
        os.chmod(shared, 0o755)
        shutil.rmtree(shared)

    readme = (target / "README.md").read_text(encoding="utf-8")
    assert "Open Terms Archive" in readme and "differs" in readme
    license_text = (target / "LICENSE").read_text(encoding="utf-8")
    for platform in rows(demo_kb / "policykb.db", "select distinct p.name from platforms p join documents d"
                         " on d.platform_id = p.id join versions v on v.document_id = d.id"):
        assert platform["name"] in license_text
    assert "no licence to them is granted" in license_text
