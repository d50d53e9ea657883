#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs a documentation example against vi-local-server:

    run-example.py SERVER SRCDIR EXPECTED -- COMMAND [ARG...]

starts SERVER on loopback with data/demo.jsonl as the dataset 'demo', runs
COMMAND with the server's endpoint and a throw-away key in the environment
(DATATURE_VI_API_ENDPOINT, DATATURE_VI_SECRET_KEY,
DATATURE_VI_ORGANIZATION_ID), and checks that it exits with 0 and that
every line of the file EXPECTED appears in its output, in that order.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from docs_server import LocalServer  # noqa: E402


def main(argv):
    if len(argv) < 6 or argv[4] != "--":
        print(__doc__.strip(), file=sys.stderr)
        return 2
    server_exe, src, expected_path, command = argv[1], argv[2], argv[3], argv[5:]
    with open(expected_path, encoding="utf-8") as f:
        expected = [line.rstrip("\n") for line in f if line.strip()]
    with LocalServer(server_exe, {"demo": os.path.join(src, "data", "demo.jsonl")}) as server:
        run = subprocess.run(command, env=server.env(), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, check=False,
                             timeout=240)
    sys.stdout.write(run.stdout)
    if run.returncode != 0:
        print("run-example: %s exited with %d" % (command[0], run.returncode),
              file=sys.stderr)
        return 1
    lines = run.stdout.splitlines()
    at = 0
    for want in expected:
        while at < len(lines) and lines[at] != want:
            at += 1
        if at == len(lines):
            print("run-example: missing (or out of order): %r" % want,
                  file=sys.stderr)
            return 1
        at += 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
