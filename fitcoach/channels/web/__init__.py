"""The web chat channel: demo page and static assets."""
