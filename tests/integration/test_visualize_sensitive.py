"""Values Terraform marks sensitive never reach a diagram: a real plan, the state terraform applied (raw and
shown) drawn in every format hold neither the password nor a token that only its attribute name marks, and a
page drawn from a plan or state is written owner-only."""
from __future__ import annotations

import json
import re
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.tools.terraform import run_terraform
from cdktf_app.visualize import build_graph, render

CONFIG = Path(__file__).parent.parent / "fixtures" / "terraform-sensitive"
PASSWORD = "Hunter2-db-SECRET"
UNMARKED_TOKEN = "tok-unmarked-8d41c7"


@pytest.fixture(scope="module")
def terraform_files(tmp_path_factory, terraform_cli_config, monkeypatch_module) -> dict[str, Path]:
    """plan.json (`terraform show -json plan`), terraform.tfstate (raw) and state.json (`terraform show -json`)."""
    assert terraform_cli_config is not None, "no provider mirror for hashicorp/aws on this machine"
    monkeypatch_module.setenv("TF_VAR_db_password", PASSWORD)
    work = tmp_path_factory.mktemp("sensitive")
    shutil.copytree(CONFIG, work, dirs_exist_ok=True)
    for arguments in (("init", "-input=false", "-no-color"),
                      ("plan", "-input=false", "-no-color", "-lock=false", "-refresh=false", "-out=plan.tfplan"),
                      ("apply", "-input=false", "-no-color", "-auto-approve", "-target=terraform_data.app")):
        result = run_terraform(work, *arguments, cli_config=terraform_cli_config, timeout=180)
        assert result.ok, result.output
    for name, arguments in (("plan.json", ("show", "-json", "plan.tfplan")), ("state.json", ("show", "-json"))):
        shown = run_terraform(work, *arguments, cli_config=terraform_cli_config)
        assert shown.ok, shown.output
        (work / name).write_text(shown.output, encoding="utf-8")
    files = {name: work / name for name in ("plan.json", "state.json", "terraform.tfstate")}
    for path in files.values():          # the attack is real: every source holds both values in plain text
        assert PASSWORD in path.read_text() and UNMARKED_TOKEN in path.read_text(), path
    return files


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.terraform
@pytest.mark.parametrize("source", ["plan.json", "state.json", "terraform.tfstate"])
def test_no_sensitive_value_in_any_format(terraform_files, source):
    graph = build_graph(terraform_files[source])
    renderings = {fmt: render(graph, fmt) for fmt in ("mermaid", "dot", "html")}
    renderings["markdown"] = render(graph, "mermaid", markdown=True)
    for fmt, text in renderings.items():
        assert PASSWORD not in text and UNMARKED_TOKEN not in text, (source, fmt)
    app = _page_nodes(renderings["html"])[f"{terraform_files[source].name.split('.')[0]}/terraform_data.app"]
    shown = json.dumps(app["attributes"])
    assert '"password": "(sensitive)"' in shown and '"api_token": "(sensitive)"' in shown
    assert '"region": "eu-west-1"' in shown        # what is not sensitive is still shown


@pytest.mark.terraform
def test_a_page_from_a_plan_is_owner_only_and_a_rewrite_never_widens_a_mode(terraform_files, tmp_path):
    page = tmp_path / "graph.html"
    result = CliRunner().invoke(cli, ["visualize", str(terraform_files["plan.json"]), "-o", str(page)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(page.stat().st_mode) == 0o600 and PASSWORD not in page.read_text()
    terraform_json = tmp_path / "main.tf.json"
    terraform_json.write_text(json.dumps({"resource": {"aws_s3_bucket": {"files": {"bucket": "files"}}}}))
    result = CliRunner().invoke(cli, ["visualize", str(terraform_json), "-o", str(page)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(page.stat().st_mode) == 0o600 and "aws_s3_bucket" in page.read_text()


def _page_nodes(page: str) -> dict:
    data = re.search(r'<script type="application/json" id="nexus-graph">(.*?)</script>', page, re.S).group(1)
    return json.loads(data)["nodes"]
