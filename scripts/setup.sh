#!/usr/bin/env bash
# Installs everything the report and the tests need on a fresh machine: uv, the locked Python
# environment (uv.lock), and the Debian packages for the browser tests and PDF checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
# LibreOffice Calc (~300 MB): the test that prints prislista.xlsx as a spreadsheet program would.
command -v soffice >/dev/null 2>&1 || need_apt+=(libreoffice-calc)
# WeasyPrint (PDF) needs Pango and a font with å ä ö; present on most machines already.
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || need_apt+=(libpango-1.0-0 libpangoft2-1.0-0)
fc-list 2>/dev/null | grep -qi dejavu || need_apt+=(fonts-dejavu-core)
if ((${#need_apt[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "Installerar systempaket: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "Saknar systempaket: ${need_apt[*]} (installera med sudo apt-get install ${need_apt[*]})" >&2
  fi
fi

command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
# Byte-compile at install: with PYTHONDONTWRITEBYTECODE set (as on these machines) every
# import would otherwise compile pandas, matplotlib and Sphinx from source, in every kernel.
uv sync --frozen --quiet --compile-bytecode
uv run --frozen python -m compileall -q src >/dev/null
