"""A small REST client for the CI APIs: JSON, Link-header pages, and waits for a rate limit to reset.

urllib of the standard library: the calls are plain GET/POST/PATCH with a token, and a redirect (GitHub sends
logs through one) is followed without the token.
"""
from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

from ..errors import ToolError, UsageError

NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')
RETRIES = 3


class RestClient:
    def __init__(self, base_url: str, headers: dict[str, str], credentials: dict[str, str] | None = None,
                 max_wait: float = 120.0, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.headers = {"User-Agent": "nexus-insights", **headers}
        # The token goes to the API only: a redirect (GitHub sends logs to a signed storage URL) leaves it behind.
        self.credentials = credentials or {}
        self.max_wait = max_wait
        self.timeout = timeout

    def url(self, path: str, params: dict | None = None) -> str:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        return url + ("?" + urllib.parse.urlencode(params) if params else "")

    def get(self, path: str, params: dict | None = None):
        body, _ = self.request("GET", self.url(path, params))
        return json.loads(body)

    def text(self, path: str) -> str:
        body, _ = self.request("GET", self.url(path))
        return body.decode("utf-8", errors="replace")

    def pages(self, path: str, params: dict | None = None) -> Iterator:
        """Every page of a listing, following the Link header's rel="next" (GitLab's X-Next-Page otherwise)."""
        url = self.url(path, params)
        while url:
            body, headers = self.request("GET", url)
            yield json.loads(body)
            found = NEXT_LINK.search(headers.get("Link", ""))
            if found:
                url = found.group(1)
            elif headers.get("X-Next-Page"):
                url = self.url(path, {**(params or {}), "page": headers["X-Next-Page"]})
            else:
                url = None

    def send(self, method: str, path: str, body: dict | None = None):
        data, _ = self.request(method, self.url(path), body)
        return json.loads(data) if data.strip() else None

    def request(self, method: str, url: str, body: dict | None = None) -> tuple[bytes, dict]:
        for attempt in range(1, RETRIES + 1):
            request = urllib.request.Request(url, method=method, headers={
                **self.headers, **({"Content-Type": "application/json"} if body is not None else {})},
                data=None if body is None else json.dumps(body).encode())
            for name, value in self.credentials.items():
                request.add_unredirected_header(name, value)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    headers = dict(response.headers.items())
                    data = response.read()
                self._respect_rate_limit(headers, url)
                return data, headers
            except urllib.error.HTTPError as error:
                headers = dict(error.headers.items())
                wait = _rate_limit_wait(error.code, headers)
                if wait is None or attempt == RETRIES:
                    raise _http_error(method, url, error) from None
                self._wait(wait, url)
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise ToolError(f"{method} {_shown(url)} failed: {reason}") from None
        raise AssertionError("unreachable")

    def _respect_rate_limit(self, headers: dict, url: str) -> None:
        if headers.get("X-RateLimit-Remaining") == "0" and headers.get("X-RateLimit-Reset"):
            self._wait(max(0.0, float(headers["X-RateLimit-Reset"]) - time.time()), url)

    def _wait(self, seconds: float, url: str) -> None:
        if seconds > self.max_wait:
            raise ToolError(f"rate limit of {_shown(url)}: the API asks to wait {seconds:.0f}s, more than "
                            f"{self.max_wait:.0f}s; run the import again later (rows already imported are kept, "
                            f"none is doubled)")
        time.sleep(seconds)


def _rate_limit_wait(status: int, headers: dict) -> float | None:
    """Seconds to wait before retrying a refused call, or None when the refusal is not a rate limit."""
    if status not in (403, 429):
        return None
    if headers.get("Retry-After"):
        return float(headers["Retry-After"])
    if headers.get("X-RateLimit-Remaining") == "0" and headers.get("X-RateLimit-Reset"):
        return max(0.0, float(headers["X-RateLimit-Reset"]) - time.time())
    return None


def _http_error(method: str, url: str, error: urllib.error.HTTPError) -> Exception:
    detail = error.read().decode("utf-8", errors="replace")[:300]
    message = f"{method} {_shown(url)}: HTTP {error.code} {error.reason}: {detail}".rstrip(": ")
    if error.code in (401, 403, 404):
        return UsageError(message + " (check the repository name and the token's access)")
    return ToolError(message)


def _shown(url: str) -> str:
    return url.split("?")[0]
