"""Replace attributes of moto (and crhelper) and put every one back on exit, so the
patches live only while an Emulator runs and other tests see moto unchanged."""

from __future__ import annotations

from typing import Any

_MISSING = object()
_saved: list[tuple[Any, str, Any]] = []


def replace(owner: Any, name: str, value: Any) -> None:
    """``setattr(owner, name, value)``, remembering the previous raw attribute."""
    previous = (
        owner.__dict__.get(name, _MISSING) if isinstance(owner, type) else getattr(owner, name)
    )
    _saved.append((owner, name, previous))
    setattr(owner, name, value)


def restore_all() -> None:
    """Undo every ``replace`` in reverse order."""
    while _saved:
        owner, name, previous = _saved.pop()
        if previous is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, previous)
