"""Run ``fitcoach serve`` with bench-only overrides of constants that have no setting yet.

    python bench/_replica.py --host 127.0.0.1 --port 8001

Without any BENCH_* variable this is ``fitcoach serve`` (plus the Telegram channel plugin if
``default_plugins()`` lacks it, and a PostgreSQL shim for migration 0008). With them (load
bench ``--lease``, ``--sweep``, ``--flood-rate``) it patches, in this process only:

- BENCH_LEASE_S      fitcoach.conversation.LEASE           (inbox claim lease, 120 s)
- BENCH_SWEEP_S      fitcoach.app.RECOVERY_INTERVAL_S      (recovery sweep period, 30 s)
- BENCH_FLOOD_RATE   FloodControl(overall_rate=...)        (Telegram sends/s, 30)
- BENCH_TYPING=0     no "typing…" indicator calls

These stand in for settings fitcoach should have (see docs/operations.md)."""

from __future__ import annotations

import functools
import os
import sys
from datetime import timedelta


def ensure_telegram_plugin() -> str | None:
    """``default_plugins()`` of fitcoach/webhooks/plugins.py does not list the Telegram plugin
    (only Slack), so plain ``fitcoach serve`` answers 404 on /webhooks/telegram. Add it here
    (only when missing) so the bench exercises the shipped webhook."""
    import fitcoach.app
    from fitcoach.webhooks import plugins, telegram

    if any(p.name == "telegram" for p in plugins.default_plugins()):
        return None
    shipped = plugins.default_plugins
    fitcoach.app.default_plugins = lambda: [*shipped(), telegram.plugin]  # type: ignore[attr-defined]
    return "telegram plugin registered (missing from default_plugins)"


def pg_boolean_default_shim() -> None:
    """Work around migration 0008 (committed): ``sa.Boolean`` columns with
    ``server_default=sa.text("1")`` / ``"0"`` fail on PostgreSQL ("column is of type boolean
    but default expression is of type integer"), so ``fitcoach serve`` cannot start on
    PostgreSQL. Rewrite those defaults to true/false while migrating (bench only)."""
    import sqlalchemy as sa
    from alembic import op

    create_table = op.create_table

    def patched(name, *columns, **kw):  # type: ignore[no-untyped-def]
        for col in columns:
            default = getattr(col, "server_default", None)
            text = str(getattr(default, "arg", ""))
            if isinstance(getattr(col, "type", None), sa.Boolean) and text in ("1", "0"):
                default.arg = sa.true() if text == "1" else sa.false()
        return create_table(name, *columns, **kw)

    op.create_table = patched


def apply_overrides() -> list[str]:
    applied = []
    if os.environ.get("BENCH_PG_BOOL_SHIM", "1") == "1":
        pg_boolean_default_shim()
    if note := ensure_telegram_plugin():
        applied.append(note)
    if lease := os.environ.get("BENCH_LEASE_S"):
        import fitcoach.conversation

        fitcoach.conversation.LEASE = timedelta(seconds=float(lease))
        applied.append(f"lease={lease}s")
    if sweep := os.environ.get("BENCH_SWEEP_S"):
        import fitcoach.app

        fitcoach.app.RECOVERY_INTERVAL_S = float(sweep)
        applied.append(f"sweep={sweep}s")
    if rate := os.environ.get("BENCH_FLOOD_RATE"):
        import fitcoach.channels.telegram.client as client
        from fitcoach.channels.telegram.flood import FloodControl

        client.FloodControl = functools.partial(FloodControl, overall_rate=int(rate))  # type: ignore[misc]
        applied.append(f"flood_rate={rate}/s")
    if os.environ.get("BENCH_TYPING") == "0":
        from fitcoach.channels.telegram.typing_indicator import TypingIndicator

        TypingIndicator.start = lambda self, key, chat_id, thread_id=None: None  # type: ignore[method-assign]
        applied.append("typing=off")
    return applied


if __name__ == "__main__":
    applied = apply_overrides()
    if applied:
        print("bench overrides:", ", ".join(applied), flush=True)
    from fitcoach.cli import app

    sys.argv = ["fitcoach", "serve", *sys.argv[1:]]
    app()
