"""Shared fixtures: toy corpora written by overseer_training.fixture (no simulator needed) and one
pipeline run on them. Tree ensembles are shrunk for speed; the code paths are the same."""

from __future__ import annotations

import numpy as np
import pytest

from overseer_training import interference, regime_model
from overseer_training.fixture import write_fixture
from overseer_training.pipeline import run_pipeline
from overseer_training.threads import limit_threads

interference.HGB_PARAMS = {**interference.HGB_PARAMS, "max_iter": 40}
regime_model.N_TREES = 12
limit_threads()

EPOCH = "1767225600"


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory):
    return write_fixture(tmp_path_factory.mktemp("corpus"), seed=1, nodes=3, intervals=40)


@pytest.fixture(scope="session")
def unseen_corpus_dir(tmp_path_factory):
    """Another toy corpus (different seed): rows no model was trained on."""
    return write_fixture(tmp_path_factory.mktemp("unseen"), seed=2, nodes=3, intervals=20)


@pytest.fixture()
def fresh_corpus(tmp_path):
    """A corpus a test may corrupt."""
    return write_fixture(tmp_path / "corpus", seed=3, nodes=2, intervals=10)


@pytest.fixture(scope="session")
def pipeline_run(corpus_dir, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
    out = tmp_path_factory.mktemp("bundle")
    result = run_pipeline(corpus_dir, out, seed=1, with_stability=False)
    mp.undo()
    return result, out


def with_random_absence(values: np.ndarray, presence: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Copies where about a third of the features are marked absent (value 0)."""
    rng = np.random.default_rng(seed)
    pres = presence * (rng.random(presence.shape) > 0.33)
    return np.where(pres > 0, values, 0.0), pres
