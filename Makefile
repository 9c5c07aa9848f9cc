# specmorphd: build, tests, demo, benchmark, install.
#
#   make demo      render two generated sources through the engine
#   make check     install missing Debian packages, build, run every test
#   make bench     real-time factors against the peers that are installed
#
# Knobs: PREFIX, DESTDIR, SANITIZE=1 (ASan+UBSan, separate build dir),
# WERROR=1 (default when CI=true), NO_DEPS=1 (skip the package step),
# CUDA=auto|0|1 and CUDA_HOME (nvcc detection for the CUDA backend).

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
DATADIR  ?= $(PREFIX)/share/specmorphd
CC       ?= cc
PYTHON   ?= /usr/bin/python3

DEPS_BUILD := gcc make pkg-config libfftw3-dev libsamplerate0-dev \
              libsndfile1-dev libiniparser-dev libcmocka-dev python3 \
              libjack-jackd2-dev jackd2 jack-tools liblo-dev liblo-tools \
              python3-liblo libpng-dev
DEPS_BENCH := csound supercollider-server sc3-plugins-server \
              espeak-ng fluidsynth fluid-soundfont-gm

ifeq ($(CI),true)
WERROR ?= 1
endif

ifeq ($(SANITIZE),1)
BUILD    ?= build/asan
OPT      := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
LDSAN    := -fsanitize=address,undefined
else
BUILD    ?= build/release
OPT      := -O2 -g
LDSAN    :=
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif

# CUDA: the backend arrives with its own issue; detection lives here now so
# it slots in. auto = build it when nvcc is found.
CUDA      ?= auto
CUDA_HOME ?= /usr/local/cuda
NVCC      := $(wildcard $(CUDA_HOME)/bin/nvcc)
ifeq ($(CUDA),1)
ifeq ($(NVCC),)
$(error CUDA=1 but no nvcc at $(CUDA_HOME)/bin/nvcc)
endif
HAVE_CUDA := 1
else ifeq ($(CUDA),auto)
HAVE_CUDA := $(if $(NVCC),1,0)
else
HAVE_CUDA := 0
endif

PKG_CFLAGS = $(shell pkg-config --cflags fftw3f samplerate sndfile 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs fftw3f samplerate sndfile 2>/dev/null)

# -ffp-contract=off: no FMA contraction, so results do not depend on what
# the compiler chose to fuse (determinism across builds of one source).
CFLAGS   ?=
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(OPT) -ffp-contract=off -fPIC $(WARN) \
             -Idsp -Iconf -Iosc -Itests/common -I/usr/include/iniparser $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_DSP = -lfftw3f_threads -lfftw3f -lm -lpthread
LDLIBS_ALL = $(LDLIBS_DSP) $(PKG_LIBS) -liniparser

DSP_SRC  := $(sort $(wildcard dsp/*.c dsp/phase/*.c))
CONF_SRC := $(sort $(wildcard conf/*.c))
OSC_SRC  := $(sort $(wildcard osc/*.c))
OSC_OBJ  := $(OSC_SRC:%.c=$(BUILD)/%.o)
DAEMON_SRC := $(sort $(wildcard daemon/*.c))
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
DSP_OBJ  := $(DSP_SRC:%.c=$(BUILD)/%.o)
CONF_OBJ := $(CONF_SRC:%.c=$(BUILD)/%.o)
LIBDSP   := $(BUILD)/libspecmorph.a
LIBCONF  := $(BUILD)/libsmconf.a
LIBOSC   := $(BUILD)/libsmosc.a

TOOLS    := $(BUILD)/specmorphd $(BUILD)/specmorph-render $(BUILD)/sm-gen \
            $(BUILD)/sm-wavcmp $(BUILD)/sm-docgen $(BUILD)/sm-jackio \
            $(BUILD)/sm-phasebench $(BUILD)/specmorph-image

UNIT_SRC  := $(sort $(wildcard tests/dsp/test_*.c tests/dsp/phase/test_*.c \
                               tests/conf/test_*.c \
                               tests/osc/test_*.c))
UNIT_BIN  := $(UNIT_SRC:%.c=$(BUILD)/%)
SHELL_TESTS := $(sort $(wildcard tests/tools/test_*.sh))

.PHONY: all deps deps-bench check check-unit demo bench soak fuzz install uninstall \
        clean docs docs-check config

all: $(LIBDSP) $(LIBCONF) $(LIBOSC) $(TOOLS)

config:
	@echo "CC=$(CC) BUILD=$(BUILD) SANITIZE=$(SANITIZE) WERROR=$(WERROR)"
	@echo "CUDA=$(CUDA) nvcc=$(if $(NVCC),$(NVCC),none) build-cuda=$(HAVE_CUDA)"

deps:
	@sh tools/deps.sh $(DEPS_BUILD)

deps-bench:
	@sh tools/deps.sh $(DEPS_BUILD) $(DEPS_BENCH)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBDSP): $(DSP_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIBCONF): $(CONF_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIBOSC): $(OSC_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/specmorph-render: $(BUILD)/tools/render.o $(BUILD)/tools/audiofile.o \
                           $(LIBCONF) $(LIBDSP)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/specmorph-image: $(BUILD)/tools/image.o $(BUILD)/tools/pngio.o \
                          $(BUILD)/tools/audiofile.o $(LIBDSP)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS_ALL) -lpng

$(BUILD)/specmorphd: $(DAEMON_OBJ) $(LIBOSC) $(LIBCONF) $(LIBDSP)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS_ALL) -ljack -llo

$(BUILD)/sm-jackio: $(BUILD)/tools/jackio.o
	$(CC) $(LDSAN) -o $@ $^ $(PKG_LIBS) -ljack -lm -lpthread

$(BUILD)/sm-gen: $(BUILD)/tools/gen.o
	$(CC) $(LDSAN) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/sm-docgen: $(BUILD)/tools/docgen.o $(LIBCONF) $(LIBDSP)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/sm-phasebench: $(BUILD)/tools/phasebench.o $(BUILD)/tools/audiofile.o \
                        $(LIBDSP)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/sm-wavcmp: $(BUILD)/tools/wavcmp.o
	$(CC) $(LDSAN) -o $@ $^ $(PKG_LIBS) -lm

$(UNIT_BIN): $(BUILD)/tests/%: $(BUILD)/tests/%.o \
                  $(BUILD)/tests/common/testutil.o $(LIBOSC) $(LIBCONF) \
                  $(LIBDSP)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS_ALL) -lfftw3 -lcmocka -llo

# The unit tests run under SANITIZE=1 in CI too; shell tests need the tools.
check-unit: deps $(UNIT_BIN)
	@sh tests/run.sh $(UNIT_BIN)

check: deps all $(UNIT_BIN) docs-check
	@SM_BUILD=$(BUILD) sh tests/run.sh $(UNIT_BIN) $(SHELL_TESTS)

# Generated documentation: the README's parameter reference and the
# example INI come from dsp/params.def through sm-docgen.
docs: $(BUILD)/sm-docgen
	@sh tools/gendocs.sh $(BUILD)

docs-check: $(BUILD)/sm-docgen
	@sh tools/gendocs.sh $(BUILD) --check

demo: deps all
	@sh tools/demo.sh $(BUILD)

bench: deps-bench all
	@sh tools/bench.sh $(BUILD)
	@sh tools/bench_daemon.sh $(BUILD)
	@sh tools/bench_phase.sh $(BUILD)

MANDIR     ?= $(PREFIX)/share/man
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system

# Ten minutes of the daemon at 128-frame periods (SOAK_MINUTES to change).
soak: deps all
	@sh tools/soak.sh $(BUILD)

# libFuzzer targets (OSC datagram handler, INI loader), clang + ASan/UBSan;
# not in make check. FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz: deps
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(SYSTEMDDIR)
	install -m 755 $(BUILD)/specmorphd $(BUILD)/specmorph-render \
	    $(BUILD)/specmorph-image $(DESTDIR)$(BINDIR)/
	install -m 644 conf/specmorphd.ini $(DESTDIR)$(DATADIR)/specmorphd.ini.example
	install -m 644 daemon/specmorphd.1 tools/specmorph-image.1 \
	    $(DESTDIR)$(MANDIR)/man1/
	sed 's|/usr/local/bin|$(BINDIR)|g' conf/specmorphd.service > \
	    $(DESTDIR)$(SYSTEMDDIR)/specmorphd.service
	chmod 644 $(DESTDIR)$(SYSTEMDDIR)/specmorphd.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/specmorphd $(DESTDIR)$(BINDIR)/specmorph-render \
	    $(DESTDIR)$(BINDIR)/specmorph-image
	rm -f $(DESTDIR)$(DATADIR)/specmorphd.ini.example
	rm -f $(DESTDIR)$(MANDIR)/man1/specmorphd.1 \
	    $(DESTDIR)$(MANDIR)/man1/specmorph-image.1
	rm -f $(DESTDIR)$(SYSTEMDDIR)/specmorphd.service

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
