"""The REST client of the CI hosts: requests with urllib3's bounded retries, JSON bodies redacted on their way
out, pages, rate-limit waits, and a token that goes only to the API it was given for.

Retried by urllib3: connection failures, 500/502/503/504 (exponential backoff), and a 403, 429 or 503 that carries
Retry-After (GitHub's secondary rate limits), after the wait it asks for, capped. Waited for here: a spent primary
rate limit (`X-RateLimit-Remaining: 0`, GitLab's `RateLimit-Remaining: 0`) until its reset, when that is within the
cap; a later reset is an error at once. Never retried: any other 4xx (a refusal stays a refusal).

The token travels in headers only. JSON requests never follow a redirect (a 3xx is an error: the headers would
go with it), and a next page on another origin is refused. A download (GitHub sends job logs through a redirect
to signed storage) follows redirects without any credential header: requests itself drops only Authorization,
and only when the host changes; GitLab's PRIVATE-TOKEN and JOB-TOKEN it would carry anywhere.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .. import __version__
from ..errors import NexusError
from ..sensitive import SECRET_NAME, Secrets

USER_AGENT = f"nexus-iac/{__version__}"
MAX_PAGES = 1000            # a listing that goes on longer is cut there (a host that keeps linking a next page)
MAX_REDIRECTS = 5           # of a download
# Values of secret-named environment variables shorter than this are too likely to be ordinary words ("true").
SHORTEST_ENV_SECRET = 8
ERROR_EXCERPT = 300
RATE_LIMIT_HEADERS = (("X-RateLimit-Remaining", "X-RateLimit-Reset"), ("RateLimit-Remaining", "RateLimit-Reset"))


class ApiError(NexusError):
    """The host could not be reached, or failed or refused a request after the retries: a tooling failure
    (exit 4). `status` is the host's answer, None when there was none."""

    exit_code = 4

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Refused(ApiError):
    """The host answered 401 (the token is not valid) or 403 without a rate limit (the token may not do this).
    Posting says so and goes on with what it may do; uncaught, a tooling failure like any other."""

    def with_hint(self, missing_permission: str) -> str:
        """The refusal and what to do about it."""
        return f"{self}; " + (missing_permission if self.status == 403 else "the token was not accepted (wrong "
                                                                              "or expired)")


@dataclass(frozen=True)
class Retries:
    attempts: int = 5                  # the first request and four retries
    backoff_seconds: float = 1.0       # waits 0, 2, 4, 8 s between attempts (urllib3: no wait before the first retry)
    max_wait_seconds: int = 60         # the longest Retry-After honoured, and the longest wait for a rate limit reset
    timeout: tuple[float, float] = (10.0, 30.0)   # connect, read: seconds per attempt


class _RateLimitRetry(Retry):
    """urllib3's Retry, with 403 among the statuses retried when the answer carries Retry-After: GitHub answers
    its secondary rate limits with 403 or 429 and Retry-After; a 403 without it is a refusal."""

    RETRY_AFTER_STATUS_CODES = frozenset({403, 429, 503})


class _CredentialsStayBehind(requests.Session):
    """A session whose credential headers are dropped on every redirect, whatever the host: what an API
    redirects a download to (signed storage) needs none, and requests would keep GitLab's token headers."""

    def __init__(self, credential_names: Iterable[str]) -> None:
        super().__init__()
        self.credential_names = tuple(credential_names)
        self.max_redirects = MAX_REDIRECTS

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        for name in self.credential_names:
            prepared_request.headers.pop(name, None)
        super().rebuild_auth(prepared_request, response)


def environment_secrets(environ: Mapping[str, str]) -> Secrets:
    """The values no request body may carry: those of secret-named variables (tokens, passwords, keys, and
    GitLab's CI_JOB_JWT, which no other name rule catches)."""
    return Secrets({value for name, value in environ.items()
                    if (SECRET_NAME.search(name) or "JWT" in name.upper()) and len(value) >= SHORTEST_ENV_SECRET})


def redacted(value, secrets: Secrets):
    """A copy of a JSON-able payload with every secret cut out of its strings."""
    if isinstance(value, dict):
        return {key: redacted(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [redacted(item, secrets) for item in value]
    return secrets.cut_from(value) if isinstance(value, str) else value


class RestClient:
    """JSON requests to one API base URL. `headers` go with every request; `credentials` (the token's headers)
    too, but never through a redirect. A 401 or 403 raises Refused, every other failure after the retries
    ApiError, each naming the request and quoting the host; secrets are cut from bodies and messages."""

    def __init__(self, base_url: str, headers: Mapping[str, str], credentials: Mapping[str, str],
                 secrets: Secrets | None = None, retries: Retries = Retries(), host: str = "the CI host") -> None:
        self.base_url = base_url.rstrip("/")
        self.secrets = secrets or Secrets(())
        self.retries = retries
        self.host = host
        self.session = _CredentialsStayBehind(credentials)
        self.session.headers.update({"User-Agent": USER_AGENT, **headers, **credentials})
        policy = _RateLimitRetry(total=retries.attempts - 1, backoff_factor=retries.backoff_seconds,
                                 status_forcelist=(500, 502, 503, 504), allowed_methods=None,
                                 raise_on_status=False, respect_retry_after_header=True,
                                 retry_after_max=retries.max_wait_seconds, redirect=0, raise_on_redirect=False)
        adapter = HTTPAdapter(max_retries=policy)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def url(self, path: str, params: Mapping[str, object] | None = None) -> str:
        query = urlencode(params) if params else ""
        return self.base_url + path + (("&" if "?" in path else "?") + query if query else "")

    def request(self, method: str, path: str, payload: dict | None = None,
                params: Mapping[str, object] | None = None) -> object:
        """The JSON answer (None when there is none) to METHOD on PATH; a redirect is an error."""
        return _json(self._answer(method, self.url(path, params), payload))

    def pages(self, path: str, params: Mapping[str, object] | None = None,
              max_pages: int = MAX_PAGES) -> Iterator[object]:
        """The JSON answer of each page of a listing: the next is the `Link` header's rel="next" (on the API's
        own origin), else GitLab's X-Next-Page; at most MAX_PAGES pages."""
        url: str | None = self.url(path, params)
        for _ in range(max_pages):
            response = self._answer("GET", url)
            yield _json(response)
            url = self._next_page(response, path)
            if url is None:
                return

    def items(self, path: str, params: Mapping[str, object] | None = None,
              max_pages: int = MAX_PAGES) -> Iterator[object]:
        """Each item of a listing whose pages are JSON lists."""
        for page in self.pages(path, params, max_pages):
            yield from page if isinstance(page, list) else []

    def text(self, path: str) -> str:
        """A download (a job's log or trace), following redirects with no credential header."""
        return self._answer("GET", self.url(path), follow_redirects=True).content.decode("utf-8", errors="replace")

    def _answer(self, method: str, url: str, payload: dict | None = None,
                follow_redirects: bool = False) -> requests.Response:
        data = None if payload is None else json.dumps(redacted(payload, self.secrets)).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in range(1, self.retries.attempts + 1):
            try:
                response = self.session.request(method, url, data=data, headers=headers,
                                                timeout=self.retries.timeout, allow_redirects=follow_redirects)
            except requests.RequestException as error:
                raise ApiError(f"{method} {self._shown(url)}: no answer from {self.host} after "
                               f"{self.retries.attempts} attempts ({type(error).__name__})") from None
            wait = _until_rate_limit_reset(response)
            if wait is None or (not response.ok and attempt == self.retries.attempts):
                break
            if wait > self.retries.max_wait_seconds:
                if response.ok:
                    break      # this answer is good; the next request is refused, and says so
                raise ApiError(f"{method} {self._shown(url)}: the rate limit of {self.host} is spent for "
                               f"{wait:.0f} s more, longer than the {self.retries.max_wait_seconds} s Nexus "
                               f"waits; try again later", response.status_code)
            time.sleep(wait)
            if response.ok:
                break
        return self._checked(method, url, response)

    def _checked(self, method: str, url: str, response: requests.Response) -> requests.Response:
        if 200 <= response.status_code < 300:
            return response
        said = (f"{method} {self._shown(url)}: {self.host} answered {response.status_code} "
                f"{_excerpt(response, self.secrets)}".rstrip())
        if response.status_code in (401, 403) and "Retry-After" not in response.headers \
                and _until_rate_limit_reset(response) is None:
            raise Refused(said, response.status_code)
        raise ApiError(said, response.status_code)

    def _next_page(self, response: requests.Response, path: str) -> str | None:
        linked = response.links.get("next", {}).get("url")
        if linked:
            linked = urljoin(response.url, linked)
            if _origin(linked) != _origin(self.base_url):
                raise ApiError(f"{self.host} pointed the next page of {path} to another host "
                               f"({_origin(linked)}); not sending the token there")
            return linked
        following = response.headers.get("X-Next-Page", "")
        return _with_page(response.url, following) if following.isdigit() else None

    def _shown(self, url: str) -> str:
        return self.secrets.cut_from(url)


def _until_rate_limit_reset(response: requests.Response) -> float | None:
    """Seconds until a spent primary rate limit resets, None when it is not spent (or the answer is neither a
    success nor a rate-limit refusal, or carries Retry-After, which urllib3 honours)."""
    if "Retry-After" in response.headers or not (response.ok or response.status_code in (403, 429)):
        return None
    for remaining, reset in RATE_LIMIT_HEADERS:
        if response.headers.get(remaining) == "0" and response.headers.get(reset, "").isdigit():
            return max(0.0, int(response.headers[reset]) - time.time())
    return None


def _with_page(url: str, page: str) -> str:
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "page"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("page", page)])))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _json(response: requests.Response):
    try:
        return response.json()
    except ValueError:
        return None


def _excerpt(response: requests.Response, secrets: Secrets) -> str:
    """The host's own words about a failure (GitHub's and GitLab's `message`, GitLab's `error`), cut short."""
    body = _json(response)
    said = (body.get("message") or body.get("error")) if isinstance(body, dict) else None
    text = said if isinstance(said, str) else json.dumps(said) if said else response.text
    return f"({secrets.cut_from(' '.join(text.split()))[:ERROR_EXCERPT]})" if text.strip() else ""
