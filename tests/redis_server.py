"""A private redis-server on a free loopback port, for tests that stop and start it.

The Redis that CI and developers share (6379) is never touched: a fault test starts its own
server as a child process, with nothing written to disk, stops it and starts it again on the
same port, as an operator restarting the broker would.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port nothing listens on at the moment, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """`redis-server` in the foreground on 127.0.0.1:`port`, without persistence.

    >>> with RedisServer(workdir) as redis:  # started
    ...     redis.stop()                     # connections to redis.url() are now refused
    ...     redis.start()                    # the same port again, empty
    """

    def __init__(self, workdir, port=None):
        self.binary = shutil.which("redis-server")
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.logfile = self.workdir / f"redis-{self.port}.log"
        self.process = None

    @classmethod
    def available(cls) -> bool:
        return shutil.which("redis-server") is not None

    def url(self, db=0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout=10):
        if self.binary is None:
            raise RuntimeError("redis-server is not installed")
        if self.process is not None:
            raise RuntimeError(f"redis-server already runs on port {self.port}")
        self.process = subprocess.Popen(  # noqa: S603 (a fixed binary, our own arguments)
            [
                self.binary,
                *("--port", str(self.port)),
                *("--bind", "127.0.0.1"),
                *("--save", ""),
                *("--appendonly", "no"),
                *("--daemonize", "no"),
                *("--dir", str(self.workdir)),
                *("--loglevel", "notice"),
                *("--logfile", str(self.logfile)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not self.ping():
            if self.process.poll() is not None:
                self.process = None
                raise RuntimeError(f"redis-server did not start on port {self.port}: {self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer on port {self.port}: {self.log()}")
            time.sleep(0.05)
        return self

    def stop(self, timeout=10):
        """Stop the server (SIGTERM, then SIGKILL); clients then get "connection refused"."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)

    def log(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
