"""Run localstripe (a Stripe API double; GPL, test-only) on loopback with its own state file.

    python tests/localstripe_server.py --port 8420 --state /tmp/some-dir

localstripe's own CLI listens on every interface and keeps its state in the fixed file
/tmp/localstripe.pickle, shared by every run on the machine. This wrapper serves the same
aiohttp application on 127.0.0.1 only, starts from an empty store, and keeps the store in
STATE/localstripe.pickle.
"""

import argparse
import logging
import pickle
from pathlib import Path

from aiohttp import web
from localstripe import resources
from localstripe.server import app


def use_state_file(path: Path):
    """Make localstripe's store load from and save to `path` instead of /tmp."""

    def try_load_from_disk(store):
        try:
            with path.open("rb") as f:
                saved = pickle.load(f)  # noqa: S301 (written by this process only)
        except FileNotFoundError:
            return
        store.clear()
        store.update(saved)

    def dump_to_disk(store):
        with path.open("wb") as f:
            pickle.dump(dict(store), f, protocol=pickle.HIGHEST_PROTOCOL)

    resources.Store.try_load_from_disk = try_load_from_disk
    resources.Store.dump_to_disk = dump_to_disk


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True, help="directory for the state file")
    args = parser.parse_args()

    args.state.mkdir(parents=True, exist_ok=True)
    use_state_file(args.state / "localstripe.pickle")
    resources.store.clear()  # from scratch, like `localstripe --from-scratch`

    logging.basicConfig(level=logging.INFO)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
