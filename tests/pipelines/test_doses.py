import pytest

from tests.helpers import one


@pytest.mark.parametrize(
    "text, span, lo, hi, unit",
    [
        ("MMF 3,000mg was given.", "3,000mg", 3000, 3000, "mg"),
        ("MMF を 1 日 3,000mg 投与した。", "1 日 3,000mg", 3000, 3000, "mg/day"),
        ("MMF 3g/日を投与", "3g/日", 3000, 3000, "mg/day"),
        ("MMF 2 g/日を投与", "2 g/日", 2000, 2000, "mg/day"),
        ("IVC：0.5-1.0 g/m2/月で投与", "0.5-1.0 g/m2/月", 500, 1000, "mg/m2/month"),
        ("MMF 500～3000mg/日を投与", "500～3000mg/日", 500, 3000, "mg/day"),
        ("AZA 1～3 mg／Kg／日を投与", "1～3 mg／Kg／日", 1, 3, "mg/kg/day"),
        ("cyclophosphamide 750mg monthly pulses", "750mg", 750, 750, "mg"),
        ("MMF 3 grams/day was the target", "3 grams/day", 3000, 3000, "mg/day"),
        ("IV cyclophosphamide 0.5 to 1.0 g per square meter", "0.5 to 1.0 g per square meter", 500, 1000, "mg/m2"),
        ("metformin 1000 mg twice daily", "1000 mg", 1000, 1000, "mg"),
        ("formoterol 9 μg bid", "9 μg", 0.009, 0.009, "mg"),
        ("ｲﾝｽﾘﾝ ｸﾞﾗﾙｷﾞﾝ 10単位/日", "10単位/日", 10, 10, "U/day"),
        ("プレドニゾロン ２０㎎／日（１㎎／㎏）", "２０㎎／日", 20, 20, "mg/day"),
        ("tranexamic acid 10 mg.kg−1 i.v.", "10 mg.kg−1", 10, 10, "mg/kg"),
    ],
)
def test_doses(extract, text, span, lo, hi, unit):
    d = one(extract(text), "doses", span)
    assert d["normalized"] == {"min": pytest.approx(lo), "max": pytest.approx(hi), "unit": unit}


def test_escalation_is_two_doses(extract):
    r = extract("MMF は 1000mg/日から3000mg/日まで増量した。")
    assert [(d["text"], d["normalized"]["min"]) for d in r["doses"]] == [("1000mg/日", 1000), ("3000mg/日", 3000)]


def test_frequency_and_route_are_attributes(extract):
    r = extract("Patients received oral MMF 1000 mg twice daily.")
    d = one(r, "doses", "1000 mg")
    assert d["frequency"] == "twice daily"
    assert d["route"].lower() == "oral"
    r = extract("エンドキサン 500mg を 1日2回 経口投与")
    assert one(r, "doses", "500mg")["normalized"]["unit"] == "mg"


def test_dose_linked_to_its_drug(extract):
    r = extract("MMF（2g／日）と AZA (2 mg/kg/day) を比較した。")
    names = [r["drugs"][d["drug"]]["name"] for d in r["doses"]]
    assert names == ["mycophenolate mofetil", "azathioprine"]


@pytest.mark.parametrize(
    "text",
    [
        "尿蛋白 0.3g/24h に減少した。",
        "serum creatinine 1.2 mg/dL at baseline",
        "LDL cholesterol 100 mg/dL",
        "BMI 25 kg/m2 and body weight 60 kg",
        "proteinuria of 3.5 g/day",
        "eGFR 60 mL/min/1.73 m2",
    ],
)
def test_lab_values_are_not_doses(extract, text):
    assert extract(text)["doses"] == []


@pytest.mark.parametrize("text,surface,written,unit,normalized", [
    # the spec: min/max with the unit as written, normalized in mg (issue: "3 g/day" gave 3000 "g/day")
    ("MMF 3 g/day was given.", "3 g/day", (3, 3), "g/day", (3000, 3000, "mg/day")),
    ("MMF 1,000 mg twice daily.", "1,000 mg", (1000, 1000), "mg", (1000, 1000, "mg")),
    ("IVC 0.5-1.0 g/m2/month was given.", "0.5-1.0 g/m2/month", (0.5, 1.0), "g/m2/month", (500, 1000, "mg/m2/month")),
    ("tacrolimus 75 μg/kg/day was given", "75 μg/kg/day", (75, 75), "μg/kg/day", (0.075, 0.075, "mg/kg/day")),
    ("vitamin D 4000 IU/day was given", "4000 IU/day", (4000, 4000), "IU/day", (4000, 4000, "IU/day")),
    ("ＭＭＦ ２ｇ／日を投与した。", "２ｇ／日", (2, 2), "ｇ／日", (2000, 2000, "mg/day")),
])
def test_written_amounts_and_normalized_mg(extract, text, surface, written, unit, normalized):
    (d,) = [d for d in extract(text)["doses"] if d["text"] == surface]
    assert (d["min"], d["max"]) == written and d["unit"] == unit
    assert (d["normalized"]["min"], d["normalized"]["max"], d["normalized"]["unit"]) == normalized
