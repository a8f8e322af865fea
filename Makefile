# SPDX-License-Identifier: GPL-2.0
#
# Kernel Telemetry Kit.  `make help` lists the targets.
#
#   make                    modules for the running kernel + userspace tools
#   make KVER=<release>     modules for another installed kernel
#   make KDIR=<tree>        modules for a kernel build tree
#
# Each kernel gets its own object tree under build/kmod/<release>/, so
# building for two kernels one after the other never mixes their objects.

KVER	?= $(shell uname -r)
PREFIX	?= /usr/local
# modprobe and systemd read /etc, never $(PREFIX)/etc: configuration examples
# go here whatever PREFIX is.
SYSCONFDIR ?= /etc
DEPMOD	?= depmod
KDIR	?= /lib/modules/$(KVER)/build
ifeq ($(origin KDIR),file)
KREL	:= $(KVER)
else
KREL	:= $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null || echo custom)
endif
OBJDIR	:= $(CURDIR)/build/kmod/$(KREL)
HOSTDIR	:= $(CURDIR)/build/host
VERSION	:= $(shell sed -n 's/^\#define TK_VERSION "\(.*\)"/\1/p' include/tkcore/version.h)

# Kernel sources copied into the per-kernel object tree (mtimes kept): every
# folder with a Kbuild file is a module of the family.
KSRC	:= Kbuild include $(patsubst %/Kbuild,%,$(wildcard */Kbuild))

CC	?= cc
HOST_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Iinclude -Itests/unit/shim
TOOL_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Iinclude

.PHONY: all modules tools unit unit-build unit-list check check-debug demo bench check-style deps install \
	modules_install install-modules install-conf uninstall uninstall-modules \
	dkms-source clean help

all: modules tools

help:
	@echo "make [KVER=..|KDIR=..]  build modules and tools"
	@echo "make demo               boot a kernel with the stack loaded and show it"
	@echo "make check              all tests (host unit tests + booted 6.1, 6.12 and debug"
	@echo "                         kernels; TK_DEBUG=0 leaves the debug kernel out)"
	@echo "make check-debug        the module-stack suite on the debug kernel only (KASAN,"
	@echo "                         lockdep, kmemleak, UBSAN; built once, cached in /var/cache/tk)"
	@echo "make unit               host-side unit tests only"
	@echo "make bench              benchmarks (ratios against baseline and peers)"
	@echo "make check-style        checkpatch --strict, sparse, W=1 over kernel code"
	@echo "make install            modules into /lib/modules/KVER/updates + depmod, tools,"
	@echo "                         man page, completion, systemd units, config examples"
	@echo "                         (DESTDIR=, PREFIX=/usr/local, KVER=; docs/install.md)"
	@echo "make uninstall           remove exactly what make install installed (same"
	@echo "                         DESTDIR, PREFIX, KVER)"
	@echo "make dkms-source         kernel sources + dkms.conf into /usr/src/tkit-VERSION"
	@echo "make deps               install the Debian packages and kernels needed"

# ---- kernel modules ----

modules:
	@test -d $(KDIR) || { echo "no kernel build tree at $(KDIR): install linux-headers-$(KVER) or set KDIR" >&2; exit 1; }
	@mkdir -p $(OBJDIR)
	@tar -cf - $(KSRC) | tar -C $(OBJDIR) -xf -
	$(MAKE) -C $(KDIR) M=$(OBJDIR) W=1 KCFLAGS=-Werror modules
	@echo "modules for $(KREL) in $(OBJDIR)"

# ---- install ----
#
# Every file `make install` writes is recorded, without DESTDIR, in a
# manifest, one per kernel: `make uninstall` (same DESTDIR, PREFIX, KVER)
# removes exactly those files, then the manifest.  The parts (install-modules,
# install-conf and the install-* targets of tools/*.mk, exporters/*.mk) add
# their files with tk_install / tk_record.
MANIFEST := $(PREFIX)/share/tkit/manifest-$(KREL)

# $(call tk_record,PATH): PATH (no DESTDIR) is ours.
tk_record = mkdir -p $(dir $(DESTDIR)$(MANIFEST)) && echo $(1) >>$(DESTDIR)$(MANIFEST)
# $(call tk_install,MODE,SOURCE,PATH): install SOURCE as $(DESTDIR)PATH.
tk_install = install -D -m $(1) $(2) $(DESTDIR)$(3) && $(call tk_record,$(3))
# $(call tk_install_unit,SOURCE,PATH): a systemd unit, with the binaries and
# docs where this PREFIX puts them.
tk_install_unit = mkdir -p $(dir $(DESTDIR)$(2)) && \
	sed -e 's|/usr/local/bin/|$(PREFIX)/bin/|g' \
	    -e 's|file:///usr/share/doc/tk/|file://$(PREFIX)/share/doc/tkit/|g' \
	    $(1) >$(DESTDIR)$(2) && chmod 0644 $(DESTDIR)$(2) && $(call tk_record,$(2))

install: install-modules install-conf
	@sort -u -o $(DESTDIR)$(MANIFEST) $(DESTDIR)$(MANIFEST)
	@echo "installed $$(wc -l <$(DESTDIR)$(MANIFEST)) files, listed in $(DESTDIR)$(MANIFEST)"

# Modules are installed unsigned (CONFIG_MODULE_SIG_ALL= stops kbuild from
# looking for the distribution's private key, which no one outside it has),
# or signed with SIGN_KEY= SIGN_CERT= (e.g. DKMS's MOK pair; docs/install.md).
# Kbuild compresses them as the kernel's config says (.ko.xz on 6.12): the
# manifest gets the names it wrote.
# DEPMOD=true: kbuild would run depmod itself into INSTALL_MOD_PATH when the
# tree has a System.map (a full kernel build tree such as the debug kernel's,
# unlike Debian's headers); this rule runs it once, for the real tree only.
install-modules modules_install: modules
	$(MAKE) -C $(KDIR) M=$(OBJDIR) INSTALL_MOD_DIR=updates CONFIG_MODULE_SIG_ALL= DEPMOD=true \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	@for m in $$(sed -e 's|^$(OBJDIR)/||' -e 's/\.k\?o$$//' $(OBJDIR)/modules.order); do \
		for f in $(DESTDIR)/lib/modules/$(KREL)/updates/$$m.ko*; do \
			[ -e "$$f" ] && { $(call tk_record,$${f#$(DESTDIR)}); }; \
		done; \
	done; true
	$(if $(SIGN_KEY),KDIR=$(KDIR) scripts/sign-modules.sh $(KREL) $(SIGN_KEY) $(SIGN_CERT) \
		$$(sed -n 's|^/lib/modules/$(KREL)/|$(DESTDIR)&|p' $(DESTDIR)$(MANIFEST)))
	$(if $(DESTDIR),,$(DEPMOD) -a $(KREL))

# Examples that do nothing as installed (modprobe and systemd-modules-load
# read only *.conf): copy to tkit.conf to use them (packaging/README.md).
install-conf:
	@$(call tk_install,0644,packaging/modprobe.d/tkit.conf.example,$(SYSCONFDIR)/modprobe.d/tkit.conf.example)
	@$(call tk_install,0644,packaging/modules-load.d/tkit.conf.example,$(SYSCONFDIR)/modules-load.d/tkit.conf.example)
	@$(call tk_install,0644,docs/install.md,$(PREFIX)/share/doc/tkit/install.md)

# Removes the manifest's files and the folders only we use (a module folder
# under updates/, share/tkit, share/doc/tkit) once empty; nothing else.
uninstall: uninstall-modules
	@m=$(DESTDIR)$(MANIFEST); \
	test -f $$m || { echo "uninstall: no $$m: nothing installed with this DESTDIR/PREFIX/KVER" >&2; exit 1; }; \
	while IFS= read -r f; do rm -f "$(DESTDIR)$$f"; done <$$m; \
	rm -f $$m; \
	for d in $(DESTDIR)$(PREFIX)/share/tkit $(DESTDIR)$(PREFIX)/share/doc/tkit; do \
		[ -d $$d ] && rmdir --ignore-fail-on-non-empty $$d; \
	done; \
	echo "uninstalled what $$m listed"

# The modules of this kernel only (the manifest keeps the other files).
uninstall-modules:
	@m=$(DESTDIR)$(MANIFEST); \
	test -f $$m || { echo "uninstall: no $$m: nothing installed with this DESTDIR/PREFIX/KVER" >&2; exit 1; }; \
	grep '^/lib/modules/$(KREL)/updates/' $$m | while IFS= read -r f; do \
		rm -f "$(DESTDIR)$$f"; d=$$(dirname "$(DESTDIR)$$f"); \
		[ ! -d "$$d" ] || rmdir --ignore-fail-on-non-empty "$$d"; \
	done; \
	sed -i '\|^/lib/modules/$(KREL)/updates/|d' $$m
	$(if $(DESTDIR),,$(DEPMOD) -a $(KREL))

# DKMS (docs/install.md): the kernel sources and dkms.conf, nothing else,
# into $(DESTDIR)/usr/src/tkit-$(VERSION), where `dkms add tkit/$(VERSION)`
# looks.  Replaces an earlier copy of the same version.
DKMS_SRC := $(DESTDIR)/usr/src/tkit-$(VERSION)
dkms-source:
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' dkms.conf $(KSRC) | \
		tar -C $(DKMS_SRC) -xf -
	@echo "now: dkms install tkit/$(VERSION)  (or -k <release> for another kernel)"

# ---- userspace ----

tools: $(HOSTDIR)/tkwrite $(HOSTDIR)/tkload $(HOSTDIR)/tkevrate

$(HOSTDIR)/tkload: tests/helpers/tkload.c
	@mkdir -p $(HOSTDIR)
	$(CC) $(TOOL_CFLAGS) -o $@ $<

$(HOSTDIR)/tkwrite: tests/helpers/tkwrite.c
	@mkdir -p $(HOSTDIR)
	$(CC) $(TOOL_CFLAGS) -o $@ $<

$(HOSTDIR)/tkevrate: tests/helpers/tkevrate.c
	@mkdir -p $(HOSTDIR)
	$(CC) $(TOOL_CFLAGS) -o $@ $<

$(HOSTDIR)/test_parse: tests/unit/test_parse.c core/tk_parse.c include/tkcore/parse.h
	@mkdir -p $(HOSTDIR)
	$(CC) $(HOST_CFLAGS) -o $@ tests/unit/test_parse.c core/tk_parse.c

$(HOSTDIR)/test_krp_util: tests/unit/test_krp_util.c krp/krp_util.c krp/krp_util.h
	@mkdir -p $(HOSTDIR)
	$(CC) $(HOST_CFLAGS) -o $@ tests/unit/test_krp_util.c krp/krp_util.c

$(HOSTDIR)/test_validate: tests/unit/test_validate.c core/tk_validate.c include/tkcore/validate.h \
		tests/unit/ref_json.c tests/unit/ref_json.h
	@mkdir -p $(HOSTDIR)
	$(CC) $(HOST_CFLAGS) -o $@ tests/unit/test_validate.c core/tk_validate.c tests/unit/ref_json.c

UNIT_TESTS := $(HOSTDIR)/test_parse $(HOSTDIR)/test_krp_util $(HOSTDIR)/test_validate

# Userspace parts add their targets, prerequisites of `tools` and their
# unit tests (UNIT_TESTS += ...) here.
-include $(wildcard tools/*.mk exporters/*.mk)

# Every binary runs, even after one failed; any non-zero exit fails `unit`
# (tests/run-all.sh runs them one by one: unit-build, then unit-list).
unit: $(UNIT_TESTS)
	@st=0; for t in $(UNIT_TESTS); do echo "# $$(basename $$t)"; \
		$$t || { echo "# $$(basename $$t) exited with status $$?"; st=1; }; \
	done; exit $$st

unit-build: $(UNIT_TESTS)

unit-list:
	@echo $(UNIT_TESTS)

# ---- tests and demo ----

deps:
	scripts/deps.sh

check: deps
	tests/run-all.sh

check-debug: deps
	TK_KERNELS="$$(scripts/debug-kernel.sh)" TK_GUEST_ONLY=1 tests/run-all.sh

demo: deps
	tests/demo.sh

bench: tools
	scripts/deps.sh --bench
	tests/bench/run-all.sh

check-style: deps
	scripts/check-style.sh

clean:
	rm -rf build
