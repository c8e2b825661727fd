"""The kiosk fleet: registration, tokens and the chain row's lock (`kiosks`), heartbeats
(`heartbeats`), what the collector knows of each kiosk (`status`), opening hours and the kiosks
silent during them (`opening`), and the managers' status page (`views`, under `/kiosks`)."""
