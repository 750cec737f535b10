from __future__ import annotations

import pytest

from agreements.models import Agreement
from tests.checklists.gap_portfolio import build_portfolio


@pytest.fixture
def portfolio(personas) -> Agreement:
    """The known small portfolio of the gap report tests (see gap_portfolio.py)."""
    return build_portfolio(personas)
