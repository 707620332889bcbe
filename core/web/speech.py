"""Speech clips over HTTP, for any page of an office that reads aloud (the kiosk): which clips say a screen's
texts, and the clips themselves. Announcements are the queue's (it knows counters and ticket numbers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from core.auth import ROLES, Principal
from core.config import OfficeConfig
from core.devices import DEVICE_KINDS
from core.problems import Invalid, NotFound, Unavailable
from core.speech import MAX_TEXT, Allowance, SpeechError
from core.web.deps import ContextDep, OfficeDep
from core.web.schemas import SpeechClipsOut
from core.web.security import require

api = APIRouter(tags=["speech"])
MAX_TEXTS = 80  # a screen's heading, texts and choices


class TextsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: list[Annotated[str, Field(max_length=MAX_TEXT * 4)]] = Field(max_length=MAX_TEXTS)


def _language(office: OfficeConfig, language: str) -> str:
    if language not in office.languages:
        raise Invalid("invalid_request", f"{language!r} is not one of {list(office.languages)}", field="language")
    return language


@api.post("/api/v1/offices/{office}/speech/{language}", response_model=SpeechClipsOut)
def clips_for_texts(language: str, body: TextsIn, office: OfficeDep, ctx: ContextDep,
                    _principal: Annotated[Principal, Depends(require(*ROLES, devices=DEVICE_KINDS))]
                    ) -> dict[str, object]:
    """For each text, the URLs of the clips that say it in order, or null when it has none (the page then uses
    the browser's voice). ``clips`` is false for a language without a clip set. Only the office's staff and
    devices may ask: a text that espeak-ng can say and no clip covers is generated now (up to a number per
    request; the others are null this time and made when asked again)."""
    _language(office, language)
    if not ctx.speech.has_set(language):
        return {"clips": False, "texts": [None] * len(body.texts)}
    phrases = ctx.speech_phrases(office, language)
    base = f"/api/v1/offices/{office.id}/speech/{language}/"
    try:
        allowance = Allowance()  # a screen's texts no clip covers yet: made now, a bounded number per request
        found = [ctx.speech.resolve(language, text, phrases, allowance) for text in body.texts]
    except SpeechError as exc:
        raise Unavailable("speech_failed", f"Speech clips could not be made: {exc}") from None
    return {"clips": True, "texts": [[f"{base}{c.name}.wav" for c in clips] if clips else None for clips in found]}


@api.get("/api/v1/offices/{office}/speech/{language}/{name}.wav", response_class=FileResponse,
         responses={200: {"content": {"audio/wav": {}}}})
def clip(language: str, name: str, office: OfficeDep, ctx: ContextDep) -> FileResponse:
    """One clip (16-bit mono WAV): a digit, a letter or a phrase, recorded by the office or made by espeak-ng."""
    path = ctx.speech.path(_language(office, language), name)
    if path is None:
        raise NotFound("clip_not_found", f"No clip {name!r} in {language!r}.")
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"})
