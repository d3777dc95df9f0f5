"""Request and response models of the HTTP API (the spec's JSON, see docs/api.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator
from pydantic.config import JsonDict, JsonValue

from .examples import EN_TEXT, JA_TEXT  # an English and a Japanese abstract, with the answers

Lang = Literal["auto", "ja", "en"]


def _not_blank_pattern() -> str:
    """A JSON Schema pattern (ECMA-262, searched) for "has a character Python's str.strip() keeps":
    the whitespace set spelled out, since ECMA's \\s differs from Python's (U+001C-U+001F, U+0085,
    U+FEFF)."""
    spaces = [c for c in range(0x3001) if chr(c).isspace()]
    ranges, start = [], spaces[0]
    for prev, cur in zip(spaces, spaces[1:] + [-1]):  # -1: the end of the last range
        if cur != prev + 1:
            ranges.append(f"\\u{start:04x}" + (f"-\\u{prev:04x}" if prev > start else ""))
            start = cur
    return "[^" + "".join(ranges) + "]"


NOT_BLANK = _not_blank_pattern()  # the validators below check the same with str.strip()


class ExtractRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"id": "ja-1", "lang": "ja", "text": JA_TEXT},
            {"id": "en-1", "lang": "auto", "text": EN_TEXT},
        ]},
    )
    # minLength and pattern are published in the schema; the validator below enforces both with
    # its own message (pydantic's min_length error would come first and say less).
    text: str = Field(..., description="The abstract, exactly as offsets should refer to it: at least one "
                      "character that is not whitespace; at most TRIALEX_MAX_CHARS characters (maxLength "
                      "in the published schema; longer texts get 413).",
                      json_schema_extra={"minLength": 1, "pattern": NOT_BLANK})
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


DOCUMENTS_EXAMPLE: JsonDict = {
    "documents": [{"id": "en-1", "lang": "en", "text": EN_TEXT}, {"id": "ja-1", "lang": "ja", "text": JA_TEXT}]
}


class BatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [DOCUMENTS_EXAMPLE]},
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


class Effect(Span):
    measure: Literal["HR", "OR", "RR", "RD", "MD", "SMD", "IRR"]
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float | None = None
    p_value: int | None = Field(None, description="Index into p_values of the p value the text ties to it.")


class ArmResult(BaseModel):
    outcome: str | None = None
    response_rate: int = Field(..., description="Index into response_rates.")


class Arm(BaseModel):
    label: str = Field(..., description='The arm as written ("MMF 群", "the placebo group").')
    drugs: list[int] = Field(..., description="Indices into drugs.")
    doses: list[int] = Field(..., description="Indices into doses.")
    n: int | None = Field(None, description="Index into trial_sizes.")
    results: list[ArmResult]
    effects: list[int] | None = Field(None, description="Indices into effects (comparisons reported with this arm).")
    p_values: list[int] | None = Field(None, description="Indices into p_values.")


class Check(BaseModel):
    check: Literal["percent_mismatch", "arm_sum", "percent_over_100", "ci_excludes_value", "p_ci_conflict"]
    message: str
    spans: list[list[int]]


class ExtractResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str | None
    lang: Literal["ja", "en"]
    drugs: list[Drug]
    doses: list[Dose]
    trial_sizes: list[TrialSize]
    response_rates: list[ResponseRate]
    p_values: list[PValue]
    effects: list[Effect] = []
    arms: list[Arm] = []
    checks: list[Check] = []
    meta: dict


class BatchResult(BaseModel):
    results: list[ExtractResult]


class TableRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [DOCUMENTS_EXAMPLE]})
    documents: list[ExtractRequest] = Field(..., min_length=1, description="The documents of the evidence table.")


# --------------------------------------------------------------------------- errors


class ValidationIssue(BaseModel):
    loc: list[str | int] = Field(..., description="Where: body/query and the path of the field.")
    msg: str
    type: str


class ErrorInfo(BaseModel):
    code: str = Field(
        ..., description="What went wrong, for programs (the codes: docs/api.md).", examples=["over_limit"]
    )
    message: str = Field(..., description="What went wrong, in words.")
    details: list[ValidationIssue] | dict[str, Any] | None = Field(
        None,
        description="422 validation_error: one entry per field; 413 over_limit: the setting, its limit and "
        "the size sent; 500: the request id; otherwise null.",
    )


class ErrorBody(BaseModel):
    """Every error of the API: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorInfo


def error_body(code: str, message: str, details: Any = None) -> dict:
    """The JSON of an error (the shape of :class:`ErrorBody`)."""
    return {"error": {"code": code, "message": message, "details": details}}


# The code of an error when nothing more specific is known (HTTPException of a route, Starlette's 404 and 405).
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_request",
    500: "internal_error",
    503: "unavailable",
}
ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON encoded as UTF-8.",
    401: "The API key is missing: send X-API-Key: KEY, Authorization: Bearer KEY (or Token KEY), or HTTP "
    "Basic with the key as password.",
    403: "Wrong API key; or a write endpoint while no TRIALEX_API_KEY is configured.",
    404: "Nothing is stored for that document.",
    409: "The document key is already stored with a different text.",
    413: "Over a limit: a body over TRIALEX_MAX_BODY_BYTES, more than TRIALEX_MAX_BATCH documents or tasks, "
    "or a text over TRIALEX_MAX_CHARS.",
    422: "The request does not have the documented shape, or a text is blank, holds an unpaired surrogate or a "
    "NUL character, or a number is out of range.",
    500: "A bug: logged with the request id (X-Request-ID), which the body carries too.",
    503: "The models are still loading, or the extraction did not finish within TRIALEX_MAX_SECONDS (or the "
    "request waited that long for its turn). Retry after the Retry-After seconds.",
}
_VALIDATION = [{"loc": ["body", "text"], "msg": "Field required", "type": "missing"}]
ERROR_EXAMPLES: dict[int, dict[str, tuple[str, str, Any]]] = {  # status -> name -> (code, message, details)
    400: {
        "invalid_utf8": (
            "invalid_utf8",
            "request body is not valid UTF-8 (byte 0xff at offset 10); send JSON encoded as UTF-8",
            None,
        )
    },
    401: {
        "missing_key": (
            "unauthorized",
            "reading (TRIALEX_REQUIRE_KEY_FOR_READ=1) needs the API key: send "
            "X-API-Key: <key>, Authorization: Bearer <key>, or HTTP Basic with the key "
            "as password (TRIALEX_API_KEY)",
            None,
        )
    },
    403: {"wrong_key": ("forbidden", "wrong API key", None)},
    404: {"not_stored": ("not_found", "no corrections stored for document 'ja-1'", None)},
    409: {
        "other_text": (
            "document_conflict",
            "document 'ja-1' is stored with a different text (sha256 "
            "0123456789ab…); offsets would not refer to the same characters — use "
            "another doc_id",
            None,
        )
    },
    413: {
        "text_too_long": (
            "over_limit",
            "text has 250000 characters; the limit is 200000 (TRIALEX_MAX_CHARS)",
            {"setting": "TRIALEX_MAX_CHARS", "limit": 200000, "actual": 250000},
        ),
        "body_too_large": (
            "body_too_large",
            "request body over 4000000 bytes (TRIALEX_MAX_BODY_BYTES)",
            {"setting": "TRIALEX_MAX_BODY_BYTES", "limit": 4000000},
        ),
    },
    422: {
        "validation_error": (
            "validation_error",
            "the request does not have the documented shape: 1 error",
            _VALIDATION,
        ),
        "blank_text": ("invalid_text", "text is empty or whitespace only", None),
    },
    500: {"bug": ("internal_error", "internal error", {"request_id": "4f9c2d0e8a7b4c1d9e3f2a1b0c9d8e7f"})},
    503: {
        "loading": ("not_ready", "models are still loading; retry shortly", None),
        "timeout": (
            "timeout",
            "the extraction did not finish within 30 s (TRIALEX_MAX_SECONDS) after 30.0 s; the "
            "text may be too long or the service busy — retry later or send a shorter text",
            None,
        ),
    },
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}


def json_examples(**named: Any) -> dict[str, Any]:
    """A response's ``content`` with named JSON examples (``name=value``)."""
    return {"application/json": {"examples": {name: {"value": value} for name, value in named.items()}}}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route: each error status it can return, with its body model and examples."""
    return {
        code: {
            "model": ErrorBody,
            "description": ERROR_DESCRIPTIONS[code],
            "content": json_examples(**{name: error_body(*example) for name, example in ERROR_EXAMPLES[code].items()}),
            **({"headers": _RETRY_AFTER} if code == 503 else {}),
        }
        for code in codes
    }


class ReadyBody(BaseModel):
    status: Literal["ready", "loading", "failed"]
    model_version: str | None = None
    error: str | None = None


class HealthBody(BaseModel):
    status: Literal["ok"]


# --------------------------------------------------------------------------- Label Studio

LabelConfigXML = Annotated[
    str,
    Field(
        min_length=1,
        description="A Label Studio labelling config (XML, as in models/label_studio/config.xml); one that does "
        "not parse, or has no Labels, gets 422.",
        json_schema_extra={"format": "label-studio-config"},
    ),
]
# Strings the store keeps in text columns: no NUL character (PostgreSQL cannot hold one).
StoredStr = Annotated[StrictStr, Field(pattern=r"^[^\x00]*$")]
ProjectId = StoredStr | StrictInt


class PredictRequest(BaseModel):
    """What Label Studio posts to its ML backend's /predict (other fields are accepted and ignored)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "tasks": [{"id": 1, "data": {"text": JA_TEXT}}, {"id": 2, "data": {"text": EN_TEXT}}],
                    "project": "1.1700000000",
                }
            ]
        },
    )
    tasks: list[Any] = Field(
        ...,
        description='Tasks {"id", "data": {"text": ...}} (the data key is the one '
        'the label config\'s <Text value="$key"> names); at most TRIALEX_MAX_BATCH, each '
        "text at most TRIALEX_MAX_CHARS characters (413). A task without a text gets an "
        "empty prediction.",
    )
    label_config: LabelConfigXML | None = None
    project: ProjectId | None = Field(
        None,
        description='Label Studio\'s project ("id.timestamp"): its config '
        "stored by /setup is used when no label_config is sent.",
    )


class PredictResponse(BaseModel):
    results: list[dict[str, Any]] = Field(..., description="One prediction per task, in order.")
    model_version: str


class SetupRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    project: ProjectId | None = None
    label_config: LabelConfigXML | None = Field(
        None, validation_alias=AliasChoices("schema", "label_config"), serialization_alias="schema"
    )
    hostname: StoredStr | None = None
    access_token: str | None = Field(None, description="Accepted and never stored.")


class ValidateRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    config: LabelConfigXML = Field(..., validation_alias=AliasChoices("config", "label_config"))


_STORED_ACTIONS: list[JsonValue] = ["ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED"]
_NO_NUL: JsonDict = {"pattern": "^[^\\x00]*$"}
_TASK: JsonDict = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {
                    "type": "string",
                    "minLength": 1,
                    "allOf": [{"pattern": NOT_BLANK}, _NO_NUL],
                    "description": "The text (under the key the label config names; 'text' by default); at "
                    "most TRIALEX_MAX_CHARS characters (413).",
                }
            },
        }
    },
}
# Stored actions need the task or tasks (Label Studio's "Send payload"), each with its text.
_STORED_NEEDS_TASK: JsonDict = {
    "if": {"required": ["action"], "properties": {"action": {"enum": _STORED_ACTIONS}}},
    "then": {
        "anyOf": [{"required": ["task"]}, {"required": ["tasks"]}],
        "properties": {
            "task": {"anyOf": [_TASK, {"type": "array", "minItems": 1, "items": _TASK}]},
            "tasks": {"anyOf": [_TASK, {"type": "array", "minItems": 1, "items": _TASK}]},
            "project": {
                "anyOf": [
                    {"type": ["integer", "string", "null"], **_NO_NUL},
                    {"type": "object", "properties": {"id": {"type": ["integer", "string", "null"], **_NO_NUL}}},
                ]
            },
        },
    },
}


class WebhookEvent(BaseModel):
    """A Label Studio webhook payload ("Send payload" on).  ANNOTATION_CREATED, ANNOTATION_UPDATED and
    ANNOTATIONS_CREATED are stored (they need the task and its text: 422 without); ANNOTATION(S)_DELETED
    mark deleted; other actions are acknowledged and ignored."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            **_STORED_NEEDS_TASK,
            "examples": [
                {
                    "action": "ANNOTATION_CREATED",
                    "annotation": {
                        "id": 1,
                        "task": 1,
                        "result": [
                            {
                                "id": "r1",
                                "from_name": "label",
                                "to_name": "text",
                                "type": "labels",
                                "value": {"start": 0, "end": 3, "text": "MMF", "labels": ["Drug"]},
                            }
                        ],
                    },
                    "task": {"id": 1, "data": {"text": JA_TEXT, "doc_id": "ja-example-1"}},
                    "project": {"id": 1},
                }
            ],
        },
    )
    action: str | None = None
    annotation: Any = None
    annotations: Any = None
    task: Any = None
    tasks: Any = None
    project: Any = None
    id: Any = None
