# AWS Commander. `make demo` runs it locally; `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO          ?= go
FUNCTIONS   := api backup cleanup alarm scheduler
TOOLS       := $(CURDIR)/.tools
VENV        := $(TOOLS)/venv
MOTO_VERSION := 5.2.1
RIE_MODULE  := github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d
# A count, not a duration: go1.26's fuzz coordinator can fail a clean run with
# "context deadline exceeded" when a duration expires mid-exec (golang/go#75804, fixed in 1.27).
FUZZTIME    ?= 300000x
BENCH       ?= .
BENCHTIME   ?= 1x
# make bench's realistic-account runs: which, and at which sizes (ACCOUNT=none skips them)
ACCOUNT       ?= ^TestRealAccount
ACCOUNT_SIZES ?= 10000,50000,200000
STAGE       ?= dev
CDK_CLI     := infra/_cli/node_modules/.bin/cdk
CDK         := npx --prefix infra/_cli --no-install cdk --no-notices
# jsii prints a banner on every run under Node 20 (end of life)
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

CFN_LINT_VERSION := 1.51.0
# The IAM reference the template's condition keys are checked against
# (infra/iamcheck): policy_sentry's database of the Service Authorization
# Reference, and parliament's table of global condition keys.
POLICY_SENTRY_VERSION := 0.15.2
PARLIAMENT_VERSION    := 1.6.4
IAM_VENV              := $(TOOLS)/iam-venv

# Tests find the pinned tools here (see shared/testkit/emulator), and cfn-lint on PATH.
export MOTO_SERVER    := $(TOOLS)/bin/moto_server
export AWS_LAMBDA_RIE := $(TOOLS)/bin/aws-lambda-rie
CFN_LINT              := $(TOOLS)/bin/cfn-lint
IAM_CHECK             := $(TOOLS)/bin/iam-condition-keys
QEMU_AARCH64          := $(TOOLS)/bin/qemu-aarch64-static
export PATH           := $(TOOLS)/bin:$(PATH)
# functions/artifacts runs the shipped linux/arm64 bootstraps from here.
export COMMANDER_ARTIFACTS := $(CURDIR)/build

.PHONY: help tools build test lint synth diff deploy destroy demo serve invoke bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

tools: $(MOTO_SERVER) $(AWS_LAMBDA_RIE) $(CFN_LINT) $(IAM_CHECK) $(QEMU_AARCH64) ## install the pinned moto server, Lambda RIE, cfn-lint, IAM reference and qemu-aarch64 into .tools/

# moto: the machine's own python3 when it already has moto==$(MOTO_VERSION) with
# its server extras, otherwise a virtual environment in .tools/venv.
$(MOTO_SERVER):
	@mkdir -p $(TOOLS)/bin
	@if python3 -c 'import sys, moto, flask, flask_cors; sys.exit(moto.__version__ != "$(MOTO_VERSION)")' 2>/dev/null; then \
		py=$$(python3 -c 'import sys; print(sys.executable)'); \
	else \
		echo "installing moto[server]==$(MOTO_VERSION) into $(VENV)"; \
		python3 -m venv $(VENV); \
		$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check "moto[server]==$(MOTO_VERSION)"; \
		py=$(VENV)/bin/python; \
	fi; \
	printf '#!/bin/sh\nexec %s -m moto.server "$$@"\n' "$$py" > $@; chmod +x $@
	@$@ --help >/dev/null

# cfn-lint checks the synthesized template in the infra tests: the machine's
# own when it has one, otherwise the pinned version in .tools/venv.
$(CFN_LINT):
	@mkdir -p $(TOOLS)/bin
	@if found=$$(PATH=$$(echo "$$PATH" | sed 's#$(TOOLS)/bin:##') command -v cfn-lint); then \
		ln -sf "$$found" $@; \
	else \
		echo "installing cfn-lint==$(CFN_LINT_VERSION) into $(VENV)"; \
		python3 -m venv $(VENV); \
		$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check "cfn-lint==$(CFN_LINT_VERSION)"; \
		ln -sf $(VENV)/bin/cfn-lint $@; \
	fi
	@$@ --version

# Its own environment, so its pins never move moto's or cfn-lint's.
$(IAM_CHECK): infra/iamcheck/condition_keys.py Makefile
	@mkdir -p $(TOOLS)/bin
	@if ! $(IAM_VENV)/bin/python -c 'import sys, policy_sentry, parliament; from importlib.metadata import version as v; sys.exit(v("policy_sentry") != "$(POLICY_SENTRY_VERSION)" or v("parliament") != "$(PARLIAMENT_VERSION)")' 2>/dev/null; then \
		echo "installing policy_sentry==$(POLICY_SENTRY_VERSION) parliament==$(PARLIAMENT_VERSION) into $(IAM_VENV)"; \
		python3 -m venv $(IAM_VENV); \
		$(IAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "policy_sentry==$(POLICY_SENTRY_VERSION)" "parliament==$(PARLIAMENT_VERSION)"; \
	fi
	@printf '#!/bin/sh\nexec %s %s "$$@"\n' "$(IAM_VENV)/bin/python" "$(CURDIR)/infra/iamcheck/condition_keys.py" > $@; chmod +x $@
	@echo '[]' | $@

$(AWS_LAMBDA_RIE):
	@mkdir -p $(TOOLS)/bin
	GOBIN=$(TOOLS)/bin $(GO) install $(RIE_MODULE)

# qemu-user runs the linux/arm64 build/<fn>/bootstrap on any host, so the test
# executes the artifact that deploys: the machine's own, otherwise Debian's
# qemu-user-static (apt-get update only when installing without it fails).
$(QEMU_AARCH64):
	@mkdir -p $(TOOLS)/bin
	@host_path=$$(echo "$$PATH" | sed 's#$(TOOLS)/bin:##'); \
	if ! found=$$(PATH=$$host_path command -v qemu-aarch64-static); then \
		command -v apt-get >/dev/null || { echo "qemu-aarch64-static not found: install qemu-user-static (qemu-user)"; exit 1; }; \
		sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		echo "installing qemu-user-static (apt-get)"; \
		$$sudo apt-get install -y --no-install-recommends qemu-user-static \
			|| { $$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends qemu-user-static; }; \
		found=$$(PATH=$$host_path command -v qemu-aarch64-static); \
	fi; \
	ln -sf "$$found" $@
	@$@ --version

# lambda.norpc drops the Go1.x RPC runtime (provided.al2023 speaks the runtime
# API); -s -w drop the symbol table and DWARF, while panics and stack traces
# keep function names and lines (pclntab). Sizes in bytes: issue 9's budget.
build: ## build every function to build/<fn>/bootstrap (linux/arm64) and the CLI to build/commander (this host)
	@for fn in $(FUNCTIONS); do \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags "-s -w" \
			-o build/$$fn/bootstrap ./functions/$$fn; \
		echo "build/$$fn/bootstrap $$(wc -c < build/$$fn/bootstrap | tr -d ' ') bytes"; \
	done
	@CGO_ENABLED=0 $(GO) build -trimpath -o build/commander ./cmd/commander
	@echo "build/commander (the CLI, for this host)"

test: tools lint build ## run every test (CI=true: an unreachable emulator fails the run)
	$(GO) test -count=1 -timeout 30m ./...  # -count=1: some tests build and run binaries the test cache cannot see
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./shared/trigger
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeAlarmEvent$$' -fuzztime $(FUZZTIME) ./shared/alarm/alarmevent
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRequest$$' -fuzztime $(FUZZTIME) ./shared/api

lint: ## gofmt check and go vet
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*' -not -path './infra/_cli/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

synth: build ## write the CloudFormation template to cdk.out, offline (STAGE=dev)
	rm -rf cdk.out
	CDK_OUTDIR=cdk.out CDK_CONTEXT_JSON='{"stage":"$(STAGE)"}' $(GO) run ./infra
	@echo "cdk.out/commander-$(STAGE).template.json"

diff: build $(CDK_CLI) ## cdk diff against the account in your AWS credentials (STAGE=dev)
	$(CDK) diff -c stage=$(STAGE)

deploy: build $(CDK_CLI) ## cdk deploy (STAGE=dev)
	$(CDK) deploy -c stage=$(STAGE) --require-approval broadening

destroy: build $(CDK_CLI) ## delete the stage's stack (STAGE=dev)
	$(CDK) destroy -c stage=$(STAGE)

# The CDK CLI, pinned in infra/_cli (a folder Go ignores: the npm package ships Go templates).
$(CDK_CLI): infra/_cli/package-lock.json
	npm ci --prefix infra/_cli --no-audit --no-fund
	@touch $@

demo: tools ## run the whole system locally against moto, through the real binaries
	$(GO) run ./shared/testkit/demo/cmd/demo

# The api behind a local, SigV4-verifying stand-in for the HTTP API, on
# 127.0.0.1:$(PORT), against moto (ESTATE=true seeds the demo's estate).
PORT   ?= 8765
ESTATE ?= false
serve: tools ## run the api locally on 127.0.0.1:PORT (8765) against moto: STAGE, PORT, ESTATE=true, INSECURE_UNSIGNED=true
	STAGE=$(STAGE) PORT=$(PORT) ESTATE=$(ESTATE) $(GO) run ./shared/testkit/localapi/cmd/serve

invoke: tools ## run one function locally: make invoke FN=backup EVENT=events/samples/backup/scheduled.json
	@if [ -z "$(FN)" ] || [ -z "$(EVENT)" ]; then echo "usage: make invoke FN=<api|backup|cleanup|alarm|scheduler> EVENT=<file>"; exit 2; fi
	$(GO) run ./shared/testkit/demo/cmd/demo -invoke "$(FN)" -event "$(EVENT)"

bench: tools ## benchmarks at scale (API calls ÷ minimum, µs per resource, heap, RSS, cold start; the jobs at AWS's rate limits): BENCH=<regexp> BENCHTIME=1x ACCOUNT=<regexp> ACCOUNT_SIZES=10000,50000,200000
	@mkdir -p build
	CI=true $(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -timeout 60m -v ./shared/testkit/bench/ | tee build/bench.txt
	@# The jobs at AWS's rate limits, on virtual time (testing/synctest): make test runs 10 000 only.
	CI=true BENCH_ACCOUNT_SIZES=$(ACCOUNT_SIZES) $(GO) test -count=1 -run '$(ACCOUNT)' -timeout 60m -v ./shared/testkit/bench/ | tee build/bench-account.txt

clean: ## remove build outputs (keeps .tools)
	rm -rf build cdk.out
