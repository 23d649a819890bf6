"""The CI hosts' REST client (cdktf_app/rest) over real HTTP to a local server: the token never leaves the API
(downloads follow redirects without it, writes follow none, a next page elsewhere is refused), pages by `Link`
and by X-Next-Page, and rate limits waited out within the cap, failed at once beyond it.

"Another host" is the same local server reached as `localhost` instead of `127.0.0.1`: a different host name to
requests, the same socket to the test.
"""
from __future__ import annotations

import time

import pytest
import requests

from cdktf_app.rest import ApiError, Refused, RestClient, Retries
from tests.fixtures.ci.hosts import ScriptedHost, Seen

FAST = Retries(attempts=3, backoff_seconds=0.0, max_wait_seconds=5, timeout=(2.0, 5.0))
TOKEN = "loopback-token-5678"
CREDENTIALS = [{"Authorization": f"Bearer {TOKEN}"}, {"PRIVATE-TOKEN": TOKEN}, {"JOB-TOKEN": TOKEN}]
LIFETIME = 60.0   # seconds: the host stops itself even if the module never gets to


@pytest.fixture(scope="module")
def running_host():
    with ScriptedHost(lifetime=LIFETIME) as host:
        yield host


@pytest.fixture
def server(running_host):
    running_host.routes.clear()
    running_host.requests.clear()
    return running_host


def elsewhere(server: ScriptedHost) -> str:
    return server.origin.replace("127.0.0.1", "localhost")


def to(server: ScriptedHost, path: str) -> list[Seen]:
    return [seen for seen in server.requests if seen.path.split("?")[0] == path]


def answer(status: int, headers: dict | None = None, body: object = None) -> tuple[int, object, dict]:
    return status, {} if body is None else body, headers or {}


def credential_names(seen: Seen) -> set[str]:
    return {"authorization", "private-token", "job-token"} & seen.headers.keys()


def test_requests_alone_strips_authorization_across_hosts_but_carries_gitlab_tokens(server):
    """Why the client drops its credentials itself: this is what requests does with them on a redirect."""
    server.route("/logs", answer(302, {"Location": f"{elsewhere(server)}/storage"}))
    server.route("/storage", answer(200, body="log"))
    for headers in CREDENTIALS:
        requests.get(f"{server.origin}/logs", headers=headers, timeout=5)
    carried = [credential_names(seen) for seen in to(server, "/storage")]
    assert carried == [set(), {"private-token"}, {"job-token"}]


@pytest.mark.parametrize("credentials", CREDENTIALS, ids=["authorization", "private-token", "job-token"])
@pytest.mark.parametrize("where", ["another host", "the same host"])
def test_a_download_follows_its_redirect_without_the_token(server, credentials, where):
    host = (elsewhere(server) if where == "another host" else server.origin).split("//")[1]
    location = f"http://{host}/storage" if where == "another host" else "/storage"
    server.route("/jobs/7/logs", answer(302, {"Location": location}))
    server.route("/storage", answer(200, body="2026-12-06 step failed\n"))
    client = RestClient(server.origin, {}, credentials, retries=FAST, host="GitHub")
    assert client.text("/jobs/7/logs") == "2026-12-06 step failed\n"
    [asked], [fetched] = to(server, "/jobs/7/logs"), to(server, "/storage")
    assert credential_names(asked) == {name.lower() for name in credentials}
    assert credential_names(fetched) == set()
    assert fetched.headers["host"] == host


@pytest.mark.parametrize("method, status", [("POST", 307), ("PATCH", 308), ("PUT", 301), ("GET", 302)])
def test_a_json_request_never_follows_a_redirect(server, method, status):
    server.route("/notes", answer(status, {"Location": f"{elsewhere(server)}/captured"}, {"message": "Moved"}))
    client = RestClient(server.origin, {}, {"PRIVATE-TOKEN": TOKEN}, retries=FAST, host="GitLab")
    with pytest.raises(ApiError, match=rf"^{method} {server.origin}/notes: GitLab answered {status} \(Moved\)$"):
        client.request(method, "/notes", {"body": "report"})
    assert to(server, "/captured") == [] and len(server.requests) == 1


def test_pages_follow_x_next_page_keeping_the_query(server):
    server.route("/projects/42/pipelines",
                 answer(200, {"X-Next-Page": "2"}, [{"id": 1}, {"id": 2}]),
                 answer(200, {"X-Next-Page": "3"}, [{"id": 3}]),
                 answer(200, {"X-Next-Page": ""}, [{"id": 4}]))
    client = RestClient(server.origin, {}, {"PRIVATE-TOKEN": TOKEN}, retries=FAST, host="GitLab")
    items = list(client.items("/projects/42/pipelines", {"per_page": 2, "scope": "finished"}))
    assert [item["id"] for item in items] == [1, 2, 3, 4]
    assert [seen.path for seen in server.requests] == [
        "/projects/42/pipelines?per_page=2&scope=finished",
        "/projects/42/pipelines?per_page=2&scope=finished&page=2",
        "/projects/42/pipelines?per_page=2&scope=finished&page=3"]


def test_a_next_page_link_to_another_host_is_refused(server):
    server.route("/repos/acme/shop/actions/runs", answer(
        200, {"Link": f'<{elsewhere(server)}/repos/acme/shop/actions/runs?page=2>; rel="next"'}, {"workflow_runs": []}))
    client = RestClient(server.origin, {}, {"Authorization": f"Bearer {TOKEN}"}, retries=FAST, host="GitHub")
    with pytest.raises(ApiError, match=rf"to another host \({elsewhere(server)}\); not sending the token there"):
        list(client.pages("/repos/acme/shop/actions/runs"))
    assert len(server.requests) == 1


@pytest.mark.parametrize("status, names", [(403, ("X-RateLimit-Remaining", "X-RateLimit-Reset")),
                                           (429, ("RateLimit-Remaining", "RateLimit-Reset"))])
def test_a_spent_rate_limit_is_waited_out_and_the_request_made_again(server, status, names):
    remaining, reset = names
    server.route("/repos/acme/shop/issues",
                 lambda: (status, {"message": "rate limit"}, {remaining: "0", reset: str(int(time.time()) + 1)}),
                 answer(200, body=[{"number": 1}]))
    client = RestClient(server.origin, {}, {"Authorization": f"Bearer {TOKEN}"}, retries=FAST, host="GitHub")
    started = time.monotonic()
    assert client.request("GET", "/repos/acme/shop/issues") == [{"number": 1}]
    assert time.monotonic() - started < FAST.max_wait_seconds
    assert len(server.requests) == 2


def test_a_success_that_spends_the_rate_limit_waits_for_the_reset(server):
    server.route("/repos/acme/shop/issues", lambda: (200, [], {"X-RateLimit-Remaining": "0",
                                                              "X-RateLimit-Reset": str(int(time.time()) + 2)}))
    client = RestClient(server.origin, {}, {"Authorization": f"Bearer {TOKEN}"}, retries=FAST, host="GitHub")
    started = time.monotonic()
    assert client.request("GET", "/repos/acme/shop/issues") == []
    assert 1.0 <= time.monotonic() - started < 3.0 and len(server.requests) == 1


def test_a_rate_limit_reset_beyond_the_cap_fails_at_once_and_is_no_refusal(server):
    server.route("/repos/acme/shop/issues", lambda: (403, {"message": "API rate limit exceeded"},
                                                     {"X-RateLimit-Remaining": "0",
                                                      "X-RateLimit-Reset": str(int(time.time()) + 3600)}))
    client = RestClient(server.origin, {}, {"Authorization": f"Bearer {TOKEN}"}, retries=FAST, host="GitHub")
    started = time.monotonic()
    with pytest.raises(ApiError, match=r"the rate limit of GitHub is spent for 3\d\d\d s more, longer than the "
                                       r"5 s Nexus waits; try again later") as raised:
        client.request("GET", "/repos/acme/shop/issues")
    assert not isinstance(raised.value, Refused) and raised.value.exit_code == 4
    assert time.monotonic() - started < 2.0 and len(server.requests) == 1


def test_a_forbidden_answer_without_a_rate_limit_is_a_refusal(server):
    server.route("/repos/acme/shop/check-runs", answer(403, {"X-RateLimit-Remaining": "4999"},
                                                       {"message": "Resource not accessible by integration"}))
    client = RestClient(server.origin, {}, {"Authorization": f"Bearer {TOKEN}"}, retries=FAST, host="GitHub")
    with pytest.raises(Refused, match=r"GitHub answered 403 \(Resource not accessible by integration\)"):
        client.request("POST", "/repos/acme/shop/check-runs", {"name": "nexus"})
    assert len(server.requests) == 1
