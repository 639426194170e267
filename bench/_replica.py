"""Run ``fitcoach serve`` for the load bench (a separate file so the bench can SIGKILL it).

    python bench/_replica.py --host 127.0.0.1 --port 8001

Every tuning knob is a FITCOACH_* setting (see docs/operations.md)."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from fitcoach.cli import app

    sys.argv = ["fitcoach", "serve", *sys.argv[1:]]
    app()
