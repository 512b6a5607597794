"""Every test run has a code cache of its own (RVIRT_CACHE_DIR, inherited by the rvirt
processes tests start): a run neither reads nor fills the user's ~/.cache/rvirt, and the
tests' rvirt runs share it as a user's runs would."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _code_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["RVIRT_CACHE_DIR"] = str(tmp_path_factory.mktemp("code-cache"))
