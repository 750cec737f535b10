"""The JSON parser every endpoint uses: DRF's, plus two refusals DRF leaves to a 500."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class AccordJSONParser(JSONParser):
    """Refuses, as a 400 parse error: nesting too deep for Python's parser (which raises
    RecursionError), and text with a lone surrogate such as "\\ud800" (valid JSON, but not
    text: it could be neither stored nor echoed back in an error message)."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
        if not _is_text(data):
            raise ParseError("JSON parse error - a string holds a lone surrogate (not text).")
        return data


def _is_text(value: Any) -> bool:
    """Every string (key or value) in a parsed body encodes as UTF-8; iterative, so a wide or
    deep body cannot exhaust the stack here either."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True
