"""OverSeer offline training: corpus -> regime labelling -> interference model -> ONNX bundle."""

import os

# Must happen before numpy/scikit-learn load their OpenMP/BLAS runtimes: on a shared 2-core machine
# busy-waiting OpenMP threads slow HistGradientBoosting down by 10-20x. OVERSEER_TRAINING_THREADS
# (default 1) sets the count; an explicit OMP_NUM_THREADS wins.
os.environ.setdefault("OMP_NUM_THREADS", os.environ.get("OVERSEER_TRAINING_THREADS", "1"))

__version__ = "0.1.0"
