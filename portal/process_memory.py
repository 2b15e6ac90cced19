"""What a process keeps of a shared cache (Redis) in its own memory, to skip a round trip."""

import threading
from collections import OrderedDict


class ProcessMemory:
    """Entries read from a shared cache, each with the version (tree version, page cache
    generation) it belongs to; the least recently used leave first once their sizes exceed
    `limit` bytes. Safe to use from several threads."""

    def __init__(self, limit):
        self.limit = limit
        self.entries = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key, version):
        """The value kept under `key` for `version`, else None."""
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry[0] != version:
                return None
            self.entries.move_to_end(key)
            return entry[1]

    def set(self, key, version, value, size):
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= old[2]
            if size > self.limit:
                return
            self.entries[key] = (version, value, size)
            self.size += size
            while self.size > self.limit:
                _key, (_version, _value, dropped) = self.entries.popitem(last=False)
                self.size -= dropped
