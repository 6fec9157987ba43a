# `make book` and `make test` each set up everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# MathJax for offline math: installed from the npm registry, and only the files the book
# loads (the TeX input with its lazily loaded extensions, the CommonHTML output and its
# fonts; about 2 MB of the package's 24 MB) are copied where Sphinx serves static files.
# The build typesets the pages' math itself (book/_ext/prerender_math.py) with the same
# version of MathJax's source package, mathjax-full, run by Node; the browser needs only the
# fonts then, and the script stays for a page with TeX outside Sphinx's math elements.
MATHJAX_VERSION := 3.2.2
MATHJAX_NPM := _build/mathjax/npm
MATHJAX_PKG := $(MATHJAX_NPM)/node_modules/mathjax
MATHJAX_FULL := $(MATHJAX_NPM)/node_modules/mathjax-full/package.json
MATHJAX := _build/mathjax/static/mathjax
MATHJAX_JS := $(MATHJAX)/tex-mml-chtml.js

# The in-book answer checker: Pyodide from the npm registry (its core files only: the
# interpreter and the standard library), and SymPy and mpmath from their PyPI wheels, at the
# versions the command line uses, compiled to bytecode by that Pyodide
# (book/_ext/checker_bundle.mjs). book/_ext/answer_fields.py adds the project's own code
# and the claims' references at build time. The browser fetches them on the first check.
PYODIDE_VERSION := 0.29.5
PYODIDE_NPM := _build/pyodide/npm
PYODIDE_PKG := $(PYODIDE_NPM)/node_modules/pyodide
CHECKER := _build/checker/static/checker
CHECKER_WHEELS := _build/checker/wheels
CHECKER_PYTHON := $(CHECKER)/python.zip
PYODIDE_FILES := pyodide.js pyodide.asm.js pyodide.asm.wasm python_stdlib.zip pyodide-lock.json

.PHONY: book pdf mathjax checker test rebuild-test browser-test lint figures verify clean

# torch==2.13.0 first: it is the CPU wheel on this machine; the project's range admits it,
# so the second install keeps it instead of pulling a CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# Everything but the browser test (which needs a build: `make browser-test`, or .ci/run).
# The book-build tests need MathJax too.
test: $(STAMP) $(MATHJAX_JS) $(MATHJAX_FULL) $(CHECKER_PYTHON)
	$(PY) -m pytest -q -n auto -m "not browser and not fullbook"

# The whole book built twice in a copy: a one-topic change re-executes that page and the
# dashboard only. Minutes of work, so CI runs it beside `make test` rather than inside it.
rebuild-test: $(STAMP) $(MATHJAX_JS) $(MATHJAX_FULL) $(CHECKER_PYTHON) $(CHECKER_PYTHON)
	$(PY) -m pytest -q -m fullbook tests/test_book_build.py

browser-test: book
	REQUIRE_BOOK=1 $(PY) -m pytest -q -m browser tests/test_book*.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

verify: $(STAMP)
	$(PY) -m verify

figures: $(STAMP)
	$(PY) -m figures --out _build/figures

# Both packages in one install: npm removes from the folder what a later install leaves out.
$(MATHJAX_PKG)/package.json $(MATHJAX_FULL) &:
	@command -v npm >/dev/null || { echo "npm is needed to install MathJax: apt-get install npm" >&2; exit 1; }
	npm install --prefix $(MATHJAX_NPM) --no-audit --no-fund --no-save \
		mathjax@$(MATHJAX_VERSION) mathjax-full@$(MATHJAX_VERSION)

# The entry script is copied last: its presence means the copy is complete.
$(MATHJAX_JS): $(MATHJAX_PKG)/package.json
	rm -rf $(MATHJAX) && mkdir -p $(MATHJAX)/output/chtml/fonts $(MATHJAX)/input/tex
	cp -r $(MATHJAX_PKG)/es5/output/chtml/fonts/woff-v2 $(MATHJAX)/output/chtml/fonts/
	cp -r $(MATHJAX_PKG)/es5/input/tex/extensions $(MATHJAX)/input/tex/
	cp $(MATHJAX_PKG)/LICENSE $(MATHJAX)/
	cp $(MATHJAX_PKG)/es5/tex-mml-chtml.js $@

mathjax: $(MATHJAX_JS) $(MATHJAX_FULL)

$(PYODIDE_PKG)/package.json:
	@command -v npm >/dev/null || { echo "npm is needed to install Pyodide: apt-get install npm" >&2; exit 1; }
	npm install --prefix $(PYODIDE_NPM) --no-audit --no-fund --no-save pyodide@$(PYODIDE_VERSION)

# The bundle is written last (renamed into place): its presence means the copy is complete.
$(CHECKER_PYTHON): $(PYODIDE_PKG)/package.json $(STAMP) book/_ext/checker_bundle.mjs
	rm -rf $(CHECKER) $(CHECKER_WHEELS) && mkdir -p $(CHECKER)/pyodide $(CHECKER_WHEELS)
	cd $(PYODIDE_PKG) && cp $(PYODIDE_FILES) $(CURDIR)/$(CHECKER)/pyodide/
	cp $(PYODIDE_PKG)/package.json $(CHECKER)/pyodide/  # its name, version and licence (MPL-2.0)
	$(PY) -m pip download --quiet --no-deps --only-binary=:all: --dest $(CHECKER_WHEELS) \
		"sympy==$$($(PY) -c 'import sympy; print(sympy.__version__)')" \
		"mpmath==$$($(PY) -c 'import mpmath; print(mpmath.__version__)')"
	node book/_ext/checker_bundle.mjs $(PYODIDE_PKG) $@ $(CHECKER_WHEELS)/*.whl

checker: $(CHECKER_PYTHON)

# Pages execute at build time (cached in _build/.jupyter_cache); any warning, failing cell or
# failing claim fails the build, and so does output on stderr in a page: importing matplotlib
# first builds its font cache, whose notice would otherwise be such output on a fresh machine.
# A page that re-executes looks up derivation checks and claim evidence whose code did not
# change in DV_CACHE_DIR (see derivations/cache.py); the kernels inherit it, and it must be
# absolute because each kernel runs in its page's folder. `make clean` removes it with _build.
DV_CACHE := $(CURDIR)/_build/.dv_cache
book: $(STAMP) $(MATHJAX_JS) $(MATHJAX_FULL) $(CHECKER_PYTHON)
	$(PY) -c "import matplotlib.pyplot"
	DV_CACHE_DIR=$(DV_CACHE) $(VENV)/bin/jupyter-book build . --warningiserror --nitpick --keep-going

# The whole book as one PDF, _build/html/book.pdf: the single-page build (it reuses the
# execution cache), printed by Debian's Chromium (/usr/bin/chromium) with the print
# stylesheet; then the HTML pages are rewritten to link it (nothing is executed again).
# DV_HIDE_ANSWER_KEYS=1 applies to the PDF as to the pages.
pdf: book
	DV_CACHE_DIR=$(DV_CACHE) $(VENV)/bin/jupyter-book build . --builder singlehtml --warningiserror --nitpick --keep-going
	$(PY) book/_ext/print_pdf.py _build/singlehtml _build/html/book.pdf
	DV_BOOK_PDF=book.pdf DV_CACHE_DIR=$(DV_CACHE) $(VENV)/bin/jupyter-book build . --warningiserror --nitpick --keep-going

clean:
	rm -rf _build
