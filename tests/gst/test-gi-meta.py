#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""GstViAnnotMeta from Python through GObject introspection.

A pad probe on `identity name=attach` attaches a meta built with the
GstViAnnot API (one caption, one phrase box [0.1, 0.2, 0.5, 0.7]); the
frames are scaled from 320x240 to 640x480 and the box is read back from
the appsink samples in pixels: (64, 96, 320, 336).
"""

import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
gi.require_version("Vi", "1.0")
gi.require_version("GstViAnnot", "1.0")
from gi.repository import Gst, GstVideo, GstViAnnot, Vi  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "docs", "examples"))
import read_meta  # noqa: E402

PIPELINE = ("videotestsrc num-buffers=3 ! video/x-raw,width=320,height=240 ! "
            "identity name=attach ! videoscale ! "
            "video/x-raw,width=640,height=480 ! appsink name=sink")
CAPTION = "Un chien couché sur le canapé"


def make_set():
    s = GstViAnnot.Set.new("dataset-1", "asset-1")
    c = s.add_caption(CAPTION)
    assert c == 0, c
    bbox = Vi.BBox()
    bbox.x_min, bbox.y_min, bbox.x_max, bbox.y_max = 0.1, 0.2, 0.5, 0.7
    p = s.add_phrase(c, "chien", 3, 8, bbox, "ann-1", "whole-1")
    assert p == 0, p
    q = s.add_interaction("Où est le chien ?", "Sur le canapé.")
    assert q == 0, q
    return s


def main():
    Gst.init(None)
    annotations = make_set()
    pipeline = Gst.parse_launch(PIPELINE)

    attached = []

    def on_buffer(pad, info):
        meta = GstViAnnot.pad_probe_info_add_meta(info, annotations)
        assert meta is not None
        attached.append(meta.get_n_phrases())
        return Gst.PadProbeReturn.OK

    pad = pipeline.get_by_name("attach").get_static_pad("src")
    pad.add_probe(Gst.PadProbeType.BUFFER, on_buffer)

    n = 0
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        n += 1
        buf = sample.get_buffer()
        meta = GstViAnnot.buffer_get_vi_annot_meta(buf)
        assert meta is not None, "no GstViAnnotMeta on frame %d" % n
        assert meta.get_dataset_id() == "dataset-1"
        assert meta.get_asset_id() == "asset-1"
        assert meta.get_n_captions() == 1
        assert meta.get_caption(0) == CAPTION
        assert meta.get_n_phrases() == 1
        assert meta.get_phrase(0) == "chien"
        assert meta.get_phrase_caption(0) == 0
        ok, start, end = meta.get_phrase_span(0)
        assert ok and (start, end) == (3, 8), (ok, start, end)
        assert CAPTION[start:end] == "chien"
        assert meta.get_phrase_annotation_id(0) == "ann-1"
        assert meta.get_phrase_whole_id(0) == "whole-1"
        assert meta.get_n_interactions() == 1
        assert meta.get_question(0) == "Où est le chien ?"
        assert meta.get_answer(0) == "Sur le canapé."

        b = meta.get_phrase_bbox(0)
        assert (b.x_min, b.y_min, b.x_max, b.y_max) == (0.1, 0.2, 0.5, 0.7)

        caps = sample.get_caps()
        info = GstVideo.VideoInfo.new_from_caps(caps)
        assert (info.width, info.height) == (640, 480)
        box = meta.get_phrase_pixels(0, info)
        px = (box.x_min, box.y_min, box.x_max, box.y_max)
        ok, box2 = meta.get_phrase_pixels_for_caps(0, caps)
        assert ok
        assert (box2.x_min, box2.y_min, box2.x_max, box2.y_max) == px

        # The same through the example.
        phrases = read_meta.phrases_in_pixels(sample)
        assert phrases == [("chien", CAPTION, px)], phrases
        assert read_meta.interactions(sample) == [
            ("Où est le chien ?", "Sur le canapé.")]

        print("frame %d: %r at %dx%d -> %s" % (n, meta.get_phrase(0),
                                              info.width, info.height, px))
        assert px == (64, 96, 320, 336), px

    msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg is not None:
        raise RuntimeError(msg.parse_error()[0].message)
    assert n == 3, n
    assert attached == [1, 1, 1], attached
    # Shared with the frames, the set can no longer be changed (the
    # builder refuses with a critical and returns G_MAXUINT).
    assert annotations.get_n_phrases() == 1
    print("ok: %d frames" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
