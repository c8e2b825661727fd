"""A response from contract to stored row.

* `contract`: the limits, patterns, messages and JSON schemas of what a kiosk sends (the OpenAPI
  document only assembles them);
* `validate`: the checks of one response or heartbeat that need no database;
* `chain`: the pure bookkeeping of a kiosk's chain (links, gaps, forks);
* `store`: the one row builder and the one insert, used by kiosk ingest, the receipt survey and
  the counter poster.
"""
