/* SPDX-License-Identifier: MIT */
/* Hints from the system bus, when there is one: logind's PrepareForSleep(false) (we just
 * resumed: the cycle that suspend skipped runs now) and NetworkManager's StateChanged (the
 * network is back: the spool need not wait for its backoff). Signals only, no polling: the
 * bus connection costs nothing while idle. */
#include <errno.h>

#include "agent.h"
#include "log.h"

/* NM_STATE_CONNECTED_GLOBAL (NetworkManager's NMState) */
#define NM_STATE_CONNECTED_GLOBAL 70u

static int on_prepare_for_sleep(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Agent *a = userdata;
        int sleeping, r;
        (void) ret_error;

        r = sd_bus_message_read(m, "b", &sleeping);
        if (r < 0) {
                log_debug_errno(r, "Ignoring a malformed PrepareForSleep signal: %m");
                return 0;
        }
        if (sleeping)
                log_debug("The system is about to sleep.");
        else
                (void) agent_request_cycle(a, a->config->resume_delay, "after resume");
        return 0;
}

static int on_network_state(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Agent *a = userdata;
        uint32_t state;
        int was, r;
        (void) ret_error;

        r = sd_bus_message_read(m, "u", &state);
        if (r < 0) {
                log_debug_errno(r, "Ignoring a malformed NetworkManager StateChanged signal: %m");
                return 0;
        }
        was = a->network_connected;
        a->network_connected = state >= NM_STATE_CONNECTED_GLOBAL;
        log_debug("NetworkManager state %u.", state);
        if (a->network_connected && was != 1)
                (void) agent_request_flush(a, a->config->resume_delay, "now that the network is back");
        return 0;
}

int agent_bus_connect(Agent *a) {
        int r;

        r = sd_bus_open_system(&a->bus);
        if (r < 0)
                return log_info_errno(r, "No system bus (%m): resume and network changes will not "
                                         "bring a cycle forward.");
        r = sd_bus_attach_event(a->bus, a->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                goto fail;
        r = sd_bus_match_signal_async(a->bus, &a->sleep_slot, "org.freedesktop.login1",
                                      "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                                      "PrepareForSleep", on_prepare_for_sleep, NULL, a);
        if (r < 0)
                goto fail;
        r = sd_bus_match_signal_async(a->bus, &a->network_slot, "org.freedesktop.NetworkManager",
                                      "/org/freedesktop/NetworkManager",
                                      "org.freedesktop.NetworkManager", "StateChanged",
                                      on_network_state, NULL, a);
        if (r < 0)
                goto fail;
        return 0;
fail:
        log_warning_errno(r, "Cannot subscribe to the system bus (%m); continuing without it.");
        a->sleep_slot = sd_bus_slot_unref(a->sleep_slot);
        a->network_slot = sd_bus_slot_unref(a->network_slot);
        a->bus = sd_bus_flush_close_unref(a->bus);
        return r;
}
