"""The README's CI snippets are the templates users copy: each fenced block headed `# templates/ci/...
(excerpt)` is lines of that file in order (`# ...` marks a gap), and the `.pre-commit-config.yaml` example is a
config pre-commit accepts whose hooks Nexus has. The templates themselves run in test_ci_templates_run.py."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from cdktf_app.paths import repo_root

FENCED_YAML = re.compile(r"^```ya?ml\n(.*?)^```", re.S | re.M)
EXCERPT = re.compile(r"# (templates/ci/\S+) \(excerpt\)\n")


def yaml_blocks() -> list[str]:
    return FENCED_YAML.findall((repo_root() / "README.md").read_text(encoding="utf-8"))


def test_readme_template_snippets_are_excerpts_of_the_templates():
    excerpts = [(match.group(1), block[match.end():]) for block in yaml_blocks()
                if (match := EXCERPT.match(block))]
    assert {template for template, _ in excerpts} == {"templates/ci/github/nexus.yml",
                                                      "templates/ci/gitlab/nexus.gitlab-ci.yml"}
    for template, snippet in excerpts:
        lines = (repo_root() / template).read_text(encoding="utf-8").splitlines()
        position = 0
        for line in snippet.splitlines():
            if line.strip() == "# ...":
                continue
            assert line in lines[position:], f"README excerpt of {template}: not in the template (in order): {line!r}"
            position = lines.index(line, position) + 1


def test_readme_pre_commit_config_is_valid_and_names_nexus_hooks(tmp_path):
    [block] = [block for block in yaml_blocks() if block.startswith("# .pre-commit-config.yaml\n")]
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(block)
    checked = subprocess.run([str(Path(sys.executable).parent / "pre-commit"), "validate-config", str(config)],
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    hook_ids = {hook["id"] for hook in yaml.safe_load((repo_root() / ".pre-commit-hooks.yaml").read_text())}
    used = [hook["id"] for repo in yaml.safe_load(block)["repos"] for hook in repo["hooks"]]
    assert used and set(used) <= hook_ids
