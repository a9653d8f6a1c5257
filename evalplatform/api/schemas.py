"""The submit request, validated so that every bad value is a 422 naming its field.

Strings are checked for what PostgreSQL cannot store (NUL, lone surrogates) here, so no
client input reaches the database as a 5xx. Integers and booleans are strict: `true` is
not a timeout and "5" is not a priority.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional, Union

from pydantic import (AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, StrictBool,
                      StrictFloat, StrictInt, StrictStr, field_validator)

from evalplatform import contract
from evalplatform.executor.quantities import (CPU_PATTERN, MEMORY_PATTERN, parse_cpu_cores,
                                              parse_memory_mb)
from evalplatform.sandbox import environments
from evalplatform.settings import get_settings

MAX_CODE_BYTES = 1024 * 1024
MAX_METADATA_BYTES = 64 * 1024
MIN_MEMORY_MB = 16
MAX_CPU_CORES = 64
LANGUAGES = ("python",)


def storable(text: str) -> str:
    """Reject what a PostgreSQL text column cannot hold."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (it holds a lone surrogate)") from None
    return text


def _check_storable_json(value: Any) -> None:
    """Every key and string in a JSON value must be storable (JSONB refuses NUL too)."""
    if isinstance(value, str):
        storable(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            storable(key)
            _check_storable_json(item)
    elif isinstance(value, list):
        for item in value:
            _check_storable_json(item)


CleanStr = Annotated[StrictStr, AfterValidator(storable)]
MemoryQuantity = Annotated[StrictStr, Field(pattern=MEMORY_PATTERN), AfterValidator(storable)]
CpuQuantity = Annotated[StrictStr, Field(pattern=CPU_PATTERN), AfterValidator(storable)]


class EvaluationRequest(BaseModel):
    """POST /api/eval. Unknown fields are ignored so older clients keep working."""

    model_config = ConfigDict(extra="ignore")

    # Constraints that JSON Schema can say are declared (so /openapi.json tells clients and
    # fuzzers); the validators below enforce the rest and give each rule its message.
    code: CleanStr = Field(min_length=1, description="Python source; non-blank, at most 1 MiB (UTF-8)")
    language: CleanStr = Field("python", description="Only 'python'",
                               json_schema_extra={"enum": list(LANGUAGES)})
    timeout: Optional[StrictInt] = Field(
        None, validate_default=True, ge=1, le=get_settings().max_timeout_s,
        description=f"Seconds, 1 to the platform maximum; default {get_settings().default_timeout_s}")
    priority: StrictInt = Field(
        contract.DEFAULT_PRIORITY, ge=contract.PRIORITY_MIN, le=contract.PRIORITY_MAX,
        description=f"An integer, {contract.PRIORITY_MIN}..{contract.PRIORITY_MAX} (signed 32-bit); "
                    f"default {contract.DEFAULT_PRIORITY}; higher runs first, FIFO within a value")
    environment: CleanStr = Field(
        "python", validation_alias=AliasChoices("environment", "executor_image"),
        description="A name from GET /api/environments (also accepted as executor_image)",
        json_schema_extra={"enum": [e.name for e in environments.list_environments()]})
    memory_limit: Optional[MemoryQuantity] = Field(
        None,
        description="A quantity like '256Mi' or '1Gi'; 16Mi to the platform maximum")
    cpu_limit: Optional[Union[StrictInt, StrictFloat, CpuQuantity]] = Field(
        None, description="Cores ('0.5', 2) or millicores ('500m')")
    expect_failure: StrictBool = False
    debug: StrictBool = False
    metadata: Optional[dict[str, Any]] = Field(None, description="Free-form JSON, at most 64 KiB")

    @field_validator("code")
    @classmethod
    def _code(cls, code: str) -> str:
        if not code.strip():
            raise ValueError("must not be blank")
        if len(code.encode("utf-8")) > MAX_CODE_BYTES:
            raise ValueError(f"must be at most {MAX_CODE_BYTES} bytes")
        return code

    @field_validator("language")
    @classmethod
    def _language(cls, language: str) -> str:
        if language.lower() not in LANGUAGES:
            raise ValueError(f"unsupported language; supported: {', '.join(LANGUAGES)}")
        return language.lower()

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, timeout: Optional[int]) -> int:
        """Unset: the platform's default. The range is the Field's (ge, le), checked there only."""
        return get_settings().default_timeout_s if timeout is None else timeout

    @field_validator("environment")
    @classmethod
    def _environment(cls, name: str) -> str:
        try:
            environments.get_environment(name)
        except KeyError as exc:
            raise ValueError(str(exc)) from None
        return name

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, limit: Optional[str]) -> Optional[str]:
        if limit is None:
            return None
        mb = parse_memory_mb(limit)
        maximum = get_settings().max_memory_mb
        if not MIN_MEMORY_MB <= mb <= maximum:
            raise ValueError(f"must be between {MIN_MEMORY_MB}Mi and {maximum}Mi")
        return limit.strip()

    @field_validator("cpu_limit")
    @classmethod
    def _cpu(cls, limit: Union[int, float, str, None]) -> Optional[str]:
        if limit is None:
            return None
        text = str(limit)
        if parse_cpu_cores(text) > MAX_CPU_CORES:
            raise ValueError(f"must be at most {MAX_CPU_CORES} cores")
        return text.strip()

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, metadata: Optional[dict]) -> Optional[dict]:
        if metadata is None:
            return None
        _check_storable_json(metadata)
        encoded = json.dumps(metadata, ensure_ascii=False)
        if len(encoded.encode("utf-8")) > MAX_METADATA_BYTES:
            raise ValueError(f"must be at most {MAX_METADATA_BYTES} bytes as JSON")
        return metadata

    def store_fields(self) -> dict:
        """Keyword arguments for store.create_evaluation."""
        return self.model_dump(exclude_none=False)


class SubmitResponse(BaseModel):
    eval_id: str
    status: str
    message: str
    queue_position: int
