"""The store as the server's threads share it: one call at a time.

Takes an open store; gives the same methods, each run under one lock. A DuckDB connection must
not be used by two threads at once, and FastAPI runs endpoints in a thread pool. Pages stay fast
because they read the warm counts (`amrwatch.api.summary`), not the store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps


class SerialStore:
    def __init__(self, store) -> None:
        self._store = store
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The whole block under the lock, so no other thread's statement joins the transaction."""
        with self._lock, self._store.transaction():
            yield

    def __getattr__(self, name: str):
        attribute = getattr(self._store, name)
        if not callable(attribute):
            return attribute

        @wraps(attribute)
        def serialised(*args, **kwargs):
            with self._lock:
                return attribute(*args, **kwargs)

        return serialised
