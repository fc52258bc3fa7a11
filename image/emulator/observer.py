"""Watch the guest's lab node until a participant with the given name has a media call.

    python observer.py DISPLAY_NAME TIMEOUT_S
Prints "joined <monotonic seconds since boot>" or "not-joined <reason>".
Run by agent.sh inside the emulated guest (image/boot_test.py).
"""

import json
import sys
import time
import urllib.request

BASE = "http://127.0.0.1:8080/api/client/v2/conferences/meet"


def call(path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("token", token)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["result"]


def main():
    name, timeout = sys.argv[1], float(sys.argv[2])
    deadline = time.monotonic() + timeout
    token = None
    last = "node not up"
    while time.monotonic() < deadline:
        try:
            if token is None:
                token = call("/request_token", body={"display_name": "image-test observer"})["token"]
            for participant in call("/participants", token=token):
                if participant.get("display_name") == name:
                    last = f"{name} joined without media yet"
                    if participant.get("has_media") in (True, "YES"):
                        print(f"joined {time.monotonic():.1f}")
                        return 0
        except OSError as exc:
            last = f"node: {exc}"
        time.sleep(1)
    print(f"not-joined {last}")
    return 1


sys.exit(main())
