"""The smallest WSGI application answering with a saved page: what gunicorn itself can serve
on this machine, whatever the application (`python -m bench.pages` loads it beside nginx).
It answers every request with the file named by BENCH_PAGE_FILE."""

import os
from pathlib import Path

BODY = Path(os.environ["BENCH_PAGE_FILE"]).read_bytes()
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
