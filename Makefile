# Vigie — plain Makefile (wireguard-tools style). `make V=1` shows commands.
#   make WERROR=1   (CI, development) warnings are errors
#   make            build everything into build/ (build/san with SANITIZE=1)
#   make check      install missing deps, build the test flavour (build/test, below), run
#                   unit, fuzz-corpus and integration tests
#   make demo       install missing deps, build, show Vigie at work
#   make fuzz       build libFuzzer targets with clang, run each FUZZ_SECONDS
#   make bench      benchmarks (figures and ratios, no assertions)
#   make fresh-check  `make check` and `make demo` in fresh Debian 12 and 13 chroots (root)
#   make install    PREFIX, DESTDIR, SYSCONFDIR, … below
#   make deb        .debs into build/packages (packaging/debian; DEB_VERSION= for a rebuild)
#   make rpm        .rpms into build/packages (packaging/rpm/vigie.spec)
#   make check-packages  install/upgrade/purge the .debs in a Debian 12 chroot

VERSION := 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
LOCALEDIR ?= $(DATADIR)/locale
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
RUNSTATEDIR ?= /run
# systemd's own idea of where units, sysusers.d and tmpfiles.d go; fallbacks without it.
SYSTEMDSYSTEMUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
SYSTEMDUSERUNITDIR ?= $(or $(shell pkg-config --variable=systemduserunitdir systemd 2>/dev/null),/usr/lib/systemd/user)
SYSUSERSDIR ?= $(or $(shell pkg-config --variable=sysusersdir systemd 2>/dev/null),/usr/lib/sysusers.d)
TMPFILESDIR ?= $(or $(shell pkg-config --variable=tmpfilesdir systemd 2>/dev/null),/usr/lib/tmpfiles.d)

SANITIZE ?= 0
FUZZ ?= 0
# The test flavour: TEST_HOOKS=1 compiles in the hooks the tests drive (VIGIE_NOW moves the
# clock, VIGIE_DEVICE_ID_SEED names a simulated laptop: docs/hardening.md) and builds into
# a directory of its own, build/test (build/san-test with SANITIZE=1). The test goals
# build it whatever TEST_HOOKS says; `all`, `install` and the packages never do, and
# `install` refuses it.
TEST_GOALS := check unit units fuzz-replay integration bench check-packages
ifneq ($(filter $(TEST_GOALS),$(MAKECMDGOALS)),)
TEST_HOOKS := 1
endif
TEST_HOOKS ?= 0
FLAVOUR := $(if $(filter 1,$(TEST_HOOKS)),test,release)
ifeq ($(FUZZ),1)
BUILD ?= build/fuzz
else ifeq ($(SANITIZE),1)
BUILD ?= build/san$(if $(filter 1,$(TEST_HOOKS)),-test)
else ifeq ($(TEST_HOOKS),1)
BUILD ?= build/test
else
BUILD ?= build
endif
ifeq ($(FLAVOUR)$(filter install,$(MAKECMDGOALS)),testinstall)
ifneq ($(INSTALL_TEST_HOOKS),1)
$(error make install: TEST_HOOKS=1 is the test flavour (VIGIE_NOW and other test hooks \
compiled in) and is never installed; run "make install" without TEST_HOOKS)
endif
endif

PKG_CONFIG ?= pkg-config
PYTHON ?= /usr/bin/python3
PKGS := openssl json-c libsystemd inih zlib libdeflate liblzma liblz4 libevent libevent_openssl sqlite3 libpq libnftables \
	expat libzstd tss2-mu tss2-esys tss2-tctildr tss2-rc

V ?= 0
ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-6s %s\n'
endif

# -Werror only where we choose it (`make WERROR=1`: CI and development), so that a newer
# compiler's new warning never breaks a user's build.
WERROR ?= 0
WARNINGS := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -Wno-missing-field-initializers -Wformat=2 \
	-Wno-format-nonliteral -Wshadow=local -Wvla -Wundef
HARDENING := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection \
	-fcf-protection -fPIE
OPT ?= -O2 -g
CFLAGS ?= $(OPT)
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARNINGS) $(CFLAGS) -pipe -MMD -MP \
	-Icommon -Iagent -Iagent/checks -Iagent/tray -Iserver \
	-DVERSION='"$(VERSION)"' -DSYSCONFDIR='"$(SYSCONFDIR)"' \
	-DLOCALSTATEDIR='"$(LOCALSTATEDIR)"' -DRUNSTATEDIR='"$(RUNSTATEDIR)"' \
	-DLOCALEDIR='"$(LOCALEDIR)"' -DDATADIR='"$(DATADIR)"' -DBINDIR='"$(BINDIR)"' \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
ALL_LDFLAGS := $(LDFLAGS) -pie -Wl,-z,relro,-z,now,-z,noexecstack -Wl,--as-needed
LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm

ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_CFLAGS := $(filter-out -D_FORTIFY_SOURCE=2,$(ALL_CFLAGS)) $(SAN_FLAGS) -DVIGIE_SANITIZE=1
HARDENING := $(filter-out -D_FORTIFY_SOURCE=2,$(HARDENING))
ALL_LDFLAGS += $(SAN_FLAGS)
endif
ifeq ($(FUZZ),1)
CC := clang
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
ALL_CFLAGS := $(filter-out -D_FORTIFY_SOURCE=2 -Wshadow=local,$(ALL_CFLAGS)) $(FUZZ_FLAGS) -DFUZZING=1
HARDENING := $(filter-out -D_FORTIFY_SOURCE=2 -fstack-clash-protection,$(HARDENING))
ALL_LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS += $(HARDENING)
ifeq ($(TEST_HOOKS),1)
ALL_CFLAGS += -DVIGIE_TEST_HOOKS=1
endif

# Programs: the file holding main() is named after the program.
MAIN_vigie := agent/vigie.c
MAIN_vigie-agent := agent/vigie-agent.c
MAIN_vigie-tray := agent/tray/vigie-tray.c
MAIN_vigie-server := server/vigie-server.c
MAIN_vigiectl := server/vigiectl.c
MAIN_vigie-gate := server/vigie-gate.c
MAIN_vigie-details := agent/details/vigie-details.c
ALL_PROGRAMS := vigie vigie-agent vigie-tray vigie-server vigiectl vigie-gate vigie-details
PROGRAMS := $(foreach p,$(ALL_PROGRAMS),$(if $(wildcard $(MAIN_$(p))),$(p)))
MAINS := $(foreach p,$(ALL_PROGRAMS),$(MAIN_$(p)))

COMMON_SRC := $(wildcard common/*.c)
AGENT_SRC := $(filter-out $(MAINS),$(wildcard agent/*.c agent/checks/*.c agent/checks/*/*.c agent/tray/*.c))
SERVER_SRC := $(filter-out $(MAINS),$(wildcard server/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
COMMON_LIB := $(BUILD)/libvigie-common.a
AGENT_LIB := $(BUILD)/libvigie-agent.a
SERVER_LIB := $(BUILD)/libvigie-server.a
VIGIE_LIBS := $(SERVER_LIB) $(AGENT_LIB) $(COMMON_LIB)
# A group: common/policy.c reads the check registry (agent/checks/registry.c).
LINK_LIBS := -Wl,--start-group $(VIGIE_LIBS) -Wl,--end-group

BINS := $(addprefix $(BUILD)/bin/,$(PROGRAMS))
UNIT_SRC := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_REPLAY_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz-replay/%,$(FUZZ_SRC))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzzers/%,$(FUZZ_SRC))

.PHONY: all deps deps-check fresh-check check unit units fuzz-replay integration demo fuzz fuzzers bench install clean FORCE \
	bench-fleet-pg bench-cpu \
	format pot po-update install-tray deb rpm check-packages

# Translations: po/LANG.po → $(BUILD)/locale/LANG/LC_MESSAGES/vigie.mo, the layout
# bindtextdomain() reads; tests point $$VIGIE_LOCALEDIR at $(BUILD)/locale.
PO_FILES := $(wildcard po/*.po)
MO_FILES := $(patsubst po/%.po,$(BUILD)/locale/%/LC_MESSAGES/vigie.mo,$(PO_FILES))
I18N_SRC := $(sort $(COMMON_SRC) $(AGENT_SRC) $(SERVER_SRC) $(foreach p,$(PROGRAMS),$(MAIN_$(p))))
XGETTEXT_FLAGS := --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=ngettext:1,2 \
	--add-comments=TRANSLATORS: --package-name=vigie --package-version=$(VERSION) \
	--msgid-bugs-address=https://github.com/vigie/vigie/issues --sort-by-file

all: $(BINS) $(MO_FILES)

$(BUILD)/locale/%/LC_MESSAGES/vigie.mo: po/%.po
	$(quiet) MSGFMT $<
	@mkdir -p $(@D)
	$(Q)msgfmt --check --statistics -o $@ $< 2>$(@D)/statistics || { cat $(@D)/statistics; exit 1; }

pot:
	xgettext $(XGETTEXT_FLAGS) -o po/vigie.pot $(I18N_SRC)

# After `make pot`: carries new strings into each language (fuzzy where close).
po-update: pot
	$(foreach p,$(PO_FILES),msgmerge --quiet --update --backup=none $(p) po/vigie.pot;)

# Which flavour a build directory holds: one flavour per directory, never mixed (asking
# for the other one there is an error, not a silent rebuild), and a directory made before
# the flavours existed is compiled again once.
$(BUILD)/flavour: FORCE
	@mkdir -p $(@D)
	@f=$$(cat $@ 2>/dev/null); if [ -z "$$f" ]; then echo $(FLAVOUR) >$@; \
	elif [ "$$f" != $(FLAVOUR) ]; then echo "$(BUILD) holds the $$f flavour, not $(FLAVOUR):" \
		"build the test flavour with TEST_HOOKS=1 (build/test), the other without it" >&2; exit 1; fi
FORCE:

$(BUILD)/obj/%.o: %.c $(BUILD)/flavour
	$(quiet) CC $<
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# vigie-details alone links GTK 3 (vigie-tray stays toolkit-free).
GTK_PKG := gtk+-3.0
$(BUILD)/obj/agent/details/%.o: ALL_CFLAGS += $(shell $(PKG_CONFIG) --cflags $(GTK_PKG))
$(BUILD)/bin/vigie-details: LIBS += $(shell $(PKG_CONFIG) --libs $(GTK_PKG))
# The key file reader's test compares it with GLib's own.
$(BUILD)/obj/tests/unit/test-glib-keyfile.o: ALL_CFLAGS += $(shell $(PKG_CONFIG) --cflags glib-2.0)
$(BUILD)/tests/test-glib-keyfile: LIBS += $(shell $(PKG_CONFIG) --libs glib-2.0)

$(COMMON_LIB): $(call obj,$(COMMON_SRC))
$(AGENT_LIB): $(call obj,$(AGENT_SRC))
$(SERVER_LIB): $(call obj,$(SERVER_SRC))
# The console's files, compiled into vigie-server (server/web-assets.h).
WEB_FILES := $(sort $(wildcard server/web/*.html server/web/*.js server/web/*.css server/web/*.svg))
$(BUILD)/gen/web-assets.c: scripts/embed-web.sh $(WEB_FILES)
	$(quiet) GEN $@
	@mkdir -p $(@D)
	$(Q)sh scripts/embed-web.sh $(WEB_FILES) > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/web-assets.o: $(BUILD)/gen/web-assets.c $(BUILD)/flavour
	$(quiet) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(SERVER_LIB): $(BUILD)/gen/web-assets.o
$(COMMON_LIB) $(AGENT_LIB) $(SERVER_LIB):
	$(quiet) AR $@
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# Keep the objects of tests and fuzz targets (make would delete them as intermediates).
.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/bin/%: $$(call obj,$$(MAIN_$$*)) $(VIGIE_LIBS)
	$(quiet) LD $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LINK_LIBS) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(VIGIE_LIBS)
	$(quiet) LD $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LINK_LIBS) $(LIBS) -lcmocka

# Fuzz targets linked with a small main that replays files: `make check` runs the corpora.
$(BUILD)/fuzz-replay/%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/replay-main.o $(VIGIE_LIBS)
	$(quiet) LD $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LINK_LIBS) $(LIBS)

$(BUILD)/fuzzers/%: $(BUILD)/obj/tests/fuzz/%.o $(VIGIE_LIBS)
	$(quiet) LD $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LINK_LIBS) $(LIBS)

# What each goal needs, installed first (packaging/deps.sh PURPOSE).
deps deps-check:
	@sh packaging/deps.sh check
deps-%:
	@sh packaging/deps.sh $*

unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

fuzz-replay: $(FUZZ_REPLAY_BINS)
	@sh tests/fuzz/replay.sh $(BUILD)/fuzz-replay

integration: $(BINS)
	VIGIE_BUILD=$(abspath $(BUILD)) VIGIE_SANITIZE=$(SANITIZE) $(PYTHON) -m pytest -ra \
		-p no:cacheprovider tests/integration $(PYTEST_ARGS)

# Dependencies first, in their own make so that pkg-config sees the new packages.
check: deps
	@$(MAKE) --no-print-directory TEST_HOOKS=1 all unit fuzz-replay
	@$(MAKE) --no-print-directory TEST_HOOKS=1 units
	@$(MAKE) --no-print-directory TEST_HOOKS=1 integration

demo: deps-demo
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh $(abspath $(BUILD))

fuzzers: $(FUZZ_BINS)

FUZZ_SECONDS ?= 60
fuzz: deps-fuzz
	@$(MAKE) --no-print-directory FUZZ=1 fuzzers
	@sh tests/fuzz/run.sh build/fuzz/fuzzers $(FUZZ_SECONDS)

# README's two commands on brand-new Debian 12 and 13 chroots (root; needs debootstrap and
# the shared fresh-machine script beside this checkout). Run it before changing the build
# or its dependencies lands.
FRESH_DEBIAN ?= ../shared/tools/fresh-debian.sh
FRESH_SUITES ?= bookworm trixie
fresh-check:
	@test -x $(FRESH_DEBIAN) || { echo "$(FRESH_DEBIAN) not found: set FRESH_DEBIAN=PATH" >&2; exit 2; }
	@rc=0; for s in $(FRESH_SUITES); do $(FRESH_DEBIAN) . $$s || rc=1; done; exit $$rc

bench: deps-bench
	@$(MAKE) --no-print-directory TEST_HOOKS=1 all
	@sh tests/bench/run.sh $(abspath $(BUILD))

# Two vigie-server on one PostgreSQL under load, kill -9 of one, then the fleet queries at a
# million devices against their targets (issue #17): each exits 1 on a missed check.
bench-scale: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tests/bench/scale.py $(abspath $(BUILD)) $(SCALE_ARGS)
	@$(PYTHON) tests/bench/fleet-pg.py $(abspath $(BUILD)) --check $(FLEET_PG_ARGS)

# Fleet queries at a million devices on PostgreSQL, and server CPU per keep-alive report
# (SQLite, then PostgreSQL): docs/performance.md.
bench-fleet-pg: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tests/bench/fleet-pg.py $(abspath $(BUILD)) $(FLEET_PG_ARGS)

bench-cpu: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tests/bench/cpu-per-report.py $(abspath $(BUILD)) --db sqlite
	@$(PYTHON) tests/bench/cpu-per-report.py $(abspath $(BUILD)) --db postgres

# Laptop and operator commands in BINDIR; the two daemons in SBINDIR (the units name them).
USER_PROGRAMS := $(filter vigie vigiectl vigie-tray vigie-gate vigie-details,$(PROGRAMS))
DAEMON_PROGRAMS := $(filter vigie-agent vigie-server,$(PROGRAMS))
MAN_PAGES := $(wildcard docs/man/*.[158])
UNITS := $(foreach p,$(DAEMON_PROGRAMS),systemd/$(p).service.in)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSTEMDSYSTEMUNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSCONFDIR)/vigie \
		$(DESTDIR)$(SYSCONFDIR)/vigie/agent.conf.d $(DESTDIR)$(DATADIR)/vigie \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(addprefix $(BUILD)/bin/,$(USER_PROGRAMS)) $(DESTDIR)$(BINDIR)/
	$(if $(DAEMON_PROGRAMS),install -m 0755 $(addprefix $(BUILD)/bin/,$(DAEMON_PROGRAMS)) $(DESTDIR)$(SBINDIR)/)
	$(foreach u,$(UNITS),sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' $(u) \
		>$(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/$(notdir $(u:.in=)) && \
		chmod 0644 $(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/$(notdir $(u:.in=));)
	install -m 0644 systemd/sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/vigie.conf
	install -m 0644 systemd/tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/vigie.conf
	install -D -m 0644 systemd/org.vigie.Agent1.conf $(DESTDIR)$(DATADIR)/dbus-1/system.d/org.vigie.Agent1.conf
	@# An administrator's configuration is never overwritten.
	[ -e $(DESTDIR)$(SYSCONFDIR)/vigie/agent.conf ] || \
		install -m 0644 packaging/agent.conf $(DESTDIR)$(SYSCONFDIR)/vigie/agent.conf
	$(BUILD)/bin/vigie policy --default >$(DESTDIR)$(DATADIR)/vigie/policy.json
	$(foreach m,$(MAN_PAGES),install -m 0644 $(m) $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/;)
	$(if $(filter vigie-tray,$(PROGRAMS)),$(MAKE) --no-print-directory install-tray)
	$(foreach p,$(PO_FILES),install -D -m 0644 $(BUILD)/locale/$(basename $(notdir $(p)))/LC_MESSAGES/vigie.mo \
		$(DESTDIR)$(LOCALEDIR)/$(basename $(notdir $(p)))/LC_MESSAGES/vigie.mo;)

# The tray: a user unit for systemd sessions, an XDG autostart entry for the others (the
# generator skips it where the unit runs), the same entry as the app notifications name.
install-tray:
	install -d $(DESTDIR)$(SYSTEMDUSERUNITDIR) $(DESTDIR)$(SYSCONFDIR)/xdg/autostart \
		$(DESTDIR)$(DATADIR)/applications
	sed -e 's|@BINDIR@|$(BINDIR)|g' systemd/vigie-tray.service.in >$(DESTDIR)$(SYSTEMDUSERUNITDIR)/vigie-tray.service
	sed -e 's|@BINDIR@|$(BINDIR)|g' packaging/vigie-tray.desktop.in >$(DESTDIR)$(DATADIR)/applications/vigie-tray.desktop
	cp $(DESTDIR)$(DATADIR)/applications/vigie-tray.desktop $(DESTDIR)$(SYSCONFDIR)/xdg/autostart/vigie-tray.desktop
	chmod 0644 $(DESTDIR)$(SYSTEMDUSERUNITDIR)/vigie-tray.service $(DESTDIR)$(DATADIR)/applications/vigie-tray.desktop \
		$(DESTDIR)$(SYSCONFDIR)/xdg/autostart/vigie-tray.desktop
	@# The details window's entry: what GNOME (no tray) offers in its application list.
	sed -e 's|@BINDIR@|$(BINDIR)|g' packaging/vigie-details.desktop.in >$(DESTDIR)$(DATADIR)/applications/vigie-details.desktop
	chmod 0644 $(DESTDIR)$(DATADIR)/applications/vigie-details.desktop

# The units verified against a `make install` tree, with their exposure figures.
units: all
	@rm -rf $(BUILD)/destdir
	@$(MAKE) --no-print-directory install TEST_HOOKS=1 INSTALL_TEST_HOOKS=1 DESTDIR=$(abspath $(BUILD))/destdir \
		PREFIX=/usr >/dev/null
	@sh tests/units/check-units.sh $(abspath $(BUILD))/destdir

# Packages (docs/deploy.md): built from a copy of the tree, so the build here is untouched.
deb:
	@sh packaging/build-deb.sh $(abspath build)/deb $(abspath build)/packages $(DEB_VERSION)

rpm:
	@sh packaging/build-rpm.sh $(abspath build)/rpm $(abspath build)/packages

# Root and debootstrap: run by .ci/run after make check (tests/packages/run.sh says what).
# The host side (a vigie-server receiving the chroot's reports) is the test tree `make
# check` built; the packages build their own, without test hooks.
check-packages: deps-packages
	@$(MAKE) --no-print-directory TEST_HOOKS=1 all
	@PYTHON=$(PYTHON) sh tests/packages/run.sh $(abspath $(BUILD)) $(VERSION)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
