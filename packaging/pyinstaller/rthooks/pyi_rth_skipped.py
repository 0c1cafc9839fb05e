"""Stands in for PyInstaller's run-time hooks of inspect, multiprocessing and pkgutil (rthooks.dat).

Run-time hooks run before the plugin's first line, so they delay Grafana's handshake, and these three
import modules the handshake does not need. What they adapt the plugin never uses: finding the source
file of a frozen module (inspect), starting multiprocessing helper processes (the plugin's workers are
threads) and listing the frozen modules of a package (pkgutil.iter_modules).
"""
