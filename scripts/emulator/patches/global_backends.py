"""Account-global backends safe for regions that run in parallel.

moto 5.2.5 keeps IAM (one backend per partition) and S3's buckets (one "global" backend)
in plain dicts that every region's requests share, and iterates them in Python loops
(``get_role`` walks ``roles.values()``, a Role's delete walks the instance profiles and
inline policies). taskcat creates and deletes its regions' stacks in parallel, so one
region's role create or delete could change a dict another region's thread was walking:
``RuntimeError: dictionary changed size during iteration`` in the middle of a stack
operation, and a nested stack left DELETE_FAILED (seen once in CI). CloudFormation has no
such failure. Here every iteration walks a copy taken in one C call (atomic under the
GIL); lookups and writes are unchanged.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, ValuesView
from typing import Any

from moto.iam.models import IAMBackend, iam_backends
from moto.s3.models import S3Backend, s3_backends

from scripts.emulator.patches import swap


class SnapshotDict(dict):  # type: ignore[type-arg]
    """A dict whose iterations walk a copy, so writers in other threads cannot break them."""

    def _copy(self) -> dict[Any, Any]:
        # dict.copy would call the overridden keys(); the base class's view is walked in C.
        return dict(dict.items(self))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._copy())

    def keys(self) -> KeysView[Any]:
        return self._copy().keys()

    def values(self) -> ValuesView[Any]:
        return self._copy().values()

    def items(self) -> ItemsView[Any, Any]:
        return self._copy().items()


def make_shared_state_safe(backend: Any) -> None:
    """Replace every dict attribute of ``backend`` with a SnapshotDict of the same items."""
    for name, value in list(vars(backend).items()):
        if type(value) is dict:
            setattr(backend, name, SnapshotDict(value))


def _existing(backend_dict: Any) -> list[Any]:
    return [backend for per_account in backend_dict.values() for backend in per_account.values()]


def apply() -> None:
    for backend_class, backend_dict in ((IAMBackend, iam_backends), (S3Backend, s3_backends)):
        original_init = backend_class.__init__

        def init(self: Any, *args: Any, _original: Any = original_init, **kwargs: Any) -> None:
            _original(self, *args, **kwargs)
            make_shared_state_safe(self)

        swap.replace(backend_class, "__init__", init)
        for backend in _existing(backend_dict):
            make_shared_state_safe(backend)
