"""The offline self-assessment workbook (.xlsx): written from the catalog, read back safely.

A layer above the scoring core (it uses the rating scale) and below the web apps and the CLI.
"""
