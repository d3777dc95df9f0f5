"""The service under load: one extraction at a time per process, /health never waits,
and memory that does not grow with new vocabulary (texts full of never-seen words).

Throughput and latency are measured by scripts/load_test.py (docs/deployment.md), not here.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

JA = "MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（log-rank test P＝0.003）。"


class Probe:
    """Wraps the extractor: counts how many extractions run at the same time; can hold them."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.active = 0
        self.max_active = 0
        self.calls = 0
        self.count_lock = threading.Lock()
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()

    def _run(self, fn, *args):
        with self.count_lock:
            self.active += 1
            self.calls += 1
            self.max_active = max(self.max_active, self.active)
        self.entered.set()
        try:
            self.release.wait(30)
            return fn(*args)
        finally:
            with self.count_lock:
                self.active -= 1

    def extract(self, *args, budget=None):
        return self._run(lambda: self.inner.extract(*args, budget=budget))

    def extract_many(self, records, budget=None):
        return self._run(lambda: list(self.inner.extract_many(list(records), budget=budget)))


@pytest.fixture()
def probed(extractor, make_client):
    probe = Probe(extractor)
    with make_client(probe) as client:
        yield client, probe


def test_extractions_are_serialised_per_process(probed):
    client, probe = probed
    texts = [f"{JA} 第{i}群 P＝0.0{i % 9 + 1}" if i % 2 else f"In {i + 10} patients, P = 0.0{i % 9 + 1}."
             for i in range(48)]

    def one(i: int):
        if i % 6 == 0:
            return client.post("/v1/extract/batch", json={"documents": [{"id": str(i), "text": texts[i]}]})
        return client.post("/v1/extract", json={"text": texts[i], "id": str(i)})

    with ThreadPoolExecutor(8) as pool:  # 8 concurrent clients
        responses = list(pool.map(one, range(len(texts))))
    assert all(r.status_code == 200 for r in responses)
    assert probe.calls == len(texts)
    assert probe.max_active == 1  # the engine's lock: never two extractions at once
    for i, r in enumerate(responses):
        body = r.json()["results"][0] if i % 6 == 0 else r.json()
        assert body["id"] == str(i) and body["p_values"][-1]["value"] == float(f"0.0{i % 9 + 1}")


def test_health_answers_while_an_extraction_runs(probed):
    client, probe = probed
    probe.release.clear()  # the next extraction holds until released
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(client.post, "/v1/extract", json={"text": JA})
        assert probe.entered.wait(30)
        assert client.get("/health").json() == {"status": "ok"}  # not queued behind the lock
        assert client.get("/ready").status_code == 200
        assert not pending.done()
        probe.release.set()
        assert pending.result(30).json()["p_values"][0]["value"] == 0.003


def new_word_text(rng: random.Random, lang: str) -> str:
    """A short abstract made of words no vocabulary has seen, plus numbers that change."""
    if lang == "en":
        word = "".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou") for _ in range(5))
        return (f"{word.capitalize()}mab and {word[::-1]}nib were given to {rng.randint(10, 99999)} patients; "
                f"{rng.randint(1, 99)}% responded to {word} {rng.randint(1, 900)} mg (P = 0.0{rng.randint(1, 9)}).")
    kata = "".join(
        rng.choice("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモ") for _ in range(6)
    )
    kanji = "".join(rng.choice("漢字語彙新規薬剤群症例患者効果治療投与観察評価") for _ in range(3))
    return (
        f"{kata}{kanji}を{rng.randint(10, 99999)}例に投与し、{rng.randint(1, 99)}例（{rng.randint(1, 99)}%）"
        f"が奏効した（P＝0.0{rng.randint(1, 9)}）。{kata}群"
    )


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_memory_does_not_grow_with_new_words(extractor, lang):
    """Nothing a text brings stays behind (no vocabulary, no cache keyed by text)."""
    import gc
    import tracemalloc

    rng = random.Random(5)
    for _ in range(200):  # warm-up: whatever is built once (lazy tables, caches of the rules) is built now
        extractor.extract(new_word_text(rng, lang), lang)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):  # each text brings new words and numbers
            result = extractor.extract(new_word_text(rng, lang), lang)
            assert result["p_values"], result  # the extractions themselves still work
        del result
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 512 * 1024, f"{grown} bytes stayed allocated after 1,000 {lang} texts of new words"
