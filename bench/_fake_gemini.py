"""FakeGemini with the load bench's ModelScript, in a process of its own.

In the bench's own process, the fake's request threads (one per model call, pure-Python HTTP
parsing) held the interpreter lock that the load generator's event loop needed, so the acks it
timed included waiting for that lock. Run as ``python bench/_fake_gemini.py --delay 1``: prints
``port <n>`` once listening, then serves commands read from stdin, one per line, each answered
with one JSON line:

- ``fail <status> <times>``: the next ``times`` generate calls answer ``status``;
- ``counts``: ``{"generate": …, "extraction": …}`` calls answered so far.

End of input stops the server."""

from __future__ import annotations

import argparse
import json
import sys

import _harness as h


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=1.0)
    args = parser.parse_args()
    fake, script = h.start_gemini(args.delay)
    print(f"port {fake.port}", flush=True)
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            command, *rest = line.split()
            if command == "fail":
                fake.fail(int(rest[0]), times=int(rest[1]))
                answer: dict[str, int] = {}
            elif command == "counts":
                answer = {"generate": script.generate_calls, "extraction": script.extraction_calls}
            else:
                answer = {"error": 1}
            print(json.dumps(answer), flush=True)
    finally:
        fake.close()


if __name__ == "__main__":
    main()
