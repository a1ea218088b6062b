# The two commands of the README. Each installs what it needs first (scripts/setup.sh).
.PHONY: setup report test test-fast lint benchmark

setup:
	bash scripts/setup.sh

# The yearly report on the bundled example data: CSVs + prislista.xlsx in out/2023,
# the book in _build/html and the PDF in _build/prismodell-2023.pdf.
report: setup
	uv run prismodell calculate data/2023 --out out/2023
	uv run prismodell build --data data/2023 --out _build \
		--scenario tyngre_vikt_felaktiga_fakturor --scenario hogre_schablon_ekonomiadministrator \
		--scenario farsta_farre_krav

lint:
	uv run ruff check src tests benchmarks notebooks

# The whole test suite (what CI runs): lint, unit/golden/property/CLI tests, nbval on the
# notebook templates, the end-to-end book build with a real browser and the PDF's text.
test: setup lint
	uv run pytest -n auto --dist loadfile

# The edit loop (under a minute): lint and every test that builds no book and opens no
# browser – unit, golden, property, bad-input and CLI tests; no nbval. The property tests try
# fewer random examples here (the "edit" profile in tests/conftest.py); `make test` runs all.
test-fast: lint
	uv run pytest tests -m "not slow and not browser" -q -n auto --dist loadfile \
		--hypothesis-profile=edit

benchmark: setup
	uv run python benchmarks/bench_calculate.py
	uv run python benchmarks/bench_build.py
	uv run python benchmarks/bench_sensitivity.py
	uv run python benchmarks/bench_volumes.py
	uv run python benchmarks/bench_invoices.py
	uv run python benchmarks/bench_figures.py
