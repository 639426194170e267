"""The web chat channel: embeddable widget (static/), tokens, origins, photos, protocol."""
