"""A spoken conversation at the kiosk: listen -> hear -> turn -> speak, in one place.

- `hearing`: Whisper tied to the assistant's catalog (hints before, corrections after).
- `session`: `VoiceSession`, which owns half-duplex listening, barge-in, early speech
  and the speaker, and reports what happens as `events`; the shopper screen (as
  Textual messages) and `kiosk listen` are two clients of it.
"""
