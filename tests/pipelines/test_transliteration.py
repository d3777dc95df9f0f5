"""Katakana -> English generic fallback (pipelines/transliteration.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from trialex.pipelines.transliteration import (
    KatakanaTransliterator,
    english_key,
    load_english_names,
    split_salt,
)

PAIRS_FILE = Path(__file__).parent / "data" / "translit_pairs.tsv"

NON_DRUG_WORDS = [
    "ランダム", "グループ", "スコア", "プロトコル", "ベースライン", "イベント", "リスク", "カテゴリー",
    "コントロール", "エンドポイント", "ガイドライン", "サブグループ", "コホート", "メタアナリシス",
    "ハザード", "レジメン", "プロファイル", "データ", "スクリーニング", "フォローアップ", "モニタリング",
    "アドヒアランス", "サンプル", "ステージ", "グレード", "マーカー", "エビデンス", "アウトカム",
    "カテーテル", "ステント", "クリニック", "システム", "プログラム", "チーム", "ピーク", "ビタミン",
]


def _pairs() -> list[tuple[str, str]]:
    rows = []
    for line in PAIRS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("ja\t"):
            continue
        ja, en = line.split("\t")
        rows.append((ja, en))
    return rows


@pytest.fixture(scope="module")
def english_names() -> list[str]:
    return load_english_names()


@pytest.fixture(scope="module")
def tr(english_names) -> KatakanaTransliterator:
    return KatakanaTransliterator(english_names)


def test_english_names_loaded(english_names):
    assert len(english_names) > 15000
    assert "dapagliflozin" in english_names and "pembrolizumab" in english_names
    assert all("," not in n and " and " not in n for n in english_names)


@pytest.mark.parametrize(
    "kana, romaji",
    [
        ("ダパグリフロジン", "dapagurifurojin"),
        ("ペムブロリズマブ", "pemuburorizumabu"),
        ("ウパダシチニブ", "upadashichinibu"),
        ("ランソプラゾール", "ransopurazooru"),
        ("ヴォリコナゾール", "vorikonazooru"),
        ("デュピルマブ", "dyupirumabu"),
        ("ティオトロピウム", "tiotoropiumu"),
        ("フィルゴチニブ", "firugochinibu"),
        ("ブロッカー", "burokkaa"),
        ("マッチ", "matchi"),
        ("バロキサビル マルボキシル", "barokisabiru marubokishiru"),
    ],
)
def test_romanize(tr, kana, romaji):
    assert tr.romanize(kana) == romaji


def test_keys(tr):
    # epenthetic vowels upper case; both sides meet on the same alphabet
    assert tr.key("ダパグリフロジン") == "dapagUrifUrojin"
    assert english_key("dapagliflozin") == "dapagrifrosin"
    assert english_key("hydroxychloroquine") == "hidroksikrorokin"
    assert english_key("erlotinib") == "errotinib"  # ll/l + r stay two letters
    assert tr.key("アムロジピン") == "amUrojipin"
    assert tr.key("ペムブロリズマブ").startswith("pem")  # ン/ム before b


@pytest.mark.parametrize(
    "kana, inn",
    [
        ("ダパグリフロジン", "dapagliflozin"),
        ("エンパグリフロジン", "empagliflozin"),
        ("ペムブロリズマブ", "pembrolizumab"),
        ("ウパダシチニブ", "upadacitinib"),
        ("バリシチニブ", "baricitinib"),
        ("セマグルチド", "semaglutide"),
        ("テゼペルマブ", "tezepelumab"),
        ("ボノプラザン", "vonoprazan"),
        ("レンバチニブ", "lenvatinib"),
        # hard ones
        ("ブデソニド", "budesonide"),
        ("イトラコナゾール", "itraconazole"),
        ("ヒドロキシクロロキン", "hydroxychloroquine"),
        ("ミゾリビン", "mizoribine"),
        ("ベリムマブ", "belimumab"),
        ("アニフロルマブ", "anifrolumab"),
        ("ボクロスポリン", "voclosporin"),
        ("トファシチニブ", "tofacitinib"),
        ("オクトレオチド", "octreotide"),
        ("パシレオチド", "pasireotide"),
        ("ペグビソマント", "pegvisomant"),
        ("ヴォリコナゾール", "voriconazole"),  # ヴ spelling
        ("ジアゼパム", "diazepam"),  # ジ = di
        ("アジスロマイシン", "azithromycin"),  # マイ = my
    ],
)
def test_known_examples(tr, kana, inn):
    hit = tr.lookup(kana)
    assert hit is not None and hit[0] == inn, (kana, hit, tr.rank(kana, 3))
    assert 0.85 <= hit[1] <= 1.0


def test_accuracy_on_pairs(tr):
    pairs = _pairs()
    assert len(pairs) >= 150
    failures = []
    t0 = time.perf_counter()
    for ja, en in pairs:
        hit = tr.lookup(ja)
        if hit is None or hit[0] != en:
            failures.append((ja, en, hit, tr.rank(ja, 3)))
    mean_ms = (time.perf_counter() - t0) / len(pairs) * 1000  # includes rank() of the failures
    accuracy = 1 - len(failures) / len(pairs)
    print(f"\ntransliteration accuracy {accuracy:.4f} on {len(pairs)} pairs, {mean_ms:.2f} ms/lookup")
    for f in failures:
        print("  FAIL", *f)
    assert accuracy >= 0.85


def test_non_drug_words_are_rejected(tr):
    accepted = [(w, tr.lookup(w)) for w in NON_DRUG_WORDS if tr.lookup(w) is not None]
    assert not accepted
    for w in ["ランダム", "グループ", "スコア", "リスク", "コントロール"]:
        ranked = tr.rank(w, 1)
        assert not ranked or ranked[0][1] < tr.min_score


@pytest.mark.parametrize(
    "kana, inn",
    [
        ("メトホルミン塩酸塩", "metformin"),
        ("塩酸メトホルミン", "metformin"),
        ("ダパグリフロジンプロピレングリコール水和物", "dapagliflozin"),
        ("ドネペジル塩酸塩", "donepezil"),
        ("アムロジピンベシル酸塩", "amlodipine"),
        ("オセルタミビルリン酸塩", "oseltamivir"),
        ("スニチニブリンゴ酸塩", "sunitinib"),
        ("レボチロキシンナトリウム水和物", "levothyroxine"),
        ("ダビガトランエテキシラートメタンスルホン酸塩", "dabigatran"),
        ("ベタメタゾン吉草酸エステル", "betamethasone"),
        ("アムホテリシンB", "amphotericin b"),
        # acids: 酸 left after the salt words is "-ic acid" / "-ate"
        ("バルプロ酸ナトリウム", "valproic acid"),
        ("ゾレドロン酸水和物", "zoledronic acid"),
        ("トラネキサム酸", "tranexamic acid"),
        ("アミノレブリン酸塩酸塩", "aminolevulinic acid"),  # not "-リン酸" phosphate
        ("ミコフェノール酸モフェチル", "mycophenolate mofetil"),
    ],
)
def test_salts(tr, kana, inn):
    hit = tr.lookup(kana)
    assert hit is not None and hit[0] == inn, (kana, hit, tr.rank(kana, 3))


def test_split_salt():
    assert split_salt("メトホルミン塩酸塩") == ("メトホルミン", False)
    assert split_salt("塩酸ドネペジル") == ("ドネペジル", False)
    assert split_salt("バルプロ酸ナトリウム") == ("バルプロ", True)
    assert split_salt("アレンドロン酸ナトリウム水和物") == ("アレンドロン", True)
    assert split_salt("ダパグリフロジン") == ("ダパグリフロジン", False)


@pytest.mark.parametrize("text", ["", "ー", "ン", "ッ", "ABC", "漢字", "塩酸塩", "アア", "ダパ・"])
def test_degenerate_inputs(tr, text):
    hit = tr.lookup(text)  # must not raise
    assert hit is None or (isinstance(hit[0], str) and 0.0 <= hit[1] <= 1.0)
    assert isinstance(tr.romanize(text), str)


def test_small_name_list_and_table_path(tmp_path):
    table = Path(__file__).resolve().parents[2] / "models" / "lexicons" / "katakana_romaji.tsv"
    small = KatakanaTransliterator(["Dapagliflozin", "metformin", "pembrolizumab-xxxx", "abacavir, lamivudine"],
                                   table_path=table)
    assert small.lookup("ダパグリフロジン")[0] == "dapagliflozin"
    assert small.lookup("ペムブロリズマブ")[0] == "pembrolizumab"  # biosimilar suffix dropped
    assert small.lookup("ランダム") is None
    bad = tmp_path / "bad.tsv"
    bad.write_text("kana\tromaji\tkey\tlatin\nア\ta\tä\ta\n", encoding="utf-8")
    with pytest.raises(ValueError):
        KatakanaTransliterator(["metformin"], table_path=bad)


