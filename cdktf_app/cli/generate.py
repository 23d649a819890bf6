"""`nexus generate`: a prompt in plain words -> a Nexus spec that loads, synthesizes and passes the gate."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..errors import UsageError
from ..files import write_atomically
from ..nli import DEFAULT_MODEL, UNTRUSTED
from .options import is_stdout, output_file_option


@click.command()
@click.option("-p", "--prompt", help="What to build, in plain words. Without it the prompt is read from stdin.")
@output_file_option("Write the spec here (refuses to overwrite unless --force).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("--blueprint", metavar="NAME", help="Start from this blueprint (see `nexus blueprints list`).")
@click.option("--model", metavar="M", default=DEFAULT_MODEL, show_default=True, help="Model name.")
@click.option("--base-url", metavar="URL",
              help="Any OpenAI-compatible server (Ollama, vLLM, Azure OpenAI); default: $OPENAI_BASE_URL.")
@click.option("--offline", is_flag=True, help="Use the deterministic offline intent parser, not a model.")
@click.option("--allow-overrides", is_flag=True,
              help="Accept raw `overrides` from the model (otherwise they are removed).")
@click.option("--allow", "allow", multiple=True, type=click.Choice(UNTRUSTED),
              help="Accept this from the model although the prompt does not name it: a remote state backend, "
                   "function sources, the alert address, images, backup_retention_days: 0. Repeatable.")
@click.option("--max-repairs", type=click.IntRange(0, 10), default=2, show_default=True,
              help="Times the model may correct a spec Nexus rejected.")
@click.option("--timeout", "request_timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds per model request (timeouts, 429 and 5xx are retried with backoff).")
@click.option("--max-time", "total_timeout", type=click.FloatRange(min=1), default=300.0, show_default=True,
              help="Seconds for the whole generation: every request, repair round and retry, synth and check.")
@click.pass_obj
def generate(obj: dict, prompt: str | None, output_file: Path | None, force: bool, blueprint: str | None,
             model: str | None, base_url: str | None, offline: bool, allow_overrides: bool, allow: tuple[str, ...],
             max_repairs: int, request_timeout: float, total_timeout: float) -> None:
    """Describe infrastructure in plain words; get a Nexus spec you can trust.

    \b
    The model (OPENAI_API_KEY; any OpenAI-compatible server with --base-url) answers with a spec in JSON;
    Nexus validates it and sends the errors back for up to --max-repairs rounds, removes what a prompt may
    not switch off (overrides, plaintext secrets, disabled encryption), synthesizes it and runs the
    compliance check with safe fixes. Only a spec that passes all of that is written, starting with a
    comment that records the prompt, the model and the date; otherwise you get an error and no file.
    A remote state backend, function sources, the alert address and images are kept only when the prompt
    names them (or --allow); backups switched off only when the prompt asks (or --allow no-backups).

    \b
    Without a key, with --offline, or when the server cannot be reached, a deterministic parser maps the
    prompt to a blueprint and its parameters instead (when it names an industry or PCI-DSS/HIPAA; otherwise
    the spec has just the components named), says so, and lists the words it did not understand. A prompt
    that names nothing to build is refused (exit 2) with what was understood.

    \b
    Exit codes: 0 written; 1 no spec (the model failed, answered too big or malformed, was too slow for
    --max-time, or gave no spec that passes the gate); 2 bad input; 4 the compliance check could not run.

    \b
    Examples:
      nexus generate -p "PCI-compliant 3-tier web app with Redis, auto-scaling 5-20 nodes" -o nexus.yaml
      echo "HIPAA patient portal on AWS in eu-west-1 with MySQL" | nexus generate --offline
      nexus generate --base-url http://localhost:11434/v1 --model llama3.1 -p "game backend on AWS and GCP"
    """
    from ..nli.pipeline import GenerateOptions, generate as run_generate, model_settings_from_environment

    if prompt is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("give the prompt with --prompt TEXT or on stdin")
        prompt = sys.stdin.read()
    output = None if is_stdout(output_file) else output_file
    if output and output.exists() and not force:
        raise UsageError(f"{output} exists; pass --force to overwrite it")
    from ..synth_worker import pin_project

    pin_project(output.parent if output else Path.cwd())  # the repair rounds synthesize scratch copies
    settings = model_settings_from_environment(model, base_url, request_timeout=request_timeout,
                                               total_timeout=total_timeout)
    result = run_generate(GenerateOptions(prompt=prompt, blueprint=blueprint, offline=offline,
                                          allow_overrides=allow_overrides, allow=frozenset(allow),
                                          max_repairs=max_repairs,
                                          model=settings))
    if output:
        write_atomically(output, result.text)
    else:
        click.echo(result.text, nl=False)
    _report(result, output, obj)


def _report(result, output: Path | None, obj: dict) -> None:
    summary = {"source": result.source, "offline": result.offline, "blueprint": result.blueprint,
               "requests": result.requests, "repairs": result.repairs, "compliance": result.compliance,
               "notes": result.notes, "not_understood": result.not_understood,
               "output": str(output) if output else None}
    if obj.get("log_format") == "json":
        click.echo(json.dumps({"level": "info", "result": "generated", **summary}, sort_keys=True), err=True)
        return
    lines = [f"{'wrote ' + str(output) if output else 'generated a spec'} from {result.source}"]
    if result.blueprint:
        lines.append(f"  blueprint: {result.blueprint}")
    lines.append(f"  compliance: {result.compliance}")
    lines += [f"  note: {note}" for note in result.notes]
    if result.not_understood:
        lines.append(f"  not understood: {', '.join(result.not_understood)}")
    click.echo("\n".join(lines), err=True)
