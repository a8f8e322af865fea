# tools/: tkctl, a libkmod CLI.  Included by the top Makefile.
TKCTL_LIBS := $(shell pkg-config --libs libkmod jansson 2>/dev/null || echo -lkmod -ljansson)

tools: $(HOSTDIR)/tkctl

TKCTL_SRC := tools/tkctl.c tools/tkctl_lib.c tools/tkctl_top.c tools/kmonpro.c

$(HOSTDIR)/tkctl: $(TKCTL_SRC) tools/tkctl.h tools/kmonpro.h include/tkcore/version.h
	@mkdir -p $(HOSTDIR)
	$(CC) $(TOOL_CFLAGS) -o $@ $(TKCTL_SRC) $(TKCTL_LIBS)

$(HOSTDIR)/test_tkctl: tests/unit/test_tkctl.c tools/tkctl_lib.c tools/tkctl.h
	@mkdir -p $(HOSTDIR)
	$(CC) $(HOST_CFLAGS) -o $@ tests/unit/test_tkctl.c tools/tkctl_lib.c

$(HOSTDIR)/test_kmonpro: tests/unit/test_kmonpro.c tools/kmonpro.c tools/kmonpro.h
	@mkdir -p $(HOSTDIR)
	$(CC) $(HOST_CFLAGS) -o $@ tests/unit/test_kmonpro.c tools/kmonpro.c

UNIT_TESTS += $(HOSTDIR)/test_tkctl $(HOSTDIR)/test_kmonpro


install: install-tools

install-tools: $(HOSTDIR)/tkctl
	@$(call tk_install,0755,$(HOSTDIR)/tkctl,$(PREFIX)/bin/tkctl)
	@$(call tk_install,0644,tools/tkctl.1,$(PREFIX)/share/man/man1/tkctl.1)
	@$(call tk_install,0644,tools/tkctl.bash-completion,$(PREFIX)/share/bash-completion/completions/tkctl)

.PHONY: install-tools
