# newsbot — `make demo` then `make test`. Both bootstrap .venv from the project's own files.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint fmt bench eval clean venv messages

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/newsbot demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format bot tests bench
	$(BIN)/ruff check --fix bot tests bench

# refresh the translation catalogs after changing a message: new strings appear untranslated (the
# string-table test in tests/test_i18n_digests.py fails until each has a translation); English is the source
LOCALES := vi ja id
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k n_:1,2 -k N_ -k NP_:1,2 --no-location --sort-output \
		--omit-header -o .newsbot.pot .
	for l in $(LOCALES); do $(BIN)/pybabel update -i .newsbot.pot -D newsbot -d bot/locale -l $$l \
		--ignore-obsolete --width 100; done
	rm -f .newsbot.pot

# per-language precision / recall of the rules in force on both dev sets and the sets in tests/fixtures,
# each miss and false positive with its reason; then the dev set through the real pipeline
EVAL_SETS := ../shared/eval/dev-items.jsonl ../shared/eval/real/items.jsonl tests/fixtures/heldout-items.jsonl tests/fixtures/contact-items.jsonl tests/fixtures/blind-checks.jsonl
eval: $(STAMP)
	$(BIN)/newsbot rules eval --rules rules --min-precision 0.95 --min-recall 0.95 $(EVAL_SETS)
	$(BIN)/python bench/eval_rules.py ../shared/eval

bench: $(STAMP)
	$(BIN)/python bench/rules_bench.py
	$(BIN)/python bench/poll_bench.py
	$(BIN)/python bench/once_bench.py
	$(BIN)/python bench/digest_bench.py 200 2000

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
