# Two commands on a fresh machine: `make demo` and `make test`. Each sets up what it needs first.
.PHONY: setup demo test bench

setup:
	@scripts/setup

demo: setup
	@.venv/bin/python scripts/demo.py

test: setup
	@scripts/test

bench: setup
	@.venv/bin/python scripts/bench
