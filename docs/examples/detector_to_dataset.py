#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A detector's boxes into a Datature Vi dataset, with viannotsink.

Usage:
    detector_to_dataset.py DATASET [FRAMES]

runs

    appsrc ! viannotsink dataset-id=DATASET asset-id-template=frame_%06d.jpg

where the application is the detector: it makes FRAMES frames (default 30)
and attaches to each what a detector element (DL Streamer's gvadetect,
DeepStream, your own) attaches, one GstVideoRegionOfInterestMeta per box,
in pixels, with a `detection` parameter giving its label and confidence.
viannotsink turns each frame into one phrase-grounding annotation of the
asset frame_<n>.jpg: a caption built from the labels ("car, person and
dog"), each box grounded on its label, normalized by the frame's size;
boxes under min-confidence=0.5 are left out.  Credentials and endpoint
come from the environment (DATATURE_VI_SECRET_KEY,
DATATURE_VI_ORGANIZATION_ID, DATATURE_VI_API_ENDPOINT).

With a detector element instead of this script, the pipeline is the same:

    ... ! DETECTOR ! viannotsink dataset-id=DATASET \\
        asset-id-template=frame_%06d.jpg min-confidence=0.5
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import Gst, GstVideo  # noqa: E402

WIDTH, HEIGHT, FPS = 320, 240, 30
LABELS = ("car", "person", "dog")


def detect(n):
    """A stand-in detector: (label, confidence, x, y, w, h) boxes for frame
    n, moving from frame to frame."""
    return [
        ("car", 0.9, 10 + n, 100, 120, 60),
        ("person", 0.8, 200, 40 + n, 40, 110),
        ("dog", 0.3, 150, 180, 50, 40),  # under min-confidence
    ]


def frame(n):
    buf = Gst.Buffer.new_allocate(None, WIDTH * HEIGHT, None)
    buf.pts = n * Gst.SECOND // FPS
    buf.duration = Gst.SECOND // FPS
    for label, confidence, x, y, w, h in detect(n):
        roi = GstVideo.buffer_add_video_region_of_interest_meta(
            buf, label, x, y, w, h)
        detection = Gst.Structure.new_empty("detection")
        detection.set_value("label", label)
        detection.set_value("confidence", float(confidence))
        roi.add_param(detection)
    return buf


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    dataset = sys.argv[1]
    frames = int(sys.argv[2]) if len(sys.argv) > 2 else 30

    Gst.init(None)
    pipeline = Gst.parse_launch(
        "appsrc name=src format=time caps=video/x-raw,format=GRAY8,"
        f"width={WIDTH},height={HEIGHT},framerate={FPS}/1 ! "
        f"viannotsink name=sink dataset-id={dataset} "
        "asset-id-template=frame_%06d.jpg min-confidence=0.5")
    src = pipeline.get_by_name("src")
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    for n in range(frames):
        src.emit("push-buffer", frame(n))
    src.emit("end-of-stream")

    # EOS comes once the dataset has imported everything (wait-until-done).
    status = 0
    while True:
        msg = bus.timed_pop_filtered(
            Gst.CLOCK_TIME_NONE,
            Gst.MessageType.EOS | Gst.MessageType.ERROR
            | Gst.MessageType.ELEMENT)
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print(f"error: {err.message}", file=sys.stderr)
            status = 1
            break
        if msg.type == Gst.MessageType.EOS:
            break
        s = msg.get_structure()
        if s.get_name() == "vi-upload-done":
            print(f"{s.get_value('batch')}: session "
                  f"{s.get_value('session-id')}, {s.get_value('lines')} "
                  f"lines, {s.get_value('created')} annotations created")
    pipeline.set_state(Gst.State.NULL)
    return status


if __name__ == "__main__":
    sys.exit(main())
