"""Container health probe: exit 0 when the portal answers 200 at the URL given, 1 otherwise.

    python docker/healthcheck.py http://127.0.0.1:8000/health/live

The slim image has no curl, hence the standard library. Production settings would refuse a
bare request to 127.0.0.1 twice over: its Host is not in ALLOWED_HOSTS (400) and it is plain
HTTP while SECURE_SSL_REDIRECT is on (301 to https://). So the probe sends the first host of
ALLOWED_HOSTS, and `X-Forwarded-Proto: https` as the TLS-terminating proxy in front does
(SECURE_PROXY_SSL_HEADER). Redirects are never followed: the answer must be a 200 from the
process itself. The body (the readiness checks' JSON) is printed for `docker inspect`.
"""

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 10


class RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx is then raised as an HTTPError: unhealthy


def host_header():
    """The first host Django accepts: `.example.org` stands for example.org; `*` for any."""
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def probe(url):
    """Return (status, body) of a GET on url, or (None, the reason) when nothing answered."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url!r}")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, headers={"Host": host_header(), "X-Forwarded-Proto": "https"}
    )
    opener = urllib.request.build_opener(RefuseRedirects)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read(2000)
    except urllib.error.HTTPError as error:
        return error.code, error.read(2000)
    except (urllib.error.URLError, OSError) as error:
        return None, str(error).encode()


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(f"usage: {argv[0]} URL\n")
        return 2
    status, body = probe(argv[1])
    sys.stdout.write(f"{status or 'no answer'} {body.decode(errors='replace')}\n")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
