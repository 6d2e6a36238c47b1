# Two commands on a fresh machine: `make demo` and `make test`. Both build their own venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROTOS := samples/proto/greeter_pb2.py samples/streaming/chat_pb2.py samples/generated/greeter_dubbo.py

.PHONY: demo test test-reliability lint provision protos clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

samples/proto/%_pb2.py: protos/%.proto $(STAMP)
	$(PY) -m grpc_tools.protoc -I protos --python_out=samples/proto $<

samples/streaming/%_pb2.py: protos/%.proto $(STAMP)
	$(PY) -m grpc_tools.protoc -I protos --python_out=samples/streaming $<

# Typed stubs for samples/generated (imported as samples.generated.greeter_pb2 / _dubbo).
samples/generated/greeter_dubbo.py: protos/greeter.proto $(STAMP)
	$(PY) -m dubbo.codegen -Isamples/generated=protos --dubbo_out=. $<

protos: $(PROTOS)

## demo: a sample server and client through all four streaming modes
demo: $(STAMP) $(PROTOS)
	$(PY) -m samples.demo

## demo-registry: ZooKeeper (Debian's zookeeper package), two providers and a consumer; prints the load spread
.PHONY: demo-registry
demo-registry: $(STAMP) $(PROTOS)
	$(PY) -m samples.registry.demo

# The Debian packages the tests run against (ZooKeeper, Java's Hessian), installed when missing and possible.
provision:
	@bash tests/provision.sh

## test: the whole suite except the slow reliability cases (those run in test-reliability)
test: $(STAMP) $(PROTOS) provision
	$(PY) -m pytest -m "not reliability"

## test-reliability: hostile input, faults, load and soak (tests/reliability, RELIABILITY.md)
test-reliability: $(STAMP) provision
	$(PY) -m pytest -m reliability tests/reliability

## lint: mypy over the package, as a user's type checker sees it
lint: $(STAMP)
	$(PY) -m mypy dubbo

clean:
	rm -rf $(VENV) $(PROTOS) samples/generated/greeter_pb2.py samples/generated/greeter_pb2.pyi

# Benchmarks: this library vs raw grpcio (sync, aio) vs Apache's dubbo-python, which also
# imports as `dubbo` and so gets a virtual environment of its own.
APACHE_VENV := bench/.venv-apache
APACHE_STAMP := $(APACHE_VENV)/.installed

$(APACHE_STAMP):
	$(PYTHON) -m venv $(APACHE_VENV)
	$(APACHE_VENV)/bin/python -m pip install -q --upgrade pip
	$(APACHE_VENV)/bin/python -m pip install -q 'apache-dubbo==3.0.0b1'
	touch $@

.PHONY: bench bench-quick

## bench: the full benchmark, 3 repeats with the mixed-stack rows (about 20 minutes on 2 cores)
bench: $(STAMP) $(APACHE_STAMP)
	$(PY) bench/run.py --diagnostics --apache-python $(APACHE_VENV)/bin/python

## bench-quick: 1 repeat, N/8, for development (about a minute)
bench-quick: $(STAMP) $(APACHE_STAMP)
	$(PY) bench/run.py --quick --apache-python $(APACHE_VENV)/bin/python
