#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs the shell blocks of documentation pages, as a reader would paste them:

    test-recipes.py SERVER BUILDDIR SRCDIR PAGE...

Every fenced block whose info string is exactly `sh` is run with `sh -eu`
(blocks marked `sh norun` are set-up steps or templates), in a scratch
directory that sees the checkout's data/ and docs/, with vi-local-server
serving data/demo.jsonl as 'demo' and an empty dataset 'copy', the
endpoint and credentials in the environment, the build's plugin, CLI and
typelibs found.  A camera and a screen are replaced: `v4l2src` by a live
videotestsrc of 60 frames, `autovideosink` by fakesink; `_build/dev`, the
build directory of the guides, is the build under test.  A block fails the
test when it exits non-zero, prints a GStreamer warning or error, or does
not make the files its sinks name.
"""

import glob
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from docs_server import LocalServer  # noqa: E402

SUBSTITUTIONS = [
    (re.compile(r"\bv4l2src(?: device=\S+)?"),
     "videotestsrc is-live=true num-buffers=60"),
    (re.compile(r"\bautovideosink\b"), "fakesink"),
    # The build directory the guides use, for the one under test.
    (re.compile(r"(?:\$PWD/)?_build/dev\b"), "@BUILD@"),
]
FENCE = re.compile(r"^```(.*)$")


def blocks(path):
    """(line number, info string, text) of each fenced block of @path."""
    out = []
    info = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = FENCE.match(line.rstrip("\n"))
            if m and info is None:
                info, start, text = m.group(1).strip(), n, []
            elif m:
                out.append((start, info, "".join(text)))
                info = None
            elif info is not None:
                text.append(line)
    return out


def made_files(script):
    """The files the sinks of @script write, as glob patterns."""
    pattern = re.compile(r"\b(?:filesink|multifilesink|viannotsink)\b[^!]*?"
                         r"\blocation=(\S+)")
    return [re.sub(r"%0?\d*d", "*", m.group(1))
            for m in pattern.finditer(script.replace("\\\n", " "))]


def main(argv):
    if len(argv) < 5:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    server_exe, build, src, pages = argv[1], argv[2], argv[3], argv[4:]
    failures = 0
    ran = 0
    substituted = set()
    with tempfile.TemporaryDirectory() as work, \
            LocalServer(server_exe, {
                "demo": os.path.join(src, "data", "demo.jsonl"),
                "copy": "/dev/null"}) as server:
        os.symlink(os.path.join(src, "data"), os.path.join(work, "data"))
        os.symlink(os.path.join(src, "docs"), os.path.join(work, "docs"))
        env = server.env()
        # viannotsink's default spool is under the cache directory.
        env["XDG_CACHE_HOME"] = os.path.join(work, "cache")
        env["PATH"] = os.pathsep.join([
            os.path.join(build, "tools", "vi-annotations"),
            os.path.join(build, "tools", "vi-local-server"),
            "/usr/bin", env.get("PATH", "")])
        for page in pages:
            name = os.path.basename(page)
            for line, info, text in blocks(page):
                if info != "sh":
                    continue
                script = text
                for i, (regex, replacement) in enumerate(SUBSTITUTIONS):
                    script, n = regex.subn(
                        replacement.replace("@BUILD@", build), script)
                    if n:
                        substituted.add(i)
                run = subprocess.run(["sh", "-eu", "-c", script], cwd=work,
                                     env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     check=False, timeout=120)
                ran += 1
                problem = None
                if run.returncode != 0:
                    problem = "exit status %d" % run.returncode
                elif re.search(r"^(WARNING|ERROR): ", run.stdout, re.M):
                    problem = "a warning or an error"
                else:
                    for made in made_files(script):
                        found = [f for f in glob.glob(os.path.join(work, made))
                                 if os.path.getsize(f) > 0]
                        if not found:
                            problem = "no file %s" % made
                if problem:
                    failures += 1
                    print("FAIL %s:%d: %s\n%s\n--- output:\n%s" % (
                        name, line, problem, script, run.stdout))
                else:
                    print("ok %s:%d" % (name, line))
    if len(substituted) != len(SUBSTITUTIONS):
        # The pages must keep showing a camera and a screen.
        print("FAIL: not every substitution was used: %s" % sorted(substituted))
        failures += 1
    if ran == 0:
        print("FAIL: no block to run")
        failures += 1
    print("%d blocks run, %d failed" % (ran, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
