"""`release:` on a service: the short and long step forms, the strategies' defaults, and a located error (file:line,
spec path, what was expected, exit 2) for each kind of bad input."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.errors import SpecError
from cdktf_app.spec import load_spec_text
from tests.helpers import aws_spec, write_spec

HEAD = aws_spec("shop", "components:\n  web:\n    type: service\n    image: nginx:1.27\n")  # release on line 9


def with_release(text: str) -> str:
    return HEAD + f"    release: {text}\n"


def release_of(text: str):
    return load_spec_text(with_release(text), "nexus.yaml").spec.components["web"].release


def test_the_short_form_is_percentages_and_the_long_form_has_bake_times():
    short = release_of("{strategy: canary, steps: [10, 50, 100]}")
    assert [(s.percent, s.bake) for s in short.traffic_steps] == [(10, 0), (50, 0), (100, 0)]
    long = release_of("{strategy: canary, steps: [{percent: 25, bake: 5m}, {percent: 100, bake: 90s}]}")
    assert [(s.percent, s.bake) for s in long.traffic_steps] == [(25, 300), (100, 90)]


def test_a_strategy_without_steps_gets_its_default():
    assert [(s.percent, s.bake) for s in release_of("{strategy: canary}").traffic_steps] == [(10, 300), (100, 0)]
    assert [(s.percent, s.bake) for s in release_of("{strategy: blue_green}").traffic_steps] == [(100, 300)]
    assert release_of("{strategy: rolling}").traffic_steps == ()
    assert not release_of("{strategy: rolling}").shifts_traffic


def test_rollback_on_reads_percentages_and_durations():
    limits = release_of("{strategy: canary, rollback_on: {error_rate: 5%, p99_latency: 800ms}}").rollback_on
    assert (limits.error_rate, limits.p99_latency) == (5.0, 800.0)
    assert release_of("{strategy: canary, rollback_on: {p99_latency: 1s}}").rollback_on.p99_latency == 1000.0


BROKEN = [
    ("{strategy: canary, steps: [10, 5, 100]}", "components.web.release.steps", "steps[1] is 5% after 10%"),
    ("{strategy: canary, steps: [10, 50]}", "components.web.release.steps", "must send all traffic (100%)"),
    ("{strategy: canary, steps: [0, 100]}", "components.web.release.steps[0].percent", "greater than or equal to 1"),
    ("{strategy: canary, steps: [10, 150]}", "components.web.release.steps[1].percent", "less than or equal to 100"),
    ("{strategy: canary, steps: [{percent: 10, bake: soon}, 100]}", "components.web.release.steps[0].bake",
     "duration such as 30s, 5m or 1h"),
    ("{strategy: blue_green, steps: [50, 100]}", "components.web.release", "switches all traffic at once"),
    ("{strategy: rolling, steps: [10, 100]}", "components.web.release", "steps need strategy canary or blue_green"),
    ("{strategy: canery}", "components.web.release.strategy", "did you mean 'canary'"),
    ("{strategy: canary, rollback_on: {}}", "components.web.release.rollback_on", "needs error_rate"),
    ("{strategy: canary, rollback_on: {error_rate: lots%}}", "components.web.release.rollback_on.error_rate",
     "percentage such as 5%"),
    ("{strategy: canary, rollback_on: {p99_latency: fast}}", "components.web.release.rollback_on.p99_latency",
     "duration"),
    ("{strategy: canary, stepz: [10, 100]}", "components.web.release.stepz", "unknown key 'stepz'"),
]


@pytest.mark.parametrize("release, path, fragment", BROKEN, ids=[case[2] for case in BROKEN])
def test_bad_release_input_is_a_located_problem(release, path, fragment):
    with pytest.raises(SpecError) as raised:
        load_spec_text(with_release(release), "nexus.yaml")
    problems = raised.value.problems
    assert [(p.path, p.line) for p in problems] == [(path, 9)], problems
    assert fragment in problems[0].message


def test_the_cli_exits_2_naming_file_line_and_path(tmp_path):
    spec = write_spec(tmp_path, with_release("{strategy: canary, steps: [10, 50]}"))
    result = CliRunner().invoke(cli, ["validate", str(spec)])
    assert result.exit_code == 2
    assert f"{spec}:9:" in result.output and "components.web.release.steps" in result.output
    assert "Traceback" not in result.output


def test_the_json_schema_accepts_the_short_and_text_forms_and_refuses_what_the_loader_refuses():
    """Editors validate with `nexus schema`: the README's forms (`[10, 100]`, `bake: 0s`, `5%`, `800ms`) pass."""
    import yaml
    from jsonschema import Draft202012Validator

    from cdktf_app.spec.schema import spec_json_schema

    validator = Draft202012Validator(spec_json_schema())
    good = yaml.safe_load(with_release("{strategy: canary, steps: [{percent: 10, bake: 0s}, 50, 100], "
                                       "rollback_on: {error_rate: 5%, p99_latency: 800ms}}"))
    assert list(validator.iter_errors(good)) == []
    for bad in ("{steps: [0, 100]}", "{steps: [{percent: 10, bake: soon}]}", "{rollback_on: {error_rate: lots}}"):
        assert list(validator.iter_errors(yaml.safe_load(with_release(bad)))), bad


def test_the_readme_validate_example_prints_the_located_problem(tmp_path):
    from tests.integration.test_release_sandbox import SPEC as README_SPEC

    steps = "steps: [{percent: 10, bake: 0s}, 100]"
    assert steps in README_SPEC
    spec = write_spec(tmp_path, README_SPEC.replace(steps, "steps: [{percent: 10, bake: 0s}, 5, 100]"))
    result = CliRunner().invoke(cli, ["validate", str(spec)])
    assert result.exit_code == 2
    assert (f"{spec}:15:7: components.web.release.steps: steps must increase: steps[1] is 5% after 10%"
            in " ".join(result.output.split()))
