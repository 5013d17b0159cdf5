# Every target sets up what it needs on a fresh machine: the environment comes
# from uv.lock, system tools (antiword for legacy .doc, chromium for the UI's
# no-traffic test) from Debian when we can.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT := false
export DO_NOT_TRACK := 1

.PHONY: setup test lint demo bench server serve fuzz pg clean

setup: .venv/.synced system-deps

.venv/.synced: uv.lock pyproject.toml
	@python3 -m uv --version >/dev/null 2>&1 || command -v uv >/dev/null || python3 -m pip install -q uv
	$(UV) sync --frozen --all-groups
	@touch $@

# Best effort: legacy .doc reports need antiword; without it the parser says
# "unsupported: install antiword" instead of failing. A CJK font: `panel --plot` PNGs
# draw agency names with it, and the scan tests rasterise the simulator's PDFs (reportlab's
# STSong-Light, not embedded), which pdfium draws with a system font. OCR itself needs
# nothing from Debian (the models are inside the rapidocr-onnxruntime wheel).
system-deps:
	@command -v antiword >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -qq antiword >/dev/null 2>&1 || (apt-get update -qq >/dev/null && apt-get install -y -qq antiword >/dev/null)) ; } || \
	  echo "note: antiword not installed; .doc attachments will be reported as unsupported"
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null)) ; } || \
	  echo "note: chromium not installed; tests/flows/test_ui_offline.py needs it (apt-get install chromium)"
	@fc-list :lang=zh 2>/dev/null | grep -q . || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 || (apt-get update -qq >/dev/null && apt-get install -y -qq fonts-wqy-microhei >/dev/null)) ; } || \
	  echo "note: no CJK font installed; panel --plot PNGs show boxes, and the scan tests cannot draw the simulator's PDFs"

lint: setup
	$(UV) run ruff check .
	$(UV) run mypy

test: lint
	$(UV) run pytest -n 2 --dist loadgroup

demo: setup
	$(UV) run govreports demo

bench: setup
	$(UV) run python -m bench

server: setup
	$(UV) run python -m flows.prefect_server

serve: setup
	$(UV) run govreports serve

fuzz: setup
	$(UV) sync --frozen --all-groups --extra fuzz
	$(UV) run python -m tests.fuzz_parser -atheris_runs=20000

# A throwaway PostgreSQL on 127.0.0.1:54329 for the Postgres tests
# (then: export GOVREPORTS_TEST_PG_URL=postgresql+psycopg://govreports@127.0.0.1:54329/govreports_test).
pg:
	bash scripts/pg-test-server start

clean:
	rm -rf .venv data .pytest_cache .mypy_cache .ruff_cache
