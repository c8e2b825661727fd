"""What the kiosk and the collector share: questionnaires as data, scoring, the database base and
types, the hash chain, translations."""

#: The product's version, the one place it is written: the package's metadata (pyproject.toml reads
#: it), `sipas --version` and `/healthz` of both apps show it.
__version__ = "0.1.0"
