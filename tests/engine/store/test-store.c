/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pigeon-mime.h"
#include "test-store.h"

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  pigeon_mime_init ();

  test_store_add_open_tests ();
  test_store_add_folder_tests ();
  test_store_add_message_tests ();
  test_store_add_ops_tests ();
  test_store_add_signal_tests ();

  return g_test_run ();
}
