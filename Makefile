# apitap: see README.md. Every target works on a fresh clone with Go installed.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN      := bin/apitap
FUZZTIME ?= 30s
PKGS     := ./...

.PHONY: all build test test-race bench bench-live fuzz demo eval lint fmt vet clean

all: lint test build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/apitap

# The README's test command. Tests read the shared corpus at ../shared/corpus.
test:
	$(GO) test -count=1 $(PKGS)

test-race:
	$(GO) test -race -count=1 $(PKGS)

# Throughput on one large generated capture (about 300 MB, cached under
# $$TMPDIR): the decode floor, the reassembly floor and the full
# `read --emit transactions` path, in MB/s, pkts/s, txn/s and allocations.
# Compare runs with benchstat (BENCHCOUNT=6).
BENCHCOUNT ?= 1
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./sensor/ | tee bench.txt

# The live sensor under tcpreplay (root and tcpreplay needed): a generated
# capture replayed into a veth pair at top speed and fixed rates while
# `apitap run` captures the other end. APITAP_LIVE_CONNS=12000 replays a
# longer capture (about 4 million packets), which measures the sustained
# rate rather than what the capture rings can absorb.
bench-live:
	$(GO) test -run '^$$' -bench Live -benchtime 1x ./cmd/apitap/ | tee bench-live.txt

# Each fuzz target for $(FUZZTIME); crashers land in the package's testdata/fuzz/
# and become seeds that `make test` replays.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./sensor/http1/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./sensor/decap/
	$(GO) test -run '^$$' -fuzz '^FuzzClassify$$' -fuzztime $(FUZZTIME) ./analyzer/auth/
	$(GO) test -run '^$$' -fuzz '^FuzzScan$$' -fuzztime $(FUZZTIME) ./analyzer/sensitive/
	$(GO) test -run '^$$' -fuzz '^FuzzObserve$$' -fuzztime $(FUZZTIME) ./analyzer/schema/
	$(GO) test -run '^$$' -fuzz '^FuzzInspect$$' -fuzztime $(FUZZTIME) ./analyzer/detect/

# Analyse the captures shipped in testdata/demo and print what apitap found:
# a summary, the API inventory against the Docker Engine spec (the Docker
# calls are documented, the others are shadow APIs), the transactions, and
# the alerts two small attack captures raise (SQL injection, and a
# command-injection probe mirrored through ERSPAN).
demo: build
	@echo "== apitap read --spec testdata/demo/docker-engine-v1.41.yaml testdata/demo/*.pcap"
	@$(BIN) read --spec testdata/demo/docker-engine-v1.41.yaml testdata/demo/*.pcap
	@echo
	@echo "== apitap read --emit transactions testdata/demo/*.pcap"
	@$(BIN) read --emit transactions testdata/demo/*.pcap
	@echo
	@echo "== apitap read --alerts demo-alerts.jsonl testdata/demo/attacks/*"
	@rm -f demo-alerts.jsonl
	@$(BIN) read --alerts demo-alerts.jsonl testdata/demo/attacks/*
	@echo "(the same alerts as OCSF Detection Findings: demo-alerts.jsonl)"

# Detection on generated traffic: a 7-day scenario with the fifteen kinds
# of attack planted (labelled) and a 7-day clean one, from the corpus specs
# at a fifth of full rate (about 200 000 transactions each), read into
# stores; apitap eval prints recall and precision per detector and false
# alerts per 100 endpoint-days, and fails when a target is missed.
EVAL       ?= $(or $(TMPDIR),/tmp)/apitap-eval
EVAL_SCALE ?= 0.2
EVAL_SEED  ?= 1
EVAL_CLEAN_SEED ?= 2
EVAL_DAYS  ?= 7
EVAL_SPECS := $(foreach s,swagger-petstore/openapi.yaml crapi/crapi-openapi-spec.json juice-shop/swagger.yml oai-examples/petstore-expanded.yaml,--spec ../shared/corpus/openapi/$(s))
eval: build
	rm -rf $(EVAL) && mkdir -p $(EVAL)
	$(BIN) gen --seed $(EVAL_SEED) --days $(EVAL_DAYS) --scale $(EVAL_SCALE) --attacks all $(EVAL_SPECS) --out $(EVAL)/attacks.pcap --labels $(EVAL)/attacks.labels.jsonl
	$(BIN) gen --seed $(EVAL_CLEAN_SEED) --days $(EVAL_DAYS) --scale $(EVAL_SCALE) --attacks none $(EVAL_SPECS) --out $(EVAL)/clean.pcap --labels $(EVAL)/clean.labels.jsonl
	$(BIN) read --state $(EVAL)/attacks $(EVAL)/attacks.pcap
	$(BIN) read --state $(EVAL)/clean $(EVAL)/clean.pcap
	$(BIN) eval --labels $(EVAL)/attacks.labels.jsonl --state $(EVAL)/attacks --clean-state $(EVAL)/clean

fmt:
	gofmt -w .

vet:
	$(GO) vet $(PKGS)

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: vet
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf bin bench.txt bench-live.txt demo-alerts.jsonl
