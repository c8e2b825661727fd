"""What the kiosk and the collector share: questionnaires as data, scoring, the database base and
types, the hash chain, translations. Nothing in here imports Flask."""
