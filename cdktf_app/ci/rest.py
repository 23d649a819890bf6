"""One HTTP client for the CI hosts' REST APIs (GitHub, GitLab): requests with urllib3's bounded retries, and
every request body redacted on its way out.

Retried: connection failures, 500/502/503/504 (exponential backoff), and a 403, 429 or 503 that carries
Retry-After (GitHub's secondary rate limits), after the wait it asks for, capped. Never retried: any other 4xx
(a refusal stays a refusal). Redirects are not followed: the token headers would go with them.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .. import __version__
from ..errors import NexusError
from ..sensitive import SECRET_NAME, Secrets

USER_AGENT = f"nexus-iac/{__version__}"
# A comment thread longer than this many pages (100 a page) is not searched further for Nexus's comment.
MAX_PAGES = 50
# Values of secret-named environment variables shorter than this are too likely to be ordinary words ("true").
SHORTEST_ENV_SECRET = 8
ERROR_EXCERPT = 300


class PostingError(NexusError):
    """The CI host could not be reached, or refused a request, after the retries: a tooling failure (exit 4)."""

    exit_code = 4


class Refused(PostingError):
    """The host answered 401 (the token is not valid) or 403 without Retry-After (the token may not do this).
    Posting says so and goes on with what it may do; uncaught, a tooling failure like any other."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status

    def with_hint(self, missing_permission: str) -> str:
        """The refusal and what to do about it."""
        return f"{self}; " + (missing_permission if self.status == 403 else "the token was not accepted (wrong "
                                                                              "or expired)")


@dataclass(frozen=True)
class Retries:
    attempts: int = 5                  # the first request and four retries
    backoff_seconds: float = 1.0       # waits 0, 2, 4, 8 s between attempts (urllib3: no wait before the first retry)
    max_wait_seconds: int = 60         # the longest Retry-After honoured
    timeout: tuple[float, float] = (10.0, 30.0)   # connect, read: seconds per attempt


class _RateLimitRetry(Retry):
    """urllib3's Retry, with 403 among the statuses retried when the answer carries Retry-After: GitHub answers
    its secondary rate limits with 403 or 429 and Retry-After; a 403 without it is a refusal."""

    RETRY_AFTER_STATUS_CODES = frozenset({403, 429, 503})


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


@dataclass
class Answer:
    body: object        # the JSON answer, None when there is none
    links: dict         # the parsed `Link` header: {"next": {"url": ...}, ...}


class RestClient:
    """JSON requests to one API base URL with fixed headers. A 401 or 403 raises Refused, every other failure
    after the retries PostingError, each naming the request and quoting the host."""

    def __init__(self, base_url: str, headers: Mapping[str, str], secrets: Secrets, retries: Retries = Retries(),
                 host: str = "the CI host") -> None:
        self.base_url = base_url.rstrip("/")
        self.secrets = secrets
        self.retries = retries
        self.host = host
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, **headers})
        policy = _RateLimitRetry(total=retries.attempts - 1, backoff_factor=retries.backoff_seconds,
                                 status_forcelist=(500, 502, 503, 504), allowed_methods=None,
                                 raise_on_status=False, respect_retry_after_header=True,
                                 retry_after_max=retries.max_wait_seconds, redirect=0, raise_on_redirect=False)
        adapter = HTTPAdapter(max_retries=policy)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def request(self, method: str, path_or_url: str, payload: dict | None = None) -> Answer:
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        data = None if payload is None else json.dumps(redacted(payload, self.secrets)).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        try:
            response = self.session.request(method, url, data=data, headers=headers, timeout=self.retries.timeout,
                                            allow_redirects=False)
        except requests.RequestException as error:
            raise PostingError(f"{method} {self._shown(url)}: no answer from {self.host} after "
                               f"{self.retries.attempts} attempts ({type(error).__name__})") from None
        if 200 <= response.status_code < 300:
            return Answer(_json(response), response.links)
        said = (f"{method} {self._shown(url)}: {self.host} answered {response.status_code} "
                f"{_excerpt(response, self.secrets)}".rstrip())
        if response.status_code in (401, 403) and "Retry-After" not in response.headers:
            raise Refused(said, response.status_code)
        raise PostingError(said)

    def pages(self, path: str) -> Iterator[object]:
        """Each item of a paginated list, following `Link: rel="next"` on the same host, at most MAX_PAGES pages."""
        url = path
        for _ in range(MAX_PAGES):
            answer = self.request("GET", url)
            yield from answer.body if isinstance(answer.body, list) else []
            url = answer.links.get("next", {}).get("url")
            if not url:
                return
            if _origin(url) != _origin(self.base_url):
                raise PostingError(f"{self.host} pointed the next page of {path} to another host "
                                   f"({_origin(url)}); not sending the token there")

    def _shown(self, url: str) -> str:
        return self.secrets.cut_from(url)


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
