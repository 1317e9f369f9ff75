# Shared pytest setup, synced into the repos that use helpers_root (dt sync).
import os

import pytest


@pytest.fixture
def workspace_root():
    """The workspace root as dt sets it, or the current dir outside dt."""
    return os.environ.get("DT_WORKSPACE", os.getcwd())
