PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, load the demo center, serve on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/kefu db upgrade
	$(BIN)/kefu demo --if-empty
	$(BIN)/kefu serve --host 127.0.0.1 --port 8000

## make test: install and run the whole suite (SQLite; PostgreSQL too when KEFU_TEST_POSTGRES_URL is set)
test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/tickets_bench.py

clean:
	rm -rf $(VENV) .pytest_cache kefu.db kefu.db-wal kefu.db-shm
