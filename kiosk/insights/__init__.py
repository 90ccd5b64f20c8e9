"""Merchant insight: what shoppers ask for, what they think, better listings.

Everything here reads the catalog database and the request log that `log.record_turn`
writes (redacted text, counts, a random per-visit token; nothing that names a person).
The staff console's Insights screen and `kiosk insights` / `kiosk describe` are two
clients of the same functions: `report.build_report`, `describe.draft_description`.
"""
