# driftgate — every command a user or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHECKOV_VENV := .venv-checkov
TASKCAT_VENV := .venv-taskcat
BENCH_VENV := .venv-bench

# Real-AWS commands
BUCKET ?=
REGIONS ?= us-east-1
KEY_PREFIX ?= driftgate/
STACK_NAME ?= driftgate
PARAMETERS ?= parameters/mine.json
REGION ?= $(firstword $(REGIONS))

.PHONY: help venv lint test unit package demo invoke publish deploy taskcat check-aws bench clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements/dev.txt requirements/data-only.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements/data-only.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(CHECKOV_VENV)/.installed: requirements/checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements/checkov.txt
	touch $@

$(TASKCAT_VENV)/.installed: requirements/taskcat.txt
	test -x $(TASKCAT_VENV)/bin/python || $(PYTHON) -m venv $(TASKCAT_VENV)
	$(TASKCAT_VENV)/bin/python -m pip install --quiet -r requirements/taskcat.txt
	touch $@

venv: $(BIN)/.installed $(CHECKOV_VENV)/.installed $(TASKCAT_VENV)/.installed ## create the environments

lint: $(BIN)/.installed $(CHECKOV_VENV)/.installed ## ruff, cfn-lint (every region in .cfnlintrc), checkov
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation -d templates

test: lint $(TASKCAT_VENV)/.installed ## everything CI runs: lint, then unit, template and end-to-end tests
	$(BIN)/pytest

unit: $(BIN)/.installed ## unit and template tests only (fast)
	$(BIN)/pytest -m "not e2e"

package: $(BIN)/.installed ## build Lambda zips and templates into build/dist
	$(BIN)/python -m scripts.package --out build/dist

demo: $(BIN)/.installed ## the whole story on the local emulator, no AWS account needed
	$(BIN)/python -m scripts.demo

invoke: $(BIN)/.installed ## send CSV rows to a stage's inference API: make invoke STACK=name REGION=eu-west-1 FILE=rows.csv [AUTH=api-key API_KEY_ID=id]
	$(BIN)/python -m scripts.invoke --stack "$(STACK)" $(if $(REGION),--region $(REGION)) --auth $(or $(AUTH),iam) $(if $(API_KEY_ID),--api-key-id $(API_KEY_ID)) $(or $(FILE),-)

publish: $(BIN)/.installed ## upload to one bucket per region: make publish BUCKET=name REGIONS="us-east-1 eu-west-1"
	$(BIN)/python -m scripts.aws_credentials
	$(MAKE) --no-print-directory package
	$(BIN)/python -m scripts.publish --bucket "$(BUCKET)" --key-prefix "$(KEY_PREFIX)" --regions $(REGIONS)

deploy: $(BIN)/.installed ## deploy the root stack: make deploy BUCKET=name REGION=us-east-1 PARAMETERS=parameters/mine.json
	$(BIN)/python -m scripts.deploy --bucket "$(BUCKET)" --key-prefix "$(KEY_PREFIX)" --region "$(REGION)" --stack-name "$(STACK_NAME)" --parameters "$(PARAMETERS)"

check-aws: $(BIN)/.installed ## prove blue/green counts, code updates, schedules, rollback on a real account: make check-aws BUCKET=name REGION=us-east-1 PARAMETERS=parameters/mine.json
	$(BIN)/python -m scripts.aws_credentials
	$(MAKE) --no-print-directory package
	$(BIN)/python -m scripts.check_aws --bucket "$(BUCKET)" --key-prefix "$(KEY_PREFIX)" --region "$(REGION)" --parameters "$(PARAMETERS)"

taskcat: $(BIN)/.installed ## taskcat test run against real AWS (needs credentials)
	$(BIN)/python -m scripts.aws_credentials
	$(MAKE) --no-print-directory package $(TASKCAT_VENV)/.installed
	scripts/taskcat.sh

$(BENCH_VENV)/.installed: benchmarks/requirements.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -r benchmarks/requirements.txt
	touch $@

bench: $(BIN)/.installed $(BENCH_VENV)/.installed ## drift benchmark vs Evidently (own environment): make bench [SIZES=10000,100000] [REVISION=HEAD]
	$(BIN)/python -m benchmarks.run --evidently-python $(BENCH_VENV)/bin/python $(if $(SIZES),--sizes $(SIZES)) $(if $(REVISION),--monitor-revision $(REVISION))

clean: ## remove build output and environments
	rm -rf build taskcat_outputs $(VENV) $(CHECKOV_VENV) $(TASKCAT_VENV) $(BENCH_VENV)
