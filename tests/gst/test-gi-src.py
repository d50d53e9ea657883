#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""viannotsrc from Python: docs/examples/read_meta.py runs a pipeline with
viannotsrc (local JSONL, no network), scaled after the element, and prints
every frame's boxes in pixels of the appsink's caps; the test checks what
it prints."""

import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
example = os.path.join(here, "..", "..", "docs", "examples", "read_meta.py")

with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
    f.write('{"asset_id": "img1", "caption": "A cat sitting on a couch", '
            '"grounded_phrases": [{"phrase": "cat", "bbox": [0.1, 0.2, 0.5, 0.7]}, '
            '{"phrase": "couch", "bbox": [0.6, 0.2, 0.9, 0.7]}]}\n')
    data = f.name

pipeline = ("videotestsrc num-buffers=3 ! video/x-raw,width=320,height=240 ! "
            f"viannotsrc location={data} asset-id=img1 ! videoscale ! "
            "video/x-raw,width=640,height=480 ! appsink name=sink")
try:
    out = subprocess.run([sys.executable, example, pipeline],
                         capture_output=True, text=True, timeout=60)
finally:
    os.unlink(data)
print(out.stdout, end="")
print(out.stderr, end="", file=sys.stderr)
assert out.returncode == 0, out.returncode
lines = out.stdout.splitlines()
cat = [l for l in lines if "'cat'" in l]
couch = [l for l in lines if "'couch'" in l]
# Normalized boxes converted at 640x480, after a 320x240 -> 640x480 scale.
assert len(cat) == 3 and all(l.endswith("(64, 96, 320, 336)") for l in cat), cat
assert len(couch) == 3 and all(l.endswith("(384, 96, 576, 336)") for l in couch), couch
print("ok")
