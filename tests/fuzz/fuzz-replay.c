/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs every file of a fuzz target's corpus through the target once, as a GTest case per
 * file, so the corpus (and every crash ever found, kept in it) is checked by the ordinary
 * unit suite without clang or libFuzzer. */
#define G_LOG_DOMAIN "pigeon-fuzz"

#include "config.h"

#include <stdint.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
run_file (gconstpointer user_data)
{
  const char *path = user_data;
  g_autofree char *contents = NULL;
  gsize length;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpint (LLVMFuzzerTestOneInput ((const uint8_t *) contents, length), ==, 0);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

int
main (int   argc,
      char *argv[])
{
  const char *dir_path = g_getenv ("FUZZ_CORPUS_DIR");
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *name;

  g_test_init (&argc, &argv, NULL);

  if (dir_path == NULL)
    g_error ("FUZZ_CORPUS_DIR is not set");
  dir = g_dir_open (dir_path, 0, &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  if (names->len == 0)
    g_error ("The corpus %s is empty", dir_path);
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      const char *file = g_ptr_array_index (names, i);
      g_autofree char *test_path = g_strdup_printf ("/fuzz/%s/%s", FUZZ_TARGET_NAME, file);

      g_test_add_data_func_full (test_path, g_build_filename (dir_path, file, NULL), run_file,
                                 g_free);
    }
  return g_test_run ();
}
