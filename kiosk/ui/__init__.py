"""Textual screens: the only part of kiosk that imports Textual."""
