"""Where the running emulator listens; read by the patches at call time."""

from __future__ import annotations

endpoint_url = ""
