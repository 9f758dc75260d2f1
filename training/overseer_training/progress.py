"""Progress lines on stderr for long steps (elapsed seconds since the process started)."""

import sys
import time

_START = time.monotonic()


def progress(message: str) -> None:
    print(f"[{time.monotonic() - _START:6.1f}s] {message}", file=sys.stderr, flush=True)
