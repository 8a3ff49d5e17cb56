"""Search latency on a synthetic KB of a million sections, through Datasette's HTTP JSON API.

    python bench/search.py [--sections 1000000] [--data DIR] [--repeat 15] [--rebuild] [--json]

Builds (once; reused while its size matches, ``--rebuild`` to force) a KB with
the real schema (``kb.db.open_db``): 12 platforms, documents of 100 sections,
4 versions each, every section a distinct wording (the worst case for the
index: a real KB repeats most sections from one version to the next, and each
wording is indexed once). Half the documents are Chinese, half English, one
section in ten carries a phrase of the other language; lengths follow a
log-normal law (median about 300 characters, a long tail past 3,000). Text is
drawn from policy vocabulary with Zipf-like word frequencies. Sections are
written with ``executemany`` in one transaction, then indexed by
``kb.store.search_index.sync`` (what ``policykb build`` runs).

Then it starts a real ``policykb serve`` on 127.0.0.1 and times
``GET /-/policykb/search.json?q=...`` (keep-alive HTTP, 20 hits per page)
for sets of queries: one- and two-character Chinese terms (frequent, rare,
absent), longer Chinese terms, English words and phrases, filtered queries and
mixed Chinese + English queries. It prints p50 / p95 / max per set and
overall. Goal: p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EN_WORDS = """seller sellers account accounts policy policies product products listing listings order orders customer
customers return returns refund refunds shipping delivery fee fees payment payments must may will shall not within
days business the a of to and in for on with by your our we you is are be this that any each all other such as or
if when after before under counterfeit infringement trademark copyright patent notice notices rights owner owners
brand brands appeal appeals reinstatement deactivation suspension warning warnings violation violations penalty
points threshold rate rates defect cancellation late tracking valid invoice invoices documentation compliance safety
recall prohibited restricted category categories approval marketplace fulfilment inventory price prices review
reviews rating ratings feedback communication circumvent manipulate information accurate performance target targets
health risk plan action submit evidence supplier suppliers authenticity verify investigate remove removed
immediately permanently temporarily funds held settlement withdraw dispute disputes claim claims buyer buyers
protection guarantee standard standards requirement requirements eligible ineligible include exclude agreement
terms conditions service services platform store shop shops days hours weeks calendar month period notice email
support team request requests decision decisions outcome review reviewed process processing""".split()
ZH_WORDS = """卖家 买家 商品 店铺 订单 平台 规则 违规 处理 申诉 投诉 侵权 知识产权 商标 专利 著作权 假货 下架 删除 扣分
罚款 冻结 结算 账户 资金 保证金 退款 退货 物流 发货 时效 延迟 虚假 信息 描述 价格 评价 刷单 炒信 封店 清退 处罚
警告 整改 限制 提交 材料 证据 审核 工作日 小时 以内 应当 可以 不得 根据 依据 本规则 以下 情形 包括 但不限于 发布
禁售 限售 资质 证明 授权 品牌 权利人 通知 反通知 恶意 违法 合规 安全 召回 质量 检测 标准 跨境 海关 税费 商家
消费者 服务 协议 条款 生效 更新 日期 期限 自然日 申请 复核 结果 通知书 邮件 客服 支持 团队 决定 流程 的 了 在 是
和 与 或 及 等 将 对 由 为 其 该 经 后 前 内 中""".split()
RARE_ZH = ["鳄鱼皮具", "鲸骨", "鹦鹉", "骆驼毛", "麒麟", "琥珀", "翡翠手镯", "玛瑙", "珊瑚"]
RARE_EN = ["ivory", "taxidermy", "meteorite", "narwhal"]

QUERY_SETS = {
    "zh 1 char": [{"q": q} for q in ["的", "诉", "规", "鲸", "龘"]],
    "zh 2 chars": [{"q": q} for q in ["申诉", "卖家", "侵权", "鹦鹉", "龙虾"]],
    "zh 3+ chars": [{"q": q} for q in ["知识产权", "申诉材料", "违规处理", "鳄鱼皮具", "不存在的词语"]],
    "english": [{"q": q} for q in ["counterfeit", "appeal", '"plan of action"', '"seller account"', "narwhal",
                                   "zyzzyva", "EU"]],
    "filtered": [{"q": "申诉", "platform": "p05"}, {"q": "申诉", "current": "1"},
                 {"q": "诉", "type": "appeals"}, {"q": "counterfeit", "locale": "en", "since": "2025-06-01"},
                 {"q": "侵权", "platform": "p11", "current": "1", "until": "2025-03-01"}],
    "mixed zh+en": [{"q": q} for q in ["申诉 appeal", "卖家 counterfeit", "诉 notice", "鹦鹉 ivory"]],
}
TYPES = ["appeals", "intellectual-property", "prohibited-products", "penalties", "returns", "account-health",
         "code-of-conduct", "fees", "shipping", "listing"]


def log(message):
    print(message, flush=True)


def zipf_weights(n, s=0.9):
    return [1 / (i + 1) ** s for i in range(n)]


def sentence_pools(rng, size=30_000):
    en_w, zh_w = zipf_weights(len(EN_WORDS)), zipf_weights(len(ZH_WORDS))
    en, zh = [], []
    for _ in range(size):
        words = rng.choices(EN_WORDS, en_w, k=rng.randint(6, 26))
        if rng.random() < 0.01:
            words.insert(rng.randrange(len(words)), rng.choice(RARE_EN))
        en.append(" ".join(words).capitalize() + ".")
        chars = rng.choices(ZH_WORDS, zh_w, k=rng.randint(5, 20))
        if rng.random() < 0.01:
            chars.insert(rng.randrange(len(chars)), rng.choice(RARE_ZH))
        zh.append("".join(chars) + "。")
    return en, zh


def section_text(rng, pool, other, n_sentences):
    text = (" " if pool[0].isascii() else "").join(rng.choices(pool, k=n_sentences))
    if rng.random() < 0.1:
        text += " " + rng.choice(other)
    return text


def build(data: Path, n_sections: int, seed=7):
    from kb.data import kb_path
    from kb.db import open_db
    from kb.store.search_index import sync

    data.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(kb_path(data)) + suffix).unlink(missing_ok=True)
    open_db(data).close()
    conn = sqlite3.connect(kb_path(data))
    conn.execute("pragma journal_mode = delete")  # a bulk load: no WAL of the size of the KB
    conn.execute("pragma synchronous = off")
    conn.execute("pragma cache_size = -400000")
    rng = random.Random(seed)
    en, zh = sentence_pools(rng)
    per_version, versions_per_doc = 100, 4
    n_docs = max(1, n_sections // (per_version * versions_per_doc))
    started = time.monotonic()
    platforms = [(f"p{i:02d}", f"Platform {i:02d}", f"平台{i:02d}") for i in range(1, 13)]
    conn.executemany("insert into platforms (id, name, name_zh, homepage, source_file, demo) values (?, ?, ?, '', '', 0)",
                     platforms)
    docs, versions = [], []
    for d in range(n_docs):
        platform = platforms[d % len(platforms)][0]
        chinese = d % 2 == 0
        doc_id = f"{platform}/doc-{d:05d}"
        dates = sorted(f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T00:00:00Z"
                       for _ in range(versions_per_doc))
        vids = [f"{doc_id}/{i}" for i in range(versions_per_doc)]
        docs.append((doc_id, platform, f"doc-{d:05d}", f"Document {d}", f"文件{d}", f"https://{platform}.example/{d}",
                     "zh-CN" if chinese else "en-US", TYPES[d % len(TYPES)], "ok", vids[-1], versions_per_doc))
        for i, (vid, date) in enumerate(zip(vids, dates)):
            versions.append((vid, doc_id, i + 1, date, "", 0, chinese))
    conn.executemany("""insert into documents (id, platform_id, slug, title, title_zh, url, locale, doc_type, state,
                        current_version_id, versions_count) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", docs)
    conn.executemany("""insert into versions (id, document_id, seq, observed_at, text_markdown, chars)
                        values (?, ?, ?, ?, ?, ?)""", [v[:6] for v in versions])

    def sections():
        n = 0
        for vid, doc_id, _, _, _, _, chinese in versions:
            pool, other = (zh, en) if chinese else (en, zh)
            for k in range(per_version):
                if n >= n_sections:
                    return
                sentences = max(1, min(40, int(rng.lognormvariate(1.1, 0.75))))
                heading = f"{k + 1}. " + (rng.choice(ZH_WORDS) + rng.choice(ZH_WORDS) if chinese
                                          else " ".join(rng.choices(EN_WORDS, k=3)).title())
                text = f"## {heading}\n\n" + section_text(rng, pool, other, sentences)
                n += 1
                if n % 100_000 == 0:
                    log(f"  generated {n:,} sections ({time.monotonic() - started:.0f} s)")
                yield (f"{vid}#{k + 1}", vid, doc_id, str(k + 1), heading, 2, k, text,
                       hashlib.sha256(text.encode()).hexdigest())

    with conn:
        conn.executemany("""insert into sections (id, version_id, document_id, key, heading, level, ordinal,
                            text_markdown, content_hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?)""", sections())
    generated = time.monotonic() - started
    count, chars = conn.execute("select count(*), sum(length(text_markdown)) from sections").fetchone()
    lengths = sorted(r[0] for r in conn.execute("select length(text_markdown) from sections where rowid % 100 = 0"))
    log(f"generated {count:,} sections in {generated:.0f} s: {chars / 1e6:.0f} M characters, length median "
        f"{lengths[len(lengths) // 2]}, p95 {lengths[int(len(lengths) * 0.95)]}, max {lengths[-1]}")
    started = time.monotonic()
    with conn:
        stats = sync(conn, progress=lambda stage, n: log(f"  indexed {n:,} sections ({stage} index, "
                                                             f"{time.monotonic() - started:.0f} s)"))
    log(f"indexed {stats.added:,} wordings in {time.monotonic() - started:.0f} s")
    conn.execute("pragma journal_mode = wal")
    conn.execute("analyze")
    conn.close()
    return {"sections": count, "chars": chars, "generate_s": round(generated, 1),
            "index_s": round(time.monotonic() - started, 1)}


def kb_sections(data: Path) -> int:
    from kb.data import kb_path

    path = kb_path(data)
    if not path.exists():
        return 0
    conn = sqlite3.connect(path)
    try:
        from kb.store.search_index import SCHEMA_VERSION

        version = conn.execute("select schema_version from search_state").fetchone()[0]
        return conn.execute("select count(*) from search_sections").fetchone()[0] if version == SCHEMA_VERSION else 0
    except (sqlite3.Error, TypeError):
        return 0
    finally:
        conn.close()


def serve(data: Path, port: int):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--data", str(data), "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"policykb serve exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/-/policykb/search.json?q=x")
            if conn.getresponse().status in (200, 400):
                conn.close()
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("policykb serve did not answer within 120 s")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_queries(port: int, repeat: int, seed=11):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    jobs = [(name, params) for name, queries in QUERY_SETS.items() for params in queries]
    for _, params in jobs:  # warm the page cache and the connection pool once
        conn.request("GET", "/-/policykb/search.json?" + urlencode({**params, "limit": 20}))
        conn.getresponse().read()
    timings = {name: [] for name in QUERY_SETS}
    per_query = {}
    hits = {}
    order = [job for job in jobs for _ in range(repeat)]
    random.Random(seed).shuffle(order)
    for i, (name, params) in enumerate(order, 1):
        path = "/-/policykb/search.json?" + urlencode({**params, "limit": 20})
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        timings[name].append((time.perf_counter() - started) * 1000)
        per_query.setdefault(json.dumps(params, ensure_ascii=False), []).append(timings[name][-1])
        if response.status != 200:
            raise SystemExit(f"{path}: HTTP {response.status} {body[:200]!r}")
        hits[json.dumps(params, ensure_ascii=False)] = len(json.loads(body)["hits"])
        if i % 200 == 0:
            log(f"  {i}/{len(order)} queries")
    conn.close()
    return timings, hits, per_query


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", type=int, default=1_000_000)
    parser.add_argument("--data", default="/tmp/policykb-bench-search", help="Folder for the synthetic KB.")
    parser.add_argument("--repeat", type=int, default=15, help="Times each query is run.")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--rebuild", action="store_true", help="Build the KB even if one of that size exists.")
    parser.add_argument("--json", action="store_true", help="Also print the figures as one JSON object.")
    args = parser.parse_args(argv)
    data = Path(args.data)
    started = time.monotonic()
    built = None
    if args.rebuild or kb_sections(data) != args.sections:
        log(f"building a synthetic KB of {args.sections:,} sections in {data} ...")
        built = build(data, args.sections)
    else:
        from kb.data import kb_path
        from kb.store.search_index import sync

        log(f"reusing the KB in {data} ({args.sections:,} sections indexed); bringing its index up to date")
        conn = sqlite3.connect(kb_path(data))
        with conn:
            stats = sync(conn)
        conn.close()
        log(f"  {stats.added} added, {stats.removed} removed in {stats.seconds:.1f} s")
    size = sum(p.stat().st_size for p in data.glob("policykb.db*"))
    log(f"KB size {size / 1e9:.2f} GB; serving it with policykb serve on 127.0.0.1:{args.port}")
    proc = serve(data, args.port)
    try:
        timings, hits, per_query = run_queries(args.port, args.repeat)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    everything = [t for ts in timings.values() for t in ts]
    log(f"\n{'query set':<14} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    figures = {}
    for name, ts in [*timings.items(), ("all", everything)]:
        figures[name] = {"n": len(ts), "p50": round(percentile(ts, 50), 1), "p95": round(percentile(ts, 95), 1),
                         "max": round(max(ts), 1)}
        f = figures[name]
        log(f"{name:<14} {f['n']:>7} {f['p50']:>8} {f['p95']:>8} {f['max']:>8}")
    slowest = sorted(per_query.items(), key=lambda item: -percentile(item[1], 50))[:5]
    log("\nslowest queries (median ms): " + ", ".join(f"{q} {percentile(ts, 50):.1f}" for q, ts in slowest))
    log("\nhits per query (page of 20): " + ", ".join(f"{q} {n}" for q, n in hits.items()))
    goal = figures["all"]["p95"] < 100
    log(f"\np95 over all queries: {figures['all']['p95']} ms ({'meets' if goal else 'MISSES'} the 100 ms goal); "
        f"total run {time.monotonic() - started:.0f} s")
    if args.json:
        print(json.dumps({"sections": args.sections, "kb_bytes": size, "build": built, "latency_ms": figures,
                          "hits": hits}, ensure_ascii=False))


if __name__ == "__main__":
    main()
