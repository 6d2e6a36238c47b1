# Two commands on a fresh machine: `make demo` and `make test`. Both build their own venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROTOS := samples/proto/greeter_pb2.py samples/streaming/chat_pb2.py

.PHONY: demo test protos clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

samples/proto/%_pb2.py: protos/%.proto $(STAMP)
	$(PY) -m grpc_tools.protoc -I protos --python_out=samples/proto $<

samples/streaming/%_pb2.py: protos/%.proto $(STAMP)
	$(PY) -m grpc_tools.protoc -I protos --python_out=samples/streaming $<

protos: $(PROTOS)

## demo: a sample server and client through all four streaming modes
demo: $(STAMP) $(PROTOS)
	$(PY) -m samples.demo

## test: the whole suite
test: $(STAMP) $(PROTOS)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) $(PROTOS)
