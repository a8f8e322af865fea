# SPDX-License-Identifier: GPL-2.0
# tk-exporter and tk-logger (included by the top Makefile).
#
#   build/host/tk-exporter, build/host/tk-logger          release (-O2)
#   build/host/asan/tk-exporter, build/host/asan/tk-logger  test build,
#                                   -fsanitize=address,undefined (host tests)
#   build/host/test_tkread         unit tests of exporters/tkread.c (make unit)

EXP_PKGS	:= libmicrohttpd jansson
EXP_CFLAGS	:= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Iexporters \
	$(shell pkg-config --cflags $(EXP_PKGS) 2>/dev/null)
EXP_REL_CFLAGS	:= $(EXP_CFLAGS) -O2 -g
EXP_ASAN_CFLAGS	:= $(EXP_CFLAGS) -O1 -g -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
EXP_MHD_LIBS	:= $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
EXP_JSON_LIBS	:= $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
EXP_DEPS	:= exporters/tkread.c exporters/tkread.h include/tkcore/version.h

tools: $(HOSTDIR)/tk-exporter $(HOSTDIR)/tk-logger \
	$(HOSTDIR)/asan/tk-exporter $(HOSTDIR)/asan/tk-logger

$(HOSTDIR)/tk-exporter: exporters/tk-exporter.c $(EXP_DEPS)
	@mkdir -p $(@D)
	$(CC) $(EXP_REL_CFLAGS) -o $@ exporters/tk-exporter.c exporters/tkread.c $(EXP_MHD_LIBS)

$(HOSTDIR)/tk-logger: exporters/tk-logger.c $(EXP_DEPS)
	@mkdir -p $(@D)
	$(CC) $(EXP_REL_CFLAGS) -o $@ exporters/tk-logger.c exporters/tkread.c $(EXP_JSON_LIBS)

$(HOSTDIR)/asan/tk-exporter: exporters/tk-exporter.c $(EXP_DEPS)
	@mkdir -p $(@D)
	$(CC) $(EXP_ASAN_CFLAGS) -o $@ exporters/tk-exporter.c exporters/tkread.c $(EXP_MHD_LIBS)

$(HOSTDIR)/asan/tk-logger: exporters/tk-logger.c $(EXP_DEPS)
	@mkdir -p $(@D)
	$(CC) $(EXP_ASAN_CFLAGS) -o $@ exporters/tk-logger.c exporters/tkread.c $(EXP_JSON_LIBS)

$(HOSTDIR)/test_tkread: tests/unit/test_tkread.c $(EXP_DEPS)
	@mkdir -p $(@D)
	$(CC) $(EXP_ASAN_CFLAGS) -Itests/unit -o $@ tests/unit/test_tkread.c exporters/tkread.c

UNIT_TESTS += $(HOSTDIR)/test_tkread

install: install-exporters

install-exporters: $(HOSTDIR)/tk-exporter $(HOSTDIR)/tk-logger
	@$(call tk_install,0755,$(HOSTDIR)/tk-exporter,$(PREFIX)/bin/tk-exporter)
	@$(call tk_install,0755,$(HOSTDIR)/tk-logger,$(PREFIX)/bin/tk-logger)
	@$(call tk_install_unit,exporters/systemd/tk-exporter.service,$(PREFIX)/lib/systemd/system/tk-exporter.service)
	@$(call tk_install_unit,exporters/systemd/tk-logger.service,$(PREFIX)/lib/systemd/system/tk-logger.service)
	@$(call tk_install,0644,exporters/systemd/tk-logger.logrotate,$(SYSCONFDIR)/logrotate.d/tk-logger)
	@$(call tk_install,0644,docs/metrics.md,$(PREFIX)/share/doc/tkit/metrics.md)

.PHONY: install-exporters
