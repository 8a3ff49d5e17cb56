"""`policykb export DIR`: every version as Markdown in the Open Terms Archive dataset layout, a README,
a copy of the KB."""

import re
import sqlite3

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
