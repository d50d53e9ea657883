// Where gi-docgen's pages link the types of other libraries.
baseURLs = [
  [ 'GLib', 'https://docs.gtk.org/glib/' ],
  [ 'GObject', 'https://docs.gtk.org/gobject/' ],
  [ 'Gio', 'https://docs.gtk.org/gio/' ],
  [ 'Json', 'https://gnome.pages.gitlab.gnome.org/json-glib/' ],
  [ 'Soup', 'https://libsoup.org/libsoup-3.0/' ],
  [ 'Gst', 'https://gstreamer.freedesktop.org/documentation/gstreamer/' ],
  [ 'GstVideo', 'https://gstreamer.freedesktop.org/documentation/video/' ],
  [ 'Vi', '../Vi-1.0/' ],
]
