# Larder: `make run` starts everything on embedded defaults; `make test` runs every test.
GO       ?= go
BIN      := bin
WASTESIM ?= 127.0.0.1:8081

.PHONY: build run test lint vet bench clean

build:
	$(GO) build -o $(BIN)/larder ./cmd/larder
	$(GO) build -o $(BIN)/wastesim ./cmd/wastesim

# run starts the reference waste system and Larder together on
# http://localhost:8080; Ctrl-C stops both.
run: build
	@$(BIN)/wastesim -addr $(WASTESIM) & ws=$$!; \
	trap 'kill $$ws 2>/dev/null' EXIT INT TERM; \
	WASTE_URL=http://$(WASTESIM) $(BIN)/larder serve

vet:
	$(GO) vet ./...

# lint checks the interpreter is deterministic and every shipped recipe loads.
lint: vet
	$(GO) tool workflowcheck -config workflowcheck.config.yaml ./workflows/...
	$(GO) run ./cmd/larder validate recipes

test: lint
	$(GO) test -count=1 -timeout 20m ./...

# bench compares the history events per case of a recipe with a
# hand-written Temporal workflow doing the same calls.
bench:
	$(GO) test ./cmd/larder -run '^$$' -bench HistoryEvents -benchtime 20x

clean:
	rm -rf $(BIN)
