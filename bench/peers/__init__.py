"""Benchmark harness: policykb against Open Terms Archive's engine and changedetection.io.

``run.py`` runs the tools on the same replayed history and records figures in
``results.json``; ``report.py`` renders ``bench/results/peers.md`` and ``peers.png``.
See ``README.md`` beside this file.
"""
