"""Export: every version as Markdown in the layout of Open Terms Archive datasets, a README, a LICENSE, a copy
of the KB that opens read-only anywhere.

The layout follows Open Terms Archive's dataset releases (a folder per service, a folder below it, one
``<UTC time>.md`` per version, README and LICENSE at the top), with the deviations the README lists and
says why (:data:`OTA_DEVIATIONS`). The KB copy is made with SQLite's backup API (consistent while a build
writes) and switched to ``journal_mode=DELETE``: a copy left in WAL mode cannot be opened by a reader that
may not write beside it (a read-only folder, another user), since WAL readers need the ``-shm`` file.
"""

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
├ LICENSE                          what may be done with what (the texts are the platforms')
├ policykb.db                      a copy of the SQLite KB (journal mode DELETE: opens read-only anywhere)
├┬ <platform>/                     e.g. demomart
│└┬ <document>/                    e.g. account-health
│ ├ 2026-01-15T00-00-00Z.md
│ └ 2026-04-01T00-00-00Z.md
```

The KB copy holds the same versions with their dates and evidence, every check (fetch) and its
outcome, and the diff of every change; open it with `datasette policykb.db` or any SQLite client,
read-only if you like (`sqlite3 'file:policykb.db?mode=ro'`).

### Where this differs from an Open Terms Archive dataset 与 Open Terms Archive 数据集的差异

{deviations}

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


#: How this layout differs from an Open Terms Archive dataset, and why (listed in the README).
OTA_DEVIATIONS = (
    "Folders are ids, not display names (`demomart/account-health`, not `DemoMart/Account Health`): ids "
    "never change when a platform renames a page, are safe on every file system, and are the ids the KB, "
    "the feeds and the command line use. The names are listed under *Sources* below.",
    "The second folder is the document, not the terms type: a marketplace has several policy pages of one "
    "type (two appeal pages, several fee schedules), and Open Terms Archive's one-document-per-type would "
    "merge them. The type of each document is listed under *Sources* and in the KB (`documents.doc_type`).",
    "A version's file is named after the time policykb first saw that text (`observed_at`), which is the "
    "time of the check, not of a fetch: in a replay of archived pages, the date the page is replayed as of.",
    "`policykb.db` is added: the same versions with their checks, dates, evidence and diffs.",
)

LICENSE_TEMPLATE = """Licence of this export 许可
============================

Policy texts 政策文本
---------------------
The Markdown files under each platform's folder are the texts of policy pages published by these
platforms. They remain the copyright of their platforms; no licence to them is granted here. They are
reproduced to document how the policies changed, for research, criticism and review.
各平台政策文本版权归各平台所有，此处不授予任何许可，仅为记录变更、供研究与评论使用。

{platforms}

The compilation 汇编数据
------------------------
Everything else (the dates, checks, classifications, diffs and other data in policykb.db and the
README): {license}{license_url}

Source 来源: {source}
"""


def _metadata() -> dict:
    """Title, licence and source as ``metadata.yml`` states them for Datasette."""
    from pipeline.yamlload import safe_load

    try:
        return safe_load(METADATA.read_text(encoding="utf-8")) or {}
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
            select d.id, d.platform_id, d.slug, d.title, d.url, p.name, p.demo, d.doc_type from documents d
            join platforms p on p.id = d.platform_id order by d.platform_id, d.id""").fetchall()
        used = set()
        sources = []
        last_platform = None
        for doc_id, platform_id, slug, title, url, platform_name, demo, doc_type in docs:
            versions = source.execute(
                "select seq, observed_at, text_markdown from versions where document_id = ? order by seq",
                [doc_id]).fetchall()
            if platform_id != last_platform:
                sources.append(f"\n### {platform_name} (`{platform_id}`){' — demo' if demo else ''}\n")
                last_platform = platform_id
            sources.append(f"- `{platform_id}/{slug}`: {title} — <{url}> (type: {doc_type or 'other'}; "
                           f"versions: {len(versions)})")
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
            license=meta.get("license", "see the platforms' terms"), source=meta.get("source", "policykb"),
            deviations="\n".join(f"- {d}" for d in OTA_DEVIATIONS)),
            encoding="utf-8")
        _write_license(source, target / "LICENSE", meta)
        _copy_kb(source, target / "policykb.db")
        return counts
    finally:
        source.close()




def _write_license(source, path: Path, meta: dict):
    """The LICENSE: the texts stay their platforms' (each named), the compilation's licence from metadata.yml."""
    owners = source.execute("select distinct p.name, p.demo from platforms p join documents d"
                            " on d.platform_id = p.id join versions v on v.document_id = d.id order by p.name")
    path.write_text(LICENSE_TEMPLATE.format(
        platforms="\n".join(f"- {name}: © {name}" + (" (a fictional demo platform: texts written for "
                                                      "policykb's demo help centre)" if demo else "")
                            for name, demo in owners) or "- (none)",
        license=meta.get("license", "see the platforms' terms"),
        license_url=f" ({meta['license_url']})" if meta.get("license_url") else "",
        source=meta.get("source", "policykb")), encoding="utf-8")


def _copy_kb(source, path: Path):
    """A consistent copy of the KB at ``path`` in rollback-journal mode, so it opens read-only anywhere."""
    path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    copy = sqlite3.connect(path)
    try:
        source.backup(copy)  # a consistent copy even while a build writes (WAL)
        mode = copy.execute("pragma journal_mode=delete").fetchone()[0]
        if mode.lower() != "delete":
            raise RuntimeError(f"the KB copy stayed in journal mode {mode}")
    finally:
        copy.close()
