#!/usr/bin/env python3
"""Round trip of a remote action through the REST API: POST /api/v3/chargers/{uuid}/actions/clear-cache,
answered by a simulated charger over its WebSocket. Sequential requests; prints p50/p99/max in ms.
Used by bench/action-rtt.sh; standard library only."""
import json
import sys
import time
import urllib.request

api, token, identity, requests = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def call(method, path, body=None):
    req = urllib.request.Request(api + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


uuid = call("GET", f"/api/v3/chargers?search={identity}")["data"][0]["uuid"]
for _ in range(20):  # warm up connections and caches
    call("POST", f"/api/v3/chargers/{uuid}/actions/clear-cache", {})
samples = []
for _ in range(requests):
    t = time.perf_counter()
    answer = call("POST", f"/api/v3/chargers/{uuid}/actions/clear-cache", {})
    samples.append((time.perf_counter() - t) * 1000)
    assert answer == {"status": "Accepted"}, answer
samples.sort()
pct = lambda p: samples[min(len(samples) - 1, int(p / 100 * len(samples)))]
print(f"action round trip over {requests} requests: p50 {pct(50):.2f} ms, p99 {pct(99):.2f} ms, max {samples[-1]:.2f} ms")
