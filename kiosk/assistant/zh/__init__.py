"""Mandarin: a Chinese request read into the same slots as an English one."""
