"""The grounded assistant: a shopper's request in, a true answer out.

Facts (names, prices, stock, aisles, policy text) come from the catalog; a model
may phrase the reply, and code checks the phrasing against the facts.
"""
