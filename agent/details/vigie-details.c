/* SPDX-License-Identifier: MIT */
/* vigie-details: the whole story behind the tray's notice, in a small GTK 3 window — the
 * verdict, the access state, each check with its status, summary, deadline and what to
 * do, when the last check ran, and "Check again", which asks the agent for a cycle over
 * the system bus (org.vigie.Agent1.CheckNow). It reads the same status.json as the tray,
 * through the same parser, and follows it with a file monitor. vigie-tray starts it (its
 * Activate, the notification's Details button); on GNOME the application entry does.
 * One window per session: a second start raises the first (GtkApplication). */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gtk/gtk.h>
/* Ours (common/macro.h) evaluate their arguments once; GLib's would not. */
#undef MIN
#undef MAX

#include "cleanup.h"
#include "i18n.h"
#include "tray-notice.h"
#include "tray-status.h"

#define APP_ID "org.vigie.Details"
#define DEFAULT_STATUS RUNSTATEDIR "/vigie/status.json"
#define AGENT_BUS_NAME "org.vigie.Agent1"
#define AGENT_OBJECT "/org/vigie/Agent1"
/* Check again is re-enabled after this long even if no new check shows (agent stopped). */
#define CHECK_AGAIN_TIMEOUT_S 120

typedef struct Details {
        GtkApplication *app;
        char *status_path;
        bool verbose;
        GtkWidget *window, *icon, *title, *intro, *access, *last_check, *list, *check_again, *feedback, *contact;
        GFileMonitor *monitor;
        usec_t asked_after; /* last_check when Check again was pressed; 0 when not waiting */
        guint timeout;
} Details;

static GtkWidget *new_label(const char *text, const char *css_class) {
        GtkWidget *l = gtk_label_new(text);

        gtk_label_set_xalign(GTK_LABEL(l), 0);
        gtk_label_set_line_wrap(GTK_LABEL(l), TRUE);
        gtk_label_set_line_wrap_mode(GTK_LABEL(l), PANGO_WRAP_WORD_CHAR);
        gtk_label_set_max_width_chars(GTK_LABEL(l), 70);
        /* A wrapped label's height is asked for at its narrowest: without a floor it is
         * one character wide and the window as tall as the screen. */
        gtk_label_set_width_chars(GTK_LABEL(l), 30);
        if (css_class)
                gtk_style_context_add_class(gtk_widget_get_style_context(l), css_class);
        return l;
}

/* One check: "Backup — failing", its summary, deadline and fix; one accessible row. */
static GtkWidget *check_row(const CheckResult *c) {
        GtkWidget *row = gtk_list_box_row_new(), *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
        g_autofree char *heading = NULL, *deadline = NULL, *fix = NULL, *spoken = NULL;
        char date[64];

        heading = g_strdup_printf(_("%s — %s"), _(c->title), notice_status_phrase(c->status));
        gtk_container_add(GTK_CONTAINER(box), new_label(heading, "vigie-check-title"));
        if (c->summary)
                gtk_container_add(GTK_CONTAINER(box), new_label(c->summary, NULL));
        if (c->deadline && c->status != CHECK_PASS) {
                deadline = g_strdup_printf(_("Deadline: %s"), notice_format_minute(c->deadline, date, sizeof(date)));
                gtk_container_add(GTK_CONTAINER(box), new_label(deadline, "vigie-deadline"));
        }
        if (c->remediation && c->status != CHECK_PASS) {
                fix = g_strdup_printf(_("To fix: %s"), c->remediation);
                GtkWidget *l = new_label(fix, NULL);
                gtk_label_set_selectable(GTK_LABEL(l), TRUE); /* commands to copy */
                gtk_container_add(GTK_CONTAINER(box), l);
        }
        g_object_set(box, "margin", 10, NULL);
        gtk_container_add(GTK_CONTAINER(row), box);
        /* A screen reader reads the whole row when it gets the focus. */
        spoken = g_strjoin(". ", heading, c->summary ?: "", deadline ?: "", fix ?: "", NULL);
        atk_object_set_name(gtk_widget_get_accessible(row), spoken);
        return row;
}

/* What Check again did, beside the buttons (and on stderr with -v). */
static void set_feedback(Details *d, const char *text) {
        gtk_label_set_text(GTK_LABEL(d->feedback), text);
        if (d->verbose)
                fprintf(stderr, "vigie-details: %s\n", text);
}

static void add_separator(GtkListBoxRow *row, GtkListBoxRow *before, gpointer userdata) {
        (void) userdata;
        if (before && !gtk_list_box_row_get_header(row))
                gtk_list_box_row_set_header(row, gtk_separator_new(GTK_ORIENTATION_HORIZONTAL));
}

static void show_status(Details *d) {
        TrayStatus s;
        TrayNotice n;
        g_autofree char *when = NULL, *access = NULL;
        char buf[64];
        GList *rows;
        int r;

        r = tray_status_load(d->status_path, &s);
        if (r < 0) {
                /* The agent writes whole files: keep what we show until the next one. */
                g_warning("Cannot read \"%s\": %s", d->status_path, g_strerror(-r));
                return;
        }
        s.running = pid_is_vigie_agent(s.pid);
        r = tray_notice_compose(&s, &n);
        if (r < 0) {
                tray_status_done(&s);
                return;
        }

        gtk_image_set_from_icon_name(GTK_IMAGE(d->icon), n.icon, GTK_ICON_SIZE_DIALOG);
        gtk_label_set_text(GTK_LABEL(d->title), n.title);
        /* With nothing to fix, the notice's sentence says the rest ("meets the policy",
         * "the agent is stopped: …"); otherwise the list does. */
        gtk_label_set_text(GTK_LABEL(d->intro), n.first_problem ? "" : n.brief);
        gtk_widget_set_visible(d->intro, !n.first_problem);
        access = notice_access_text(&s.access);
        gtk_label_set_text(GTK_LABEL(d->access), access ?: "");
        gtk_widget_set_visible(d->access, access != NULL);
        if (s.cycle_running)
                when = g_strdup(_("Checking now…"));
        else if (s.last_check)
                when = g_strdup_printf(_("Last checked %s"), notice_format_minute(s.last_check, buf, sizeof(buf)));
        else
                when = g_strdup(_("Not checked yet"));
        gtk_label_set_text(GTK_LABEL(d->last_check), when);

        rows = gtk_container_get_children(GTK_CONTAINER(d->list));
        for (GList *l = rows; l; l = l->next)
                gtk_widget_destroy(l->data);
        g_list_free(rows);
        /* What fails first, then what is to fix before a deadline, then what passes. */
        for (int rank = 0; rank <= 3; rank++)
                for (size_t i = 0; i < s.n_checks; i++)
                        if (notice_check_rank(s.checks[i]) == rank)
                                gtk_container_add(GTK_CONTAINER(d->list), check_row(s.checks[i]));
        gtk_widget_show_all(d->list);
        /* The site's support page or address, checked by the parser (https:// or mailto:). */
        if (s.support)
                gtk_link_button_set_uri(GTK_LINK_BUTTON(d->contact), s.support);
        gtk_widget_set_visible(d->contact, s.support != NULL);

        if (d->asked_after && s.last_check > d->asked_after) {
                d->asked_after = 0;
                g_clear_handle_id(&d->timeout, g_source_remove);
                gtk_widget_set_sensitive(d->check_again, TRUE);
                set_feedback(d, _("Checked again."));
        }
        if (d->verbose)
                fprintf(stderr, "vigie-details: showing \"%s\", %s%s%s\n", n.title, when,
                        n.first_problem ? "" : "\n", n.first_problem ? "" : n.brief);
        tray_notice_done(&n);
        tray_status_done(&s);
}

static void on_status_changed(GFileMonitor *m, GFile *f, GFile *other, GFileMonitorEvent ev, gpointer userdata) {
        (void) m, (void) f, (void) other;
        if (ev == G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT || ev == G_FILE_MONITOR_EVENT_CREATED ||
            ev == G_FILE_MONITOR_EVENT_DELETED || ev == G_FILE_MONITOR_EVENT_MOVED_IN ||
            ev == G_FILE_MONITOR_EVENT_RENAMED)
                show_status(userdata);
}

static gboolean on_check_timeout(gpointer userdata) {
        Details *d = userdata;

        d->timeout = 0;
        d->asked_after = 0;
        gtk_widget_set_sensitive(d->check_again, TRUE);
        set_feedback(d, _("The agent has not finished its check yet; try again later."));
        return G_SOURCE_REMOVE;
}

static void on_check_now_reply(GObject *bus, GAsyncResult *res, gpointer userdata) {
        Details *d = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(bus), res, &error);

        if (reply) {
                set_feedback(d, _("Checking… this window updates when it is done."));
                d->timeout = g_timeout_add_seconds(CHECK_AGAIN_TIMEOUT_S, on_check_timeout, d);
                return;
        }
        d->asked_after = 0;
        gtk_widget_set_sensitive(d->check_again, TRUE);
        if (g_dbus_error_is_remote_error(error)) {
                g_autofree char *name = g_dbus_error_get_remote_error(error);
                if (streq_ptr(name, "org.vigie.Agent1.Error.TooSoon")) {
                        set_feedback(d,
                                           _("The agent checked a moment ago; try again in a minute."));
                        return;
                }
        }
        g_warning("CheckNow failed: %s", error->message);
        set_feedback(d,
                           _("Cannot reach the Vigie agent: is it running? Contact IT if this persists."));
}

static void on_check_again(GtkButton *b, gpointer userdata) {
        Details *d = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
        TrayStatus s;

        (void) b;
        if (!bus) {
                g_warning("No system bus: %s", error->message);
                set_feedback(d,
                                   _("Cannot reach the Vigie agent: is it running? Contact IT if this persists."));
                return;
        }
        d->asked_after = 1;
        if (tray_status_load(d->status_path, &s) >= 0) {
                d->asked_after = MAX(s.last_check, (usec_t) 1);
                tray_status_done(&s);
        }
        gtk_widget_set_sensitive(d->check_again, FALSE);
        set_feedback(d, _("Asking the agent…"));
        g_dbus_connection_call(bus, AGENT_BUS_NAME, AGENT_OBJECT, AGENT_BUS_NAME, "CheckNow", NULL, NULL,
                               G_DBUS_CALL_FLAGS_NONE, 10000, NULL, on_check_now_reply, d);
}

static gboolean on_key(GtkWidget *w, GdkEventKey *ev, gpointer userdata) {
        (void) userdata;
        if (ev->keyval == GDK_KEY_Escape) {
                gtk_window_close(GTK_WINDOW(w));
                return TRUE;
        }
        return FALSE;
}

static const char css[] = ".vigie-title { font-size: 140%; font-weight: bold; }\n"
                          ".vigie-check-title { font-weight: bold; }\n"
                          ".vigie-deadline { font-weight: bold; }\n";

static void build_window(Details *d) {
        GtkWidget *outer = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12), *head = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
        GtkWidget *texts = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4), *scroll, *buttons, *close;
        g_autoptr(GtkCssProvider) provider = gtk_css_provider_new();

        gtk_css_provider_load_from_data(provider, css, -1, NULL);
        gtk_style_context_add_provider_for_screen(gdk_screen_get_default(), GTK_STYLE_PROVIDER(provider),
                                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
        d->window = gtk_application_window_new(d->app);
        gtk_window_set_title(GTK_WINDOW(d->window), _("Vigie: compliance details"));
        gtk_window_set_icon_name(GTK_WINDOW(d->window), "security-medium");
        /* Fits 1280×800 with a panel, at scale 1 and (GDK_SCALE=2) 2. */
        gtk_window_set_default_size(GTK_WINDOW(d->window), 640, 560);
        g_signal_connect(d->window, "key-press-event", G_CALLBACK(on_key), d);

        d->icon = gtk_image_new();
        d->title = new_label("", "vigie-title");
        d->intro = new_label("", NULL);
        d->access = new_label("", "vigie-access");
        d->last_check = new_label("", NULL);
        gtk_container_add(GTK_CONTAINER(texts), d->title);
        gtk_container_add(GTK_CONTAINER(texts), d->intro);
        gtk_container_add(GTK_CONTAINER(texts), d->access);
        gtk_container_add(GTK_CONTAINER(texts), d->last_check);
        gtk_container_add(GTK_CONTAINER(head), d->icon);
        gtk_box_pack_start(GTK_BOX(head), texts, TRUE, TRUE, 0);
        gtk_container_add(GTK_CONTAINER(outer), head);

        d->list = gtk_list_box_new();
        gtk_list_box_set_selection_mode(GTK_LIST_BOX(d->list), GTK_SELECTION_NONE);
        gtk_list_box_set_header_func(GTK_LIST_BOX(d->list), add_separator, NULL, NULL);
        atk_object_set_name(gtk_widget_get_accessible(d->list), _("Checks"));
        scroll = gtk_scrolled_window_new(NULL, NULL);
        gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
        gtk_container_add(GTK_CONTAINER(scroll), d->list);
        gtk_box_pack_start(GTK_BOX(outer), scroll, TRUE, TRUE, 0);

        buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
        d->feedback = new_label("", NULL);
        d->check_again = gtk_button_new_with_mnemonic(_("_Check again"));
        close = gtk_button_new_with_mnemonic(_("C_lose"));
        d->contact = gtk_link_button_new_with_label("https://invalid.example/", _("Contact IT"));
        g_signal_connect(d->check_again, "clicked", G_CALLBACK(on_check_again), d);
        g_signal_connect_swapped(close, "clicked", G_CALLBACK(gtk_window_close), d->window);
        gtk_box_pack_start(GTK_BOX(buttons), d->feedback, TRUE, TRUE, 0);
        gtk_container_add(GTK_CONTAINER(buttons), d->contact);
        gtk_container_add(GTK_CONTAINER(buttons), d->check_again);
        gtk_container_add(GTK_CONTAINER(buttons), close);
        gtk_container_add(GTK_CONTAINER(outer), buttons);

        g_object_set(outer, "margin", 18, NULL);
        gtk_container_add(GTK_CONTAINER(d->window), outer);
        gtk_widget_show_all(d->window);
        gtk_widget_hide(d->contact);
        gtk_widget_grab_focus(d->check_again);
}

static void on_activate(GtkApplication *app, gpointer userdata) {
        Details *d = userdata;
        g_autoptr(GFile) f = NULL;
        g_autoptr(GError) error = NULL;

        (void) app;
        if (d->window) {
                gtk_window_present(GTK_WINDOW(d->window));
                return;
        }
        build_window(d);
        show_status(d);
        f = g_file_new_for_path(d->status_path);
        d->monitor = g_file_monitor_file(f, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
        if (d->monitor)
                g_signal_connect(d->monitor, "changed", G_CALLBACK(on_status_changed), d);
        else
                g_warning("Cannot follow \"%s\": %s", d->status_path, error->message);
}

static void help(void) {
        printf(_("%s [OPTIONS]\n\n"
                 "The compliance of this laptop in detail, and \"Check again\".\n\n"
                 "  -h --help          show this help\n"
                 "     --status FILE  the agent's status file (default %s)\n"
                 "  -v --verbose       say what is shown on stderr\n"),
               program_invocation_short_name, DEFAULT_STATUS);
}

int main(int argc, char *argv[]) {
        enum { ARG_STATUS = 0x100 };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "status", required_argument, NULL, ARG_STATUS },
                { "verbose", no_argument, NULL, 'v' },
                {},
        };
        Details d = { .status_path = (char *) DEFAULT_STATUS };
        int c, r;

        i18n_setup(I18N_TEXT_AND_DATES);
        while ((c = getopt_long(argc, argv, "hv", options, NULL)) >= 0)
                switch (c) {
                case 'h': help(); return EXIT_SUCCESS;
                case ARG_STATUS: d.status_path = optarg; break;
                case 'v': d.verbose = true; break;
                default:
                        fprintf(stderr, _("Try \"%s --help\".\n"), program_invocation_short_name);
                        return 2;
                }
        if (optind < argc || !*d.status_path) {
                fprintf(stderr, _("Try \"%s --help\".\n"), program_invocation_short_name);
                return 2;
        }
        /* Our options are parsed: GTK sees none of them (and a second instance hands
         * nothing over but "activate"). */
        d.app = gtk_application_new(APP_ID, (GApplicationFlags) 0);
        g_signal_connect(d.app, "activate", G_CALLBACK(on_activate), &d);
        r = g_application_run(G_APPLICATION(d.app), 1, argv);
        g_clear_object(&d.monitor);
        g_clear_handle_id(&d.timeout, g_source_remove);
        g_object_unref(d.app);
        return r;
}
