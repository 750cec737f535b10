"""Small pieces `manage.py bench` and each app's measurements share."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Refusal:
    """How a hostile input was refused: how long it took and the most memory Python held."""

    name: str
    input_bytes: int
    seconds: float
    peak_mb: float
    refused: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure_refusal(
    name: str, input_bytes: int, call: Callable[[], object], refusal: type[Exception]
) -> Refusal:
    """Run `call`, expecting it to raise `refusal`; time it and trace its peak allocation."""
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    refused, message = False, "accepted"
    try:
        call()
    except refusal as error:
        details = getattr(error, "field_errors", None) or {}
        named = "; ".join(f"{where}: {' '.join(problems)}" for where, problems in details.items())
        refused, message = True, named or str(getattr(error, "message", error))
    finally:
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return Refusal(name, input_bytes, round(seconds, 4), round(peak / 1024**2, 1), refused, message)
