/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * What the test harness (tests/harness/harness.sh, started once by ./test) offers a C test:
 * real servers on loopback, a keyring and a display.  The servers trust nobody but their
 * own certificate, ca_file; connect to host (127.0.0.1), never to "localhost".
 */
typedef struct
{
  const char *dir;              /* the harness's base directory (PIGEON_TEST_HB) */
  const char *host;             /* 127.0.0.1 */
  const char *domain;           /* mail domain of every harness user: example.test */
  const char *ca_file;          /* the servers' self-signed certificate, PEM */
  guint16     imap_port;        /* IMAP with STARTTLS */
  guint16     imaps_port;       /* IMAP over implicit TLS */
  guint16     pop3_port;        /* POP3 with STLS */
  guint16     pop3s_port;       /* POP3 over implicit TLS */
  guint16     smtp_port;        /* SMTP without AUTH, for injecting mail */
  guint16     submission_port;  /* submission: STARTTLS required, AUTH */
  guint16     submissions_port; /* submission over implicit TLS, AUTH */
} PigeonTestHarness;

const PigeonTestHarness *pigeon_test_harness_get     (void);
const PigeonTestHarness *pigeon_test_harness_require (void);

void   pigeon_test_harness_new_user               (char       **user,
                                                   char       **password);
char  *pigeon_test_harness_address                (const char  *user);
void   pigeon_test_harness_seed                   (const char  *user,
                                                   guint        count,
                                                   const char  *folder);
void   pigeon_test_harness_deliver                (const char  *user,
                                                   const char  *folder,
                                                   const char  *message);
char  *pigeon_test_harness_dup_certificate_sha256 (void);

void   pigeon_test_make_dirs                      (char       **config_dir,
                                                   char       **data_dir);
int    pigeon_test_run                            (const char * const *argv,
                                                   const char  *input,
                                                   char       **standard_output,
                                                   char       **standard_error);
char  *pigeon_test_find_in_tree                   (const char  *dir,
                                                   const char  *needle);
char  *pigeon_test_artifact_path                  (const char  *name);

G_END_DECLS
