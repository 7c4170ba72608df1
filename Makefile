# Set-up-and-run entry points. Each target builds its own virtual environment.
PYTHON ?= python3
VENV   ?= .venv
LS_VENV ?= .venv-ls
# torch 2.13.0 is a CPU wheel on this team's machines; on a GPU machine set
# TORCH_SPEC="torch>=2.4,<3" (or leave torch preinstalled) to keep a CUDA build.
TORCH_SPEC ?= torch==2.13.0
LABEL_STUDIO_SPEC ?= label-studio==1.23.2
OUT ?= out/demo

.PHONY: demo test venv ls-venv system-deps clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q "$(TORCH_SPEC)"
	$(VENV)/bin/python -m pip install -q -e ".[all]"
	touch $@

# Label Studio pins clash with the toolkit's (pyarrow, pytz), so it gets its own venv.
$(LS_VENV)/.installed:
	$(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install -q --upgrade pip
	$(LS_VENV)/bin/python -m pip install -q "$(LABEL_STUDIO_SPEC)"
	touch $@

# Headless Chromium renders the HTML reports to PNG in tests; Noto CJK gives it Hangul glyphs;
# a Java 17 JRE runs Spark in local mode for the --engine spark tests.
system-deps:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto.*CJK" || \
		{ if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }
	@# PySpark 4 (kmner[spark], the Spark tests) needs Java 17 or later.
	@java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])' || \
		{ if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

venv: $(VENV)/.installed
ls-venv: $(LS_VENV)/.installed

demo: venv
	$(VENV)/bin/kmner demo -o $(OUT)

test: venv ls-venv system-deps
	KMNER_LABEL_STUDIO_BIN=$(abspath $(LS_VENV))/bin/label-studio \
		$(VENV)/bin/python -m pytest

clean:
	rm -rf $(VENV) $(LS_VENV) out .pytest_cache .hypothesis
