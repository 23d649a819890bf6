"""A thin wrapper around the official `openai` SDK: one chat completion that returns the answer's text.

Retries of timeouts, 429s and 5xx (with exponential backoff, honouring `Retry-After`) are the SDK's own,
configured through `max_retries` and `timeout`; this wrapper adds the bound on the total time and the
structured-output negotiation: JSON-schema response format first, then JSON mode, then plain text, stepping
down when a server answers 400 to a format it does not support (Ollama, vLLM and older Azure deployments
differ here), and remembering the step for the following rounds.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import openai

from ..errors import NexusError
from ..spec.schema import spec_json_schema
from . import DEFAULT_MODEL
RESPONSE_FORMATS = ("json_schema", "json_object", "text")


class ModelError(NexusError):
    """The model server failed, refused, or ran out of time; nothing is written."""

    exit_code = 1


class ModelUnreachable(ModelError):
    """No connection to the model server (or no answer before the timeout): the offline parser takes over."""


@dataclass
class ModelSettings:
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key: str | None = None
    request_timeout: float = 60.0      # seconds per attempt
    max_retries: int = 3               # SDK retries per request (timeouts, 429, 5xx)
    total_timeout: float = 300.0       # seconds for the whole generation, every round and retry included


@dataclass
class ModelClient:
    settings: ModelSettings
    deadline: float = field(init=False)
    response_format: str = field(init=False, default=RESPONSE_FORMATS[0])
    requests: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.settings.total_timeout
        self._client = openai.OpenAI(api_key=self.settings.api_key or "unused", base_url=self.settings.base_url,
                                     timeout=self.settings.request_timeout, max_retries=self.settings.max_retries)

    def complete(self, messages: list[dict]) -> str:
        while True:
            try:
                return self._complete_once(messages)
            except openai.BadRequestError as error:
                if self.response_format == RESPONSE_FORMATS[-1] or not _about_format(error):
                    raise ModelError(f"the model server rejected the request: {_detail(error)}") from None
                self.response_format = RESPONSE_FORMATS[RESPONSE_FORMATS.index(self.response_format) + 1]

    def _complete_once(self, messages: list[dict]) -> str:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ModelError(f"gave up: no usable answer within {self.settings.total_timeout:g} s")
        attempts = self.settings.max_retries + 1
        # Every attempt and its backoff must fit in what is left of the total time.
        timeout = min(self.settings.request_timeout, remaining / attempts)
        self.requests += 1
        try:
            response = self._client.with_options(timeout=timeout).chat.completions.create(
                model=self.settings.model, messages=messages, temperature=0, **self._format_arguments())
        except openai.APITimeoutError:
            if timeout < self.settings.request_timeout:  # cut short by the total bound, not a dead server
                raise ModelError(f"gave up: no usable answer within {self.settings.total_timeout:g} s") from None
            raise ModelUnreachable(f"the model server did not answer within {timeout:.3g} s "
                                   f"({attempts} attempts)") from None
        except openai.APIConnectionError as error:
            raise ModelUnreachable(f"cannot reach the model server: {error.__cause__ or error}") from None
        except openai.AuthenticationError as error:
            raise ModelError(f"the model server refused the API key (OPENAI_API_KEY): {_detail(error)}") from None
        except openai.RateLimitError as error:
            raise ModelError(f"still rate-limited after {attempts} attempts: {_detail(error)}") from None
        except openai.InternalServerError as error:
            raise ModelError(f"the model server kept failing ({error.status_code}) after {attempts} attempts"
                             ) from None
        except openai.BadRequestError:
            raise
        except openai.APIStatusError as error:
            raise ModelError(f"the model server answered {error.status_code}: {_detail(error)}") from None
        if not response.choices:
            raise ModelError("the model server answered without a choice")
        message = response.choices[0].message
        if getattr(message, "refusal", None):
            raise ModelError(f"the model refused: {message.refusal}")
        return message.content or ""

    def _format_arguments(self) -> dict:
        if self.response_format == "json_schema":
            return {"response_format": {"type": "json_schema", "json_schema": {
                "name": "nexus_spec", "schema": spec_json_schema(), "strict": False}}}
        if self.response_format == "json_object":
            return {"response_format": {"type": "json_object"}}
        return {}


def _about_format(error: openai.BadRequestError) -> bool:
    text = f"{error.message} {error.body}".lower()
    return "response_format" in text or "json_schema" in text or "json_object" in text


def _detail(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return str(error.message)
