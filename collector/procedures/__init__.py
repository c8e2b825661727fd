"""The province's list of administrative procedures: what a counter officer picks when issuing a
receipt. Kept by the whole-province administrators in the administration pages or with `sipas
collector procedures ...`; the functions in `service` are the one path for both."""
