"""Progress charts: user-scoped series (``data``), plain values (``series``), PNGs (``render``)."""
