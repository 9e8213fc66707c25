"""Form problems shown the GOV.UK way: an error summary at the top linking to each field,
and the same words as an inline message on the field."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


def select_items(
    prompt: str, options: Iterable[tuple[str, str]], selected: str
) -> list[dict[str, Any]]:
    """Items for govukSelect: a prompt with no value first, then (value, text) options."""
    return [
        {"value": "", "text": prompt, "selected": not selected},
        *({"value": v, "text": t, "selected": v == selected} for v, t in options),
    ]


@dataclass
class Problems:
    _items: list[tuple[str, str]] = field(default_factory=list)
    # Where the summary's link goes when it is not the field's own id: a date input's
    # first wrong part (date-day), which takes the focus.
    _anchors: dict[str, str] = field(default_factory=dict)

    def add(self, field_id: str, message: str, anchor: str | None = None) -> None:
        if field_id not in dict(self._items):
            self._items.append((field_id, message))
            if anchor:
                self._anchors[field_id] = anchor

    def __bool__(self) -> bool:
        return bool(self._items)

    def items(self) -> list[tuple[str, str, str]]:
        """(field id, message, the id its summary link goes to), in order."""
        return [(f, m, self._anchors.get(f, f)) for f, m in self._items]

    def summary(self) -> list[dict[str, str]]:
        """Items for govukErrorSummary's errorList."""
        return [
            {"text": message, "href": f"#{self._anchors.get(field_id, field_id)}"}
            for field_id, message in self._items
        ]

    def message(self, field_id: str) -> dict[str, Any] | None:
        """Params for a component's errorMessage (None: no error on this field)."""
        text = dict(self._items).get(field_id)
        return {"text": text} if text else None
