"""Does the unsubscribe endpoint answer an RFC 8058 one-click POST? One HTTP request, for
`digest doctor`: the POST a mail client makes when a reader presses "Unsubscribe".
May import: nothing from digest.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

# Our own error pages put their message after the page's head and styles (about 1.7 KB in):
# enough of the body to find it.
BODY_LIMIT = 16_384


@dataclass(frozen=True)
class Answer:
    status: int | None          # None: no HTTP answer at all
    text: str                   # the body (its first BODY_LIMIT bytes), or why there was no answer


def post(url: str, *, timeout: float = 10.0) -> Answer:
    """POST `List-Unsubscribe=One-Click` to `url`, as a mail client does; redirects are not followed
    (RFC 8058 clients do not follow them either)."""
    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "User-Agent": "digest-doctor"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as resp:
            return Answer(resp.status, resp.read(BODY_LIMIT).decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(BODY_LIMIT).decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return Answer(None, str(getattr(reason, "strerror", None) or reason))
