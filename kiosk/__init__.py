"""kiosk: an offline in-store shopping assistant.

The core (catalog, assistant, speech, LLM) never imports the UI; the CLI and the
Textual app are two clients of the same functions.
"""

__version__ = "0.1.0"
