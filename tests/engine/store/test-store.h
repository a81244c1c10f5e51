/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void test_store_add_open_tests     (void);
void test_store_add_folder_tests   (void);
void test_store_add_message_tests  (void);
void test_store_add_ops_tests      (void);
void test_store_add_signal_tests   (void);

G_END_DECLS
