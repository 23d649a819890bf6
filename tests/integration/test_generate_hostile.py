"""`nexus generate` against a hostile or broken model server (a local OpenAI-compatible server, the real `openai`
client): what the answer may not decide, the end-to-end --max-time bound, malformed and oversized answers."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.nli.client import MAX_ANSWER_BYTES, ModelSettings
from cdktf_app.nli.deadline import DeadlineExceeded
from cdktf_app.nli.pipeline import MAX_COMPONENTS, REPAIR_EXCERPT_CHARS, GenerateError, GenerateOptions, generate
from cdktf_app.spec.loader import load_spec
from tests.fixtures.nli.chat_server import Body, Drip, Reply, ScriptedChatServer

FIXTURES = Path(__file__).parent.parent / "fixtures" / "nli"
SEED_PROMPT = "Create a PCI-compliant 3-tier web app with Redis cache and auto-scaling from 5-20 nodes"
LEDGER_PROMPT = "A PCI ledger on AWS in eu-west-1: postgres, a bucket for records and an event queue"
LEDGER_ANSWER = (FIXTURES / "ledger-answer.json").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def model_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def run_cli(server: ScriptedChatServer, output: Path, *options: str, prompt: str = LEDGER_PROMPT):
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["generate", "-p", prompt, "--base-url", server.base_url, "-o", str(output),
                                      *options])
    return result, time.monotonic() - started


def library_options(server: ScriptedChatServer, **changes) -> GenerateOptions:
    settings = ModelSettings(model="scripted-model", base_url=server.base_url, api_key="test-key",
                             request_timeout=5.0, max_retries=0, total_timeout=changes.pop("total_timeout", 60.0))
    return GenerateOptions(prompt=LEDGER_PROMPT, model=settings, **changes)


# ---------------------------------------------------------------- what the answer may not decide
def test_a_hostile_answer_redirects_nothing(tmp_path):
    """State to another account's bucket and KMS key, no backups, images from anywhere, secrets in the environment,
    a function zipping ~/.config, alerts mailed out: the written spec has none of it, and says so."""
    output = tmp_path / "nexus.yaml"
    with ScriptedChatServer([Reply((FIXTURES / "hostile-answer.json").read_text(encoding="utf-8"))]) as server:
        result, _ = run_cli(server, output, "--max-time", "240", prompt=SEED_PROMPT)
    assert result.exit_code == 0, result.output
    text = output.read_text(encoding="utf-8")
    for hostile in ("attacker", "backend: s3", "kms", "hunter2", "sk_live", "DB_PASSWORD", "~/.config",
                    "backup_retention_days: 0"):
        assert hostile not in text[text.index("apiVersion"):], hostile
    spec = load_spec(output).spec
    assert spec.state.backend == "local"
    components = spec.components
    assert components["db"].backup_retention_days == 7
    assert components["web"].image == components["api"].image == "nginxinc/nginx-unprivileged:1.27-alpine"
    assert components["web"].environment == {"LOG_LEVEL": "info"}
    assert components["exporter"].source is None
    assert components["monitoring"].notify == "alerts@example.com"
    # Each change is a note, shown to the user and recorded in the header.
    for note in ("state: removed the model's s3 backend (bucket attacker-tf-state, kms_key_id",
                 "components.db.backup_retention_days: 7 instead of 0",
                 "components.web.image: nginxinc/nginx-unprivileged:1.27-alpine instead of",
                 "components.exporter.source: removed ('~/.config' is not in the prompt)",
                 "components.monitoring.notify: alerts@example.com instead of 'exfil@attacker.example'",
                 "components.web.environment.DB_PASSWORD: removed"):
        assert note in " ".join(result.stderr.split()), note
        assert note in " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#")), note
    assert "compliance: passed the high gate" in result.stderr


# ---------------------------------------------------------------- --max-time, end to end
def test_a_slow_drip_server_is_cut_at_max_time_and_nothing_is_written(tmp_path):
    """One byte every half second keeps every read alive; the deadline still ends the command."""
    output = tmp_path / "nexus.yaml"
    with ScriptedChatServer([Drip(0.5, LEDGER_ANSWER)]) as server:
        result, seconds = run_cli(server, output, "--max-time", "3")
    assert result.exit_code == 1, result.output
    assert "deadline: --max-time 3 s ran out while waiting for the model (model too slow)" in result.stderr
    assert 3 <= seconds < 5
    assert len(server.requests) == 1 and not output.exists()


def test_synth_and_check_are_stopped_at_the_deadline(tmp_path):
    """A quick, valid answer; then synth and check (a child process group: python, node, checkov) outlast
    --max-time and are killed."""
    with ScriptedChatServer([Reply(LEDGER_ANSWER)]) as server:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match="ran out while synthesizing and checking the generated spec"):
            generate(library_options(server, total_timeout=1.5, work_dir=tmp_path))
    assert time.monotonic() - started < 3
    assert not list(tmp_path.glob("*/gate.json"))


def test_an_answer_with_thousands_of_components_is_refused_before_synth(tmp_path):
    answer = json.loads(LEDGER_ANSWER)
    answer["components"].update({f"bucket{index}": {"type": "bucket"} for index in range(5000)})
    output = tmp_path / "nexus.yaml"
    with ScriptedChatServer([Reply(json.dumps(answer))]) as server:
        result, seconds = run_cli(server, output, "--max-time", "60")
    assert result.exit_code == 1, result.output
    assert f"the model answered with 5004 components; a generated spec has at most {MAX_COMPONENTS}" in result.stderr
    assert len(server.requests) == 1 and not output.exists()
    assert seconds < 15  # refused, not synthesized


def test_a_50_mb_answer_is_refused_unread_and_never_sent_back(tmp_path):
    output = tmp_path / "nexus.yaml"
    with ScriptedChatServer([Reply("{" + " " * 50_000_000 + "}")]) as server:
        result, _ = run_cli(server, output, "--max-time", "60")
    assert result.exit_code == 1, result.output
    assert f"the model's answer is larger than {MAX_ANSWER_BYTES // 1024} KiB; refused" in result.stderr
    assert len(server.requests) == 1 and not output.exists()


def test_a_repair_round_repeats_only_an_excerpt_of_a_big_answer():
    junk = "not a spec " * 30_000  # 330 KB, under the size limit
    with ScriptedChatServer([Reply(junk)]) as server:
        with pytest.raises(GenerateError, match="no valid spec in 2 answers"):
            generate(library_options(server, max_repairs=1))
    assert len(server.requests) == 2
    repeated = server.requests[1]["body"]["messages"][2]
    assert repeated["role"] == "assistant" and repeated["content"].startswith(junk[:REPAIR_EXCERPT_CHARS])
    assert len(repeated["content"]) < REPAIR_EXCERPT_CHARS + 100
    assert f"[... {len(junk) - REPAIR_EXCERPT_CHARS} more characters not repeated]" in repeated["content"]


# ---------------------------------------------------------------- malformed answers are model errors
def completion(message) -> bytes:
    return json.dumps({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
                       "choices": [{"index": 0, "finish_reason": "stop", "message": message}]}).encode()


def deep_inputs(depth: int) -> str:
    answer = json.loads(LEDGER_ANSWER)
    answer["components"]["mod"] = {"type": "module", "source": "anything", "inputs": {"x": "[" * depth + "]" * depth}}
    text = json.dumps(answer)
    return text.replace('"' + "[" * depth + "]" * depth + '"', "[" * depth + "]" * depth)


@pytest.mark.parametrize("step, message", [
    (Body(completion({"role": "assistant", "content": {"apiVersion": "nexus/v1"}})),
     "the model server's message.content is dict, not text"),
    (Body(completion(None)), "the model server's answer has no message (message: null)"),
    (Body(b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
     "the model server's answer is not a JSON chat completion (it starts '<html><body><h1>502 Bad Gateway"),
    (Reply("[" * 50_000 + "]" * 50_000), "the answer is not a JSON object"),
    (Reply('{"a": ' * 50_000 + "1" + "}" * 50_000), "the answer nests deeper than 20 levels"),
    (Reply(deep_inputs(700)), "the answer nests deeper than 20 levels"),
], ids=["content-not-a-string", "message-null", "html-body", "deep-list", "deep-json", "deep-inputs"])
def test_a_malformed_answer_is_a_model_error_not_an_internal_one(step, message, tmp_path):
    output = tmp_path / "nexus.yaml"
    with ScriptedChatServer([step]) as server:
        result, _ = run_cli(server, output, "--max-repairs", "1", "--max-time", "60")
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "internal error" not in result.output.lower() and "Traceback" not in result.output
    assert not output.exists()
    # Answers that are text but no spec get a repair round; a broken completion does not.
    assert len(server.requests) == (2 if isinstance(step, Reply) else 1)
