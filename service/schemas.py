"""Request and response models of the HTTP API (the spec's JSON, see docs/api.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Lang = Literal["auto", "ja", "en"]

JA_EXAMPLE = "MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（log-rank test P＝0.003）。MMF は 1 日 3,000mg を投与した。"
EN_EXAMPLE = ("A total of 370 patients were randomized to mycophenolate mofetil (MMF, 3 g/day) or IV "
              "cyclophosphamide (0.5 to 1.0 g per square meter monthly). Complete remission: 16 of 71 "
              "patients (22.5%) with MMF; P = 0.003.")


class ExtractRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"id": "ja-1", "lang": "ja", "text": JA_EXAMPLE},
            {"id": "en-1", "lang": "auto", "text": EN_EXAMPLE},
        ]},
    )
    text: str = Field(..., description="The abstract, exactly as offsets should refer to it.")
    lang: Lang = Field("auto", description="'auto' detects Japanese script; 'ja' or 'en' force a pipeline.")
    id: str | None = Field(None, max_length=512, description="Echoed back in the result.")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text is empty or whitespace only")
        return v

    @field_validator("text", "id")
    @classmethod
    def _valid_unicode(cls, v: str | None) -> str | None:
        # JSON allows "\ud800" escapes: a lone surrogate is no character and cannot be
        # tokenized or sent back as UTF-8, so it is a bad request (422), not a 500.
        if v is not None:
            try:
                v.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"unpaired surrogate U+{ord(v[exc.start]):04X} at character {exc.start}; "
                                 "send valid Unicode") from None
        return v


class BatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"documents": [
            {"id": "ja-1", "lang": "ja", "text": JA_EXAMPLE},
            {"id": "en-1", "lang": "en", "text": EN_EXAMPLE},
        ]}]},
    )
    documents: list[ExtractRequest] = Field(..., min_length=1)


class Span(BaseModel):
    start: int = Field(..., description="Offset of the first character in the text sent (code points).")
    end: int = Field(..., description="Offset after the last character (exclusive).")
    text: str = Field(..., description="text[start:end] of the text sent.")


class Drug(Span):
    name: str = Field(..., description="English generic name, lower case (a class: the term).")
    source: str | None = None
    ids: dict[str, str] | None = None
    score: float | None = None
    class_: bool | None = Field(None, alias="class")


class NormalizedDose(BaseModel):
    min: float
    max: float
    unit: str


class Dose(Span):
    min: float
    max: float
    unit: str = Field(..., description="The unit as written.")
    normalized: NormalizedDose
    frequency: str | None = None
    route: str | None = None
    drug: int | None = Field(None, description="Index into drugs.")


class TrialSize(Span):
    n: int
    scope: Literal["total", "arm", "subset"]
    arm: str | None = None


class ResponseRate(Span):
    percent: float
    numerator: int | None = None
    denominator: int | None = None
    outcome: str | None = None
    arm: str | None = None


class PValue(Span):
    operator: Literal["=", "<", ">", "<=", ">=", "?"]
    value: float
    threshold: bool | None = None


class ExtractResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str | None
    lang: Literal["ja", "en"]
    drugs: list[Drug]
    doses: list[Dose]
    trial_sizes: list[TrialSize]
    response_rates: list[ResponseRate]
    p_values: list[PValue]
    meta: dict


class BatchResult(BaseModel):
    results: list[ExtractResult]
