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

.PHONY: all modules tools unit check demo bench check-style deps install \
	modules_install clean help

all: modules tools

help:
	@echo "make [KVER=..|KDIR=..]  build modules and tools"
	@echo "make demo               boot a kernel with the stack loaded and show it"
	@echo "make check              all tests (host unit tests + booted 6.1 and 6.12)"
	@echo "make unit               host-side unit tests only"
	@echo "make bench              benchmarks (ratios against baseline and peers)"
	@echo "make check-style        checkpatch --strict, sparse, W=1 over kernel code"
	@echo "make install            modules into /lib/modules/KVER/updates, depmod"
	@echo "make deps               install the Debian packages and kernels needed"

# ---- kernel modules ----

modules:
	@test -d $(KDIR) || { echo "no kernel build tree at $(KDIR): install linux-headers-$(KVER) or set KDIR" >&2; exit 1; }
	@mkdir -p $(OBJDIR)
	@tar -cf - $(KSRC) | tar -C $(OBJDIR) -xf -
	$(MAKE) -C $(KDIR) M=$(OBJDIR) W=1 KCFLAGS=-Werror modules
	@echo "modules for $(KREL) in $(OBJDIR)"

# Modules are installed unsigned (CONFIG_MODULE_SIG_ALL= stops kbuild from
# looking for the distribution's private key, which no one outside it has).
install modules_install: modules
	$(MAKE) -C $(KDIR) M=$(OBJDIR) INSTALL_MOD_DIR=updates CONFIG_MODULE_SIG_ALL= \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	$(if $(DESTDIR),,depmod -a $(KREL))

# ---- userspace ----

tools: $(HOSTDIR)/tkwrite $(HOSTDIR)/tkload

$(HOSTDIR)/tkload: tests/helpers/tkload.c
	@mkdir -p $(HOSTDIR)
	$(CC) $(TOOL_CFLAGS) -o $@ $<

$(HOSTDIR)/tkwrite: tests/helpers/tkwrite.c
	@mkdir -p $(HOSTDIR)
	$(CC) $(TOOL_CFLAGS) -o $@ $<

$(HOSTDIR)/test_parse: tests/unit/test_parse.c core/tk_parse.c include/tkcore/parse.h
	@mkdir -p $(HOSTDIR)
	$(CC) $(HOST_CFLAGS) -o $@ tests/unit/test_parse.c core/tk_parse.c

$(HOSTDIR)/test_krp_util: tests/unit/test_krp_util.c krp/krp_util.c krp/krp_util.h
	@mkdir -p $(HOSTDIR)
	$(CC) $(HOST_CFLAGS) -o $@ tests/unit/test_krp_util.c krp/krp_util.c

UNIT_TESTS := $(HOSTDIR)/test_parse $(HOSTDIR)/test_krp_util

# Userspace parts add their targets, prerequisites of `tools` and their
# unit tests (UNIT_TESTS += ...) here.
-include $(wildcard tools/*.mk exporters/*.mk)

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "# $$(basename $$t)"; $$t; done

# ---- tests and demo ----

deps:
	scripts/deps.sh

check: deps
	tests/run-all.sh

demo: deps
	tests/demo.sh

bench: tools
	scripts/deps.sh --bench
	tests/bench/run-all.sh

check-style: deps
	scripts/check-style.sh

clean:
	rm -rf build
