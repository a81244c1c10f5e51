/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pigeon-app"

#include "config.h"

#include <glib/gi18n.h>

#include "pigeon-agenda-view.h"
#include "pigeon-store-events.h"

#define MAX_EVENTS       50
/* the next few dates of a recurring event, not a year of a weekly meeting */
#define MAX_PER_SERIES   3
#define RELOAD_SECONDS   60

struct _PigeonAgendaView
{
  GtkBin       parent_instance;

  GtkStack    *stack;
  GtkWidget   *scroller;
  GtkListBox  *list;
  GtkWidget   *empty;

  PigeonStore *store;
  guint        timer;
};

G_DEFINE_FINAL_TYPE (PigeonAgendaView, pigeon_agenda_view, GTK_TYPE_BIN)

static char *
day_text (GDateTime *start,
          GDateTime *now)
{
  g_autoptr(GDateTime) today = g_date_time_new_local (g_date_time_get_year (now),
                                                      g_date_time_get_month (now),
                                                      g_date_time_get_day_of_month (now),
                                                      0, 0, 0);
  GTimeSpan ahead = g_date_time_difference (start, today);

  if (ahead < 0)
    return g_strdup (_("Now"));
  if (ahead < G_TIME_SPAN_DAY)
    return g_strdup (_("Today"));
  if (ahead < 2 * G_TIME_SPAN_DAY)
    return g_strdup (_("Tomorrow"));
  /* Translators: the day of an event in the agenda, see strftime(3) */
  return g_date_time_format (start, _("%a %-d %b"));
}

static char *
time_text (const PigeonEvent *event,
           GDateTime         *start,
           GDateTime         *end)
{
  g_autofree char *from = NULL, *to = NULL;

  if (event->all_day)
    return g_strdup (_("All day"));
  from = g_date_time_format (start, "%H:%M");
  to = g_date_time_format (end, "%H:%M");
  /* Translators: an event's start and end time in the agenda */
  return g_strdup_printf (_("%s – %s"), from, to);
}

static GtkWidget *
label_new (const char *text,
           const char *style_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (style_class != NULL)
    gtk_style_context_add_class (gtk_widget_get_style_context (label), style_class);
  gtk_widget_show (label);
  return label;
}

/* "repeats weekly", "repeats every 2 weeks"… for the marker of a recurring event. */
static char *
repeats_text (const PigeonRecurrence *rule)
{
  guint n = MAX (rule->interval, 1);

  switch (rule->type)
    {
    case PIGEON_RECURRENCE_DAILY:
      if (rule->day_of_week != 0)
        return g_strdup (_("repeats on weekdays"));
      return n == 1 ? g_strdup (_("repeats daily"))
                    : g_strdup_printf (ngettext ("repeats every %u day", "repeats every %u days",
                                                 n), n);
    case PIGEON_RECURRENCE_WEEKLY:
      return n == 1 ? g_strdup (_("repeats weekly"))
                    : g_strdup_printf (ngettext ("repeats every %u week",
                                                 "repeats every %u weeks", n), n);
    case PIGEON_RECURRENCE_MONTHLY:
    case PIGEON_RECURRENCE_MONTHLY_NTH:
      return n == 1 ? g_strdup (_("repeats monthly"))
                    : g_strdup_printf (ngettext ("repeats every %u month",
                                                 "repeats every %u months", n), n);
    case PIGEON_RECURRENCE_YEARLY:
    case PIGEON_RECURRENCE_YEARLY_NTH:
    default:
      return n == 1 ? g_strdup (_("repeats yearly"))
                    : g_strdup_printf (ngettext ("repeats every %u year",
                                                 "repeats every %u years", n), n);
    }
}

/* The subject, with a marker after it when the event repeats. */
static GtkWidget *
subject_new (const char *subject,
             const char *repeats)
{
  GtkWidget *box, *icon;
  g_autofree char *capitalized = NULL;

  if (repeats == NULL)
    return label_new (subject, "pigeon-agenda-subject");
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  gtk_container_add (GTK_CONTAINER (box), label_new (subject, "pigeon-agenda-subject"));
  icon = gtk_image_new_from_icon_name ("media-playlist-repeat-symbolic", GTK_ICON_SIZE_MENU);
  gtk_style_context_add_class (gtk_widget_get_style_context (icon), "dim-label");
  capitalized = g_strdup_printf ("%c%s", g_ascii_toupper (*repeats), repeats + 1);
  gtk_widget_set_tooltip_text (icon, capitalized);
  atk_object_set_name (gtk_widget_get_accessible (icon), capitalized);
  gtk_widget_show (icon);
  gtk_container_add (GTK_CONTAINER (box), icon);
  gtk_widget_show (box);
  return box;
}

static GtkWidget *
row_new (const PigeonEvent *event,
         GDateTime         *now)
{
  g_autoptr(GDateTime) start = g_date_time_new_from_unix_local (event->starts_at);
  g_autoptr(GDateTime) end = g_date_time_new_from_unix_local (event->ends_at);
  g_autofree char *day = day_text (start, now);
  g_autofree char *when = time_text (event, start, end);
  g_autofree char *heading = g_strdup_printf ("%s · %s", day, when);
  g_autofree char *accessible = NULL;
  g_autofree char *repeats = event->recurrence != NULL ? repeats_text (event->recurrence) : NULL;
  g_autofree char *title = NULL;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  const char *subject = event->subject != NULL && *event->subject != '\0'
                          ? event->subject : _("(No title)");

  gtk_container_set_border_width (GTK_CONTAINER (box), 6);
  gtk_container_add (GTK_CONTAINER (box), label_new (heading, "dim-label"));
  gtk_container_add (GTK_CONTAINER (box), subject_new (subject, repeats));
  if (event->location != NULL && *event->location != '\0')
    gtk_container_add (GTK_CONTAINER (box), label_new (event->location, "dim-label"));
  gtk_widget_show (box);
  gtk_container_add (GTK_CONTAINER (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  /* Translators: an event's subject and how it repeats: "Weekly sync, repeats weekly" */
  title = repeats != NULL ? g_strdup_printf (_("%s, %s"), subject, repeats) : g_strdup (subject);
  if (event->location != NULL && *event->location != '\0')
    accessible = g_strdup_printf ("%s, %s, %s", title, heading, event->location);
  else
    accessible = g_strdup_printf ("%s, %s", title, heading);
  atk_object_set_name (gtk_widget_get_accessible (row), accessible);
  gtk_widget_show (row);
  return row;
}

void
pigeon_agenda_view_reload (PigeonAgendaView *self)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) rows = NULL;

  g_return_if_fail (PIGEON_IS_AGENDA_VIEW (self));

  rows = gtk_container_get_children (GTK_CONTAINER (self->list));
  for (GList *l = rows; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);

  /* a few rows through the read connection: cheap enough for the UI thread */
  if (self->store != NULL)
    events = pigeon_store_list_event_occurrences (self->store, g_date_time_to_unix (now),
                                                  G_MAXINT64, MAX_EVENTS, MAX_PER_SERIES,
                                                  &error);
  if (error != NULL)
    g_warning ("Could not read the agenda: %s", error->message);
  for (guint i = 0; events != NULL && i < events->len; i++)
    gtk_container_add (GTK_CONTAINER (self->list), row_new (g_ptr_array_index (events, i), now));

  gtk_stack_set_visible_child (self->stack, events != NULL && events->len > 0
                                              ? self->scroller : self->empty);
}

static gboolean
timer_cb (gpointer user_data)
{
  pigeon_agenda_view_reload (PIGEON_AGENDA_VIEW (user_data));
  return G_SOURCE_CONTINUE;
}

static void
store_changed_cb (PigeonStore      *store,
                  gint64            folder_id,
                  PigeonAgendaView *self)
{
  pigeon_agenda_view_reload (self);
}

void
pigeon_agenda_view_set_store (PigeonAgendaView *self,
                              PigeonStore      *store)
{
  g_return_if_fail (PIGEON_IS_AGENDA_VIEW (self));
  g_return_if_fail (store == NULL || PIGEON_IS_STORE (store));

  if (self->store == store)
    return;
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_set_object (&self->store, store);
  /* a sync of the calendars ends by updating the folders' sync state */
  if (store != NULL)
    g_signal_connect_object (store, "folder-updated", G_CALLBACK (store_changed_cb), self, 0);
  pigeon_agenda_view_reload (self);
}

GtkWidget *
pigeon_agenda_view_new (void)
{
  return g_object_new (PIGEON_TYPE_AGENDA_VIEW, NULL);
}

static void
pigeon_agenda_view_map (GtkWidget *widget)
{
  PigeonAgendaView *self = PIGEON_AGENDA_VIEW (widget);

  GTK_WIDGET_CLASS (pigeon_agenda_view_parent_class)->map (widget);
  pigeon_agenda_view_reload (self);
  if (self->timer == 0)
    self->timer = g_timeout_add_seconds (RELOAD_SECONDS, timer_cb, self);
}

static void
pigeon_agenda_view_unmap (GtkWidget *widget)
{
  PigeonAgendaView *self = PIGEON_AGENDA_VIEW (widget);

  g_clear_handle_id (&self->timer, g_source_remove);
  GTK_WIDGET_CLASS (pigeon_agenda_view_parent_class)->unmap (widget);
}

static void
pigeon_agenda_view_dispose (GObject *object)
{
  PigeonAgendaView *self = PIGEON_AGENDA_VIEW (object);

  g_clear_handle_id (&self->timer, g_source_remove);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (pigeon_agenda_view_parent_class)->dispose (object);
}

static void
pigeon_agenda_view_class_init (PigeonAgendaViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pigeon_agenda_view_dispose;
  widget_class->map = pigeon_agenda_view_map;
  widget_class->unmap = pigeon_agenda_view_unmap;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pigeonmail/Pigeon/pigeon-agenda-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PigeonAgendaView, stack);
  gtk_widget_class_bind_template_child (widget_class, PigeonAgendaView, scroller);
  gtk_widget_class_bind_template_child (widget_class, PigeonAgendaView, list);
  gtk_widget_class_bind_template_child (widget_class, PigeonAgendaView, empty);
}

static void
pigeon_agenda_view_init (PigeonAgendaView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
