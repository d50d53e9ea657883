#!/usr/bin/env python3
"""Runs docs/examples/list_annotations.py against vi-local-server and checks
what it prints: libvi works from Python through its typelib."""
import os
import subprocess
import sys
import tempfile

server_bin, example = sys.argv[1], sys.argv[2]

key = "dtvi_" + "p" * 98
env = dict(os.environ, DATATURE_VI_SECRET_KEY=key,
           DATATURE_VI_ORGANIZATION_ID="py-org")
with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
    f.write('{"asset_id": "frame 1", "caption": "A cat sitting on a couch", '
            '"grounded_phrases": [{"phrase": "cat", "bbox": [0.1, 0.2, 0.5, 0.7]}]}\n')
    f.write('{"asset_id": "frame 1", "contents": {"question": "What?", '
            '"answer": "A cat"}}\n')
    data = f.name

server = subprocess.Popen([server_bin, "--port", "0", "--load", "ds=" + data],
                          stdout=subprocess.PIPE, env=env, text=True)
try:
    line = server.stdout.readline().strip()
    assert line.startswith("listening on "), line
    env["DATATURE_VI_API_ENDPOINT"] = line[len("listening on "):]
    out = subprocess.run([sys.executable, example, "ds", "frame 1"], env=env,
                         capture_output=True, text=True, timeout=60)
    print(out.stdout, end="")
    print(out.stderr, end="", file=sys.stderr)
    assert out.returncode == 0, out.returncode
    assert "caption 'A cat sitting on a couch'" in out.stdout
    # 0.1*1920=192, 0.2*1080=216, 0.5*1920=960, 0.7*1080=756; "cat" at [2, 5)
    assert "box [192, 216, 960, 756] px, span [2, 5)" in out.stdout
    assert "Q 'What?' A 'A cat'" in out.stdout
    assert "3 annotations" in out.stdout

    # A wrong key: the example reports the error and exits 1.
    bad = dict(env, DATATURE_VI_SECRET_KEY="dtvi_" + "q" * 98)
    out = subprocess.run([sys.executable, example, "ds", "frame 1"], env=bad,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.returncode
    assert "401" in out.stderr and "DATATURE_VI_SECRET_KEY" in out.stderr
finally:
    server.terminate()
    server.wait()
    os.unlink(data)

# ViWholes through the typelib: parts grouped by whole id, known by the
# caller's numbers; a second caption is dropped.
import gi  # noqa: E402
gi.require_version("Vi", "1.0")
from gi.repository import Vi  # noqa: E402

wholes = Vi.Wholes.new()
assert wholes.add_part(0, "w1", Vi.ContentKind.PHRASE_GROUNDING_BOUNDING_BOX)
assert wholes.add_part(1, "w2", Vi.ContentKind.VQA)
assert wholes.add_part(2, "w1", Vi.ContentKind.CAPTION)
assert not wholes.add_part(3, "w1", Vi.ContentKind.CAPTION)
assert wholes.get_n_wholes() == 2
assert wholes.get_whole_id(0) == "w1" and wholes.get_whole_id(1) == "w2"
assert tuple(wholes.get_caption(0)) == (True, 2), wholes.get_caption(0)
assert not wholes.get_caption(1)[0]
assert list(wholes.get_boxes(0)) == [0]
assert list(wholes.get_vqa(1)) == [1]
assert list(wholes.get_dropped()) == [3]
print("ok")
