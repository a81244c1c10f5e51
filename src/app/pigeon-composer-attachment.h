/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PIGEON_TYPE_COMPOSER_ATTACHMENT (pigeon_composer_attachment_get_type ())
G_DECLARE_FINAL_TYPE (PigeonComposerAttachment, pigeon_composer_attachment, PIGEON,
                      COMPOSER_ATTACHMENT, GtkBox)

/*
 * One attached file in the composer: its icon, name and size, and a button that takes it
 * off again (::remove).  It holds the bytes that will be sent.
 */
PigeonComposerAttachment *pigeon_composer_attachment_new (const char *name,
                                                          const char *content_type,
                                                          GBytes     *data,
                                                          gboolean    is_message);
const char *pigeon_composer_attachment_get_name         (PigeonComposerAttachment *self);
const char *pigeon_composer_attachment_get_content_type (PigeonComposerAttachment *self);
GBytes     *pigeon_composer_attachment_get_data         (PigeonComposerAttachment *self);
gboolean    pigeon_composer_attachment_is_message       (PigeonComposerAttachment *self);

G_END_DECLS
