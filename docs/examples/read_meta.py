#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Read GstViAnnotMeta (viannot's frame metadata) from an appsink.

Usage:
    read_meta.py 'PIPELINE ... ! appsink name=sink'

for example

    read_meta.py 'videotestsrc num-buffers=10 ! \
        viannotsrc location=annotations.jsonl asset-id=img1 ! \
        videoscale ! video/x-raw,width=640,height=480 ! appsink name=sink'

prints, for every frame, each grounded phrase with its box in pixels of
the frame as it reaches the appsink.  Boxes are kept normalized in the meta
and converted for the buffer being read, so they follow any scaling done
after the annotations were attached.

The call that is right on every buffer is
GstViAnnotMeta.get_phrase_pixels_for_buffer(index, buffer, info), with the
VideoInfo of the sample's caps: it honours a GstVideoCropMeta on the buffer
(videocrop towards an element that accepts crop metas passes the whole
frame on, with caps of the cropped size and a crop meta), where
get_phrase_pixels(index, info) alone would give boxes of the uncropped
frame.

The typelibs come from the install (or, in the build tree, from
GI_TYPELIB_PATH=build/lib/gst:build/lib/vi).
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
gi.require_version("Vi", "1.0")
gi.require_version("GstViAnnot", "1.0")
from gi.repository import Gst, GstVideo, GstViAnnot  # noqa: E402


def phrases_in_pixels(sample):
    """The grounded phrases of a sample's meta, as a list of
    (phrase, caption, (x_min, y_min, x_max, y_max) in pixels), or None when
    the buffer carries no GstViAnnotMeta."""
    buffer = sample.get_buffer()
    meta = GstViAnnot.buffer_get_vi_annot_meta(buffer)
    if meta is None:
        return None
    info = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
    out = []
    for i in range(meta.get_n_phrases()):
        # Right with or without a crop meta on the buffer.
        ok, box = meta.get_phrase_pixels_for_buffer(i, buffer, info)
        if not ok:
            continue
        caption = meta.get_caption(meta.get_phrase_caption(i))
        out.append((meta.get_phrase(i), caption,
                    (box.x_min, box.y_min, box.x_max, box.y_max)))
    return out


def interactions(sample):
    """The VQA (question, answer) pairs of a sample's meta."""
    meta = GstViAnnot.buffer_get_vi_annot_meta(sample.get_buffer())
    if meta is None:
        return []
    return [(meta.get_question(i), meta.get_answer(i))
            for i in range(meta.get_n_interactions())]


def read_all(pipeline, sink_name="sink"):
    """Plays @pipeline to the end, yielding (pts, phrases_in_pixels) for
    every sample of the appsink named @sink_name."""
    sink = pipeline.get_by_name(sink_name)
    pipeline.set_state(Gst.State.PLAYING)
    try:
        while True:
            sample = sink.emit("pull-sample")
            if sample is None:
                break
            yield sample.get_buffer().pts, phrases_in_pixels(sample)
        msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
        if msg is not None:
            err, dbg = msg.parse_error()
            raise RuntimeError(f"{err.message} ({dbg})")
    finally:
        pipeline.set_state(Gst.State.NULL)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    Gst.init(None)
    pipeline = Gst.parse_launch(argv[1])
    for pts, phrases in read_all(pipeline):
        t = "none" if pts == Gst.CLOCK_TIME_NONE else f"{pts / Gst.SECOND:.3f}s"
        if phrases is None:
            print(f"{t}: no annotations")
            continue
        for phrase, caption, box in phrases:
            print(f"{t}: {phrase!r} in {caption!r}: {box}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
