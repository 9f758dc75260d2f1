"""Thread limits for the native math libraries.

On a shared 2-core machine OpenMP's busy-waiting threads (HistGradientBoosting) slow training down
by an order of magnitude when other processes compete, so every CLI runs single-threaded unless
OVERSEER_TRAINING_THREADS says otherwise.
"""

import os

from threadpoolctl import threadpool_limits

_LIMIT = None


def limit_threads() -> int:
    global _LIMIT
    n = int(os.environ.get("OVERSEER_TRAINING_THREADS", "1"))
    _LIMIT = threadpool_limits(limits=n)
    return n
