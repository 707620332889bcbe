"""What the kiosk's screens say, for the office's speech clips (core.speech): the kiosk's own texts, the office's
tiles, guides and questions in one language, and the language's own name (read on the start screen)."""

from __future__ import annotations

from core.config import OfficeConfig
from core.i18n import language_info
from plugins.kiosk import service


def spoken(office: OfficeConfig, language: str) -> list[str]:
    if language not in service.languages(office):
        return []
    texts = [*service.translations.texts(language), language_info(language).native_name]
    for tile in service.own_tiles(office, language):
        texts += [tile.label, tile.description]
    waiting_area = service.settings(office).waiting_area
    if waiting_area:
        texts.append(waiting_area.get_text(language))
    for guide in service.guides(office, language):
        # Parts shown in Swedish where the guide lacks this language are spoken by the Swedish set.
        texts += [text for text, shown in ((guide.title, guide.title_language), (guide.summary,
                                            guide.summary_language)) if shown == language]
        for question in guide.questions:
            if question.language == language:
                texts += [question.text, *(label for _id, label in question.options)]
    texts += [unit.name.get_text(language) for unit in office.directory.units]
    return [text for text in texts if text]
