#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs scripts/demo as a user would, minus apt and the build:

    test-demo.py SRCDIR BUILDDIR

scripts/demo --no-install-deps --build-dir BUILDDIR --out TMP, then checks
what it says it made: out/demo.webm decodes into 120 frames of 960x540,
and each out/frame_NN.png decodes and shows asset bars_NN of
data/demo.jsonl: on the left edge of each of its boxes, the colour of that
phrase (viannotoverlay's default palette, phrase n colour n), and well
inside each box the bar untouched.  The sink direction: out/demo-copy.jsonl,
written by viannotsink from the frames, holds what data/demo.jsonl holds
(captions, phrases, boxes, questions and answers), and the CLI's listing of
the dataset the sink uploaded to counts every annotation of each asset.
"""

import json
import os
import subprocess
import sys
import tempfile

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

WIDTH, HEIGHT, FRAMES = 960, 540, 120
# viannotoverlay's default palette, phrase n of an annotation set colour n.
PALETTE = ["FF4B4B", "3CDC5A", "4B9BFF", "FFD23C", "FF8C28", "C864FF",
           "3CE6E6", "FF64C8", "A0E632", "FFA0A0", "64C8A0", "E6BE8C"]


def fail(msg):
    print("test-demo: " + msg, file=sys.stderr)
    sys.exit(1)


def decode(description):
    """Plays @description (ending in appsink name=sink) to the end; returns
    the list of (caps structure, bytes) of its samples, or fails."""
    pipeline = Gst.parse_launch(description)
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    frames = []
    try:
        while True:
            sample = sink.emit("pull-sample")
            if sample is None:
                break
            buf = sample.get_buffer()
            ok, info = buf.map(Gst.MapFlags.READ)
            if not ok:
                fail("cannot map a buffer of " + description)
            frames.append((sample.get_caps().get_structure(0), bytes(info.data)))
            buf.unmap(info)
        msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
        if msg is not None:
            err, dbg = msg.parse_error()
            fail("%s: %s (%s)" % (description, err.message, dbg))
    finally:
        pipeline.set_state(Gst.State.NULL)
    return frames


def rgb_at(data, x, y):
    i = (y * WIDTH + x) * 3
    return data[i], data[i + 1], data[i + 2]


def close(a, b, tolerance):
    return all(abs(p - q) <= tolerance for p, q in zip(a, b))


def hex_rgb(h):
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def check_png(path, phrases, reference):
    frames = decode("filesrc location=\"%s\" ! pngdec ! videoconvert ! "
                    "video/x-raw,format=RGB ! appsink name=sink" % path)
    if len(frames) != 1:
        fail("%s: %d pictures" % (path, len(frames)))
    s, data = frames[0]
    if (s.get_value("width"), s.get_value("height")) != (WIDTH, HEIGHT):
        fail("%s: %s" % (path, s.to_string()))
    for n, (phrase, box) in enumerate(phrases):
        colour = hex_rgb(PALETTE[n % len(PALETTE)])
        x0 = round(box[0] * WIDTH)
        ymid = round((box[1] + box[3]) / 2 * HEIGHT)
        # The outline is centred on the edge; the frame went through I420.
        if not any(close(rgb_at(data, x, ymid), colour, 48)
                   for x in range(x0 - 2, x0 + 3)):
            fail("%s: no %s outline of '%s' at x=%d y=%d: %s" % (
                path, PALETTE[n], phrase, x0, ymid,
                [rgb_at(data, x, ymid) for x in range(x0 - 2, x0 + 3)]))
        xin = round((box[0] + box[2]) / 2 * WIDTH)
        if not close(rgb_at(data, xin, ymid), rgb_at(reference, xin, ymid), 8):
            fail("%s: inside '%s' at x=%d y=%d: %s, bars are %s" % (
                path, phrase, xin, ymid, rgb_at(data, xin, ymid),
                rgb_at(reference, xin, ymid)))


def annotations_by_asset(path):
    """{asset: (caption, [(phrase, bbox)], [(question, answer)])} of a JSONL
    file in the forms the demo's files use."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            caption, phrases, qa = out.setdefault(record["asset_id"],
                                                  [None, [], []])
            if "caption" in record:
                out[record["asset_id"]][0] = record["caption"]
                phrases += [(p["phrase"], p["bbox"])
                            for p in record.get("grounded_phrases", [])]
            contents = record.get("contents", {})
            if "question" in contents:
                qa.append((contents["question"], contents["answer"]))
            qa += [(i["question"], i["answer"])
                   for i in contents.get("interactions", [])]
    return out


def check_copy(out, stdout, expected):
    copy = annotations_by_asset(os.path.join(out, "demo-copy.jsonl"))
    if sorted(copy) != sorted(expected):
        fail("demo-copy.jsonl has assets %s" % sorted(copy))
    for asset, (caption, phrases, qa) in expected.items():
        got = copy[asset]
        if got[0] != caption or got[2] != qa or \
                [p for p, _ in got[1]] != [p for p, _ in phrases]:
            fail("demo-copy.jsonl, %s: %s, expected %s" % (
                asset, got, (caption, phrases, qa)))
        for (phrase, box), (_, want) in zip(got[1], phrases):
            if any(abs(a - b) > 1e-9 for a, b in zip(box, want)):
                fail("demo-copy.jsonl, %s: '%s' %s, expected %s" % (
                    asset, phrase, box, want))
        # The listing of the dataset the sink uploaded to.
        count = 1 + len(phrases) + len(qa)
        listing = stdout.split("$ vi-annotations list demo-copy %s\n" % asset)
        if len(listing) != 2 or \
                "\n%d annotations\n" % count not in listing[1].split("\n$")[0]:
            fail("the demo did not list %d annotations of %s in demo-copy"
                 % (count, asset))


def main(argv):
    src, build = argv[1], argv[2]
    Gst.init(None)
    expected = annotations_by_asset(os.path.join(src, "data", "demo.jsonl"))
    assets = {asset: a[1] for asset, a in expected.items()}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        env = dict(os.environ)
        run = subprocess.run(
            [os.path.join(src, "scripts", "demo"), "--no-install-deps",
             "--build-dir", build, "--out", out],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, check=False)
        sys.stdout.write(run.stdout)
        if run.returncode != 0:
            fail("scripts/demo exited with %d" % run.returncode)
        if "\nmade:\n" not in run.stdout:
            fail("the demo did not say what it made")

        webm = os.path.join(out, "demo.webm")
        if not os.path.isfile(webm):
            fail("no " + webm)
        frames = decode("filesrc location=\"%s\" ! matroskademux ! vp8dec ! "
                        "appsink name=sink sync=false" % webm)
        if len(frames) != FRAMES:
            fail("demo.webm: %d frames, expected %d" % (len(frames), FRAMES))
        s = frames[0][0]
        if (s.get_value("width"), s.get_value("height")) != (WIDTH, HEIGHT):
            fail("demo.webm: " + s.to_string())

        # The bars as videotestsrc draws them, without annotations.
        reference = decode(
            "videotestsrc num-buffers=1 ! video/x-raw,width=%d,height=%d ! "
            "videoconvert ! video/x-raw,format=RGB ! appsink name=sink"
            % (WIDTH, HEIGHT))[0][1]
        pngs = sorted(p for p in os.listdir(out) if p.startswith("frame_"))
        names = ["frame_%02d.png" % i for i in range(len(assets))]
        if pngs != names:
            fail("PNGs %s, expected %s" % (pngs, names))
        for i, name in enumerate(pngs):
            check_png(os.path.join(out, name), assets["bars_%02d" % i],
                      reference)
        check_copy(out, run.stdout, expected)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
