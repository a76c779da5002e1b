# Modulus: `make run` brings up the local network (chain, registry, host serving modules/), `make test` builds and runs every test.
DOTNET ?= dotnet
CONFIG ?= Release
CLI := artifacts/cli/modulus
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

.PHONY: all deps build cli test contracts-test run serve install rtt bench bench-quick bench-registry gas-report clean

all: build

deps:
	@scripts/ensure-deps.sh

build: deps
	$(DOTNET) build Modulus.sln -c $(CONFIG) -nologo -clp:ErrorsOnly
	$(MAKE) --no-print-directory cli

# The CLI as a ready-to-run folder: artifacts/cli/modulus, precompiled (ReadyToRun) so that a verb
# does not spend its short life in the JIT (see BENCHMARKS.md, "The CLI").
cli:
	$(DOTNET) publish runtime/Modulus.Cli/Modulus.Cli.csproj -c $(CONFIG) -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o artifacts/cli -nologo -clp:ErrorsOnly

test: build contracts-test
	$(DOTNET) test Modulus.sln -c $(CONFIG) --no-build -nologo

# The registry contracts' invariant tests (registry/contracts/test/*.t.sol) under forge, compiled by
# the pinned solc through the IR pipeline (about a minute to compile on 2 cores); runs and depth
# are bounded in foundry.toml (about 20 s of fuzzing).
contracts-test: deps
	cd registry/contracts && npx --no-install forge test

# The whole local network: dev chain + contracts, registry service, every module in modules/
# published, and a host serving and announcing them. Ctrl+C stops it all.
run: build
	CLI=$(CLI) VERBOSE=$(VERBOSE) scripts/run-network.sh

# Only the host, serving modules/ without a chain.
serve: build
	$(CLI) serve modules

# Installs `modulus` as a global .NET tool from a locally packed package.
install: deps
	$(DOTNET) pack runtime/Modulus.Cli/Modulus.Cli.csproj -c $(CONFIG) -o artifacts/packages -nologo
	$(DOTNET) tool update --global Modulus.Cli --add-source artifacts/packages --prerelease \
	  || $(DOTNET) tool install --global Modulus.Cli --add-source artifacts/packages --prerelease

# Round-trip time of a trivial call (C# and Python module) over gRPC, and serve start-up time.
rtt: build
	dotnet build-server shutdown >/dev/null 2>&1 || true
	$(DOTNET) run --project tests/benchmarks/Modulus.Benchmarks.RoundTrip -c $(CONFIG) --no-build -- --cli $(CLI) --tree modules

# Modulus side by side with a Python grpcio server and FastAPI/uvicorn (installed from Debian when
# missing), bare socket and grpc-dotnet floors, a 1,000-module tree and the registry index at
# 100,000 modules: writes BENCHMARKS.md and BENCHMARKS.json. `make bench-quick` is the short form
# (10,000 registry modules, fewer calls), written to artifacts/bench/ so the full figures stay.
BENCH_PEERS := python3-fastapi python3-uvicorn python3-uvloop python3-httptools
bench: build
	scripts/ensure-deps.sh $(BENCH_PEERS)
	dotnet build-server shutdown >/dev/null 2>&1 || true
	mkdir -p artifacts/bench
	$(DOTNET) run --project tests/benchmarks/Modulus.Benchmarks.Registry -c $(CONFIG) --no-build -- search --modules 100000 > artifacts/bench/registry.md
	$(DOTNET) run --project tests/benchmarks/Modulus.Benchmarks.Peers -c $(CONFIG) --no-build -- --cli $(CLI) --registry-report artifacts/bench/registry.md

bench-quick: build
	scripts/ensure-deps.sh $(BENCH_PEERS)
	dotnet build-server shutdown >/dev/null 2>&1 || true
	mkdir -p artifacts/bench
	$(DOTNET) run --project tests/benchmarks/Modulus.Benchmarks.Registry -c $(CONFIG) --no-build -- search --modules 10000 --queries 300 --plain-seconds 2 > artifacts/bench/registry.md
	$(DOTNET) run --project tests/benchmarks/Modulus.Benchmarks.Peers -c $(CONFIG) --no-build -- --quick --cli $(CLI) --registry-report artifacts/bench/registry.md --out artifacts/bench

# The registry index at 10,000 and 100,000 synthetic modules: build time, size, search/resolve
# latency and memory, beside the same queries in plain LiteDB on the same file.
bench-registry: build
	dotnet build-server shutdown >/dev/null 2>&1 || true
	$(DOTNET) run --project tests/benchmarks/Modulus.Benchmarks.Registry -c $(CONFIG) --no-build -- search --modules 10000,100000

# Gas used by each registry operation (claim, publish, host, stake, vote, ...) on a fresh Anvil.
gas-report: build
	$(DOTNET) run --project tests/benchmarks/Modulus.Benchmarks.Registry -c $(CONFIG) --no-build -- gas

clean:
	rm -rf artifacts
	find . -name bin -o -name obj -type d | xargs rm -rf
