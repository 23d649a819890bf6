"""`--post github|gitlab`: over real HTTP to local servers speaking the hosts' REST shapes (tests/fixtures/ci).
One marked comment updated in place, --comment-when, retries, refusals said, the size limit, no secret sent."""
from __future__ import annotations

import json

import pytest

from cdktf_app.ci.marked_comment import BODY_LIMIT, MARKER
from cdktf_app.ci.posting import post_results
from cdktf_app.rest import ApiError, Refused, Retries
from cdktf_app.errors import UsageError
from tests.fixtures.ci.hosts import FakeGitHub, FakeGitLab

PR = 7
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DB_PASSWORD = "correct-horse-battery-staple"
FAST = Retries(attempts=3, backoff_seconds=0.0, max_wait_seconds=1, timeout=(2.0, 5.0))


def summary(outcome="failed", changed=True, findings=None) -> dict:
    return {"outcome": outcome, "changed": changed,
            "findings": findings if findings is not None else [
                {"check_id": "CKV_AWS_18", "severity": "medium", "resource": "aws_s3_bucket.files",
                 "file": "nexus.yaml", "line": 12, "message": "access logging off", "new": False},
                {"check_id": "CKV_AWS_19", "severity": "high", "resource": "aws_s3_bucket.files",
                 "file": "nexus.yaml", "line": 12, "message": "not encrypted", "new": True}],
            "stacks": [{"name": "shop-dev-aws", "add": 3, "change": 1, "destroy": 0, "cost_delta_monthly": 4.5,
                        "new_findings": 1}]}


def github_env(server: FakeGitHub, tmp_path, **extra) -> dict:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "number": PR,
                                 "pull_request": {"number": PR, "head": {"sha": HEAD_SHA, "ref": "feature"},
                                                  "base": {"sha": "f" * 40, "ref": "main"}}}))
    return {"GITHUB_TOKEN": server.token, "GITHUB_REPOSITORY": server.repository, "GITHUB_API_URL": server.origin,
            "GITHUB_EVENT_PATH": str(event), "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "99",
            "GITHUB_SHA": "9" * 40, **extra}


def gitlab_env(server: FakeGitLab, **extra) -> dict:
    token = {"PRIVATE-TOKEN": "GITLAB_TOKEN", "JOB-TOKEN": "CI_JOB_TOKEN"}[server.token_header.upper()]
    return {token: server.token, "CI_API_V4_URL": server.api_url, "CI_PROJECT_ID": server.project,
            "CI_MERGE_REQUEST_IID": "3", "CI_MERGE_REQUEST_PROJECT_URL": "https://gitlab.example/acme/shop",
            "CI_JOB_URL": "https://gitlab.example/acme/shop/-/jobs/5", **extra}


def post_github(server, tmp_path, report="## Nexus plan-and-check\nreport one\n", when="always", result=None,
                **extra):
    return post_results("github", report_markdown=report, summary=result or summary(), comment_when=when,
                        environ=github_env(server, tmp_path, **extra), retries=FAST)


def test_github_posting_twice_updates_one_comment(tmp_path):
    with FakeGitHub() as github:
        for index in range(150):  # the marked comment is created on the second page of the listing
            github.add_comment(PR, f"a review remark {index}")
        first = post_github(github, tmp_path, report="report one\n")
        second = post_github(github, tmp_path, report="report two\n")
    assert (first.comment.action, second.comment.action) == ("created", "updated")
    marked = github.marked_comments(PR)
    assert len(marked) == 1 and marked[0]["body"] == f"{MARKER}\nreport two\n"
    assert second.comment.url == marked[0]["html_url"] == first.comment.url
    assert len(github.comments[PR]) == 151
    listing = github.sent("GET", f"/repos/acme/shop/issues/{PR}/comments")
    assert [seen.path.split("page=")[-1] for seen in listing] == ["100", "2", "100", "2"]
    assert [seen.path for seen in github.sent("POST", "/repos/acme/shop/issues/")] == \
        [f"/repos/acme/shop/issues/{PR}/comments"]
    patch = github.sent("PATCH", "/repos/acme/shop/issues/comments/")
    assert [seen.json() for seen in patch] == [{"body": f"{MARKER}\nreport two\n"}]
    for seen in github.requests:
        assert seen.headers["authorization"] == f"Bearer {github.token}"
        assert seen.headers["accept"] == "application/vnd.github+json"
        assert seen.headers["x-github-api-version"] == "2022-11-28"
        assert seen.headers["user-agent"].startswith("nexus-iac/")
    runs = list(github.check_runs.values())
    assert len(runs) == 2 and {run["head_sha"] for run in runs} == {HEAD_SHA}
    assert runs[0]["status"] == "completed" and runs[0]["conclusion"] == "failure"
    assert runs[0]["output"]["title"] == "failed: 1 new finding; 3 to add, 1 to change, 0 to destroy"
    assert runs[1]["output"]["summary"] == f"{MARKER}\nreport two\n"
    first_annotation = runs[0]["all_annotations"][0]
    assert first_annotation == {"path": "nexus.yaml", "start_line": 12, "end_line": 12,
                                "annotation_level": "failure", "title": "CKV_AWS_19 (high, new)",
                                "message": "aws_s3_bucket.files: not encrypted"}
    assert second.check_run.action == "created" and second.check_run.url.endswith(f"/runs/{max(github.check_runs)}")


@pytest.mark.parametrize("when, result, reason", [
    ("changed", summary(outcome="passed", changed=False), "--comment-when changed: no stack changes"),
    ("failed", summary(outcome="passed", changed=True), "--comment-when failed: the run passed")])
def test_comment_when_skips_and_a_stale_comment_is_still_updated(tmp_path, when, result, reason):
    with FakeGitHub() as github:
        skipped = post_github(github, tmp_path, when=when, result=result)
        assert skipped.comment.action == "skipped" and skipped.comment.reason == reason
        assert github.sent("POST", f"/repos/acme/shop/issues/{PR}/comments") == []
        assert skipped.check_run.action == "created"      # a check run is no comment spam: always there

        post_github(github, tmp_path, report="failing report\n", when="always")
        later = post_github(github, tmp_path, report="all good now\n", when=when, result=result)
    assert later.comment.action == "updated" and "brought up to date" in later.comment.reason
    assert [c["body"] for c in github.marked_comments(PR)] == [f"{MARKER}\nall good now\n"]


def test_failed_and_error_runs_comment_under_comment_when_failed(tmp_path):
    with FakeGitHub() as github:
        failed = post_github(github, tmp_path, when="failed", result=summary(outcome="error", changed=False))
    assert failed.comment.action == "created"
    assert list(github.check_runs.values())[0]["conclusion"] == "failure"


def test_a_5xx_and_a_secondary_rate_limit_are_retried(tmp_path):
    with FakeGitHub() as github:
        github.fail("POST", f"/repos/acme/shop/issues/{PR}/comments", 502)
        github.fail("GET", f"/repos/acme/shop/issues/{PR}/comments", 403, {"Retry-After": "1"},
                    message="You have exceeded a secondary rate limit")
        outcome = post_github(github, tmp_path)
    assert outcome.comment.action == "created" and len(github.marked_comments(PR)) == 1
    assert len(github.sent("GET", f"/repos/acme/shop/issues/{PR}/comments")) == 2
    assert len(github.sent("POST", f"/repos/acme/shop/issues/{PR}/comments")) == 2


def test_failures_that_outlast_the_retries_are_tooling_errors(tmp_path):
    with FakeGitHub() as github:
        github.fail("GET", "/repos/", 503, times=10, message="Service Unavailable")
        with pytest.raises(ApiError) as raised:
            post_github(github, tmp_path)
    assert raised.value.exit_code == 4
    assert len(github.requests) == FAST.attempts
    assert str(raised.value) == (f"GET {github.origin}/repos/acme/shop/issues/{PR}/comments?per_page=100: "
                                 "GitHub answered 503 (Service Unavailable)")
    with pytest.raises(ApiError, match="no answer from GitHub after 3 attempts"):
        post_github(github, tmp_path)   # stopped: nothing listens there any more


def test_a_token_without_checks_write_is_said_and_the_comment_still_posted(tmp_path):
    with FakeGitHub() as github:
        github.fail("POST", "/repos/acme/shop/check-runs", 403, message="Resource not accessible by integration")
        outcome = post_github(github, tmp_path)
    assert outcome.comment.action == "created"
    assert outcome.check_run.action == "refused"
    assert "GitHub answered 403 (Resource not accessible by integration)" in outcome.check_run.reason
    assert "permissions: checks: write" in outcome.check_run.reason
    assert any("check run: refused" in line for line in outcome.lines())
    assert len(github.sent("POST", "/repos/acme/shop/check-runs")) == 1     # a refusal is not retried


def test_a_token_that_may_not_comment_is_said(tmp_path):
    with FakeGitHub() as github:
        github.fail("POST", f"/repos/acme/shop/issues/{PR}/comments", 403,
                    message="Resource not accessible by integration")
        outcome = post_github(github, tmp_path)
    assert outcome.comment.action == "refused" and "pull-requests: write" in outcome.comment.reason
    assert outcome.check_run.action == "created"


def test_annotations_go_50_a_request(tmp_path):
    findings = [{"check_id": f"CKV_AWS_{index}", "severity": ("low", "critical")[index % 2],
                 "resource": f"aws_s3_bucket.b{index}", "file": f"{tmp_path}/nexus.yaml", "line": index + 1,
                 "message": "m", "new": index >= 100} for index in range(120)]
    findings.append({"check_id": "CKV_X", "severity": "high", "resource": "aws_vpc.main", "file": None,
                     "line": None, "message": "no line", "new": True})
    with FakeGitHub() as github:
        outcome = post_github(github, tmp_path, result=summary(findings=findings),
                              GITHUB_WORKSPACE=str(tmp_path))
    run = next(iter(github.check_runs.values()))
    sizes = [len((seen.json()["output"].get("annotations"))) for seen in
             github.sent("POST", "/repos/acme/shop/check-runs") + github.sent("PATCH", "/repos/acme/shop/check-runs")]
    assert sizes == [50, 50, 20] and outcome.check_run.reason == "120 annotations"
    annotations = run["all_annotations"]
    assert {a["path"] for a in annotations} == {"nexus.yaml"}
    assert [a["start_line"] for a in annotations[:2]] == [102, 104]       # new first, critical before low
    assert annotations[0]["annotation_level"] == "failure" and annotations[-1]["annotation_level"] == "notice"


def test_a_report_over_the_limit_is_cut_with_a_pointer(tmp_path):
    rows = "\n".join(f"| aws_s3_bucket.b{index} | CKV_AWS_18 | {'x' * 80} |" for index in range(3000))
    report = f"## Nexus\n<details><summary>findings</summary>\n\n```\n{rows}\n```\n</details>\n"
    assert len(report) > 3 * BODY_LIMIT
    with FakeGitHub() as github:
        outcome = post_github(github, tmp_path, report=report)
    body = github.marked_comments(PR)[0]["body"]
    assert outcome.truncated and len(body) <= BODY_LIMIT and len(body) > BODY_LIMIT - 400
    assert body.startswith(f"{MARKER}\n## Nexus\n<details>")
    assert body.endswith("The full `report.md` is in the artifacts of this run: "
                         "https://github.com/acme/shop/actions/runs/99\n")
    shown = body[:body.index("\n\n---\n**This report was cut")]
    assert shown.endswith("\n```\n</details>") and shown.count("```") == 2
    summary_text = next(iter(github.check_runs.values()))["output"]["summary"]
    assert len(summary_text) <= 65_535


def test_no_secret_reaches_any_request_body(tmp_path):
    secret_report = f"password {DB_PASSWORD} key {AWS_SECRET} token {FakeGitHub().token}\n"
    findings = [{"check_id": "NEXUS_AWS_PLAINTEXT_SECRET_ENV", "severity": "high", "resource": "aws_lambda.f",
                 "file": "nexus.yaml", "line": 3, "message": f"DB_PASSWORD={DB_PASSWORD}", "new": True}]
    with FakeGitHub() as github:
        post_github(github, tmp_path, report=secret_report, result=summary(findings=findings),
                    AWS_SECRET_ACCESS_KEY=AWS_SECRET, TF_VAR_db_password=DB_PASSWORD)
        post_github(github, tmp_path, report=secret_report, result=summary(findings=findings),
                    AWS_SECRET_ACCESS_KEY=AWS_SECRET, TF_VAR_db_password=DB_PASSWORD)
    bodies = github.bodies()
    assert len(bodies) == 4    # comment created, updated; two check runs
    for body in bodies:
        for secret in (DB_PASSWORD, AWS_SECRET, github.token, json.dumps(AWS_SECRET)[1:-1]):
            assert secret.encode() not in body
    assert "password (sensitive) key (sensitive) token (sensitive)" in github.marked_comments(PR)[0]["body"]
    assert all(github.token not in seen.path for seen in github.requests)


def test_a_next_page_on_another_host_is_not_followed(tmp_path):
    with FakeGitHub() as github:
        for index in range(101):
            github.add_comment(PR, f"remark {index}")
        github.other_origin = "http://127.0.0.2:9"
        with pytest.raises(ApiError, match=r"to another host \(http://127.0.0.2:9\); not sending the token"):
            post_github(github, tmp_path)


def test_push_events_get_a_check_run_and_no_comment(tmp_path):
    with FakeGitHub() as github:
        environ = github_env(github, tmp_path)
        environ["GITHUB_EVENT_PATH"] = str(tmp_path / "push.json")
        (tmp_path / "push.json").write_text(json.dumps({"ref": "refs/heads/main", "after": "9" * 40}))
        outcome = post_results("github", report_markdown="r\n", summary=summary(), comment_when="always",
                               environ=environ, retries=FAST)
    assert outcome.comment.action == "skipped" and "not a pull request event" in outcome.comment.reason
    assert next(iter(github.check_runs.values()))["head_sha"] == "9" * 40


def test_missing_variables_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match=r"--post github needs GITHUB_TOKEN in the environment") as raised:
        post_results("github", report_markdown="r", summary=summary(), comment_when="always",
                     environ={"GITHUB_REPOSITORY": "acme/shop"})
    assert raised.value.exit_code == 2
    with pytest.raises(UsageError, match=r"GITHUB_EVENT_PATH=.*missing.json: cannot read the event"):
        post_results("github", report_markdown="r", summary=summary(), comment_when="always",
                     environ={"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "acme/shop",
                              "GITHUB_EVENT_PATH": str(tmp_path / "missing.json")})
    with pytest.raises(UsageError, match=r"--post gitlab needs CI_MERGE_REQUEST_IID, GITLAB_TOKEN \(or CI_JOB"):
        post_results("gitlab", report_markdown="r", summary=summary(), comment_when="always",
                     environ={"CI_API_V4_URL": "http://127.0.0.1:9/api/v4", "CI_PROJECT_ID": "42"})
    with pytest.raises(UsageError, match=r"--post: expected one of github, gitlab, none, got 'bitbucket'"):
        post_results("bitbucket", report_markdown="r", summary=summary(), comment_when="always", environ={})
    with pytest.raises(UsageError, match=r"--comment-when: expected one of always, changed, failed"):
        post_results("none", report_markdown="r", summary=summary(), comment_when="sometimes", environ={})


def test_post_none_posts_nothing():
    outcome = post_results("none", report_markdown="r", summary=summary(), comment_when="always", environ={})
    assert outcome.lines() == ["none comment: skipped (--post none)"]


def test_gitlab_posting_twice_updates_one_note():
    with FakeGitLab() as gitlab:
        gitlab.add_note(3, "assigned to @alice", system=True)
        gitlab.add_note(3, f"{MARKER}\nquoted by a system note", system=True)
        for index in range(120):
            gitlab.add_note(3, f"remark {index}")
        environ = gitlab_env(gitlab, CI_JOB_JWT_V2="eyJhbGciOiJSUzI1NiJ9.loopback.signature")
        first = post_results("gitlab", report_markdown="one eyJhbGciOiJSUzI1NiJ9.loopback.signature\n",
                             summary=summary(), comment_when="always", environ=environ, retries=FAST)
        second = post_results("gitlab", report_markdown="two\n", summary=summary(), comment_when="always",
                              environ=environ, retries=FAST)
    assert (first.comment.action, second.comment.action) == ("created", "updated")
    assert first.check_run is None
    notes = [note for note in gitlab.marked_notes(3) if not note["system"]]
    assert len(notes) == 1 and notes[0]["body"] == f"{MARKER}\ntwo\n"
    assert second.comment.url == f"https://gitlab.example/acme/shop/-/merge_requests/3#note_{notes[0]['id']}"
    assert [seen.json() for seen in gitlab.sent("PUT")] == [{"body": f"{MARKER}\ntwo\n"}]
    assert [seen.path for seen in gitlab.sent("POST")] == ["/api/v4/projects/42/merge_requests/3/notes"]
    assert all(seen.headers["private-token"] == gitlab.token and "job-token" not in seen.headers
               for seen in gitlab.requests)
    for body in gitlab.bodies():
        assert gitlab.token.encode() not in body and b"eyJhbGciOiJSUzI1NiJ9" not in body


def test_gitlab_job_token_and_its_refusal():
    with FakeGitLab(token_header="JOB-TOKEN", token="job-token-loopback-123") as gitlab:
        gitlab.fail("POST", "/api/v4/projects/42/merge_requests/3/notes", 403, message="403 Forbidden")
        outcome = post_results("gitlab", report_markdown="r\n", summary=summary(), comment_when="changed",
                               environ=gitlab_env(gitlab), retries=FAST)
    assert gitlab.requests[0].headers["job-token"] == "job-token-loopback-123"
    assert outcome.comment.action == "refused"
    assert "GitLab answered 403 (403 Forbidden)" in outcome.comment.reason
    assert "set GITLAB_TOKEN to a project access token with the api scope" in outcome.comment.reason


def test_gitlab_comment_when_changed_skips_an_unchanged_run():
    with FakeGitLab() as gitlab:
        outcome = post_results("gitlab", report_markdown="r\n", summary=summary(outcome="passed", changed=False),
                               comment_when="changed", environ=gitlab_env(gitlab), retries=FAST)
    assert outcome.comment.action == "skipped" and gitlab.sent("POST") == []


def test_a_wrong_token_is_said_as_not_accepted(tmp_path):
    with FakeGitHub() as github:
        outcome = post_results("github", report_markdown="r\n", summary=summary(), comment_when="always",
                               environ={**github_env(github, tmp_path), "GITHUB_TOKEN": "ghs_wrongTOKEN000000"},
                               retries=FAST)
    for posted in (outcome.comment, outcome.check_run):
        assert posted.action == "refused"
        assert "answered 401 (Bad credentials); the token was not accepted (wrong or expired)" in posted.reason
    assert github.marked_comments(PR) == [] and github.check_runs == {}


def test_a_rate_limit_waits_at_most_the_cap_and_outlasting_the_retries_is_no_refusal(tmp_path):
    import time

    with FakeGitHub() as github:
        github.fail("GET", "/repos/", 403, {"Retry-After": "3600"}, times=10,
                    message="You have exceeded a secondary rate limit")
        started = time.monotonic()
        with pytest.raises(ApiError) as raised:
            post_github(github, tmp_path)
        waited = time.monotonic() - started
    assert not isinstance(raised.value, Refused)
    assert "answered 403 (You have exceeded a secondary rate limit)" in str(raised.value)
    assert len(github.requests) == FAST.attempts
    assert 2 * FAST.max_wait_seconds <= waited < 2 * FAST.max_wait_seconds + 3     # two waits, each capped


def test_a_redirect_is_not_followed_with_the_token(tmp_path):
    with FakeGitHub() as github:
        github.fail("GET", f"/repos/acme/shop/issues/{PR}/comments", 301,
                    {"Location": "http://127.0.0.2:9/elsewhere"}, message="Moved Permanently")
        with pytest.raises(ApiError, match="GitHub answered 301 \\(Moved Permanently\\)"):
            post_github(github, tmp_path)
    assert len(github.requests) == 1
