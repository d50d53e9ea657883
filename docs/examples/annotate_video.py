#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""viannotsrc and viannotoverlay in a Python application (GObject introspection).

Usage:
    annotate_video.py DATASET ASSET_TEMPLATE [FRAMES] [OUTPUT.webm]

Builds, element by element,

    videotestsrc ! video/x-raw,width=640,height=360,framerate=15/1 !
    viannotsrc dataset-id=DATASET asset-id-template=ASSET_TEMPLATE
               asset-rate=1/2 ! viannotoverlay ! SINK

where SINK is fakesink, or vp8enc ! webmmux ! filesink when OUTPUT is
given.  A buffer probe on the overlay's sink pad reads each frame's
GstViAnnotMeta and prints its phrases with their boxes in pixels of that
frame; a bus watch prints the element's messages and stops the main loop at
EOS or on an error; the element's statistics are printed at the end.
Credentials and endpoint come from the environment (DATATURE_VI_SECRET_KEY,
DATATURE_VI_ORGANIZATION_ID, DATATURE_VI_API_ENDPOINT), as the element reads
them.  The typelibs (GstViAnnot-1.0, Vi-1.0) come from the install or, in a
build tree, from GI_TYPELIB_PATH=BUILD/lib/gst:BUILD/lib/vi.
"""

import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
gi.require_version("GstViAnnot", "1.0")
from gi.repository import GLib, Gst, GstVideo, GstViAnnot  # noqa: E402


_output_lock = threading.Lock()


def say(*lines):
    """Prints lines at once: the pad probe runs on the streaming thread,
    the bus watch on the main thread."""
    with _output_lock:
        sys.stdout.write("".join(line + "\n" for line in lines))
        sys.stdout.flush()


class App:
    def __init__(self, dataset, template, frames, output):
        self.status = 0
        self.last_asset = None
        self.loop = GLib.MainLoop()
        self.pipeline = Gst.Pipeline.new("annotate")
        src = self.make("videotestsrc")
        src.set_property("num-buffers", frames)
        caps = self.make("capsfilter")
        caps.set_property("caps", Gst.Caps.from_string(
            "video/x-raw,width=640,height=360,framerate=15/1"))
        self.annot = self.make("viannotsrc")
        self.annot.set_property("dataset-id", dataset)
        self.annot.set_property("asset-id-template", template)
        # One asset every 2 s of video: frame n at 15 fps is asset n / 30.
        # (A GstFraction from a string: Gst.Fraction needs gst-python.)
        Gst.util_set_object_arg(self.annot, "asset-rate", "1/2")
        overlay = self.make("viannotoverlay")
        chain = [src, caps, self.annot, overlay]
        if output:
            sink = self.make("filesink")
            sink.set_property("location", output)
            chain += [self.make("vp8enc"), self.make("webmmux"), sink]
        else:
            chain.append(self.make("fakesink"))
        for a, b in zip(chain, chain[1:]):
            if not a.link(b):
                raise RuntimeError("cannot link %s to %s" % (a.name, b.name))
        overlay.get_static_pad("sink").add_probe(
            Gst.PadProbeType.BUFFER, self.on_frame)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    def make(self, factory):
        element = Gst.ElementFactory.make(factory, None)
        if element is None:
            raise RuntimeError("no element %s: is GST_PLUGIN_PATH set?"
                               % factory)
        self.pipeline.add(element)
        return element

    def on_frame(self, pad, info):
        """Prints the annotations of a frame when its asset changes."""
        buffer = info.get_buffer()
        meta = GstViAnnot.buffer_get_vi_annot_meta(buffer)
        if meta is None:
            say("%.3fs: no annotations" % (buffer.pts / Gst.SECOND))
            return Gst.PadProbeReturn.OK
        asset = meta.get_asset_id()
        if asset == self.last_asset:
            return Gst.PadProbeReturn.OK
        self.last_asset = asset
        vinfo = GstVideo.VideoInfo.new_from_caps(pad.get_current_caps())
        lines = ["%.3fs: asset %s" % (buffer.pts / Gst.SECOND, asset)]
        for i in range(meta.get_n_captions()):
            lines.append('  caption "%s"' % meta.get_caption(i))
        for i in range(meta.get_n_phrases()):
            # Pixels of this frame (a crop meta on the buffer included).
            ok, box = meta.get_phrase_pixels_for_buffer(i, buffer, vinfo)
            if ok:
                lines.append('  "%s" [%d, %d, %d, %d]' % (
                    meta.get_phrase(i), box.x_min, box.y_min, box.x_max,
                    box.y_max))
        for i in range(meta.get_n_interactions()):
            lines.append('  Q "%s" A "%s"' % (meta.get_question(i),
                                              meta.get_answer(i)))
        say(*lines)
        return Gst.PadProbeReturn.OK

    def on_message(self, bus, msg):
        if msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s.has_name("vi-annotations-fetched"):
                say("fetched %s: %d annotations in %d ms" % (
                    s.get_string("asset-id"), s.get_value("count"),
                    s.get_value("milliseconds")))
        elif msg.type == Gst.MessageType.WARNING:
            err, _ = msg.parse_warning()
            print("warning from %s: %s" % (msg.src.name, err.message),
                  file=sys.stderr)
        elif msg.type == Gst.MessageType.ERROR:
            # The message says what to check (credentials, dataset, asset);
            # the debug string has the server's message.
            err, debug = msg.parse_error()
            print("error from %s: %s\n%s" % (msg.src.name, err.message, debug),
                  file=sys.stderr)
            self.status = 1
            self.loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            self.loop.quit()

    def run(self):
        self.pipeline.set_state(Gst.State.PLAYING)
        self.loop.run()
        say("viannotsrc stats: %s"
            % self.annot.get_property("stats").to_string())
        self.pipeline.set_state(Gst.State.NULL)
        self.pipeline.get_bus().remove_signal_watch()
        return self.status


def main(argv):
    if len(argv) < 3 or len(argv) > 5:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    Gst.init(None)
    frames = int(argv[3]) if len(argv) >= 4 else 60
    output = argv[4] if len(argv) == 5 else None
    return App(argv[1], argv[2], frames, output).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
