"""Speech in (faster-whisper) and out (piper), on the bundled models, offline.

- `audio`: `load_audio` (WAV/FLAC/MP3 -> 16 kHz mono float32), `to_16k_mono`, `SpeechError`.
- `asr`: `Transcriber` (VAD-gated, catalog-prompted Whisper) -> `Transcript`.
- `hints`: `hint_words` (catalog words for the prompt), `correct_transcript`.
- `tts`: `speakable` (prices, units read aloud), `Synthesizer.sentences`, `write_wav`.
- `devices`: microphone/speaker via sounddevice, `Endpointer` (hands-free end of speech).

Nothing here imports faster-whisper, piper or sounddevice until it is used, and
nothing writes audio to disk unless a technician asks for a file.
"""
