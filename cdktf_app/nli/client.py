"""A thin wrapper around the official `openai` SDK: one chat completion that returns the answer's text.

Retries of timeouts, 429s and 5xx (with exponential backoff, honouring `Retry-After`) are the SDK's own,
configured through `max_retries` and `timeout`; this wrapper adds the bound on the total time (each request
runs under a watchdog that gives up at the deadline), a bound on the answer's size (read as a stream, refused
past MAX_ANSWER_BYTES), its own reading of the completion (a malformed one is a model error, not a crash), and
the structured-output negotiation: JSON-schema response format first, then JSON mode, then plain text, stepping
down when a server answers 400 to a format it does not support (Ollama, vLLM and older Azure deployments
differ here), and remembering the step for the following rounds.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx2
import openai

from ..errors import NexusError
from ..spec.schema import spec_json_schema
from . import DEFAULT_MODEL
from .deadline import Deadline

RESPONSE_FORMATS = ("json_schema", "json_object", "text")
# The biggest blueprint is ~7 KB as YAML; a completion body past this is no spec, and is refused unread.
MAX_ANSWER_BYTES = 512 * 1024


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
    deadline: Deadline = None  # type: ignore[assignment]  # default: settings.total_timeout from now
    answer_schema: tuple[str, dict] | None = None   # (name, JSON Schema) of the answer; default: the spec's
    response_format: str = field(init=False, default=RESPONSE_FORMATS[0])
    requests: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if self.deadline is None:
            self.deadline = Deadline(self.settings.total_timeout)
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
        waiting = "waiting for the model (model too slow)"
        remaining = self.deadline.check(waiting)
        attempts = self.settings.max_retries + 1
        # Every attempt and its backoff must fit in what is left of the total time.
        timeout = min(self.settings.request_timeout, remaining / attempts)
        self.requests += 1
        try:
            body = _within(remaining, lambda: self._request(messages, timeout), on_timeout=self._client.close)
        except TimeoutError:
            raise self.deadline.exceeded(waiting) from None
        except (openai.APITimeoutError, httpx2.TimeoutException):
            if timeout < self.settings.request_timeout:  # cut short by the total bound, not a dead server
                raise self.deadline.exceeded(waiting) from None
            raise ModelUnreachable(f"the model server did not answer within {timeout:.3g} s "
                                   f"({attempts} attempts)") from None
        except openai.APIConnectionError as error:
            raise ModelUnreachable(f"cannot reach the model server: {error.__cause__ or error}") from None
        except httpx2.TransportError as error:  # while reading the body, past the SDK's own handling
            raise ModelUnreachable(f"the model server broke off its answer: {error}") from None
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
        return answer_text(body)

    def _request(self, messages: list[dict], timeout: float) -> bytes:
        with self._client.with_options(timeout=timeout).chat.completions.with_streaming_response.create(
                model=self.settings.model, messages=messages, temperature=0, **self._format_arguments()) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise ModelError(f"the model's answer is larger than {MAX_ANSWER_BYTES // 1024} KiB; refused "
                                     "(no spec is that big)")
            return bytes(body)

    def _format_arguments(self) -> dict:
        if self.response_format == "json_schema":
            name, schema = self.answer_schema or ("nexus_spec", spec_json_schema())
            return {"response_format": {"type": "json_schema", "json_schema": {
                "name": name, "schema": schema, "strict": False}}}
        if self.response_format == "json_object":
            return {"response_format": {"type": "json_object"}}
        return {}


def answer_text(body: bytes) -> str:
    """The text of a chat completion's first choice; a ModelError for anything that is not a chat completion."""
    try:
        completion = json.loads(body)
    except (ValueError, RecursionError):
        start = body[:60].decode("utf-8", "replace")
        raise ModelError(f"the model server's answer is not a JSON chat completion (it starts {start!r})") from None
    choices = completion.get("choices") if isinstance(completion, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ModelError("the model server answered without a choice")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise ModelError(f"the model server's answer has no message (message: {json.dumps(message)[:40]})")
    if message.get("refusal"):
        raise ModelError(f"the model refused: {str(message['refusal'])[:500]}")
    content = message.get("content")
    if content is None:
        return ""
    if not isinstance(content, str):
        raise ModelError(f"the model server's message.content is {type(content).__name__}, not text")
    return content


def _within(seconds: float, request: Callable[[], Any], *, on_timeout: Callable[[], None]) -> Any:
    """request() in a watchdog thread: its result, its exception, or TimeoutError after `seconds` (then
    on_timeout() closes the connection so the abandoned thread ends at its next read)."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = request()
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name="nexus-model-request", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        on_timeout()
        raise TimeoutError
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _about_format(error: openai.BadRequestError) -> bool:
    text = f"{error.message} {error.body}".lower()
    return "response_format" in text or "json_schema" in text or "json_object" in text


def _detail(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return str(error.message)
