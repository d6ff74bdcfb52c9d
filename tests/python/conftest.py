"""Shared fixtures for the fuze Python tests.

Run with the Python that owns torch and the package from the build tree:
    PYTHONPATH=build/python /usr/bin/python3 -m pytest tests/python
"""

import pytest
import torch

import fuze


@pytest.fixture(autouse=True)
def fuze_off_between_tests():
    """Every test starts and ends with fuze disabled and the counters at zero."""
    fuze.disable()
    fuze.reset_stats()
    yield
    fuze.disable()


@pytest.fixture
def no_grad():
    with torch.no_grad():
        yield
