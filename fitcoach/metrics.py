"""Prometheus metrics (served on /metrics). Labels never carry personal data."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter(
    "fitcoach_messages_total", "Inbound messages by channel and outcome", ["channel", "outcome"]
)
MESSAGE_LATENCY = Histogram(
    "fitcoach_message_seconds",
    "Time from accepting a message to having its reply",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
TOOL_CALLS = Counter("fitcoach_tool_calls_total", "Tool calls by tool", ["tool"])
MODEL_CALLS = Counter(
    "fitcoach_model_calls_total",
    "Model calls by route (model, fast_path, fallback, offline)",
    ["route"],
)
MODEL_TOKENS = Counter("fitcoach_model_tokens_total", "Model tokens by kind", ["kind"])
FALLBACKS = Counter("fitcoach_fallbacks_total", "Remote model failures answered offline")
ERRORS = Counter("fitcoach_errors_total", "Errors by place", ["where"])
IN_FLIGHT = Gauge("fitcoach_messages_in_flight", "Accepted messages not yet answered")
HAND_BACKS = Counter(
    "fitcoach_hand_backs_total", "Conversations a worker over its share handed to the others"
)
DUPLICATES = Counter("fitcoach_duplicates_total", "Duplicate deliveries dropped", ["channel"])
LEASES_EXPIRED = Counter(
    "fitcoach_leases_expired_total",
    "Conversation leases found expired at renewal: taken back, or lost to another worker",
    ["outcome"],
)
HTTP_LATENCY = Histogram(
    "fitcoach_http_seconds",
    "HTTP request handling time (webhook ack latency)",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
GC_PAUSE = Histogram(
    "fitcoach_gc_pause_seconds",
    "Pauses of Python's cyclic garbage collector, by generation",
    ["generation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5),
)
SAFETY_FLAGS = Counter(
    "fitcoach_safety_flags_total", "Messages answered by the safety screen", ["flags"]
)
