"""Export: every version as Markdown in the layout of Open Terms Archive datasets, a README, a copy of the KB."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from kb.data import METADATA, kb_path

README_TEMPLATE = """# policykb export — {date}

This folder holds every version of the {documents} seller-policy documents of {platforms} platforms
that policykb recorded between {first} and {last}: {versions} versions in all.

policykb 导出：{platforms} 个平台、{documents} 份卖家政策文件的全部 {versions} 个版本（{first} 至 {last}）。

## Layout 目录结构

Each version is a Markdown file, in the layout of Open Terms Archive datasets: a folder per
platform, a folder per document, a file per version named after the time it was first seen
(UTC, `YYYY-MM-DDTHH-MM-SSZ.md`).

```
├ README.md
├ policykb.db                      a copy of the SQLite KB (made with SQLite's backup API)
├┬ <platform>/                     e.g. demomart
│└┬ <document>/                    e.g. account-health
│ ├ 2026-01-15T00-00-00Z.md
│ └ 2026-04-01T00-00-00Z.md
```

The KB copy holds the same versions with their dates and evidence, every check (fetch) and its
outcome, and the diff of every change; open it with `datasette policykb.db` or any SQLite client.

## Sources and licences 来源与许可

The policy texts were fetched from the pages listed below.
**They remain the copyright of their platforms**; they are reproduced here to document changes,
for research. Platforms marked *demo* are fictional: their texts were written for policykb's demo
help centre.
政策文本来自下列网页，版权归各平台所有，此处仅为记录变更、供研究使用。

- Licence 许可: {license}
- Source 来源: {source}

{sources}
"""


def _metadata() -> dict:
    """Title, licence and source as ``metadata.yml`` states them for Datasette."""
    import yaml

    try:
        return yaml.safe_load(METADATA.read_text(encoding="utf-8")) or {}
    except OSError:
        return {}


def _stamp(observed_at: str) -> str:
    """``2026-01-15T00:00:00Z`` → ``2026-01-15T00-00-00Z`` (a file name on every system)."""
    return re.sub(r"[:]", "-", observed_at or "unknown")


def export_kb(data_dir, target) -> dict:
    """Write every version as Markdown, a README and a copy of the KB to ``target``.

    :param data_dir: the ``--data`` folder holding the KB
    :param target: the folder to write (created; existing files with the same names are overwritten)
    :returns: counts: ``versions``, ``documents``, ``platforms``
    """
    source = sqlite3.connect(f"file:{kb_path(data_dir)}?mode=ro", uri=True)
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    try:
        counts = {"versions": 0, "documents": 0, "platforms": 0}
        docs = source.execute("""
            select d.id, d.platform_id, d.slug, d.title, d.url, p.name, p.demo from documents d
            join platforms p on p.id = d.platform_id order by d.platform_id, d.id""").fetchall()
        used = set()
        sources = []
        last_platform = None
        for doc_id, platform_id, slug, title, url, platform_name, demo in docs:
            versions = source.execute(
                "select seq, observed_at, text_markdown from versions where document_id = ? order by seq",
                [doc_id]).fetchall()
            if platform_id != last_platform:
                sources.append(f"\n### {platform_name} (`{platform_id}`){' — demo' if demo else ''}\n")
                last_platform = platform_id
            sources.append(f"- `{platform_id}/{slug}`: {title} — <{url}> (versions: {len(versions)})")
            if not versions:
                continue
            folder = target / platform_id / slug
            folder.mkdir(parents=True, exist_ok=True)
            counts["documents"] += 1
            for seq, observed_at, text in versions:
                name = _stamp(observed_at)
                if (folder, name) in used:  # two versions seen in the same second: keep both
                    name = f"{name}-{seq}"
                used.add((folder, name))
                (folder / f"{name}.md").write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
                counts["versions"] += 1
        counts["platforms"] = len({d[1] for d in docs})
        first, last = source.execute("select min(observed_at), max(observed_at) from versions").fetchone()
        meta = _metadata()
        (target / "README.md").write_text(README_TEMPLATE.format(
            date=datetime.now(timezone.utc).strftime("%Y-%m-%d"), documents=len(docs),
            platforms=counts["platforms"], versions=counts["versions"], first=(first or "—")[:10],
            last=(last or "—")[:10], sources="\n".join(sources).strip() + "\n",
            license=meta.get("license", "see the platforms' terms"), source=meta.get("source", "policykb")),
            encoding="utf-8")
        copy_path = target / "policykb.db"
        copy_path.unlink(missing_ok=True)
        copy = sqlite3.connect(copy_path)
        try:
            source.backup(copy)  # a consistent copy even while a build writes (WAL)
        finally:
            copy.close()
        return counts
    finally:
        source.close()


