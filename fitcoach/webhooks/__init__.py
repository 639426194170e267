"""FastAPI routers: health, web chat API, platform webhooks, admin."""
