"""`nexus generate`: a prompt -> a spec that loads, synthesizes and passes the compliance gate, or nothing.

    draft (the model, with up to N repair rounds; or the offline intent parser)
      -> harden (safety.py) -> load with the spec loader -> synthesize -> compliance check with safe fixes
      -> header comment (prompt, source, date, notes) -> written atomically

The model's answer is untrusted input all the way: it is parsed as JSON, hardened, and written back out as
YAML by `spec.document` (every key and string by its one quoting rule), so no text in it can add structure to
the spec.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..blueprints.catalog import get_blueprint
from ..errors import Problem, SpecError, UsageError
from ..spec.document import dump_document
from ..spec.loader import load_spec_text
from . import prompts
from .client import ModelClient, ModelError, ModelSettings, ModelUnreachable
from .deadline import Deadline
from .gate import SPEC_FILE, GenerateError, run_gate
from .intent import Intent, parse_intent
from .offline import offline_draft
from .safety import harden, request_notes

TOP_LEVEL_ORDER = ("apiVersion", "name", "description", "providers", "environments", "tags", "compliance",
                   "components", "secrets", "overrides")
MAX_PROMPT_CHARS = 4000
# A model answer bigger than this is refused before synth: the biggest blueprint has 13 components and nests 5
# levels deep (module inputs a few more), and synth and check time grow with the component count.
MAX_COMPONENTS = 60
MAX_DEPTH = 20
# What a repair round sends back of the previous answer: the problems carry the spec paths, the model does not
# need its whole answer again.
REPAIR_EXCERPT_CHARS = 8000


@dataclass
class GenerateOptions:
    prompt: str
    blueprint: str | None = None
    offline: bool = False
    allow_overrides: bool = False
    allow: frozenset[str] = frozenset()     # what else the model may set (safety.UNTRUSTED: state, sources...)
    max_repairs: int = 2
    model: ModelSettings = field(default_factory=ModelSettings)
    work_dir: Path | None = None            # keeps synth output per draft for reuse (default: a temp dir)
    today: dt.date | None = None


@dataclass
class GenerateResult:
    text: str                               # the spec, header comment included
    source: str                             # "model gpt-4.1-mini" or "offline intent parser (...)"
    offline: bool
    notes: list[str]
    not_understood: list[str]
    blueprint: str | None
    requests: int = 0
    repairs: int = 0
    compliance: str = ""
    model_seconds: float = 0.0              # time spent on the model server, retries and backoff included


@dataclass
class Draft:
    body: str
    notes: list[str]
    blueprint: str | None = None
    requests: int = 0
    repairs: int = 0


def generate(options: GenerateOptions) -> GenerateResult:
    prompt = options.prompt.strip()
    if not prompt:
        raise UsageError("the prompt is empty; pass --prompt TEXT or pipe it on stdin")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise UsageError(f"the prompt has {len(prompt)} characters; at most {MAX_PROMPT_CHARS}")
    if options.max_repairs < 0:
        raise UsageError("--max-repairs must be 0 or more")
    if options.blueprint:
        get_blueprint(options.blueprint)
    deadline = Deadline(options.model.total_timeout)
    intent = parse_intent(prompt)
    draft, source, model_seconds = _draft(prompt, intent, options, deadline)
    compliance = check_and_fix(draft, options, deadline)
    header = header_comment(prompt, source, draft, intent, options.today or dt.datetime.now(dt.timezone.utc).date())
    text = header + draft.body
    load_spec_text(text)  # the header is comments only; prove it
    offline = draft.requests == 0
    return GenerateResult(text=text, source=source, offline=offline, notes=draft.notes,
                          not_understood=intent.not_understood if offline else [], blueprint=draft.blueprint,
                          requests=draft.requests, repairs=draft.repairs, compliance=compliance,
                          model_seconds=model_seconds)


def _draft(prompt: str, intent: Intent, options: GenerateOptions, deadline: Deadline) -> tuple[Draft, str, float]:
    """(draft, its source, seconds spent on the model server): the model's draft, or the offline parser's when
    there is no model or it cannot be reached."""
    reason = _offline_reason(options)
    model_seconds = 0.0
    if reason is None:
        started = time.monotonic()
        try:
            return model_draft(prompt, intent, options, deadline), f"model {options.model.model}", time.monotonic() - started
        except ModelUnreachable as error:
            reason = f"fallback: {error}"
            model_seconds = time.monotonic() - started
    return _offline(intent, options), f"offline intent parser ({reason})", model_seconds


def _offline_reason(options: GenerateOptions) -> str | None:
    if options.offline:
        return "--offline"
    if not options.model.api_key and not options.model.base_url:
        return "no OPENAI_API_KEY and no --base-url"
    return None


def _offline(intent: Intent, options: GenerateOptions) -> Draft:
    generated = offline_draft(intent, options.blueprint)
    body = generated.text
    notes = [*generated.adjustments, *request_notes(intent)]
    try:
        load_spec_text(body, file="<offline draft>")
    except SpecError as error:  # a bug in the parser or a blueprint, not the user's fault
        raise GenerateError(f"the offline draft from blueprint '{generated.blueprint}' is invalid:\n{error}") from None
    return Draft(body=body, notes=notes, blueprint=generated.blueprint)


# ---------------------------------------------------------------- the model, with repair rounds
def model_draft(prompt: str, intent: Intent, options: GenerateOptions, deadline: Deadline) -> Draft:
    client = ModelClient(options.model, deadline)
    chosen = get_blueprint(options.blueprint) if options.blueprint else None
    messages = [{"role": "system", "content": prompts.system_prompt(options.blueprint)},
                {"role": "user", "content": prompts.user_prompt(prompt, chosen)}]
    last_problem = ""
    for round_number in range(options.max_repairs + 1):
        answer = client.complete(messages)
        data, parse_error = parse_answer(answer)
        problems: list[Problem] = []
        if data is not None:
            refuse_oversized(data)
            notes = harden(data, intent, prompt, allow_overrides=options.allow_overrides, allow=options.allow)
            body = spec_yaml(data)
            try:
                load_spec_text(body, file="<model answer>")
                return Draft(body=body, notes=notes, requests=client.requests, repairs=round_number)
            except SpecError as error:
                problems = error.problems
        last_problem = parse_error or "\n".join(f"  {problem.path or '(top level)'}: {problem.message}"
                                                for problem in problems)
        messages += [{"role": "assistant", "content": excerpt(answer)},
                     {"role": "user", "content": prompts.repair_prompt(problems, parse_error)}]
    raise GenerateError(f"the model gave no valid spec in {options.max_repairs + 1} answers "
                        f"({options.max_repairs} repair rounds); nothing was written. Last problems:\n"
                        f"{last_problem}")


def parse_answer(answer: str) -> tuple[dict | None, str | None]:
    """(spec mapping, None) or (None, why it is not one). Tolerates Markdown fences and prose around it."""
    text = answer.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
    if fenced:
        text = fenced.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return None, "the answer is not a JSON object"
    try:
        data = json.loads(text[start:end + 1])
    except json.JSONDecodeError as error:
        return None, f"the answer is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
    except RecursionError:
        return None, f"the answer nests deeper than {MAX_DEPTH} levels"
    if not isinstance(data, dict):
        return None, "the answer is JSON but not an object"
    if nesting_depth(data) > MAX_DEPTH:
        return None, f"the answer nests deeper than {MAX_DEPTH} levels"
    return data, None


def nesting_depth(value: Any) -> int:
    """How deep mappings and lists nest (a scalar is 0), without recursing: the writer and the loader do."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                pending += [(child, depth + 1) for child in children]
    return deepest


def refuse_oversized(data: dict) -> None:
    """An answer with more components than any sane spec is a model error, refused before synth and check."""
    components = data.get("components")
    if isinstance(components, dict) and len(components) > MAX_COMPONENTS:
        raise ModelError(f"the model answered with {len(components)} components; a generated spec has at most "
                         f"{MAX_COMPONENTS} (refused before synth; nothing was written)")


def excerpt(answer: str) -> str:
    """The previous answer as a repair round repeats it: whole when small, else its start and how much was cut."""
    if len(answer) <= REPAIR_EXCERPT_CHARS:
        return answer
    return f"{answer[:REPAIR_EXCERPT_CHARS]}\n[... {len(answer) - REPAIR_EXCERPT_CHARS} more characters not repeated]"


def spec_yaml(data: dict[str, Any]) -> str:
    """Block-style YAML; top-level keys in the spec's usual order, everything else in the model's order."""
    ordered = {key: data[key] for key in TOP_LEVEL_ORDER if key in data}
    ordered.update((key, value) for key, value in data.items() if key not in ordered)
    return dump_document(ordered)


# ---------------------------------------------------------------- synthesize and check
def check_and_fix(draft: Draft, options: GenerateOptions, deadline: Deadline) -> str:
    """Synthesize the draft and run the compliance gate with safe fixes within the deadline; `draft.body` takes
    the fixes. Returns a one-line summary of the compliance result."""
    if options.work_dir is not None:
        # One folder per draft: the same draft reuses its synth output, and no stale stacks of another draft
        # are in the out dir the check scans.
        digest = hashlib.sha256(draft.body.encode()).hexdigest()[:16]
        return _check_in(Path(options.work_dir) / digest, draft, deadline)
    with tempfile.TemporaryDirectory(prefix="nexus-generate-") as scratch:
        return _check_in(Path(scratch), draft, deadline)


def _check_in(work: Path, draft: Draft, deadline: Deadline) -> str:
    work.mkdir(parents=True, exist_ok=True)
    spec_path = work / SPEC_FILE
    spec_path.write_text(draft.body, encoding="utf-8")
    result = run_gate(work, deadline)
    if result.fixes:
        draft.body = spec_path.read_text(encoding="utf-8")
        draft.notes.append(f"compliance: {result.fixes} safe fix{'es' if result.fixes != 1 else ''} applied")
    return result.compliance


# ---------------------------------------------------------------- header
def header_comment(prompt: str, source: str, draft: Draft, intent: Intent, today: dt.date) -> str:
    lines = [f"Generated by `nexus generate` on {today.isoformat()} from {source}."]
    if draft.blueprint:
        lines.append(f"Starting point: the '{draft.blueprint}' blueprint.")
    if draft.requests:
        lines.append(f"Model requests: {draft.requests}; repair rounds: {draft.repairs}.")
    lines.append("Prompt:")
    lines += [f"  {line}" for line in textwrap.wrap(_one_line(prompt), 106)]
    if draft.notes:
        lines.append("Notes:")
        for note in draft.notes:
            lines += textwrap.wrap(_one_line(note), 106, initial_indent="  - ", subsequent_indent="    ")
    if not draft.requests and intent.not_understood:
        lines.append(f"Words the offline parser did not understand: {_one_line(', '.join(intent.not_understood))}")
    return "".join(f"# {line}\n".replace("# \n", "#\n") for line in lines) + "#\n"


def _one_line(text: str) -> str:
    """Text safe inside a YAML comment: str.split() also splits on the Unicode line breaks YAML knows, and
    anything unprintable is shown escaped."""
    joined = " ".join(text.split())
    return "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in joined)


def model_settings_from_environment(model: str | None, base_url: str | None, **limits: float) -> ModelSettings:
    settings = ModelSettings(api_key=os.environ.get("OPENAI_API_KEY") or None,
                             base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None, **limits)
    if model:
        settings.model = model
    return settings
