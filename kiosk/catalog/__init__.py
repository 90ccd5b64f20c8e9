"""The store's catalog: products, variants, stock, aisles and documents in one SQLite file.

Facts the kiosk says (names, prices, stock, aisles, policy text) come only from here.
"""
