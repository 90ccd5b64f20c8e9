"""The named stages of one shopper turn, and the error a stage raises.

A turn is hear -> understand -> act -> compose -> check -> speak (hear and speak only
when the shopper talks). Timings are keyed by stage, and an error says which stage
it came from, so a technician reading a log or `kiosk ask --json` knows where to look.
"""

from __future__ import annotations

from enum import StrEnum

from kiosk.errors import KioskError


class Stage(StrEnum):
    HEAR = "hear"  # audio -> what was said (VAD, Whisper, catalog-name correction)
    UNDERSTAND = "understand"  # text -> intent and slots; the only stage that reads the text
    ACT = "act"  # look facts up, change the session, write staff calls and feedback
    COMPOSE = "compose"  # the template reply from the facts; the model's phrasing, if any
    CHECK = "check"  # the phrasing against the facts: accepted, or the template stands
    SPEAK = "speak"  # the checked reply on the speaker, interruptible


class StageError(KioskError):
    """A failure tied to the stage it happened in; `code` is stable for scripts."""

    code = "stage_error"

    def __init__(self, stage: Stage, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.stage = stage

    def to_json(self) -> dict[str, str]:
        return {"stage": str(self.stage), "code": self.code, "message": self.message}
