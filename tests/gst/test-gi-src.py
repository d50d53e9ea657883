#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""viannotsrc from Python: docs/examples/read_meta.py runs a pipeline with
viannotsrc (local JSONL, no network), scaled after the element, and prints
every frame's boxes in pixels of the appsink's caps; the test checks what
it prints.  Then the example's phrases_in_pixels() reads a frame cropped
with a GstVideoCropMeta, as videocrop leaves it for an element that accepts
crop metas, where the boxes must be those of the cropped frame."""

import ctypes
import os
import subprocess
import sys
import tempfile

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
gi.require_version("Vi", "1.0")
gi.require_version("GstViAnnot", "1.0")
from gi.repository import Gst, GstVideo, GstViAnnot, Vi  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
examples = os.path.join(here, "..", "..", "docs", "examples")
example = os.path.join(examples, "read_meta.py")
sys.path.insert(0, examples)
import read_meta  # noqa: E402


def add_crop_meta(buf, x, y, width, height):
    """gst_buffer_add_video_crop_meta() is a C macro that GI does not
    have: call what it expands to through ctypes (a boxed Python object
    hashes to its C pointer)."""
    gst = ctypes.CDLL("libgstreamer-1.0.so.0")
    video = ctypes.CDLL("libgstvideo-1.0.so.0")
    video.gst_video_crop_meta_get_info.restype = ctypes.c_void_p
    gst.gst_buffer_add_meta.restype = ctypes.c_void_p
    gst.gst_buffer_add_meta.argtypes = [ctypes.c_void_p] * 3

    class CropMeta(ctypes.Structure):
        _fields_ = [("flags", ctypes.c_int), ("info", ctypes.c_void_p),
                    ("x", ctypes.c_uint), ("y", ctypes.c_uint),
                    ("width", ctypes.c_uint), ("height", ctypes.c_uint)]

    meta = gst.gst_buffer_add_meta(hash(buf), video.gst_video_crop_meta_get_info(),
                                   None)
    assert meta
    crop = CropMeta.from_address(meta)
    crop.x, crop.y, crop.width, crop.height = x, y, width, height


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
    print(out.stdout, end="")
    print(out.stderr, end="", file=sys.stderr)
    assert out.returncode == 0, out.returncode
    lines = out.stdout.splitlines()
    cat = [l for l in lines if "'cat'" in l]
    couch = [l for l in lines if "'couch'" in l]
    # Normalized boxes converted at 640x480, after a 320x240 -> 640x480 scale.
    assert len(cat) == 3 and all(l.endswith("(64, 96, 320, 336)") for l in cat), cat
    assert len(couch) == 3 and all(l.endswith("(384, 96, 576, 336)") for l in couch), couch

    # videocrop towards a pad that accepts crop metas does not crop: it
    # passes the 640x480 frame on with a crop meta and caps of 540x440.
    # Such a buffer, made here: a Python probe cannot answer the allocation
    # query (the binding holds a reference to it, so it is not writable).
    Gst.init(None)
    annotations = GstViAnnot.Set.new("ds", "img1")
    c = annotations.add_caption("A cat sitting on a couch")
    box = Vi.BBox()
    box.x_min, box.y_min, box.x_max, box.y_max = 0.1, 0.2, 0.5, 0.7
    annotations.add_phrase(c, "cat", 2, 5, box, None, None)
    buf = Gst.Buffer.new_allocate(None, 640 * 480 * 3 // 2, None)
    GstViAnnot.buffer_add_vi_annot_meta(buf, annotations)
    GstVideo.buffer_add_video_meta(buf, GstVideo.VideoFrameFlags.NONE,
                                   GstVideo.VideoFormat.I420, 640, 480)
    add_crop_meta(buf, 100, 40, 540, 440)
    caps = Gst.Caps.from_string("video/x-raw,format=I420,width=540,height=440")
    phrases = read_meta.phrases_in_pixels(Gst.Sample.new(buf, caps, None, None))
    # [0.1, 0.2, 0.5, 0.7] of 640x480 is (64, 96, 320, 336); in the frame
    # cropped at (100, 40) to 540x440: (0, 56, 220, 296).
    assert phrases == [("cat", "A cat sitting on a couch", (0, 56, 220, 296))], phrases
finally:
    os.unlink(data)
print("ok")
