#!/usr/bin/env python3
"""Drive the scboauth emulator over HTTP with Python's standard library only.

Usage: sandbox-any-language.py BASE_URL

BASE_URL is an emulator served with its admin API on (scboauth sandbox --admin). The script
walks through what a test suite in any language does: reset the emulator, make the next token
call fail with 503, watch a retrying client in the request log, advance the clock 31 minutes and
see the token expire. It exits 0 and prints "ok" when every step behaves, 1 otherwise. go test
runs it (sandbox's TestAnyLanguage), which proves the emulator is language-neutral.
"""
import json
import sys
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/")
PLAIN_KEY = "l700000000000000000000000000000001"  # the demo application of kind plain
PLAIN_SECRET = "demo-plain-secret"


def call(method, path, body=None, headers=None):
    """Send one request; return (status, headers, decoded JSON body or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, hdrs, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, hdrs, raw = err.code, err.headers, err.read()
    return status, hdrs, (json.loads(raw) if raw else None)


def check(cond, what):
    if not cond:
        print("FAIL: " + what)
        sys.exit(1)


def token(request_uid, attempts=3):
    """A client that retries a 503 (a real one would wait Retry-After first)."""
    headers = {"resourceOwnerId": PLAIN_KEY, "requestUId": request_uid}
    body = {"applicationKey": PLAIN_KEY, "applicationSecret": PLAIN_SECRET}
    for _ in range(attempts):
        status, hdrs, answer = call("POST", "/v1/oauth/token", body, headers)
        if status != 503:
            return status, answer
        check(hdrs.get("Retry-After") == "1", "a 503 carries Retry-After: 1")
    return status, answer


status, _, health = call("GET", "/sandbox/v1/health")
check(status == 200 and health["service"] == "scboauth-sandbox", "health: %s %s" % (status, health))

status, _, reset = call("DELETE", "/sandbox/v1/state")
check(status == 200 and "requests" in reset, "reset: %s %s" % (status, reset))

status, _, rule = call("POST", "/sandbox/v1/faults", {"fault": "503", "path": "/v1/oauth/token", "count": 1})
check(status == 201 and rule["id"], "fault rule: %s %s" % (status, rule))

status, answer = token("python-1")
check(status == 200 and answer["data"]["tokenType"] == "Bearer", "the retried token call: %s %s" % (status, answer))
access = answer["data"]["accessToken"]

status, _, log = call("GET", "/sandbox/v1/requests?requestUId=python-1")
seen = [(e["status"], e["code"], e.get("fault", "")) for e in log["requests"]]
check(status == 200 and [s[:2] for s in seen] == [(503, 9900), (200, 1000)], "the request log: %s" % seen)
check(seen[0][2].startswith("rule "), "the 503 names its rule: %s" % seen)

status, _, info = call("POST", "/sandbox/v1/tokens/introspect", {"token": access})
check(status == 200 and info["active"], "a fresh token is active: %s" % info)

status, _, clock = call("POST", "/sandbox/v1/clock", {"advance": "31m"})
check(status == 200 and clock["offsetSeconds"] == 31 * 60, "the clock: %s %s" % (status, clock))

status, _, info = call("POST", "/sandbox/v1/tokens/introspect", {"token": access})
check(status == 200 and not info["active"], "31 minutes on, the token expired: %s" % info)

status, answer = token("{{requestUId}}", attempts=1)
check(status == 200, "an unexpanded placeholder as requestUId is accepted, as SCB does: %s" % answer)

print("ok")
