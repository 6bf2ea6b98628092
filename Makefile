# Catalog pipeline (commit messages.pot and the .po files; .mo files are built).
PY ?= python
KEYWORDS = -k _ -k N_ -k ngettext:1,2 -k Tr -k Plural:1,2
LOCALES = locales

.PHONY: i18n i18n-extract i18n-update i18n-compile test lint

i18n: i18n-extract i18n-update

i18n-extract:
	$(PY) -m babel.messages.frontend extract -F babel.cfg $(KEYWORDS) --no-location --sort-output \
		--project="RCM focal-point bot" --copyright-holder="RCM focal-point bot" \
		-o $(LOCALES)/messages.pot .

i18n-update:
	$(PY) -m babel.messages.frontend update -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages \
		--no-fuzzy-matching --no-location

i18n-compile:
	$(PY) -m babel.messages.frontend compile -d $(LOCALES) -D messages --statistics

test:
	$(PY) -m pytest -q

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy bot handlers schedules
