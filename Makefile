# Larder: `make run` starts everything on embedded defaults; `make test` runs every test.
GO       ?= go
BIN      := bin
WASTESIM ?= 127.0.0.1:8081

.PHONY: build run test lint vet bench clean assets browser-test need-chromium cover fuzz bpmn-test

build: assets
	$(GO) build -o $(BIN)/larder ./cmd/larder
	$(GO) build -o $(BIN)/wastesim ./cmd/wastesim

# run starts the reference waste system and Larder together on
# http://localhost:8080; Ctrl-C stops both.
run: assets build
	@$(BIN)/wastesim -addr $(WASTESIM) & ws=$$!; \
	trap 'kill $$ws 2>/dev/null' EXIT INT TERM; \
	WASTE_URL=http://$(WASTESIM) $(BIN)/larder serve --dev

vet:
	$(GO) vet ./...

# lint checks the code is gofmt'd, the interpreter is deterministic and
# every shipped recipe loads.
lint: vet
	@unformatted=$$(gofmt -l cmd workflows activities forms connectors internal tests/cover); \
	if [ -n "$$unformatted" ]; then echo "not gofmt'd (run gofmt -w):"; echo "$$unformatted"; exit 1; fi
	$(GO) tool workflowcheck -config workflowcheck.config.yaml ./workflows/...
	$(GO) run ./cmd/larder validate recipes

# test first gets what the browser test needs (Debian's chromium, installed
# with apt-get when run as root, and its npm packages), so a machine that
# cannot run it stops in seconds with one line saying what to install, not
# after the Go tests.
BROWSER_TEST  := tests/browser
BROWSER_STAMP := $(BROWSER_TEST)/node_modules/.larder-installed

test: need-chromium $(BROWSER_STAMP) assets lint
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) bpmn-test
	$(MAKE) browser-test

# browser-test starts wastesim and Larder on free ports, drives every shipped
# recipe's resident journey in Debian chromium (playwright-core; no browser is
# ever downloaded, CHROMIUM=/path overrides /usr/bin/chromium), runs axe-core's
# WCAG 2.2 A/AA rules on every page and saves screenshots to
# tests/browser/screenshots/. npm packages are reinstalled only when
# package.json or the lock changes.
browser-test: need-chromium build $(BROWSER_STAMP)
	cd $(BROWSER_TEST) && node run.mjs && node staff.mjs && node designer.mjs

# need-chromium checks for CHROMIUM or /usr/bin/chromium, installing Debian's
# chromium as root, else fails with what to install (tests/browser/need-chromium.sh).
need-chromium:
	@bash $(BROWSER_TEST)/need-chromium.sh

$(BROWSER_STAMP): $(BROWSER_TEST)/package.json $(BROWSER_TEST)/package-lock.json
	cd $(BROWSER_TEST) && (npm ci --no-audit --no-fund || npm install --no-audit --no-fund)
	touch $@

# bpmn-test exports every shipped recipe, every step example and the BPMN
# package's own recipes with larder bpmn into a temporary folder, and
# checks each file with tests/bpmn/lint.mjs: bpmn-moddle parses it without
# a warning and bpmnlint's recommended rules report nothing. npm packages
# are reinstalled only when package.json or the lock changes.
BPMN_TEST  := tests/bpmn
BPMN_STAMP := $(BPMN_TEST)/node_modules/.larder-installed

bpmn-test: build $(BPMN_STAMP)
	@out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
	for f in recipes/*.yaml workflows/recipe/testdata/steps/*.yaml workflows/bpmn/testdata/*.yaml; do \
		case $$(basename $$f) in connectors.yaml|emails.yaml) continue;; esac; \
		name=$$(echo "$$f" | tr / _); \
		$(BIN)/larder bpmn -o "$$out/$${name%.yaml}.bpmn" "$$f" || exit 1; \
	done; \
	cd $(BPMN_TEST) && node lint.mjs "$$out"/*.bpmn

$(BPMN_STAMP): $(BPMN_TEST)/package.json $(BPMN_TEST)/package-lock.json
	cd $(BPMN_TEST) && (npm ci --no-audit --no-fund || npm install --no-audit --no-fund)
	touch $@

# cover runs the Go tests once with coverage of every package and prints, per
# package, the share of its statements the whole suite ran (tests/cover), so
# code tested only from another package's tests counts. Test kits and the
# cover command itself are not product and are left out. The table is
# printed even when a test fails; make still fails then.
COVER_PROFILE     := $(BIN)/cover.out
COVER_NOT_PRODUCT := internal/casetest,internal/redistest,connectors/connectortest,tests/cover

cover: assets
	@mkdir -p $(BIN)
	@status=0; $(GO) test -count=1 -timeout 30m -coverpkg=./... -coverprofile=$(COVER_PROFILE) ./... || status=$$?; \
	echo; $(GO) run ./tests/cover -exclude $(COVER_NOT_PRODUCT) $(COVER_PROFILE) || status=1; \
	if [ $$status -ne 0 ]; then echo "make cover: some tests failed (above); coverage is of what ran"; fi; \
	exit $$status

# fuzz runs each fuzz target for FUZZTIME, one after another (make test
# runs only their seeds). New failing inputs land in the target's
# testdata/fuzz/ folder: commit them with the fix.
FUZZTIME ?= 30s

fuzz:
	$(GO) test -run=^$$ -fuzz=^FuzzParse$$ -fuzztime=$(FUZZTIME) ./workflows/recipe
	$(GO) test -run=^$$ -fuzz=^FuzzRender$$ -fuzztime=$(FUZZTIME) ./workflows/recipe
	$(GO) test -run=^$$ -fuzz=^FuzzFormPost$$ -fuzztime=$(FUZZTIME) ./forms
	$(GO) test -run=^$$ -fuzz=^FuzzSubmitBody$$ -fuzztime=$(FUZZTIME) ./forms/api
	$(GO) test -run=^$$ -fuzz=^FuzzReply$$ -fuzztime=$(FUZZTIME) ./connectors/http
	$(GO) test -run=^$$ -fuzz=^FuzzReply$$ -fuzztime=$(FUZZTIME) ./connectors/open311
	$(GO) test -run=^$$ -fuzz=^FuzzWrite$$ -fuzztime=$(FUZZTIME) ./workflows/bpmn

# bench compares the history events per case of a recipe with a
# hand-written Temporal workflow doing the same calls.
bench:
	$(GO) test ./cmd/larder -run '^$$' -bench HistoryEvents -benchtime 20x

# assets builds the resident pages' styles and scripts from govuk-frontend
# (npm) into forms/web/static, which the binary embeds. It reinstalls npm
# packages only when package.json or the lock changes, and recompiles the
# Sass only when it or the packages change. No GOV.UK fonts or images are
# copied: the fonts are GDS Transport and every image is the crown, crest
# or a GOV.UK icon, none of which a council may use.
ASSETS_SRC := forms/web/assets
STATIC     := forms/web/static
NPM_STAMP  := $(ASSETS_SRC)/node_modules/.larder-installed
GOVUK_DIST := $(ASSETS_SRC)/node_modules/govuk-frontend/dist/govuk

assets: $(STATIC)/larder.css $(STATIC)/govuk-frontend.min.js $(STATIC)/designer.js $(STATIC)/designer.css \
	$(STATIC)/case-diagram.js $(STATIC)/case-diagram.css

$(NPM_STAMP): $(ASSETS_SRC)/package.json $(wildcard $(ASSETS_SRC)/package-lock.json)
	cd $(ASSETS_SRC) && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	touch $@

$(STATIC)/larder.css: $(ASSETS_SRC)/larder.scss $(NPM_STAMP)
	cd $(ASSETS_SRC) && npx sass --no-source-map --style=compressed --load-path=node_modules \
		--quiet-deps --silence-deprecation=import larder.scss ../static/larder.css

$(STATIC)/govuk-frontend.min.js: $(NPM_STAMP)
	cp $(GOVUK_DIST)/govuk-frontend.min.js $@

# designer.js draws a recipe's BPMN diagram on the designer pages of
# `larder serve --dev` with bpmn-js's viewer and bpmn-auto-layout (npm),
# bundled by esbuild with their licences kept; designer.css is bpmn-js's
# styles and the diagram's own.
$(STATIC)/designer.js: $(ASSETS_SRC)/designer.mjs $(NPM_STAMP)
	cd $(ASSETS_SRC) && npx esbuild designer.mjs --bundle --minify --format=esm --target=es2020 \
		--legal-comments=eof --log-level=warning --outfile=../static/designer.js

$(STATIC)/designer.css: $(ASSETS_SRC)/designer.css $(NPM_STAMP)
	cd $(ASSETS_SRC) && npx esbuild designer.css --bundle --minify --log-level=warning --outfile=../static/designer.css

# case-diagram.js draws a case's process on the staff case page, the same
# viewer and layout as designer.js with the steps the case has done, is at
# and failed at marked; case-diagram.css is designer.css and the markers.
$(STATIC)/case-diagram.js: $(ASSETS_SRC)/case-diagram.mjs $(NPM_STAMP)
	cd $(ASSETS_SRC) && npx esbuild case-diagram.mjs --bundle --minify --format=esm --target=es2020 \
		--legal-comments=eof --log-level=warning --outfile=../static/case-diagram.js

$(STATIC)/case-diagram.css: $(ASSETS_SRC)/case-diagram.css $(ASSETS_SRC)/designer.css $(NPM_STAMP)
	cd $(ASSETS_SRC) && npx esbuild case-diagram.css --bundle --minify --log-level=warning --outfile=../static/case-diagram.css

clean:
	rm -rf $(BIN)
