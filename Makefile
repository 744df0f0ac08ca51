# Rasad: `make run` and `make test` from a fresh clone on a fresh Debian machine with Python 3.11.
# Everything else (system packages, venv, Cython build) happens here, idempotently.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.rasad-installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYX    := $(shell find console -name '*.pyx' -o -name '*.h' 2>/dev/null)

# Debian packages the app or the tests need (Qt/WebEngine runtime libs, audio, Persian fonts,
# mosquitto and PostgreSQL for the integration tests, Xvfb for on-screen runs).
SYSTEM_PACKAGES := build-essential libgl1 libegl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 \
	libfontconfig1 libdbus-1-3 libnss3 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxkbfile1 \
	libxshmfence1 libgbm1 libasound2 libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 \
	libxcb-render-util0 libxcb-xkb1 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 \
	libpulse0 pulseaudio fonts-noto-core xvfb mosquitto postgresql

export QTWEBENGINE_DISABLE_SANDBOX := 1

.PHONY: run test bench lint format system venv clean snapshot

run: system $(STAMP)
	$(BIN)/python main.py run

test: system $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: system $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.perf $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

snapshot: system $(STAMP)
	$(BIN)/python main.py snapshot --out shot.png --seconds 5

system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing system packages:$$missing"; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

venv: $(STAMP)

$(STAMP): pyproject.toml setup.py $(PYX)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	@touch $(STAMP)

clean:
	rm -rf build *.egg-info $(VENV)
	find console -name '*.so' -delete
	find console -name '*.c' -path '*/kernels/*' -delete
