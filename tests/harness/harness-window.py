#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small GTK 3 window for the harness's GUI selftest: an entry, a button and a label that
reports what the button saw.  The first argument is the window title."""
import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk  # noqa: E402

GLib.set_prgname("pigeon-harness-window")

window = Gtk.Window(title=sys.argv[1] if len(sys.argv) > 1 else "Harness window")
window.set_default_size(420, 160)
box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=8, margin=12)
label = Gtk.Label(label="Not pressed yet")
label.get_accessible().set_name("Result")
entry = Gtk.Entry()
entry.get_accessible().set_name("Account name")
button = Gtk.Button(label="Send")


def on_clicked(_button):
    label.set_text("Pressed with " + entry.get_text())


button.connect("clicked", on_clicked)
for widget in (label, entry, button):
    box.pack_start(widget, False, False, 0)
window.add(box)
window.connect("destroy", Gtk.main_quit)
window.show_all()
Gtk.main()
