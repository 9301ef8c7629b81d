# Larder: `make run` starts everything on embedded defaults; `make test` runs every test.
GO       ?= go
BIN      := bin
WASTESIM ?= 127.0.0.1:8081

.PHONY: build run test lint vet bench clean assets browser-test

build: assets
	$(GO) build -o $(BIN)/larder ./cmd/larder
	$(GO) build -o $(BIN)/wastesim ./cmd/wastesim

# run starts the reference waste system and Larder together on
# http://localhost:8080; Ctrl-C stops both.
run: assets build
	@$(BIN)/wastesim -addr $(WASTESIM) & ws=$$!; \
	trap 'kill $$ws 2>/dev/null' EXIT INT TERM; \
	WASTE_URL=http://$(WASTESIM) $(BIN)/larder serve

vet:
	$(GO) vet ./...

# lint checks the code is gofmt'd, the interpreter is deterministic and
# every shipped recipe loads.
lint: vet
	@unformatted=$$(gofmt -l cmd workflows activities forms connectors); \
	if [ -n "$$unformatted" ]; then echo "not gofmt'd (run gofmt -w):"; echo "$$unformatted"; exit 1; fi
	$(GO) tool workflowcheck -config workflowcheck.config.yaml ./workflows/...
	$(GO) run ./cmd/larder validate recipes

test: assets lint
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) browser-test

# browser-test starts wastesim and Larder on free ports, drives every shipped
# recipe's resident journey in Debian chromium (playwright-core; no browser is
# ever downloaded, CHROMIUM=/path overrides /usr/bin/chromium), runs axe-core's
# WCAG 2.2 A/AA rules on every page and saves screenshots to
# tests/browser/screenshots/. npm packages are reinstalled only when
# package.json or the lock changes.
BROWSER_TEST  := tests/browser
BROWSER_STAMP := $(BROWSER_TEST)/node_modules/.larder-installed

browser-test: build $(BROWSER_STAMP)
	cd $(BROWSER_TEST) && node run.mjs

$(BROWSER_STAMP): $(BROWSER_TEST)/package.json $(BROWSER_TEST)/package-lock.json
	cd $(BROWSER_TEST) && (npm ci --no-audit --no-fund || npm install --no-audit --no-fund)
	touch $@

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

assets: $(STATIC)/larder.css $(STATIC)/govuk-frontend.min.js

$(NPM_STAMP): $(ASSETS_SRC)/package.json $(wildcard $(ASSETS_SRC)/package-lock.json)
	cd $(ASSETS_SRC) && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	touch $@

$(STATIC)/larder.css: $(ASSETS_SRC)/larder.scss $(NPM_STAMP)
	cd $(ASSETS_SRC) && npx sass --no-source-map --style=compressed --load-path=node_modules \
		--quiet-deps --silence-deprecation=import larder.scss ../static/larder.css

$(STATIC)/govuk-frontend.min.js: $(NPM_STAMP)
	cp $(GOVUK_DIST)/govuk-frontend.min.js $@

clean:
	rm -rf $(BIN)
