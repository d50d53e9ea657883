#!/usr/bin/env python3
"""List every annotation of an asset with libvi through GObject introspection.

    list_annotations.py DATASET ASSET

Credentials and endpoint come from DATATURE_VI_SECRET_KEY,
DATATURE_VI_ORGANIZATION_ID and DATATURE_VI_API_ENDPOINT, as for the SDK's
vi.Client().  Prints one line per annotation; boxes also in pixels of a
1920x1080 frame.
"""
import sys

import gi

gi.require_version("Vi", "1.0")
from gi.repository import GLib, Vi  # noqa: E402


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    dataset, asset = argv[1], argv[2]
    try:
        client = Vi.Client.new_from_env()
        pager = client.iterate_annotations(dataset, asset, 1000)
        count = 0
        while True:
            page = pager.next(None)
            if page is None:
                break
            for i in range(page.get_n_items()):
                annotation = page.get_item(i)
                spec = annotation.get_spec()
                content = spec.get_contents()
                kind = content.get_kind()
                if kind == Vi.ContentKind.CAPTION:
                    what = "caption %r" % content.get_caption()
                elif kind == Vi.ContentKind.PHRASE_GROUNDING_BOUNDING_BOX:
                    ok, box = content.get_bbox()
                    px = box.to_pixels(1920, 1080)
                    ok, start, end = content.get_target()
                    what = "box [%d, %d, %d, %d] px, span [%d, %d)" % (
                        px.x_min, px.y_min, px.x_max, px.y_max, start, end)
                elif kind == Vi.ContentKind.VQA:
                    what = "Q %r A %r" % (content.get_question(),
                                          content.get_answer())
                else:
                    what = "(%s)" % content.get_kind_name()
                print("%s %s %s" % (annotation.get_annotation_id(),
                                    spec.get_role_name(), what))
                count += 1
        print("%d annotations" % count)
    except GLib.Error as e:
        print("error: %s" % e.message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
