"""Decide what one archived fetch means for its document: a new version, unchanged, failed, gone, or held.

Pure functions: no database, no network. The build (:mod:`kb.ingest`) reads
the document's state from the KB, calls these, and stores what they return.

- :func:`classify_fetch` reads a fetch (status, blocked page, extraction,
  normalization, language) into an :class:`Outcome`;
- :func:`held_shrink` holds a text that shrank implausibly as a failed check
  until the next fetch confirms it;
- :func:`document_update` is the document's state machine
  (``unchecked → ok | failing | gone``), given the outcome of its newest check.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline.blocked import detect_blocked
from pipeline.classify import locale_mismatch
from pipeline.normalize import NO_RULES, apply_rules, content_hash, rules_at, rules_hash

#: The outcomes of a check that leave the document with a current text
SUCCESS = ("new_version", "unchanged", "not_modified")


@dataclass
class Outcome:
    """What one archived fetch means for its document."""

    outcome: str  # new_version | unchanged | not_modified | failed | gone
    reason: str | None = None
    text: str | None = None
    content_hash: str | None = None
    language: str | None = None
    rules_hash: str | None = None
    extracted_hash: str | None = None  # of the text before the noise rules
    selector: str | None = None  # the declared selector that matched (of the alternatives tried in order)
    title: str | None = None  # the page's <title>
    fingerprint: str | None = None  # of the page (:meth:`pipeline.extract.Page.fingerprint`), None if not taken


def classify_fetch(record, select=(), remove=(), declared_url=None, rules=NO_RULES, locale=None,
                   known: Outcome | None = None) -> Outcome:
    """Decide what a fetch (with its body) is: a text to version, or a failed check.

    :param record: the archived fetch (:class:`pipeline.archive.Snapshot`)
    :param select: CSS selectors of the policy text (none: main-content extraction)
    :param remove: CSS selectors of noise inside it
    :param declared_url: the URL the declaration asks for (to spot login redirects)
    :param rules: the declaration's normalization rules (:class:`pipeline.normalize.Rules`)
    :param locale: the declared locale; a page plainly in another language is a failed check
    :param known: the outcome of an earlier page of the document under the same rules and locale, with its
        fingerprint: when this page has the same fingerprint (its bytes changed, nothing the extraction reads
        did: a per-request token), a copy of it is the outcome, and nothing is converted, normalized or detected
    """
    if record.kind == "failure":
        return Outcome("failed", record.error or "no response")
    status = record.status
    if status in (404, 410):
        return Outcome("gone", f"HTTP {status}")
    if status == 429:
        return Outcome("failed", f"HTTP 429 rate limited (Retry-After: {record.header('Retry-After') or 'none'})")
    if status >= 400:
        return Outcome("failed", f"HTTP {status}")
    if status < 200 or status >= 300:
        return Outcome("failed", f"HTTP {status} without a usable page")
    blocked = detect_blocked(record, declared_url)
    if blocked:
        return Outcome("failed", blocked)
    from pipeline.extract import ExtractionError, extract  # here: a build where nothing changed never loads it

    try:
        extracted = extract(record.body, record.header("Content-Type"), select, remove,
                            unless=known.fingerprint if known is not None else None)
    except ExtractionError as exc:
        return Outcome("failed", exc.reason)
    if extracted.same_page:
        return replace(known)
    text = apply_rules(extracted.markdown, rules or NO_RULES)
    if not text.strip():
        return Outcome("failed", "nothing left after the normalization rules (ignore_patterns too broad?)",
                       selector=extracted.selector, title=extracted.title)
    wrong, language = locale_mismatch(text, locale)
    if wrong:
        return Outcome("failed", wrong, language=language, selector=extracted.selector, title=extracted.title)
    return Outcome("new_version", text=text, content_hash=content_hash(text), language=language,
                   rules_hash=rules_hash(select, remove, rules or NO_RULES),
                   extracted_hash=content_hash(extracted.markdown), selector=extracted.selector,
                   title=extracted.title, fingerprint=extracted.fingerprint)


def classify_with_declaration(record, declared, known: Outcome | None = None) -> Outcome:
    """:func:`classify_fetch` with the rules the declaration had when the record was observed (``known``: see
    there; it is used only if it was made under these rules)."""
    epoch = rules_at(declared, record.observed_at or record.fetched_at)
    if known is not None and known.rules_hash != rules_hash(epoch.select, epoch.remove, epoch.rules or NO_RULES):
        known = None
    return classify_fetch(record, epoch.select, epoch.remove, declared.url, epoch.rules, declared.locale, known)


def try_page(body: bytes, content_type: str | None, declared, at: str | None = None,
             url: str | None = None) -> Outcome:
    """What a saved page would give as a check of ``declared``: the build's own decision on it.

    For ``policykb sources try``: the page goes through :func:`classify_with_declaration` as if it
    were a 200 response for the declared URL, observed at ``at`` (so the rules valid then apply).

    :param body: the saved page's bytes
    :param content_type: its Content-Type (None: sniffed from the bytes)
    :param declared: the :class:`pipeline.sources.Document`
    :param at: ISO time whose rules apply (None: the current rules)
    :param url: the URL the page was served from, if it differs from the declared one (a redirect)
    """
    from pipeline.archive import Snapshot

    headers = [("Content-Type", content_type)] if content_type else []
    record = Snapshot(record_id="", warc_file="", offset=0, kind="response", document=declared.key,
                      url=url or declared.url, status=200, headers=headers, body=body, fetched_at=at or "",
                      observed_at=at or "")
    return classify_with_declaration(record, declared)


#: A text under this share of the current version's is implausible as one step (a body cut short, a
#: half-rendered app shell, a page emptied by a failed include); the real corpus's largest one-step
#: shrink keeps 49% (eMAG's terms, Sept. 2023).
SHRINK_MIN_SHARE = 0.25
#: ... when the current version is at least this long (a short page may well lose most of its text).
SHRINK_MIN_CHARS = 1000
SHRANK = "the text shrank implausibly"


def held_shrink(current_text: str, result: Outcome, last_check) -> Outcome | None:
    """A failed check for a text that shrank implausibly since the current version, unless confirmed.

    The first fetch of such a text is a failed check (with the text's hash); a
    second fetch in a row giving the same text confirms it, and it becomes a
    version. So a glitch never becomes a version, and a page that really was cut
    down is recorded one check later. Returns None when the text is plausible
    (or confirmed: then ``result.reason`` says so).

    :param current_text: the current version's text
    :param result: the new fetch's outcome (``new_version``, with its text)
    :param last_check: the document's newest check as ``(outcome, reason, content_hash)``, or None
    """
    old, new = len(current_text or ""), len(result.text or "")
    if old < SHRINK_MIN_CHARS or new >= SHRINK_MIN_SHARE * old:
        return None
    if last_check and last_check[0] == "failed" and (last_check[1] or "").startswith(SHRANK) \
            and last_check[2] == result.content_hash:
        result.reason = f"{SHRANK}, and the next fetch confirmed it ({old} → {new} characters)"
        return None
    return Outcome("failed", f"{SHRANK}: {old} → {new} characters ({100 * new / old:.0f}% of the current version);"
                             " held as a failed check until the next fetch gives the same text",
                   content_hash=result.content_hash, language=result.language, rules_hash=result.rules_hash,
                   extracted_hash=result.extracted_hash)


@dataclass
class DocumentState:
    """What the KB knows of a document before a check: the inputs of :func:`document_update`."""

    current_version_id: str | None = None
    versions_count: int = 0
    state: str = "unchecked"  # unchecked | ok | failing | gone
    gone_since: str | None = None
    first_seen: str | None = None
    last_checked: str | None = None
    consecutive_failures: int = 0


def document_update(before: DocumentState, outcome: Outcome, observed: str, current_id, versions_count,
                    change_kind=None) -> dict:
    """The document's new state after a check: the columns of ``documents`` to update.

    :param before: the document's state before this check
    :param outcome: the check's outcome
    :param observed: when the fetch was observed (UTC ISO 8601)
    :param current_id: the current version after this check
    :param versions_count: the number of versions after this check
    :param change_kind: the kind of the version this check made (``first``, ``substantive``, ...), if any
    """
    update = {"last_checked": max(filter(None, [before.last_checked, observed])),
              "first_seen": before.first_seen or observed}
    if outcome.outcome in SUCCESS:
        update.update(state="ok", last_success=observed, consecutive_failures=0, gone_since=None,
                      last_failure_reason=None, current_version_id=current_id, versions_count=versions_count)
        if change_kind in ("first", "substantive"):
            update["last_changed"] = observed  # feeds, counts and "last changed" follow substantive changes
    else:
        # a failure observed at the very moment of the last failed check repeats that observation (a crawl
        # of the same replay date run again after it was killed), so it is not one more failure in a row
        repeat = observed == before.last_checked and before.state in ("failing", "gone")
        failures = (before.consecutive_failures or 0) + (0 if repeat else 1)
        if outcome.outcome == "gone":
            update.update(state="gone", gone_since=before.gone_since or observed, last_failure_reason=outcome.reason,
                          consecutive_failures=failures)
        else:
            update.update(state="failing" if before.state != "gone" else "gone", last_failure_reason=outcome.reason,
                          consecutive_failures=failures)
    if current_id != before.current_version_id:
        update["current_version_id"] = current_id
        update["versions_count"] = versions_count
    return update
