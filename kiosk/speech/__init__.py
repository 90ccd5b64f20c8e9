"""Speech in (faster-whisper) and out (piper), on the bundled models, offline.

Nothing here writes audio to disk unless a technician asks for a file.
"""
