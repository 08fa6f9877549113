# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test install migrate demo serve lint bench messages clean

run: install migrate demo serve

$(UV):
	python3 -m venv .tools && .tools/bin/pip install --quiet "uv>=0.4"

install: $(UV)
	$(UV) sync --extra test --frozen --quiet

migrate: install
	$(VENV)/bin/ami migrate

demo: install
	$(VENV)/bin/ami demo

serve: install
	AMI_SCHEDULER=$${AMI_SCHEDULER:-on} $(VENV)/bin/ami serve --host 127.0.0.1 --port 8000

test: install
	scripts/test.sh

lint: install
	$(VENV)/bin/ruff check app registry harvesters tests bench

bench: install
	scripts/bench.sh

messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -o app/locale/messages.pot --no-location --sort-output --ignore-dirs '.*' \
		-k _ -k N_ -k gettext -k ngettext:1,2 -k invalid:2 -k FieldError:2 -k InvalidInput:1 \
		-k NotFound:1 -k Forbidden:1 -k Conflict:1 -k TooManyAttempts:1 -k UnsafeRepositoryURL:2 .
	if [ -f app/locale/en/LC_MESSAGES/messages.po ]; then \
		$(VENV)/bin/pybabel update -i app/locale/messages.pot -d app/locale -l en --no-fuzzy-matching; \
	else \
		$(VENV)/bin/pybabel init -i app/locale/messages.pot -d app/locale -l en; \
	fi

clean:
	rm -rf $(VENV) .tools var
